//! Configuration: environment variables, each also a command-line flag. A bad value stops
//! start-up with a message naming the variable (clap does that for us).

use clap::Parser;
use ipnet::IpNet;
use std::{net::SocketAddr, path::PathBuf, time::Duration};
use url::Url;

#[derive(Parser, Debug, Clone)]
#[command(name = "active-sessions", version, about)]
pub struct Config {
    /// Database: `sqlite://path/to/file.db` (created if missing) or `postgres://…`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://data/active-sessions.db")]
    pub database_url: String,

    /// Connections this server opens to Postgres at most (each server sharing a database takes
    /// up to this many of Postgres's `max_connections`, 100 by default).
    #[arg(long, env = "DATABASE_MAX_CONNECTIONS", default_value_t = crate::infra::db::DEFAULT_POSTGRES_CONNECTIONS,
          value_parser = clap::value_parser!(u32).range(2..=1000))]
    pub database_max_connections: u32,

    /// Address the server listens on.
    #[arg(long, env = "LEPTOS_SITE_ADDR", default_value = "127.0.0.1:3000")]
    pub site_addr: SocketAddr,

    /// The origin people reach (e.g. https://account.example.com). https turns on Secure and
    /// `__Host-` cookies and HSTS; it is what the Origin check compares with.
    /// Default: http:// + the site address.
    #[arg(long, env = "PUBLIC_URL", value_parser = parse_public_url)]
    pub public_url: Option<Url>,

    /// A session not used for this long ends (e.g. `30m`, `7d`).
    #[arg(long, env = "SESSION_IDLE_TIMEOUT", default_value = "7d", value_parser = parse_duration)]
    pub session_idle_timeout: Duration,

    /// A session ends this long after sign-in, however active it is.
    #[arg(long, env = "SESSION_MAX_LIFETIME", default_value = "30d", value_parser = parse_duration)]
    pub session_max_lifetime: Duration,

    /// How long after the last password entry ending other sessions needs no password.
    #[arg(long, env = "REAUTH_WINDOW", default_value = "10m", value_parser = parse_duration)]
    pub reauth_window: Duration,

    /// Proxies whose `X-Forwarded-For` is believed (comma-separated IPs or CIDRs). Empty: none.
    #[arg(long, env = "TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_proxy)]
    pub trusted_proxies: Vec<IpNet>,

    /// Optional MaxMind-format city database (.mmdb) for approximate locations.
    #[arg(long, env = "GEOIP_DB")]
    pub geoip_db: Option<PathBuf>,

    /// Failed log-ins allowed per email address within the window before answering 429.
    #[arg(long, env = "LOGIN_MAX_FAILURES_PER_EMAIL", default_value_t = 10)]
    pub login_max_failures_per_email: u32,

    /// Failed log-ins allowed per client IP within the window before answering 429 (from
    /// browsers that never signed in to the account: a known browser has its own budget).
    #[arg(long, env = "LOGIN_MAX_FAILURES_PER_IP", default_value_t = 30)]
    pub login_max_failures_per_ip: u32,

    /// Failed log-ins allowed within the window from a browser that signed in to that account
    /// before (its device cookie): its own budget, kept when others exhaust the email's.
    #[arg(long, env = "LOGIN_MAX_FAILURES_PER_DEVICE", default_value_t = 5)]
    pub login_max_failures_per_device: u32,

    /// Sign-ups (and emails asked for: reset links, confirmations) allowed per client IP
    /// within the window.
    #[arg(long, env = "SIGNUP_MAX_PER_IP", default_value_t = 5)]
    pub signup_max_per_ip: u32,

    /// Wrong passwords a signed-in session may type within the window when asked to confirm
    /// it's them (its own budget: failures elsewhere never count against it).
    #[arg(long, env = "REAUTH_MAX_FAILURES_PER_SESSION", default_value_t = 5)]
    pub reauth_max_failures_per_session: u32,

    /// New-device verification: a password-only sign-in from a browser that never signed in to
    /// an account without a second factor needs a code sent to the account's email.
    /// `auto`: on when mail is configured (`SMTP_URL`).
    #[arg(long, env = "NEW_DEVICE_VERIFICATION", default_value = "auto")]
    pub new_device_verification: Toggle,

    /// Password hashes (argon2id, 19 MiB each) that may run at once. Default: the number of cores.
    #[arg(long, env = "HASH_WORKERS")]
    pub hash_workers: Option<usize>,

    /// Password hashes that may wait for a worker; beyond that, 503 with Retry-After at once.
    #[arg(long, env = "HASH_QUEUE", default_value_t = 16)]
    pub hash_queue: usize,

    /// The sliding window the failure limits count in.
    #[arg(long, env = "LOGIN_FAILURE_WINDOW", default_value = "15m", value_parser = parse_duration)]
    pub login_failure_window: Duration,

    /// Sessions one account may have at once. Signing in beyond it ends the least recently
    /// active other session (that device is told why).
    #[arg(long, env = "MAX_SESSIONS_PER_USER", default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub max_sessions_per_user: u32,

    /// In-process cache of session checks: `auto` (on), `on` or `off`. Servers sharing
    /// Postgres keep their caches coherent with leases (see `identity/fleet.rs`).
    #[arg(long, env = "SESSION_CACHE", default_value = "auto")]
    pub session_cache: CacheMode,

    /// Directory with the built site (`pkg/`, favicon…).
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,

    /// Send email over SMTP (`smtp://host:port`, `smtps://user:password@host`). Unset: every
    /// message goes into the outbox folder instead.
    #[arg(long, env = "SMTP_URL")]
    pub smtp_url: Option<String>,

    /// Where messages go when no SMTP_URL is set (one `.eml` file each).
    #[arg(long, env = "MAIL_OUTBOX", default_value = "data/outbox")]
    pub mail_outbox: PathBuf,

    /// The sender of the app's email. Default: "Account security <no-reply@HOST>", HOST from PUBLIC_URL.
    #[arg(long, env = "MAIL_FROM")]
    pub mail_from: Option<String>,

    /// Serve Prometheus metrics at `/metrics` on this separate address (e.g. 127.0.0.1:9100).
    /// Unset: no metrics endpoint.
    #[arg(long, env = "METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,

    /// Calls one operator API token may make per minute; beyond, 429 with Retry-After.
    #[arg(long, env = "API_RATE_LIMIT", default_value_t = 600, value_parser = clap::value_parser!(u32).range(1..))]
    pub api_rate_limit: u32,

    /// Let webhooks go to loopback and private addresses (for tests and closed networks): `1`.
    /// Otherwise such URLs are refused, when added and at every delivery.
    #[arg(long, env = "WEBHOOK_ALLOW_PRIVATE", default_value = "0", value_parser = parse_flag)]
    pub webhook_allow_private: bool,

    /// How long a webhook receiver may take to answer; a delivery is leased for twice as long.
    #[arg(long, env = "WEBHOOK_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub webhook_timeout: Duration,

    /// An operator's command instead of serving (see `--help` of each).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What the operator can do on the server, against the configured `DATABASE_URL`.
#[derive(clap::Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Administrators: who may use the web console.
    Admin {
        #[command(subcommand)]
        action: AdminCommand,
    },
    /// Sessions: list one account's, end one account's or everyone's.
    Sessions {
        #[command(subcommand)]
        action: SessionsCommand,
    },
    /// Tokens for the operator API (`/api/v1`).
    #[command(name = "api-token")]
    ApiToken {
        #[command(subcommand)]
        action: ApiTokenCommand,
    },
    /// Webhook endpoints: where security events are sent, signed.
    Webhook {
        #[command(subcommand)]
        action: WebhookCommand,
    },
}

#[derive(clap::Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum ApiTokenCommand {
    /// Issues a token; it is printed once, alone on the last line.
    Create {
        #[arg(long)]
        name: String,
        /// sessions:read, sessions:write (ending, suspending) or events:read; repeat for more.
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        /// How long it is valid ("90d", "12h"); without it, until revoked.
        #[arg(long)]
        expires: Option<String>,
    },
    /// Lists the tokens (never their secrets).
    List,
    /// Revokes a token: its very next call is refused.
    Revoke { name: String },
}

#[derive(clap::Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum WebhookCommand {
    /// Adds an endpoint; its signing secret is printed once, alone on the last line.
    Add {
        url: String,
        /// Event types, comma-separated (all when absent).
        #[arg(long, value_delimiter = ',')]
        events: Vec<String>,
    },
    /// Lists the endpoints and their recent deliveries.
    List,
    /// Removes an endpoint and what waits for it.
    Remove { url: String },
    /// Sends a test message (and enables the endpoint again) and waits for its delivery.
    Test { url: String },
    /// Sends a message again, by its delivery id (`webhook list` shows them).
    Redeliver { id: i64 },
}

#[derive(clap::Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum AdminCommand {
    /// Makes the account with this email an administrator.
    Grant { email: String },
    /// Takes the role away.
    Revoke { email: String },
    /// Lists the administrators.
    List,
}

#[derive(clap::Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum SessionsCommand {
    /// Lists the sessions of an account.
    List {
        #[arg(long)]
        user: String,
    },
    /// Ends every session of an account (`--user EMAIL`), or of everyone (`--all`).
    End {
        #[arg(long, conflicts_with = "all", required_unless_present = "all")]
        user: Option<String>,
        #[arg(long)]
        all: bool,
        /// Why (recorded in the admin log, shown in the account's security activity).
        #[arg(long, default_value = "Ended by the operator")]
        reason: String,
    },
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Toggle {
    Auto,
    On,
    Off,
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheMode {
    Auto,
    On,
    Off,
}

fn parse_flag(value: &str) -> Result<bool, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        other => Err(format!("expected 1 or 0, not {other:?}")),
    }
}

fn parse_duration(value: &str) -> Result<Duration, String> {
    let duration = humantime::parse_duration(value)
        .map_err(|e| format!("expected a duration like 30m or 14d: {e}"))?;
    if duration.is_zero() {
        return Err("must be longer than zero".into());
    }
    Ok(duration)
}

fn parse_proxy(value: &str) -> Result<IpNet, String> {
    let value = value.trim();
    value
        .parse::<IpNet>()
        .or_else(|_| value.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| format!("expected an IP address or CIDR, got {value:?}"))
}

fn parse_public_url(value: &str) -> Result<Url, String> {
    let url = Url::parse(value).map_err(|e| format!("expected a URL like https://example.com: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err("expected an http:// or https:// origin".into());
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err("expected an origin only, without a path".into());
    }
    Ok(url)
}

impl Config {
    /// Defaults everywhere, as if no variable were set: for tests and tools.
    pub fn defaults() -> Self {
        Config::parse_from(["active-sessions"])
    }

    pub fn public_url(&self) -> Url {
        self.public_url.clone().unwrap_or_else(|| {
            Url::parse(&format!("http://{}", self.site_addr)).expect("a socket address is a valid host")
        })
    }

    /// `scheme://host[:port]`, exactly as browsers send it in `Origin`.
    pub fn public_origin(&self) -> String {
        self.public_url().origin().ascii_serialization()
    }

    pub fn mail_from(&self) -> String {
        self.mail_from.clone().unwrap_or_else(|| {
            let host = self.public_url().host_str().map(str::to_owned).unwrap_or_else(|| "localhost".to_owned());
            // An IP address is not a mail domain.
            let domain = if host.parse::<std::net::IpAddr>().is_ok() { "localhost".to_owned() } else { host };
            format!("Account security <no-reply@{domain}>")
        })
    }

    /// Whether a password-only sign-in from an unknown browser needs an emailed code.
    pub fn verifies_new_devices(&self) -> bool {
        match self.new_device_verification {
            Toggle::On => true,
            Toggle::Off => false,
            Toggle::Auto => self.smtp_url.is_some(),
        }
    }

    pub fn is_https(&self) -> bool {
        self.public_url().scheme() == "https"
    }

    /// Checks that only make sense across several settings.
    pub fn validate(&self) -> Result<(), String> {
        if self.session_idle_timeout > self.session_max_lifetime {
            return Err("SESSION_IDLE_TIMEOUT must not be longer than SESSION_MAX_LIFETIME".into());
        }
        if [self.login_max_failures_per_email, self.login_max_failures_per_ip, self.login_max_failures_per_device, self.signup_max_per_ip]
            .contains(&0)
        {
            return Err("LOGIN_MAX_FAILURES_PER_EMAIL, _PER_IP, _PER_DEVICE and SIGNUP_MAX_PER_IP must be at least 1".into());
        }
        if self.hash_workers == Some(0) {
            return Err("HASH_WORKERS must be at least 1".into());
        }
        Ok(())
    }
}

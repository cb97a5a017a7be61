//! The composition root: every service the app runs on, built once at start-up from the
//! configuration.

use crate::identity::{
    Core, Identity, Services,
    admin::Administration,
    operator::{ApiTokens, Feed, Webhooks},
    security_log::SecurityLog,
    sign_in::SignIn,
    account::{Accounts, Budgets, Credentials, Notices, Passkeys, Passwords, SignInMethods, Throttle, TwoFactor},
    client::GeoIp,
    session::{
        LiveHub, SessionRules, SessionService,
        check::{Coherence, EndingSignal, SessionCheck},
    },
    web::CookieJar,
};
use crate::infra::{
    clock::{Clock, duration_ms},
    config::{CacheMode, Config},
    db::{Db, DbOpenError},
    flash::Messages,
    mail::Mailer,
};
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::Arc;

/// The app's state: the identity services and the Leptos options. Cloned for every request
/// (axum's `State`), so it is one `Arc`: a clone is one atomic increment, not one per field.
#[derive(Clone)]
pub struct AppState(Arc<AppStateInner>);

impl std::ops::Deref for AppState {
    type Target = AppStateInner;
    fn deref(&self) -> &AppStateInner {
        &self.0
    }
}

pub struct AppStateInner {
    pub leptos_options: LeptosOptions,
    pub identity: Identity,
    /// The database, for the operator's commands, the clean-up and the tests.
    pub db: Db,
}

/// The identity services' fields read straight through the app state (`state.sessions`).
impl std::ops::Deref for AppStateInner {
    type Target = Services;
    fn deref(&self) -> &Services {
        &self.identity
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

impl FromRef<AppState> for Identity {
    fn from_ref(state: &AppState) -> Self {
        state.identity.clone()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Db(#[from] DbOpenError),
    #[error("{0}")]
    Config(String),
}

impl AppState {
    /// Opens the database (running migrations), loads GeoIP and prepares password hashing.
    pub async fn build(config: Config, clock: Arc<dyn Clock>) -> Result<AppState, StartError> {
        config.validate().map_err(StartError::Config)?;
        let db = Db::open_with(&config.database_url, config.database_max_connections).await?;
        let geo = match &config.geoip_db {
            Some(path) => GeoIp::open(path).map_err(StartError::Config)?,
            None => GeoIp::disabled(),
        };
        let geo = Arc::new(geo);
        let cache = match config.session_cache {
            CacheMode::On | CacheMode::Auto => true,
            CacheMode::Off => false,
        };
        let coherence = match (&db, cache) {
            (Db::Postgres(pool), cache) => Coherence::Postgres { pool: pool.clone(), cache },
            (Db::Sqlite { .. }, false) => Coherence::Off,
            // Other processes on the same SQLite file (the command line, a second server) must
            // be able to empty our cache; without the shared signal, no cache.
            (Db::Sqlite { write, .. }, true) => match EndingSignal::open(write.connect_options().get_filename()) {
                Ok(signal) => Coherence::SqliteSignal(signal),
                Err(e) => {
                    tracing::warn!("session cache off: cannot open the endings signal next to the database: {e}");
                    Coherence::Off
                }
            },
        };
        let live = LiveHub::new(db.clone());
        let rules = SessionRules {
            idle: config.session_idle_timeout,
            max: config.session_max_lifetime,
            max_per_user: config.max_sessions_per_user,
        };
        let check = SessionCheck::new(&db, coherence);
        let sessions = SessionService::new(db.clone(), clock.clone(), geo.clone(), rules, check, Some(live.clone()));
        let sessions = Arc::new(sessions);
        let leptos_options = LeptosOptions::builder()
            .output_name(env!("CARGO_PKG_NAME"))
            .site_root(config.site_root.display().to_string())
            .site_pkg_dir("pkg")
            .site_addr(config.site_addr)
            .build();
        let cookies = CookieJar::new(config.is_https(), config.session_max_lifetime);
        let workers = config.hash_workers.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
        let passwords = Passwords::new(workers, config.hash_queue).await;
        let throttle = Throttle::new(db.clone(), duration_ms(config.login_failure_window));
        let budgets = Budgets {
            per_email: config.login_max_failures_per_email,
            per_ip: config.login_max_failures_per_ip,
            per_device: config.login_max_failures_per_device,
            per_session: config.reauth_max_failures_per_session,
        };
        let credentials = Arc::new(Credentials::new(db.clone(), clock.clone(), geo.clone(), passwords, throttle, budgets));
        let mailer = Arc::new(
            Mailer::new(config.smtp_url.as_deref(), config.mail_outbox.clone(), &config.mail_from()).map_err(StartError::Config)?,
        );
        let messages = Arc::new(Messages::new(db.shared_key("messages").await.map_err(DbOpenError::Connect)?, clock.clone()));
        let config = Arc::new(config);
        let core = Core { db: db.clone(), clock: clock.clone(), config: config.clone(), geo };
        let notices = Arc::new(Notices::new(core.clone(), mailer.clone(), live.clone()));
        let accounts = Arc::new(Accounts::new(core.clone(), credentials.clone(), sessions.clone(), notices.clone()));
        let two_factor = Arc::new(TwoFactor::new(core.clone(), credentials.clone(), accounts.clone(), notices.clone()));
        let passkeys = Arc::new(Passkeys::new(core.clone(), accounts.clone(), notices.clone()));
        let methods = Arc::new(SignInMethods::new(core.clone(), accounts.clone(), notices.clone()));
        let sign_in = Arc::new(SignIn {
            core: core.clone(),
            sessions: sessions.clone(),
            credentials: credentials.clone(),
            accounts: accounts.clone(),
            two_factor: two_factor.clone(),
            passkeys: passkeys.clone(),
            notices,
            mailer: mailer.clone(),
            messages: messages.clone(),
        });
        let admin = Arc::new(Administration::new(core.clone(), sessions.clone(), accounts.clone(), two_factor.clone()));
        let identity = Identity(Arc::new(Services {
            config,
            clock,
            cookies,
            mailer,
            messages,
            live,
            sessions,
            credentials,
            accounts,
            two_factor,
            passkeys,
            methods,
            sign_in,
            admin,
            security_log: Arc::new(SecurityLog::new(db.clone())),
            api_tokens: Arc::new(ApiTokens::new(core.clone(), core.config.api_rate_limit)),
            feed: Arc::new(Feed::new(core.clone())),
            webhooks: Arc::new(Webhooks::new(core.clone())),
        }));
        Ok(AppState(Arc::new(AppStateInner { leptos_options, identity, db })))
    }
}

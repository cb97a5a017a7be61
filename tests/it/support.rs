//! The test harness: a fresh database per test, the real server on 127.0.0.1, HTTP clients
//! that behave like browsers (our own origin, cookies kept per device).

use active_sessions::{
    app::state::AppState,
    infra::{clock::ManualClock, config::Config},
};
use reqwest::{Method, StatusCode, header::HeaderMap};
use serde_json::Value;
use std::{net::SocketAddr, sync::Arc};
use tokio::sync::oneshot;

pub const PASSWORD: &str = "correct horse battery staple";
pub const FIREFOX_WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";
pub const CHROME_MAC: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each listed test body against SQLite and against Postgres.
macro_rules! backend_tests {
    ($(async fn $name:ident($app:ident : TestApp) $body:block)*) => {
        mod sqlite {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    crate::support::bounded(async {
                        let Some($app) = crate::support::TestApp::start(crate::support::Backend::Sqlite, |_| {}).await else { return };
                        $body
                        $app.finish().await;
                    }).await
                }
            )*
        }
        mod postgres {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    crate::support::bounded(async {
                        let Some($app) = crate::support::TestApp::start(crate::support::Backend::Postgres, |_| {}).await else { return };
                        $body
                        $app.finish().await;
                    }).await
                }
            )*
        }
    };
}

/// Everything the app logs while [`capture_logs`] is on (every level, every crate).
static CAPTURED: std::sync::Mutex<Vec<u8>> = std::sync::Mutex::new(Vec::new());
static CAPTURING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

struct CaptureWriter;

impl std::io::Write for CaptureWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        CAPTURED.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs the test binary's one log subscriber: trace-level capture into memory while a
/// test asks for it, and with `TEST_LOG=<file>` everything into that file too.
fn init_test_logs() {
    use tracing_subscriber::{Layer, filter, layer::SubscriberExt, util::SubscriberInitExt};
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let capture = tracing_subscriber::fmt::layer()
            .with_writer(|| CaptureWriter)
            .with_ansi(false)
            .with_filter(filter::dynamic_filter_fn(|_, _| CAPTURING.load(std::sync::atomic::Ordering::Relaxed)));
        let file = std::env::var("TEST_LOG").ok().map(|path| {
            let file = std::fs::File::create(path).expect("log file");
            tracing_subscriber::fmt::layer()
                .with_thread_ids(true)
                .with_writer(std::sync::Mutex::new(file))
                .with_filter(filter::EnvFilter::new("trace,hyper=debug,h2=info"))
        });
        let _ = tracing_subscriber::registry().with(capture).with(file).try_init();
    });
}

/// Runs `body` with every log line of the process captured, and returns them.
pub async fn capture_logs(body: impl std::future::Future<Output = ()>) -> String {
    // One capture at a time: the buffer is the process's.
    static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _turn = ONE_AT_A_TIME.lock().await;
    init_test_logs();
    CAPTURED.lock().unwrap().clear();
    CAPTURING.store(true, std::sync::atomic::Ordering::SeqCst);
    tracing::callsite::rebuild_interest_cache();
    body.await;
    CAPTURING.store(false, std::sync::atomic::Ordering::SeqCst);
    String::from_utf8_lossy(&std::mem::take(&mut *CAPTURED.lock().unwrap())).into_owned()
}

/// Runs a test body with a time limit, so a hang fails loudly instead of stalling the suite.
pub async fn bounded(body: impl std::future::Future<Output = ()>) {
    tokio::time::timeout(std::time::Duration::from_secs(180), body).await.expect("the test finished within 3 minutes");
}

/// A fresh database of one back-end, dropped afterwards.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_name: Option<String>,
}

fn postgres_admin_url() -> Option<String> {
    match std::env::var("TEST_POSTGRES_URL") {
        Ok(url) if url == "skip" || url.is_empty() => None,
        Ok(url) => Some(url),
        Err(_) => Some("postgres://postgres@127.0.0.1:5432/test".to_owned()),
    }
}

fn postgres_required() -> bool {
    std::env::var("REQUIRE_POSTGRES").is_ok_and(|v| v == "1")
}

impl TestDb {
    pub async fn create(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}/test.db", dir.path().display());
                Some(TestDb { url, _dir: Some(dir), pg_name: None })
            }
            Backend::Postgres => {
                let Some(admin) = postgres_admin_url() else {
                    assert!(!postgres_required(), "REQUIRE_POSTGRES=1 but TEST_POSTGRES_URL=skip");
                    eprintln!("SKIPPED: Postgres tests are off (TEST_POSTGRES_URL=skip)");
                    return None;
                };
                let pool = match sqlx::PgPool::connect(&admin).await {
                    Ok(pool) => pool,
                    Err(e) if !postgres_required() => {
                        eprintln!("SKIPPED: no Postgres at {admin}: {e}");
                        return None;
                    }
                    Err(e) => panic!("Postgres is required but {admin} does not answer: {e}"),
                };
                let name = format!("as_test_{}", uuid_like());
                sqlx::query(&format!("CREATE DATABASE {name}")).execute(&pool).await.expect("create database");
                pool.close().await;
                let mut url = url::Url::parse(&admin).expect("TEST_POSTGRES_URL is a URL");
                url.set_path(&name);
                Some(TestDb { url: url.to_string(), _dir: None, pg_name: Some(name) })
            }
        }
    }

    pub async fn drop_database(&self) {
        if let (Some(name), Some(admin)) = (&self.pg_name, postgres_admin_url()) {
            if let Ok(pool) = sqlx::PgPool::connect(&admin).await {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&pool).await;
                pool.close().await;
            }
        }
    }
}

pub fn uuid_like() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..16).map(|_| format!("{:x}", rng.random::<u8>() % 16)).collect()
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub state: AppState,
    pub clock: ManualClock,
    pub db: TestDb,
    /// Where this server's mail goes when no SMTP server is configured.
    pub outbox: tempfile::TempDir,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

impl TestApp {
    /// Starts the app on a fresh database; `configure` may change the configuration first.
    /// `None` when the back-end is not available and not required.
    pub async fn start(backend: Backend, configure: impl FnOnce(&mut Config)) -> Option<TestApp> {
        init_test_logs();
        let db = TestDb::create(backend).await?;
        Some(Self::serve_on(db, configure).await)
    }

    /// A second app server on the same database (as several servers behind a load balancer):
    /// nothing shared with `self` but the database. It leaves the database to `self`.
    pub async fn another_server(&self, configure: impl FnOnce(&mut Config)) -> TestApp {
        let db = TestDb { url: self.db.url.clone(), _dir: None, pg_name: None };
        Self::serve_on(db, configure).await
    }

    async fn serve_on(db: TestDb, configure: impl FnOnce(&mut Config)) -> TestApp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().unwrap();
        let outbox = tempfile::tempdir().expect("outbox dir");
        let mut config = Config::defaults();
        config.mail_outbox = outbox.path().to_owned();
        config.database_url = db.url.clone();
        config.site_addr = addr;
        config.public_url = None;
        config.geoip_db = Some(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/GeoLite2-City-Test.mmdb").into());
        // Webhook receivers in the tests listen on 127.0.0.1.
        config.webhook_allow_private = true;
        configure(&mut config);
        let clock = ManualClock::starting_now();
        let state = AppState::build(config, Arc::new(clock.clone())).await.expect("app state");
        let (tx, rx) = oneshot::channel::<()>();
        let server_state = state.clone();
        let server = tokio::spawn(async move {
            active_sessions::app::server::serve(server_state, listener, async {
                let _ = rx.await;
            })
            .await
            .expect("server");
        });
        TestApp { addr, state, clock, db, outbox, shutdown: Some(tx), server: Some(server) }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }


    pub fn device(&self, user_agent: &str) -> Device {
        Device::new(self, user_agent)
    }

    /// Every message in this server's outbox, oldest first.
    pub fn outbox_mails(&self) -> Vec<Mail> {
        let mut files: Vec<_> = std::fs::read_dir(self.outbox.path())
            .map(|d| d.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "eml")).collect())
            .unwrap_or_default();
        files.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
        // A file still being written does not parse yet: it is simply not there yet.
        files.iter().filter_map(|p| Mail::try_parse(&std::fs::read(p).ok()?)).collect()
    }

    /// Waits (up to 10 s: mail goes out in the background) for the `n`th (from 1) outbox
    /// message to `to` whose subject is `subject`.
    pub async fn wait_for_mail(&self, to: &str, subject: &str, n: usize) -> Mail {
        wait_for(|| self.outbox_mails().into_iter().filter(|m| m.to == to && m.subject == subject).nth(n - 1)).await
            .unwrap_or_else(|| panic!("no mail {n} to {to} with subject {subject:?}; outbox: {:?}", self.outbox_mails()))
    }

    /// A new account signed in on a new device.
    pub async fn signed_up(&self, user_agent: &str) -> (Device, String) {
        let email = format!("user-{}@example.com", uuid_like());
        let mut device = self.device(user_agent);
        let res = device.form("/api/signup", &[("email", &email), ("password", PASSWORD)]).await;
        assert_eq!(res.status, StatusCode::OK, "sign up: {}", res.body);
        (device, email)
    }


    /// Where a redirect lands: its path, the message the server sealed into it (as
    /// `kind:code[:n]`), and its other query parameters.
    pub fn landing(&self, location: Option<&str>) -> (String, Option<String>, Vec<(String, String)>) {
        let location = location.expect("a redirect");
        let url = url::Url::parse(&format!("http://x{location}")).unwrap();
        let mut message = None;
        let mut rest = Vec::new();
        for (k, v) in url.query_pairs() {
            if k == "msg" {
                message = Some(self.state.messages.open(&v).expect("a message sealed by the app, still fresh").to_string());
            } else {
                rest.push((k.into_owned(), v.into_owned()));
            }
        }
        (url.path().to_owned(), message, rest)
    }

    /// [`TestApp::landing`] for a redirect with a message and nothing else.
    pub fn lands(&self, location: Option<&str>, path: &str, message: &str) {
        assert_eq!(self.landing(location), (path.to_owned(), Some(message.to_owned()), vec![]), "{location:?}");
    }

    pub async fn finish(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        self.state.db.close().await;
        self.db.drop_database().await;
    }
}

/// Polls `f` for up to 10 seconds until it gives something.
pub async fn wait_for<T>(mut f: impl FnMut() -> Option<T>) -> Option<T> {
    for _ in 0..200 {
        if let Some(found) = f() {
            return Some(found);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    None
}

/// One email as a person would read it.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl Mail {
    pub fn parse(raw: &[u8]) -> Mail {
        Mail::try_parse(raw).expect("a whole email")
    }

    /// `None` for anything but a whole message (recipient, subject, and both bodies: the HTML
    /// part comes last, so a message still being written has none yet).
    pub fn try_parse(raw: &[u8]) -> Option<Mail> {
        let message = mail_parser::MessageParser::default().parse(raw)?;
        let to = message.to()?.first()?.address()?.to_owned();
        Some(Mail {
            to,
            subject: message.subject()?.to_owned(),
            text: message.body_text(0)?.into_owned(),
            html: message.body_html(0)?.into_owned(),
        })
    }

    /// The path and query of the link in the text body that leads to `route`
    /// (`/reset-password?token=…`).
    pub fn link_to(&self, route: &str) -> String {
        let at = self.text.find(&format!("{route}?token=")).unwrap_or_else(|| panic!("no {route} link in {}", self.text));
        self.text[at..].split_whitespace().next().unwrap().to_owned()
    }
}

/// A real SMTP server on 127.0.0.1 (mailin-embedded) for one test: keeps every message it
/// accepts.
pub struct SmtpServer {
    pub url: String,
    received: Arc<std::sync::Mutex<Vec<Vec<u8>>>>,
}

#[derive(Clone)]
struct Collect {
    received: Arc<std::sync::Mutex<Vec<Vec<u8>>>>,
    current: Vec<u8>,
}

impl mailin_embedded::Handler for Collect {
    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, _to: &[String]) -> mailin_embedded::Response {
        self.current.clear();
        mailin_embedded::response::OK
    }
    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.current.extend_from_slice(buf);
        Ok(())
    }
    fn data_end(&mut self) -> mailin_embedded::Response {
        self.received.lock().unwrap().push(std::mem::take(&mut self.current));
        mailin_embedded::response::OK
    }
}

impl SmtpServer {
    pub fn start() -> SmtpServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind SMTP");
        let url = format!("smtp://{}", listener.local_addr().unwrap());
        let received = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut server = mailin_embedded::Server::new(Collect { received: received.clone(), current: vec![] });
        server.with_name("mail.test").with_num_threads(2).with_tcp_listener(listener);
        // The server blocks for good: it ends with the test process.
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        SmtpServer { url, received }
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.received.lock().unwrap().iter().map(|raw| Mail::parse(raw)).collect()
    }

    /// Waits (up to 10 s) until `n` messages arrived; returns them.
    pub async fn wait_for(&self, n: usize) -> Vec<Mail> {
        wait_for(|| { let mails = self.mails(); (mails.len() >= n).then_some(mails) }).await
            .unwrap_or_else(|| panic!("expected {n} mails over SMTP, got {:?}", self.mails()))
    }
}

pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
    /// The body's length as it came over the wire (compressed, when it was).
    pub wire_bytes: usize,
}

impl Response {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    pub fn location(&self) -> Option<&str> {
        self.headers.get("location").and_then(|v| v.to_str().ok())
    }
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect()
    }
}

/// One browser on one device: its own cookie and User-Agent, talking to the app like our own
/// pages do (same origin, form-encoded server function calls).
pub struct Device {
    client: reqwest::Client,
    base: String,
    origin: String,
    pub user_agent: String,
    pub cookie: Option<String>,
    /// The device cookie the app gave this browser at its first sign-in.
    pub device_token: Option<String>,
    /// A half-finished log-in (second factor due).
    pub pending: Option<String>,
    /// The token of the emailed link this browser followed last.
    pub link: Option<String>,
    pub extra_headers: Vec<(String, String)>,
}

impl Device {
    fn new(app: &TestApp, user_agent: &str) -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .unwrap();
        Device {
            client,
            base: app.url(""),
            origin: app.origin(),
            user_agent: user_agent.to_owned(),
            cookie: None,
            device_token: None,
            pending: None,
            link: None,
            extra_headers: vec![],
        }
    }

    /// The public id of this device's session (the part of the cookie before the dot).
    pub fn session_id(&self) -> String {
        let value = self.cookie.as_deref().expect("signed in");
        value.split_once('.').unwrap().0.to_owned()
    }

    pub fn cookie_value(&self) -> Option<String> {
        self.cookie.clone()
    }

    /// The same browser in another tab: its own connection, the same cookies.
    pub fn clone_session(&self) -> Device {
        Device {
            client: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).timeout(std::time::Duration::from_secs(30)).build().unwrap(),
            base: self.base.clone(),
            origin: self.origin.clone(),
            user_agent: self.user_agent.clone(),
            cookie: self.cookie.clone(),
            device_token: self.device_token.clone(),
            pending: self.pending.clone(),
            link: self.link.clone(),
            extra_headers: self.extra_headers.clone(),
        }
    }

    fn remember(&mut self, res: &reqwest::Response) {
        for header in res.headers().get_all("set-cookie") {
            let header = header.to_str().unwrap();
            let (pair, _) = header.split_once(';').unwrap_or((header, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if name == "session" || name == "__Host-session" {
                self.cookie = (!value.is_empty()).then(|| value.to_owned());
            }
            if name == "device" || name == "__Host-device" {
                self.device_token = (!value.is_empty()).then(|| value.to_owned());
            }
            if name == "pending" || name == "__Host-pending" {
                self.pending = (!value.is_empty()).then(|| value.to_owned());
            }
            if name == "link" || name == "__Host-link" {
                self.link = (!value.is_empty()).then(|| value.to_owned());
            }
        }
    }

    pub async fn request(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<String>,
    ) -> Response {
        let mut req = self.client.request(method, format!("{}{}", self.base, path)).header("user-agent", &self.user_agent);
        let cookies: Vec<String> =
            [("session", &self.cookie), ("device", &self.device_token), ("pending", &self.pending), ("link", &self.link)]
            .into_iter()
            .filter_map(|(name, value)| value.as_ref().map(|v| format!("{name}={v}")))
            .collect();
        if !cookies.is_empty() {
            req = req.header("cookie", cookies.join("; "));
        }
        for (k, v) in &self.extra_headers {
            req = req.header(k, v);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(body) = body {
            req = req.body(body);
        }
        let res = req.send().await.unwrap_or_else(|e| panic!("{path}: {e}"));
        self.remember(&res);
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.bytes().await.unwrap_or_default();
        let body = String::from_utf8_lossy(&bytes).into_owned();
        Response { status, headers, body, wire_bytes: bytes.len() }
    }

    pub async fn get(&mut self, path: &str) -> Response {
        self.request(Method::GET, path, &[], None).await
    }

    /// A server function call as the Leptos client makes it (JavaScript on).
    pub async fn form(&mut self, path: &str, fields: &[(&str, &str)]) -> Response {
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let origin = self.origin.clone();
        self.request(
            Method::POST,
            path,
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("accept", "application/json"),
                ("origin", &origin),
                ("sec-fetch-site", "same-origin"),
            ],
            Some(body),
        )
        .await
    }

    /// A plain HTML form post (JavaScript off), sent from the page `from`.
    pub async fn html_form(&mut self, path: &str, from: &str, fields: &[(&str, &str)]) -> Response {
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let origin = self.origin.clone();
        let referer = format!("{}{}", self.base, from);
        self.request(
            Method::POST,
            path,
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("accept", "text/html,application/xhtml+xml"),
                ("origin", &origin),
                ("sec-fetch-site", "same-origin"),
                ("referer", &referer),
            ],
            Some(body),
        )
        .await
    }

    pub async fn list(&mut self) -> Response {
        self.form("/api/sessions/list", &[]).await
    }

    /// The ids of the sessions the list shows, in order.
    pub async fn session_ids(&mut self) -> Vec<String> {
        let res = self.list().await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        res.json()["sessions"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap().to_owned()).collect()
    }

    pub async fn log_in(&mut self, email: &str) -> Response {
        self.form("/api/login", &[("email", email), ("password", PASSWORD)]).await
    }

    /// Whether the device is signed in, as a signed-in page sees it.
    pub async fn is_signed_in(&mut self) -> bool {
        let res = self.get("/active-sessions").await;
        match res.status {
            StatusCode::OK => true,
            StatusCode::SEE_OTHER => false,
            other => panic!("unexpected status {other}: {}", res.body),
        }
    }
}

/// What the tests read of the app's state, through the app's own services (or, for what no
/// service shows, a plain query).
impl TestApp {
    /// The account of the session `device` holds.
    pub async fn user_of(&self, device: &Device) -> i64 {
        self.state.sessions.find(&device.session_id()).await.unwrap().expect("a live session").user_id
    }

    /// The account with `email`.
    pub async fn user_id(&self, email: &str) -> i64 {
        self.state.admin.target_by_email(email).await.unwrap().expect("an account").user_id
    }

    /// Whether the session row `id` is still there.
    pub async fn session_exists(&self, id: &str) -> bool {
        self.state.sessions.find(id).await.unwrap().is_some()
    }

    pub async fn events(&self, user_id: i64, kind: active_sessions::identity::model::EventKind) -> i64 {
        self.state.security_log.count(user_id, kind).await.unwrap()
    }

    /// The base32 secret of the account's authenticator app.
    pub async fn totp_secret(&self, user_id: i64) -> String {
        active_sessions::db_read!(&self.state.db, |pool| {
            sqlx::query_scalar("SELECT secret FROM totp WHERE user_id = $1").bind(user_id).fetch_one(pool).await
        })
        .expect("an authenticator app is set up")
    }

    /// The code the account's app shows now (the app clock is the test's clock), `steps` steps off.
    pub async fn app_code(&self, user_id: i64, steps: i64) -> String {
        use active_sessions::infra::clock::Clock;
        let at = self.clock.now_ms() / 1000 + steps * 30;
        active_sessions::identity::account::authenticator_code(&self.totp_secret(user_id).await, at as u64).unwrap()
    }
}

/// The setup key the two-factor set-up page shows (its "Setup key" field), without spaces.
pub fn setup_key_in(html: &str) -> String {
    let field = html.split("id=\"setup-key\"").nth(1).expect("a Setup key field");
    let value = field.split("value=\"").nth(1).expect("with a value");
    value.split('"').next().unwrap().replace(' ', "")
}

/// The recovery codes a page shows (`<code>xxxxx-xxxxx</code>`).
pub fn recovery_codes_in(html: &str) -> Vec<String> {
    html.split("<code>")
        .skip(1)
        .filter_map(|s| s.split_once("</code>").map(|(code, _)| code.to_owned()))
        .filter(|c| c.len() == 11 && c.as_bytes()[5] == b'-')
        .collect()
}

impl TestApp {
    /// Turns the authenticator app on for `device`'s account through the pages, as a person
    /// would (with the password, in case it is due); returns the recovery codes as shown once.
    pub async fn turn_on_two_factor(&self, device: &mut Device) -> Vec<String> {
        let res = device.form("/api/two_factor/begin", &[("password", PASSWORD)]).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        let page = device.get("/settings/two-factor").await;
        assert!(page.body.contains("Setup key") && page.body.contains("<svg"), "the setup page shows the key and the QR code");
        let secret = setup_key_in(&page.body);
        use active_sessions::infra::clock::Clock;
        let code = active_sessions::identity::account::authenticator_code(&secret, (self.clock.now_ms() / 1000) as u64).unwrap();
        let res = device.form("/api/two_factor/enable", &[("code", &code)]).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        let codes = recovery_codes_in(&device.get("/settings/two-factor/recovery-codes").await.body);
        assert_eq!(codes.len(), 10, "the page shows ten recovery codes");
        // The codes move on: the next step of the clock, so the first code is spent.
        self.clock.advance(std::time::Duration::from_secs(30));
        codes
    }
}

/// The strings a query returns (the first column of every row), on either database.
pub async fn sqlx_strings(app: &TestApp, sql: &str) -> Vec<String> {
    active_sessions::db_read!(&app.state.db, |pool| sqlx::query_scalar(sql).fetch_all(pool).await).unwrap()
}

/// The server binary in its own process on the database at a URL (so that it can be killed
/// with SIGKILL mid-flight), with generous throttles and any extra environment.
pub struct ServerProcess {
    child: std::process::Child,
    pub base: String,
}

impl ServerProcess {
    pub async fn start(url: &str, env: &[(&str, &str)]) -> ServerProcess {
        use std::{process::{Command, Stdio}, time::{Duration, Instant}};
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(env!("CARGO_BIN_EXE_active-sessions"))
            .env_clear()
            .env("DATABASE_URL", url)
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("LOGIN_MAX_FAILURES_PER_IP", "100000")
            .env("SIGNUP_MAX_PER_IP", "100000")
            .env("LOGIN_MAX_FAILURES_PER_EMAIL", "100000")
            .env("MAX_SESSIONS_PER_USER", "10000")
            .env("MAIL_OUTBOX", std::env::temp_dir().join(format!("as-crash-outbox-{port}")))
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while !reqwest::get(format!("{base}/healthz")).await.is_ok_and(|r| r.status() == StatusCode::OK) {
            assert!(started.elapsed() < Duration::from_secs(30), "the server did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        ServerProcess { child, base }
    }

    /// SIGKILL: no shutdown, no flushing, whatever is in flight.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

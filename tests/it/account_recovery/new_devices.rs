//! New-device verification (SECURITY.md, third round): with it on, a password-only sign-in
//! from a browser that never signed in to an account without a second factor needs a code
//! emailed to the account — single use, 10 minutes, throttled, race-tested — before any session
//! exists. And nothing an anonymous client can make grows without bound.

use crate::support::*;
use active_sessions::infra::{clock::Clock, config::Toggle};
use reqwest::StatusCode;
use std::time::Duration;

fn verifying(c: &mut active_sessions::infra::config::Config) {
    c.new_device_verification = Toggle::On;
}

/// The 6-digit code of the newest sign-in code mail to `email` (the `n`th).
async fn emailed_code(app: &TestApp, email: &str, n: usize) -> String {
    let mail = wait_for(|| app.outbox_mails().into_iter().filter(|m| m.to == email && m.subject.starts_with("Your sign-in code")).nth(n - 1))
        .await
        .expect("a sign-in code mail");
    mail.subject.rsplit(' ').next().unwrap().to_owned()
}

/// A log-in with the right password from a new browser: it stops at "Check your email".
async fn stopped_at_the_code(app: &TestApp, email: &str) -> Device {
    let mut device = app.device(FIREFOX_WINDOWS);
    let res = device.log_in(email).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.location(), Some("/login/verify"));
    assert!(device.cookie.is_none() && device.pending.is_some(), "no session before the code");
    device
}

async fn sessions_of(app: &TestApp, user_id: i64) -> usize {
    app.state.sessions.list(user_id).await.unwrap().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_browser_needs_the_emailed_code_sqlite() {
    bounded(verification_rules(Backend::Sqlite)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_browser_needs_the_emailed_code_postgres() {
    bounded(verification_rules(Backend::Postgres)).await
}

async fn verification_rules(backend: Backend) {
    let Some(app) = TestApp::start(backend, verifying).await else { return };
    let (owner, email) = app.signed_up(CHROME_MAC).await;
    let user_id = app.user_of(&owner).await;
    let mut thief = stopped_at_the_code(&app, &email).await;
    let page = thief.get("/login/verify").await;
    assert!(page.body.contains("Check your email") && page.body.contains("Verification code"));
    for path in ["/active-sessions", "/settings/account"] {
        assert_eq!(thief.get(path).await.status, StatusCode::SEE_OTHER, "the pending state opens nothing: {path}");
    }
    let code = emailed_code(&app, &email, 1).await;
    assert_eq!(code.len(), 6);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let res = thief.form("/api/login/verify", &[("code", wrong)]).await;
    assert_eq!((res.status, res.body.as_str()), (StatusCode::UNAUTHORIZED, "wrong_code"));
    assert_eq!(sessions_of(&app, user_id).await, 1, "no session yet");
    let res = thief.form("/api/login/verify", &[("code", &code)]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(thief.is_signed_in().await);
    // Once.
    let mut replay = app.device(FIREFOX_WINDOWS);
    replay.pending = thief.pending.clone();
    assert_eq!(replay.form("/api/login/verify", &[("code", &code)]).await.status, StatusCode::UNAUTHORIZED);
    // A browser that signed in before is not asked again.
    let mut known = app.device(FIREFOX_WINDOWS);
    known.device_token = thief.device_token.clone();
    let res = known.log_in(&email).await;
    assert_eq!(res.location(), Some("/active-sessions"), "a known browser signs in at once");
    // Ten minutes, no more.
    let mut late = stopped_at_the_code(&app, &email).await;
    let late_code = emailed_code(&app, &email, 2).await;
    app.clock.advance(Duration::from_secs(10 * 60 + 1));
    assert_eq!(late.form("/api/login/verify", &[("code", &late_code)]).await.body, "login_expired");
    // Guessing is throttled: a few wrong codes, then 429.
    let mut guesser = stopped_at_the_code(&app, &email).await;
    let budget = app.state.config.login_max_failures_per_device;
    let mut statuses = Vec::new();
    for i in 0..budget + 2 {
        statuses.push(guesser.form("/api/login/verify", &[("code", &format!("{:06}", 100_000 + i))]).await.status);
    }
    assert!(statuses[..budget as usize].iter().all(|s| *s == StatusCode::UNAUTHORIZED), "{statuses:?}");
    assert!(statuses[budget as usize..].iter().all(|s| *s == StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
    app.finish().await;
}

// A burst of requests with the right code, from the browser that holds the pending log-in:
// exactly one session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_right_codes_makes_one_session() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        bounded(async {
            let Some(app) = TestApp::start(backend, verifying).await else { return };
            let (owner, email) = app.signed_up(CHROME_MAC).await;
            let user_id = app.user_of(&owner).await;
            let pending = stopped_at_the_code(&app, &email).await;
            let code = emailed_code(&app, &email, 1).await;
            let answers = futures::future::join_all((0..16).map(|_| {
                let mut tab = pending.clone_session();
                let code = code.clone();
                async move { tab.form("/api/login/verify", &[("code", &code)]).await.status }
            }))
            .await;
            assert_eq!(answers.iter().filter(|s| **s == StatusCode::OK).count(), 1, "{answers:?}");
            assert_eq!(sessions_of(&app, user_id).await, 2, "the owner's and one more");
            app.finish().await;
        })
        .await;
    }
}

// An account with a second factor is asked for it instead, and off means off.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_factor_or_the_setting_decides() {
    bounded(async {
        let Some(app) = TestApp::start(Backend::Sqlite, verifying).await else { return };
        let (mut owner, email) = app.signed_up(CHROME_MAC).await;
        app.turn_on_two_factor(&mut owner).await;
        let mut new = app.device(FIREFOX_WINDOWS);
        assert_eq!(new.log_in(&email).await.location(), Some("/login/two-factor"), "the second factor decides");
        app.finish().await;
        let Some(app) = TestApp::start(Backend::Sqlite, |c| c.new_device_verification = Toggle::Off).await else { return };
        let (_, email) = app.signed_up(CHROME_MAC).await;
        assert_eq!(app.device(FIREFOX_WINDOWS).log_in(&email).await.location(), Some("/active-sessions"));
        assert!(!app.state.config.verifies_new_devices());
        app.finish().await;
        // Auto: on exactly when mail is configured.
        let mut config = active_sessions::infra::config::Config::defaults();
        assert!(!config.verifies_new_devices());
        config.smtp_url = Some("smtp://127.0.0.1:25".into());
        assert!(config.verifies_new_devices());
    })
    .await
}

/// Every row in the database, summed over its tables.
async fn rows(app: &TestApp) -> i64 {
    let tables = match &app.state.db {
        active_sessions::infra::db::Db::Sqlite { .. } => {
            sqlx_strings(app, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%'").await
        }
        active_sessions::infra::db::Db::Postgres(_) => {
            sqlx_strings(app, "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' AND table_name NOT LIKE '_sqlx%'").await
        }
    };
    let mut total = 0;
    for table in tables {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        let n: i64 = active_sessions::db_read!(&app.state.db, |pool| sqlx::query_scalar(&sql).fetch_one(pool).await).unwrap();
        total += n;
    }
    total
}

// 300 anonymous requests from one client to any endpoint leave at most 50 new rows in all, and
// the clean-up takes every expired kind away again. (Served under a domain name, so passkey
// sign-ins can begin.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_floods_leave_bounded_rows_sqlite() {
    bounded(flood(Backend::Sqlite)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_floods_leave_bounded_rows_postgres() {
    bounded(flood(Backend::Postgres)).await
}

async fn flood(backend: Backend) {
    let on_a_domain = |c: &mut active_sessions::infra::config::Config| {
        c.public_url = Some(url::Url::parse(&format!("http://localhost:{}", c.site_addr.port())).unwrap());
    };
    let Some(app) = TestApp::start(backend, on_a_domain).await else { return };
    {
        let (_, email) = app.signed_up(CHROME_MAC).await;
        let floods: Vec<(&str, Box<dyn Fn(usize) -> Vec<(String, String)>>)> = vec![
            ("/api/login", Box::new(|i| vec![("email".into(), format!("ghost-{i}@example.com")), ("password".into(), "not the password".into())])),
            ("/api/login", Box::new(|i| vec![("email".into(), email.clone()), ("password".into(), format!("guess {i}"))])),
            ("/api/signup", Box::new(|i| vec![("email".into(), format!("flood-{i}-{}@example.com", uuid_like())), ("password".into(), PASSWORD.into())])),
            ("/api/password_reset/request", Box::new(|i| vec![("email".into(), if i % 2 == 0 { email.clone() } else { format!("nobody-{i}@example.com") })])),
            ("/api/passkeys/sign_in_start", Box::new(|_| vec![])),
            ("/api/login/verify", Box::new(|i| vec![("code".into(), format!("{:06}", i))])),
            ("/api/login/code", Box::new(|i| vec![("code".into(), format!("{:06}", i))])),
            ("/api/password_reset/finish", Box::new(|_| vec![("new_password".into(), "a fine new passphrase".into())])),
            ("/api/verify_email/finish", Box::new(|_| vec![])),
        ];
        let baseline = rows(&app).await;
        for (path, fields) in &floods {
            let before = rows(&app).await;
            let mut client = app.device(FIREFOX_WINDOWS);
            for i in 0..300 {
                let body: Vec<(String, String)> = fields(i);
                let pairs: Vec<(&str, &str)> = body.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                let res = client.form(path, &pairs).await;
                assert!(res.status != StatusCode::INTERNAL_SERVER_ERROR, "{path}: {}", res.body);
                client.cookie = None;
                client.pending = None;
            }
            let grown = rows(&app).await - before;
            assert!(grown <= 50, "{path}: 300 anonymous requests left {grown} new rows");
        }
        let started = app.device(FIREFOX_WINDOWS).form("/api/passkeys/sign_in_start", &[]).await;
        assert_eq!(started.status, StatusCode::TOO_MANY_REQUESTS, "passkey sign-ins begin (then are throttled): {}", started.body);
        // The clean-up purges what ran out (sessions the sign-ups made are real accounts').
        app.clock.advance(app.state.config.login_failure_window + Duration::from_secs(31 * 60));
        app.state.credentials.throttle.purge(app.clock.now_ms()).await.unwrap();
        app.state.sign_in.purge_expired().await.unwrap();
        let left = sqlx_strings(&app, "SELECT key FROM attempts").await;
        assert!(left.is_empty(), "attempts left: {left:?}");
        for table in ["pending_logins", "webauthn_ceremonies", "email_links", "recovery_reveals", "totp_setups"] {
            assert!(sqlx_strings(&app, &format!("SELECT CAST(expires_at AS TEXT) FROM {table}")).await.is_empty(), "{table} purged");
        }
        assert!(rows(&app).await >= baseline);
    }
    app.finish().await;
}

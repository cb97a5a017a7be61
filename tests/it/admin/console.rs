//! Administrators (SECURITY.md 7.4.5 / 8.2.1), over HTTP on each database, and the operator's
//! command line against a running server.

use crate::support::*;
use active_sessions::identity::model::EventKind;
use reqwest::StatusCode;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_active-sessions");

/// Every server function of the console, with arguments a real call would carry.
const ADMIN_FUNCTIONS: &[&str] = &[
    "/api/admin/overview",
    "/api/admin/users",
    "/api/admin/user",
    "/api/admin/end_sessions",
    "/api/admin/suspend",
    "/api/admin/sign_out_everyone",
    "/api/admin/log",
];

const ADMIN_PAGES: &[&str] = &["/admin", "/admin/users", "/admin/users/1", "/admin/log"];

async fn user_id(app: &TestApp, email: &str) -> i64 {
    app.user_id(email).await
}

/// A new account made an administrator (as `admin grant` does).
async fn administrator(app: &TestApp) -> (Device, String) {
    let (device, email) = app.signed_up(CHROME_MAC).await;
    app.state.admin.grant(&email).await.unwrap().expect("an account");
    (device, email)
}

/// A page's body with its per-request parts (the CSP nonce, which Leptos also writes into
/// `crossorigin`) taken out.
fn comparable(body: &str) -> String {
    let mut text = body.to_owned();
    for attribute in ["nonce=\"", "crossorigin=\""] {
        let mut out = String::new();
        let mut rest = text.as_str();
        while let Some(at) = rest.find(attribute) {
            out.push_str(&rest[..at]);
            rest = &rest[at + attribute.len()..];
            rest = &rest[rest.find('"').map_or(rest.len(), |e| e + 1)..];
        }
        out.push_str(rest);
        text = out;
    }
    text
}

backend_tests! {
    // 8.2.1: a non-admin (signed in) gets, for every admin page and server function, exactly
    // the answer for something that does not exist.
    async fn the_console_does_not_exist_for_others(app: TestApp) {
        let (mut user, _) = app.signed_up(FIREFOX_WINDOWS).await;
        let unknown = user.form("/api/admin/no_such_function", &[("user_id", "1")]).await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
        for path in ADMIN_FUNCTIONS {
            let res = user.form(path, &[("user_id", "1"), ("query", "a"), ("reason", "r"), ("confirmation", "SIGN OUT EVERYONE")]).await;
            assert_eq!((res.status, res.body.as_str()), (unknown.status, unknown.body.as_str()), "{path}");
            let mut names: Vec<&str> = res.headers.keys().map(|k| k.as_str()).collect();
            let mut expected: Vec<&str> = unknown.headers.keys().map(|k| k.as_str()).collect();
            names.sort();
            expected.sort();
            assert_eq!(names, expected, "{path}: the same headers");
        }
        let missing = user.get("/no/such/page").await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        for page in ADMIN_PAGES {
            let res = user.get(page).await;
            assert_eq!(res.status, missing.status, "{page}");
            assert_eq!(comparable(&res.body), comparable(&missing.body), "{page}: the same page");
        }
        assert!(!user.get("/active-sessions").await.body.contains("Administration"), "no hint in the sidebar");
    }

    // 7.4.5: an administrator ends one user's session with a reason; that device is told so,
    // the user sees it in their activity, and the admin log has who, whom, what, why, where.
    async fn an_administrator_ends_a_users_session(app: TestApp) {
        let (mut admin, admin_email) = administrator(&app).await;
        assert!(admin.get("/active-sessions").await.body.contains("Administration"));
        let (mut victim, victim_email) = app.signed_up(FIREFOX_WINDOWS).await;
        let victim_id = user_id(&app, &victim_email).await;
        let found = admin.form("/api/admin/users", &[("query", &victim_email[..10])]).await;
        assert_eq!(found.status, StatusCode::OK, "{}", found.body);
        assert!(found.body.contains(&victim_email));
        let res = admin.form("/api/admin/end_sessions", &[("user_id", &victim_id.to_string()), ("session", &victim.session_id()), ("reason", "  ")]).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "a reason is needed");
        let res = admin
            .form("/api/admin/end_sessions", &[("user_id", &victim_id.to_string()), ("session", &victim.session_id()), ("reason", "Reported as stolen")])
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        let next = victim.get("/active-sessions").await;
        app.lands(next.location(), "/login", "signed_out:admin");
        let page = victim.get(next.location().unwrap()).await;
        assert!(page.body.contains("Your session was ended by an administrator"));
        let seen = app.state.security_log.page(victim_id, 10, 0).await.unwrap();
        assert!(seen.iter().any(|e| e.kind == EventKind::SessionsEndedByAdmin && e.detail.as_deref() == Some("Reported as stolen")));
        assert!(!seen.iter().any(|e| e.detail.as_deref().is_some_and(|d| d.contains(&admin_email))), "the admin is not named");
        let log = app.state.admin.log_page(10, 0).await.unwrap();
        let entry = &log[0];
        assert_eq!((entry.admin.as_str(), entry.target.as_deref(), entry.action.as_str(), entry.reason.as_str()), (admin_email.as_str(), Some(victim_email.as_str()), "end_session", "Reported as stolen"));
        assert_eq!(entry.ip, "127.0.0.1");
    }

    async fn suspension_ends_sessions_and_refuses_sign_in(app: TestApp) {
        let (mut admin, _) = administrator(&app).await;
        let (mut victim, email) = app.signed_up(FIREFOX_WINDOWS).await;
        let id = user_id(&app, &email).await.to_string();
        let res = admin.form("/api/admin/suspend", &[("user_id", &id), ("suspend", "on"), ("reason", "Fraud investigation")]).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert!(!victim.is_signed_in().await);
        let res = app.device(FIREFOX_WINDOWS).log_in(&email).await;
        assert_eq!((res.status, res.body.as_str()), (StatusCode::FORBIDDEN, "suspended"));
        let res = app.device(FIREFOX_WINDOWS).form("/api/login", &[("email", &email), ("password", "a wrong password")]).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "a wrong password learns nothing about the suspension");
        let res = admin.form("/api/admin/suspend", &[("user_id", &id), ("reason", "Cleared")]).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert_eq!(app.device(FIREFOX_WINDOWS).log_in(&email).await.status, StatusCode::OK);
    }

    async fn signing_everyone_out_keeps_the_administrators_session(app: TestApp) {
        let (mut admin, admin_email) = administrator(&app).await;
        let mut others = Vec::new();
        for _ in 0..3 {
            others.push(app.signed_up(FIREFOX_WINDOWS).await.0);
        }
        let mut admin_phone = app.device(FIREFOX_WINDOWS);
        admin_phone.log_in(&admin_email).await;
        let res = admin.form("/api/admin/sign_out_everyone", &[("confirmation", "sign out"), ("reason", "Breach")]).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "the typed confirmation must match");
        let res = admin.form("/api/admin/sign_out_everyone", &[("confirmation", "SIGN OUT EVERYONE"), ("reason", "Breach")]).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert_eq!(res.body, "4", "three accounts and the admin's other device");
        assert!(admin.is_signed_in().await);
        assert!(!admin_phone.is_signed_in().await);
        for mut other in others {
            assert!(!other.is_signed_in().await);
        }
    }

    // Admin actions need a recent password, and the second factor when the admin has one.
    async fn admin_actions_need_a_recent_password_and_the_second_factor(app: TestApp) {
        let (mut admin, _) = administrator(&app).await;
        let (_, email) = app.signed_up(FIREFOX_WINDOWS).await;
        let id = user_id(&app, &email).await.to_string();
        app.clock.advance(app.state.config.reauth_window + Duration::from_secs(1));
        let res = admin.form("/api/admin/end_sessions", &[("user_id", &id), ("reason", "Check")]).await;
        assert_eq!((res.status, res.body.as_str()), (StatusCode::FORBIDDEN, "reauth_required"));
        let res = admin.form("/api/admin/end_sessions", &[("user_id", &id), ("reason", "Check"), ("password", PASSWORD)]).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        // With 2FA on, a password-only session may not act.
        app.turn_on_two_factor(&mut admin).await;
        let res = admin.form("/api/admin/end_sessions", &[("user_id", &id), ("reason", "Check")]).await;
        assert_eq!((res.status, res.body.as_str()), (StatusCode::FORBIDDEN, "second_factor_required"));
    }

    // The operator's command line ends sessions in another process; the running server
    // refuses them on their very next request (SQLite: through its cache too).
    async fn command_line_endings_are_honoured_at_once(app: TestApp) {
        let (mut victim, email) = app.signed_up(FIREFOX_WINDOWS).await;
        let session = victim.session_id();
        assert!(victim.is_signed_in().await, "cached now, on SQLite");
        let out = std::process::Command::new(BIN)
            .env_clear()
            .env("DATABASE_URL", &app.db.url)
            .args(["sessions", "end", "--user", &email, "--reason", "Operator cleanup"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), format!("ended 1 session(s) of {email}"));
        assert!(!victim.is_signed_in().await, "the very next request");
        assert!(!app.session_exists(&session).await);
        let list = std::process::Command::new(BIN).env_clear().env("DATABASE_URL", &app.db.url).args(["admin", "grant", &email]).output().unwrap();
        assert!(list.status.success());
        let list = std::process::Command::new(BIN).env_clear().env("DATABASE_URL", &app.db.url).args(["admin", "list"]).output().unwrap();
        assert!(String::from_utf8_lossy(&list.stdout).starts_with(&email));
        let log = app.state.admin.log_page(1, 0).await.unwrap();
        assert_eq!((log[0].admin.as_str(), log[0].reason.as_str()), ("operator (command line)", "Operator cleanup"));
    }
}

/// A user sees an administrator's action with its reason, and never the administrator's
/// address or place (the admin log keeps them).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_see_the_reason_never_the_administrators_place() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        bounded(async {
            let Some(app) = TestApp::start(backend, |c| c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()]).await else { return };
            let (mut admin, _) = administrator(&app).await;
            // The administrator works from London (through the trusted proxy).
            admin.extra_headers.push(("x-forwarded-for".into(), "81.2.69.142".into()));
            let (mut victim, email) = app.signed_up(FIREFOX_WINDOWS).await;
            let id = user_id(&app, &email).await.to_string();
            let mut phone = app.device(FIREFOX_WINDOWS);
            phone.log_in(&email).await;
            let res = admin.form("/api/admin/end_sessions", &[("user_id", &id), ("session", &phone.session_id()), ("reason", "Lost phone")]).await;
            assert_eq!(res.status, StatusCode::OK, "{}", res.body);
            let res = admin.form("/api/admin/suspend", &[("user_id", &id), ("suspend", "on"), ("reason", "Fraud investigation")]).await;
            assert_eq!(res.status, StatusCode::OK, "{}", res.body);
            let res = admin.form("/api/admin/suspend", &[("user_id", &id), ("reason", "Cleared")]).await;
            assert_eq!(res.status, StatusCode::OK, "{}", res.body);
            assert_eq!(victim.log_in(&email).await.status, StatusCode::OK);
            let activity = victim.get("/settings/security").await.body;
            assert!(activity.contains("Fraud investigation") && activity.contains("Lost phone"), "the reasons are shown");
            assert!(!activity.contains("81.2.69.142") && !activity.contains("London"), "never the administrator's place");
            let log = app.state.admin.log_page(10, 0).await.unwrap();
            assert!(log.iter().all(|l| l.ip == "81.2.69.142"), "the admin log keeps it");
            app.finish().await;
        })
        .await;
    }
}

//! SECURITY.md, one promise at a time (see docs/SECURITY-MAP.md for the index).

use crate::support::*;
use active_sessions::{
    db_read,
    identity::model::EventKind,
    infra::{
        clock::{Clock, duration_ms},
        config::Config,
        db::Db,
    },
};
use reqwest::{Method, StatusCode};
use std::time::Duration;

/// Rows in every table, and which sessions exist: "the database is unchanged".
async fn snapshot(db: &Db) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in ["users", "sessions", "session_endings", "security_events", "attempts"] {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        let n: i64 = db_read!(db, |pool| sqlx::query_scalar(&sql).fetch_one(pool).await).unwrap();
        counts.push(n);
    }
    counts
}

fn server_fn_paths() -> Vec<(String, reqwest::Method)> {
    let mut paths: Vec<_> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, method)| (path.to_owned(), reqwest::Method::from_bytes(method.as_str().as_bytes()).unwrap()))
        .collect();
    paths.sort_by(|a, b| a.0.cmp(&b.0));
    paths
}

#[test]
fn every_server_function_is_a_post_with_a_known_path() {
    let paths = server_fn_paths();
    let names: Vec<&str> = paths.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        names,
        [
            "/api/admin/end_sessions",
            "/api/admin/log",
            "/api/admin/overview",
            "/api/admin/sign_out_everyone",
            "/api/admin/suspend",
            "/api/admin/user",
            "/api/admin/users",
            "/api/change_password",
            "/api/delete_account",
            "/api/login",
            "/api/login/cancel",
            "/api/login/code",
            "/api/login/recovery_code",
            "/api/login/verify",
            "/api/logout",
            "/api/not_me/finish",
            "/api/not_me/status",
            "/api/passkeys/add_finish",
            "/api/passkeys/add_start",
            "/api/passkeys/list",
            "/api/passkeys/remove",
            "/api/passkeys/rename",
            "/api/passkeys/sign_in_finish",
            "/api/passkeys/sign_in_start",
            "/api/password_reset/finish",
            "/api/password_reset/request",
            "/api/password_reset/status",
            "/api/review",
            "/api/review/remove",
            "/api/security_activity",
            "/api/sessions/auto_sign_out",
            "/api/sessions/details",
            "/api/sessions/list",
            "/api/sessions/logout_others",
            "/api/sessions/not_me",
            "/api/sessions/rename",
            "/api/sessions/set_auto_sign_out",
            "/api/sessions/terminate",
            "/api/signup",
            "/api/two_factor/begin",
            "/api/two_factor/disable",
            "/api/two_factor/enable",
            "/api/two_factor/recovery_codes",
            "/api/two_factor/recovery_codes_saved",
            "/api/two_factor/status",
            "/api/verify_email/finish",
            "/api/verify_email/status",
            "/api/whoami",
        ]
    );
    // 3.5.3: no server function answers GET, so no state change is reachable by one.
    assert!(paths.iter().all(|(_, m)| m == Method::POST), "{paths:?}");
}

#[test]
fn documented_defaults_match_the_configuration() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let documented = |var: &str| -> String {
        let line = readme.lines().find(|l| l.starts_with(&format!("| `{var}` |"))).unwrap_or_else(|| panic!("{var} is documented"));
        line.split('|').nth(2).unwrap().trim().trim_matches('`').to_owned()
    };
    let config = Config::defaults();
    let duration = |s: String| humantime::parse_duration(&s).unwrap();
    assert_eq!(duration(documented("SESSION_IDLE_TIMEOUT")), config.session_idle_timeout);
    assert_eq!(duration(documented("SESSION_MAX_LIFETIME")), config.session_max_lifetime);
    assert_eq!(duration(documented("REAUTH_WINDOW")), config.reauth_window);
    assert_eq!(duration(documented("LOGIN_FAILURE_WINDOW")), config.login_failure_window);
    assert_eq!(documented("LOGIN_MAX_FAILURES_PER_EMAIL"), config.login_max_failures_per_email.to_string());
    assert_eq!(documented("LOGIN_MAX_FAILURES_PER_IP"), config.login_max_failures_per_ip.to_string());
    assert_eq!(documented("LOGIN_MAX_FAILURES_PER_DEVICE"), config.login_max_failures_per_device.to_string());
    assert_eq!(documented("SIGNUP_MAX_PER_IP"), config.signup_max_per_ip.to_string());
    assert_eq!(documented("HASH_QUEUE"), config.hash_queue.to_string());
    assert_eq!(documented("MAX_SESSIONS_PER_USER"), config.max_sessions_per_user.to_string());
    assert_eq!(documented("DATABASE_URL"), config.database_url);
}

backend_tests! {
    // 3.5.1 / 3.5.2: every server function refuses requests from other origins, and content
    // types it does not take; the database is unchanged after each refusal.
    async fn cross_site_requests_to_every_server_function_are_refused(app: TestApp) {
        let (mut victim, email) = app.signed_up(CHROME_MAC).await;
        let mut other = app.device(FIREFOX_WINDOWS);
        other.log_in(&email).await;
        let other_id = other.session_id();
        let cookie = victim.cookie.clone().unwrap();
        let bad_headers: Vec<Vec<(&str, String)>> = vec![
            vec![("sec-fetch-site", "cross-site".into())],
            vec![("sec-fetch-site", "same-site".into())],
            vec![("sec-fetch-site", "none".into())],
            vec![("origin", "http://evil.example".into())],
            vec![("origin", "null".into())],
            vec![],
            vec![("sec-fetch-site", "cross-site".into()), ("origin", app.origin())],
        ];
        let before = snapshot(&app.state.db).await;
        for (path, _) in server_fn_paths() {
            // Arguments that would succeed if the request were let through.
            let body = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs([
                    ("id", other_id.as_str()),
                    ("email", email.as_str()),
                    ("password", PASSWORD),
                    ("current_password", PASSWORD),
                    ("new_password", "a brand new passphrase"),
                ])
                .finish();
            for headers in &bad_headers {
                let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
                let mut req = client
                    .post(app.url(&path))
                    .header("cookie", format!("session={cookie}"))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(body.clone());
                for (k, v) in headers {
                    req = req.header(*k, v);
                }
                let res = req.send().await.unwrap();
                assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path} with {headers:?}");
            }
            // Our own origin, but a body a browser form could not send: refused too.
            for content_type in ["text/plain", "application/json", "multipart/form-data; boundary=x"] {
                let res = victim
                    .request(
                        Method::POST,
                        &path,
                        &[("content-type", content_type), ("sec-fetch-site", "same-origin")],
                        Some(body.clone()),
                    )
                    .await;
                assert_eq!(res.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{path} as {content_type}");
            }
            // A GET never reaches a server function.
            let res = victim.get(&format!("{path}?{body}")).await;
            assert!(res.status.is_client_error() || res.status == StatusCode::SEE_OTHER, "GET {path}: {}", res.status);
        }
        assert_eq!(snapshot(&app.state.db).await, before, "refused requests changed nothing");
        assert!(victim.is_signed_in().await && other.is_signed_in().await);
    }

    // 7.2.1: every signed-in page and server function, with no cookie or a forged one.
    async fn only_the_server_decides_who_is_signed_in(app: TestApp) {
        let (real, _) = app.signed_up(CHROME_MAC).await;
        let real_cookie = real.cookie.clone().unwrap();
        let (id, _) = real_cookie.split_once('.').unwrap();
        let forged_secret = format!("{id}.{}", "A".repeat(43));
        for cookie in [None, Some(forged_secret.clone()), Some(format!("{}.{}", "B".repeat(22), "C".repeat(43)))] {
            let mut device = app.device(CHROME_MAC);
            device.cookie = cookie.clone();
            for page in ["/active-sessions", "/settings/account", "/settings/security", "/active-sessions/end-others", &format!("/active-sessions/{id}/end")] {
                let res = device.get(page).await;
                assert_eq!(res.status, StatusCode::SEE_OTHER, "{page} with {cookie:?}");
                assert!(res.location().unwrap().starts_with("/login"));
                device.cookie = cookie.clone();
            }
            for path in ["/api/sessions/list", "/api/sessions/logout_others", "/api/whoami", "/api/security_activity", "/api/change_password", "/api/delete_account"] {
                let res = device
                    .form(path, &[("password", PASSWORD), ("current_password", PASSWORD), ("new_password", "x y z w v u t s")])
                    .await;
                assert!(matches!(res.status, StatusCode::UNAUTHORIZED | StatusCode::UNPROCESSABLE_ENTITY), "{path}: {}", res.status);
                device.cookie = cookie.clone();
            }
        }
        // The forged secret did not end the real session either.
        let mut real = real;
        assert!(real.is_signed_in().await);
    }

    // 7.2.2 / 7.2.3 / 7.2.4: fresh random tokens at every log-in; an attacker-chosen cookie
    // is never adopted (fixation).
    async fn log_in_never_reuses_a_cookie_the_browser_brought(app: TestApp) {
        let (_, email) = app.signed_up(CHROME_MAC).await;
        // The attacker plants a cookie they know: well-formed, or even one of their own sessions.
        let (attacker, _) = app.signed_up(FIREFOX_WINDOWS).await;
        let planted_own = attacker.cookie.clone().unwrap();
        let planted_made_up = format!("{}.{}", "Q".repeat(22), "R".repeat(43));
        for planted in [planted_made_up, planted_own.clone()] {
            let mut victim = app.device(CHROME_MAC);
            victim.cookie = Some(planted.clone());
            let res = victim.log_in(&email).await;
            assert_eq!(res.status, StatusCode::OK);
            let issued = victim.cookie.clone().unwrap();
            assert_ne!(issued, planted, "a new token is issued");
            assert_ne!(issued.split_once('.').unwrap().0, planted.split_once('.').unwrap().0, "with a new id");
            assert_eq!(issued.split_once('.').unwrap().1.len(), 43, "a 256-bit secret");
            let mut replay = app.device(CHROME_MAC);
            replay.cookie = Some(planted);
            assert!(!replay.is_signed_in().await, "the planted value is not signed in as the victim");
        }
    }

    // 7.3.1 / 7.3.2: idle and absolute timeouts, one second either side.
    async fn idle_and_absolute_timeouts(app: TestApp) {
        let idle = app.state.config.session_idle_timeout;
        let max = app.state.config.session_max_lifetime;
        let second = Duration::from_secs(1);

        let (mut device, _) = app.signed_up(CHROME_MAC).await;
        app.clock.advance(idle - second);
        assert!(device.is_signed_in().await, "valid one second before the idle timeout");
        app.clock.advance(idle + second);
        let res = device.get("/active-sessions").await;
        app.lands(res.location(), "/login", "signed_out:expired");

        // Kept active, still ended at the absolute lifetime.
        let (mut device, _) = app.signed_up(CHROME_MAC).await;
        let start = app.clock.now_ms();
        let step = idle / 2;
        while app.clock.now_ms() + duration_ms(step) < start + duration_ms(max) - 1000 {
            app.clock.advance(step);
            assert!(device.is_signed_in().await);
        }
        app.clock.set(start + duration_ms(max) - 1000);
        assert!(device.is_signed_in().await, "valid one second before the absolute lifetime");
        app.clock.set(start + duration_ms(max) + 1000);
        let res = device.get("/active-sessions").await;
        app.lands(res.location(), "/login", "signed_out:expired");
    }

    // 7.1.2: at the documented limit, signing in again ends the least recently active session.
    async fn the_session_limit_makes_room_by_ending_the_oldest(app: TestApp) {
        let limit = app.state.config.max_sessions_per_user as usize;
        let (mut first, email) = app.signed_up(CHROME_MAC).await;
        let mut devices = Vec::new();
        for _ in 1..limit {
            app.clock.advance(Duration::from_secs(61));
            let mut d = app.device(FIREFOX_WINDOWS);
            d.log_in(&email).await;
            devices.push(d);
        }
        assert_eq!(devices[0].session_ids().await.len(), limit);
        app.clock.advance(Duration::from_secs(61));
        let mut newest = app.device(FIREFOX_WINDOWS);
        newest.log_in(&email).await;
        assert_eq!(newest.session_ids().await.len(), limit, "still at the limit");
        let res = first.get("/active-sessions").await;
        app.lands(res.location(), "/login", "signed_out:limit");
        assert!(devices[0].is_signed_in().await);
    }

    // 7.4.2: deleting the account ends all of its sessions.
    async fn deleting_the_account_ends_every_session(app: TestApp) {
        let (mut a, email) = app.signed_up(CHROME_MAC).await;
        let mut others: Vec<Device> = Vec::new();
        for _ in 0..2 {
            let mut d = app.device(FIREFOX_WINDOWS);
            d.log_in(&email).await;
            others.push(d);
        }
        let wrong = a.form("/api/delete_account", &[("password", "not it at all")]).await;
        assert_eq!(wrong.status, StatusCode::FORBIDDEN);
        assert!(a.is_signed_in().await);
        let res = a.form("/api/delete_account", &[("password", PASSWORD)]).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        for mut d in others {
            let res = d.get("/active-sessions").await;
            app.lands(res.location(), "/login", "signed_out:account_deleted");
        }
        let counts = snapshot(&app.state.db).await;
        assert_eq!((counts[0], counts[1]), (0, 0), "no user, no session left");
        let res = app.device(CHROME_MAC).log_in(&email).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    }

    // 7.4.3: a password change can end all other sessions, keeping this one.
    async fn changing_the_password_can_end_the_other_sessions(app: TestApp) {
        let (mut a, email) = app.signed_up(CHROME_MAC).await;
        let mut b = app.device(FIREFOX_WINDOWS);
        b.log_in(&email).await;
        let res = a
            .form("/api/change_password", &[("current_password", "wrong one"), ("new_password", "new passphrase here")])
            .await;
        assert_eq!((res.status, res.body.as_str()), (StatusCode::FORBIDDEN, "wrong_password"));
        let res = a
            .form(
                "/api/change_password",
                &[("current_password", PASSWORD), ("new_password", "new passphrase here"), ("log_out_others", "on")],
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert!(a.is_signed_in().await);
        app.lands(b.get("/active-sessions").await.location(), "/login", "signed_out:password_changed");
        let res = app.device(CHROME_MAC).form("/api/login", &[("email", &email), ("password", "new passphrase here")]).await;
        assert_eq!(res.status, StatusCode::OK);
        let events = app.state.security_log.page(app.user_of(&a).await, 50, 0).await.unwrap();
        assert!(events.iter().any(|e| e.kind == EventKind::PasswordChanged));

        // Without the option, the others stay.
        let mut c = app.device(FIREFOX_WINDOWS);
        c.form("/api/login", &[("email", &email), ("password", "new passphrase here")]).await;
        assert!(c.is_signed_in().await);
        let res = a
            .form("/api/change_password", &[("current_password", "new passphrase here"), ("new_password", "third passphrase ok")])
            .await;
        assert_eq!(res.status, StatusCode::OK);
        assert!(c.is_signed_in().await);
    }

    // 7.4.4: the log-out button is on every signed-in page (server-rendered).
    async fn every_signed_in_page_has_log_out(app: TestApp) {
        let (mut a, email) = app.signed_up(CHROME_MAC).await;
        let mut b = app.device(FIREFOX_WINDOWS);
        b.log_in(&email).await;
        for page in ["/active-sessions", "/settings/account", "/settings/security", "/active-sessions/end-others", &format!("/active-sessions/{}/end", b.session_id())] {
            let res = a.get(page).await;
            assert_eq!(res.status, StatusCode::OK, "{page}");
            assert!(res.body.contains(r#"action="/api/logout""#) && res.body.contains(">Log out</button>"), "{page}");
        }
    }

    // 7.5.2: outside the window, ending other sessions asks for the password; logging out
    // this device never does.
    async fn ending_other_sessions_needs_a_recent_password(app: TestApp) {
        let window = app.state.config.reauth_window;
        let (mut a, email) = app.signed_up(CHROME_MAC).await;
        let mut b = app.device(FIREFOX_WINDOWS);
        b.log_in(&email).await;
        app.clock.advance(window + Duration::from_secs(1));
        assert!(a.is_signed_in().await);
        for path in ["/api/sessions/terminate", "/api/sessions/logout_others"] {
            let res = a.form(path, &[("id", &b.session_id())]).await;
            assert_eq!((res.status, res.body.as_str()), (StatusCode::FORBIDDEN, "reauth_required"), "{path}");
            let res = a.form(path, &[("id", &b.session_id()), ("password", "not the password")]).await;
            assert_eq!((res.status, res.body.as_str()), (StatusCode::FORBIDDEN, "wrong_password"), "{path}");
        }
        assert!(b.is_signed_in().await);
        let res = a.form("/api/sessions/terminate", &[("id", &b.session_id()), ("password", PASSWORD)]).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert!(!b.is_signed_in().await);
        // The window restarted with that password: the next ending asks nothing.
        let mut c = app.device(FIREFOX_WINDOWS);
        c.log_in(&email).await;
        let res = a.form("/api/sessions/logout_others", &[]).await;
        assert_eq!(res.status, StatusCode::OK);

        // Logging out the current session never asks.
        app.clock.advance(window * 2);
        let res = a.form("/api/sessions/terminate", &[("id", &a.session_id())]).await;
        assert_eq!(res.status, StatusCode::OK);
        assert!(!a.is_signed_in().await);
    }

    // 7.6.2: no GET creates a session (a GET may only clear a dead cookie).
    async fn no_get_creates_a_session(app: TestApp) {
        let before = snapshot(&app.state.db).await;
        let mut device = app.device(CHROME_MAC);
        for path in ["/", "/login", "/signup", "/active-sessions", "/api/login?email=a@b.c&password=xxxxxxxxx", "/api/signup?email=a@b.c&password=xxxxxxxxx", "/healthz", "/nowhere"] {
            let res = device.get(path).await;
            for cookie in res.set_cookies() {
                assert!(cookie.contains("Max-Age=0"), "GET {path} set {cookie}");
            }
        }
        assert_eq!(snapshot(&app.state.db).await[1], before[1]);
    }

    // 3.3.4 / 16.2.5: the secret travels only in Set-Cookie: no body of a whole flow has it.
    async fn the_secret_never_leaves_set_cookie(app: TestApp) {
        let (mut a, email) = app.signed_up(CHROME_MAC).await;
        let mut b = app.device(FIREFOX_WINDOWS);
        b.log_in(&email).await;
        let secrets = [a.cookie.clone().unwrap(), b.cookie.clone().unwrap()].map(|c| c.split_once('.').unwrap().1.to_owned());
        let mut bodies = Vec::new();
        for page in ["/active-sessions", "/settings/account", "/settings/security", &format!("/active-sessions/{}/end", b.session_id())] {
            let res = a.get(page).await;
            bodies.push(format!("{:?}{}", res.headers, res.body));
        }
        for path in ["/api/sessions/list", "/api/whoami", "/api/security_activity"] {
            let res = a.form(path, &[]).await;
            bodies.push(format!("{:?}{}", res.headers, res.body));
        }
        for body in &bodies {
            for secret in &secrets {
                assert!(!body.contains(secret.as_str()));
            }
        }
    }

    // 6.2.1 / 6.2.9 / 11.4.2: 1024 characters accepted whole; stored as argon2id.
    async fn long_passwords_are_accepted_whole(app: TestApp) {
        let password: String = "ü".repeat(1023) + "x";
        let email = format!("long-{}@example.com", uuid_like());
        let mut device = app.device(CHROME_MAC);
        let res = device.form("/api/signup", &[("email", &email), ("password", &password)]).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        let almost: String = "ü".repeat(1023) + "y";
        let res = app.device(CHROME_MAC).form("/api/login", &[("email", &email), ("password", &almost)]).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "the last character counts");
        let res = app.device(CHROME_MAC).form("/api/login", &[("email", &email), ("password", &password)]).await;
        assert_eq!(res.status, StatusCode::OK);
        let user_id = app.user_id(&email).await;
        let hash: String = active_sessions::db_read!(&app.state.db, |pool| {
            sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1").bind(user_id).fetch_one(pool).await
        })
        .unwrap();
        assert!(hash.starts_with("$argon2id$"));
    }

    // 14.2.1: a token in the URL is ignored.
    async fn a_token_in_the_url_is_ignored(app: TestApp) {
        let (a, _) = app.signed_up(CHROME_MAC).await;
        let token = a.cookie.clone().unwrap();
        let mut stranger = app.device(CHROME_MAC);
        for query in ["session", "token", "sid", "__Host-session"] {
            let res = stranger.get(&format!("/active-sessions?{query}={token}")).await;
            assert_eq!(res.status, StatusCode::SEE_OTHER);
        }
    }

    // 4.1.3: X-Forwarded-For from anyone but a trusted proxy changes nothing.
    async fn forged_forwarded_for_is_ignored(app: TestApp) {
        let mut device = app.device(CHROME_MAC);
        device.extra_headers.push(("x-forwarded-for".into(), "81.2.69.142".into()));
        let email = format!("xff-{}@example.com", uuid_like());
        device.form("/api/signup", &[("email", &email), ("password", PASSWORD)]).await;
        let record = app.state.sessions.find(&device.session_id()).await.unwrap().unwrap();
        assert_eq!(record.ip, "127.0.0.1");
        assert_eq!(record.location.as_deref(), Some("Local network"));
    }

    // 16.3.1: sign-ins, failed sign-ins, log-outs and terminations are security events.
    async fn security_events_are_recorded(app: TestApp) {
        let (mut a, email) = app.signed_up(CHROME_MAC).await;
        let user_id = app.user_of(&a).await;
        let ok = |res: Response, what: &str| assert_eq!(res.status, StatusCode::OK, "{what}: {}", res.body);
        let wrong = app.device(CHROME_MAC).form("/api/login", &[("email", &email), ("password", "wrong guess here")]).await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
        let mut b = app.device(FIREFOX_WINDOWS);
        ok(b.log_in(&email).await, "b logs in");
        ok(a.form("/api/sessions/terminate", &[("id", &b.session_id())]).await, "a ends b");
        let mut c = app.device(FIREFOX_WINDOWS);
        ok(c.log_in(&email).await, "c logs in");
        ok(a.form("/api/sessions/logout_others", &[]).await, "a logs out the others");
        let mut d = app.device(FIREFOX_WINDOWS);
        ok(d.log_in(&email).await, "d logs in");
        ok(d.form("/api/logout", &[]).await, "d logs out");
        for (kind, n) in [
            (EventKind::SignedUp, 1),
            (EventKind::SignInFailed, 1),
            (EventKind::SignedIn, 3),
            (EventKind::SessionTerminated, 1),
            (EventKind::OtherSessionsTerminated, 1),
            (EventKind::SignedOut, 1),
        ] {
            assert_eq!(app.events(user_id, kind).await, n, "{kind:?}");
        }
        let list = a.form("/api/security_activity", &[]).await;
        assert!(list.body.contains("session_terminated") && list.body.contains("Firefox on Windows"), "{}", list.body);
        let page = a.get("/settings/security").await;
        assert!(page.body.contains("Session terminated") && page.body.contains(" — Firefox on Windows"));
    }

    // Bad input never yields a 500 and loses nothing.
    async fn bad_input_gets_a_clear_4xx(app: TestApp) {
        let (mut a, _) = app.signed_up(CHROME_MAC).await;
        let before = snapshot(&app.state.db).await;
        let big = "x".repeat(100 * 1024);
        for (path, body) in [
            ("/api/sessions/terminate", "".to_owned()),
            ("/api/sessions/terminate", "id=%FF%FE".to_owned()),
            ("/api/sessions/terminate", "id[]=1&id[]=2".to_owned()),
            ("/api/login", "email=a".to_owned()),
            ("/api/change_password", "current_password=&new_password=".to_owned()),
            ("/api/nope", "".to_owned()),
        ] {
            let origin = app.origin();
            let res = a
                .request(
                    Method::POST,
                    path,
                    &[("content-type", "application/x-www-form-urlencoded"), ("origin", &origin), ("accept", "application/json")],
                    Some(body.clone()),
                )
                .await;
            assert!(res.status.is_client_error(), "{path} {}: {}", &body[..body.len().min(40)], res.status);
        }
        // Over the body limit: 413 (on a connection of its own; the server closes it).
        let mut big_sender = app.device(CHROME_MAC);
        let res = big_sender.form("/api/login", &[("email", &big), ("password", "x")]).await;
        assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
        for page in ["/active-sessions/not-an-id/end", "/active-sessions/%FF/end", "/settings/nowhere"] {
            let res = a.get(page).await;
            assert!(res.status.is_success() || res.status.is_client_error(), "{page}: {}", res.status);
        }
        assert_eq!(snapshot(&app.state.db).await[..2], before[..2]);
        assert!(a.is_signed_in().await);
    }
}

#[tokio::test]
async fn https_cookies_are_secure_with_the_host_prefix_and_hsts() {
    let Some(app) = TestApp::start(Backend::Sqlite, |c| {
        c.public_url = Some(url::Url::parse("https://account.example.com").unwrap());
    })
    .await
    else {
        return;
    };
    let email = format!("tls-{}@example.com", uuid_like());
    let mut device = app.device(CHROME_MAC);
    // The app behind TLS termination: requests come from the public origin.
    let res = device
        .request(
            Method::POST,
            "/api/signup",
            &[("content-type", "application/x-www-form-urlencoded"), ("origin", "https://account.example.com")],
            Some(format!("email={email}&password=correct+horse+battery+staple")),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let cookie = res.set_cookies().into_iter().next().unwrap();
    assert!(cookie.starts_with("__Host-session="), "{cookie}");
    for attribute in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.contains("Domain="));
    assert!(res.headers["strict-transport-security"].to_str().unwrap().starts_with("max-age="));
    // Our own http origin is not the public one: refused.
    let res = device.form("/api/login", &[("email", &email), ("password", PASSWORD)]).await;
    assert_eq!(res.status, StatusCode::OK, "Sec-Fetch-Site: same-origin is trusted");
    app.finish().await;
}

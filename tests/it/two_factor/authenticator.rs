//! Two-factor authentication (SECURITY.md 6.4 / 6.5, 7.5.1), over HTTP on each database:
//! turning an authenticator app on and off, the log-in's second step, the code window and
//! replays, recovery codes, the powerless pending state, throttling and the method recorded.

use crate::support::*;
use active_sessions::identity::model::EventKind;
use reqwest::StatusCode;
use std::time::Duration;

async fn app_code(app: &TestApp, user_id: i64, steps: i64) -> String {
    app.app_code(user_id, steps).await
}

async fn user_of(app: &TestApp, device: &Device) -> i64 {
    app.user_of(device).await
}

/// Signs up and turns the authenticator app on; returns the device, email, user id and the
/// recovery codes as shown once.
async fn with_two_factor(app: &TestApp) -> (Device, String, i64, Vec<String>) {
    let (mut device, email) = app.signed_up(CHROME_MAC).await;
    let user_id = user_of(app, &device).await;
    let codes = app.turn_on_two_factor(&mut device).await;
    (device, email, user_id, codes)
}

/// A log-in with the right password, which stops at the second step.
async fn half_signed_in(app: &TestApp, email: &str) -> Device {
    let mut device = app.device(FIREFOX_WINDOWS);
    let res = device.log_in(email).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.location(), Some("/login/two-factor"));
    assert!(device.cookie.is_none(), "no session before the second factor");
    assert!(device.pending.is_some());
    device
}

backend_tests! {
    async fn an_authenticator_app_guards_the_log_in(app: TestApp) {
        let (_, email, user_id, _) = with_two_factor(&app).await;
        let mut device = half_signed_in(&app, &email).await;
        let page = device.get("/login/two-factor").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("Authentication code"));
        let res = device.form("/api/login/code", &[("code", "000000")]).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "a wrong code");
        let code = app_code(&app, user_id, 0).await;
        let res = device.form("/api/login/code", &[("code", &code)]).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert!(device.is_signed_in().await);
        let list = device.list().await.json();
        let this = list["sessions"].as_array().unwrap().iter().find(|s| s["current"] == true).unwrap().clone();
        assert_eq!(this["method"], "password_totp", "the session records how it signed in");
        let page = device.get("/active-sessions").await;
        assert!(page.body.contains("Password + authenticator app"));
        // The pending log-in is used up.
        let res = device.form("/api/login/code", &[("code", &code)]).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    }

    // RFC 6238: one step of drift either way; a code used is refused within its window.
    async fn codes_have_a_window_and_are_never_replayed(app: TestApp) {
        let (_, email, user_id, _) = with_two_factor(&app).await;
        // One more step, so that the step before now is one no code was used in.
        app.clock.advance(Duration::from_secs(30));
        let mut a = half_signed_in(&app, &email).await;
        let too_old = app_code(&app, user_id, -2).await;
        assert_eq!(a.form("/api/login/code", &[("code", &too_old)]).await.status, StatusCode::UNAUTHORIZED);
        let previous = app_code(&app, user_id, -1).await;
        assert_eq!(a.form("/api/login/code", &[("code", &previous)]).await.status, StatusCode::OK, "one step back is fine");
        let mut b = half_signed_in(&app, &email).await;
        assert_eq!(b.form("/api/login/code", &[("code", &previous)]).await.status, StatusCode::UNAUTHORIZED, "replayed");
        let next = app_code(&app, user_id, 1).await;
        assert_eq!(b.form("/api/login/code", &[("code", &next)]).await.status, StatusCode::OK, "one step ahead is fine");
        let now = app_code(&app, user_id, 0).await;
        let mut c = half_signed_in(&app, &email).await;
        assert_eq!(c.form("/api/login/code", &[("code", &now)]).await.status, StatusCode::UNAUTHORIZED, "older than one used");
    }

    async fn recovery_codes_work_once(app: TestApp) {
        let (_, email, _, codes) = with_two_factor(&app).await;
        let mut a = half_signed_in(&app, &email).await;
        let res = a.form("/api/login/recovery_code", &[("code", &codes[3].to_uppercase())]).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        let list = a.list().await.json();
        let this = list["sessions"].as_array().unwrap().iter().find(|s| s["current"] == true).unwrap().clone();
        assert_eq!(this["method"], "password_recovery");
        let mut b = half_signed_in(&app, &email).await;
        let res = b.form("/api/login/recovery_code", &[("code", &codes[3])]).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "a recovery code works once");
        assert!(!b.is_signed_in().await);
        let stored: Vec<String> = active_sessions::db_read!(&app.state.db, |pool| sqlx::query_scalar("SELECT code_hash FROM recovery_codes").fetch_all(pool).await).unwrap();
        assert!(stored.iter().all(|h| h.len() == 64 && !codes.contains(h)), "stored hashed");
    }

    // The half-signed-in browser can do nothing but finish or cancel.
    async fn the_pending_state_is_powerless(app: TestApp) {
        let (_, email, _, _) = with_two_factor(&app).await;
        let mut device = half_signed_in(&app, &email).await;
        for page in ["/active-sessions", "/settings/account", "/settings/security", "/settings/two-factor"] {
            let res = device.get(page).await;
            assert_eq!(res.status, StatusCode::SEE_OTHER, "{page}");
            assert!(res.location().unwrap().starts_with("/login"), "{page}");
        }
        for path in ["/api/sessions/list", "/api/whoami", "/api/security_activity", "/api/two_factor/status", "/api/sessions/logout_others", "/api/two_factor/begin"] {
            assert_eq!(device.form(path, &[]).await.status, StatusCode::UNAUTHORIZED, "{path}");
        }
        // Cancelling ends it; so does time.
        device.form("/api/login/cancel", &[]).await;
        assert!(device.pending.is_none());
        let mut other = half_signed_in(&app, &email).await;
        app.clock.advance(Duration::from_millis(active_sessions::identity::sign_in::PENDING_LIFETIME_MS as u64 + 1000));
        let res = other.form("/api/login/recovery_code", &[("code", "whatever-it-is")]).await;
        assert_eq!((res.status, res.body.as_str()), (StatusCode::UNAUTHORIZED, "login_expired"));
    }

    async fn codes_are_throttled_like_passwords(app: TestApp) {
        let (_, email, user_id, _) = with_two_factor(&app).await;
        let mut device = half_signed_in(&app, &email).await;
        for i in 0..app.state.config.login_max_failures_per_email {
            let res = device.form("/api/login/code", &[("code", &format!("{:06}", 100_000 + i))]).await;
            assert_eq!(res.status, StatusCode::UNAUTHORIZED);
        }
        let right = app_code(&app, user_id, 0).await;
        let res = device.form("/api/login/code", &[("code", &right)]).await;
        assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "even the right code waits");
        assert!(res.headers.contains_key("retry-after"));
        let failed = app.events(user_id, EventKind::SecondFactorFailed).await;
        assert_eq!(failed as u32, app.state.config.login_max_failures_per_email);
    }

    // 7.5.1: turning it on (after the window), new recovery codes and turning it off need the
    // password; each is a security event.
    async fn changing_two_factor_needs_a_recent_password(app: TestApp) {
        let (mut device, _, user_id, _) = with_two_factor(&app).await;
        app.clock.advance(app.state.config.reauth_window + Duration::from_secs(1));
        let res = device.form("/api/two_factor/recovery_codes", &[]).await;
        assert_eq!((res.status, res.body.as_str()), (StatusCode::FORBIDDEN, "reauth_required"));
        let res = device.form("/api/two_factor/recovery_codes", &[("password", "not my password")]).await;
        assert_eq!((res.status, res.body.as_str()), (StatusCode::FORBIDDEN, "wrong_password"));
        let res = device.form("/api/two_factor/recovery_codes", &[("password", PASSWORD)]).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        // Inside the window now, but turning off always asks.
        let res = device.form("/api/two_factor/disable", &[]).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST);
        let res = device.form("/api/two_factor/disable", &[("password", "not my password")]).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        assert!(app.state.two_factor.is_on(user_id).await.unwrap());
        let res = device.form("/api/two_factor/disable", &[("password", PASSWORD)]).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert!(!app.state.two_factor.is_on(user_id).await.unwrap());
        for kind in [EventKind::TwoFactorEnabled, EventKind::RecoveryCodesRegenerated, EventKind::TwoFactorDisabled] {
            assert_eq!(app.events(user_id, kind).await, 1, "{kind:?}");
        }
        // After the window, starting again needs the password.
        app.clock.advance(app.state.config.reauth_window + Duration::from_secs(1));
        let res = device.form("/api/two_factor/begin", &[]).await;
        assert_eq!((res.status, res.body.as_str()), (StatusCode::FORBIDDEN, "reauth_required"));
    }

    // The Active sessions page suggests two-factor authentication while it is off.
    async fn the_page_nudges_towards_two_factor(app: TestApp) {
        let (mut device, _) = app.signed_up(CHROME_MAC).await;
        assert!(device.get("/active-sessions").await.body.contains("Set up two-factor authentication"));
        let (mut protected, _, _, _) = with_two_factor(&app).await;
        assert!(!protected.get("/active-sessions").await.body.contains("Set up two-factor authentication"));
    }
}

//! SECURITY.md's second round: the promises under abuse — guessing, flooding, neighbours'
//! cookies — on each database.

use crate::support::*;
use active_sessions::{
    identity::model::EventKind,
    infra::clock::Clock,
};
use reqwest::StatusCode;
use std::time::Duration;

fn retry_after(res: &Response) -> u64 {
    res.headers.get("retry-after").unwrap_or_else(|| panic!("{} without Retry-After", res.status)).to_str().unwrap().parse().unwrap()
}

backend_tests! {
    // 6.3.1: repeated failures for one email, existing or not, slow down: 429 + Retry-After,
    // never a permanent lock-out.
    async fn brute_force_is_slowed_per_email(app: TestApp) {
        let limit = app.state.config.login_max_failures_per_email;
        let (_, email) = app.signed_up(CHROME_MAC).await;
        for target in [email.clone(), format!("nobody-{}@example.com", uuid_like())] {
            let mut attacker = app.device(CHROME_MAC);
            for i in 0..limit {
                let res = attacker.form("/api/login", &[("email", &target), ("password", &format!("guess number {i}"))]).await;
                assert_eq!(res.status, StatusCode::UNAUTHORIZED, "attempt {i}");
            }
            let res = attacker.form("/api/login", &[("email", &target), ("password", "guess once more")]).await;
            assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{target}");
            let retry = retry_after(&res);
            assert!(retry > 0 && retry <= app.state.config.login_failure_window.as_secs());
            // Even the right password waits: the answer does not tell.
            if target == email {
                let res = attacker.log_in(&email).await;
                assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
            }
        }
        // The window passes: allowed again.
        app.clock.advance(app.state.config.login_failure_window + Duration::from_secs(1));
        let res = app.device(CHROME_MAC).log_in(&email).await;
        assert_eq!(res.status, StatusCode::OK);
    }

    // 6.3.8: unknown email and wrong password: the same answer after the same work.
    async fn no_user_enumeration(app: TestApp) {
        let (_, email) = app.signed_up(CHROME_MAC).await;
        let mut attacker = app.device(CHROME_MAC);
        let work = || app.state.credentials.passwords.verifications();
        let before = work();
        let wrong = attacker.form("/api/login", &[("email", &email), ("password", "wrong password")]).await;
        let after_wrong = work();
        let unknown = attacker.form("/api/login", &[("email", "ghost@example.com"), ("password", "wrong password")]).await;
        let after_unknown = work();
        assert_eq!((wrong.status, wrong.body.as_str()), (unknown.status, unknown.body.as_str()));
        assert_eq!(after_wrong - before, 1, "one argon2 verification for a wrong password");
        assert_eq!(after_unknown - after_wrong, 1, "and one (against a dummy hash) for an unknown email");
    }

    // OWASP device cookies: failures from elsewhere exhaust the email's budget, but a browser
    // that signed in to the account before keeps its own, and its right password gets in.
    async fn known_browsers_are_not_locked_out_by_others(app: TestApp) {
        let (mut owner, email) = app.signed_up(CHROME_MAC).await;
        assert!(owner.device_token.is_some(), "sign-up gives the browser a device cookie");
        owner.form("/api/logout", &[]).await;
        for i in 0..app.state.config.login_max_failures_per_email {
            app.device(FIREFOX_WINDOWS).form("/api/login", &[("email", &email), ("password", &format!("attacker {i}"))]).await;
        }
        let res = app.device(FIREFOX_WINDOWS).log_in(&email).await;
        assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "an unknown browser waits");
        let res = owner.log_in(&email).await;
        assert_eq!(res.status, StatusCode::OK, "the owner's browser is known: {}", res.body);
        // Its own budget is small and its own: a stolen device cookie cannot guess freely.
        owner.form("/api/logout", &[]).await;
        for i in 0..app.state.config.login_max_failures_per_device {
            let res = owner.form("/api/login", &[("email", &email), ("password", &format!("typo {i}"))]).await;
            assert_eq!(res.status, StatusCode::UNAUTHORIZED);
        }
        assert_eq!(owner.log_in(&email).await.status, StatusCode::TOO_MANY_REQUESTS);
    }

    // Guessing the current password from a signed-in session is throttled too (change
    // password, delete account, the re-authentication modal), with Retry-After.
    async fn guessing_the_current_password_is_throttled(app: TestApp) {
        let (mut thief, _) = app.signed_up(CHROME_MAC).await;
        let limit = app.state.config.reauth_max_failures_per_session;
        let mut statuses = Vec::new();
        for i in 0..20 {
            let res = thief
                .form("/api/change_password", &[("current_password", &format!("guess {i}")), ("new_password", "a brand new passphrase")])
                .await;
            if res.status == StatusCode::TOO_MANY_REQUESTS {
                assert!(retry_after(&res) > 0);
            }
            statuses.push(res.status);
        }
        let refused = statuses.iter().filter(|s| **s == StatusCode::FORBIDDEN).count();
        assert_eq!(refused as u32, limit, "{statuses:?}");
        assert!(statuses[limit as usize..].iter().all(|s| *s == StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
        // The right password waits as well, and deleting the account shares the budget.
        let res = thief.form("/api/change_password", &[("current_password", PASSWORD), ("new_password", "a brand new passphrase")]).await;
        assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
        let res = thief.form("/api/delete_account", &[("password", PASSWORD)]).await;
        assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(thief.is_signed_in().await, "nothing changed");
    }

    // The re-authentication modal's 429 carries Retry-After (it used to be a bare 60).
    async fn reauthentication_is_throttled_with_retry_after(app: TestApp) {
        let (mut a, email) = app.signed_up(CHROME_MAC).await;
        let mut b = app.device(FIREFOX_WINDOWS);
        b.log_in(&email).await;
        app.clock.advance(app.state.config.reauth_window + Duration::from_secs(1));
        let target = b.session_id();
        let mut last = None;
        for i in 0..=app.state.config.login_max_failures_per_email {
            last = Some(a.form("/api/sessions/terminate", &[("id", &target), ("password", &format!("wrong {i}"))]).await);
        }
        let last = last.unwrap();
        assert_eq!(last.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(retry_after(&last) > 0);
        assert!(b.is_signed_in().await);
    }

    // Sign-ups are counted per client address.
    async fn sign_ups_are_limited_per_address(app: TestApp) {
        let limit = app.state.config.signup_max_per_ip;
        for i in 0..limit {
            let res = app.device(CHROME_MAC).form("/api/signup", &[("email", &format!("many-{i}-{}@example.com", uuid_like())), ("password", PASSWORD)]).await;
            assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        }
        let res = app.device(CHROME_MAC).form("/api/signup", &[("email", &format!("one-more-{}@example.com", uuid_like())), ("password", PASSWORD)]).await;
        assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(retry_after(&res) > 0);
    }

    // Emails are capped at 254 characters, and attempts leave no rows once their window passed.
    async fn attempts_are_bounded_and_purged(app: TestApp) {
        let long = format!("{}@example.com", "a".repeat(250));
        let res = app.device(CHROME_MAC).form("/api/login", &[("email", &long), ("password", "whatever it is")]).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);
        let res = app.device(CHROME_MAC).form("/api/signup", &[("email", &long), ("password", PASSWORD)]).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        let ghost = format!("ghost-{}@example.com", uuid_like());
        app.device(CHROME_MAC).form("/api/login", &[("email", &ghost), ("password", "whatever it is")]).await;
        let throttle = &app.state.credentials.throttle;
        let key = active_sessions::identity::account::Key::Email(ghost.clone());
        assert_eq!(throttle.counted(&key, app.clock.now_ms()).await.unwrap(), 1);
        app.clock.advance(app.state.config.login_failure_window + Duration::from_secs(1));
        assert!(throttle.purge(app.clock.now_ms()).await.unwrap() >= 1);
        let rows: i64 = active_sessions::db_read!(&app.state.db, |pool| sqlx::query_scalar("SELECT COUNT(*) FROM attempts").fetch_one(pool).await).unwrap();
        assert_eq!(rows, 0, "nothing is kept about unknown emails after the window");
    }

    // Neighbour cookies: another app's cookies on the same host, with any bytes, and a Cookie
    // header of 16 KiB never sign anyone out; two different session cookies are refused.
    async fn neighbour_cookies_never_sign_anyone_out(app: TestApp) {
        let (a, email) = app.signed_up(CHROME_MAC).await;
        let ours = format!("session={}", a.cookie.clone().unwrap());
        let mut b = app.device(FIREFOX_WINDOWS);
        b.log_in(&email).await;
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let mut big = format!("{ours}; pad=").into_bytes();
        big.extend(std::iter::repeat_n(b'x', 16 * 1024));
        let mut accented = format!("{ours}; lang=").into_bytes();
        accented.extend_from_slice("été".as_bytes());
        let cases: Vec<(Vec<u8>, StatusCode)> = vec![
            (accented, StatusCode::OK),
            (format!("theme=\u{1F600}; {ours}").into_bytes(), StatusCode::OK),
            (b"junk=\xff\xfe\x80; ".iter().copied().chain(ours.bytes()).collect(), StatusCode::OK),
            (big, StatusCode::OK),
            (format!("{ours}; session={}", b.cookie.clone().unwrap()).into_bytes(), StatusCode::SEE_OTHER),
        ];
        for (header, expected) in cases {
            let res = client
                .get(app.url("/active-sessions"))
                .header("cookie", reqwest::header::HeaderValue::from_bytes(&header).unwrap())
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), expected, "{}", String::from_utf8_lossy(&header[..header.len().min(80)]));
            // An ambiguous pair is refused without clearing anything (clearing would let a
            // tossed cookie sign the victim out again and again).
            let clears = res.headers().get_all("set-cookie").iter().any(|c| c.to_str().unwrap_or("").starts_with("session=;"));
            assert!(!clears, "no session cookie is cleared");
        }
        // Refusing a mix ends nobody's session.
        assert!(app.session_exists(&a.session_id()).await);
        assert!(app.session_exists(&b.session_id()).await);
    }

    // 16.3.1 complete: every ending is an event with its reason.
    async fn every_ending_is_an_event(app: TestApp) {
        let (mut a, email) = app.signed_up(CHROME_MAC).await;
        let user_id = app.user_of(&a).await;
        let count = |kind| app.events(user_id, kind);
        // Password change with "log out other sessions".
        let mut b = app.device(FIREFOX_WINDOWS);
        b.log_in(&email).await;
        let res = a.form("/api/change_password", &[("current_password", PASSWORD), ("new_password", "another fine passphrase"), ("log_out_others", "on")]).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert_eq!(count(EventKind::SessionsEndedByPasswordChange).await, 1);
        // Expiry (the clean-up, and a check that finds it expired).
        let mut c = app.device(FIREFOX_WINDOWS);
        c.form("/api/login", &[("email", &email), ("password", "another fine passphrase")]).await;
        app.clock.advance(app.state.config.session_idle_timeout + Duration::from_secs(1));
        assert!(!c.is_signed_in().await);
        app.state.sessions.purge_expired(100, Duration::ZERO).await.unwrap();
        assert_eq!(count(EventKind::SessionExpired).await, 2, "c by its check, a by the clean-up");
        // Account deletion: recorded, and kept after the account is gone.
        let mut d = app.device(CHROME_MAC);
        d.form("/api/login", &[("email", &email), ("password", "another fine passphrase")]).await;
        d.form("/api/delete_account", &[("password", "another fine passphrase")]).await;
        let kept: i64 = active_sessions::db_read!(&app.state.db, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM security_events WHERE user_id IS NULL AND kind = 'account_deleted'"
        )
        .fetch_one(pool)
        .await)
        .unwrap();
        assert!(kept >= 1, "the deletion outlives the account");
    }

    // Expired sessions are never listed (nor counted toward the limit) even before the
    // clean-up removed them.
    async fn expired_sessions_are_never_listed(app: TestApp) {
        let (mut a, email) = app.signed_up(CHROME_MAC).await;
        let mut b = app.device(FIREFOX_WINDOWS);
        b.log_in(&email).await;
        assert_eq!(a.session_ids().await.len(), 2);
        // b goes quiet past the idle timeout while a stays active.
        let step = app.state.config.session_idle_timeout / 2;
        for _ in 0..3 {
            app.clock.advance(step);
            assert!(a.is_signed_in().await);
        }
        assert!(app.session_exists(&b.session_id()).await, "not cleaned up yet");
        assert_eq!(a.session_ids().await, vec![a.session_id()]);
    }
}

#[tokio::test]
async fn per_ip_limit_applies_across_emails() {
    let Some(app) = TestApp::start(Backend::Sqlite, |c| c.login_max_failures_per_ip = 5).await else { return };
    let mut attacker = app.device(CHROME_MAC);
    for i in 0..5 {
        let res = attacker.form("/api/login", &[("email", &format!("user{i}@example.com")), ("password", "guess guess")]).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    }
    let res = attacker.form("/api/login", &[("email", "another@example.com"), ("password", "guess guess")]).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after(&res) > 0);
    app.finish().await;
}

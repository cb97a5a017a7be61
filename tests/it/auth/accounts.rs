//! Sign up, log in, log out: the account rules over HTTP.

use crate::support::*;
use reqwest::StatusCode;

backend_tests! {
    async fn sign_up_sets_a_session_cookie_with_the_right_attributes(app: TestApp) {
        let mut device = app.device(CHROME_MAC);
        let email = format!("New-{}@Example.com", uuid_like());
        let res = device.form("/api/signup", &[("email", &email), ("password", PASSWORD)]).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        let cookie = res.set_cookies().into_iter().find(|c| c.starts_with("session=")).expect("a session cookie");
        for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age="] {
            assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
        }
        assert!(!cookie.contains("Domain") && !cookie.contains("Secure"), "{cookie}");
        // The secret is only in Set-Cookie: never in the body.
        let secret = device.cookie_value().unwrap().split_once('.').unwrap().1.to_owned();
        assert!(!res.body.contains(&secret));
        assert!(device.is_signed_in().await);

        // Emails are unique case-insensitively.
        let mut other = app.device(CHROME_MAC);
        let res = other.form("/api/signup", &[("email", &email.to_lowercase()), ("password", PASSWORD)]).await;
        assert_eq!(res.status, StatusCode::CONFLICT);
        assert_eq!(res.body, "email_taken");
    }

    async fn sign_up_explains_bad_input(app: TestApp) {
        let mut device = app.device(CHROME_MAC);
        for (email, password, code, status) in [
            ("not-an-email", PASSWORD, "invalid_email", 422),
            ("a@example.com", "short", "password_too_short", 422),
            ("a@example.com", "password123", "password_too_common", 422),
        ] {
            let res = device.form("/api/signup", &[("email", email), ("password", password)]).await;
            assert_eq!(res.status.as_u16(), status, "{email}/{password}: {}", res.body);
            assert_eq!(res.body, code);
        }
        let long = "x".repeat(1025);
        let res = device.form("/api/signup", &[("email", "a@example.com"), ("password", &long)]).await;
        assert_eq!(res.body, "password_too_long");
        // A missing field is a 400, not a 500.
        let res = device.form("/api/signup", &[("email", "a@example.com")]).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
        assert!(device.cookie.is_none());
    }

    async fn every_log_in_creates_a_new_session(app: TestApp) {
        let (mut first, email) = app.signed_up(CHROME_MAC).await;
        let mut second = app.device(FIREFOX_WINDOWS);
        let res = second.log_in(&email).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert_ne!(first.session_id(), second.session_id());
        let ids = first.session_ids().await;
        assert_eq!(ids.len(), 2);
        assert_eq!(ids[0], first.session_id(), "the current session is listed first");
        assert_eq!(second.session_ids().await[0], second.session_id());
    }

    async fn wrong_password_and_unknown_email_answer_the_same(app: TestApp) {
        let (_device, email) = app.signed_up(CHROME_MAC).await;
        let mut attacker = app.device(CHROME_MAC);
        let wrong = attacker.form("/api/login", &[("email", &email), ("password", "not the password")]).await;
        let unknown = attacker
            .form("/api/login", &[("email", "nobody@example.com"), ("password", "not the password")])
            .await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
        assert_eq!(wrong.status, unknown.status);
        assert_eq!(wrong.body, unknown.body);
        assert!(attacker.cookie.is_none());
    }

    async fn log_out_ends_the_session_on_the_server(app: TestApp) {
        let (mut device, _) = app.signed_up(CHROME_MAC).await;
        let captured = device.cookie.clone();
        let id = device.session_id();
        let res = device.form("/api/logout", &[]).await;
        assert_eq!(res.status, StatusCode::OK);
        assert!(res.set_cookies().iter().any(|c| c.starts_with("session=;") && c.contains("Max-Age=0")));
        assert_eq!(res.headers["clear-site-data"], "\"cookies\", \"storage\"");
        assert!(!app.session_exists(&id).await, "row gone");

        // The captured cookie, replayed, is refused.
        device.cookie = captured;
        let res = device.get("/active-sessions").await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        app.lands(res.location(), "/login", "signed_out:logged_out");
        assert!(res.set_cookies().iter().any(|c| c.contains("Max-Age=0")), "the dead cookie is cleared");
    }

    async fn signed_out_visits_to_signed_in_pages_go_to_log_in(app: TestApp) {
        let mut device = app.device(CHROME_MAC);
        for (path, location) in [
            ("/active-sessions", "/login"),
            ("/settings/account", "/login?next=%2Fsettings%2Faccount"),
            ("/", "/login"),
        ] {
            let res = device.get(path).await;
            assert_eq!(res.status, StatusCode::SEE_OTHER, "{path}");
            assert_eq!(res.location(), Some(location), "{path}");
        }
        let res = device.form("/api/sessions/list", &[]).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);
        assert_eq!(res.body, "signed_out");
        let res = device.get("/login").await;
        assert_eq!(res.status, StatusCode::OK);
        assert!(res.body.contains("Log in"));
    }

    async fn no_js_forms_land_on_friendly_pages(app: TestApp) {
        let mut device = app.device(CHROME_MAC);
        let email = format!("form-{}@example.com", uuid_like());
        let res = device.html_form("/api/signup", "/signup", &[("email", &email), ("password", "short")]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        app.lands(res.location(), "/signup", "error:password_too_short");
        let page = device.get(res.location().unwrap()).await;
        assert!(page.body.contains("Use at least 8 characters"), "the page explains the error");

        let res = device.html_form("/api/signup", "/signup", &[("email", &email), ("password", PASSWORD)]).await;
        assert_eq!(res.status, StatusCode::FOUND);
        assert_eq!(res.location(), Some("/active-sessions"));
        assert!(device.is_signed_in().await);

        // A form post missing its fields: back to the page with a clear error, never a 500.
        let res = device.html_form("/api/login", "/login", &[("email", "x")]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        app.lands(res.location(), "/login", "error:bad_request");
    }
}

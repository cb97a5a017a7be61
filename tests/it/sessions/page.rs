//! The Active sessions rules: listing, terminating, logging out others — authorised on the
//! server, on both databases.

use crate::support::*;
use reqwest::StatusCode;

backend_tests! {
    async fn the_list_shows_each_device_in_words(app: TestApp) {
        let (mut mac, email) = app.signed_up(CHROME_MAC).await;
        let mut windows = app.device(FIREFOX_WINDOWS);
        // Through a trusted proxy? Not configured here: the forged header changes nothing.
        windows.extra_headers.push(("x-forwarded-for".into(), "81.2.69.142".into()));
        windows.log_in(&email).await;
        let res = mac.list().await;
        let list = res.json();
        let sessions = list["sessions"].as_array().unwrap();
        assert_eq!(sessions.len(), 2);
        assert_eq!(sessions[0]["device"], "Chrome on macOS");
        assert_eq!(sessions[0]["current"], true);
        assert_eq!(sessions[0]["kind"], "desktop");
        assert_eq!(sessions[1]["device"], "Firefox on Windows");
        assert_eq!(sessions[1]["current"], false);
        assert_eq!(sessions[1]["ip"], "127.0.0.1");
        assert_eq!(sessions[1]["location"], "Local network");
        // Nothing secret travels with the list.
        let secret = windows.cookie_value().unwrap().split_once('.').unwrap().1.to_owned();
        assert!(!res.body.contains(&secret));
        assert!(!res.body.contains("secret") && !res.body.contains("hash"));
    }

    async fn terminate_ends_the_other_device_on_its_next_request(app: TestApp) {
        let (mut a, email) = app.signed_up(CHROME_MAC).await;
        let mut b = app.device(FIREFOX_WINDOWS);
        b.log_in(&email).await;
        assert!(b.is_signed_in().await);
        let res = a.form("/api/sessions/terminate", &[("id", &b.session_id())]).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert_eq!(res.body.split(' ').next(), Some("1"));
        let res = b.get("/settings/account").await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        let (path, message, rest) = app.landing(res.location());
        assert_eq!((path.as_str(), message.as_deref()), ("/login", Some("signed_out:terminated")));
        assert_eq!(rest, vec![("next".to_owned(), "/settings/account".to_owned())]);
        assert_eq!(a.session_ids().await, vec![a.session_id()]);
        // The login page, visited by the ended device, says why.
        let page = app.device(FIREFOX_WINDOWS).get(res.location().unwrap()).await;
        assert!(page.body.contains("Your session was ended from another device"));
        // A link anyone can write says nothing.
        for crafted in ["/login?signed_out=terminated", "/login?msg=c2lnbmVkX291dDp0ZXJtaW5hdGVk.9999999999999.AAAA"] {
            let page = app.device(FIREFOX_WINDOWS).get(crafted).await;
            assert!(!page.body.contains("Your session was ended"), "{crafted}");
        }
    }

    async fn terminating_someone_elses_session_changes_nothing(app: TestApp) {
        let (mut alice, _) = app.signed_up(CHROME_MAC).await;
        let (mut mallory, _) = app.signed_up(FIREFOX_WINDOWS).await;
        let victim = alice.session_id();
        let cross = mallory.form("/api/sessions/terminate", &[("id", &victim)]).await;
        let unknown = mallory.form("/api/sessions/terminate", &[("id", "AAAAAAAAAAAAAAAAAAAAAA")]).await;
        let garbage = mallory.form("/api/sessions/terminate", &[("id", "../../etc")]).await;
        assert_eq!(cross.status, StatusCode::NOT_FOUND);
        assert_eq!((cross.status, &cross.body), (unknown.status, &unknown.body));
        assert_eq!((cross.status, &cross.body), (garbage.status, &garbage.body));
        assert!(alice.is_signed_in().await);
        assert_eq!(alice.session_ids().await, vec![victim]);
    }

    async fn log_out_all_others_keeps_exactly_the_current_one_and_repeats_harmlessly(app: TestApp) {
        let (mut a, email) = app.signed_up(CHROME_MAC).await;
        let mut others = Vec::new();
        for _ in 0..3 {
            let mut d = app.device(FIREFOX_WINDOWS);
            d.log_in(&email).await;
            others.push(d);
        }
        let first = a.form("/api/sessions/logout_others", &[]).await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.body);
        assert_eq!(first.body.split(' ').next(), Some("3"));
        let second = a.form("/api/sessions/logout_others", &[]).await;
        assert_eq!(second.status, StatusCode::OK);
        assert_eq!(second.body.split(' ').next(), Some("0"));
        assert_eq!(a.session_ids().await, vec![a.session_id()]);
        for mut d in others {
            assert!(!d.is_signed_in().await);
        }
    }

    async fn logging_out_from_the_current_row_is_a_log_out(app: TestApp) {
        let (mut a, _) = app.signed_up(CHROME_MAC).await;
        let id = a.session_id();
        let res = a.form("/api/sessions/terminate", &[("id", &id)]).await;
        assert_eq!(res.status, StatusCode::OK);
        assert!(a.cookie.is_none(), "the cookie is cleared");
        assert!(!app.session_exists(&id).await);
    }

    async fn no_js_terminate_through_the_confirm_page(app: TestApp) {
        let (mut a, email) = app.signed_up(CHROME_MAC).await;
        let mut b = app.device(FIREFOX_WINDOWS);
        b.log_in(&email).await;
        let b_id = b.session_id();
        let confirm_path = format!("/active-sessions/{b_id}/end");
        let page = a.get(&confirm_path).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("Terminate the session on Firefox on Windows?"), "{}", page.body);
        let res = a.html_form("/api/sessions/terminate", &confirm_path, &[("id", &b_id)]).await;
        assert_eq!(res.status, StatusCode::FOUND);
        app.lands(res.location(), "/active-sessions", "notice:terminated");
        let page = a.get(res.location().unwrap()).await;
        assert!(page.body.contains("Session terminated"));
        assert!(!a.get("/active-sessions?notice=terminated").await.body.contains("Session terminated"), "crafted");
        assert!(!b.is_signed_in().await);
        // Again, now that it is gone: a friendly answer on the same page.
        let res = a.html_form("/api/sessions/terminate", &confirm_path, &[("id", &b_id)]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        app.lands(res.location(), &confirm_path, "error:session_not_found");
    }

    async fn malformed_cookies_are_simply_signed_out(app: TestApp) {
        let mut device = app.device(CHROME_MAC);
        let long = "a".repeat(10_000);
        let valid_shape_unknown = format!("{}.{}", "A".repeat(22), "B".repeat(43));
        for cookie in ["", "garbage", ".", "a.b", valid_shape_unknown.as_str(), long.as_str(), "%00%ff", "session"] {
            device.cookie = Some(cookie.to_owned());
            let res = device.get("/active-sessions").await;
            assert_eq!(res.status, StatusCode::SEE_OTHER, "cookie {cookie:?}");
            let res = device.form("/api/sessions/list", &[]).await;
            assert_eq!(res.status, StatusCode::UNAUTHORIZED, "cookie {cookie:?}");
        }
        // Bytes that are not UTF-8 in the Cookie header.
        device.cookie = None;
        let mut raw = reqwest::header::HeaderMap::new();
        raw.insert("cookie", reqwest::header::HeaderValue::from_bytes(b"session=\xff\xfe\xfd").unwrap());
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let res = client.get(app.url("/active-sessions")).headers(raw).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
    }

    async fn the_old_paths_redirect_to_the_page(app: TestApp) {
        let mut device = app.device(CHROME_MAC);
        for path in ["/active-session", "/activesession"] {
            let res = device.get(path).await;
            assert_eq!(res.status, StatusCode::PERMANENT_REDIRECT);
            assert_eq!(res.location(), Some("/active-sessions"));
        }
    }

    async fn device_data_follows_the_browser(app: TestApp) {
        let (mut device, _) = app.signed_up(CHROME_MAC).await;
        device.user_agent = FIREFOX_WINDOWS.to_owned();
        let list = device.list().await.json();
        assert_eq!(list["sessions"][0]["device"], "Firefox on Windows", "refreshed from the browser's own request");
    }
}

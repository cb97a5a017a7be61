//! The operator API: tokens (random, hashed, scoped, expiring, rate-limited, revocable), every
//! operation's refusals as documented problems, and what each operation does — on each database.

use super::*;
use active_sessions::identity::model::EventKind;
use serde_json::json;
use sha2::{Digest, Sha256};

/// Every operation with a harmless example of its input: (method, path, body, scope it needs).
fn operations(user_id: i64, session_id: &str) -> Vec<(Method, String, Option<Value>, Scope)> {
    let reason = || Some(json!({"reason": "audit"}));
    vec![
        (Method::GET, "/api/v1/users?email=nobody@example.com".into(), None, Scope::SessionsRead),
        (Method::GET, format!("/api/v1/users/{user_id}/sessions"), None, Scope::SessionsRead),
        (Method::DELETE, format!("/api/v1/sessions/{session_id}"), reason(), Scope::SessionsWrite),
        (Method::POST, format!("/api/v1/users/{user_id}/sessions/end"), reason(), Scope::SessionsWrite),
        (Method::POST, format!("/api/v1/users/{user_id}/suspend"), reason(), Scope::SessionsWrite),
        (Method::POST, format!("/api/v1/users/{user_id}/reinstate"), reason(), Scope::SessionsWrite),
        (Method::GET, "/api/v1/events".into(), None, Scope::EventsRead),
    ]
}

backend_tests! {
    async fn tokens_are_random_shown_once_and_stored_hashed(app: TestApp) {
        let (record, first) = app.state.api_tokens.create("offboarding", &[Scope::SessionsWrite, Scope::SessionsRead], None).await.unwrap().unwrap();
        let (_, second) = app.state.api_tokens.create("siem", &[Scope::EventsRead], None).await.unwrap().unwrap();
        assert_ne!(first, second);
        let secret = first.strip_prefix("ast_").expect("recognisable prefix");
        assert_eq!(base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, secret).unwrap().len(), 32, "256 random bits");
        assert_eq!(record.scopes(), vec![Scope::SessionsRead, Scope::SessionsWrite]);
        let stored: Vec<Vec<u8>> = sqlx_bytes(&app, "SELECT token_hash FROM api_tokens ORDER BY id").await;
        assert_eq!(stored[0], Sha256::digest(first.as_bytes()).to_vec(), "only the SHA-256 is kept");
        let everything = sqlx_strings(&app, "SELECT name || ' ' || scopes FROM api_tokens").await.join("\n");
        assert!(!everything.contains(secret));
        assert!(app.state.api_tokens.create("siem", &[Scope::EventsRead], None).await.unwrap().is_none(), "names are unique");
        assert!(app.state.api_tokens.create("  ", &[Scope::EventsRead], None).await.is_err());
        assert!(app.state.api_tokens.create("x", &[], None).await.is_err(), "at least one scope");
    }

    async fn every_operation_refuses_a_caller_without_a_valid_token(app: TestApp) {
        let (mut device, email) = app.signed_up(FIREFOX_WINDOWS).await;
        let user_id = app.user_id(&email).await;
        let session = device.session_id();
        let reader = token(&app, "reader", &[Scope::SessionsRead]).await;
        let events_only = token(&app, "events", &[Scope::EventsRead]).await;
        let writer = token(&app, "writer", &[Scope::SessionsWrite]).await;
        let (_, expiring) = app.state.api_tokens.create("expiring", ALL, Some(Duration::from_secs(3600))).await.unwrap().unwrap();
        let revoked = token(&app, "revoked", ALL).await;
        assert!(app.state.api_tokens.revoke("revoked").await.unwrap());
        app.clock.advance(Duration::from_secs(3601));
        for (method, path, body, scope) in operations(user_id, &session) {
            let res = call(&app, None, method.clone(), &path, body.clone()).await;
            assert_eq!((res.status, problem(&res)), (StatusCode::UNAUTHORIZED, "missing-token".into()), "{method} {path}");
            assert!(res.headers.get("www-authenticate").is_some_and(|v| v.to_str().unwrap().starts_with("Bearer")));
            // The browser's own cookie is no way in: no cross-site request can use the API.
            let mut headers = vec![("cookie", format!("session={}", device.cookie_value().unwrap()))];
            headers.push(("content-type", "application/json".into()));
            let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let res = device.request(method.clone(), &path, &headers, body.as_ref().map(|b| b.to_string())).await;
            assert_eq!((res.status, problem(&res)), (StatusCode::UNAUTHORIZED, "cookie-only".into()), "{method} {path}");
            for (bad, kind) in [("ast_not-a-token", "invalid-token"), ("garbage", "invalid-token"), (revoked.as_str(), "invalid-token"), (expiring.as_str(), "expired-token")] {
                let res = call(&app, Some(bad), method.clone(), &path, body.clone()).await;
                assert_eq!((res.status, problem(&res)), (StatusCode::UNAUTHORIZED, kind.to_owned()), "{method} {path} with {kind}");
            }
            for other in [&reader, &events_only, &writer] {
                let has = match scope {
                    Scope::SessionsRead => other == &reader,
                    Scope::SessionsWrite => other == &writer,
                    Scope::EventsRead => other == &events_only,
                };
                if !has {
                    let res = call(&app, Some(other), method.clone(), &path, body.clone()).await;
                    assert_eq!((res.status, problem(&res)), (StatusCode::FORBIDDEN, "insufficient-scope".into()), "{method} {path}");
                }
            }
        }
        assert!(device.is_signed_in().await, "no refused call changed anything");
    }

    async fn a_token_over_its_rate_limit_is_told_when_to_come_back(app: TestApp) {
        let app2 = app.another_server(|c| c.api_rate_limit = 3).await;
        let t = token(&app2, "burst", ALL).await;
        for _ in 0..3 {
            assert_eq!(call(&app2, Some(&t), Method::GET, "/api/v1/events?limit=1", None).await.status, StatusCode::OK);
        }
        let res = call(&app2, Some(&t), Method::GET, "/api/v1/events?limit=1", None).await;
        assert_eq!((res.status, problem(&res)), (StatusCode::TOO_MANY_REQUESTS, "rate-limited".into()));
        let wait: u64 = res.headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=20).contains(&wait), "{wait}");
        let other = token(&app2, "other", ALL).await;
        assert_eq!(call(&app2, Some(&other), Method::GET, "/api/v1/events?limit=1", None).await.status, StatusCode::OK, "per token");
        app2.finish().await;
    }

    async fn the_api_lists_and_ends_sessions_and_the_device_is_told(app: TestApp) {
        let (mut laptop, email) = app.signed_up(FIREFOX_WINDOWS).await;
        let mut phone = app.device(CHROME_MAC);
        phone.log_in(&email).await;
        let t = token(&app, "helpdesk", ALL).await;
        let found = call(&app, Some(&t), Method::GET, &format!("/api/v1/users?email={}", email.to_uppercase()), None).await;
        assert_eq!(found.status, StatusCode::OK, "{}", found.body);
        let user_id = found.json()["users"][0]["id"].as_i64().unwrap();
        assert_eq!(found.json()["users"][0], json!({"id": user_id, "email": email, "suspended": false}));
        let none = call(&app, Some(&t), Method::GET, "/api/v1/users?email=nobody@example.com", None).await;
        assert_eq!(none.json(), json!({"users": []}));

        let listed = call(&app, Some(&t), Method::GET, &format!("/api/v1/users/{user_id}/sessions"), None).await;
        assert_eq!(listed.status, StatusCode::OK);
        let sessions = listed.json()["sessions"].as_array().unwrap().clone();
        assert_eq!(sessions.len(), 2);
        let laptop_row = sessions.iter().find(|s| s["id"] == laptop.session_id()).expect("the laptop's session");
        assert_eq!(laptop_row["device"], "Firefox on Windows");
        assert_eq!(laptop_row["status"], "active");
        assert_eq!(laptop_row["sign_in_method"], "password");
        assert_eq!(laptop_row["ip"], "127.0.0.1");
        assert!(laptop_row["signed_in_at"].as_str().unwrap().ends_with('Z'));
        assert!(laptop_row["last_active_at"].is_string() && laptop_row["location"].is_string());
        assert!(!listed.body.contains(laptop.cookie_value().unwrap().split_once('.').unwrap().1), "never a secret");

        let path = format!("/api/v1/sessions/{}", laptop.session_id());
        let res = call(&app, Some(&t), Method::DELETE, &path, Some(json!({"reason": "   "}))).await;
        assert_eq!((res.status, problem(&res)), (StatusCode::BAD_REQUEST, "invalid-reason".into()));
        let res = call(&app, Some(&t), Method::DELETE, &path, Some(json!({"reason": "Laptop reported stolen"}))).await;
        assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
        let next = laptop.get("/active-sessions").await;
        app.lands(next.location(), "/login", "signed_out:admin");
        let res = call(&app, Some(&t), Method::DELETE, &path, Some(json!({"reason": "again"}))).await;
        assert_eq!((res.status, problem(&res)), (StatusCode::NOT_FOUND, "not-found".into()), "an ended session is gone");
        assert!(phone.is_signed_in().await);

        let log = app.state.admin.log_page(10, 0).await.unwrap();
        assert_eq!(
            (log[0].admin.as_str(), log[0].action.as_str(), log[0].reason.as_str(), log[0].target.as_deref()),
            ("API token \u{201c}helpdesk\u{201d}", "end_session", "Laptop reported stolen", Some(email.as_str()))
        );
        assert_eq!(app.events(user_id, EventKind::SessionsEndedByAdmin).await, 1);

        let res = call(&app, Some(&t), Method::POST, &format!("/api/v1/users/{user_id}/sessions/end"), Some(json!({"reason": "Offboarding"}))).await;
        assert_eq!((res.status, res.json()), (StatusCode::OK, json!({"ended": 1})));
        assert!(!phone.is_signed_in().await);
        let res = call(&app, Some(&t), Method::POST, "/api/v1/users/999999/sessions/end", Some(json!({"reason": "x"}))).await;
        assert_eq!((res.status, problem(&res)), (StatusCode::NOT_FOUND, "not-found".into()));
    }

    async fn suspension_through_the_api_refuses_sign_in_until_reinstated(app: TestApp) {
        let (mut device, email) = app.signed_up(FIREFOX_WINDOWS).await;
        let user_id = app.user_id(&email).await;
        let t = token(&app, "fraud", ALL).await;
        let res = call(&app, Some(&t), Method::POST, &format!("/api/v1/users/{user_id}/suspend"), Some(json!({"reason": "Fraud investigation"}))).await;
        assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
        assert!(!device.is_signed_in().await);
        assert_eq!(app.device(FIREFOX_WINDOWS).log_in(&email).await.status, StatusCode::FORBIDDEN);
        let found = call(&app, Some(&t), Method::GET, &format!("/api/v1/users?email={email}"), None).await;
        assert_eq!(found.json()["users"][0]["suspended"], true);
        let res = call(&app, Some(&t), Method::POST, &format!("/api/v1/users/{user_id}/reinstate"), Some(json!({"reason": "Cleared"}))).await;
        assert_eq!(res.status, StatusCode::NO_CONTENT);
        assert_eq!(app.device(FIREFOX_WINDOWS).log_in(&email).await.status, StatusCode::OK);
        let actions: Vec<String> = app.state.admin.log_page(10, 0).await.unwrap().into_iter().map(|e| format!("{} {}", e.action, e.admin)).collect();
        assert_eq!(actions, vec!["reinstate API token \u{201c}fraud\u{201d}", "suspend API token \u{201c}fraud\u{201d}"]);
    }

    async fn bad_input_gets_a_problem_never_a_server_error(app: TestApp) {
        let t = token(&app, "fuzz", ALL).await;
        let too_long = format!("{{\"reason\": \"{}\"}}", "x".repeat(501));
        let cases: Vec<(Method, &str, Option<&str>, Option<&str>, StatusCode, &str)> = vec![
            (Method::GET, "/api/v1/users", None, None, StatusCode::BAD_REQUEST, "bad-request"),
            (Method::GET, "/api/v1/users/abc/sessions", None, None, StatusCode::BAD_REQUEST, "bad-request"),
            (Method::GET, "/api/v1/users/0/sessions", None, None, StatusCode::BAD_REQUEST, "bad-request"),
            (Method::GET, "/api/v1/users/99999999999999999999/sessions", None, None, StatusCode::BAD_REQUEST, "bad-request"),
            (Method::GET, "/api/v1/events?after=nonsense", None, None, StatusCode::BAD_REQUEST, "bad-request"),
            (Method::GET, "/api/v1/events?after=", None, None, StatusCode::BAD_REQUEST, "bad-request"),
            (Method::GET, "/api/v1/events?limit=0", None, None, StatusCode::BAD_REQUEST, "bad-request"),
            (Method::GET, "/api/v1/events?limit=1001", None, None, StatusCode::BAD_REQUEST, "bad-request"),
            (Method::GET, "/api/v1/nothing-here", None, None, StatusCode::NOT_FOUND, "not-found"),
            (Method::DELETE, "/api/v1/sessions/some-id", None, Some("{\"reason\": \"x\"}"), StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type"),
            (Method::DELETE, "/api/v1/sessions/some-id", Some("application/json"), Some("{not json"), StatusCode::BAD_REQUEST, "bad-request"),
            (Method::DELETE, "/api/v1/sessions/some-id", Some("application/json"), Some("{\"reason\": 5}"), StatusCode::BAD_REQUEST, "bad-request"),
            (Method::DELETE, "/api/v1/sessions/some-id", Some("application/json"), Some("{}"), StatusCode::BAD_REQUEST, "bad-request"),
            (Method::DELETE, "/api/v1/sessions/b%20d", Some("application/json"), Some("{\"reason\": \"x\"}"), StatusCode::BAD_REQUEST, "bad-request"),
            (Method::DELETE, "/api/v1/sessions/unknown", Some("application/json"), Some("{\"reason\": \"x\"}"), StatusCode::NOT_FOUND, "not-found"),
            (Method::POST, "/api/v1/users/1/suspend", Some("application/json"), Some(too_long.as_str()), StatusCode::BAD_REQUEST, "invalid-reason"),
            (Method::POST, "/api/v1/users/1/suspend", Some("application/json"), Some("{\"reason\": \" \\t\\u000b\\n \"}"), StatusCode::BAD_REQUEST, "invalid-reason"),
        ];
        let client = reqwest::Client::new();
        for (method, path, content_type, body, status, kind) in cases {
            let mut req = client.request(method.clone(), app.url(path)).header("authorization", format!("Bearer {t}"));
            if let Some(ct) = content_type {
                req = req.header("content-type", ct);
            }
            if let Some(body) = body {
                req = req.body(body.to_owned());
            }
            let res = req.send().await.unwrap();
            let got = Response { status: res.status(), headers: res.headers().clone(), wire_bytes: 0, body: res.text().await.unwrap() };
            assert_eq!((got.status, problem(&got)), (status, kind.to_owned()), "{method} {path} {body:?}");
        }
        // A reason with control and bidirectional characters is kept, made harmless.
        let (_, email) = app.signed_up(FIREFOX_WINDOWS).await;
        let user_id = app.user_id(&email).await;
        let res = call(&app, Some(&t), Method::POST, &format!("/api/v1/users/{user_id}/sessions/end"), Some(json!({"reason": "a\u{0}b\u{202e}c\nd"}))).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert_eq!(app.state.admin.log_page(1, 0).await.unwrap()[0].reason, "a\u{fffd}b\u{fffd}c d");
    }

    async fn the_openapi_document_describes_every_operation(app: TestApp) {
        let res = call(&app, None, Method::GET, "/api/v1/openapi.json", None).await;
        assert_eq!(res.status, StatusCode::OK);
        let doc = res.json();
        assert_eq!(doc["openapi"], "3.1.0");
        let paths = doc["paths"].as_object().unwrap();
        for (method, path, body, scope) in operations(1, "x") {
            let template = path.split('?').next().unwrap().replace("/1/", "/{user_id}/").replace("/sessions/x", "/sessions/{session_id}");
            let op = &paths.get(&template).unwrap_or_else(|| panic!("{template} documented"))[method.as_str().to_lowercase()];
            assert_eq!(op["security"][0]["bearer"][0], scope.as_str(), "{template}");
            for status in ["400", "401", "403", "429", "500"] {
                assert!(op["responses"].get(status).is_some(), "{method} {template} documents {status}");
            }
            assert_eq!(op["responses"].get("415").is_some(), body.is_some(), "{template}");
        }
        assert_eq!(paths.len(), 7, "every path, no more");
        assert!(doc["components"]["schemas"]["Problem"]["example"].is_object(), "with examples");
        assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    }
}

async fn sqlx_bytes(app: &TestApp, sql: &str) -> Vec<Vec<u8>> {
    active_sessions::db_read!(&app.state.db, |pool| sqlx::query_scalar(sql).fetch_all(pool).await).unwrap()
}

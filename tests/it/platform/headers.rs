//! Security headers (SECURITY.md 3.4.3 / 3.4.6, 14.3.1, 14.3.2) on every response: pages,
//! server functions, refusals and errors of every kind, and static files.

use crate::support::*;
use reqwest::{Method, StatusCode};

/// The headers every answer carries, whatever it is.
fn assert_secured(res: &Response, what: &str) {
    let csp = res.headers.get("content-security-policy").unwrap_or_else(|| panic!("{what}: no CSP")).to_str().unwrap();
    for directive in ["object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"] {
        assert!(csp.contains(directive), "{what}: {csp}");
    }
    assert_eq!(res.headers["x-content-type-options"], "nosniff", "{what}");
    assert_eq!(res.headers["referrer-policy"], "strict-origin-when-cross-origin", "{what}");
    assert_eq!(res.headers["x-frame-options"], "DENY", "{what}");
}

backend_tests! {
    // 3.3.1 / 3.3.3 and the other headers: CSP with a fresh nonce, nosniff, referrer policy,
    // no-store; HSTS and Secure __Host- cookies only on https.
    async fn security_headers_on_every_response(app: TestApp) {
        let (mut a, _) = app.signed_up(CHROME_MAC).await;
        let first = a.get("/active-sessions").await;
        let second = a.get("/active-sessions").await;
        let csp = first.headers["content-security-policy"].to_str().unwrap().to_owned();
        for directive in ["object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "'wasm-unsafe-eval'", "script-src 'self' 'nonce-"] {
            assert!(csp.contains(directive), "{csp}");
        }
        let nonce = csp.split("'nonce-").nth(1).unwrap().split('\'').next().unwrap();
        assert!(first.body.contains(&format!("nonce=\"{nonce}\"")), "the page's scripts carry the header's nonce");
        assert_ne!(csp, second.headers["content-security-policy"].to_str().unwrap(), "a new nonce per request");
        assert_eq!(first.headers["x-content-type-options"], "nosniff");
        assert_eq!(first.headers["referrer-policy"], "strict-origin-when-cross-origin");
        assert_eq!(first.headers["cache-control"], "no-store");
        assert!(first.headers.get("strict-transport-security").is_none(), "no HSTS over http");
        let api = a.form("/api/sessions/list", &[]).await;
        assert_eq!(api.headers["cache-control"], "no-store");
        let login = app.device(CHROME_MAC).get("/login").await;
        assert!(login.headers.contains_key("content-security-policy"));
        let logout = a.form("/api/logout", &[]).await;
        assert_eq!(logout.headers["clear-site-data"], "\"cookies\", \"storage\"");
    }


    // Refusals and errors carry them too: 403, 404, 405, 413, 415, 429, and static files.
    async fn security_headers_on_refusals_errors_and_static_files(app: TestApp) {
        let (mut a, email) = app.signed_up(CHROME_MAC).await;
        let mut stranger = app.device(CHROME_MAC);
        let forbidden = stranger
            .request(Method::POST, "/api/logout", &[("sec-fetch-site", "cross-site"), ("content-type", "application/x-www-form-urlencoded")], Some(String::new()))
            .await;
        assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
        assert_secured(&forbidden, "403");
        let missing = a.get("/no/such/page").await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        assert_secured(&missing, "404");
        let wrong_method = a.request(Method::PUT, "/healthz", &[("sec-fetch-site", "same-origin")], None).await;
        assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
        assert_secured(&wrong_method, "405");
        // A server may close the connection after refusing a body it did not read: the 413 goes
        // over a client of its own, so no later request reuses that connection.
        let big = "x".repeat(66 * 1024);
        let too_large = app
            .device(CHROME_MAC)
            .request(Method::POST, "/api/login", &[("sec-fetch-site", "same-origin"), ("content-type", "application/x-www-form-urlencoded")], Some(format!("email={big}")))
            .await;
        assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_secured(&too_large, "413");
        let media = a.request(Method::POST, "/api/logout", &[("sec-fetch-site", "same-origin"), ("content-type", "text/plain")], Some(String::new())).await;
        assert_eq!(media.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_secured(&media, "415");
        let mut limited = None;
        for i in 0..=app.state.config.login_max_failures_per_email {
            limited = Some(stranger.form("/api/login", &[("email", &email), ("password", &format!("guess {i}"))]).await);
        }
        let limited = limited.unwrap();
        assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
        assert_secured(&limited, "429");
        let static_file = stranger.get("/favicon.svg").await;
        assert_secured(&static_file, "static file");
        let health = stranger.get("/healthz").await;
        assert_secured(&health, "health");
    }

    // Crawlers get a robots.txt (not the log-in redirect every other unknown path gets), and
    // every page describes itself.
    async fn crawlers_get_robots_txt_and_a_description(app: TestApp) {
        let mut stranger = app.device(CHROME_MAC);
        let robots = stranger.get("/robots.txt").await;
        assert_eq!(robots.status, StatusCode::OK);
        assert_eq!(robots.headers["content-type"], "text/plain; charset=utf-8");
        assert!(robots.body.starts_with("User-agent: *\n"), "{}", robots.body);
        assert!(robots.body.contains("Disallow: /api/"), "{}", robots.body);
        assert_secured(&robots, "robots.txt");
        let login = stranger.get("/login").await;
        assert!(login.body.contains("<meta name=\"description\" content=\"See every device signed in"), "the log-in page has a description");
        let (mut a, _) = app.signed_up(CHROME_MAC).await;
        let page = a.get("/active-sessions").await;
        assert!(page.body.contains("<meta name=\"description\""), "the signed-in page has a description");
    }
}

/// Request ids and redirects: what a client writes is never taken as it is.
mod what_clients_write {
    use crate::support::*;

backend_tests! {
        // A client's X-Request-Id is believed only from a trusted proxy, and only in a safe shape.
        async fn request_ids_come_from_trusted_proxies_only(app: TestApp) {
            let mut device = app.device(CHROME_MAC);
            let res = device.request(reqwest::Method::GET, "/login", &[("x-request-id", "chosen-by-the-client")], None).await;
            let id = res.headers["x-request-id"].to_str().unwrap();
            assert_ne!(id, "chosen-by-the-client", "a direct client's id is not echoed");
            assert!(!id.is_empty());
        }
    
        // A successful no-JS form post goes back to a path of our own, never to a raw Referer.
        async fn no_js_answers_redirect_to_our_own_paths(app: TestApp) {
            let (mut device, _) = app.signed_up(CHROME_MAC).await;
            let res = device
                .request(
                    reqwest::Method::POST,
                    "/api/sessions/list",
                    &[
                        ("content-type", "application/x-www-form-urlencoded"),
                        ("accept", "text/html"),
                        ("sec-fetch-site", "same-origin"),
                        ("referer", "https://evil.example/phish"),
                    ],
                    Some(String::new()),
                )
                .await;
            let location = res.headers.get("location").map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default();
            assert!(location.starts_with('/') && !location.starts_with("//"), "{location}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trusted_proxys_request_id_is_kept_when_safe() {
    bounded(async {
        let Some(app) = TestApp::start(Backend::Sqlite, |c| c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()]).await else { return };
        let mut device = app.device(CHROME_MAC);
        let res = device.request(reqwest::Method::GET, "/login", &[("x-request-id", "edge-42.abc_DEF")], None).await;
        assert_eq!(res.headers["x-request-id"], "edge-42.abc_DEF");
        let res = device.request(reqwest::Method::GET, "/login", &[("x-request-id", "has spaces; and=more")], None).await;
        assert_ne!(res.headers["x-request-id"], "has spaces; and=more", "an unsafe shape is replaced");
        app.finish().await;
    })
    .await
}

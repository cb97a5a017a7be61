//! Cross-site request refusal. Leptos server functions check neither Origin nor Content-Type,
//! so every state-changing request passes here first:
//!
//! - `Sec-Fetch-Site: same-origin` is accepted; `same-site`, `cross-site` and `none` are
//!   refused (a sibling subdomain is not us, and `none` — a typed URL or bookmark — never
//!   needs to POST).
//! - Without `Sec-Fetch-Site` (older browsers), `Origin` must equal `PUBLIC_URL`'s origin.
//! - With neither header the request is refused: every browser that could be tricked into a
//!   cross-site request sends one of them, and our own pages always do.
//! - Server functions take `application/x-www-form-urlencoded` only (what both our forms and
//!   the Leptos client send); anything else is 415.
//!
//! Safe methods (GET, HEAD, OPTIONS) never change state, so they pass.

use super::config::Config;
use axum::{
    extract::{Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};
use http::{HeaderMap, Method, StatusCode, header};
use std::sync::Arc;

#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    CrossSite,
    UnsupportedMediaType,
}

pub fn judge(method: &Method, path: &str, headers: &HeaderMap, public_origin: &str) -> Verdict {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Verdict::Allow;
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let same_origin = match header("sec-fetch-site") {
        Some(site) => site.eq_ignore_ascii_case("same-origin"),
        None => header("origin").is_some_and(|origin| origin == public_origin),
    };
    if !same_origin {
        return Verdict::CrossSite;
    }
    if path.starts_with("/api/") {
        let form = header(header::CONTENT_TYPE.as_str())
            .and_then(|ct| ct.split(';').next())
            .is_some_and(|ct| ct.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"));
        if !form {
            return Verdict::UnsupportedMediaType;
        }
    }
    Verdict::Allow
}

pub async fn same_origin_only(State(config): State<Arc<Config>>, req: Request, next: Next) -> Response {
    match judge(req.method(), req.uri().path(), req.headers(), &config.public_origin()) {
        Verdict::Allow => next.run(req).await,
        Verdict::CrossSite => {
            tracing::warn!(method = %req.method(), path = req.uri().path(), "refused a cross-site request");
            refusal(StatusCode::FORBIDDEN, "This request did not come from this site, so it was refused.")
        }
        Verdict::UnsupportedMediaType => {
            refusal(StatusCode::UNSUPPORTED_MEDIA_TYPE, "This endpoint only accepts form data.")
        }
    }
}

fn refusal(status: StatusCode, message: &str) -> Response {
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Request refused</title>\
         <link rel=\"stylesheet\" href=\"/pkg/active-sessions.css\"></head><body><main class=\"auth-page\">\
         <div class=\"card narrow\"><h1>Request refused</h1><p>{message}</p>\
         <p><a href=\"{home}\">Go to Active sessions</a></p></div></main></body></html>",
        home = super::routes::HOME
    );
    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    const ORIGIN: &str = "http://127.0.0.1:3000";
    const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");

    #[test]
    fn matrix() {
        let post = Method::POST;
        let api = "/api/logout";
        let ok = |h: &[(&'static str, &'static str)]| judge(&post, api, &headers(h), ORIGIN);
        assert_eq!(ok(&[("sec-fetch-site", "same-origin"), FORM]), Verdict::Allow);
        assert_eq!(ok(&[("sec-fetch-site", "same-site"), FORM]), Verdict::CrossSite);
        assert_eq!(ok(&[("sec-fetch-site", "cross-site"), FORM]), Verdict::CrossSite);
        assert_eq!(ok(&[("sec-fetch-site", "none"), FORM]), Verdict::CrossSite);
        assert_eq!(ok(&[("origin", "http://127.0.0.1:3000"), FORM]), Verdict::Allow);
        assert_eq!(ok(&[("origin", "http://evil.example"), FORM]), Verdict::CrossSite);
        assert_eq!(ok(&[("origin", "null"), FORM]), Verdict::CrossSite);
        assert_eq!(ok(&[FORM]), Verdict::CrossSite);
        // Sec-Fetch-Site decides when present, even if Origin disagrees.
        assert_eq!(ok(&[("sec-fetch-site", "cross-site"), ("origin", "http://127.0.0.1:3000"), FORM]), Verdict::CrossSite);
        assert_eq!(ok(&[("sec-fetch-site", "same-origin"), ("content-type", "text/plain")]), Verdict::UnsupportedMediaType);
        assert_eq!(ok(&[("sec-fetch-site", "same-origin"), ("content-type", "application/json")]), Verdict::UnsupportedMediaType);
        assert_eq!(ok(&[("sec-fetch-site", "same-origin")]), Verdict::UnsupportedMediaType);
        assert_eq!(
            ok(&[("sec-fetch-site", "same-origin"), ("content-type", "application/x-www-form-urlencoded; charset=UTF-8")]),
            Verdict::Allow
        );
        assert_eq!(judge(&Method::GET, api, &headers(&[("sec-fetch-site", "cross-site")]), ORIGIN), Verdict::Allow);
        assert_eq!(judge(&Method::DELETE, "/x", &headers(&[("sec-fetch-site", "cross-site")]), ORIGIN), Verdict::CrossSite);
    }
}

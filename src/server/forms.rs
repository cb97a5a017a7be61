//! Server function answers, made right for both kinds of callers:
//!
//! - the Leptos client (JavaScript) gets the error's own status (401, 403, 404, 409, 422, 429…)
//!   instead of Leptos's blanket 500;
//! - a plain HTML form post (JavaScript off; it accepts `text/html`) gets a 303 back to the
//!   page it came from, with `?error=<code>`, instead of Leptos's encoded-error redirect.

use crate::error::AppError;
use axum::{body::Body, extract::Request, middleware::Next, response::Response};
use http::{HeaderValue, StatusCode, header};
use leptos::server_fn::error::FromServerFnError;

/// Error bodies are tiny; anything bigger is not ours.
const MAX_ERROR_BODY: usize = 16 * 1024;

pub async fn server_fn_answers(req: Request, next: Next) -> Response {
    let form_post = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    let back_to = req
        .headers()
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| url::Url::parse(r).ok())
        .map(|u| u.path().to_owned())
        .and_then(|p| super::context::local_path(&p).map(str::to_owned))
        .unwrap_or_else(|| "/".to_owned());
    let res = next.run(req).await;
    if !res.headers().contains_key("serverfnerror") {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_ERROR_BODY).await.unwrap_or_default();
    let error = AppError::de(bytes.clone());
    if form_post {
        let target = if error == AppError::SignedOut {
            "/login".to_owned()
        } else {
            let mut target = format!("{back_to}?error={}", error.code());
            if let AppError::RateLimited(secs) = error {
                target.push_str(&format!("&retry={secs}"));
            }
            target
        };
        parts.status = StatusCode::SEE_OTHER;
        if let Ok(location) = HeaderValue::from_str(&target) {
            parts.headers.insert(header::LOCATION, location);
        }
        return Response::from_parts(parts, Body::empty());
    }
    parts.status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    parts.headers.remove(header::LOCATION);
    Response::from_parts(parts, Body::from(bytes))
}

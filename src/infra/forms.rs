//! Server function answers, made right for both kinds of callers:
//!
//! - the Leptos client (JavaScript) gets the error's own status (401, 403, 404, 409, 422, 429…)
//!   instead of Leptos's blanket 500;
//! - a plain HTML form post (JavaScript off; it accepts `text/html`) gets a 303 back to the
//!   page it came from, with the error sealed into the URL (`infra::flash`), instead of
//!   Leptos's encoded-error redirect;
//! - every 429 and 503 carries `Retry-After`.

use super::{
    error::AppError,
    flash::{Kind, Message, Messages},
    routes,
};
use axum::extract::State;
use std::sync::Arc;
use axum::{body::Body, extract::Request, middleware::Next, response::Response};
use http::{HeaderValue, StatusCode, header};
use leptos::server_fn::error::FromServerFnError;

const SERVER_FN_ERROR_HEADER: &str = "serverfnerror";

/// The answer to a server function path that does not exist: the very answer of a server
/// function that returns `AppError::NotFound` (so an unknown function and one the caller may
/// not know about cannot be told apart).
pub fn unknown_server_fn(path: &str) -> Response {
    let mut res = Response::new(Body::from(AppError::NotFound.code()));
    *res.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    if let Ok(value) = HeaderValue::from_str(path) {
        res.headers_mut().insert(SERVER_FN_ERROR_HEADER, value);
    }
    res
}

/// Error bodies are tiny; anything bigger is not ours.
const MAX_ERROR_BODY: usize = 16 * 1024;

pub async fn server_fn_answers(State(messages): State<Arc<Messages>>, req: Request, next: Next) -> Response {
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
        .and_then(|p| routes::local_path(&p).map(str::to_owned))
        .unwrap_or_else(|| "/".to_owned());
    let mut res = next.run(req).await;
    if !res.headers().contains_key(SERVER_FN_ERROR_HEADER) {
        // A successful no-JS post goes back to its page; never to a raw `Referer` (which a
        // client writes), only to a path of our own.
        let foreign = res
            .headers()
            .get(header::LOCATION)
            .is_some_and(|l| l.to_str().ok().and_then(routes::local_path).is_none());
        if foreign {
            if let Ok(location) = HeaderValue::from_str(&back_to) {
                res.headers_mut().insert(header::LOCATION, location);
            }
        }
        return res;
    }
    let (mut parts, body) = res.into_parts();
    // It names the function's path: an internal detail, and not the same for every answer.
    parts.headers.remove(SERVER_FN_ERROR_HEADER);
    let bytes = axum::body::to_bytes(body, MAX_ERROR_BODY).await.unwrap_or_default();
    let error = AppError::de(bytes.clone());
    if form_post {
        let target = if error == AppError::SignedOut {
            routes::LOGIN.to_owned()
        } else {
            messages.redirect(&back_to, &Message::new(Kind::Error, error.code(), error.retry_after()))
        };
        parts.status = StatusCode::SEE_OTHER;
        if let Some(secs) = error.retry_after() {
            parts.headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if let Ok(location) = HeaderValue::from_str(&target) {
            parts.headers.insert(header::LOCATION, location);
        }
        return Response::from_parts(parts, Body::empty());
    }
    parts.status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    parts.headers.remove(header::LOCATION);
    if let Some(secs) = error.retry_after() {
        parts.headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    Response::from_parts(parts, Body::from(bytes))
}

//! Security headers on every response, and a fresh CSP nonce per request for the hydration
//! scripts (handed to Leptos through the request's extensions).

use super::config::Config;
use axum::{
    extract::{Request, State},
    middleware::Next,
    response::Response,
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use http::{HeaderValue, header};
use rand::RngCore;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct CspNonce(pub String);

/// 128 bits from the thread's CSPRNG (ChaCha, seeded from the OS): unpredictable, and no
/// system call per request.
fn nonce() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
         frame-ancestors 'none'; form-action 'self'"
    )
}

pub async fn security_headers(State(config): State<Arc<Config>>, mut req: Request, next: Next) -> Response {
    let nonce = nonce();
    req.extensions_mut().insert(CspNonce(nonce.clone()));
    let path = req.uri().path();
    let is_static = path.starts_with("/pkg/")
        || path.starts_with(super::routes::STYLES)
        || matches!(path, "/favicon.svg" | super::routes::PASSKEYS_SCRIPT);
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    if let Ok(csp) = HeaderValue::from_str(&content_security_policy(&nonce)) {
        h.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    h.insert("permissions-policy", HeaderValue::from_static("camera=(), microphone=(), geolocation=()"));
    if config.is_https() {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=63072000; includeSubDomains"));
    }
    if is_static {
        // File names are not content-hashed, so browsers revalidate (304 when unchanged)
        // rather than trust a copy that a deploy may have replaced.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, no-cache"));
    } else {
        // Signed-in pages and server function answers are never stored by any cache.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        // Ask Chromium for the detail Client Hints can add to the device (model, OS version).
        h.insert("accept-ch", HeaderValue::from_static("Sec-CH-UA-Model, Sec-CH-UA-Platform-Version"));
    }
    res
}

/// A client's `X-Request-Id` is kept only when it comes through a configured trusted proxy and
/// has a safe shape (1–64 of `A-Z a-z 0-9 . _ -`); otherwise it is dropped and the server makes
/// its own. So nobody can write what the logs say a request was called.
pub async fn request_id_from_trusted_proxies(
    axum::extract::State(config): axum::extract::State<std::sync::Arc<super::config::Config>>,
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let name = http::HeaderName::from_static("x-request-id");
    if let Some(value) = req.headers().get(&name) {
        let peer = req.extensions().get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip().to_canonical());
        let trusted = peer.is_some_and(|ip| config.trusted_proxies.iter().any(|net| net.contains(&ip)));
        if !trusted || !safe_request_id(value.as_bytes()) {
            req.headers_mut().remove(&name);
        }
    }
    next.run(req).await
}

fn safe_request_id(value: &[u8]) -> bool {
    (1..=64).contains(&value.len()) && value.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

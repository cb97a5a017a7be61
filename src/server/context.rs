//! What a server function reads about its request: the app state, the caller's session and
//! client, and how to answer (headers, redirects).

use super::state::AppState;
use crate::{
    error::AppError,
    sessions::service::{AuthSession, ClientInfo},
};
use http::{HeaderName, HeaderValue, request::Parts};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

/// The session the request came with, as the session layer found it.
#[derive(Debug, Clone, Default)]
pub struct RequestAuth(pub Option<AuthSession>);

pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| internal("AppState missing from context"))
}

fn parts() -> Result<Parts, AppError> {
    use_context::<Parts>().ok_or_else(|| internal("request parts missing from context"))
}

/// The caller's valid session, or `SignedOut`.
pub fn auth() -> Result<AuthSession, AppError> {
    parts()?.extensions.get::<RequestAuth>().and_then(|a| a.0.clone()).ok_or(AppError::SignedOut)
}

/// The caller's session if there is one.
pub fn maybe_auth() -> Option<AuthSession> {
    parts().ok()?.extensions.get::<RequestAuth>().and_then(|a| a.0.clone())
}

pub fn client() -> Result<ClientInfo, AppError> {
    parts()?.extensions.get::<ClientInfo>().cloned().ok_or_else(|| internal("client info missing"))
}

pub fn append_header(name: HeaderName, value: HeaderValue) {
    if let Some(res) = use_context::<ResponseOptions>() {
        res.append_header(name, value);
    }
}

/// Logs a server-side failure (without request data) and gives the caller a plain message.
pub fn internal(what: impl std::fmt::Display) -> AppError {
    tracing::error!("internal error: {what}");
    AppError::Internal
}

pub fn db_error(e: sqlx::Error) -> AppError {
    internal(format_args!("database: {e}"))
}

/// A path inside this site to go to after a form, or `None` (protects against open redirects).
pub fn local_path(candidate: &str) -> Option<&str> {
    let ok = candidate.starts_with('/')
        && !candidate.starts_with("//")
        && !candidate.contains('\\')
        && !candidate.chars().any(|c| c.is_control())
        && candidate.len() <= 512;
    ok.then_some(candidate)
}

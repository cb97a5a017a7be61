//! The operator's API (`/api/v1`): JSON for an offboarding script, a helpdesk tool or a SIEM —
//! find an account, list and end its sessions, suspend and reinstate it, read the audit feed.
//! Bearer tokens only (no cookies, so no cross-site request can use it); every refusal a
//! problem document; the OpenAPI document generated from the code.

mod auth;
mod doc;
mod handlers;
mod problem;

pub use doc::document;
pub use problem::TYPE_PREFIX;

use crate::identity::Identity;
use axum::{
    extract::FromRef,
    Router,
    routing::{delete, get, post},
};

/// The API's base path.
pub const BASE: &str = "/api/v1";

/// The API's routes (outside the session layer and the same-origin guard: no cookie is read).
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Identity: FromRef<S>,
{
    Router::new()
        .route("/api/v1/openapi.json", get(handlers::openapi))
        .route("/api/v1/users", get(handlers::find_user))
        .route("/api/v1/users/{user_id}/sessions", get(handlers::list_sessions))
        .route("/api/v1/users/{user_id}/sessions/end", post(handlers::end_all))
        .route("/api/v1/users/{user_id}/suspend", post(handlers::suspend))
        .route("/api/v1/users/{user_id}/reinstate", post(handlers::reinstate))
        .route("/api/v1/sessions/{session_id}", delete(handlers::end_session))
        .route("/api/v1/events", get(handlers::events))
        .route("/api/v1/{*rest}", axum::routing::any(|| async { problem::Problem::not_found("API operation") }))
}

//! The list's rows as HTML fragments, for the live list: one row after a new sign-in, every row
//! after a reconnection. Rendered by the same component as the page's rows.

use super::{
    api::{view, views},
    rows::own_row,
};
use crate::identity::{Identity, web::RequestAuth};
use axum::{
    extract::{Path, Request, State},
    response::{IntoResponse, Response},
};
use http::StatusCode;
use leptos::prelude::*;

/// `GET /active-sessions/rows/{id}`: one row of the caller's own list, as the page renders it.
pub async fn session_row(State(state): State<Identity>, Path(id): Path<String>, req: Request) -> Response {
    let Some(auth) = req.extensions().get::<RequestAuth>().and_then(|a| a.0.clone()) else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let (record, history) = match state.sessions.own(&auth, &id).await {
        Ok(Some(found)) => found,
        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::error!("session row: {e}");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let now = state.clock.now_ms();
    let html = Owner::new().with(|| own_row(view(record, Some(&auth), now, &history), now).to_html());
    ([(http::header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

/// `GET /active-sessions/rows`: every row of the caller's own list (after a reconnection).
pub async fn session_rows(State(state): State<Identity>, req: Request) -> Response {
    let Some(auth) = req.extensions().get::<RequestAuth>().and_then(|a| a.0.clone()) else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let sessions = match views(&state, auth.user_id, Some(&auth)).await {
        Ok(sessions) => sessions,
        Err(e) => {
            tracing::error!("session rows: {e}");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let now = state.clock.now_ms();
    let html = Owner::new().with(|| sessions.into_iter().map(|s| own_row(s, now).to_html()).collect::<String>());
    ([(http::header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

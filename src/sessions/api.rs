//! Server functions of the Active sessions page.

use super::types::{Ended, SessionList};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{
    server::context::{self, db_error},
    sessions::{service::AuthSession, store::SessionRecord, types::{DeviceKind, SessionView, device_label}},
};

#[cfg(feature = "ssr")]
fn view(record: SessionRecord, current: &AuthSession, now: i64) -> SessionView {
    let is_current = record.id == current.id;
    SessionView {
        device: device_label(record.browser.as_deref(), record.os.as_deref()),
        kind: DeviceKind::from_str(&record.device_kind),
        model: record.device_model,
        ip: record.ip,
        location: record.location.unwrap_or_else(|| super::geo::UNKNOWN_LOCATION.to_owned()),
        created_at: record.created_at,
        // This very request is activity, whether or not it was written down yet.
        last_seen_at: if is_current { now } else { record.last_seen_at },
        expires_at: record.expires_at,
        current: is_current,
        id: record.id,
    }
}

/// The caller's sessions: the current one first, then by last activity.
#[server(endpoint = "sessions/list")]
pub async fn list_sessions() -> Result<SessionList, AppError> {
    let state = context::state()?;
    let auth = context::auth()?;
    let now = state.clock.now_ms();
    let records = state.sessions.list(auth.user_id).await.map_err(db_error)?;
    let mut sessions: Vec<SessionView> = records.into_iter().map(|r| view(r, &auth, now)).collect();
    // Stable: the store already ordered the rest by last activity, newest first.
    sessions.sort_by_key(|s| !s.current);
    let window = crate::server::clock::duration_ms(state.config.reauth_window);
    Ok(SessionList { sessions, now, reauth_until: auth.password_confirmed_at + window })
}

/// Ending other sessions needs a recent password: within the window after the last password
/// entry nothing more is asked; after it, `password` must be given and right. Returns until
/// when no password is needed (the window restarts when one was given).
#[cfg(feature = "ssr")]
async fn require_recent_password(
    state: &crate::server::state::AppState,
    auth: &AuthSession,
    password: Option<String>,
) -> Result<i64, AppError> {
    let window = crate::server::clock::duration_ms(state.config.reauth_window);
    let now = state.clock.now_ms();
    if now - auth.password_confirmed_at <= window {
        return Ok(auth.password_confirmed_at + window);
    }
    let Some(password) = password.filter(|p| !p.is_empty()) else {
        return Err(AppError::ReauthRequired);
    };
    let client = context::client()?;
    let ip = client.ip.to_string();
    let user = crate::auth::store::find(&state.db, auth.user_id).await.map_err(db_error)?.ok_or(AppError::SignedOut)?;
    // A wrong password here counts towards the same limits as a failed log-in.
    let since = now - crate::server::clock::duration_ms(state.config.login_failure_window);
    if crate::auth::store::blocked_since(&state.db, true, &user.email, since, state.config.login_max_failures_per_email)
        .await
        .map_err(db_error)?
        .is_some()
    {
        return Err(AppError::RateLimited(60));
    }
    if !state.passwords.verify(password, Some(user.password_hash)).await {
        crate::auth::store::record_failure(&state.db, &user.email, &ip, now).await.map_err(db_error)?;
        let event =
            state.sessions.event(Some(user.id), crate::events::types::EventKind::ReauthFailed, &client);
        crate::events::store::record(&state.db, &event).await.map_err(db_error)?;
        return Err(AppError::WrongPassword);
    }
    state.sessions.confirm_password(auth).await.map_err(db_error)?;
    Ok(now + window)
}

/// Ends one of the caller's other sessions. Unknown ids and other people's sessions get the
/// same answer and change nothing.
#[server(endpoint = "sessions/terminate", output = crate::codec::Text)]
pub async fn terminate_session(id: String, password: Option<String>) -> Result<Ended, AppError> {
    let state = context::state()?;
    let auth = context::auth()?;
    let client = context::client()?;
    if id == auth.id {
        // Ending the session in use is logging out, which never asks for a password.
        crate::auth::api::logout().await?;
        return Ok(Ended { count: 1, reauth_until: 0 });
    }
    if !super::token::is_public_id(&id) {
        return Err(AppError::SessionNotFound);
    }
    let reauth_until = require_recent_password(&state, &auth, password).await?;
    if !state.sessions.terminate(&auth, &id, &client).await.map_err(db_error)? {
        return Err(AppError::SessionNotFound);
    }
    leptos_axum::redirect("/active-sessions?notice=terminated");
    Ok(Ended { count: 1, reauth_until })
}

/// Ends every session of the caller except this one. Harmless to repeat; never touches the
/// current session. Returns how many ended.
#[server(endpoint = "sessions/logout_others", output = crate::codec::Text)]
pub async fn logout_other_sessions(password: Option<String>) -> Result<Ended, AppError> {
    let state = context::state()?;
    let auth = context::auth()?;
    let client = context::client()?;
    let reauth_until = require_recent_password(&state, &auth, password).await?;
    let count = state.sessions.end_others(&auth, &client).await.map_err(db_error)?;
    leptos_axum::redirect(&format!("/active-sessions?notice=others_ended&count={count}"));
    Ok(Ended { count, reauth_until })
}

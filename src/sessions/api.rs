//! Server functions of the Active sessions page.

use super::types::{Ended, SessionList};
use crate::infra::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{
    identity::{context, session_store::SessionRecord, sessions::AuthSession, token::is_public_id},
    identity::{
        totp,
        types::{DeviceKind, SignInMethod, device_label},
    },
    infra::{clock::duration_ms, routes},
    sessions::types::{Notice, SessionView},
};

/// A stored session as a row of a list; `current`: the session looking at it, if it is one of
/// them (an administrator looks at someone else's).
#[cfg(feature = "ssr")]
pub fn view(record: SessionRecord, current: Option<&AuthSession>, now: i64) -> SessionView {
    let is_current = current.is_some_and(|c| c.id == record.id);
    SessionView {
        device: device_label(record.browser.as_deref(), record.os.as_deref()),
        kind: DeviceKind::parse(&record.device_kind),
        model: record.device_model,
        ip: record.ip,
        location: record.location.unwrap_or_else(|| crate::identity::geo::UNKNOWN_LOCATION.to_owned()),
        created_at: record.created_at,
        // This very request is activity, whether or not it was written down yet.
        last_seen_at: if is_current { now } else { record.times.last_seen_at },
        expires_at: record.times.expires_at,
        current: is_current,
        method: SignInMethod::parse(&record.method),
        id: record.id,
    }
}

/// The caller's sessions: the current one first, then by last activity.
#[server(endpoint = "sessions/list")]
pub async fn list_sessions() -> Result<SessionList, AppError> {
    let state = context::state()?;
    let auth = context::auth()?;
    let now = state.clock.now_ms();
    let records = state.sessions.list(auth.user_id).await?;
    let mut sessions: Vec<SessionView> = records.into_iter().map(|r| view(r, Some(&auth), now)).collect();
    // Stable: the store already ordered the rest by last activity, newest first.
    sessions.sort_by_key(|s| !s.current);
    let window = duration_ms(state.config.reauth_window);
    let two_factor = totp::is_on(&state.db, auth.user_id).await?;
    Ok(SessionList { sessions, now, reauth_until: auth.password_confirmed_at + window, two_factor })
}

/// Ends one of the caller's other sessions. Unknown ids and other people's sessions get the
/// same answer and change nothing.
#[server(endpoint = "sessions/terminate", output = crate::infra::codec::Text)]
pub async fn terminate_session(id: String, password: Option<String>) -> Result<Ended, AppError> {
    let state = context::state()?;
    let auth = context::auth()?;
    let client = context::client()?;
    if id == auth.id {
        // Ending the session in use is logging out, which never asks for a password.
        let next = context::log_out_here(&state).await?;
        return Ok(Ended { count: 1, reauth_until: 0, next: Some(next) });
    }
    if !is_public_id(&id) {
        return Err(AppError::SessionNotFound);
    }
    let reauth_until = context::require_recent_password(&state, &auth, password).await?;
    if !state.sessions.terminate(&auth, &id, &client).await? {
        return Err(AppError::SessionNotFound);
    }
    leptos_axum::redirect(&state.messages.redirect(routes::ACTIVE_SESSIONS, &Notice::Terminated.message()));
    Ok(Ended { count: 1, reauth_until, next: None })
}

/// Ends every session of the caller except this one. Harmless to repeat; never touches the
/// current session. Returns how many ended.
#[server(endpoint = "sessions/logout_others", output = crate::infra::codec::Text)]
pub async fn logout_other_sessions(password: Option<String>) -> Result<Ended, AppError> {
    let state = context::state()?;
    let auth = context::auth()?;
    let client = context::client()?;
    let reauth_until = context::require_recent_password(&state, &auth, password).await?;
    let count = state.sessions.end_others(&auth, &client).await?;
    leptos_axum::redirect(&state.messages.redirect(routes::ACTIVE_SESSIONS, &Notice::OthersEnded(count).message()));
    Ok(Ended { count, reauth_until, next: None })
}

//! Server functions of the Active sessions page.

use super::types::{AutoSignOutSetting, Ended, Renamed, SessionDetails, SessionList};
use crate::infra::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{
    identity::{
        web::caller as context,
        session::store::{self as session_store, SessionRecord, SightingRecord},
        session::AuthSession,
        Identity,
        session::token::is_public_id,
    },
    identity::{
        account::totp,
        model::{DeviceKind, SignInMethod, device_label},
    },
    infra::{clock::duration_ms, routes},
    sessions::types::{AutoSignOut, MAX_SESSION_NAME, Notice, SessionView, SightingView},
};

/// A stored session as a row of a list; `current`: the session looking at it, if it is one of
/// them (an administrator looks at someone else's); `history`: its recorded sightings, oldest
/// first (for its flags).
#[cfg(feature = "ssr")]
pub fn view(record: SessionRecord, current: Option<&AuthSession>, now: i64, history: &[SightingRecord]) -> SessionView {
    let is_current = current.is_some_and(|c| c.id == record.id);
    let flags = super::flags::flags(&record, history);
    SessionView {
        device: device_label(record.browser.as_deref(), record.os.as_deref()),
        kind: DeviceKind::parse(&record.device_kind),
        model: record.device_model,
        ip: record.ip,
        location: record.location.unwrap_or_else(|| crate::identity::client::geo::UNKNOWN_LOCATION.to_owned()),
        created_at: record.created_at,
        // This very request is activity, whether or not it was written down yet.
        last_seen_at: if is_current { now } else { record.times.last_seen_at },
        expires_at: record.times.expires_at,
        current: is_current,
        method: SignInMethod::parse(&record.method),
        name: record.name,
        flags,
        id: record.id,
    }
}

/// Every live session of `user_id` as rows: `current` first (when it is one of them), then the
/// others by last activity, newest first.
#[cfg(feature = "ssr")]
pub async fn views(state: &Identity, user_id: i64, current: Option<&AuthSession>) -> Result<Vec<SessionView>, sqlx::Error> {
    let now = state.clock.now_ms();
    let records = state.sessions.list(user_id).await?;
    let history = session_store::sightings_of_user(&state.db, user_id).await?;
    let mut sessions: Vec<SessionView> = records
        .into_iter()
        .map(|r| {
            let own: Vec<SightingRecord> = history.iter().filter(|h| h.session_id == r.id).cloned().collect();
            view(r, current, now, &own)
        })
        .collect();
    // Stable: the store already ordered the rest by last activity, newest first.
    sessions.sort_by_key(|s| !s.current);
    Ok(sessions)
}

/// One live session of `auth`'s account, with its history (oldest first); `None` when there is
/// no such session of theirs.
#[cfg(feature = "ssr")]
pub async fn own_session(state: &Identity, auth: &AuthSession, id: &str) -> Result<Option<(SessionRecord, Vec<SightingRecord>)>, sqlx::Error> {
    if !is_public_id(id) {
        return Ok(None);
    }
    let now = state.clock.now_ms();
    match session_store::find(&state.db, id).await? {
        Some(record) if record.user_id == auth.user_id && record.times.expires_at > now => {
            let history = session_store::sightings(&state.db, id).await?;
            Ok(Some((record, history)))
        }
        _ => Ok(None),
    }
}

/// The caller's sessions: the current one first, then by last activity.
#[server(endpoint = "sessions/list")]
pub async fn list_sessions() -> Result<SessionList, AppError> {
    let state = context::state()?;
    let auth = context::auth()?;
    let now = state.clock.now_ms();
    let sessions = views(&state, auth.user_id, Some(&auth)).await?;
    let window = duration_ms(state.config.reauth_window);
    let two_factor = totp::is_on(&state.db, auth.user_id).await?;
    Ok(SessionList { sessions, now, reauth_until: auth.password_confirmed_at + window, two_factor })
}

/// One of the caller's sessions with everything recorded about it. Someone else's session and
/// an unknown id get the same answer.
#[server(endpoint = "sessions/details")]
pub async fn get_session_details(id: String) -> Result<SessionDetails, AppError> {
    let state = context::state()?;
    let auth = context::auth()?;
    let now = state.clock.now_ms();
    let (record, history) = own_session(&state, &auth, &id).await?.ok_or(AppError::SessionNotFound)?;
    let timeline = history
        .iter()
        .rev()
        .map(|h| SightingView {
            at: h.at,
            ip: h.sighting.ip.clone(),
            location: h.sighting.location.clone().unwrap_or_else(|| crate::identity::client::geo::UNKNOWN_LOCATION.to_owned()),
            device: device_label(h.sighting.browser.as_deref(), h.sighting.os.as_deref()),
        })
        .collect();
    let window = duration_ms(state.config.reauth_window);
    Ok(SessionDetails {
        session: view(record, Some(&auth), now, &history),
        history: timeline,
        now,
        reauth_until: auth.password_confirmed_at + window,
    })
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

/// "This wasn't me" on another session: ends it and every other session but this one (the
/// same password rule as ending others), then leads to changing the password and turning on
/// two-factor authentication.
#[server(endpoint = "sessions/not_me", output = crate::infra::codec::Text)]
pub async fn not_me(id: String, password: Option<String>) -> Result<Ended, AppError> {
    let state = context::state()?;
    let auth = context::auth()?;
    let client = context::client()?;
    if id == auth.id || own_session(&state, &auth, &id).await?.is_none() {
        return Err(AppError::SessionNotFound);
    }
    let reauth_until = context::require_recent_password(&state, &auth, password).await?;
    let count = state.sessions.not_me(&auth, &id, &client).await?;
    let next = state.messages.redirect(routes::ACCOUNT_SETTINGS, &crate::auth::api::AccountNotice::OthersEndedNotMe.message());
    leptos_axum::redirect(&next);
    Ok(Ended { count, reauth_until, next: Some(next) })
}

/// Names one of the caller's sessions ("Work laptop"); an empty name gives it back its device
/// label. At most 40 characters. Answers with what the row now shows.
#[server(endpoint = "sessions/rename", output = crate::infra::codec::Text)]
pub async fn rename_session(id: String, name: String) -> Result<Renamed, AppError> {
    let state = context::state()?;
    let auth = context::auth()?;
    let client = context::client()?;
    let name = name.trim();
    if name.chars().count() > MAX_SESSION_NAME {
        return Err(AppError::NameTooLong);
    }
    if name.chars().any(char::is_control) {
        return Err(AppError::BadRequest);
    }
    let name = (!name.is_empty()).then_some(name);
    let (record, _) = own_session(&state, &auth, &id).await?.ok_or(AppError::SessionNotFound)?;
    if !state.sessions.rename(&auth, &id, name, &client).await? {
        return Err(AppError::SessionNotFound);
    }
    leptos_axum::redirect(&state.messages.redirect(routes::ACTIVE_SESSIONS, &Notice::Renamed.message()));
    Ok(Renamed(name.map_or_else(|| device_label(record.browser.as_deref(), record.os.as_deref()), str::to_owned)))
}

/// The account's auto sign-out, and the server's own idle timeout.
#[server(endpoint = "sessions/auto_sign_out")]
pub async fn get_auto_sign_out() -> Result<AutoSignOutSetting, AppError> {
    let state = context::state()?;
    let auth = context::auth()?;
    let limit = crate::identity::account::users::idle_limit(&state.db, auth.user_id).await?;
    let server_days = duration_ms(state.config.session_idle_timeout) / (24 * 3600 * 1000);
    Ok(AutoSignOutSetting { choice: AutoSignOut::from_ms(limit), server_days })
}

/// "Sign out devices I haven't used in": 7, 30 or 90 days, or never. Applies to every session
/// of the account at once (one unused for longer ends at its next request).
#[server(endpoint = "sessions/set_auto_sign_out")]
pub async fn set_auto_sign_out(after: String) -> Result<(), AppError> {
    let state = context::state()?;
    let auth = context::auth()?;
    let client = context::client()?;
    let choice: AutoSignOut = after.parse().map_err(|_| AppError::BadRequest)?;
    let limit = choice.days().map(|d| d * 24 * 3600 * 1000);
    state.sessions.set_idle_limit(&auth, limit, &client).await?;
    let notice = crate::auth::api::AccountNotice::AutoSignOutSaved.message();
    leptos_axum::redirect(&state.messages.redirect(routes::AUTO_SIGN_OUT_SECTION, &notice));
    Ok(())
}

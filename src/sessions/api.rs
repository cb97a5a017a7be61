//! Server functions of the Active sessions page.

use super::types::{AutoSignOutSetting, Ended, Renamed, SessionDetails, SessionList};
use crate::infra::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{
    identity::{
        Identity,
        model::{DeviceKind, SignInMethod, device_label},
        session::{AuthSession, SessionRecord, SightingRecord},
        sign_in::SessionEnded,
        web::{Caller, SignedIn},
    },
    infra::routes,
    sessions::types::{AutoSignOut, Notice, SessionView, SightingView},
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
        location: record.location.unwrap_or_else(|| crate::identity::client::UNKNOWN_LOCATION.to_owned()),
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
pub async fn views(identity: &Identity, user_id: i64, current: Option<&AuthSession>) -> Result<Vec<SessionView>, AppError> {
    let now = identity.clock.now_ms();
    let mut sessions: Vec<SessionView> = identity
        .sessions
        .list_with_history(user_id)
        .await?
        .into_iter()
        .map(|(record, history)| view(record, current, now, &history))
        .collect();
    // Stable: the store already ordered the rest by last activity, newest first.
    sessions.sort_by_key(|s| !s.current);
    Ok(sessions)
}

/// The caller's sessions: the current one first, then by last activity.
#[server(endpoint = "sessions/list")]
pub async fn list_sessions() -> Result<SessionList, AppError> {
    let me = SignedIn::get()?;
    let now = me.identity.clock.now_ms();
    let sessions = views(&me.identity, me.session.user_id, Some(&me.session)).await?;
    let two_factor = me.identity.two_factor.is_on(me.session.user_id).await?;
    Ok(SessionList { sessions, now, reauth_until: me.identity.accounts.confirmed_until(&me.session), two_factor })
}

/// One of the caller's sessions with everything recorded about it. Someone else's session and
/// an unknown id get the same answer.
#[server(endpoint = "sessions/details")]
pub async fn get_session_details(id: String) -> Result<SessionDetails, AppError> {
    let me = SignedIn::get()?;
    let now = me.identity.clock.now_ms();
    let (record, history) = me.identity.sessions.own(&me.session, &id).await?.ok_or(AppError::SessionNotFound)?;
    let timeline = history
        .iter()
        .rev()
        .map(|h| SightingView {
            at: h.at,
            ip: h.sighting.ip.clone(),
            location: h.sighting.location.clone().unwrap_or_else(|| crate::identity::client::UNKNOWN_LOCATION.to_owned()),
            device: device_label(h.sighting.browser.as_deref(), h.sighting.os.as_deref()),
        })
        .collect();
    Ok(SessionDetails {
        session: view(record, Some(&me.session), now, &history),
        history: timeline,
        now,
        reauth_until: me.identity.accounts.confirmed_until(&me.session),
    })
}

/// Ends one of the caller's sessions (this one: a log-out). Unknown ids and other people's
/// sessions get the same answer and change nothing.
#[server(endpoint = "sessions/terminate", output = crate::infra::codec::Text)]
pub async fn terminate_session(id: String, password: Option<String>) -> Result<Ended, AppError> {
    let caller = Caller::get()?;
    match caller.identity.sign_in.end_session(&caller.browser(), &id, password).await? {
        SessionEnded::ThisOne(landing) => {
            let next = caller.land(landing);
            Ok(Ended { count: 1, reauth_until: 0, next: Some(next) })
        }
        SessionEnded::Other { reauth_until } => {
            leptos_axum::redirect(&caller.identity.messages.redirect(routes::ACTIVE_SESSIONS, &Notice::Terminated.message()));
            Ok(Ended { count: 1, reauth_until, next: None })
        }
    }
}

/// Ends every session of the caller except this one. Harmless to repeat; never touches the
/// current session. Returns how many ended.
#[server(endpoint = "sessions/logout_others", output = crate::infra::codec::Text)]
pub async fn logout_other_sessions(password: Option<String>) -> Result<Ended, AppError> {
    let me = SignedIn::get()?;
    let (count, reauth_until) = me.identity.sign_in.end_others(&me.session, &me.client, password).await?;
    leptos_axum::redirect(&me.identity.messages.redirect(routes::ACTIVE_SESSIONS, &Notice::OthersEnded(count).message()));
    Ok(Ended { count, reauth_until, next: None })
}

/// "This wasn't me" on another session: disowns it — it and every other session but this one
/// end, what it added goes (the same password rule as ending others) — then leads to the
/// review of sign-in methods.
#[server(endpoint = "sessions/not_me", output = crate::infra::codec::Text)]
pub async fn not_me(id: String, password: Option<String>) -> Result<Ended, AppError> {
    let me = SignedIn::get()?;
    let (done, reauth_until) = me.identity.sign_in.not_me(&me.session, &me.client, &id, password).await?;
    let count = done.ended.len();
    let next = me.identity.messages.redirect(routes::REVIEW, &crate::auth::api::AccountNotice::OthersEndedNotMe.message());
    leptos_axum::redirect(&next);
    Ok(Ended { count, reauth_until, next: Some(next) })
}

/// Names one of the caller's sessions ("Work laptop"); an empty name gives it back its device
/// label. At most 40 characters. Answers with what the row now shows.
#[server(endpoint = "sessions/rename", output = crate::infra::codec::Text)]
pub async fn rename_session(id: String, name: String) -> Result<Renamed, AppError> {
    let me = SignedIn::get()?;
    let shown = me.identity.sessions.rename(&me.session, &id, &name, &me.client).await?;
    leptos_axum::redirect(&me.identity.messages.redirect(routes::ACTIVE_SESSIONS, &Notice::Renamed.message()));
    Ok(Renamed(shown))
}

/// The account's auto sign-out, and the server's own idle timeout.
#[server(endpoint = "sessions/auto_sign_out")]
pub async fn get_auto_sign_out() -> Result<AutoSignOutSetting, AppError> {
    let me = SignedIn::get()?;
    let limit = me.identity.accounts.auto_sign_out(me.session.user_id).await?;
    let server_days = crate::infra::clock::duration_ms(me.identity.config.session_idle_timeout) / (24 * 3600 * 1000);
    Ok(AutoSignOutSetting { choice: AutoSignOut::from_ms(limit), server_days })
}

/// "Sign out devices I haven't used in": 7, 30 or 90 days, or never. Applies to every session
/// of the account at once (one unused for longer ends at its next request).
#[server(endpoint = "sessions/set_auto_sign_out")]
pub async fn set_auto_sign_out(after: String) -> Result<(), AppError> {
    let me = SignedIn::get()?;
    let choice: AutoSignOut = after.parse().map_err(|_| AppError::BadRequest)?;
    let limit = choice.days().map(|d| d * 24 * 3600 * 1000);
    me.identity.sessions.set_idle_limit(&me.session, limit, &me.client).await?;
    let notice = crate::auth::api::AccountNotice::AutoSignOutSaved.message();
    leptos_axum::redirect(&me.identity.messages.redirect(routes::AUTO_SIGN_OUT_SECTION, &notice));
    Ok(())
}

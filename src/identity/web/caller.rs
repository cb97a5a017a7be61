//! What a server function reads about its request — the app state, the caller's session and
//! client — and the two things every feature does with a browser: sign it in, sign it out.

use crate::identity::{
    sign_in::alerts,
    client::device::ClientInfo,
    sign_in::pending::{self, Pending},
    session::AuthSession,
    Identity,
    model::{EndReason, EventKind, SignInMethod},
    account::users::UserRecord,
};
use crate::infra::{
    clock::duration_ms,
    context::{append_header, expect, internal},
    error::AppError,
    flash::{Kind, Message},
    routes,
};
use http::{HeaderValue, header, request::Parts};
use leptos::prelude::use_context;

/// The session the request came with, as the session layer found it.
#[derive(Debug, Clone, Default)]
pub struct RequestAuth(pub Option<AuthSession>);

pub fn state() -> Result<Identity, AppError> {
    expect::<Identity>("Identity")
}

fn parts() -> Result<Parts, AppError> {
    expect::<Parts>("request parts")
}

/// The caller's valid session, or `SignedOut`.
pub fn auth() -> Result<AuthSession, AppError> {
    parts()?.extensions.get::<RequestAuth>().and_then(|a| a.0.clone()).ok_or(AppError::SignedOut)
}

/// The caller's session if there is one.
pub fn maybe_auth() -> Option<AuthSession> {
    use_context::<Parts>()?.extensions.get::<RequestAuth>().and_then(|a| a.0.clone())
}

pub fn client() -> Result<ClientInfo, AppError> {
    parts()?.extensions.get::<ClientInfo>().cloned().ok_or_else(|| internal("client info missing"))
}

/// The device token this browser carries, if any.
pub fn device_token(state: &Identity) -> Option<String> {
    use_context::<Parts>().and_then(|p| state.cookies.device(&p.headers))
}

/// The token of the emailed link this browser followed (moved into a cookie on arrival).
pub fn link_token(state: &Identity) -> Option<String> {
    use_context::<Parts>().and_then(|p| state.cookies.link(&p.headers))
}

/// The emailed link is used up: the browser forgets it.
pub fn forget_link(state: &Identity) {
    append_header(header::SET_COOKIE, state.cookies.clear_link());
}

/// Keeps `token` (an emailed link's) with this browser for the page it leads to.
pub fn keep_link(state: &Identity, token: &str) {
    append_header(header::SET_COOKIE, state.cookies.issue_link(token));
}

/// Starts a new session for `user_id`, who proved who they are `method`'s way while the
/// account's password hash was `credential`, and sets its cookie. Ends the session this
/// browser was still using, if any: a log-in never carries an old session forward. Gives the
/// browser a device token if it has none, and remembers it for this account.
pub async fn start_session(
    state: &Identity,
    user_id: i64,
    credential: &str,
    kind: EventKind,
    method: SignInMethod,
) -> Result<(), AppError> {
    let client = client()?;
    if let Some(previous) = maybe_auth() {
        state.sessions.logout(&previous, &client).await?;
    }
    let device = device_token(state);
    let known_device = match &device {
        Some(device) => state.credentials.knows_device(user_id, device).await?,
        None => false,
    };
    // The password changed or the account went away since it was checked: start nothing.
    let started = state
        .sessions
        .create(user_id, credential, &client, kind, method, known_device)
        .await?
        .ok_or(AppError::BadCredentials)?;
    append_header(header::SET_COOKIE, state.cookies.issue(&started.token));
    let device = match device {
        Some(device) => device,
        None => {
            let (device, cookie) = state.cookies.new_device();
            append_header(header::SET_COOKIE, cookie);
            device
        }
    };
    state.credentials.remember_device(user_id, &device).await?;
    if started.novelty.any() {
        alerts::sign_in(state, &started.record, started.novelty).await?;
    }
    Ok(())
}

/// The password was right and a second factor is due: no session, only a pending log-in
/// bound to this browser. Returns where to send it.
pub async fn begin_second_factor(state: &Identity, user: &UserRecord) -> Result<&'static str, AppError> {
    let token = pending::create(&state.db, user.id, &user.password_hash, state.clock.now_ms()).await?;
    append_header(header::SET_COOKIE, state.cookies.issue_pending(&token));
    Ok(routes::TWO_FACTOR_LOGIN)
}

/// This browser's pending log-in (its cookie's token, and the log-in), if it has one open.
pub async fn pending_login(state: &Identity) -> Result<Option<(String, Pending)>, AppError> {
    let Some(token) = use_context::<Parts>().and_then(|p| state.cookies.pending(&p.headers)) else { return Ok(None) };
    Ok(pending::find(&state.db, &token, state.clock.now_ms()).await?.map(|p| (token, p)))
}

/// The pending log-in is over (finished or cancelled): the browser forgets it.
pub fn forget_pending(state: &Identity) {
    append_header(header::SET_COOKIE, state.cookies.clear_pending());
}

/// The browser's session cookie goes (its session already ended).
pub fn clear_session_cookie(state: &Identity) {
    append_header(header::SET_COOKIE, state.cookies.clear());
}

/// The log-in page, saying why this browser was signed out.
pub fn signed_out_page(state: &Identity, reason: EndReason) -> String {
    state.messages.redirect(routes::LOGIN, &Message::new(Kind::SignedOut, reason.as_str(), None))
}

/// The answer that leaves this browser signed out: the cookie and site data cleared, and the
/// log-in page saying why. Returns where it sends the browser.
pub fn leave_browser(state: &Identity, reason: EndReason) -> String {
    append_header(header::SET_COOKIE, state.cookies.clear());
    append_header(
        http::HeaderName::from_static("clear-site-data"),
        HeaderValue::from_static("\"cookies\", \"storage\""),
    );
    let next = signed_out_page(state, reason);
    leptos_axum::redirect(&next);
    next
}

/// Logs the caller's session out (if there is one) and signs the browser out. Returns where
/// it sends the browser.
pub async fn log_out_here(state: &Identity) -> Result<String, AppError> {
    if let Some(auth) = maybe_auth() {
        state.sessions.logout(&auth, &client()?).await?;
    }
    Ok(leave_browser(state, EndReason::LoggedOut))
}

/// Some actions need a recent password (ASVS 7.5.1, 7.5.2): ending other sessions, turning
/// two-factor authentication on, new recovery codes, adding or removing a passkey. Within the
/// window after the last password entry (`REAUTH_WINDOW`) nothing more is asked; after it,
/// `password` must be given and right — checked by the one password check, with its throttle.
/// Returns until when no password is needed (the window restarts when one was given).
pub async fn require_recent_password(state: &Identity, auth: &AuthSession, password: Option<String>) -> Result<i64, AppError> {
    let window = duration_ms(state.config.reauth_window);
    let now = state.clock.now_ms();
    if now - auth.password_confirmed_at <= window {
        return Ok(auth.password_confirmed_at + window);
    }
    let Some(password) = password.filter(|p| !p.is_empty()) else {
        return Err(AppError::ReauthRequired);
    };
    state.credentials.confirm(auth.user_id, password, &client()?).await?;
    state.sessions.confirm_password(auth).await?;
    Ok(now + window)
}

/// Whether the caller's next sensitive action will ask for the password.
pub fn reauth_due(state: &Identity, auth: &AuthSession) -> bool {
    state.clock.now_ms() - auth.password_confirmed_at > duration_ms(state.config.reauth_window)
}

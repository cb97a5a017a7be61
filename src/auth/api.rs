//! Server functions for accounts. Thin: check the caller, call the store, map errors.
//! Each also works as a plain HTML form post: on success it redirects where the person should
//! land; errors go back to the form's page (see `server::forms`).

use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{
    auth::{password, store},
    events::types::EventKind,
    server::context::{self, db_error},
    sessions::types::EndReason,
};

/// Where people land after signing in.
pub const HOME: &str = "/active-sessions";

#[cfg(feature = "ssr")]
fn check_email(email: &str) -> Result<(), AppError> {
    let email = email.trim();
    if email.len() > 254 || !email_address::EmailAddress::is_valid(email) {
        return Err(AppError::InvalidEmail);
    }
    Ok(())
}

/// Starts a new session for `user_id` and sets its cookie. Ends the session this browser was
/// still using, if any: a log-in never carries an old session forward.
#[cfg(feature = "ssr")]
async fn start_session(
    state: &crate::server::state::AppState,
    user_id: i64,
    kind: EventKind,
) -> Result<(), AppError> {
    let client = context::client()?;
    if let Some(previous) = context::maybe_auth() {
        state.sessions.logout(&previous, &client).await.map_err(db_error)?;
    }
    let token = state.sessions.create(user_id, &client, kind).await.map_err(db_error)?;
    context::append_header(http::header::SET_COOKIE, state.cookies.issue(&token));
    Ok(())
}

/// The answer that leaves this browser signed out: the cookie and site data cleared, and the
/// log-in page saying why.
#[cfg(feature = "ssr")]
fn leave_browser(state: &crate::server::state::AppState, reason: EndReason) {
    context::append_header(http::header::SET_COOKIE, state.cookies.clear());
    context::append_header(
        http::HeaderName::from_static("clear-site-data"),
        http::HeaderValue::from_static("\"cookies\", \"storage\""),
    );
    leptos_axum::redirect(&format!("/login?signed_out={}", reason.as_str()));
}

#[server(endpoint = "signup")]
pub async fn signup(email: String, password: String) -> Result<(), AppError> {
    let state = context::state()?;
    check_email(&email)?;
    password::check_new(&password)?;
    let hash = password::hash(password).await?;
    let now = state.clock.now_ms();
    let user_id = store::create(&state.db, &email, &hash, now).await.map_err(db_error)?.ok_or(AppError::EmailTaken)?;
    start_session(&state, user_id, EventKind::SignedUp).await?;
    leptos_axum::redirect(HOME);
    Ok(())
}

#[server(endpoint = "login")]
pub async fn login(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    let state = context::state()?;
    let client = context::client()?;
    let config = &state.config;
    let now = state.clock.now_ms();
    let since = now - crate::server::clock::duration_ms(config.login_failure_window);
    let window = crate::server::clock::duration_ms(config.login_failure_window);
    let ip = client.ip.to_string();
    // Too many recent failures for this address or from this client: slow down, never lock.
    for (by_email, key, limit) in
        [(true, email.as_str(), config.login_max_failures_per_email), (false, ip.as_str(), config.login_max_failures_per_ip)]
    {
        if let Some(oldest) = store::blocked_since(&state.db, by_email, key, since, limit).await.map_err(db_error)? {
            let retry_after = ((oldest + window - now).max(1000) + 999) / 1000;
            context::append_header(http::header::RETRY_AFTER, retry_after.into());
            return Err(AppError::RateLimited(retry_after as u64));
        }
    }
    let user = store::find_by_email(&state.db, &email).await.map_err(db_error)?;
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    if !state.passwords.verify(password, stored).await {
        store::record_failure(&state.db, &email, &ip, now).await.map_err(db_error)?;
        let event = state.sessions.event(user.as_ref().map(|u| u.id), EventKind::SignInFailed, &client);
        crate::events::store::record(&state.db, &event).await.map_err(db_error)?;
        return Err(AppError::BadCredentials);
    }
    let user = user.ok_or_else(|| context::internal("verified without an account"))?;
    store::clear_failures(&state.db, &email).await.map_err(db_error)?;
    start_session(&state, user.id, EventKind::SignedIn).await?;
    let target = next.as_deref().and_then(context::local_path).unwrap_or(HOME);
    leptos_axum::redirect(target);
    Ok(())
}

#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    let state = context::state()?;
    if let Some(auth) = context::maybe_auth() {
        let client = context::client()?;
        state.sessions.logout(&auth, &client).await.map_err(db_error)?;
    }
    leave_browser(&state, EndReason::LoggedOut);
    Ok(())
}

/// Checks the caller's current password (for changing it or deleting the account).
#[cfg(feature = "ssr")]
async fn verify_current(
    state: &crate::server::state::AppState,
    auth: &crate::sessions::service::AuthSession,
    password: String,
) -> Result<store::UserRecord, AppError> {
    let user = store::find(&state.db, auth.user_id).await.map_err(db_error)?.ok_or(AppError::SignedOut)?;
    if !state.passwords.verify(password, Some(user.password_hash.clone())).await {
        let client = context::client()?;
        let event = state.sessions.event(Some(user.id), EventKind::ReauthFailed, &client);
        crate::events::store::record(&state.db, &event).await.map_err(db_error)?;
        return Err(AppError::WrongPassword);
    }
    state.sessions.confirm_password(auth).await.map_err(db_error)?;
    Ok(user)
}

#[server(endpoint = "change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
    log_out_others: Option<String>,
) -> Result<(), AppError> {
    let state = context::state()?;
    let auth = context::auth()?;
    let client = context::client()?;
    password::check_new(&new_password)?;
    let user = verify_current(&state, &auth, current_password).await?;
    let hash = password::hash(new_password).await?;
    let mut event = state.sessions.event(Some(user.id), EventKind::PasswordChanged, &client);
    event.actor_session_id = Some(auth.id.clone());
    store::set_password(&state.db, user.id, &hash, state.clock.now_ms(), &event).await.map_err(db_error)?;
    let notice = if log_out_others.is_some() {
        state
            .sessions
            .end_all(user.id, Some(&auth.id), EndReason::PasswordChanged, Some(&auth.id))
            .await
            .map_err(db_error)?;
        "password_changed_others_ended"
    } else {
        "password_changed"
    };
    leptos_axum::redirect(&format!("/settings/account?notice={notice}"));
    Ok(())
}

#[server(endpoint = "delete_account")]
pub async fn delete_account(password: String) -> Result<(), AppError> {
    let state = context::state()?;
    let auth = context::auth()?;
    let user = verify_current(&state, &auth, password).await?;
    // End every session first (recording why, dropping cached checks), then the account.
    state.sessions.end_all(user.id, None, EndReason::AccountDeleted, Some(&auth.id)).await.map_err(db_error)?;
    store::delete(&state.db, user.id).await.map_err(db_error)?;
    leave_browser(&state, EndReason::AccountDeleted);
    Ok(())
}

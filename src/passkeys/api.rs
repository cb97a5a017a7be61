//! Server functions of passkeys: list, add (two steps: options, then the authenticator's
//! answer), rename, remove; and signing in with one (two steps, no email needed).

use crate::infra::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::{
    identity::{
        account::{passkeys::Passkeys, passkey_store as store},
        web::caller as context,
        security_log::record,
        model::{EventKind, SignInMethod},
        account::users,
    },
    infra::{context::expect, routes},
    
};
#[cfg(feature = "ssr")]
use std::sync::Arc;

/// The longest passkey name.
pub const MAX_NAME: usize = 40;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyView {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyList {
    /// False when the site has no domain name (WebAuthn needs one).
    pub available: bool,
    pub passkeys: Vec<PasskeyView>,
    /// Whether adding or removing one will ask for the password.
    pub reauth_due: bool,
    pub now: i64,
}

/// A WebAuthn ceremony begun: `options` (JSON) for the browser, `token` to finish it with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ceremony {
    pub token: String,
    pub options: String,
}

#[cfg(feature = "ssr")]
fn passkeys() -> Result<Arc<Passkeys>, AppError> {
    expect::<Arc<Passkeys>>("passkeys")
}

#[cfg(feature = "ssr")]
fn clean_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(AppError::BadRequest);
    }
    Ok(name.to_owned())
}

#[server(endpoint = "passkeys/list")]
pub async fn list_passkeys() -> Result<PasskeyList, AppError> {
    let state = context::state()?;
    let auth = context::auth()?;
    let passkeys = store::list(&state.db, auth.user_id)
        .await?
        .into_iter()
        .map(|p| PasskeyView { id: p.credential_id, name: p.name, created_at: p.created_at, last_used_at: p.last_used_at })
        .collect();
    Ok(PasskeyList {
        available: self::passkeys()?.available(),
        passkeys,
        reauth_due: context::reauth_due(&state, &auth),
        now: state.clock.now_ms(),
    })
}

/// Starts adding a passkey named `name` (a recent password is needed).
#[server(endpoint = "passkeys/add_start")]
pub async fn start_adding_passkey(password: Option<String>) -> Result<Ceremony, AppError> {
    let state = context::state()?;
    let auth = context::auth()?;
    context::require_recent_password(&state, &auth, password).await?;
    let email = users::find(&state.db, auth.user_id).await?.ok_or(AppError::SignedOut)?.email;
    let started = passkeys()?.start_registration(&state.db, auth.user_id, &email, state.clock.now_ms()).await?;
    Ok(Ceremony { token: started.token, options: started.options })
}

/// Finishes adding a passkey with the authenticator's answer (`credential`, JSON).
#[server(endpoint = "passkeys/add_finish")]
pub async fn finish_adding_passkey(token: String, credential: String, name: String) -> Result<(), AppError> {
    let state = context::state()?;
    let auth = context::auth()?;
    let client = context::client()?;
    let name = clean_name(&name)?;
    passkeys()?.finish_registration(&state.db, auth.user_id, &token, &credential, &name, state.clock.now_ms()).await?;
    let mut event = state.sessions.event(Some(auth.user_id), EventKind::PasskeyAdded, &client).by(&auth.id);
    event.detail = Some(name);
    record(&state.db, &event).await?;
    Ok(())
}

#[server(endpoint = "passkeys/rename")]
pub async fn rename_passkey(id: String, name: String) -> Result<(), AppError> {
    let state = context::state()?;
    let auth = context::auth()?;
    let client = context::client()?;
    let name = clean_name(&name)?;
    if !store::rename(&state.db, auth.user_id, &id, &name).await? {
        return Err(AppError::NotFound);
    }
    let mut event = state.sessions.event(Some(auth.user_id), EventKind::PasskeyRenamed, &client).by(&auth.id);
    event.detail = Some(name);
    record(&state.db, &event).await?;
    leptos_axum::redirect(routes::PASSKEYS_SECTION);
    Ok(())
}

/// Removes a passkey (a recent password is needed).
#[server(endpoint = "passkeys/remove")]
pub async fn remove_passkey(id: String, password: Option<String>) -> Result<(), AppError> {
    let state = context::state()?;
    let auth = context::auth()?;
    let client = context::client()?;
    context::require_recent_password(&state, &auth, password).await?;
    let name = store::remove(&state.db, auth.user_id, &id).await?.ok_or(AppError::NotFound)?;
    let mut event = state.sessions.event(Some(auth.user_id), EventKind::PasskeyRemoved, &client).by(&auth.id);
    event.detail = Some(name);
    record(&state.db, &event).await?;
    leptos_axum::redirect(routes::PASSKEYS_SECTION);
    Ok(())
}

/// Starts signing in with a passkey.
#[server(endpoint = "passkeys/sign_in_start")]
pub async fn start_passkey_sign_in() -> Result<Ceremony, AppError> {
    let state = context::state()?;
    let started = passkeys()?.start_authentication(&state.db, state.clock.now_ms()).await?;
    Ok(Ceremony { token: started.token, options: started.options })
}

/// Finishes signing in with a passkey: a session, as a password and a second factor would
/// give. Returns where to go.
#[server(endpoint = "passkeys/sign_in_finish")]
pub async fn finish_passkey_sign_in(token: String, credential: String) -> Result<String, AppError> {
    let state = context::state()?;
    let user_id = passkeys()?.finish_authentication(&state.db, &token, &credential, state.clock.now_ms()).await?;
    let user = users::find(&state.db, user_id).await?.ok_or(AppError::PasskeyFailed)?;
    context::start_session(&state, user.id, &user.password_hash, EventKind::SignedIn, SignInMethod::Passkey).await?;
    Ok(routes::HOME.to_owned())
}

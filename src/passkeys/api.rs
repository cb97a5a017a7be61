//! Server functions of passkeys: list, add (two steps: options, then the authenticator's
//! answer), rename, remove; and signing in with one (two steps, no email needed).

use crate::infra::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::{
    identity::web::{Caller, SignedIn},
    infra::routes,
};

/// The longest passkey name.
pub use crate::identity::model::MAX_PASSKEY_NAME as MAX_NAME;

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

#[server(endpoint = "passkeys/list")]
pub async fn list_passkeys() -> Result<PasskeyList, AppError> {
    let me = SignedIn::get()?;
    let passkeys = me.identity.passkeys.list(me.session.user_id).await?;
    Ok(PasskeyList {
        available: me.identity.passkeys.available(),
        passkeys: passkeys
            .into_iter()
            .map(|p| PasskeyView { id: p.credential_id, name: p.name, created_at: p.created_at, last_used_at: p.last_used_at })
            .collect(),
        reauth_due: me.identity.accounts.reauth_due(&me.session),
        now: me.identity.clock.now_ms(),
    })
}

/// Starts adding a passkey (a recent password is needed).
#[server(endpoint = "passkeys/add_start")]
pub async fn start_adding_passkey(password: Option<String>) -> Result<Ceremony, AppError> {
    let me = SignedIn::get()?;
    let started = me.identity.passkeys.start_adding(&me.session, &me.client, password).await?;
    Ok(Ceremony { token: started.token, options: started.options })
}

/// Finishes adding a passkey with the authenticator's answer (`credential`, JSON).
#[server(endpoint = "passkeys/add_finish")]
pub async fn finish_adding_passkey(token: String, credential: String, name: String) -> Result<(), AppError> {
    let me = SignedIn::get()?;
    me.identity.passkeys.finish_adding(&me.session, &me.client, &token, &credential, &name).await
}

#[server(endpoint = "passkeys/rename")]
pub async fn rename_passkey(id: String, name: String) -> Result<(), AppError> {
    let me = SignedIn::get()?;
    me.identity.passkeys.rename(&me.session, &me.client, &id, &name).await?;
    leptos_axum::redirect(routes::PASSKEYS_SECTION);
    Ok(())
}

/// Removes a passkey (a recent password is needed).
#[server(endpoint = "passkeys/remove")]
pub async fn remove_passkey(id: String, password: Option<String>) -> Result<(), AppError> {
    let me = SignedIn::get()?;
    me.identity.passkeys.remove(&me.session, &me.client, &id, password).await?;
    leptos_axum::redirect(routes::PASSKEYS_SECTION);
    Ok(())
}

/// Starts signing in with a passkey.
#[server(endpoint = "passkeys/sign_in_start")]
pub async fn start_passkey_sign_in() -> Result<Ceremony, AppError> {
    let caller = Caller::get()?;
    let started = caller.identity.sign_in.start_passkey(&caller.browser()).await?;
    Ok(Ceremony { token: started.token, options: started.options })
}

/// Finishes signing in with a passkey: a session, as a password and a second factor would
/// give. Returns where to go.
#[server(endpoint = "passkeys/sign_in_finish")]
pub async fn finish_passkey_sign_in(token: String, credential: String) -> Result<String, AppError> {
    let caller = Caller::get()?;
    let landing = caller.identity.sign_in.finish_passkey(&caller.browser(), &token, &credential).await?;
    caller.set_cookies(&landing);
    Ok(landing.to)
}

//! Passkeys' rules, through the WebAuthn relying party (webauthn-rs): adding one (a recent
//! password, then the authenticator's answer), naming and removing them, and signing in with
//! one. The crate checks the challenge, the origin, user verification and the signature
//! counter; this keeps each ceremony's state in the database (so any app server can finish it)
//! for five minutes, once. Every change records its event in the same transaction.

use super::{Accounts, notices::Notices, passkey_store as store, totp::Added};
use crate::{
    identity::{Core, client::ClientInfo, model::{EventKind, MAX_PASSKEY_NAME as MAX_NAME, allowed_in_name}, session::AuthSession},
    infra::{config::Config, error::AppError},
};
use std::sync::Arc;
use webauthn_rs::prelude::*;

/// How long a browser has to answer a WebAuthn challenge.
const CEREMONY_MS: i64 = 5 * 60 * 1000;

pub struct Passkeys {
    core: Core,
    accounts: Arc<Accounts>,
    notices: Arc<Notices>,
    /// `None` when the site is served from an IP address: WebAuthn needs a domain name.
    webauthn: Option<Webauthn>,
}

/// A WebAuthn ceremony begun: `options` (JSON) for `navigator.credentials.create/get`, and the
/// token that names the ceremony when the browser answers.
#[derive(Debug, Clone)]
pub struct Ceremony {
    pub token: String,
    pub options: String,
}

fn failed(e: impl std::fmt::Display) -> AppError {
    tracing::info!("passkey ceremony refused: {e}");
    AppError::PasskeyFailed
}

/// A passkey's name as given: trimmed, 1 to 40 characters, no control or bidi characters.
pub fn clean_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME || !name.chars().all(allowed_in_name) {
        return Err(AppError::BadRequest);
    }
    Ok(name.to_owned())
}

impl Passkeys {
    pub fn new(core: Core, accounts: Arc<Accounts>, notices: Arc<Notices>) -> Self {
        let webauthn = relying_party(&core.config);
        Passkeys { core, accounts, notices, webauthn }
    }

    pub fn available(&self) -> bool {
        self.webauthn.is_some()
    }

    fn webauthn(&self) -> Result<&Webauthn, AppError> {
        self.webauthn.as_ref().ok_or(AppError::PasskeyFailed)
    }

    /// The account's passkeys, oldest first.
    pub async fn list(&self, user_id: i64) -> Result<Vec<store::PasskeyRow>, AppError> {
        Ok(store::list(&self.core.db, user_id).await?)
    }

    /// Starts adding a passkey to the session's account (a recent password is needed).
    pub async fn start_adding(&self, session: &AuthSession, client: &ClientInfo, password: Option<String>) -> Result<Ceremony, AppError> {
        self.accounts.confirm_recent(session, client, password).await?;
        let db = &self.core.db;
        let email = self.accounts.email(session.user_id).await?;
        let handle = Uuid::parse_str(&store::handle(db, session.user_id).await?).map_err(failed)?;
        let exclude: Vec<CredentialID> = store::credential_ids(db, session.user_id)
            .await?
            .iter()
            .filter_map(|id| base64url(id))
            .map(CredentialID::from)
            .collect();
        let (mut options, state) =
            self.webauthn()?.start_passkey_registration(handle, &email, &email, Some(exclude)).map_err(failed)?;
        // Sign-in without an email needs the key kept on the authenticator (discoverable).
        if let Some(selection) = options.public_key.authenticator_selection.as_mut() {
            selection.resident_key = Some(webauthn_rs_proto::ResidentKeyRequirement::Required);
            selection.require_resident_key = true;
        }
        let state = serde_json::to_string(&state).map_err(failed)?;
        // The ceremony is this session's: no other session can finish it.
        let token = store::begin_ceremony(db, Some(session.user_id), Some(&session.id), &state, self.core.now() + CEREMONY_MS).await?;
        Ok(Ceremony { token, options: serde_json::to_string(&options).map_err(failed)? })
    }

    /// Finishes adding a passkey: verified by webauthn-rs, stored under `name`.
    pub async fn finish_adding(
        &self,
        session: &AuthSession,
        client: &ClientInfo,
        token: &str,
        credential: &str,
        name: &str,
    ) -> Result<(), AppError> {
        let name = clean_name(name)?;
        let db = &self.core.db;
        let now = self.core.now();
        let (owner, by, state) = store::take_ceremony(db, token, now).await?.ok_or(AppError::PasskeyFailed)?;
        if owner != Some(session.user_id) || by.as_deref() != Some(session.id.as_str()) {
            return Err(AppError::PasskeyFailed);
        }
        let state: PasskeyRegistration = serde_json::from_str(&state).map_err(failed)?;
        let credential: RegisterPublicKeyCredential = serde_json::from_str(credential).map_err(|_| AppError::BadRequest)?;
        let passkey = self.webauthn()?.finish_passkey_registration(&credential, &state).map_err(failed)?;
        let id = base64url_encode(passkey.cred_id());
        let stored = serde_json::to_string(&passkey).map_err(failed)?;
        let mut event = self.core.event(Some(session.user_id), EventKind::PasskeyAdded, client).by(&session.id);
        event.detail = Some(name.clone());
        match store::insert(db, &session.id, session.user_id, &id, &name, &stored, &event).await? {
            Added::Added => self.notices.changed(&event).await?,
            Added::Refused => return Err(AppError::PasskeyFailed),
            Added::SessionGone => return Err(AppError::SignedOut),
        }
        Ok(())
    }

    /// Renames one of the account's passkeys.
    pub async fn rename(&self, session: &AuthSession, client: &ClientInfo, id: &str, name: &str) -> Result<(), AppError> {
        let name = clean_name(name)?;
        let mut event = self.core.event(Some(session.user_id), EventKind::PasskeyRenamed, client).by(&session.id);
        event.detail = Some(name.clone());
        if !store::rename(&self.core.db, session.user_id, id, &name, &event).await? {
            return Err(AppError::NotFound);
        }
        Ok(())
    }

    /// Removes one of the account's passkeys (a recent password is needed).
    pub async fn remove(&self, session: &AuthSession, client: &ClientInfo, id: &str, password: Option<String>) -> Result<(), AppError> {
        self.accounts.confirm_recent(session, client, password).await?;
        let event = self.core.event(Some(session.user_id), EventKind::PasskeyRemoved, client).by(&session.id);
        let Some(event) = store::remove(&self.core.db, session.user_id, id, &event).await? else {
            return Err(AppError::NotFound);
        };
        self.notices.changed(&event).await?;
        Ok(())
    }

    /// Starts a sign-in with any passkey of this site (no email needed). Anyone may ask, so it
    /// is counted per client address (each leaves a ceremony row for five minutes).
    pub async fn start_sign_in(&self, client: &ClientInfo, credentials: &super::Credentials) -> Result<Ceremony, AppError> {
        credentials.count_ceremony(client).await?;
        let (mut options, state) = self.webauthn()?.start_discoverable_authentication().map_err(failed)?;
        // A button starts it, not the browser's autofill.
        options.mediation = None;
        let state = serde_json::to_string(&state).map_err(failed)?;
        let token = store::begin_ceremony(&self.core.db, None, None, &state, self.core.now() + CEREMONY_MS).await?;
        Ok(Ceremony { token, options: serde_json::to_string(&options).map_err(failed)? })
    }

    /// Finishes a sign-in: the account whose passkey signed the challenge, the passkey's
    /// credential id, and the lineage the session it starts descends from (the passkey's).
    pub(crate) async fn finish_sign_in(&self, token: &str, credential: &str) -> Result<(i64, String, String), AppError> {
        let db = &self.core.db;
        let now = self.core.now();
        let (_, _, state) = store::take_ceremony(db, token, now).await?.ok_or(AppError::PasskeyFailed)?;
        let state: DiscoverableAuthentication = serde_json::from_str(&state).map_err(failed)?;
        let credential: PublicKeyCredential = serde_json::from_str(credential).map_err(|_| AppError::BadRequest)?;
        let webauthn = self.webauthn()?;
        let (handle, credential_id) = webauthn.identify_discoverable_authentication(&credential).map_err(failed)?;
        let id = base64url_encode(credential_id);
        let found = store::find(db, &id).await?.ok_or(AppError::PasskeyFailed)?;
        // The passkey must be the account's that the authenticator says it is.
        if found.handle != handle.to_string() {
            return Err(AppError::PasskeyFailed);
        }
        let mut passkey: Passkey = serde_json::from_str(&found.passkey).map_err(failed)?;
        let result = webauthn.finish_discoverable_authentication_v2(&credential, state, &passkey).map_err(failed)?;
        passkey.update_credential(&result);
        store::used(db, &id, &serde_json::to_string(&passkey).map_err(failed)?, now).await?;
        Ok((found.user_id, id, found.added_lineage))
    }
}

fn relying_party(config: &Config) -> Option<Webauthn> {
    let url = config.public_url();
    let webauthn = url.domain().and_then(|domain| WebauthnBuilder::new(domain, &url).ok()?.rp_name("Account security").build().ok());
    if webauthn.is_none() {
        tracing::warn!("PUBLIC_URL {} has no domain name: passkeys are unavailable", config.public_origin());
    }
    webauthn
}

fn base64url_encode(bytes: &[u8]) -> String {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    URL_SAFE_NO_PAD.encode(bytes)
}

fn base64url(text: &str) -> Option<Vec<u8>> {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    URL_SAFE_NO_PAD.decode(text).ok()
}

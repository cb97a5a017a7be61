//! The WebAuthn relying party (webauthn-rs): adding a passkey and signing in with one. The
//! crate checks the challenge, the origin, user verification and the signature counter; this
//! keeps each ceremony's state in the database (so any app server can finish it) for five
//! minutes, once.

use super::passkey_store as store;
use crate::infra::{config::Config, db::Db, error::AppError};
use webauthn_rs::prelude::*;

/// How long a browser has to answer a WebAuthn challenge.
const CEREMONY_MS: i64 = 5 * 60 * 1000;

pub struct Passkeys {
    /// `None` when the site is served from an IP address: WebAuthn needs a domain name.
    webauthn: Option<Webauthn>,
}

/// What the browser needs for `navigator.credentials.create/get`, and the token that names
/// the ceremony when it answers.
pub struct Started {
    pub token: String,
    pub options: String,
}

fn failed(e: impl std::fmt::Display) -> AppError {
    tracing::info!("passkey ceremony refused: {e}");
    AppError::PasskeyFailed
}

impl Passkeys {
    pub fn new(config: &Config) -> Self {
        let url = config.public_url();
        let webauthn = url.domain().and_then(|domain| {
            WebauthnBuilder::new(domain, &url).ok()?.rp_name("Account security").build().ok()
        });
        if webauthn.is_none() {
            tracing::warn!("PUBLIC_URL {} has no domain name: passkeys are unavailable", config.public_origin());
        }
        Passkeys { webauthn }
    }

    pub fn available(&self) -> bool {
        self.webauthn.is_some()
    }

    fn webauthn(&self) -> Result<&Webauthn, AppError> {
        self.webauthn.as_ref().ok_or(AppError::PasskeyFailed)
    }

    /// Starts adding a passkey to `user_id`'s account.
    pub async fn start_registration(&self, db: &Db, user_id: i64, email: &str, now: i64) -> Result<Started, AppError> {
        let handle = Uuid::parse_str(&store::handle(db, user_id).await?).map_err(failed)?;
        let exclude: Vec<CredentialID> = store::credential_ids(db, user_id)
            .await?
            .iter()
            .filter_map(|id| base64url(id))
            .map(CredentialID::from)
            .collect();
        let (mut options, state) =
            self.webauthn()?.start_passkey_registration(handle, email, email, Some(exclude)).map_err(failed)?;
        // Sign-in without an email needs the key kept on the authenticator (discoverable).
        if let Some(selection) = options.public_key.authenticator_selection.as_mut() {
            selection.resident_key = Some(webauthn_rs_proto::ResidentKeyRequirement::Required);
            selection.require_resident_key = true;
        }
        let state = serde_json::to_string(&state).map_err(failed)?;
        let token = store::begin_ceremony(db, Some(user_id), &state, now + CEREMONY_MS).await?;
        Ok(Started { token, options: serde_json::to_string(&options).map_err(failed)? })
    }

    /// Finishes adding a passkey: verified by webauthn-rs, stored under `name`.
    pub async fn finish_registration(
        &self,
        db: &Db,
        user_id: i64,
        token: &str,
        credential: &str,
        name: &str,
        now: i64,
    ) -> Result<(), AppError> {
        let (owner, state) = store::take_ceremony(db, token, now).await?.ok_or(AppError::PasskeyFailed)?;
        if owner != Some(user_id) {
            return Err(AppError::PasskeyFailed);
        }
        let state: PasskeyRegistration = serde_json::from_str(&state).map_err(failed)?;
        let credential: RegisterPublicKeyCredential = serde_json::from_str(credential).map_err(|_| AppError::BadRequest)?;
        let passkey = self.webauthn()?.finish_passkey_registration(&credential, &state).map_err(failed)?;
        let id = base64url_encode(passkey.cred_id());
        let stored = serde_json::to_string(&passkey).map_err(failed)?;
        if !store::insert(db, user_id, &id, name, &stored, now).await? {
            return Err(AppError::PasskeyFailed);
        }
        Ok(())
    }

    /// Starts a sign-in with any passkey of this site (no email needed).
    pub async fn start_authentication(&self, db: &Db, now: i64) -> Result<Started, AppError> {
        let (mut options, state) = self.webauthn()?.start_discoverable_authentication().map_err(failed)?;
        // A button starts it, not the browser's autofill.
        options.mediation = None;
        let state = serde_json::to_string(&state).map_err(failed)?;
        let token = store::begin_ceremony(db, None, &state, now + CEREMONY_MS).await?;
        Ok(Started { token, options: serde_json::to_string(&options).map_err(failed)? })
    }

    /// Finishes a sign-in: the account whose passkey signed the challenge.
    pub async fn finish_authentication(&self, db: &Db, token: &str, credential: &str, now: i64) -> Result<i64, AppError> {
        let (_, state) = store::take_ceremony(db, token, now).await?.ok_or(AppError::PasskeyFailed)?;
        let state: DiscoverableAuthentication = serde_json::from_str(&state).map_err(failed)?;
        let credential: PublicKeyCredential = serde_json::from_str(credential).map_err(|_| AppError::BadRequest)?;
        let webauthn = self.webauthn()?;
        let (handle, credential_id) = webauthn.identify_discoverable_authentication(&credential).map_err(failed)?;
        let id = base64url_encode(credential_id);
        let (user_id, stored_handle, stored) = store::find(db, &id).await?.ok_or(AppError::PasskeyFailed)?;
        // The passkey must be the account's that the authenticator says it is.
        if stored_handle != handle.to_string() {
            return Err(AppError::PasskeyFailed);
        }
        let mut passkey: Passkey = serde_json::from_str(&stored).map_err(failed)?;
        let result = webauthn.finish_discoverable_authentication_v2(&credential, state, &passkey).map_err(failed)?;
        passkey.update_credential(&result);
        store::used(db, &id, &serde_json::to_string(&passkey).map_err(failed)?, now).await?;
        Ok(user_id)
    }
}

fn base64url_encode(bytes: &[u8]) -> String {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    URL_SAFE_NO_PAD.encode(bytes)
}

fn base64url(text: &str) -> Option<Vec<u8>> {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    URL_SAFE_NO_PAD.decode(text).ok()
}

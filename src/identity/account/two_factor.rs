//! Two-factor authentication's rules: setting up an authenticator app (a recent password, then
//! the app's first code), fresh recovery codes shown once, turning it off (the password again).
//! Each change records its event in the same transaction as the change.

use super::{
    Accounts,
    credentials::{Code, Credentials},
    totp,
};
use crate::{
    identity::{Core, client::ClientInfo, model::EventKind, session::AuthSession},
    infra::error::AppError,
};
use std::sync::Arc;

/// How long fresh recovery codes wait to be shown.
const CODES_SHOWN_MS: i64 = 10 * 60 * 1000;

/// What the account settings say about two-factor authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwoFactorStatus {
    pub on: bool,
    /// Recovery codes not used yet (when on).
    pub codes_left: i64,
    /// Whether turning it on (or new recovery codes) will ask for the password.
    pub reauth_due: bool,
}

/// An authenticator app being set up, as its page shows it.
#[derive(Debug, Clone)]
pub struct Setup {
    /// The secret in groups of four ("Setup key").
    pub key: String,
    /// The `otpauth://` QR code, as inline SVG.
    pub qr_svg: String,
}

pub struct TwoFactor {
    core: Core,
    credentials: Arc<Credentials>,
    accounts: Arc<Accounts>,
}

impl TwoFactor {
    pub fn new(core: Core, credentials: Arc<Credentials>, accounts: Arc<Accounts>) -> Self {
        TwoFactor { core, credentials, accounts }
    }

    /// Whether the account has an authenticator app turned on.
    pub async fn is_on(&self, user_id: i64) -> Result<bool, AppError> {
        Ok(totp::is_on(&self.core.db, user_id).await?)
    }

    pub async fn status(&self, session: &AuthSession) -> Result<TwoFactorStatus, AppError> {
        let on = self.is_on(session.user_id).await?;
        let codes_left = if on { totp::recovery_codes_left(&self.core.db, session.user_id).await? } else { 0 };
        Ok(TwoFactorStatus { on, codes_left, reauth_due: self.accounts.reauth_due(session) })
    }

    /// Starts (or restarts) setting up an authenticator app (a recent password is needed).
    pub async fn begin(&self, session: &AuthSession, client: &ClientInfo, password: Option<String>) -> Result<(), AppError> {
        self.accounts.confirm_recent(session, client, password).await?;
        if !totp::begin(&self.core.db, session.user_id, &totp::new_secret(), self.core.now()).await? {
            return Err(AppError::BadRequest);
        }
        Ok(())
    }

    /// The app being set up, if there is one.
    pub async fn setup(&self, session: &AuthSession) -> Result<Option<Setup>, AppError> {
        let Some(app) = totp::find(&self.core.db, session.user_id).await?.filter(|t| t.enabled_at.is_none()) else {
            return Ok(None);
        };
        let email = self.accounts.email(session.user_id).await?;
        Ok(Some(Setup { key: totp::grouped(&app.secret), qr_svg: totp::qr_code(&app.secret, &email).unwrap_or_default() }))
    }

    /// Turns the app being set up on with its first code, and makes the recovery codes (kept
    /// for this session to see once).
    pub async fn enable(&self, session: &AuthSession, client: &ClientInfo, code: &str) -> Result<(), AppError> {
        let db = &self.core.db;
        let app = totp::find(db, session.user_id).await?.filter(|t| t.enabled_at.is_none()).ok_or(AppError::BadRequest)?;
        self.credentials.check_code(session.user_id, Code::Setup { secret: &app.secret, code }, client).await?;
        let now = self.core.now();
        let step = totp::matching_step(&app.secret, code, (now / 1000) as u64).ok_or(AppError::WrongCode)?;
        let codes = totp::new_recovery_codes();
        let event = self.core.event(Some(session.user_id), EventKind::TwoFactorEnabled, client).by(&session.id);
        if !totp::enable(db, session.user_id, step, &codes, &event).await? {
            return Err(AppError::BadRequest);
        }
        totp::keep_to_show(db, &session.id, &codes, now + CODES_SHOWN_MS).await?;
        Ok(())
    }

    /// New recovery codes (the old ones stop working; a recent password is needed).
    pub async fn regenerate(&self, session: &AuthSession, client: &ClientInfo, password: Option<String>) -> Result<(), AppError> {
        self.accounts.confirm_recent(session, client, password).await?;
        let codes = totp::new_recovery_codes();
        let event = self.core.event(Some(session.user_id), EventKind::RecoveryCodesRegenerated, client).by(&session.id);
        if !totp::regenerate_recovery_codes(&self.core.db, session.user_id, &codes, &event).await? {
            return Err(AppError::BadRequest);
        }
        totp::keep_to_show(&self.core.db, &session.id, &codes, self.core.now() + CODES_SHOWN_MS).await?;
        Ok(())
    }

    /// The fresh recovery codes this session has still to show, if any.
    pub async fn fresh_codes(&self, session: &AuthSession) -> Result<Option<Vec<String>>, AppError> {
        Ok(totp::peek_to_show(&self.core.db, &session.id, self.core.now()).await?)
    }

    /// "I have saved them": the fresh codes are not shown again.
    pub async fn codes_saved(&self, session: &AuthSession) -> Result<(), AppError> {
        totp::take_to_show(&self.core.db, &session.id, self.core.now()).await?;
        Ok(())
    }

    /// Turns two-factor authentication off. Always asks for the password.
    pub async fn disable(&self, session: &AuthSession, client: &ClientInfo, password: String) -> Result<(), AppError> {
        self.accounts.confirm(session, client, password).await?;
        let event = self.core.event(Some(session.user_id), EventKind::TwoFactorDisabled, client).by(&session.id);
        totp::disable(&self.core.db, session.user_id, &event).await?;
        Ok(())
    }
}

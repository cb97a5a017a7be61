//! Two-factor authentication's rules: setting up an authenticator app (a recent password,
//! then the app's first code — all in the session that began it), fresh recovery codes shown
//! once, turning it off (the password again). Each change records its event in the same
//! transaction as the change, knows the session that made it, and is announced.

use super::{
    Accounts,
    credentials::{Code, Credentials},
    notices::Notices,
    totp::{self, Added},
};
use crate::{
    identity::{Core, client::ClientInfo, model::EventKind, security_log::NewEvent, session::AuthSession},
    infra::error::AppError,
};
use std::sync::Arc;

/// How long fresh recovery codes wait to be shown, and a set-up waits for its first code.
const CODES_SHOWN_MS: i64 = 10 * 60 * 1000;
const SETUP_MS: i64 = 10 * 60 * 1000;

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
    /// The `otpauth://` address the QR code holds.
    pub url: String,
    /// The QR code, as inline SVG.
    pub qr_svg: String,
}

pub struct TwoFactor {
    core: Core,
    credentials: Arc<Credentials>,
    accounts: Arc<Accounts>,
    notices: Arc<Notices>,
}

fn added(outcome: Added) -> Result<(), AppError> {
    match outcome {
        Added::Added => Ok(()),
        Added::Refused => Err(AppError::BadRequest),
        Added::SessionGone => Err(AppError::SignedOut),
    }
}

impl TwoFactor {
    pub fn new(core: Core, credentials: Arc<Credentials>, accounts: Arc<Accounts>, notices: Arc<Notices>) -> Self {
        TwoFactor { core, credentials, accounts, notices }
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

    fn event(&self, session: &AuthSession, client: &ClientInfo, kind: EventKind) -> NewEvent {
        self.core.event(Some(session.user_id), kind, client).by(&session.id)
    }

    /// Starts (or restarts) setting up an authenticator app in this session (a recent
    /// password is needed). The secret is this session's alone: sealed with its key, seen and
    /// finished by no other session.
    pub async fn begin(&self, session: &AuthSession, client: &ClientInfo, password: Option<String>) -> Result<(), AppError> {
        self.accounts.confirm_recent(session, client, password).await?;
        let sealed = session.key.seal(&totp::new_secret());
        let expires_at = self.core.now() + SETUP_MS;
        if !totp::begin(&self.core.db, &session.id, session.user_id, &sealed, expires_at).await? {
            return Err(AppError::BadRequest);
        }
        Ok(())
    }

    /// The secret of the app this session is setting up, if it is.
    async fn secret(&self, session: &AuthSession) -> Result<Option<String>, AppError> {
        let sealed = totp::setup_of(&self.core.db, &session.id, self.core.now()).await?;
        Ok(sealed.and_then(|s| session.key.open(&s)))
    }

    /// The app this session is setting up, if it is.
    pub async fn setup(&self, session: &AuthSession) -> Result<Option<Setup>, AppError> {
        let Some(secret) = self.secret(session).await? else { return Ok(None) };
        let email = self.accounts.email(session.user_id).await?;
        Ok(Some(Setup {
            key: totp::grouped(&secret),
            url: totp::url(&secret, &email).unwrap_or_default(),
            qr_svg: totp::qr_code(&secret, &email).unwrap_or_default(),
        }))
    }

    /// Turns the app this session set up on with its first code, and makes the recovery codes
    /// (kept, sealed, for this session to see once).
    pub async fn enable(&self, session: &AuthSession, client: &ClientInfo, code: &str) -> Result<(), AppError> {
        let secret = self.secret(session).await?.ok_or(AppError::BadRequest)?;
        self.credentials.check_code(session.user_id, Code::Setup { secret: &secret, code }, client).await?;
        let now = self.core.now();
        let step = totp::matching_step(&secret, code, (now / 1000) as u64).ok_or(AppError::WrongCode)?;
        let codes = totp::new_recovery_codes();
        let event = self.event(session, client, EventKind::TwoFactorEnabled);
        added(totp::enable(&self.core.db, &session.id, session.user_id, &secret, step, &codes, &event).await?)?;
        totp::keep_to_show(&self.core.db, &session.id, &session.key.seal(&codes.join(" ")), now + CODES_SHOWN_MS).await?;
        self.notices.changed(&event).await?;
        Ok(())
    }

    /// New recovery codes (the old ones stop working; a recent password is needed).
    pub async fn regenerate(&self, session: &AuthSession, client: &ClientInfo, password: Option<String>) -> Result<(), AppError> {
        self.accounts.confirm_recent(session, client, password).await?;
        let codes = totp::new_recovery_codes();
        let event = self.event(session, client, EventKind::RecoveryCodesRegenerated);
        added(totp::regenerate_recovery_codes(&self.core.db, &session.id, session.user_id, &codes, &event).await?)?;
        let sealed = session.key.seal(&codes.join(" "));
        totp::keep_to_show(&self.core.db, &session.id, &sealed, self.core.now() + CODES_SHOWN_MS).await?;
        self.notices.changed(&event).await?;
        Ok(())
    }

    /// The fresh recovery codes this session has still to show, if any.
    pub async fn fresh_codes(&self, session: &AuthSession) -> Result<Option<Vec<String>>, AppError> {
        let sealed = totp::peek_to_show(&self.core.db, &session.id, self.core.now()).await?;
        Ok(sealed.and_then(|s| session.key.open(&s)).map(|codes| codes.split(' ').map(str::to_owned).collect()))
    }

    /// "I have saved them": the fresh codes are not shown again.
    pub async fn codes_saved(&self, session: &AuthSession) -> Result<(), AppError> {
        totp::take_to_show(&self.core.db, &session.id).await?;
        Ok(())
    }

    /// Turns two-factor authentication off. Always asks for the password.
    pub async fn disable(&self, session: &AuthSession, client: &ClientInfo, password: String) -> Result<(), AppError> {
        self.accounts.confirm(session, client, password).await?;
        let event = self.event(session, client, EventKind::TwoFactorDisabled);
        if totp::disable(&self.core.db, session.user_id, &event).await? {
            self.notices.changed(&event).await?;
        }
        Ok(())
    }
}

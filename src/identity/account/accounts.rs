//! The account's own rules: who it is, confirming it's you again within a session, changing
//! the password, deleting the account.

use super::{credentials::Credentials, notices::Notices, passwords, users};
use crate::{
    identity::{Core, client::ClientInfo, session::{AuthSession, SessionService}},
    infra::{clock::duration_ms, error::AppError},
};
use std::sync::Arc;

pub struct Accounts {
    core: Core,
    credentials: Arc<Credentials>,
    sessions: Arc<SessionService>,
    notices: Arc<Notices>,
}

impl Accounts {
    pub fn new(core: Core, credentials: Arc<Credentials>, sessions: Arc<SessionService>, notices: Arc<Notices>) -> Self {
        Accounts { core, credentials, sessions, notices }
    }

    /// The account's email address (`SignedOut` when the account is gone).
    pub async fn email(&self, user_id: i64) -> Result<String, AppError> {
        Ok(users::find(&self.core.db, user_id).await?.ok_or(AppError::SignedOut)?.email)
    }

    fn window(&self) -> i64 {
        duration_ms(self.core.config.reauth_window)
    }

    /// Until when the session may do sensitive things without typing its password again.
    pub fn confirmed_until(&self, session: &AuthSession) -> i64 {
        session.password_confirmed_at + self.window()
    }

    /// Whether the session's next sensitive action will ask for the password.
    pub fn reauth_due(&self, session: &AuthSession) -> bool {
        self.core.now() > self.confirmed_until(session)
    }

    /// Some actions need a recent password *in this session* (ASVS 7.5.1, 7.5.2): ending other
    /// sessions, two-factor changes, adding or removing a passkey. Within the window after the
    /// session's last password entry (`REAUTH_WINDOW`) nothing more is asked; after it,
    /// `password` must be given and right — checked by the one password check, with its
    /// throttle. Returns until when no password is needed (the window restarts when one was
    /// given).
    pub async fn confirm_recent(&self, session: &AuthSession, client: &ClientInfo, password: Option<String>) -> Result<i64, AppError> {
        if !self.reauth_due(session) {
            return Ok(self.confirmed_until(session));
        }
        let Some(password) = password.filter(|p| !p.is_empty()) else {
            return Err(AppError::ReauthRequired);
        };
        self.confirm(session, client, password).await?;
        Ok(self.core.now() + self.window())
    }

    /// The password typed again, whatever the window says (turning two-factor off, changing
    /// the password, deleting the account); the window restarts.
    pub async fn confirm(&self, session: &AuthSession, client: &ClientInfo, password: String) -> Result<(), AppError> {
        self.credentials.confirm(session, password, client).await?;
        self.sessions.confirm_password(session).await?;
        Ok(())
    }

    /// Changes the password (the current one confirmed) and, with `end_others`, ends every
    /// other session in the same transaction. Returns how many ended.
    pub async fn change_password(
        &self,
        session: &AuthSession,
        client: &ClientInfo,
        current: String,
        new: String,
        end_others: bool,
    ) -> Result<usize, AppError> {
        passwords::check_new(&new)?;
        self.confirm(session, client, current).await?;
        let hash = self.credentials.passwords.hash(new).await?;
        let (ended, event) = self.sessions.change_password(session, &hash, end_others, client).await?;
        self.notices.changed(&event).await?;
        Ok(ended)
    }

    /// Deletes the account (the password confirmed) and every session of it.
    pub async fn delete(&self, session: &AuthSession, client: &ClientInfo, password: String) -> Result<(), AppError> {
        self.credentials.confirm(session, password, client).await?;
        self.sessions.delete_account(session, client).await?;
        Ok(())
    }

    /// The account's auto sign-out (ms): devices unused this long are signed out; `None`: never.
    pub async fn auto_sign_out(&self, user_id: i64) -> Result<Option<i64>, AppError> {
        Ok(users::idle_limit(&self.core.db, user_id).await?)
    }
}

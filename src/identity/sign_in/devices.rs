//! Signing devices out: ending one of the account's sessions (this one is a log-out), all the
//! others, or — "This wasn't me" — the one the person does not recognise and every other.
//! Ending another device needs a recent password in this session; logging out never does.

use super::flow::{Browser, Landing, SignIn};
use crate::{
    identity::{
        client::ClientInfo,
        session::{AuthSession, Disowned},
    },
    infra::error::AppError,
};

/// What ending a session did.
pub enum SessionEnded {
    /// It was the caller's own: the browser is signed out.
    ThisOne(Landing),
    /// Another device was signed out; further endings need no password until `reauth_until`.
    Other { reauth_until: i64 },
}

impl SignIn {
    /// Ends one of the caller's sessions. Unknown ids and other people's sessions get the same
    /// answer and change nothing.
    pub async fn end_session(&self, browser: &Browser, id: &str, password: Option<String>) -> Result<SessionEnded, AppError> {
        let session = browser.session.as_ref().ok_or(AppError::SignedOut)?;
        if id == session.id {
            // Ending the session in use is logging out, which never asks for a password.
            return Ok(SessionEnded::ThisOne(self.log_out(browser).await?));
        }
        if !crate::identity::session::is_public_id(id) {
            return Err(AppError::SessionNotFound);
        }
        let reauth_until = self.accounts.confirm_recent(session, &browser.client, password).await?;
        if !self.sessions.terminate(session, id, &browser.client).await? {
            return Err(AppError::SessionNotFound);
        }
        Ok(SessionEnded::Other { reauth_until })
    }

    /// Ends every session of the caller except this one. Harmless to repeat; never touches the
    /// current session. Returns how many ended, and until when no password is needed.
    pub async fn end_others(&self, session: &AuthSession, client: &ClientInfo, password: Option<String>) -> Result<(usize, i64), AppError> {
        let reauth_until = self.accounts.confirm_recent(session, client, password).await?;
        Ok((self.sessions.end_others(session, client).await?, reauth_until))
    }

    /// "This wasn't me" on another session: disowns it — it and every other session but this
    /// one end, and every sign-in method it (or a session descended from it) added is removed
    /// (the same password rule as ending others). Returns what was done, and until when no
    /// password is needed.
    ///
    /// Only downward: a session may disown one that signed in after it and does not descend
    /// into it — never an older one, nor an ancestor. Otherwise whoever signed in with a stolen
    /// password could disown the owner's long-standing session and strip what the owner added.
    /// An older session is ended with "Terminate", and disowned from the emailed link (whoever
    /// reads the mailbox is the owner).
    pub async fn not_me(&self, session: &AuthSession, client: &ClientInfo, id: &str, password: Option<String>) -> Result<(Disowned, i64), AppError> {
        if id == session.id {
            return Err(AppError::SessionNotFound);
        }
        let (target, _) = self.sessions.own(session, id).await?.ok_or(AppError::SessionNotFound)?;
        let me = self.sessions.find(&session.id).await?.ok_or(AppError::SignedOut)?;
        // (At the same millisecond, neither is known to be newer: neither may disown the other.)
        if target.created_at <= me.created_at || me.lineage.split(' ').any(|ancestor| ancestor == id) {
            return Err(AppError::NotMeOlder);
        }
        let reauth_until = self.accounts.confirm_recent(session, client, password).await?;
        Ok((self.sessions.not_me(session, id, client).await?, reauth_until))
    }
}

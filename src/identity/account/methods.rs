//! The account's ways to sign in as one list, each with where it came from: what the review
//! after a recovery shows ("Review sign-in methods"), each removable in one click.

use super::{
    Accounts,
    notices::Notices,
    provenance::{Method, MethodKind},
};
use crate::{
    db_read, db_write,
    identity::{Core, client::ClientInfo, model::EventKind, session::AuthSession},
    infra::error::AppError,
    insert_event,
};
use std::sync::Arc;

/// What the review lists: methods added this recently.
pub const REVIEW_WINDOW_MS: i64 = 30 * 24 * 3600 * 1000;

pub struct SignInMethods {
    core: Core,
    accounts: Arc<Accounts>,
    notices: Arc<Notices>,
}

impl SignInMethods {
    pub fn new(core: Core, accounts: Arc<Accounts>, notices: Arc<Notices>) -> Self {
        SignInMethods { core, accounts, notices }
    }

    /// Every sign-in method of the account, newest first.
    pub async fn all(&self, user_id: i64) -> Result<Vec<Method>, AppError> {
        let rows = db_read!(&self.core.db, |pool| crate::methods_of!(pool, user_id).await)?;
        let mut methods: Vec<Method> = rows.into_iter().map(Method::from).collect();
        methods.sort_by_key(|m| std::cmp::Reverse(m.added_at));
        Ok(methods)
    }

    /// The methods added in the last 30 days, newest first.
    pub async fn recent(&self, user_id: i64) -> Result<Vec<Method>, AppError> {
        let since = self.core.now() - REVIEW_WINDOW_MS;
        Ok(self.all(user_id).await?.into_iter().filter(|m| m.added_at >= since).collect())
    }

    /// Removes one of the account's sign-in methods (a recent password is needed): a passkey,
    /// the authenticator app (two-factor off, its codes with it), or the recovery codes. The
    /// removal and its event are one transaction; the owner is told.
    pub async fn remove(
        &self,
        session: &AuthSession,
        client: &ClientInfo,
        kind: MethodKind,
        id: &str,
        password: Option<String>,
    ) -> Result<(), AppError> {
        match kind {
            // As turning two-factor off always does: the password itself.
            MethodKind::AuthenticatorApp => self.accounts.confirm(session, client, password.ok_or(AppError::ReauthRequired)?).await?,
            _ => {
                self.accounts.confirm_recent(session, client, password).await?;
            }
        }
        let method = self
            .all(session.user_id)
            .await?
            .into_iter()
            .find(|m| m.kind == kind && m.id == id)
            .ok_or(AppError::NotFound)?;
        let mut event = self.core.event(Some(session.user_id), removal(kind), client).by(&session.id);
        event.detail = method.name.clone();
        let user_id = session.user_id;
        let removed = db_write!(&self.core.db, |pool| async {
            let mut tx = pool.begin().await?;
            if !crate::remove_method!(tx, user_id, &method)? {
                return Ok::<bool, sqlx::Error>(false);
            }
            insert_event!(&mut *tx, &event).await?;
            tx.commit().await?;
            Ok(true)
        }
        .await)?;
        if !removed {
            return Err(AppError::NotFound);
        }
        self.notices.changed(&event).await?;
        Ok(())
    }
}

/// The event a removal of `kind` records.
fn removal(kind: MethodKind) -> EventKind {
    match kind {
        MethodKind::Passkey => EventKind::PasskeyRemoved,
        MethodKind::AuthenticatorApp => EventKind::TwoFactorDisabled,
        MethodKind::RecoveryCodes => EventKind::RecoveryCodesRemoved,
    }
}

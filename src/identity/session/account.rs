//! What a person does to their account's sessions beyond ending them one by one: names,
//! auto sign-out, "This wasn't me", and the endings that emailed links cause.

use super::service::{AuthSession, DAY_MS, SessionService};
use crate::identity::{
    client::ClientInfo,
    account::email_links,
    session::endings::{self, Disowned},
    session::store,
    model::{EndReason, EventKind, MAX_SESSION_NAME, allowed_in_name, device_label},
};
use crate::infra::{clock::Millis, error::AppError};

impl SessionService {
    /// Sets the account's auto sign-out (`None`: never) and applies it to every session of the
    /// account at once; sessions unused for longer end at their next check.
    pub async fn set_idle_limit(&self, actor: &AuthSession, limit: Option<Millis>, client: &ClientInfo) -> Result<(), sqlx::Error> {
        let mut event = self.event(Some(actor.user_id), EventKind::AutoSignOutChanged, client).by(&actor.id);
        event.detail = Some(match limit {
            Some(ms) => format!("After {} days unused", ms / DAY_MS),
            None => "Never".to_owned(),
        });
        let ids = store::set_idle_limit(&self.db, actor.user_id, limit, self.idle(limit), &event).await?;
        self.revoke(ids.iter().map(String::as_str).collect()).await;
        Ok(())
    }

    /// Names one of the caller's sessions ("Work laptop"); an empty name gives it back its device
    /// label. At most 40 characters, no control or bidi characters. Returns what the row now shows.
    pub async fn rename(&self, actor: &AuthSession, id: &str, name: &str, client: &ClientInfo) -> Result<String, AppError> {
        let name = name.trim();
        if name.chars().count() > MAX_SESSION_NAME {
            return Err(AppError::NameTooLong);
        }
        if !name.chars().all(allowed_in_name) {
            return Err(AppError::BadRequest);
        }
        let name = (!name.is_empty()).then_some(name);
        let (record, _) = self.own(actor, id).await?.ok_or(AppError::SessionNotFound)?;
        let mut event = self.event(Some(actor.user_id), EventKind::SessionRenamed, client).by(&actor.id);
        event.session_id = Some(id.to_owned());
        event.detail = Some(name.map_or_else(|| "Name removed".to_owned(), |n| format!("Named \u{201c}{n}\u{201d}")));
        if !store::rename(&self.db, actor.user_id, id, name, &event).await? {
            return Err(AppError::SessionNotFound);
        }
        Ok(name.map_or_else(|| device_label(record.browser.as_deref(), record.os.as_deref()), str::to_owned))
    }

    /// "This wasn't me": disowns the session `id` the person did not recognise — every other
    /// session but the caller's ends, and every sign-in method `id` (or a session descended
    /// from it) added is removed, in one transaction.
    pub async fn not_me(&self, actor: &AuthSession, id: &str, client: &ClientInfo) -> Result<Disowned, sqlx::Error> {
        let mut event = self.event(Some(actor.user_id), EventKind::NotMe, client).by(&actor.id);
        event.session_id = Some(id.to_owned());
        let done = endings::disown(&self.db, actor.user_id, id, &actor.id, event).await?;
        self.ended(EndReason::Terminated, &done.ended).await;
        Ok(done)
    }

    /// Sets a new password (its hash) through the reset link with `token` and ends every
    /// session of the account, at once. The account's id; `None` when the link is not live.
    pub async fn reset_password(&self, token: &str, new_hash: &str, client: &ClientInfo) -> Result<Option<i64>, sqlx::Error> {
        let origin = self.origin(client);
        let done = endings::reset_password(&self.db, &email_links::hash(token), new_hash, &origin, self.now()).await?;
        let Some((user_id, ended)) = done else { return Ok(None) };
        self.ended(EndReason::PasswordChanged, &ended).await;
        Ok(Some(user_id))
    }

    /// "This wasn't me" from an emailed link (`token`): disowns the session it names — every
    /// session of the account ends, and what that session added goes. `None` when the link is
    /// not live.
    pub async fn not_me_by_link(&self, token: &str, client: &ClientInfo) -> Result<Option<Disowned>, sqlx::Error> {
        let origin = self.origin(client);
        let Some(done) = endings::not_me_by_link(&self.db, &email_links::hash(token), &origin, self.now()).await? else {
            return Ok(None);
        };
        self.ended(EndReason::Terminated, &done.ended).await;
        Ok(Some(done))
    }
}

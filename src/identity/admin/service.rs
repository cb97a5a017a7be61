//! What administrators (in the web console) and the operator (on the command line) do to
//! sessions and accounts: end one or all of a user's sessions, sign everyone out, suspend and
//! reinstate. Every action asks for a reason, records a security event the user sees (the
//! reason, not who), goes into the admin log, and drops the ended sessions from the cache
//! before it returns.

use crate::identity::{
    admin::store::{self, NewLogEntry},
    session::endings::{self, Ending, Record},
    security_log::{NewEvent, Origin},
    session::SessionService,
    model::{EndReason, EventKind},
};
use crate::infra::db::Db;
use std::time::Duration;

/// Who acts: an administrator's session, or the operator on the server.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<i64>,
    /// The administrator's email, or "operator (command line)".
    pub name: String,
    /// The administrator's current session (never ended by "sign out everyone").
    pub session_id: Option<String>,
    pub origin: Origin,
}

impl Actor {
    pub fn operator() -> Self {
        Actor {
            user_id: None,
            name: "operator (command line)".to_owned(),
            session_id: None,
            origin: Origin { ip: "-".to_owned(), device: "Command line".to_owned(), location: None },
        }
    }
}

/// The account an action is about.
#[derive(Debug, Clone)]
pub struct Target {
    pub user_id: i64,
    pub email: String,
}

/// Sessions ended in one batch when everyone is signed out.
const EVERYONE_BATCH: i64 = 500;

impl SessionService {
    fn admin_ending<'a>(&self, reason: EndReason, actor: &'a Actor, why: &str) -> Ending<'a> {
        Ending {
            reason,
            by: actor.session_id.as_deref(),
            at: self.now(),
            record: Record::EachBecause(EventKind::SessionsEndedByAdmin, why.to_owned()),
        }
    }

    async fn log(&self, actor: &Actor, target: Option<&Target>, action: &'static str, why: &str, detail: String) -> Result<(), sqlx::Error> {
        store::record(
            self.db(),
            &NewLogEntry {
                admin_user_id: actor.user_id,
                admin: actor.name.clone(),
                target_user_id: target.map(|t| t.user_id),
                target: target.map(|t| t.email.clone()),
                action,
                reason: why.to_owned(),
                detail: Some(detail),
                ip: actor.origin.ip.clone(),
                device: actor.origin.device.clone(),
                location: actor.origin.location.clone(),
                at: self.now(),
            },
        )
        .await
    }

    /// Ends one session (`Some(id)`) or every session of `target`. Returns how many ended.
    pub async fn admin_end(&self, actor: &Actor, target: &Target, session: Option<&str>, why: &str) -> Result<usize, sqlx::Error> {
        let ending = self.admin_ending(EndReason::Admin, actor, why);
        let ended = endings::end_for_admin(self.db(), target.user_id, session, &ending).await?;
        self.ended(EndReason::Admin, &ended).await;
        let action = if session.is_some() { "end_session" } else { "end_all_sessions" };
        self.log(actor, Some(target), action, why, format!("{} session(s) ended", ended.len())).await?;
        Ok(ended.len())
    }

    /// Ends every session of every account but the actor's own, a batch at a time (pausing
    /// between batches so other requests never wait long). Returns how many ended.
    pub async fn sign_out_everyone(&self, actor: &Actor, why: &str) -> Result<usize, sqlx::Error> {
        let mut total = 0;
        loop {
            let ending = self.admin_ending(EndReason::Admin, actor, why);
            let ended = endings::end_batch_of_everyone(self.db(), actor.session_id.as_deref(), EVERYONE_BATCH, &ending).await?;
            self.ended(EndReason::Admin, &ended).await;
            total += ended.len();
            if (ended.len() as i64) < EVERYONE_BATCH {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.log(actor, None, "sign_out_everyone", why, format!("{total} session(s) ended")).await?;
        Ok(total)
    }

    /// Suspends `target` (every session ends; sign-in is refused) or lifts the suspension.
    pub async fn set_suspended(&self, actor: &Actor, target: &Target, suspend: bool, why: &str) -> Result<usize, sqlx::Error> {
        let kind = if suspend { EventKind::AccountSuspended } else { EventKind::AccountUnsuspended };
        let mut event = NewEvent::new(Some(target.user_id), kind, actor.origin.clone(), self.now());
        event.detail = Some(why.to_owned());
        let ending = self.admin_ending(EndReason::Suspended, actor, why);
        let ended = endings::set_suspended(self.db(), target.user_id, suspend.then_some(why), &event, &ending).await?;
        self.ended(EndReason::Suspended, &ended).await;
        let action = if suspend { "suspend" } else { "reinstate" };
        self.log(actor, Some(target), action, why, format!("{} session(s) ended", ended.len())).await?;
        Ok(ended.len())
    }
}

/// The account with this email, as an action's target.
pub async fn target_by_email(db: &Db, email: &str) -> Result<Option<Target>, sqlx::Error> {
    Ok(crate::identity::account::users::find_by_email(db, email).await?.map(|u| Target { user_id: u.id, email: u.email }))
}

pub async fn target_by_id(db: &Db, user_id: i64) -> Result<Option<Target>, sqlx::Error> {
    Ok(crate::identity::account::users::find(db, user_id).await?.map(|u| Target { user_id: u.id, email: u.email }))
}

//! What administrators (in the web console) and the operator (on the command line) do to
//! sessions and accounts: end one or all of a user's sessions, sign everyone out, suspend and
//! reinstate. Every action asks for a reason, records a security event the user sees (the
//! reason, not who), goes into the admin log, and drops the ended sessions from the cache
//! before it returns.

use super::store::{self, Glance, LogEntry, NewLogEntry, UserSummary};
use crate::{
    identity::{
        Core,
        account::{Accounts, TwoFactor, users},
        client::ClientInfo,
        model::{EndReason, EventKind, SignInMethod},
        security_log::{NewEvent, Origin},
        session::{
            AuthSession, SessionService,
            endings::{self, Ending, Record},
        },
    },
    infra::error::AppError,
};
use std::{sync::Arc, time::Duration};

/// Who acts: an administrator's session, or the operator on the server.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<i64>,
    /// The administrator's email, or "operator (command line)".
    pub name: String,
    /// The administrator's current session (never ended by "sign out everyone").
    pub session_id: Option<String>,
    pub origin: Origin,
    /// An operator API token acts (webhooks say "api").
    pub api: bool,
}

impl Actor {
    pub fn operator() -> Self {
        Actor {
            user_id: None,
            name: "operator (command line)".to_owned(),
            session_id: None,
            origin: Origin { ip: "-".to_owned(), device: "Command line".to_owned(), location: None },
            api: false,
        }
    }

    /// An operator API token named `name`, called from `origin`.
    pub fn api_token(name: &str, origin: Origin) -> Self {
        Actor { user_id: None, name: format!("API token \u{201c}{name}\u{201d}"), session_id: None, origin, api: true }
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

/// The administrators' rules: who is one, what the console shows, and what an administrator (or
/// the operator) may do, each action logged with who, whom, why, when and from where.
pub struct Administration {
    pub(super) core: Core,
    pub(super) sessions: Arc<SessionService>,
    accounts: Arc<Accounts>,
    two_factor: Arc<TwoFactor>,
}

impl Administration {
    pub fn new(core: Core, sessions: Arc<SessionService>, accounts: Arc<Accounts>, two_factor: Arc<TwoFactor>) -> Self {
        Administration { core, sessions, accounts, two_factor }
    }

    fn now(&self) -> i64 {
        self.core.now()
    }

    pub async fn is_admin(&self, user_id: i64) -> Result<bool, AppError> {
        Ok(store::is_admin(&self.core.db, user_id).await?)
    }

    /// The signed-in frame's question: the account's email, and whether it is an administrator.
    pub async fn whoami(&self, user_id: i64) -> Result<(String, bool), AppError> {
        Ok((self.accounts.email(user_id).await?, self.is_admin(user_id).await?))
    }

    /// Before an administrative action: a recent password, a session that used the second
    /// factor if the administrator has one, and a reason (1 to 500 characters). The action's
    /// actor and its reason, trimmed.
    async fn authorize(
        &self,
        session: &AuthSession,
        client: &ClientInfo,
        password: Option<String>,
        reason: &str,
    ) -> Result<(Actor, String), AppError> {
        self.accounts.confirm_recent(session, client, password).await?;
        if self.two_factor.is_on(session.user_id).await? {
            let method = self.sessions.method_of(&session.id).await?;
            if matches!(method, None | Some(SignInMethod::Password)) {
                return Err(AppError::SecondFactorRequired);
            }
        }
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 500 {
            return Err(AppError::ReasonRequired);
        }
        let actor = Actor {
            user_id: Some(session.user_id),
            name: self.accounts.email(session.user_id).await?,
            session_id: Some(session.id.clone()),
            origin: self.core.origin(client),
            api: false,
        };
        Ok((actor, reason.to_owned()))
    }

    /// An administrator ends one session (`Some(id)`) or every session of the account
    /// `user_id`, after [`Administration::authorize`]. Returns how many ended.
    pub async fn end_sessions(
        &self,
        admin: &AuthSession,
        client: &ClientInfo,
        password: Option<String>,
        reason: &str,
        user_id: i64,
        session: Option<&str>,
    ) -> Result<usize, AppError> {
        let target = self.target(user_id).await?.ok_or(AppError::NotFound)?;
        let (actor, reason) = self.authorize(admin, client, password, reason).await?;
        Ok(self.admin_end(&actor, &target, session, &reason).await?)
    }

    /// An administrator suspends the account `user_id` (or lifts its suspension), after
    /// [`Administration::authorize`]; never their own. Returns how many sessions ended.
    pub async fn suspend(
        &self,
        admin: &AuthSession,
        client: &ClientInfo,
        password: Option<String>,
        reason: &str,
        user_id: i64,
        suspend: bool,
    ) -> Result<usize, AppError> {
        let target = self.target(user_id).await?.ok_or(AppError::NotFound)?;
        if target.user_id == admin.user_id {
            return Err(AppError::BadRequest);
        }
        let (actor, reason) = self.authorize(admin, client, password, reason).await?;
        Ok(self.set_suspended(&actor, &target, suspend, &reason).await?)
    }

    /// An administrator ends every session of every account but their own, after
    /// [`Administration::authorize`]. Returns how many ended.
    pub async fn sign_out_all(&self, admin: &AuthSession, client: &ClientInfo, password: Option<String>, reason: &str) -> Result<usize, AppError> {
        let (actor, reason) = self.authorize(admin, client, password, reason).await?;
        Ok(self.sign_out_everyone(&actor, &reason).await?)
    }

    /// The account with this id, as an action's target.
    pub async fn target(&self, user_id: i64) -> Result<Option<Target>, AppError> {
        Ok(users::find(&self.core.db, user_id).await?.map(|u| Target { user_id: u.id, email: u.email }))
    }

    /// The account with this email, as an action's target.
    pub async fn target_by_email(&self, email: &str) -> Result<Option<Target>, AppError> {
        Ok(users::find_by_email(&self.core.db, email).await?.map(|u| Target { user_id: u.id, email: u.email }))
    }

    /// The console's glance: accounts, live sessions, sign-ins per hour.
    pub async fn glance(&self) -> Result<Glance, AppError> {
        Ok(store::glance(&self.core.db, self.now()).await?)
    }

    /// Accounts whose email contains `query`, `limit` from `offset`.
    pub async fn search(&self, query: &str, limit: i64, offset: i64) -> Result<Vec<UserSummary>, AppError> {
        Ok(store::search(&self.core.db, query, limit, offset).await?)
    }

    pub async fn summary(&self, user_id: i64) -> Result<Option<UserSummary>, AppError> {
        Ok(store::summary(&self.core.db, user_id).await?)
    }

    /// The admin log, newest first.
    pub async fn log_page(&self, limit: i64, offset: i64) -> Result<Vec<LogEntry>, AppError> {
        Ok(store::log(&self.core.db, limit, offset).await?)
    }

    /// Makes the account with `email` an administrator (the operator's command): its email
    /// and whether it is new to the role.
    pub async fn grant(&self, email: &str) -> Result<Option<(String, bool)>, AppError> {
        let Some(user) = users::find_by_email(&self.core.db, email).await? else { return Ok(None) };
        Ok(Some((user.email, store::grant(&self.core.db, user.id, self.now()).await?)))
    }

    /// Takes the role away: the account's email and whether it had it.
    pub async fn revoke(&self, email: &str) -> Result<Option<(String, bool)>, AppError> {
        let Some(user) = users::find_by_email(&self.core.db, email).await? else { return Ok(None) };
        Ok(Some((user.email, store::revoke(&self.core.db, user.id).await?)))
    }

    /// Every administrator: (email, granted at).
    pub async fn list(&self) -> Result<Vec<(String, i64)>, AppError> {
        Ok(store::list(&self.core.db).await?)
    }

    fn admin_ending<'a>(&self, reason: EndReason, actor: &'a Actor, why: &str) -> Ending<'a> {
        Ending {
            reason,
            by: actor.session_id.as_deref(),
            at: self.now(),
            record: Record::EachBecause(EventKind::SessionsEndedByAdmin, why.to_owned()),
            by_api: actor.api,
        }
    }

    /// The admin log line of `actor` doing `action` to `target`.
    fn entry(&self, actor: &Actor, target: Option<&Target>, action: &'static str, why: &str, detail: String) -> NewLogEntry {
        NewLogEntry {
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
        }
    }

    async fn log(&self, actor: &Actor, target: Option<&Target>, action: &'static str, why: &str, detail: String) -> Result<(), sqlx::Error> {
        store::record(&self.core.db, &self.entry(actor, target, action, why, detail)).await
    }

    /// Ends one session (`Some(id)`) or every session of `target`, with its admin log line in the
    /// same transaction. Returns how many ended.
    pub async fn admin_end(&self, actor: &Actor, target: &Target, session: Option<&str>, why: &str) -> Result<usize, sqlx::Error> {
        let ending = self.admin_ending(EndReason::Admin, actor, why);
        let action = if session.is_some() { "end_session" } else { "end_all_sessions" };
        let line = |n: usize| self.entry(actor, Some(target), action, why, ended_detail(n));
        let ended = endings::end_for_admin(&self.core.db, target.user_id, session, &ending, line).await?;
        self.sessions.ended(EndReason::Admin, &ended).await;
        Ok(ended.len())
    }

    /// Ends the session with this public id, whoever's it is, with its admin log line in the
    /// same transaction. Returns how many ended (0 or 1).
    pub(super) async fn admin_end_by_id(&self, actor: &Actor, session_id: &str, why: &str) -> Result<usize, sqlx::Error> {
        let ending = self.admin_ending(EndReason::Admin, actor, why);
        let line = |user_id, email| self.entry(actor, Some(&Target { user_id, email }), "end_session", why, ended_detail(1));
        let Some(ended) = endings::end_by_id_for_admin(&self.core.db, session_id, &ending, line).await? else { return Ok(0) };
        self.sessions.ended(EndReason::Admin, std::slice::from_ref(&ended)).await;
        Ok(1)
    }

    /// Ends every session of every account but the actor's own, a batch at a time (pausing
    /// between batches so other requests never wait long). Returns how many ended.
    pub async fn sign_out_everyone(&self, actor: &Actor, why: &str) -> Result<usize, sqlx::Error> {
        let mut total = 0;
        loop {
            let ending = self.admin_ending(EndReason::Admin, actor, why);
            let ended = endings::end_batch_of_everyone(&self.core.db, actor.session_id.as_deref(), EVERYONE_BATCH, &ending).await?;
            self.sessions.ended(EndReason::Admin, &ended).await;
            total += ended.len();
            if (ended.len() as i64) < EVERYONE_BATCH {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.log(actor, None, "sign_out_everyone", why, ended_detail(total)).await?;
        Ok(total)
    }

    /// Suspends `target` (every session ends; sign-in is refused) or lifts the suspension.
    pub async fn set_suspended(&self, actor: &Actor, target: &Target, suspend: bool, why: &str) -> Result<usize, sqlx::Error> {
        let kind = if suspend { EventKind::AccountSuspended } else { EventKind::AccountUnsuspended };
        // The account sees the action and its reason; the admin log keeps who and from where.
        let mut event = NewEvent::new(Some(target.user_id), kind, Origin::administrator(), self.now());
        event.detail = Some(why.to_owned());
        let ending = self.admin_ending(EndReason::Suspended, actor, why);
        let action = if suspend { "suspend" } else { "reinstate" };
        let line = |n: usize| self.entry(actor, Some(target), action, why, ended_detail(n));
        let ended = endings::set_suspended(&self.core.db, target.user_id, suspend.then_some(why), &event, &ending, line).await?;
        self.sessions.ended(EndReason::Suspended, &ended).await;
        Ok(ended.len())
    }
}

/// What an admin log line says of an action's endings.
fn ended_detail(n: usize) -> String {
    format!("{n} session(s) ended")
}

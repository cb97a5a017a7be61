//! Server functions of the administrators' console. Only administrators reach them: the app
//! answers anyone else as it answers an unknown server function (see `app::server`), and each
//! also checks again here. Every action needs a recent password — and, when the
//! administrator has two-factor authentication on, a session that used it — and a reason.

use crate::{activity::ActivityPage, infra::error::AppError, sessions::types::SessionView};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::{
    identity::{
        admin::{Actor, Target, target_by_id},
        admin::store as admins, web::caller as context, session::store as session_store,
        session::AuthSession,
        Identity,
        account::totp,
        model::SignInMethod,
        account::users,
    },
    infra::{
        flash::{Kind, Message},
        routes,
    },
};

/// Accounts listed per page of the search.
pub const PAGE_SIZE: i64 = 25;
/// What must be typed to sign everyone out.
pub const EVERYONE_CONFIRMATION: &str = "SIGN OUT EVERYONE";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub created_at: i64,
    pub suspended: bool,
    pub sessions: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSearch {
    pub users: Vec<UserRow>,
    pub page: u32,
    pub has_more: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountDetail {
    pub user: UserRow,
    pub sessions: Vec<SessionView>,
    pub activity: ActivityPage,
    pub reauth_due: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    pub admin: String,
    pub target: Option<String>,
    pub action: String,
    pub reason: String,
    pub detail: Option<String>,
    pub place: String,
    pub at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsoleGlance {
    pub users: i64,
    pub sessions: i64,
    pub sign_ins: Vec<i64>,
    pub failures: Vec<i64>,
    pub now: i64,
    pub reauth_due: bool,
}

/// What the console says after an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum AdminNotice {
    SessionsEnded,
    Suspended,
    Reinstated,
    EveryoneSignedOut,
}

impl AdminNotice {
    pub fn text(self, count: Option<u64>) -> String {
        let n = count.unwrap_or(0);
        match self {
            AdminNotice::SessionsEnded => format!("Ended {n} session(s)."),
            AdminNotice::Suspended => format!("Account suspended; {n} session(s) ended."),
            AdminNotice::Reinstated => "The suspension is lifted.".to_owned(),
            AdminNotice::EveryoneSignedOut => format!("Signed out everyone: {n} session(s) ended."),
        }
    }
}

/// The caller, if an administrator; otherwise the same answer as an unknown function.
#[cfg(feature = "ssr")]
async fn require_admin() -> Result<(Identity, AuthSession), AppError> {
    let state = context::state()?;
    let auth = context::auth().map_err(|_| AppError::NotFound)?;
    if !admins::is_admin(&state.db, auth.user_id).await? {
        return Err(AppError::NotFound);
    }
    Ok((state, auth))
}

/// Before an administrative action: a recent password, a session that used the second factor
/// if the administrator has one, and a reason. The action's actor and its reason.
#[cfg(feature = "ssr")]
async fn authorize(state: &Identity, auth: &AuthSession, password: Option<String>, reason: &str) -> Result<(Actor, String), AppError> {
    context::require_recent_password(state, auth, password).await?;
    if totp::is_on(&state.db, auth.user_id).await? {
        let method = session_store::find(&state.db, &auth.id).await?.map(|s| SignInMethod::parse(&s.method));
        if matches!(method, None | Some(SignInMethod::Password)) {
            return Err(AppError::SecondFactorRequired);
        }
    }
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(AppError::ReasonRequired);
    }
    let client = context::client()?;
    let email = users::find(&state.db, auth.user_id).await?.ok_or(AppError::SignedOut)?.email;
    let actor = Actor {
        user_id: Some(auth.user_id),
        name: email,
        session_id: Some(auth.id.clone()),
        origin: state.sessions.origin(&client),
    };
    Ok((actor, reason.to_owned()))
}

#[cfg(feature = "ssr")]
fn row(u: admins::UserSummary) -> UserRow {
    UserRow { id: u.id, email: u.email, created_at: u.created_at, suspended: u.suspended_at.is_some(), sessions: u.sessions }
}

#[cfg(feature = "ssr")]
async fn target(state: &Identity, user_id: i64) -> Result<Target, AppError> {
    target_by_id(&state.db, user_id).await?.ok_or(AppError::NotFound)
}

#[cfg(feature = "ssr")]
fn back_to_user(state: &Identity, user_id: i64, notice: AdminNotice, count: usize) {
    let message = Message::new(Kind::Notice, notice.into(), Some(count as u64));
    leptos_axum::redirect(&state.messages.redirect(&routes::admin_user(user_id), &message));
}

#[server(endpoint = "admin/overview")]
pub async fn overview() -> Result<ConsoleGlance, AppError> {
    let (state, auth) = require_admin().await?;
    let now = state.clock.now_ms();
    let g = admins::glance(&state.db, now).await?;
    Ok(ConsoleGlance {
        users: g.users,
        sessions: g.sessions,
        sign_ins: g.sign_ins,
        failures: g.failures,
        now,
        reauth_due: context::reauth_due(&state, &auth),
    })
}

#[server(endpoint = "admin/users")]
pub async fn search_users(query: String, page: Option<u32>) -> Result<UserSearch, AppError> {
    let (state, _) = require_admin().await?;
    let page = page.unwrap_or(1).clamp(1, 10_000);
    let mut found = admins::search(&state.db, &query, PAGE_SIZE + 1, i64::from(page - 1) * PAGE_SIZE).await?;
    let has_more = found.len() as i64 > PAGE_SIZE;
    found.truncate(PAGE_SIZE as usize);
    Ok(UserSearch { users: found.into_iter().map(row).collect(), page, has_more })
}

#[server(endpoint = "admin/user")]
pub async fn user_detail(user_id: i64) -> Result<AccountDetail, AppError> {
    let (state, auth) = require_admin().await?;
    let now = state.clock.now_ms();
    let user = admins::summary(&state.db, user_id).await?.ok_or(AppError::NotFound)?;
    let sessions = crate::sessions::api::views(&state, user_id, None).await?;
    let mut events = crate::identity::security_log::list(&state.db, user_id, 20, 0).await?;
    events.truncate(20);
    Ok(AccountDetail {
        user: row(user),
        sessions,
        activity: ActivityPage { events, now, page: 1, has_older: false },
        reauth_due: context::reauth_due(&state, &auth),
    })
}

/// Ends one session of an account (`session`), or all of them.
#[server(endpoint = "admin/end_sessions")]
pub async fn end_user_sessions(
    user_id: i64,
    session: Option<String>,
    reason: String,
    password: Option<String>,
) -> Result<usize, AppError> {
    let (state, auth) = require_admin().await?;
    let target = target(&state, user_id).await?;
    let (actor, reason) = authorize(&state, &auth, password, &reason).await?;
    let n = state.sessions.admin_end(&actor, &target, session.as_deref().filter(|s| !s.is_empty()), &reason).await?;
    back_to_user(&state, user_id, AdminNotice::SessionsEnded, n);
    Ok(n)
}

/// Suspends an account (`suspend` = "on") or lifts its suspension.
#[server(endpoint = "admin/suspend")]
pub async fn set_suspension(user_id: i64, suspend: Option<String>, reason: String, password: Option<String>) -> Result<usize, AppError> {
    let (state, auth) = require_admin().await?;
    let target = target(&state, user_id).await?;
    if target.user_id == auth.user_id {
        return Err(AppError::BadRequest);
    }
    let (actor, reason) = authorize(&state, &auth, password, &reason).await?;
    let suspend = suspend.is_some();
    let n = state.sessions.set_suspended(&actor, &target, suspend, &reason).await?;
    back_to_user(&state, user_id, if suspend { AdminNotice::Suspended } else { AdminNotice::Reinstated }, n);
    Ok(n)
}

/// Ends every session of every account but this one (after a breach).
#[server(endpoint = "admin/sign_out_everyone")]
pub async fn sign_out_everyone(confirmation: String, reason: String, password: Option<String>) -> Result<usize, AppError> {
    let (state, auth) = require_admin().await?;
    if confirmation.trim() != EVERYONE_CONFIRMATION {
        return Err(AppError::ConfirmationMismatch);
    }
    let (actor, reason) = authorize(&state, &auth, password, &reason).await?;
    let n = state.sessions.sign_out_everyone(&actor, &reason).await?;
    let message = Message::new(Kind::Notice, AdminNotice::EveryoneSignedOut.into(), Some(n as u64));
    leptos_axum::redirect(&state.messages.redirect(routes::ADMIN, &message));
    Ok(n)
}

#[server(endpoint = "admin/log")]
pub async fn admin_log(page: Option<u32>) -> Result<(Vec<LogLine>, bool, i64), AppError> {
    let (state, _) = require_admin().await?;
    let page = page.unwrap_or(1).clamp(1, 10_000);
    let mut lines = admins::log(&state.db, PAGE_SIZE + 1, i64::from(page - 1) * PAGE_SIZE).await?;
    let has_more = lines.len() as i64 > PAGE_SIZE;
    lines.truncate(PAGE_SIZE as usize);
    let lines = lines
        .into_iter()
        .map(|l| LogLine {
            place: [Some(l.device), Some(l.ip), l.location].into_iter().flatten().collect::<Vec<_>>().join(" · "),
            admin: l.admin,
            target: l.target,
            action: l.action,
            reason: l.reason,
            detail: l.detail,
            at: l.created_at,
        })
        .collect();
    Ok((lines, has_more, state.clock.now_ms()))
}

//! Server functions of the administrators' console. Only administrators reach them: the app
//! answers anyone else as it answers an unknown server function (see `app::server`), and each
//! also checks again here. Every action needs a recent password — and, when the
//! administrator has two-factor authentication on, a session that used it — and a reason.

use crate::{activity::ActivityPage, infra::error::AppError, sessions::types::SessionView};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::{
    identity::{admin::UserSummary, web::SignedIn},
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
    pub webhooks: Vec<WebhookRow>,
    pub deliveries: Vec<DeliveryRow>,
}

/// A webhook endpoint as the console shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookRow {
    pub url: String,
    /// Comma-separated event types, or `*`.
    pub events: String,
    pub failing_since: Option<i64>,
    pub disabled_at: Option<i64>,
    pub pending: i64,
}

/// One delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryRow {
    pub id: i64,
    pub url: String,
    pub event_type: String,
    pub at: i64,
    pub status: Option<i64>,
    pub latency_ms: i64,
    pub error: Option<String>,
}

/// Delivery attempts the console lists.
pub const DELIVERIES_SHOWN: i64 = 20;

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
async fn require_admin() -> Result<SignedIn, AppError> {
    let me = SignedIn::get().map_err(|_| AppError::NotFound)?;
    if !me.identity.admin.is_admin(me.session.user_id).await? {
        return Err(AppError::NotFound);
    }
    Ok(me)
}

#[cfg(feature = "ssr")]
fn row(u: UserSummary) -> UserRow {
    UserRow { id: u.id, email: u.email, created_at: u.created_at, suspended: u.suspended_at.is_some(), sessions: u.sessions }
}

#[cfg(feature = "ssr")]
fn back_to_user(me: &SignedIn, user_id: i64, notice: AdminNotice, count: usize) {
    let message = Message::new(Kind::Notice, notice.into(), Some(count as u64));
    leptos_axum::redirect(&me.identity.messages.redirect(&routes::admin_user(user_id), &message));
}

#[server(endpoint = "admin/overview")]
pub async fn overview() -> Result<ConsoleGlance, AppError> {
    let me = require_admin().await?;
    let g = me.identity.admin.glance().await?;
    let webhooks = me.identity.webhooks.list().await?;
    let deliveries = me.identity.webhooks.attempts(DELIVERIES_SHOWN).await?;
    Ok(ConsoleGlance {
        webhooks: webhooks
            .into_iter()
            .map(|e| WebhookRow { url: e.url, events: e.events, failing_since: e.failing_since, disabled_at: e.disabled_at, pending: e.pending })
            .collect(),
        deliveries: deliveries
            .into_iter()
            .map(|a| DeliveryRow {
                id: a.outbox_id,
                url: a.url,
                event_type: a.event_type,
                at: a.at,
                status: a.status,
                latency_ms: a.latency_ms,
                error: a.error,
            })
            .collect(),
        users: g.users,
        sessions: g.sessions,
        sign_ins: g.sign_ins,
        failures: g.failures,
        now: me.identity.clock.now_ms(),
        reauth_due: me.identity.accounts.reauth_due(&me.session),
    })
}

#[server(endpoint = "admin/users")]
pub async fn search_users(query: String, page: Option<u32>) -> Result<UserSearch, AppError> {
    let me = require_admin().await?;
    let page = page.unwrap_or(1).clamp(1, 10_000);
    let mut found = me.identity.admin.search(&query, PAGE_SIZE + 1, i64::from(page - 1) * PAGE_SIZE).await?;
    let has_more = found.len() as i64 > PAGE_SIZE;
    found.truncate(PAGE_SIZE as usize);
    Ok(UserSearch { users: found.into_iter().map(row).collect(), page, has_more })
}

#[server(endpoint = "admin/user")]
pub async fn user_detail(user_id: i64) -> Result<AccountDetail, AppError> {
    let me = require_admin().await?;
    let now = me.identity.clock.now_ms();
    let user = me.identity.admin.summary(user_id).await?.ok_or(AppError::NotFound)?;
    let sessions = crate::sessions::api::views(&me.identity, user_id, None).await?;
    let events = me.identity.security_log.page(user_id, 20, 0).await?;
    Ok(AccountDetail {
        user: row(user),
        sessions,
        activity: ActivityPage { events, now, page: 1, has_older: false },
        reauth_due: me.identity.accounts.reauth_due(&me.session),
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
    let me = require_admin().await?;
    let session = session.as_deref().filter(|s| !s.is_empty());
    let n = me.identity.admin.end_sessions(&me.session, &me.client, password, &reason, user_id, session).await?;
    back_to_user(&me, user_id, AdminNotice::SessionsEnded, n);
    Ok(n)
}

/// Suspends an account (`suspend` = "on") or lifts its suspension.
#[server(endpoint = "admin/suspend")]
pub async fn set_suspension(user_id: i64, suspend: Option<String>, reason: String, password: Option<String>) -> Result<usize, AppError> {
    let me = require_admin().await?;
    let suspend = suspend.is_some();
    let n = me.identity.admin.suspend(&me.session, &me.client, password, &reason, user_id, suspend).await?;
    back_to_user(&me, user_id, if suspend { AdminNotice::Suspended } else { AdminNotice::Reinstated }, n);
    Ok(n)
}

/// Ends every session of every account but this one (after a breach).
#[server(endpoint = "admin/sign_out_everyone")]
pub async fn sign_out_everyone(confirmation: String, reason: String, password: Option<String>) -> Result<usize, AppError> {
    let me = require_admin().await?;
    if confirmation.trim() != EVERYONE_CONFIRMATION {
        return Err(AppError::ConfirmationMismatch);
    }
    let n = me.identity.admin.sign_out_all(&me.session, &me.client, password, &reason).await?;
    let message = Message::new(Kind::Notice, AdminNotice::EveryoneSignedOut.into(), Some(n as u64));
    leptos_axum::redirect(&me.identity.messages.redirect(routes::ADMIN, &message));
    Ok(n)
}

#[server(endpoint = "admin/log")]
pub async fn admin_log(page: Option<u32>) -> Result<(Vec<LogLine>, bool, i64), AppError> {
    let me = require_admin().await?;
    let page = page.unwrap_or(1).clamp(1, 10_000);
    let mut lines = me.identity.admin.log_page(PAGE_SIZE + 1, i64::from(page - 1) * PAGE_SIZE).await?;
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
    Ok((lines, has_more, me.identity.clock.now_ms()))
}

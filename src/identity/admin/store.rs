//! Administrators and what they do: who is one (granted by the operator on the server, never
//! by a web route), finding accounts, and the admin log (who, whom, what, why, when, where).

use crate::{db_read, db_write, infra::db::Db};

/// An account as the administrators' search lists it.
#[derive(sqlx::FromRow, Debug, Clone)]
pub struct UserSummary {
    pub id: i64,
    pub email: String,
    pub created_at: i64,
    pub suspended_at: Option<i64>,
    pub sessions: i64,
}

/// One line of the admin log.
#[derive(sqlx::FromRow, Debug, Clone)]
pub struct LogEntry {
    pub admin: String,
    pub target: Option<String>,
    pub action: String,
    pub reason: String,
    pub detail: Option<String>,
    pub ip: String,
    pub device: String,
    pub location: Option<String>,
    pub created_at: i64,
}

/// What goes into the admin log.
#[derive(Debug, Clone)]
pub struct NewLogEntry {
    pub admin_user_id: Option<i64>,
    pub admin: String,
    pub target_user_id: Option<i64>,
    pub target: Option<String>,
    pub action: &'static str,
    pub reason: String,
    pub detail: Option<String>,
    pub ip: String,
    pub device: String,
    pub location: Option<String>,
    pub at: i64,
}

pub async fn is_admin(db: &Db, user_id: i64) -> Result<bool, sqlx::Error> {
    let found: Option<i64> = db_read!(db, |pool| {
        sqlx::query_scalar("SELECT user_id FROM admins WHERE user_id = $1").bind(user_id).fetch_optional(pool).await
    })?;
    Ok(found.is_some())
}

/// Makes `user_id` an administrator; false if they already were.
pub async fn grant(db: &Db, user_id: i64, now: i64) -> Result<bool, sqlx::Error> {
    db_write!(db, |pool| {
        sqlx::query("INSERT INTO admins (user_id, granted_at) VALUES ($1, $2) ON CONFLICT (user_id) DO NOTHING")
            .bind(user_id)
            .bind(now)
            .execute(pool)
            .await
            .map(|r| r.rows_affected() == 1)
    })
}

/// Takes the role away; false if they were not one.
pub async fn revoke(db: &Db, user_id: i64) -> Result<bool, sqlx::Error> {
    db_write!(db, |pool| {
        sqlx::query("DELETE FROM admins WHERE user_id = $1").bind(user_id).execute(pool).await.map(|r| r.rows_affected() == 1)
    })
}

/// Every administrator: (email, granted at).
pub async fn list(db: &Db) -> Result<Vec<(String, i64)>, sqlx::Error> {
    db_read!(db, |pool| {
        sqlx::query_as("SELECT u.email, a.granted_at FROM admins a JOIN users u ON u.id = a.user_id ORDER BY u.email_key")
            .fetch_all(pool)
            .await
    })
}

/// Accounts whose email contains `query` (case-insensitive), `limit` from `offset`, by email.
pub async fn search(db: &Db, query: &str, limit: i64, offset: i64) -> Result<Vec<UserSummary>, sqlx::Error> {
    let escaped: String = query.trim().to_lowercase().chars().flat_map(|c| match c {
        '%' | '_' | '\\' => vec!['\\', c],
        c => vec![c],
    }).collect();
    let pattern = format!("%{escaped}%");
    db_read!(db, |pool| {
        sqlx::query_as(
            "SELECT u.id, u.email, u.created_at, u.suspended_at, \
             (SELECT COUNT(*) FROM sessions s WHERE s.user_id = u.id) AS sessions \
             FROM users u WHERE u.email_key LIKE $1 ESCAPE '\\' ORDER BY u.email_key LIMIT $2 OFFSET $3",
        )
        .bind(&pattern)
        .bind(limit)
        .bind(offset)
        .fetch_all(pool)
        .await
    })
}

pub async fn summary(db: &Db, user_id: i64) -> Result<Option<UserSummary>, sqlx::Error> {
    db_read!(db, |pool| {
        sqlx::query_as(
            "SELECT u.id, u.email, u.created_at, u.suspended_at, \
             (SELECT COUNT(*) FROM sessions s WHERE s.user_id = u.id) AS sessions FROM users u WHERE u.id = $1",
        )
        .bind(user_id)
        .fetch_optional(pool)
        .await
    })
}

/// Writes one admin log line on a pool or inside a transaction of either engine, so an action
/// and its line commit together.
#[macro_export]
macro_rules! record_admin_log {
    ($executor:expr, $entry:expr) => {{
        let e: &$crate::identity::admin::NewLogEntry = $entry;
        sqlx::query(
            "INSERT INTO admin_log (admin_user_id, admin, target_user_id, target, action, reason, detail, ip, device, location, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(e.admin_user_id)
        .bind(&e.admin)
        .bind(e.target_user_id)
        .bind(&e.target)
        .bind(e.action)
        .bind(&e.reason)
        .bind(&e.detail)
        .bind(&e.ip)
        .bind(&e.device)
        .bind(&e.location)
        .bind(e.at)
        .execute($executor)
    }};
}

pub async fn record(db: &Db, e: &NewLogEntry) -> Result<(), sqlx::Error> {
    db_write!(db, |pool| { crate::record_admin_log!(pool, e).await.map(|_| ()) })
}

/// The admin log, newest first.
pub async fn log(db: &Db, limit: i64, offset: i64) -> Result<Vec<LogEntry>, sqlx::Error> {
    db_read!(db, |pool| {
        sqlx::query_as(
            "SELECT admin, target, action, reason, detail, ip, device, location, created_at FROM admin_log \
             ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2",
        )
        .bind(limit)
        .bind(offset)
        .fetch_all(pool)
        .await
    })
}

/// The numbers of the administrators' glance: accounts, live sessions, and sign-ins and
/// failed sign-ins per hour over the last 24 hours (oldest hour first).
#[derive(Debug, Clone)]
pub struct Glance {
    pub users: i64,
    pub sessions: i64,
    pub sign_ins: Vec<i64>,
    pub failures: Vec<i64>,
}

pub async fn glance(db: &Db, now: i64) -> Result<Glance, sqlx::Error> {
    const HOUR: i64 = 3600 * 1000;
    let start = now - 24 * HOUR;
    let (users, sessions): (i64, i64) = db_read!(db, |pool| {
        sqlx::query_as("SELECT (SELECT COUNT(*) FROM users), (SELECT COUNT(*) FROM sessions WHERE expires_at > $1)")
            .bind(now)
            .fetch_one(pool)
            .await
    })?;
    let rows: Vec<(String, i64, i64)> = db_read!(db, |pool| {
        sqlx::query_as(
            "SELECT kind, (created_at - $1) / $2 AS hour, COUNT(*) FROM security_events \
             WHERE created_at >= $1 AND kind IN ('signed_in', 'signed_up', 'sign_in_failed') GROUP BY kind, hour",
        )
        .bind(start)
        .bind(HOUR)
        .fetch_all(pool)
        .await
    })?;
    let (mut sign_ins, mut failures) = (vec![0; 24], vec![0; 24]);
    for (kind, hour, n) in rows {
        let Some(slot) = usize::try_from(hour).ok().filter(|h| *h < 24) else { continue };
        if kind == "sign_in_failed" {
            failures[slot] += n;
        } else {
            sign_ins[slot] += n;
        }
    }
    Ok(Glance { users, sessions, sign_ins, failures })
}

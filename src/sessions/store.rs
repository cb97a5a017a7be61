//! SQL for sessions and their endings. Nothing but queries: the rules live in `service.rs`.

use super::types::EndReason;
use crate::{db_read, db_write, events::store::NewEvent, insert_event, server::db::Db};

#[derive(sqlx::FromRow, Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub id: String,
    pub secret_hash: Vec<u8>,
    pub user_id: i64,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub absolute_expires_at: i64,
    pub password_confirmed_at: i64,
    pub ip: String,
    pub user_agent: String,
    pub browser: Option<String>,
    pub os: Option<String>,
    pub device_kind: String,
    pub device_model: Option<String>,
    pub location: Option<String>,
}

const COLUMNS: &str = "id, secret_hash, user_id, created_at, last_seen_at, expires_at, \
    absolute_expires_at, password_confirmed_at, ip, user_agent, browser, os, device_kind, \
    device_model, location";

/// Inserts a new session and its sign-in event in one transaction.
pub async fn insert(db: &Db, s: &SessionRecord, event: &NewEvent) -> Result<(), sqlx::Error> {
    db_write!(db, |pool| {
        let mut tx = pool.begin().await?;
        sqlx::query(
            "INSERT INTO sessions (id, secret_hash, user_id, created_at, last_seen_at, expires_at, \
             absolute_expires_at, password_confirmed_at, ip, user_agent, browser, os, device_kind, \
             device_model, location) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        )
        .bind(&s.id)
        .bind(&s.secret_hash)
        .bind(s.user_id)
        .bind(s.created_at)
        .bind(s.last_seen_at)
        .bind(s.expires_at)
        .bind(s.absolute_expires_at)
        .bind(s.password_confirmed_at)
        .bind(&s.ip)
        .bind(&s.user_agent)
        .bind(&s.browser)
        .bind(&s.os)
        .bind(&s.device_kind)
        .bind(&s.device_model)
        .bind(&s.location)
        .execute(&mut *tx)
        .await?;
        insert_event!(&mut *tx, event).await?;
        tx.commit().await
    })
}

/// What the per-request check needs of a session, and nothing more.
#[derive(sqlx::FromRow, Debug, Clone, PartialEq, Eq)]
pub struct CheckRecord {
    pub secret_hash: Vec<u8>,
    pub user_id: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub absolute_expires_at: i64,
    pub password_confirmed_at: i64,
    pub ip: String,
    pub user_agent: String,
}

impl From<&SessionRecord> for CheckRecord {
    fn from(s: &SessionRecord) -> Self {
        CheckRecord {
            secret_hash: s.secret_hash.clone(),
            user_id: s.user_id,
            last_seen_at: s.last_seen_at,
            expires_at: s.expires_at,
            absolute_expires_at: s.absolute_expires_at,
            password_confirmed_at: s.password_confirmed_at,
            ip: s.ip.clone(),
            user_agent: s.user_agent.clone(),
        }
    }
}

pub async fn find_for_check(db: &Db, id: &str) -> Result<Option<CheckRecord>, sqlx::Error> {
    db_read!(db, |pool| {
        sqlx::query_as(
            "SELECT secret_hash, user_id, last_seen_at, expires_at, absolute_expires_at, password_confirmed_at, \
             ip, user_agent FROM sessions WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(pool)
        .await
    })
}

/// [`find_for_check`] for several ids in one query (see `batch.rs`): `(id, row)` for those
/// that exist. One statement per batch size, `IN ($1, …, $n)`: both engines answer it with
/// primary-key lookups, and each size is prepared once per connection.
pub async fn find_many_for_check(db: &Db, ids: &[&str]) -> Result<Vec<(String, CheckRecord)>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: String,
        #[sqlx(flatten)]
        record: CheckRecord,
    }
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT id, secret_hash, user_id, last_seen_at, expires_at, absolute_expires_at, password_confirmed_at, \
         ip, user_agent FROM sessions WHERE id IN ({})",
        placeholders.join(", ")
    );
    let rows: Vec<Row> = db_read!(db, |pool| {
        let mut query = sqlx::query_as(&sql);
        for id in ids {
            query = query.bind(*id);
        }
        query.fetch_all(pool).await
    })?;
    Ok(rows.into_iter().map(|r| (r.id, r.record)).collect())
}

pub async fn find(db: &Db, id: &str) -> Result<Option<SessionRecord>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM sessions WHERE id = $1");
    db_read!(db, |pool| sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)
}

/// Records activity. Returns false when the session no longer exists.
pub async fn touch(db: &Db, id: &str, last_seen_at: i64, expires_at: i64) -> Result<bool, sqlx::Error> {
    db_write!(db, |pool| {
        sqlx::query("UPDATE sessions SET last_seen_at = $2, expires_at = $3 WHERE id = $1")
            .bind(id)
            .bind(last_seen_at)
            .bind(expires_at)
            .execute(pool)
            .await
            .map(|r| r.rows_affected() == 1)
    })
}

/// The device fields, refreshed when a browser's own request shows they changed.
#[derive(Debug, Clone)]
pub struct DeviceUpdate<'a> {
    pub ip: &'a str,
    pub user_agent: &'a str,
    pub browser: Option<&'a str>,
    pub os: Option<&'a str>,
    pub device_kind: &'a str,
    pub device_model: Option<&'a str>,
    pub location: Option<&'a str>,
    pub last_seen_at: i64,
    pub expires_at: i64,
}

pub async fn update_device(db: &Db, id: &str, d: &DeviceUpdate<'_>) -> Result<bool, sqlx::Error> {
    db_write!(db, |pool| {
        sqlx::query(
            "UPDATE sessions SET ip = $2, user_agent = $3, browser = $4, os = $5, device_kind = $6, \
             device_model = $7, location = $8, last_seen_at = $9, expires_at = $10 WHERE id = $1",
        )
        .bind(id)
        .bind(d.ip)
        .bind(d.user_agent)
        .bind(d.browser)
        .bind(d.os)
        .bind(d.device_kind)
        .bind(d.device_model)
        .bind(d.location)
        .bind(d.last_seen_at)
        .bind(d.expires_at)
        .execute(pool)
        .await
        .map(|r| r.rows_affected() == 1)
    })
}

pub async fn confirm_password(db: &Db, id: &str, at: i64) -> Result<bool, sqlx::Error> {
    db_write!(db, |pool| {
        sqlx::query("UPDATE sessions SET password_confirmed_at = $2 WHERE id = $1")
            .bind(id)
            .bind(at)
            .execute(pool)
            .await
            .map(|r| r.rows_affected() == 1)
    })
}

/// The sessions of one user, most recently active first.
pub async fn list_for_user(db: &Db, user_id: i64) -> Result<Vec<SessionRecord>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM sessions WHERE user_id = $1 ORDER BY last_seen_at DESC, created_at DESC, id"
    );
    db_read!(db, |pool| sqlx::query_as(&sql).bind(user_id).fetch_all(pool).await)
}

/// How one or more sessions end.
#[derive(Debug, Clone)]
pub struct Ending<'a> {
    pub reason: EndReason,
    /// The session that ended them, when one did.
    pub by: Option<&'a str>,
    pub at: i64,
    /// The security event to record with the ending, if any.
    pub event: Option<NewEvent>,
}

#[derive(sqlx::FromRow, Debug, Clone)]
pub struct Ended {
    pub id: String,
    pub user_id: i64,
    pub browser: Option<String>,
    pub os: Option<String>,
}

/// Deletes the sessions selected by `filter` (SQL after `WHERE`, with its bound values), and
/// records why in the same transaction. The owner check is part of the DELETE itself, so a
/// session of someone else is simply not there.
macro_rules! end_where {
    ($db:expr, $filter:expr, [$($arg:expr),*], $ending:expr) => {{
        let ending: &Ending<'_> = $ending;
        let sql = format!("DELETE FROM sessions WHERE {} RETURNING id, user_id, browser, os", $filter);
        db_write!($db, |pool| {
            let mut tx = pool.begin().await?;
            let ended: Vec<Ended> = sqlx::query_as(&sql)$(.bind($arg))*.fetch_all(&mut *tx).await?;
            for session in &ended {
                sqlx::query(
                    "INSERT INTO session_endings (session_id, user_id, reason, ended_by, ended_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&session.id)
                .bind(session.user_id)
                .bind(ending.reason.as_str())
                .bind(ending.by)
                .bind(ending.at)
                .execute(&mut *tx)
                .await?;
            }
            if let Some(event) = &ending.event {
                if !ended.is_empty() {
                    let mut event = event.clone();
                    if ended.len() == 1 && event.detail.is_none() {
                        let s = &ended[0];
                        event.detail = Some(crate::sessions::types::device_label(s.browser.as_deref(), s.os.as_deref()));
                        event.session_id = Some(s.id.clone());
                    } else if event.detail.is_none() {
                        event.detail = Some(format!("{} sessions", ended.len()));
                    }
                    insert_event!(&mut *tx, &event).await?;
                }
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(ended)
        })
    }};
}

/// Ends one session of `owner`. `None` when there is no such session of theirs.
pub async fn end_one(db: &Db, owner: i64, id: &str, ending: &Ending<'_>) -> Result<Option<Ended>, sqlx::Error> {
    let ended = end_where!(db, "id = $1 AND user_id = $2", [id, owner], ending)?;
    Ok(ended.into_iter().next())
}

/// Ends every session of `owner` except `keep`.
pub async fn end_others(db: &Db, owner: i64, keep: &str, ending: &Ending<'_>) -> Result<Vec<Ended>, sqlx::Error> {
    end_where!(db, "user_id = $1 AND id <> $2", [owner, keep], ending)
}

/// Ends the least recently active sessions of `owner` beyond the newest `keep` (never `current`).
pub async fn end_beyond(db: &Db, owner: i64, current: &str, keep: i64, ending: &Ending<'_>) -> Result<Vec<Ended>, sqlx::Error> {
    end_where!(
        db,
        "id IN (SELECT id FROM sessions WHERE user_id = $1 AND id <> $2 \
         ORDER BY last_seen_at DESC, created_at DESC LIMIT 1000000 OFFSET $3)",
        [owner, current, keep],
        ending
    )
}

/// Ends every session of `owner`.
pub async fn end_all(db: &Db, owner: i64, ending: &Ending<'_>) -> Result<Vec<Ended>, sqlx::Error> {
    end_where!(db, "user_id = $1", [owner], ending)
}

/// Ends a session that has expired (checked in the same statement against `now`).
pub async fn end_if_expired(db: &Db, id: &str, now: i64) -> Result<bool, sqlx::Error> {
    let ending = Ending { reason: EndReason::Expired, by: None, at: now, event: None };
    Ok(!end_where!(db, "id = $1 AND expires_at <= $2", [id, now], &ending)?.is_empty())
}

/// Removes up to `batch` expired sessions, remembering why for their devices.
pub async fn purge_expired(db: &Db, now: i64, batch: i64) -> Result<Vec<Ended>, sqlx::Error> {
    let ending = Ending { reason: EndReason::Expired, by: None, at: now, event: None };
    end_where!(
        db,
        "id IN (SELECT id FROM sessions WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2)",
        [now, batch],
        &ending
    )
}

/// Forgets endings older than `before` (a device that old has no cookie left to explain).
pub async fn purge_endings(db: &Db, before: i64, batch: i64) -> Result<u64, sqlx::Error> {
    db_write!(db, |pool| {
        sqlx::query(
            "DELETE FROM session_endings WHERE session_id IN \
             (SELECT session_id FROM session_endings WHERE ended_at < $1 LIMIT $2)",
        )
        .bind(before)
        .bind(batch)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })
}

/// Why the session `id` ended, if it did and we still remember.
pub async fn ending_of(db: &Db, id: &str) -> Result<Option<EndReason>, sqlx::Error> {
    let reason: Option<String> = db_read!(db, |pool| {
        sqlx::query_scalar("SELECT reason FROM session_endings WHERE session_id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await
    })?;
    Ok(reason.as_deref().and_then(EndReason::parse))
}

pub async fn count_for_user(db: &Db, user_id: i64) -> Result<i64, sqlx::Error> {
    db_read!(db, |pool| {
        sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .fetch_one(pool)
            .await
    })
}

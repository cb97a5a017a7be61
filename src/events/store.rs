//! SQL for security events.

use super::types::{EventKind, EventView};
use crate::{db_read, server::db::Db};

/// One security event about to be written. `ip`, `device` and `location` describe where the
/// action came from.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub user_id: Option<i64>,
    pub kind: EventKind,
    pub session_id: Option<String>,
    pub actor_session_id: Option<String>,
    pub ip: String,
    pub device: String,
    pub location: Option<String>,
    pub detail: Option<String>,
    pub at: i64,
}

pub const INSERT_EVENT: &str = "INSERT INTO security_events \
    (user_id, kind, session_id, actor_session_id, ip, device, location, detail, created_at) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

/// Binds a [`NewEvent`] to [`INSERT_EVENT`]; usable on a pool or inside a transaction of either
/// engine.
#[macro_export]
macro_rules! insert_event {
    ($executor:expr, $event:expr) => {{
        let e: &$crate::events::store::NewEvent = $event;
        sqlx::query($crate::events::store::INSERT_EVENT)
            .bind(e.user_id)
            .bind(e.kind.as_str())
            .bind(e.session_id.as_deref())
            .bind(e.actor_session_id.as_deref())
            .bind(e.ip.as_str())
            .bind(e.device.as_str())
            .bind(e.location.as_deref())
            .bind(e.detail.as_deref())
            .bind(e.at)
            .execute($executor)
    }};
}

pub async fn record(db: &Db, event: &NewEvent) -> Result<(), sqlx::Error> {
    crate::db_write!(db, |pool| insert_event!(pool, event).await.map(|_| ()))
}

#[derive(sqlx::FromRow)]
struct EventRow {
    kind: String,
    device: String,
    ip: String,
    location: Option<String>,
    detail: Option<String>,
    created_at: i64,
}

/// The newest events of one user.
pub async fn list(db: &Db, user_id: i64, limit: i64) -> Result<Vec<EventView>, sqlx::Error> {
    let rows: Vec<EventRow> = db_read!(db, |pool| {
        sqlx::query_as(
            "SELECT kind, device, ip, location, detail, created_at FROM security_events \
             WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
        )
        .bind(user_id)
        .bind(limit)
        .fetch_all(pool)
        .await
    })?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(EventView {
                kind: EventKind::parse(&r.kind)?,
                device: r.device,
                ip: r.ip,
                location: r.location,
                detail: r.detail,
                at: r.created_at,
            })
        })
        .collect())
}

/// Events of a kind for a user (for tests and audits).
pub async fn count(db: &Db, user_id: i64, kind: EventKind) -> Result<i64, sqlx::Error> {
    db_read!(db, |pool| {
        sqlx::query_scalar("SELECT COUNT(*) FROM security_events WHERE user_id = $1 AND kind = $2")
            .bind(user_id)
            .bind(kind.as_str())
            .fetch_one(pool)
            .await
    })
}

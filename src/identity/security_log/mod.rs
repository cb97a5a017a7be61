//! The security events log: what happened to an account, from where. Written by the identity
//! layer in the same transaction as what it records; read by the activity page.

use crate::identity::{
    client::{ClientInfo, GeoIp, parse_device},
    model::{EventKind, EventView, device_label},
};
use crate::{db_read, infra::db::Db};

/// Where an action came from: the client's address, its device in words and its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub ip: String,
    pub device: String,
    pub location: Option<String>,
}

impl Origin {
    /// How an administrator's action shows in the account's own activity: as theirs, with its
    /// reason, never with the administrator's name, address or place.
    pub fn administrator() -> Origin {
        Origin { ip: String::new(), device: "An administrator".to_owned(), location: None }
    }

    pub fn of(client: &ClientInfo, geo: &GeoIp) -> Origin {
        let d = parse_device(&client.user_agent, &client.hints);
        Origin {
            ip: client.ip.to_string(),
            device: device_label(d.browser.as_deref(), d.os.as_deref()),
            location: Some(geo.locate(client.ip)),
        }
    }
}

/// One security event about to be written.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub user_id: Option<i64>,
    pub kind: EventKind,
    /// The session the event is about.
    pub session_id: Option<String>,
    /// The session that did it.
    pub actor_session_id: Option<String>,
    pub origin: Origin,
    pub detail: Option<String>,
    pub at: i64,
}

impl NewEvent {
    pub fn new(user_id: Option<i64>, kind: EventKind, origin: Origin, at: i64) -> Self {
        NewEvent { user_id, kind, session_id: None, actor_session_id: None, origin, detail: None, at }
    }

    /// Done by the session `actor`.
    pub fn by(mut self, actor: &str) -> Self {
        self.actor_session_id = Some(actor.to_owned());
        self
    }
}

pub const INSERT_EVENT: &str = "INSERT INTO security_events \
    (user_id, kind, session_id, actor_session_id, ip, device, location, detail, created_at) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

/// Writes a [`NewEvent`] with [`INSERT_EVENT`], and queues the webhook it announces (if any)
/// in the same statement sequence: on a pool or inside a transaction of either engine, so the
/// announcement exists exactly when the event does.
#[macro_export]
macro_rules! insert_event {
    ($executor:expr, $event:expr) => {{
        let e: &$crate::identity::security_log::NewEvent = $event;
        async {
            sqlx::query($crate::identity::security_log::INSERT_EVENT)
                .bind(e.user_id)
                .bind(e.kind.as_str())
                .bind(e.session_id.as_deref())
                .bind(e.actor_session_id.as_deref())
                .bind(e.origin.ip.as_str())
                .bind(e.origin.device.as_str())
                .bind(e.origin.location.as_deref())
                .bind(e.detail.as_deref())
                .bind(e.at)
                .execute($executor)
                .await?;
            if let Some(webhook) = $crate::identity::operator::for_event(e) {
                $crate::queue_webhook!($executor, &webhook).await?;
            }
            Ok::<(), sqlx::Error>(())
        }
    }};
}

pub(crate) async fn record(db: &Db, event: &NewEvent) -> Result<(), sqlx::Error> {
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

/// Events of one user, newest first: `limit` of them after skipping `offset`.
pub(crate) async fn list(db: &Db, user_id: i64, limit: i64, offset: i64) -> Result<Vec<EventView>, sqlx::Error> {
    let rows: Vec<EventRow> = db_read!(db, |pool| {
        sqlx::query_as(
            "SELECT kind, device, ip, location, detail, created_at FROM security_events \
             WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3",
        )
        .bind(user_id)
        .bind(limit)
        .bind(offset)
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
pub(crate) async fn count(db: &Db, user_id: i64, kind: EventKind) -> Result<i64, sqlx::Error> {
    db_read!(db, |pool| {
        sqlx::query_scalar("SELECT COUNT(*) FROM security_events WHERE user_id = $1 AND kind = $2")
            .bind(user_id)
            .bind(kind.as_str())
            .fetch_one(pool)
            .await
    })
}

/// The places of the account's sign-ins so far (newest first, at most `limit`): where it has
/// been used from, for telling whether a sign-in comes from a new country.
pub(crate) async fn sign_in_places(db: &Db, user_id: i64, limit: i64) -> Result<Vec<String>, sqlx::Error> {
    let places: Vec<Option<String>> = db_read!(db, |pool| {
        sqlx::query_scalar(
            "SELECT location FROM security_events WHERE user_id = $1 AND kind IN ($2, $3) \
             ORDER BY created_at DESC LIMIT $4",
        )
        .bind(user_id)
        .bind(EventKind::SignedIn.as_str())
        .bind(EventKind::SignedUp.as_str())
        .bind(limit)
        .fetch_all(pool)
        .await
    })?;
    Ok(places.into_iter().flatten().collect())
}

/// The account's security events, as its pages read them.
pub struct SecurityLog {
    db: Db,
}

impl SecurityLog {
    pub fn new(db: Db) -> Self {
        SecurityLog { db }
    }

    /// Events of one account, newest first: `limit` of them after skipping `offset`.
    pub async fn page(&self, user_id: i64, limit: i64, offset: i64) -> Result<Vec<EventView>, sqlx::Error> {
        list(&self.db, user_id, limit, offset).await
    }

    /// The details of the account's events of `kind` since `since`, newest first.
    pub async fn details_since(&self, user_id: i64, kind: EventKind, since: i64) -> Result<Vec<String>, sqlx::Error> {
        let details: Vec<Option<String>> = db_read!(&self.db, |pool| {
            sqlx::query_scalar(
                "SELECT detail FROM security_events WHERE user_id = $1 AND kind = $2 AND created_at >= $3 \
                 ORDER BY created_at DESC, id DESC LIMIT 50",
            )
            .bind(user_id)
            .bind(kind.as_str())
            .bind(since)
            .fetch_all(pool)
            .await
        })?;
        Ok(details.into_iter().flatten().collect())
    }

    /// How many events of `kind` the account has (for audits and tests).
    pub async fn count(&self, user_id: i64, kind: EventKind) -> Result<i64, sqlx::Error> {
        count(&self.db, user_id, kind).await
    }
}

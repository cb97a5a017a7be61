//! The audit feed: every security event across accounts, oldest first, read page by page
//! after a cursor — the feed a SIEM polls. It never skips or repeats an event while others are
//! being written:
//!
//! - on SQLite writes are serial, so an event's id orders it;
//! - on Postgres ids are handed out before commit, so a later id can commit first. Each event
//!   also records its transaction (`feed_xact`), and the feed reads, in (transaction, id)
//!   order, only events of transactions older than every transaction still in flight: nothing
//!   can later appear before what it has already returned.

use crate::{db_read, identity::Core, infra::db::Db};

/// Where a reader stopped: after this (transaction, event). Written `T-ID`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cursor {
    pub xact: i64,
    pub id: i64,
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.xact, self.id)
    }
}

impl std::str::FromStr for Cursor {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        let (xact, id) = s.split_once('-').ok_or(())?;
        let number = |n: &str| if !n.is_empty() && n.len() <= 19 && n.bytes().all(|b| b.is_ascii_digit()) { n.parse::<i64>().map_err(|_| ()) } else { Err(()) };
        Ok(Cursor { xact: number(xact)?, id: number(id)? })
    }
}

/// One event in the feed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FeedEvent {
    pub id: i64,
    pub feed_xact: i64,
    pub kind: String,
    pub user_id: Option<i64>,
    pub session_id: Option<String>,
    pub actor_session_id: Option<String>,
    pub ip: String,
    pub device: String,
    pub location: Option<String>,
    pub detail: Option<String>,
    pub created_at: i64,
}

pub struct FeedPage {
    pub events: Vec<FeedEvent>,
    /// Where the next read starts: after the last event returned (or where this one started).
    pub next: Cursor,
}

const COLUMNS: &str = "id, feed_xact, kind, user_id, session_id, actor_session_id, ip, device, location, detail, created_at";

pub struct Feed {
    core: Core,
}

impl Feed {
    pub fn new(core: Core) -> Self {
        Feed { core }
    }

    /// Up to `limit` events after `after`, oldest first.
    pub async fn page(&self, after: Cursor, limit: i64) -> Result<FeedPage, sqlx::Error> {
        let events: Vec<FeedEvent> = match &self.core.db {
            Db::Sqlite { read, .. } => {
                sqlx::query_as(&format!(
                    "SELECT {COLUMNS} FROM security_events WHERE (feed_xact, id) > ($1, $2) ORDER BY feed_xact, id LIMIT $3"
                ))
                .bind(after.xact)
                .bind(after.id)
                .bind(limit)
                .fetch_all(read)
                .await?
            }
            Db::Postgres(pool) => {
                sqlx::query_as(&format!(
                    "SELECT {COLUMNS} FROM security_events WHERE (feed_xact, id) > ($1, $2) \
                     AND feed_xact < pg_snapshot_xmin(pg_current_snapshot())::text::bigint \
                     ORDER BY feed_xact, id LIMIT $3"
                ))
                .bind(after.xact)
                .bind(after.id)
                .bind(limit)
                .fetch_all(pool)
                .await?
            }
        };
        let next = events.last().map_or(after, |e| Cursor { xact: e.feed_xact, id: e.id });
        Ok(FeedPage { events, next })
    }

    /// How many events the feed holds in all (for tests and the console).
    pub async fn len(&self) -> Result<i64, sqlx::Error> {
        db_read!(&self.core.db, |pool| sqlx::query_scalar("SELECT COUNT(*) FROM security_events").fetch_one(pool).await)
    }
}

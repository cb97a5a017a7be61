//! What happens to sessions, as it happens: every start and every ending, published to the
//! open event streams of this server — and, on Postgres, to every other server through
//! `LISTEN`/`NOTIFY` (`notify_others` / `listen`), so a tab connected anywhere learns at once
//! that its session ended or that a new device signed in.

use crate::identity::model::{EndReason, EventKind};
use crate::infra::db::Db;
use dashmap::DashMap;
use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};
use tokio::sync::broadcast;

/// The Postgres channel servers tell each other on.
const CHANNEL: &str = "session_events";
/// Events a slow stream may fall behind before it re-reads the list.
const BACKLOG: usize = 1024;
/// Open streams allowed per session (tabs of one browser) and per account.
pub const STREAMS_PER_SESSION: usize = 4;
pub const STREAMS_PER_USER: usize = 24;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// `flagged`: something was new about the sign-in (a new device or country).
    Started { flagged: bool },
    Ended(EndReason),
    /// How the account signs in changed (a passkey added, two-factor turned off…), through this
    /// session: the account's other tabs are told.
    Account(EventKind),
}

/// One session starting or ending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveEvent {
    pub user_id: i64,
    pub session_id: String,
    pub change: Change,
}

impl LiveEvent {
    /// `<user> <session> started` or `<user> <session> ended <reason>`: the NOTIFY payload.
    fn encode(&self) -> String {
        match &self.change {
            Change::Started { flagged: false } => format!("{} {} started", self.user_id, self.session_id),
            Change::Started { flagged: true } => format!("{} {} started flagged", self.user_id, self.session_id),
            Change::Ended(reason) => format!("{} {} ended {}", self.user_id, self.session_id, reason.as_str()),
            Change::Account(kind) => format!("{} {} changed {}", self.user_id, self.session_id, kind.as_str()),
        }
    }

    fn decode(text: &str) -> Option<Self> {
        let mut parts = text.split(' ');
        let user_id = parts.next()?.parse().ok()?;
        let session_id = parts.next()?.to_owned();
        let change = match (parts.next()?, parts.next()) {
            ("started", None) => Change::Started { flagged: false },
            ("started", Some("flagged")) => Change::Started { flagged: true },
            ("ended", Some(reason)) => Change::Ended(EndReason::parse(reason)?),
            ("changed", Some(kind)) => Change::Account(EventKind::parse(kind)?),
            _ => return None,
        };
        Some(LiveEvent { user_id, session_id, change })
    }
}

pub struct LiveHub {
    sender: broadcast::Sender<LiveEvent>,
    /// Becomes true when the server stops: every stream ends (so shutdown does not wait on them).
    stopping: tokio::sync::watch::Sender<bool>,
    db: Db,
    per_session: DashMap<String, usize>,
    per_user: DashMap<i64, usize>,
    open: AtomicUsize,
}

/// A place held by an open stream; given back when the stream ends.
pub struct StreamSlot {
    hub: Arc<LiveHub>,
    session: String,
    user: i64,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        self.hub.per_session.remove_if_mut(&self.session, |_, n| {
            *n -= 1;
            *n == 0
        });
        self.hub.per_user.remove_if_mut(&self.user, |_, n| {
            *n -= 1;
            *n == 0
        });
        self.hub.open.fetch_sub(1, Ordering::Relaxed);
    }
}

impl LiveHub {
    pub fn new(db: Db) -> Arc<Self> {
        let (sender, _) = broadcast::channel(BACKLOG);
        let (stopping, _) = tokio::sync::watch::channel(false);
        Arc::new(LiveHub { sender, stopping, db, per_session: DashMap::new(), per_user: DashMap::new(), open: AtomicUsize::new(0) })
    }

    pub fn subscribe(&self) -> broadcast::Receiver<LiveEvent> {
        self.sender.subscribe()
    }

    /// Resolves when the server stops.
    pub fn stopping(&self) -> tokio::sync::watch::Receiver<bool> {
        self.stopping.subscribe()
    }

    /// Ends every stream (the server is stopping; browsers reconnect to another).
    pub fn close_all(&self) {
        let _ = self.stopping.send(true);
    }

    /// Streams open now (for tests and metrics).
    pub fn open_streams(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    /// Holds a place for a stream of `session`, unless the session or the account has all it may.
    pub fn admit(self: &Arc<Self>, session: &str, user: i64) -> Option<StreamSlot> {
        let mut s = self.per_session.entry(session.to_owned()).or_insert(0);
        let mut u = self.per_user.entry(user).or_insert(0);
        if *s >= STREAMS_PER_SESSION || *u >= STREAMS_PER_USER {
            return None;
        }
        *s += 1;
        *u += 1;
        drop((s, u));
        self.open.fetch_add(1, Ordering::Relaxed);
        Some(StreamSlot { hub: self.clone(), session: session.to_owned(), user })
    }

    /// Tells this server's streams, and (Postgres) every other server.
    pub async fn publish(&self, events: Vec<LiveEvent>) {
        if events.is_empty() {
            return;
        }
        if let Db::Postgres(pool) = &self.db {
            for event in &events {
                if let Err(e) = sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(event.encode()).execute(pool).await {
                    tracing::warn!("could not tell the other servers about a session: {e}");
                }
            }
            // Our own notifications come back through `listen`, like everyone else's.
            return;
        }
        for event in events {
            let _ = self.sender.send(event);
        }
    }

    /// On Postgres: forwards every server's notifications to this server's streams, for as
    /// long as the server runs (reconnecting when the connection drops).
    pub fn listen(self: &Arc<Self>) -> Option<tokio::task::JoinHandle<()>> {
        let Db::Postgres(pool) = &self.db else { return None };
        let (pool, hub) = (pool.clone(), self.clone());
        Some(tokio::spawn(async move {
            loop {
                match sqlx::postgres::PgListener::connect_with(&pool).await {
                    Ok(mut listener) => {
                        if let Err(e) = listener.listen(CHANNEL).await {
                            tracing::warn!("LISTEN {CHANNEL} failed: {e}");
                        } else {
                            loop {
                                match listener.recv().await {
                                    Ok(n) => {
                                        if let Some(event) = LiveEvent::decode(n.payload()) {
                                            let _ = hub.sender.send(event);
                                        }
                                    }
                                    Err(e) => {
                                        tracing::warn!("notification connection lost: {e}");
                                        break;
                                    }
                                }
                            }
                        }
                    }
                    Err(e) => tracing::warn!("could not listen for session notifications: {e}"),
                }
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip() {
        for change in [Change::Started { flagged: false }, Change::Started { flagged: true }, Change::Ended(EndReason::Admin), Change::Ended(EndReason::PasswordChanged), Change::Account(EventKind::PasskeyAdded)] {
            let event = LiveEvent { user_id: 42, session_id: "AbC-_dEf".into(), change };
            assert_eq!(LiveEvent::decode(&event.encode()), Some(event));
        }
        assert_eq!(LiveEvent::decode("42 x ended nonsense"), None);
        assert_eq!(LiveEvent::decode("x y started"), None);
    }
}

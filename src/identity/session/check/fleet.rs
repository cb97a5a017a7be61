//! Several app servers on one Postgres, each with its session-check cache on, never accepting
//! an ended session: leases with acknowledgements.
//!
//! - Every caching server (a *member*) holds a lease in `cache_servers`, renewed every second
//!   for three seconds (in the database's time), and trusts its cache only while its own lease
//!   is surely live by its own clock (renewal sent + 3 s − a margin).
//! - An ending, once its delete committed, takes the next number of `cache_revocations`,
//!   tells every server (`NOTIFY session_revocations`), and returns only when every member with
//!   a live lease has acknowledged that number (dropped the entries, then recorded it as
//!   `applied_seq`) — or, after a short wait, has been *fenced* (its lease may not be renewed)
//!   and its lease has run out.
//! - A member whose notification connection drops, or whose lease lapsed, or that was fenced,
//!   stops trusting its cache at once and *resynchronises* before trusting it again: it reads
//!   the latest revocation number, empties its cache, then records that number as applied.
//!   Every ending numbered up to it committed before the read, so nothing it ended survives
//!   the emptying.
//!
//! The command line, and servers with the cache off, only publish (they have nothing to drop).
//! Proved by `servers::ended_sessions_are_never_accepted_by_caching_servers` (10,000 end-vs-use
//! pairs across two caching servers) and `servers::a_member_that_loses_its_notifications_falls_back`.

use crate::identity::session::check::cache::SessionCache;
use sqlx::{PgPool, postgres::PgListener};
use std::{
    collections::BTreeSet,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

const CHANNEL: &str = "session_revocations";
/// How long a lease lasts (database time) and how often it is renewed.
pub const LEASE: Duration = Duration::from_secs(3);
const RENEW_EVERY: Duration = Duration::from_secs(1);
/// Trust ends this much before the lease does, for the time the renewal took to arrive.
const MARGIN: Duration = Duration::from_millis(500);
/// How long an ending waits for acknowledgements before fencing the members that are late.
const ACK_WAIT: Duration = Duration::from_millis(300);
/// A notification carries at most this many ids; more, and every member empties its cache.
const IDS_PER_NOTICE: usize = 100;

/// Database time in milliseconds, as SQL.
const DB_NOW: &str = "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT";

pub struct Fleet {
    pool: PgPool,
    /// This server's id in `cache_servers` (members only).
    member: Option<Member>,
    acks: Acks,
}

/// What the members have acknowledged, read by one task for every ending waiting (so a
/// hundred endings at once poll the database once, not a hundred times).
struct Acks {
    /// Every other member with a live lease has acknowledged up to here (as last read).
    floor: tokio::sync::watch::Sender<i64>,
    /// The revocations waiting, and since when.
    waiting: Mutex<std::collections::BTreeMap<i64, Instant>>,
    wake: tokio::sync::Notify,
}

impl Default for Acks {
    fn default() -> Self {
        Acks { floor: tokio::sync::watch::channel(0).0, waiting: Mutex::default(), wake: tokio::sync::Notify::new() }
    }
}

struct Member {
    id: String,
    cache: Arc<SessionCache>,
    /// Milliseconds since `start` until which the cache may be trusted (0: not now).
    trusted_until: AtomicU64,
    /// The notification connection is up and listening.
    listening: AtomicBool,
    applied: Mutex<Applied>,
    start: Instant,
}

/// Which revocations this member has applied. Notifications arrive in commit order, not in
/// number order (two endings at once), so the acknowledged number only moves past a number
/// once every number up to it has been applied; a gap (an ending that failed after taking its
/// number) holds it back until a fencing makes the member resynchronise.
#[derive(Default)]
struct Applied {
    /// Every revocation up to this one is applied.
    upto: i64,
    /// Applied ones above `upto`.
    above: BTreeSet<i64>,
}

impl Applied {
    /// Records `seq` as applied; the new `upto` if it moved.
    fn record(&mut self, seq: i64) -> Option<i64> {
        if seq <= self.upto {
            return None;
        }
        self.above.insert(seq);
        let before = self.upto;
        while self.above.remove(&(self.upto + 1)) {
            self.upto += 1;
        }
        (self.upto > before).then_some(self.upto)
    }

    /// Everything up to `latest` is covered (the cache was emptied after reading it).
    fn reset(&mut self, latest: i64) {
        self.upto = self.upto.max(latest);
        self.above.retain(|s| *s > latest);
        while self.above.remove(&(self.upto + 1)) {
            self.upto += 1;
        }
    }
}

impl Member {
    fn now_ms(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    fn distrust(&self) {
        self.trusted_until.store(0, Ordering::SeqCst);
    }
}

impl Fleet {
    /// A publisher only: tells the members, has no cache of its own.
    pub fn publisher(pool: PgPool) -> Arc<Fleet> {
        let fleet = Arc::new(Fleet { pool, member: None, acks: Acks::default() });
        tokio::spawn(watch_acks(Arc::downgrade(&fleet)));
        fleet
    }

    /// A member with `cache`: starts listening and renewing its lease (in the background, for
    /// as long as the process runs). It trusts its cache once the first resynchronisation is done.
    pub fn member(pool: PgPool, cache: Arc<SessionCache>) -> Arc<Fleet> {
        let id = crate::identity::session::SessionToken::generate().id().to_owned();
        let member = Member {
            id,
            cache,
            trusted_until: AtomicU64::new(0),
            listening: AtomicBool::new(false),
            applied: Mutex::new(Applied::default()),
            start: Instant::now(),
        };
        let fleet = Arc::new(Fleet { pool, member: Some(member), acks: Acks::default() });
        tokio::spawn(listen(fleet.clone()));
        tokio::spawn(renew(fleet.clone()));
        tokio::spawn(watch_acks(Arc::downgrade(&fleet)));
        fleet
    }

    /// Whether this server may answer from its cache right now.
    pub fn trusted(&self) -> bool {
        match &self.member {
            Some(m) => m.now_ms() < m.trusted_until.load(Ordering::SeqCst),
            None => false,
        }
    }

    /// After sessions ended (their delete committed): returns once no member can still accept
    /// them from its cache.
    pub async fn revoke(&self, ids: &[&str]) {
        if let Err(e) = self.try_revoke(ids).await {
            // The database is unreachable: so is any member's renewal; their leases run out.
            tracing::error!("could not tell the other servers about ended sessions: {e}");
            tokio::time::sleep(LEASE).await;
        }
    }

    async fn try_revoke(&self, ids: &[&str]) -> Result<(), sqlx::Error> {
        let tail = if ids.len() > IDS_PER_NOTICE { " *".to_owned() } else { format!(" {}", ids.join(" ")) };
        let seq: i64 = sqlx::query_scalar(
            "WITH n AS (SELECT nextval('cache_revocations') AS seq) SELECT seq, pg_notify($1, seq::text || $2)::text FROM n",
        )
        .bind(CHANNEL)
        .bind(tail)
        .fetch_one(&self.pool)
        .await?;
        self.acks.waiting.lock().expect("not poisoned").insert(seq, Instant::now());
        self.acks.wake.notify_one();
        let mut floor = self.acks.floor.subscribe();
        let done = floor.wait_for(|floor| *floor >= seq).await.map(|_| ());
        self.acks.waiting.lock().expect("not poisoned").remove(&seq);
        if done.is_err() {
            tracing::error!("the acknowledgement watcher stopped");
        }
        Ok(())
    }

    /// Gives the lease back (the server is stopping): endings no longer wait for it.
    pub async fn leave(&self) {
        if let Some(m) = &self.member {
            m.distrust();
            let _ = sqlx::query("DELETE FROM cache_servers WHERE id = $1").bind(&m.id).execute(&self.pool).await;
        }
    }

    /// Reads the latest revocation number, empties the cache, records the number as applied
    /// and renews the lease; then the cache may be trusted until `sent` + lease − margin.
    async fn resync(&self, m: &Member, sent: u64) -> Result<(), sqlx::Error> {
        m.distrust();
        let latest: i64 = sqlx::query_scalar(&format!(
            "INSERT INTO cache_servers (id, applied_seq, lease_until, fenced) \
             VALUES ($1, (SELECT last_value FROM cache_revocations), {DB_NOW} + $2, FALSE) \
             ON CONFLICT (id) DO UPDATE SET applied_seq = excluded.applied_seq, lease_until = excluded.lease_until, fenced = FALSE \
             RETURNING applied_seq"
        ))
        .bind(&m.id)
        .bind(LEASE.as_millis() as i64)
        .fetch_one(&self.pool)
        .await?;
        m.cache.clear();
        m.applied.lock().expect("not poisoned").reset(latest);
        tracing::debug!(latest, "session cache resynchronised");
        m.trusted_until.store(sent + (LEASE - MARGIN).as_millis() as u64, Ordering::SeqCst);
        Ok(())
    }
}

/// While endings wait: reads how far every other live member has acknowledged, quickly at
/// first, and fences the members that keep an ending waiting longer than [`ACK_WAIT`] (they may
/// not renew; their leases run out, and they resynchronise).
async fn watch_acks(fleet: std::sync::Weak<Fleet>) {
    let floor_sql = format!(
        "SELECT COALESCE(MIN(applied_seq), {}) FROM cache_servers WHERE id <> $1 AND lease_until > {DB_NOW}",
        i64::MAX
    );
    let fence_sql =
        format!("UPDATE cache_servers SET fenced = TRUE WHERE id <> $1 AND applied_seq < $2 AND lease_until > {DB_NOW}");
    loop {
        let Some(fleet) = fleet.upgrade() else { return };
        let wanted = {
            let waiting = fleet.acks.waiting.lock().expect("not poisoned");
            waiting.last_key_value().map(|(seq, _)| *seq).zip(waiting.values().min().copied())
        };
        let Some((wanted, oldest)) = wanted else {
            // Checked again now and then: the fleet may be gone (the process is stopping).
            let _ = tokio::time::timeout(Duration::from_secs(1), fleet.acks.wake.notified()).await;
            continue;
        };
        let me = fleet.member.as_ref().map(|m| m.id.clone()).unwrap_or_default();
        match sqlx::query_scalar::<_, i64>(&floor_sql).bind(&me).fetch_one(&fleet.pool).await {
            Ok(floor) => {
                fleet.acks.floor.send_replace(floor);
            }
            Err(e) => tracing::warn!("could not read the acknowledgements: {e}"),
        }
        let late = oldest.elapsed() >= ACK_WAIT;
        if late && let Err(e) = sqlx::query(&fence_sql).bind(&me).bind(wanted).execute(&fleet.pool).await {
            tracing::warn!("could not fence a late server: {e}");
        }
        drop(fleet);
        tokio::time::sleep(Duration::from_millis(if late { 50 } else { 1 })).await;
    }
}

/// Renews the lease every second; resynchronises after any lapse, fencing or lost connection.
async fn renew(fleet: Arc<Fleet>) {
    let Some(m) = &fleet.member else { return };
    let renewal = format!("UPDATE cache_servers SET lease_until = {DB_NOW} + $2 WHERE id = $1 AND NOT fenced");
    let mut tick = tokio::time::interval(RENEW_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if !m.listening.load(Ordering::SeqCst) {
            m.distrust();
            continue;
        }
        let sent = m.now_ms();
        // Still trusted now: a plain renewal keeps it so. Lapsed (or never trusted): resync.
        let continuous = sent < m.trusted_until.load(Ordering::SeqCst);
        let renewed = if continuous {
            match sqlx::query(&renewal).bind(&m.id).bind(LEASE.as_millis() as i64).execute(&fleet.pool).await {
                Ok(r) => Ok(r.rows_affected() == 1),
                Err(e) => Err(e),
            }
        } else {
            Ok(false)
        };
        let result = match renewed {
            Ok(true) if m.now_ms() < m.trusted_until.load(Ordering::SeqCst) => {
                m.trusted_until.store(sent + (LEASE - MARGIN).as_millis() as u64, Ordering::SeqCst);
                Ok(())
            }
            Ok(_) => fleet.resync(m, sent).await,
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            m.distrust();
            tracing::warn!("session cache lease not renewed: {e}");
        }
    }
}

/// Hears every ending: drops the entries, then acknowledges. A lost connection means the
/// cache is not trusted until the connection is back and the lease resynchronised.
async fn listen(fleet: Arc<Fleet>) {
    let Some(m) = &fleet.member else { return };
    loop {
        match PgListener::connect_with(&fleet.pool).await {
            Ok(mut listener) => match listener.listen(CHANNEL).await {
                Ok(()) => {
                    m.listening.store(true, Ordering::SeqCst);
                    loop {
                        match listener.recv().await {
                            Ok(notice) => {
                                let upto = apply(&m.cache, notice.payload())
                                    .and_then(|seq| m.applied.lock().expect("not poisoned").record(seq));
                                if let Some(upto) = upto {
                                    let ack = "UPDATE cache_servers SET applied_seq = GREATEST(applied_seq, $2) WHERE id = $1";
                                    if let Err(e) = sqlx::query(ack).bind(&m.id).bind(upto).execute(&fleet.pool).await {
                                        tracing::warn!("could not acknowledge a revocation: {e}");
                                    }
                                }
                            }
                            Err(e) => {
                                tracing::warn!("revocation notifications lost: {e}");
                                break;
                            }
                        }
                    }
                }
                Err(e) => tracing::warn!("LISTEN {CHANNEL} failed: {e}"),
            },
            Err(e) => tracing::warn!("could not listen for revocations: {e}"),
        }
        m.listening.store(false, Ordering::SeqCst);
        m.distrust();
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Drops what a notification names (`<seq> <id> <id>…` or `<seq> *`); its number.
fn apply(cache: &SessionCache, payload: &str) -> Option<i64> {
    let mut parts = payload.split(' ');
    let seq = parts.next()?.parse().ok()?;
    let ids: Vec<&str> = parts.collect();
    if ids.contains(&"*") {
        cache.clear();
    } else {
        cache.revoke(ids);
    }
    Some(seq)
}

#[cfg(test)]
mod tests {
    use super::Applied;

    #[test]
    fn acknowledgements_never_pass_a_revocation_not_yet_applied() {
        let mut applied = Applied::default();
        assert_eq!(applied.record(2), None, "1 is not applied yet");
        assert_eq!(applied.record(3), None);
        assert_eq!(applied.record(1), Some(3));
        assert_eq!(applied.record(1), None, "already covered");
        assert_eq!(applied.record(5), None);
        // A resynchronisation covers everything up to what it read.
        applied.reset(4);
        assert_eq!(applied.upto, 5);
        assert_eq!(applied.record(6), Some(6));
    }
}

//! The check every request makes, kept fast and right: an in-process cache of recent checks,
//! batched lookups for the rest, and — because other processes end sessions too — one of the
//! ways of keeping that cache honest, chosen once as a [`Coherence`]:
//!
//! - [`Coherence::Off`]: no cache; every check reads the database (through the batcher);
//! - [`Coherence::Local`]: a cache, for a process that is alone with its database;
//! - [`Coherence::SqliteSignal`]: a cache, emptied whenever another process on the same SQLite
//!   file bumps the endings signal ([`signal`]);
//! - [`Coherence::Postgres`]: servers sharing Postgres tell each other of every ending before
//!   it returns, and with a cache each holds a lease ([`fleet`]).

mod batch;
mod cache;
mod fleet;
mod signal;

pub use fleet::{Fleet, LEASE};
pub use signal::EndingSignal;

use self::{
    batch::CheckBatcher,
    cache::{Lookup, SessionCache},
};
use super::{
    store::{CheckRecord, SessionTimes},
    token::SessionToken,
};
use crate::{
    identity::client::{self as device, ClientInfo},
    infra::{clock::Millis, db::Db},
};
use sqlx::PgPool;
use std::{net::IpAddr, sync::Arc};

/// Batched session-check queries that may run at once (see `batch.rs`).
pub const CHECK_QUERIES_IN_FLIGHT: usize = 4;
/// Entries the in-process cache holds at most (about 200 bytes each).
pub const CACHE_CAPACITY: usize = 200_000;

/// How this process keeps its cached checks in step with endings made elsewhere.
pub enum Coherence {
    Off,
    Local,
    SqliteSignal(EndingSignal),
    /// `cache`: whether this server caches (it takes leases) or only publishes its endings.
    Postgres { pool: PgPool, cache: bool },
}

/// What a lookup found.
pub enum Found {
    /// The session's owner and times, and whether the device looks different from last time.
    Session((i64, SessionTimes), bool),
    WrongSecret,
    Nothing,
}

/// A cache fill waiting for the row it caches (see [`SessionCache::ticket`]).
pub struct Ticket(Option<cache::FillTicket>);

pub struct SessionCheck {
    cache: Option<Arc<SessionCache>>,
    /// Endings by other processes on the same SQLite file.
    signal: Option<EndingSignal>,
    /// On Postgres: the other servers, told of every ending before it returns (and, with the
    /// cache on, whether this server's cache may be trusted right now).
    fleet: Option<Arc<Fleet>>,
    batcher: CheckBatcher,
}

impl SessionCheck {
    pub fn new(db: &Db, coherence: Coherence) -> Self {
        let new_cache = || Arc::new(SessionCache::new(CACHE_CAPACITY));
        let (cache, signal, fleet) = match coherence {
            Coherence::Off => (None, None, None),
            Coherence::Local => (Some(new_cache()), None, None),
            Coherence::SqliteSignal(signal) => (Some(new_cache()), Some(signal), None),
            Coherence::Postgres { pool, cache: false } => (None, None, Some(Fleet::publisher(pool))),
            Coherence::Postgres { pool, cache: true } => {
                let cache = new_cache();
                (Some(cache.clone()), None, Some(Fleet::member(pool, cache)))
            }
        };
        SessionCheck { cache, signal, fleet, batcher: CheckBatcher::start(db.clone(), CHECK_QUERIES_IN_FLIGHT) }
    }

    pub fn caches(&self) -> bool {
        self.cache.is_some()
    }

    pub fn fleet(&self) -> Option<&Arc<Fleet>> {
        self.fleet.as_ref()
    }

    /// The cache, when there is one and it may be trusted right now.
    fn usable_cache(&self) -> Option<&SessionCache> {
        let cache = self.cache.as_deref()?;
        match &self.fleet {
            Some(fleet) if !fleet.trusted() => None,
            _ => Some(cache),
        }
    }

    /// Taken before a session row is written, so that filling the cache with it afterwards
    /// cannot undo an ending that came in between.
    pub fn ticket(&self) -> Ticket {
        Ticket(self.usable_cache().map(|c| c.ticket()))
    }

    /// Caches the check of a row written after `ticket` was taken.
    pub fn fill(&self, id: &str, record: &CheckRecord, ticket: Ticket) {
        if let (Some(cache), Some(ticket)) = (&self.cache, ticket.0) {
            cache.fill(id, cache.entry(record), ticket);
        }
    }

    /// The session of `token`: from the cache when it may be trusted, else from the database.
    pub async fn lookup(&self, token: &SessionToken, client: &ClientInfo, now: Millis) -> Result<Found, sqlx::Error> {
        if let Some(cache) = self.usable_cache() {
            if self.signal.as_ref().is_some_and(EndingSignal::moved) {
                cache.clear();
            }
            match cache.get(token) {
                // Another server may have kept it alive meanwhile: the database decides.
                Lookup::Hit(e) if now >= e.times.expires_at => cache.revoke([token.id()]),
                Lookup::Hit(e) => {
                    let changed = e.ip != Some(client.ip)
                        || e.user_agent_hash != cache.hash_user_agent(device::clip(&client.user_agent, device::MAX_USER_AGENT));
                    return Ok(Found::Session((e.user_id, e.times), changed));
                }
                Lookup::WrongSecret => return Ok(Found::WrongSecret),
                Lookup::Miss => {}
            }
        }
        let ticket = self.ticket();
        let Some(record) = self.batcher.find(token.id()).await? else {
            return Ok(Found::Nothing);
        };
        if !token.matches(&record.secret_hash) {
            return Ok(Found::WrongSecret);
        }
        self.fill(token.id(), &record, ticket);
        let changed = record.ip != client.ip.to_string()
            || record.user_agent != device::clip(&client.user_agent, device::MAX_USER_AGENT);
        Ok(Found::Session((record.user_id, record.times), changed))
    }

    /// Updates the cached check of `id`, if there is one (activity, a new password entry).
    pub fn update(&self, id: &str, change: impl FnOnce(&mut cache::CachedSession)) {
        if let Some(cache) = &self.cache {
            cache.update(id, change);
        }
    }

    /// Updates the cached device of `id` (its address and browser changed).
    pub fn moved(&self, id: &str, ip: IpAddr, user_agent: &str, last_seen_at: Millis, expires_at: Millis) {
        if let Some(cache) = &self.cache {
            let ua_hash = cache.hash_user_agent(user_agent);
            cache.update(id, |e| {
                e.ip = Some(ip);
                e.user_agent_hash = ua_hash;
                e.times.last_seen_at = last_seen_at;
                e.times.expires_at = expires_at;
            });
        }
    }

    /// This process forgets the cached checks of `ids`, and other processes on the same SQLite
    /// file are told.
    pub fn forget<'a>(&self, ids: impl IntoIterator<Item = &'a str>) {
        let mut ids = ids.into_iter().peekable();
        if ids.peek().is_none() {
            return;
        }
        if let Some(cache) = &self.cache {
            cache.revoke(ids);
        }
        if let Some(signal) = &self.signal {
            signal.bump();
        }
    }

    /// Sessions whose cached checks must go, everywhere: [`SessionCheck::forget`], and (Postgres)
    /// this returns only once no other server can answer from a cache that still has them.
    pub async fn revoke(&self, ids: &[&str]) {
        if ids.is_empty() {
            return;
        }
        self.forget(ids.iter().copied());
        if let Some(fleet) = &self.fleet {
            fleet.revoke(ids).await;
        }
    }
}

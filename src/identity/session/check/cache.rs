//! An in-process cache of session checks, so the per-request check need not read the database.
//!
//! Correctness rule: a session ended in the database is never accepted from the cache once
//! the ending call has returned. Endings remove the entry *after* the database delete
//! committed; fills from the database carry a ticket (the revocation epoch read before the
//! database read) and are dropped if any revocation happened since, checked while holding the
//! entry's shard lock. So a fill racing a revocation can never re-insert a dead session.
//!
//! Other processes on the same SQLite file tell it to forget everything through
//! `signal::EndingSignal`; servers sharing Postgres tell each other what to forget, and trust
//! their caches only under a lease (`fleet.rs`).

use crate::identity::{
    session::store::{CheckRecord, SessionTimes},
    session::SessionToken,
};
use dashmap::DashMap;
use std::{
    hash::{BuildHasher, Hash, Hasher, RandomState},
    net::IpAddr,
    sync::atomic::{AtomicU64, Ordering},
};

#[derive(Debug, Clone)]
pub struct CachedSession {
    pub user_id: i64,
    pub secret_hash: [u8; 32],
    pub times: SessionTimes,
    pub ip: Option<IpAddr>,
    pub user_agent_hash: u64,
}

pub struct SessionCache {
    map: DashMap<String, CachedSession>,
    epoch: AtomicU64,
    capacity: usize,
    hasher: RandomState,
}

/// A fill may happen only if no revocation happened since this ticket was taken.
#[derive(Debug, Clone, Copy)]
pub struct FillTicket(u64);

impl SessionCache {
    pub fn new(capacity: usize) -> Self {
        SessionCache { map: DashMap::new(), epoch: AtomicU64::new(0), capacity, hasher: RandomState::new() }
    }

    pub fn hash_user_agent(&self, user_agent: &str) -> u64 {
        let mut h = self.hasher.build_hasher();
        user_agent.hash(&mut h);
        h.finish()
    }

    /// What the cache keeps of a session read from the database.
    pub fn entry(&self, r: &CheckRecord) -> CachedSession {
        let mut secret_hash = [0u8; 32];
        if r.secret_hash.len() == 32 {
            secret_hash.copy_from_slice(&r.secret_hash);
        }
        CachedSession {
            user_id: r.user_id,
            secret_hash,
            times: r.times,
            ip: r.ip.parse().ok(),
            user_agent_hash: self.hash_user_agent(&r.user_agent),
        }
    }

    /// Take before reading the database for a later [`SessionCache::fill`].
    pub fn ticket(&self) -> FillTicket {
        FillTicket(self.epoch.load(Ordering::SeqCst))
    }

    pub fn fill(&self, id: &str, entry: CachedSession, ticket: FillTicket) {
        if self.map.len() >= self.capacity {
            return;
        }
        let slot = self.map.entry(id.to_owned());
        // The shard lock is held here: a revocation's removal waits for us and comes after.
        if self.epoch.load(Ordering::SeqCst) == ticket.0 {
            slot.insert(entry);
        }
    }

    /// Reads an entry whose secret matches the token, as a copy.
    pub fn get(&self, token: &SessionToken) -> Lookup {
        match self.map.get(token.id()) {
            None => Lookup::Miss,
            Some(entry) if token.matches(&entry.secret_hash) => Lookup::Hit(entry.clone()),
            Some(_) => Lookup::WrongSecret,
        }
    }

    pub fn update(&self, id: &str, f: impl FnOnce(&mut CachedSession)) {
        if let Some(mut entry) = self.map.get_mut(id) {
            f(&mut entry);
        }
    }

    /// Call after the database delete has committed, before answering.
    pub fn revoke<'a>(&self, ids: impl IntoIterator<Item = &'a str>) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        for id in ids {
            self.map.remove(id);
        }
    }

    /// Forgets everything (another process ended sessions we cannot name).
    pub fn clear(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        self.map.clear();
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

pub enum Lookup {
    Hit(CachedSession),
    Miss,
    WrongSecret,
}

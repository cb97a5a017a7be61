//! The session rules: creating a session at log-in, checking one on every request, ending one,
//! some or all. The server is the only authority; the cache (when on) is invalidated before
//! any ending returns.

use super::{
    batch::CheckBatcher,
    cache::{CachedSession, Lookup, SessionCache},
    device::{self, ClientHints},
    geo::GeoIp,
    store::{self, CheckRecord, Ending, SessionRecord},
    token::SessionToken,
    types::{EndReason, device_label},
};
use crate::{
    events::{store::NewEvent, types::EventKind},
    server::{
        clock::{Clock, Millis, duration_ms},
        db::Db,
    },
};
use std::{net::IpAddr, sync::Arc, time::Duration};

/// `last_seen` is written at most this often per session.
pub const TOUCH_INTERVAL_MS: Millis = 60 * 1000;
/// Batched session-check queries that may run at once (see `batch.rs`).
pub const CHECK_QUERIES_IN_FLIGHT: usize = 4;
/// Entries the in-process cache holds at most (about 200 bytes each).
pub const CACHE_CAPACITY: usize = 200_000;

/// Who is asking, as the request shows it: the client's address (proxies resolved), its
/// User-Agent (cut to a sane length) and Client Hints.
#[derive(Debug, Clone)]
pub struct ClientInfo {
    pub ip: IpAddr,
    pub user_agent: String,
    pub hints: ClientHints,
}

impl ClientInfo {
    pub fn local(user_agent: &str) -> Self {
        ClientInfo {
            ip: IpAddr::from([127, 0, 0, 1]),
            user_agent: user_agent.to_owned(),
            hints: ClientHints::default(),
        }
    }
}

/// A request's valid session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthSession {
    pub id: String,
    pub user_id: i64,
    pub password_confirmed_at: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked {
    Valid(AuthSession),
    /// Not a session we accept. The reason, when we know why it ended.
    SignedOut(Option<EndReason>),
}

pub struct SessionService {
    db: Db,
    clock: Arc<dyn Clock>,
    geo: Arc<GeoIp>,
    cache: Option<SessionCache>,
    batcher: CheckBatcher,
    idle_ms: Millis,
    max_ms: Millis,
    max_per_user: i64,
}

/// Where an action came from, for its security event.
struct Origin {
    ip: String,
    device: String,
    location: String,
}

impl SessionService {
    pub fn new(
        db: Db,
        clock: Arc<dyn Clock>,
        geo: Arc<GeoIp>,
        idle: Duration,
        max: Duration,
        max_per_user: u32,
        cache: bool,
    ) -> Self {
        SessionService {
            db: db.clone(),
            clock,
            geo,
            cache: cache.then(|| SessionCache::new(CACHE_CAPACITY)),
            batcher: CheckBatcher::start(db.clone(), CHECK_QUERIES_IN_FLIGHT),
            idle_ms: duration_ms(idle),
            max_ms: duration_ms(max),
            max_per_user: i64::from(max_per_user),
        }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn now(&self) -> Millis {
        self.clock.now_ms()
    }

    pub fn caches(&self) -> bool {
        self.cache.is_some()
    }

    fn origin(&self, client: &ClientInfo) -> Origin {
        let d = device::parse(&client.user_agent, &client.hints);
        Origin {
            ip: client.ip.to_string(),
            device: device_label(d.browser.as_deref(), d.os.as_deref()),
            location: self.geo.locate(client.ip),
        }
    }

    /// An event about `user_id`, happening now, from `client`.
    pub fn event(&self, user_id: Option<i64>, kind: EventKind, client: &ClientInfo) -> NewEvent {
        let origin = self.origin(client);
        NewEvent {
            user_id,
            kind,
            session_id: None,
            actor_session_id: None,
            ip: origin.ip,
            device: origin.device,
            location: Some(origin.location),
            detail: None,
            at: self.now(),
        }
    }

    /// A brand-new session for `user_id`; never reuses anything the browser brought.
    pub async fn create(&self, user_id: i64, client: &ClientInfo, kind: EventKind) -> Result<SessionToken, sqlx::Error> {
        let token = SessionToken::generate();
        let now = self.now();
        let d = device::parse(&client.user_agent, &client.hints);
        let location = self.geo.locate(client.ip);
        let absolute = now.saturating_add(self.max_ms);
        let record = SessionRecord {
            id: token.id().to_owned(),
            secret_hash: token.secret_hash().to_vec(),
            user_id,
            created_at: now,
            last_seen_at: now,
            expires_at: now.saturating_add(self.idle_ms).min(absolute),
            absolute_expires_at: absolute,
            password_confirmed_at: now,
            ip: client.ip.to_string(),
            user_agent: device::clip(&client.user_agent, device::MAX_USER_AGENT).to_owned(),
            browser: d.browser.clone(),
            os: d.os.clone(),
            device_kind: d.kind.as_str().to_owned(),
            device_model: d.model.clone(),
            location: Some(location.clone()),
        };
        let mut event = self.event(Some(user_id), kind, client);
        event.session_id = Some(record.id.clone());
        event.actor_session_id = Some(record.id.clone());
        let ticket = self.cache.as_ref().map(|c| c.ticket());
        store::insert(&self.db, &record, &event).await?;
        if let (Some(cache), Some(ticket)) = (&self.cache, ticket) {
            cache.fill(&record.id, self.cache_entry(&CheckRecord::from(&record), cache), ticket);
        }
        // At the limit, the least recently active other session makes room.
        let ending = Ending { reason: EndReason::Limit, by: Some(&record.id), at: now, event: None };
        let ended = store::end_beyond(&self.db, user_id, &record.id, self.max_per_user - 1, &ending).await?;
        self.revoke(ended.iter().map(|e| e.id.as_str()));
        Ok(token)
    }

    fn cache_entry(&self, r: &CheckRecord, cache: &SessionCache) -> CachedSession {
        let mut secret_hash = [0u8; 32];
        if r.secret_hash.len() == 32 {
            secret_hash.copy_from_slice(&r.secret_hash);
        }
        CachedSession {
            user_id: r.user_id,
            secret_hash,
            last_seen_at: r.last_seen_at,
            expires_at: r.expires_at,
            absolute_expires_at: r.absolute_expires_at,
            password_confirmed_at: r.password_confirmed_at,
            ip: r.ip.parse().ok(),
            user_agent_hash: cache.hash_user_agent(&r.user_agent),
        }
    }

    /// The check every request makes.
    pub async fn check(&self, token: &SessionToken, client: &ClientInfo) -> Result<Checked, sqlx::Error> {
        let now = self.now();
        let (snapshot, device_changed) = match self.lookup(token, client).await? {
            Found::Session(s, changed) => (s, changed),
            Found::WrongSecret => return Ok(Checked::SignedOut(None)),
            Found::Nothing => return Ok(Checked::SignedOut(store::ending_of(&self.db, token.id()).await?)),
        };
        let id = token.id();
        if now >= snapshot.expires_at {
            store::end_if_expired(&self.db, id, now).await?;
            self.revoke([id]);
            return Ok(Checked::SignedOut(Some(EndReason::Expired)));
        }
        let expires_at = now.saturating_add(self.idle_ms).min(snapshot.absolute_expires_at);
        let still_there = if device_changed {
            let d = device::parse(&client.user_agent, &client.hints);
            let ip = client.ip.to_string();
            let user_agent = device::clip(&client.user_agent, device::MAX_USER_AGENT);
            let location = self.geo.locate(client.ip);
            let update = store::DeviceUpdate {
                ip: &ip,
                user_agent,
                browser: d.browser.as_deref(),
                os: d.os.as_deref(),
                device_kind: d.kind.as_str(),
                device_model: d.model.as_deref(),
                location: Some(&location),
                last_seen_at: now,
                expires_at,
            };
            let ok = store::update_device(&self.db, id, &update).await?;
            if let Some(cache) = &self.cache {
                let ua_hash = cache.hash_user_agent(user_agent);
                cache.update(id, |e| {
                    e.ip = Some(client.ip);
                    e.user_agent_hash = ua_hash;
                    e.last_seen_at = now;
                    e.expires_at = expires_at;
                });
            }
            ok
        } else if now - snapshot.last_seen_at >= TOUCH_INTERVAL_MS {
            let ok = store::touch(&self.db, id, now, expires_at).await?;
            if let Some(cache) = &self.cache {
                cache.update(id, |e| {
                    e.last_seen_at = now;
                    e.expires_at = expires_at;
                });
            }
            ok
        } else {
            true
        };
        if !still_there {
            // Ended while we looked: the ending wins.
            self.revoke([id]);
            return Ok(Checked::SignedOut(store::ending_of(&self.db, id).await?));
        }
        Ok(Checked::Valid(AuthSession {
            id: id.to_owned(),
            user_id: snapshot.user_id,
            password_confirmed_at: snapshot.password_confirmed_at,
        }))
    }

    async fn lookup(&self, token: &SessionToken, client: &ClientInfo) -> Result<Found, sqlx::Error> {
        if let Some(cache) = &self.cache {
            match cache.get(token) {
                Lookup::Hit(e) => {
                    let changed = e.ip != Some(client.ip)
                        || e.user_agent_hash
                            != cache.hash_user_agent(device::clip(&client.user_agent, device::MAX_USER_AGENT));
                    return Ok(Found::Session(Snapshot::from_cache(&e), changed));
                }
                Lookup::WrongSecret => return Ok(Found::WrongSecret),
                Lookup::Miss => {}
            }
        }
        let ticket = self.cache.as_ref().map(|c| c.ticket());
        let Some(record) = self.batcher.find(token.id()).await? else {
            return Ok(Found::Nothing);
        };
        if !token.matches(&record.secret_hash) {
            return Ok(Found::WrongSecret);
        }
        if let (Some(cache), Some(ticket)) = (&self.cache, ticket) {
            cache.fill(token.id(), self.cache_entry(&record, cache), ticket);
        }
        let changed = record.ip != client.ip.to_string()
            || record.user_agent != device::clip(&client.user_agent, device::MAX_USER_AGENT);
        Ok(Found::Session(Snapshot::from_record(&record), changed))
    }

    fn revoke<'a>(&self, ids: impl IntoIterator<Item = &'a str>) {
        if let Some(cache) = &self.cache {
            cache.revoke(ids);
        }
    }

    /// Ends another session of the caller. False when it is not theirs or does not exist:
    /// the two are indistinguishable on purpose.
    pub async fn terminate(&self, actor: &AuthSession, target: &str, client: &ClientInfo) -> Result<bool, sqlx::Error> {
        let mut event = self.event(Some(actor.user_id), EventKind::SessionTerminated, client);
        event.actor_session_id = Some(actor.id.clone());
        let ending = Ending { reason: EndReason::Terminated, by: Some(&actor.id), at: self.now(), event: Some(event) };
        let ended = store::end_one(&self.db, actor.user_id, target, &ending).await?;
        if let Some(ended) = &ended {
            self.revoke([ended.id.as_str()]);
        }
        Ok(ended.is_some())
    }

    /// Ends every session of the caller but the current one. Returns how many ended.
    pub async fn end_others(&self, actor: &AuthSession, client: &ClientInfo) -> Result<usize, sqlx::Error> {
        let mut event = self.event(Some(actor.user_id), EventKind::OtherSessionsTerminated, client);
        event.actor_session_id = Some(actor.id.clone());
        let ending = Ending { reason: EndReason::Terminated, by: Some(&actor.id), at: self.now(), event: Some(event) };
        let ended = store::end_others(&self.db, actor.user_id, &actor.id, &ending).await?;
        self.revoke(ended.iter().map(|e| e.id.as_str()));
        Ok(ended.len())
    }

    /// Logs the current session out.
    pub async fn logout(&self, actor: &AuthSession, client: &ClientInfo) -> Result<(), sqlx::Error> {
        let mut event = self.event(Some(actor.user_id), EventKind::SignedOut, client);
        event.actor_session_id = Some(actor.id.clone());
        let ending = Ending { reason: EndReason::LoggedOut, by: Some(&actor.id), at: self.now(), event: Some(event) };
        store::end_one(&self.db, actor.user_id, &actor.id, &ending).await?;
        self.revoke([actor.id.as_str()]);
        Ok(())
    }

    /// Ends every session of a user (password change, account deletion), optionally keeping one.
    pub async fn end_all(
        &self,
        user_id: i64,
        keep: Option<&str>,
        reason: EndReason,
        by: Option<&str>,
    ) -> Result<usize, sqlx::Error> {
        let ending = Ending { reason, by, at: self.now(), event: None };
        let ended = match keep {
            Some(keep) => store::end_others(&self.db, user_id, keep, &ending).await?,
            None => store::end_all(&self.db, user_id, &ending).await?,
        };
        self.revoke(ended.iter().map(|e| e.id.as_str()));
        Ok(ended.len())
    }

    /// Records that the person just typed their password in this session.
    pub async fn confirm_password(&self, actor: &AuthSession) -> Result<(), sqlx::Error> {
        let now = self.now();
        store::confirm_password(&self.db, &actor.id, now).await?;
        if let Some(cache) = &self.cache {
            cache.update(&actor.id, |e| e.password_confirmed_at = now);
        }
        Ok(())
    }

    pub async fn list(&self, user_id: i64) -> Result<Vec<SessionRecord>, sqlx::Error> {
        store::list_for_user(&self.db, user_id).await
    }

    /// Deletes expired sessions in small batches, yielding between them so requests never
    /// wait long behind the clean-up. Returns how many were removed.
    pub async fn purge_expired(&self, batch: i64, pause: Duration) -> Result<usize, sqlx::Error> {
        let mut total = 0;
        loop {
            let ended = store::purge_expired(&self.db, self.now(), batch).await?;
            self.revoke(ended.iter().map(|e| e.id.as_str()));
            total += ended.len();
            if (ended.len() as i64) < batch {
                break;
            }
            tokio::time::sleep(pause).await;
        }
        // Endings are kept as long as a cookie could still come back to ask about them.
        store::purge_endings(&self.db, self.now() - self.max_ms, 10_000).await?;
        Ok(total)
    }
}

enum Found {
    Session(Snapshot, bool),
    WrongSecret,
    Nothing,
}

struct Snapshot {
    user_id: i64,
    last_seen_at: Millis,
    expires_at: Millis,
    absolute_expires_at: Millis,
    password_confirmed_at: Millis,
}

impl Snapshot {
    fn from_cache(e: &CachedSession) -> Self {
        Snapshot {
            user_id: e.user_id,
            last_seen_at: e.last_seen_at,
            expires_at: e.expires_at,
            absolute_expires_at: e.absolute_expires_at,
            password_confirmed_at: e.password_confirmed_at,
        }
    }
    fn from_record(r: &CheckRecord) -> Self {
        Snapshot {
            user_id: r.user_id,
            last_seen_at: r.last_seen_at,
            expires_at: r.expires_at,
            absolute_expires_at: r.absolute_expires_at,
            password_confirmed_at: r.password_confirmed_at,
        }
    }
}

//! The session rules: creating a session at log-in, checking one on every request, ending one,
//! some or all. The server is the only authority; the cache (when on) is invalidated before
//! any ending returns.

use super::{
    check::{Fleet, Found, SessionCheck},
    endings::{self, Ended, Ending, Record},
    hub::{Change, LiveEvent, LiveHub},
    store::{self, CheckRecord, SessionRecord, SessionTimes},
    token::{SessionKey, SessionToken},
};
use crate::identity::{
    client::{self as device, ClientInfo, GeoIp},
    model::{EndReason, EventKind, SignInMethod},
    security_log::{self, NewEvent, Origin},
    sign_in::novelty::{Novelty, is_new_country},
};
use crate::infra::{
    clock::{Clock, Millis, duration_ms},
    db::Db,
};
use std::{sync::Arc, time::Duration};


/// `last_seen` is written at most this often per session.
pub const TOUCH_INTERVAL_MS: Millis = 60 * 1000;

/// A request's valid session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthSession {
    pub id: String,
    pub user_id: i64,
    pub password_confirmed_at: Millis,
    /// Opens what this session sealed (see [`SessionKey`]); only its cookie gives it.
    pub key: SessionKey,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked {
    Valid(AuthSession),
    /// Not a session we accept. The reason, when we know why it ended.
    SignedOut(Option<EndReason>),
}

/// How long sessions live and how many an account may have (from the configuration).
#[derive(Debug, Clone, Copy)]
pub struct SessionRules {
    /// Unused this long, a session ends.
    pub idle: Duration,
    /// However used, a session ends this long after it began.
    pub max: Duration,
    /// At the limit, a new sign-in ends the least recently active other session.
    pub max_per_user: u32,
}

pub struct SessionService {
    pub(crate) db: Db,
    clock: Arc<dyn Clock>,
    geo: Arc<GeoIp>,
    check: SessionCheck,
    /// The open event streams, told of every start and ending.
    live: Option<Arc<LiveHub>>,
    idle_ms: Millis,
    max_ms: Millis,
    max_per_user: i64,
}

impl SessionService {
    pub fn new(db: Db, clock: Arc<dyn Clock>, geo: Arc<GeoIp>, rules: SessionRules, check: SessionCheck, live: Option<Arc<LiveHub>>) -> Self {
        SessionService {
            db,
            clock,
            geo,
            check,
            live,
            idle_ms: duration_ms(rules.idle),
            max_ms: duration_ms(rules.max),
            max_per_user: i64::from(rules.max_per_user),
        }
    }

    pub fn fleet(&self) -> Option<&Arc<Fleet>> {
        self.check.fleet()
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn now(&self) -> Millis {
        self.clock.now_ms()
    }

    pub fn caches(&self) -> bool {
        self.check.caches()
    }

    pub fn origin(&self, client: &ClientInfo) -> Origin {
        Origin::of(client, &self.geo)
    }

    /// An event about `user_id`, happening now, from `client`.
    pub fn event(&self, user_id: Option<i64>, kind: EventKind, client: &ClientInfo) -> NewEvent {
        NewEvent::new(user_id, kind, self.origin(client), self.now())
    }

    /// A brand-new session for `user_id`, who just proved they know the password whose stored
    /// hash is `credential`; never reuses anything the browser brought. `None` when that hash
    /// is no longer the account's (the password changed meanwhile) or the account is gone: a
    /// log-in in flight never outlives a password change (`races::password_change_is_a_barrier`).
    /// `known_device`: the browser carries a device token from an earlier sign-in to the
    /// account; with the place, it decides what was new about this sign-in.
    /// `with`: what else it stood on (a passkey, an app, codes) and the lineage it takes from it.
    pub async fn create(
        &self,
        user_id: i64,
        credential: &str,
        client: &ClientInfo,
        kind: EventKind,
        method: SignInMethod,
        known_device: bool,
        with: &SignedInWith,
    ) -> Result<Option<Started>, sqlx::Error> {
        let token = SessionToken::generate();
        let now = self.now();
        let d = device::parse_device(&client.user_agent, &client.hints);
        let location = self.geo.locate(client.ip);
        let absolute = now.saturating_add(self.max_ms);
        // A new account has nothing to compare with: only sign-ins can be new.
        let novelty = if kind == EventKind::SignedIn {
            let places = security_log::sign_in_places(&self.db, user_id, PLACES_COMPARED).await?;
            Novelty { new_device: !known_device, new_country: is_new_country(&location, &places) }
        } else {
            Novelty::default()
        };
        let mut record = SessionRecord {
            id: token.id().to_owned(),
            secret_hash: token.secret_hash().to_vec(),
            user_id,
            created_at: now,
            times: SessionTimes {
                last_seen_at: now,
                expires_at: now.saturating_add(self.idle_ms).min(absolute),
                absolute_expires_at: absolute,
                password_confirmed_at: now,
                idle_ms: None,
            },
            ip: client.ip.to_string(),
            user_agent: device::clip(&client.user_agent, device::MAX_USER_AGENT).to_owned(),
            browser: d.browser.clone(),
            os: d.os.clone(),
            device_kind: d.kind.as_str().to_owned(),
            device_model: d.model.clone(),
            location: Some(location.clone()),
            method: method.as_str().to_owned(),
            name: None,
            new_device: novelty.new_device,
            new_country: novelty.new_country,
            lineage: with.lineage.clone(),
        };
        let mut event = self.event(Some(user_id), kind, client).by(&record.id);
        event.session_id = Some(record.id.clone());
        event.detail = Some(method.label().to_owned());
        let ticket = self.check.ticket();
        if !store::insert(&self.db, &mut record, &event, credential, &with.via).await? {
            return Ok(None);
        }
        self.check.fill(&record.id, &CheckRecord::from(&record), ticket);
        // At the limit, the least recently active other session makes room.
        let ending = Ending {
            reason: EndReason::Limit,
            by: Some(&record.id),
            at: now,
            record: Record::Each(EventKind::SessionLimitReached),
            by_api: false,
        };
        let ended = endings::end_beyond(&self.db, user_id, &record.id, self.max_per_user - 1, now, &ending).await?;
        let change = Change::Started { flagged: novelty.any() };
        self.publish(vec![LiveEvent { user_id, session_id: record.id.clone(), change }]).await;
        self.ended(EndReason::Limit, &ended).await;
        Ok(Some(Started { token, record, novelty }))
    }

    /// The check every request makes.
    pub async fn check(&self, token: &SessionToken, client: &ClientInfo) -> Result<Checked, sqlx::Error> {
        let now = self.now();
        let ((user_id, times), device_changed) = match self.check.lookup(token, client, now).await? {
            Found::Session(s, changed) => (s, changed),
            Found::WrongSecret => return Ok(Checked::SignedOut(None)),
            Found::Nothing => return Ok(Checked::SignedOut(endings::ending_of(&self.db, token.id()).await?)),
        };
        let id = token.id();
        if now >= times.expires_at {
            if endings::end_if_expired(&self.db, id, now).await? {
                let event = LiveEvent { user_id, session_id: id.to_owned(), change: Change::Ended(EndReason::Expired) };
                self.publish(vec![event]).await;
            }
            self.forget([id]);
            return Ok(Checked::SignedOut(Some(EndReason::Expired)));
        }
        let expires_at = now.saturating_add(self.idle(times.idle_ms)).min(times.absolute_expires_at);
        let still_there = if device_changed {
            let d = device::parse_device(&client.user_agent, &client.hints);
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
            self.check.moved(id, client.ip, user_agent, now, expires_at);
            ok
        } else if now - times.last_seen_at >= TOUCH_INTERVAL_MS {
            let ok = store::touch(&self.db, id, now, expires_at).await?;
            self.check.update(id, |e| {
                e.times.last_seen_at = now;
                e.times.expires_at = expires_at;
            });
            ok
        } else {
            true
        };
        if !still_there {
            // Ended while we looked: the ending wins.
            self.forget([id]);
            return Ok(Checked::SignedOut(endings::ending_of(&self.db, id).await?));
        }
        Ok(Checked::Valid(AuthSession {
            id: id.to_owned(),
            user_id,
            password_confirmed_at: times.password_confirmed_at,
            key: token.key(),
        }))
    }

    /// After sessions ended (their delete committed): the cache forgets them, other processes
    /// on the same SQLite file are told, and so are the open event streams (every server's).
    pub(crate) async fn ended(&self, reason: EndReason, ended: &[Ended]) {
        self.revoke(ended.iter().map(|e| e.id.as_str()).collect()).await;
        let events = ended
            .iter()
            .map(|e| LiveEvent { user_id: e.user_id, session_id: e.id.clone(), change: Change::Ended(reason) })
            .collect();
        self.publish(events).await;
    }

    async fn publish(&self, events: Vec<LiveEvent>) {
        if let Some(live) = &self.live {
            live.publish(events).await;
        }
    }

    /// Sessions whose cached checks must go, everywhere (see [`SessionCheck::revoke`]).
    pub(crate) async fn revoke(&self, ids: Vec<&str>) {
        self.check.revoke(&ids).await;
    }

    /// This process's part of [`SessionService::revoke`].
    fn forget<'a>(&self, ids: impl IntoIterator<Item = &'a str>) {
        self.check.forget(ids);
    }

    /// Ends another session of the caller. False when it is not theirs or does not exist:
    /// the two are indistinguishable on purpose.
    pub async fn terminate(&self, actor: &AuthSession, target: &str, client: &ClientInfo) -> Result<bool, sqlx::Error> {
        let event = self.event(Some(actor.user_id), EventKind::SessionTerminated, client).by(&actor.id);
        let ended = endings::end_one(&self.db, actor.user_id, target, &self.ending(EndReason::Terminated, actor, event)).await?;
        self.ended(EndReason::Terminated, ended.as_slice()).await;
        Ok(ended.is_some())
    }

    /// Ends every session of the caller but the current one. Returns how many ended.
    pub async fn end_others(&self, actor: &AuthSession, client: &ClientInfo) -> Result<usize, sqlx::Error> {
        let event = self.event(Some(actor.user_id), EventKind::OtherSessionsTerminated, client).by(&actor.id);
        let ended = endings::end_others(&self.db, actor.user_id, &actor.id, &self.ending(EndReason::Terminated, actor, event)).await?;
        self.ended(EndReason::Terminated, &ended).await;
        Ok(ended.len())
    }

    /// Logs the current session out.
    pub async fn logout(&self, actor: &AuthSession, client: &ClientInfo) -> Result<(), sqlx::Error> {
        let event = self.event(Some(actor.user_id), EventKind::SignedOut, client).by(&actor.id);
        let ended = endings::end_one(&self.db, actor.user_id, &actor.id, &self.ending(EndReason::LoggedOut, actor, event)).await?;
        self.forget([actor.id.as_str()]);
        self.ended(EndReason::LoggedOut, ended.as_slice()).await;
        Ok(())
    }

    pub(crate) fn ending<'a>(&self, reason: EndReason, actor: &'a AuthSession, event: NewEvent) -> Ending<'a> {
        Ending { reason, by: Some(&actor.id), at: event.at, record: Record::Once(event), by_api: false }
    }

    /// Sets a new password (its hash) and, with `end_others`, ends every other session of the
    /// account in the same transaction. Returns how many ended, and the change's event.
    pub async fn change_password(
        &self,
        actor: &AuthSession,
        new_hash: &str,
        end_others: bool,
        client: &ClientInfo,
    ) -> Result<(usize, NewEvent), sqlx::Error> {
        let changed = self.event(Some(actor.user_id), EventKind::PasswordChanged, client).by(&actor.id);
        let ended_event = self.event(Some(actor.user_id), EventKind::SessionsEndedByPasswordChange, client).by(&actor.id);
        let ending = self.ending(EndReason::PasswordChanged, actor, ended_event);
        let keep = end_others.then_some(actor.id.as_str());
        let ended = endings::change_password(&self.db, actor.user_id, new_hash, &changed, keep, &ending).await?;
        self.ended(EndReason::PasswordChanged, &ended).await;
        Ok((ended.len(), changed))
    }

    /// Ends every session of the account and deletes it, in one transaction.
    pub async fn delete_account(&self, actor: &AuthSession, client: &ClientInfo) -> Result<usize, sqlx::Error> {
        let event = self.event(Some(actor.user_id), EventKind::AccountDeleted, client).by(&actor.id);
        let ending = self.ending(EndReason::AccountDeleted, actor, event);
        let ended = endings::delete_account(&self.db, actor.user_id, &ending).await?;
        self.ended(EndReason::AccountDeleted, &ended).await;
        Ok(ended.len())
    }

    /// The idle time that applies to a session: the account's auto sign-out, never longer than
    /// the server's idle timeout.
    pub(crate) fn idle(&self, account: Option<i64>) -> Millis {
        account.map_or(self.idle_ms, |limit| limit.min(self.idle_ms))
    }

    /// Records that the person just typed their password in this session.
    pub async fn confirm_password(&self, actor: &AuthSession) -> Result<(), sqlx::Error> {
        let now = self.now();
        store::confirm_password(&self.db, &actor.id, now).await?;
        self.check.update(&actor.id, |e| e.times.password_confirmed_at = now);
        Ok(())
    }

    /// Deletes expired sessions in small batches, yielding between them so requests never
    /// wait long behind the clean-up. Returns how many were removed.
    pub async fn purge_expired(&self, batch: i64, pause: Duration) -> Result<usize, sqlx::Error> {
        let mut total = 0;
        loop {
            let ended = endings::purge_expired(&self.db, self.now(), batch).await?;
            self.ended(EndReason::Expired, &ended).await;
            total += ended.len();
            if (ended.len() as i64) < batch {
                break;
            }
            tokio::time::sleep(pause).await;
        }
        // Endings are kept as long as a cookie could still come back to ask about them.
        endings::purge_endings(&self.db, self.now() - self.max_ms, 10_000).await?;
        Ok(total)
    }
}

/// How many of the account's latest sign-ins a new one's country is compared with.
const PLACES_COMPARED: i64 = 500;
pub(crate) const DAY_MS: Millis = 24 * 3600 * 1000;

/// What a sign-in stood on besides the password, and the lineage the session takes from it:
/// a session signed in with a passkey, an app or codes descends from the session that added it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignedInWith {
    pub via: store::Via,
    pub lineage: String,
}

/// A session just begun: its cookie's token, the row as stored, and what was new about it.
pub struct Started {
    pub token: SessionToken,
    pub record: SessionRecord,
    pub novelty: Novelty,
}

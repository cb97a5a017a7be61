//! Counting attempts at a secret — a password, a code — so guessing slows down, on every app
//! server at once (the counts live in the database).
//!
//! An attempt is counted *before* its secret is checked: [`Throttle::reserve`] checks every
//! limit and counts the attempt in one transaction, serialised per key (SQLite has a single
//! writer; Postgres takes a transaction-scoped advisory lock per key). So of N concurrent
//! attempts against a limit of L, at most L are ever checked
//! (`auth::barriers::concurrent_wrong_passwords_are_checked_at_most_the_limit`). A key is one
//! row — its count in the current window and when that window began — however many attempts
//! come: a flood of guesses grows nothing but the count. A success takes its own attempt back
//! (and may clear a key); a failure stays counted until its window is over.

use crate::{db_write, infra::db::Db};
use std::net::IpAddr;

/// What an attempt is counted against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    /// An account by email address, whether or not it exists (the key is the lower-cased email).
    Email(String),
    /// A client address; IPv6 clients by their /64, which one household or phone usually has.
    Ip(IpAddr),
    /// A browser that signed in to this account before (OWASP "device cookies"): its own small
    /// budget, untouched by failures from elsewhere.
    Device { user_id: i64, device: String },
    /// Sign-ups from one client address.
    SignupIp(IpAddr),
    /// Second-factor codes for one account.
    SecondFactor(i64),
    /// A signed-in session confirming its password (re-authentication): its own budget.
    Session(String),
    /// Codes emailed to verify a new device, for one pending log-in (its token's hash).
    Verification(String),
    /// Passkey sign-ins begun (WebAuthn ceremonies) from one client address.
    CeremonyIp(IpAddr),
    /// Emails the app was asked to send to one address (reset links, sign-up confirmations).
    MailTo(String),
    /// Emails asked for from one client address.
    MailIp(IpAddr),
}

impl Key {
    fn stored(&self) -> String {
        match self {
            Key::Email(email) => format!("email:{email}"),
            Key::Ip(ip) => format!("ip:{}", client_prefix(*ip)),
            Key::Device { user_id, device } => format!("device:{user_id}:{device}"),
            Key::SignupIp(ip) => format!("signup:{}", client_prefix(*ip)),
            Key::SecondFactor(user_id) => format!("2fa:{user_id}"),
            Key::Session(id) => format!("session:{id}"),
            Key::Verification(pending) => format!("verify:{pending}"),
            Key::CeremonyIp(ip) => format!("ceremony:{}", client_prefix(*ip)),
            Key::MailTo(email) => format!("mail:{email}"),
            Key::MailIp(ip) => format!("mail-ip:{}", client_prefix(*ip)),
        }
    }
}

/// An IPv4 address as it is; an IPv6 address as its /64 network.
pub fn client_prefix(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

/// At most `max` attempts counted against `key` within the window.
#[derive(Debug, Clone)]
pub struct Limit {
    pub key: Key,
    pub max: u32,
}

/// An attempt that was counted: keep it (failure), or [`Throttle::succeeded`] /
/// [`Throttle::release`].
#[must_use]
#[derive(Debug)]
pub struct Reservation {
    /// Each key counted, with the start of the window it was counted in.
    counted: Vec<(String, i64)>,
}

impl Reservation {
    /// The attempt stays counted until its window is over (a failure, or a sign-up).
    pub fn keep(self) {}
}

/// Too many attempts: the next one may come after this many seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub u64);

pub struct Throttle {
    db: Db,
    window_ms: i64,
}

impl Throttle {
    pub fn new(db: Db, window_ms: i64) -> Self {
        Throttle { db, window_ms }
    }

    pub fn window_ms(&self) -> i64 {
        self.window_ms
    }

    /// Counts an attempt against every limit, or refuses it if any limit is reached.
    pub async fn reserve(&self, limits: &[Limit], now: i64) -> Result<Result<Reservation, RetryAfter>, sqlx::Error> {
        let mut keys: Vec<(String, u32)> = limits.iter().map(|l| (l.key.stored(), l.max)).collect();
        // Locks are always taken in the same order, so two attempts never wait on each other.
        keys.sort();
        keys.dedup_by(|a, b| a.0 == b.0);
        let live_since = now - self.window_ms;
        let postgres = matches!(self.db, Db::Postgres(_));
        db_write!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            if postgres {
                for (key, _) in &keys {
                    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 7041))")
                        .bind(key)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            let mut wait_until: Option<i64> = None;
            let mut next = Vec::with_capacity(keys.len());
            for (key, max) in &keys {
                let row: Option<(i64, i64)> = sqlx::query_as("SELECT count, window_start FROM attempts WHERE key = $1")
                    .bind(key)
                    .fetch_optional(&mut *tx)
                    .await?;
                match row {
                    // A live window at its limit: come back when it is over.
                    Some((count, start)) if start > live_since && count >= i64::from(*max) => {
                        let until = start + self.window_ms;
                        wait_until = Some(wait_until.map_or(until, |w| w.max(until)));
                    }
                    Some((count, start)) if start > live_since => next.push((key.clone(), count + 1, start)),
                    // No window, or one that is over: this attempt starts a new one.
                    _ => next.push((key.clone(), 1, now)),
                }
            }
            if let Some(until) = wait_until {
                tx.rollback().await?;
                let seconds = ((until - now).max(1000) + 999) / 1000;
                return Ok(Err(RetryAfter(seconds as u64)));
            }
            for (key, count, start) in &next {
                sqlx::query(
                    "INSERT INTO attempts (key, count, window_start) VALUES ($1, $2, $3) \
                     ON CONFLICT (key) DO UPDATE SET count = excluded.count, window_start = excluded.window_start",
                )
                .bind(key)
                .bind(*count)
                .bind(*start)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(Ok(Reservation { counted: next.into_iter().map(|(key, _, start)| (key, start)).collect() }))
        })
    }

    /// The attempt succeeded: it no longer counts, nor does anything counted against `clear`.
    pub async fn succeeded(&self, reservation: Reservation, clear: &[Key]) -> Result<(), sqlx::Error> {
        self.forget(reservation).await?;
        for key in clear {
            db_write!(&self.db, |pool| {
                sqlx::query("DELETE FROM attempts WHERE key = $1").bind(key.stored()).execute(pool).await.map(|_| ())
            })?;
        }
        Ok(())
    }

    /// The attempt did not happen after all (the server was too busy to check it).
    pub async fn release(&self, reservation: Reservation) -> Result<(), sqlx::Error> {
        self.forget(reservation).await
    }

    /// Takes the attempt back from each key's count — in the window it was counted in only.
    async fn forget(&self, reservation: Reservation) -> Result<(), sqlx::Error> {
        for (key, start) in reservation.counted {
            db_write!(&self.db, |pool| {
                sqlx::query("UPDATE attempts SET count = count - 1 WHERE key = $1 AND window_start = $2 AND count > 0")
                    .bind(&key)
                    .bind(start)
                    .execute(pool)
                    .await
                    .map(|_| ())
            })?;
        }
        Ok(())
    }

    /// How many attempts count against `key` now (for tests and the admin glance).
    pub async fn counted(&self, key: &Key, now: i64) -> Result<i64, sqlx::Error> {
        let count: Option<i64> = crate::db_read!(&self.db, |pool| {
            sqlx::query_scalar("SELECT count FROM attempts WHERE key = $1 AND window_start > $2")
                .bind(key.stored())
                .bind(now - self.window_ms)
                .fetch_optional(pool)
                .await
        })?;
        Ok(count.unwrap_or(0))
    }

    /// Forgets keys whose window is over (whatever they were against, known account or not).
    pub async fn purge(&self, now: i64) -> Result<u64, sqlx::Error> {
        db_write!(&self.db, |pool| {
            sqlx::query("DELETE FROM attempts WHERE window_start <= $1")
                .bind(now - self.window_ms)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_count_per_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff:1:2:3".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_prefix(a), client_prefix(b));
        assert_ne!(client_prefix(a), client_prefix(c));
        assert_eq!(client_prefix("::ffff:81.2.69.142".parse().unwrap()), "81.2.69.142");
        assert_eq!(Key::Ip(a).stored(), Key::Ip(b).stored());
    }
}

//! "Check a password", once, for every caller: log-in, the re-authentication modal, change
//! password, delete account. Each check is counted by the [`Throttle`] before argon2 runs,
//! and costs the same whether or not the account exists.
//!
//! Budgets (OWASP's "device cookies"): a log-in from a browser that signed in to this account
//! before counts against that browser's own small budget; any other counts against the
//! account's email and the client's address. So failures from elsewhere can exhaust the
//! email's budget without locking out the owner's own browsers. A signed-in session typing its
//! password again counts against that session's own small budget only: an outsider's failed
//! log-ins never stop the owner from confirming it's them, and a borrowed session still
//! cannot guess without limit.

use crate::identity::{
    client::ClientInfo,
    security_log::{self, NewEvent, Origin},
    client::GeoIp,
    account::passwords::Passwords,
    account::throttle::{Key, Limit, Reservation, Throttle},
    account::totp,
    model::EventKind,
    session::AuthSession,
    account::users::{self, UserRecord, email_key},
};
use crate::infra::{clock::Clock, db::Db, error::AppError};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// A second-factor code to check.
#[derive(Debug, Clone, Copy)]
pub enum Code<'a> {
    /// From the account's authenticator app.
    App(&'a str),
    /// The first code of an app being set up with `secret`.
    Setup { secret: &'a str, code: &'a str },
    /// One of the account's recovery codes.
    Recovery(&'a str),
}

/// How many attempts each budget allows within the throttle's window.
#[derive(Debug, Clone, Copy)]
pub struct Budgets {
    pub per_email: u32,
    pub per_ip: u32,
    pub per_device: u32,
    /// Wrong passwords one signed-in session may type when confirming it's them.
    pub per_session: u32,
}

pub struct Credentials {
    db: Db,
    clock: Arc<dyn Clock>,
    geo: Arc<GeoIp>,
    pub passwords: Passwords,
    pub throttle: Throttle,
    budgets: Budgets,
    /// When each refused account (or address) was last announced as throttled: one
    /// `sign_in.throttled` per window, not one per refused guess.
    throttled_told: dashmap::DashMap<String, i64>,
}

/// The stored form of a device token: its SHA-256, hex.
pub fn device_key(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Emails one address may be sent on request within the throttle's window.
pub const MAILS_PER_ADDRESS: u32 = 3;

impl Credentials {
    pub fn new(db: Db, clock: Arc<dyn Clock>, geo: Arc<GeoIp>, passwords: Passwords, throttle: Throttle, budgets: Budgets) -> Self {
        Credentials { db, clock, geo, passwords, throttle, budgets, throttled_told: dashmap::DashMap::new() }
    }

    /// Counts an attempt against `limits`, or answers 429 with when to come back.
    async fn reserve(&self, limits: &[Limit]) -> Result<Reservation, AppError> {
        self.throttle.reserve(limits, self.clock.now_ms()).await?.map_err(|wait| AppError::RateLimited(wait.0))
    }

    /// Verifies, giving the reservation back if the server was too busy to check at all.
    async fn verify(&self, reservation: Reservation, password: String, stored: Option<String>) -> Result<(bool, Reservation), AppError> {
        match self.passwords.verify(password, stored).await {
            Ok(ok) => Ok((ok, reservation)),
            Err(e) => {
                self.throttle.release(reservation).await?;
                Err(e)
            }
        }
    }

    async fn record(&self, user_id: Option<i64>, kind: EventKind, client: &ClientInfo) -> Result<(), AppError> {
        let event = NewEvent::new(user_id, kind, Origin::of(client, &self.geo), self.clock.now_ms());
        security_log::record(&self.db, &event).await?;
        Ok(())
    }

    /// A log-in's password check. `device`: the device token the browser carries, if any.
    /// Unknown email and wrong password give the same answer after the same work.
    pub async fn log_in(
        &self,
        email: &str,
        password: String,
        client: &ClientInfo,
        device: Option<&str>,
    ) -> Result<UserRecord, AppError> {
        let user = users::find_by_email(&self.db, email).await?;
        let known_device = match (&user, device) {
            (Some(user), Some(token)) => {
                let key = device_key(token);
                users::knows_device(&self.db, user.id, &key).await?.then_some((user.id, key))
            }
            _ => None,
        };
        let limits = match &known_device {
            Some((user_id, key)) => vec![Limit { key: Key::Device { user_id: *user_id, device: key.clone() }, max: self.budgets.per_device }],
            None => vec![
                Limit { key: Key::Email(email_key(email)), max: self.budgets.per_email },
                Limit { key: Key::Ip(client.ip), max: self.budgets.per_ip },
            ],
        };
        let reservation = match self.reserve(&limits).await {
            Ok(reservation) => reservation,
            Err(refused) => {
                metrics::counter!("logins_total", "result" => "throttled").increment(1);
                if let AppError::RateLimited(wait) = refused {
                    self.announce_throttled(email, user.as_ref().map(|u| u.id), client, wait).await?;
                }
                return Err(refused);
            }
        };
        let stored = user.as_ref().map(|u| u.password_hash.clone());
        let (ok, reservation) = self.verify(reservation, password, stored).await?;
        let user_id = user.as_ref().map(|u| u.id);
        match user.filter(|_| ok) {
            Some(user) => {
                // The owner proved it: failures against the account (from anywhere) are forgiven.
                self.throttle.succeeded(reservation, &[Key::Email(email_key(&user.email))]).await?;
                // Said only to whoever knows the password: it tells nobody else the account exists.
                if user.suspended_at.is_some() {
                    return Err(AppError::Suspended);
                }
                metrics::counter!("logins_total", "result" => "success").increment(1);
                Ok(user)
            }
            None => {
                reservation.keep();
                metrics::counter!("logins_total", "result" => "failure").increment(1);
                // Only an account's owner ever reads its events: a guess at an address with no
                // account leaves no row behind (the throttle's count is all it leaves).
                if let Some(user_id) = user_id {
                    self.record(Some(user_id), EventKind::SignInFailed, client).await?;
                }
                Err(AppError::BadCredentials)
            }
        }
    }

    /// Tells the operator's webhooks that log-ins for this account (or, for an unknown email,
    /// from this address) are being refused: once per throttle window.
    async fn announce_throttled(&self, email: &str, user_id: Option<i64>, client: &ClientInfo, wait: u64) -> Result<(), AppError> {
        let now = self.clock.now_ms();
        let key = match user_id {
            Some(id) => format!("user:{id}"),
            None => format!("ip:{}", client.ip),
        };
        let _ = email;
        let until = now + (wait as i64) * 1000;
        let fresh = match self.throttled_told.entry(key) {
            dashmap::Entry::Occupied(mut told) if *told.get() > now => {
                told.insert(until.max(*told.get()));
                false
            }
            dashmap::Entry::Occupied(mut told) => {
                told.insert(until);
                true
            }
            dashmap::Entry::Vacant(slot) => {
                slot.insert(until);
                true
            }
        };
        if self.throttled_told.len() > 10_000 {
            self.throttled_told.retain(|_, until| *until > now);
        }
        if fresh {
            let webhook = crate::identity::operator::throttled(user_id, &client.ip.to_string(), wait, now);
            crate::db_write!(&self.db, |pool| crate::queue_webhook!(pool, &webhook).await.map(|_| ()))?;
        }
        Ok(())
    }

    /// A signed-in session typing its password again (re-authentication, change password,
    /// delete account). Counts against that session's own budget only: never against the
    /// account's email (which outsiders can exhaust) nor the address (which neighbours share).
    pub async fn confirm(&self, session: &AuthSession, password: String, client: &ClientInfo) -> Result<UserRecord, AppError> {
        let user = users::find(&self.db, session.user_id).await?.ok_or(AppError::SignedOut)?;
        let limits = [Limit { key: Key::Session(session.id.clone()), max: self.budgets.per_session }];
        let reservation = self.reserve(&limits).await?;
        let (ok, reservation) = self.verify(reservation, password, Some(user.password_hash.clone())).await?;
        if ok {
            self.throttle.succeeded(reservation, &[]).await?;
            Ok(user)
        } else {
            reservation.keep();
            self.record(Some(user.id), EventKind::ReauthFailed, client).await?;
            Err(AppError::WrongPassword)
        }
    }

    /// A second-factor code: from the authenticator app (never the same time step twice), or a
    /// recovery code (each once). Counted like passwords, against the account and the address.
    pub async fn check_code(&self, user_id: i64, code: Code<'_>, client: &ClientInfo) -> Result<(), AppError> {
        let limits = [
            Limit { key: Key::SecondFactor(user_id), max: self.budgets.per_email },
            Limit { key: Key::Ip(client.ip), max: self.budgets.per_ip },
        ];
        let reservation = self.reserve(&limits).await?;
        let now = self.clock.now_ms();
        let ok = match code {
            Code::App(code) => match totp::find(&self.db, user_id).await?.filter(|t| t.enabled_at.is_some()) {
                Some(app) => match totp::matching_step(&app.secret, code, (now / 1000) as u64) {
                    Some(step) => totp::take_step(&self.db, user_id, step).await?,
                    None => false,
                },
                None => false,
            },
            Code::Setup { secret, code } => totp::matching_step(secret, code, (now / 1000) as u64).is_some(),
            Code::Recovery(code) => totp::spend_recovery_code(&self.db, user_id, code, now).await?,
        };
        if ok {
            self.throttle.succeeded(reservation, &[Key::SecondFactor(user_id)]).await?;
            Ok(())
        } else {
            reservation.keep();
            self.record(Some(user_id), EventKind::SecondFactorFailed, client).await?;
            Err(AppError::WrongCode)
        }
    }

    /// A code emailed to verify a new device, for the pending log-in `pending` (its token's
    /// hash) of `user_id`: `expected` is the code's SHA-256. Counted against the pending log-in
    /// (a few guesses: 6 digits are a million) and the client's address before it is compared
    /// (in constant time).
    pub async fn check_emailed_code(
        &self,
        user_id: i64,
        pending: &str,
        code: &str,
        expected: &str,
        client: &ClientInfo,
    ) -> Result<(), AppError> {
        let limits = [
            Limit { key: Key::Verification(pending.to_owned()), max: self.budgets.per_device },
            // Whoever has the password can open pending log-ins at will: the account's own
            // budget bounds the guesses at its codes across all of them.
            Limit { key: Key::SecondFactor(user_id), max: self.budgets.per_email },
            Limit { key: Key::Ip(client.ip), max: self.budgets.per_ip },
        ];
        let reservation = self.reserve(&limits).await?;
        let given = crate::infra::random::token_hash(code);
        if bool::from(subtle::ConstantTimeEq::ct_eq(given.as_bytes(), expected.as_bytes())) {
            self.throttle.succeeded(reservation, &[]).await?;
            Ok(())
        } else {
            reservation.keep();
            self.record(Some(user_id), EventKind::VerificationCodeFailed, client).await?;
            Err(AppError::WrongCode)
        }
    }

    /// Counts a sign-up from `client` (a per-address limit), then hashes the new password.
    pub async fn new_account_hash(&self, password: String, client: &ClientInfo, per_ip: u32) -> Result<String, AppError> {
        let reservation = self.reserve(&[Limit { key: Key::SignupIp(client.ip), max: per_ip }]).await?;
        match self.passwords.hash(password).await {
            // Sign-ups stay counted: the limit is on how many a client makes, not on failures.
            Ok(hash) => {
                reservation.keep();
                Ok(hash)
            }
            Err(e) => {
                self.throttle.release(reservation).await?;
                Err(e)
            }
        }
    }

    /// Counts an email the app is asked to send to `email` (a reset link, a sign-up
    /// confirmation) from `client`: an address gets a few per window, a client address more —
    /// nobody can flood an inbox through us. Counted whether or not the address has an account,
    /// so the answer says nothing about that.
    pub async fn count_mail(&self, email: &str, client: &ClientInfo, per_ip: u32) -> Result<(), AppError> {
        let limits = [
            Limit { key: Key::MailTo(email_key(email)), max: MAILS_PER_ADDRESS },
            Limit { key: Key::MailIp(client.ip), max: per_ip },
        ];
        self.reserve(&limits).await?.keep();
        Ok(())
    }

    /// Counts a passkey sign-in begun from `client`: a few per window, like sign-ups (each
    /// leaves a ceremony row until it is finished or runs out).
    pub async fn count_ceremony(&self, client: &ClientInfo) -> Result<(), AppError> {
        self.reserve(&[Limit { key: Key::CeremonyIp(client.ip), max: self.budgets.per_ip }]).await?.keep();
        Ok(())
    }

    /// Whether the browser with device token `token` signed in to `user_id` before.
    pub async fn knows_device(&self, user_id: i64, token: &str) -> Result<bool, AppError> {
        Ok(users::knows_device(&self.db, user_id, &device_key(token)).await?)
    }

    /// Remembers that the browser with device token `token` signed in to `user_id`.
    pub async fn remember_device(&self, user_id: i64, token: &str) -> Result<(), AppError> {
        users::remember_device(&self.db, user_id, &device_key(token), self.clock.now_ms()).await?;
        Ok(())
    }
}

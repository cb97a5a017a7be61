//! API tokens for the operator's systems: 256 random bits shown once, only their SHA-256 kept,
//! with scopes, an optional expiry and a per-token rate limit.

use crate::{db_read, db_write, identity::Core, infra::error::AppError};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter, clock::Clock as _};
use rand::{TryRngCore, rngs::OsRng};
use sha2::{Digest, Sha256};
use std::{num::NonZeroU32, time::Duration};

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
pub enum Scope {
    #[strum(serialize = "sessions:read")]
    SessionsRead,
    /// Ending sessions, suspending and reinstating accounts.
    #[strum(serialize = "sessions:write")]
    SessionsWrite,
    #[strum(serialize = "events:read")]
    EventsRead,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// Tokens start with this, so a leaked one is recognisable (and secret scanners can find it).
const PREFIX: &str = "ast_";

/// A token as listed: never its secret.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    scopes: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub expires_at: Option<i64>,
}

impl ApiToken {
    pub fn scopes(&self) -> Vec<Scope> {
        self.scopes.split(' ').filter_map(|s| s.parse().ok()).collect()
    }

    pub fn allows(&self, scope: Scope) -> bool {
        self.scopes().contains(&scope)
    }
}

/// Why a request's token was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denied {
    /// No such token: never issued, revoked, or malformed.
    Unknown,
    Expired,
    /// Over its rate limit: try again after this many seconds.
    RateLimited(u64),
}

/// A last-used time is written at most this often per token (not on every call).
const TOUCH_EVERY_MS: i64 = 60_000;

fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

pub struct ApiTokens {
    core: Core,
    limiter: DefaultKeyedRateLimiter<i64>,
}

impl ApiTokens {
    /// `per_minute`: calls one token may make per minute (a burst of as many, refilled evenly).
    pub fn new(core: Core, per_minute: u32) -> Self {
        let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        ApiTokens { core, limiter: RateLimiter::keyed(Quota::per_minute(per_minute)) }
    }

    /// Issues a token: its record and the token itself, which is shown once and never again.
    /// `Ok(None)` when the name is taken.
    pub async fn create(&self, name: &str, scopes: &[Scope], expires_in: Option<Duration>) -> Result<Option<(ApiToken, String)>, AppError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 || !name.chars().all(crate::identity::model::allowed_in_name) {
            return Err(AppError::BadRequest);
        }
        if scopes.is_empty() {
            return Err(AppError::BadRequest);
        }
        let mut bytes = [0u8; 32];
        OsRng.try_fill_bytes(&mut bytes).expect("the operating system's random source failed");
        let token = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
        let mut names: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        let now = self.core.now();
        let expires_at = expires_in.map(|d| now + d.as_millis() as i64);
        let created: Option<ApiToken> = db_write!(&self.core.db, |pool| {
            sqlx::query_as(
                "INSERT INTO api_tokens (name, token_hash, scopes, created_at, expires_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (name) DO NOTHING RETURNING id, name, scopes, created_at, last_used_at, expires_at",
            )
            .bind(name)
            .bind(hash(&token))
            .bind(names.join(" "))
            .bind(now)
            .bind(expires_at)
            .fetch_optional(pool)
            .await
        })?;
        Ok(created.map(|t| (t, token)))
    }

    /// Every token, oldest first.
    pub async fn list(&self) -> Result<Vec<ApiToken>, AppError> {
        Ok(db_read!(&self.core.db, |pool| {
            sqlx::query_as("SELECT id, name, scopes, created_at, last_used_at, expires_at FROM api_tokens ORDER BY id")
                .fetch_all(pool)
                .await
        })?)
    }

    /// Revokes (deletes) the token named `name`: its very next call is refused. Whether it existed.
    pub async fn revoke(&self, name: &str) -> Result<bool, AppError> {
        let deleted = db_write!(&self.core.db, |pool| {
            sqlx::query("DELETE FROM api_tokens WHERE name = $1").bind(name.trim()).execute(pool).await.map(|r| r.rows_affected())
        })?;
        Ok(deleted > 0)
    }

    /// The token a request presents, if it is valid, unexpired and within its rate limit.
    pub async fn authenticate(&self, presented: &str) -> Result<Result<ApiToken, Denied>, AppError> {
        if !presented.starts_with(PREFIX) || presented.len() > 100 {
            return Ok(Err(Denied::Unknown));
        }
        let found: Option<ApiToken> = db_read!(&self.core.db, |pool| {
            sqlx::query_as("SELECT id, name, scopes, created_at, last_used_at, expires_at FROM api_tokens WHERE token_hash = $1")
                .bind(hash(presented))
                .fetch_optional(pool)
                .await
        })?;
        let Some(token) = found else { return Ok(Err(Denied::Unknown)) };
        let now = self.core.now();
        if token.expires_at.is_some_and(|at| at <= now) {
            return Ok(Err(Denied::Expired));
        }
        if let Err(not_until) = self.limiter.check_key(&token.id) {
            let wait = not_until.wait_time_from(governor::clock::DefaultClock::default().now());
            return Ok(Err(Denied::RateLimited(wait.as_secs_f64().ceil().max(1.0) as u64)));
        }
        if token.last_used_at.is_none_or(|at| at + TOUCH_EVERY_MS <= now) {
            db_write!(&self.core.db, |pool| {
                sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1").bind(token.id).bind(now).execute(pool).await.map(|_| ())
            })?;
        }
        Ok(Ok(token))
    }
}

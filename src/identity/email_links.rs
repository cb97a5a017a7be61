//! Links sent by email — "set a new password", "This wasn't me" — that work without being
//! signed in: a random token (32 bytes) in the link, only its SHA-256 stored, a purpose, a
//! short life, and one use (taken by one conditional `UPDATE`).

use crate::{db_read, db_write, infra::db::Db};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};

/// What a link does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum Purpose {
    /// Set a new password (30 minutes).
    Reset,
    /// End a session the person did not recognise, and every other (24 hours).
    NotMe,
}

impl Purpose {
    pub fn lifetime_ms(self) -> i64 {
        match self {
            Purpose::Reset => 30 * 60 * 1000,
            Purpose::NotMe => 24 * 3600 * 1000,
        }
    }
}

fn hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `token` has the shape of one of ours (43 base64url characters).
pub fn well_formed(token: &str) -> bool {
    token.len() == 43 && URL_SAFE_NO_PAD.decode(token).is_ok_and(|b| b.len() == 32)
}

/// A new link token for `user_id`.
pub async fn create(db: &Db, user_id: i64, purpose: Purpose, session_id: Option<&str>, now: i64) -> Result<String, sqlx::Error> {
    let mut bytes = [0u8; 32];
    rand::TryRngCore::try_fill_bytes(&mut rand::rngs::OsRng, &mut bytes).expect("the OS random source works");
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let purpose_name: &'static str = purpose.into();
    db_write!(db, |pool| {
        sqlx::query("INSERT INTO email_links (token_hash, user_id, purpose, session_id, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(hash(&token))
            .bind(user_id)
            .bind(purpose_name)
            .bind(session_id)
            .bind(now + purpose.lifetime_ms())
            .execute(pool)
            .await
            .map(|_| ())
    })?;
    Ok(token)
}

/// The account (and session) of a live, unused link of `purpose`, without using it.
pub async fn peek(db: &Db, token: &str, purpose: Purpose, now: i64) -> Result<Option<(i64, Option<String>)>, sqlx::Error> {
    let purpose_name: &'static str = purpose.into();
    db_read!(db, |pool| {
        sqlx::query_as(
            "SELECT user_id, session_id FROM email_links WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3",
        )
        .bind(hash(token))
        .bind(purpose_name)
        .bind(now)
        .fetch_optional(pool)
        .await
    })
}

/// Uses the link: its account (and session), once.
pub async fn take(db: &Db, token: &str, purpose: Purpose, now: i64) -> Result<Option<(i64, Option<String>)>, sqlx::Error> {
    let purpose_name: &'static str = purpose.into();
    db_write!(db, |pool| {
        sqlx::query_as(
            "UPDATE email_links SET used_at = $3 WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3 \
             RETURNING user_id, session_id",
        )
        .bind(hash(token))
        .bind(purpose_name)
        .bind(now)
        .fetch_optional(pool)
        .await
    })
}

/// Forgets links that ran out.
pub async fn purge(db: &Db, now: i64) -> Result<u64, sqlx::Error> {
    db_write!(db, |pool| {
        sqlx::query("DELETE FROM email_links WHERE expires_at <= $1").bind(now).execute(pool).await.map(|r| r.rows_affected())
    })
}

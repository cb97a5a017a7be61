//! Half-signed-in browsers: the password was right and a second factor is due. No session
//! exists yet. The browser holds a `pending` cookie (a random token; only its SHA-256 is
//! stored) for five minutes; it can do nothing but finish (a right code turns it into a
//! session, once) or cancel. No page, list or server function reads it as signed in: the
//! session layer does not know it exists.

use crate::{db_read, db_write, infra::{db::Db, random}};

/// How long a browser has to give its second factor.
pub const LIFETIME_MS: i64 = 5 * 60 * 1000;

/// A pending log-in, as stored.
#[derive(sqlx::FromRow, Debug, Clone)]
pub struct Pending {
    pub user_id: i64,
    /// The password hash the log-in was checked against (a session is made only if the account
    /// still has it when the second factor is given).
    pub credential: String,
}

fn key(token: &str) -> String {
    random::token_hash(token)
}

/// A new token (for the cookie) and its stored row.
pub async fn create(db: &Db, user_id: i64, credential: &str, now: i64) -> Result<String, sqlx::Error> {
    let token = random::token();
    db_write!(db, |pool| {
        sqlx::query("INSERT INTO pending_logins (id_hash, user_id, credential, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(key(&token))
            .bind(user_id)
            .bind(credential)
            .bind(now + LIFETIME_MS)
            .execute(pool)
            .await
            .map(|_| ())
    })?;
    Ok(token)
}

/// The pending log-in of `token`, if it is still open.
pub async fn find(db: &Db, token: &str, now: i64) -> Result<Option<Pending>, sqlx::Error> {
    db_read!(db, |pool| {
        sqlx::query_as("SELECT user_id, credential FROM pending_logins WHERE id_hash = $1 AND expires_at > $2")
            .bind(key(token))
            .bind(now)
            .fetch_optional(pool)
            .await
    })
}

/// Closes the pending log-in of `token` and returns it, once: of two requests racing to finish
/// it, one gets it.
pub async fn take(db: &Db, token: &str, now: i64) -> Result<Option<Pending>, sqlx::Error> {
    db_write!(db, |pool| {
        sqlx::query_as("DELETE FROM pending_logins WHERE id_hash = $1 AND expires_at > $2 RETURNING user_id, credential")
            .bind(key(token))
            .bind(now)
            .fetch_optional(pool)
            .await
    })
}

/// Forgets pending log-ins (and WebAuthn ceremonies, and unshown recovery codes) that ran out.
pub async fn purge(db: &Db, now: i64) -> Result<u64, sqlx::Error> {
    let mut removed = 0;
    for table in ["pending_logins", "webauthn_ceremonies", "recovery_reveals"] {
        let sql = format!("DELETE FROM {table} WHERE expires_at <= $1");
        removed += db_write!(db, |pool| sqlx::query(&sql).bind(now).execute(pool).await.map(|r| r.rows_affected()))?;
    }
    Ok(removed)
}

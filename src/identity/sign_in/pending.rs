//! Half-signed-in browsers: the password was right and something more is due — a second
//! factor, or (new-device verification) a code emailed to the account. No session exists yet.
//! The browser holds a `pending` cookie (a random token; only its SHA-256 is stored) for a few
//! minutes; it can do nothing but finish (the right code turns it into a session, once) or
//! cancel. No page, list or server function reads it as signed in: the session layer does not
//! know it exists.

use crate::{db_read, db_write, infra::{db::Db, random}};

/// How long a browser has to give its second factor (and the cookie's life).
pub const LIFETIME_MS: i64 = 10 * 60 * 1000;
/// Half-finished log-ins one account keeps at most: starting another forgets the oldest.
const PER_ACCOUNT: i64 = 5;

/// What a pending log-in waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum Due {
    /// The authenticator app's code, or a recovery code.
    SecondFactor,
    /// The code emailed to the account (a sign-in from a browser it does not know).
    EmailedCode,
}

/// A pending log-in, as stored.
#[derive(sqlx::FromRow, Debug, Clone)]
pub struct Pending {
    pub user_id: i64,
    /// The password hash the log-in was checked against (a session is made only if the account
    /// still has it when the log-in finishes).
    pub credential: String,
    kind: String,
    /// The emailed code's SHA-256 (hex), when one is due.
    pub code_hash: Option<String>,
    /// Where the browser goes once signed in.
    pub then_to: Option<String>,
}

impl Pending {
    pub fn due(&self) -> Due {
        self.kind.parse().unwrap_or(Due::SecondFactor)
    }
}

pub fn key(token: &str) -> String {
    random::token_hash(token)
}

/// A new pending log-in waiting for `due`; returns its token (for the cookie).
pub async fn create(
    db: &Db,
    user_id: i64,
    credential: &str,
    due: Due,
    code_hash: Option<&str>,
    then_to: Option<&str>,
    now: i64,
) -> Result<String, sqlx::Error> {
    let token = random::token();
    let kind: &'static str = due.into();
    db_write!(db, |pool| {
        let mut tx = pool.begin().await?;
        sqlx::query(
            "INSERT INTO pending_logins (id_hash, user_id, credential, expires_at, kind, code_hash, then_to, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(key(&token))
        .bind(user_id)
        .bind(credential)
        .bind(now + LIFETIME_MS)
        .bind(kind)
        .bind(code_hash)
        .bind(then_to)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM pending_logins WHERE user_id = $1 AND id_hash IN \
             (SELECT id_hash FROM pending_logins WHERE user_id = $1 ORDER BY created_at DESC LIMIT 1000000 OFFSET $2)",
        )
        .bind(user_id)
        .bind(PER_ACCOUNT)
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    })?;
    Ok(token)
}

const COLUMNS: &str = "user_id, credential, kind, code_hash, then_to";

/// The pending log-in of `token`, if it is still open.
pub async fn find(db: &Db, token: &str, now: i64) -> Result<Option<Pending>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM pending_logins WHERE id_hash = $1 AND expires_at > $2");
    db_read!(db, |pool| sqlx::query_as(&sql).bind(key(token)).bind(now).fetch_optional(pool).await)
}

/// Closes the pending log-in of `token` and returns it, once: of two requests racing to finish
/// it, one gets it.
pub async fn take(db: &Db, token: &str, now: i64) -> Result<Option<Pending>, sqlx::Error> {
    let sql = format!("DELETE FROM pending_logins WHERE id_hash = $1 AND expires_at > $2 RETURNING {COLUMNS}");
    db_write!(db, |pool| sqlx::query_as(&sql).bind(key(token)).bind(now).fetch_optional(pool).await)
}

/// Forgets pending log-ins (and WebAuthn ceremonies, authenticator set-ups and unshown
/// recovery codes) that ran out.
pub async fn purge(db: &Db, now: i64) -> Result<u64, sqlx::Error> {
    let mut removed = 0;
    for table in ["pending_logins", "webauthn_ceremonies", "recovery_reveals", "totp_setups"] {
        let sql = format!("DELETE FROM {table} WHERE expires_at <= $1");
        removed += db_write!(db, |pool| sqlx::query(&sql).bind(now).execute(pool).await.map(|r| r.rows_affected()))?;
    }
    Ok(removed)
}

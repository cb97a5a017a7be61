//! SQL for passkeys, the WebAuthn handle of each account, and ceremonies in progress.

use crate::{db_read, db_write, infra::db::Db};
use sha2::{Digest, Sha256};

/// One passkey of an account, as its list shows it.
#[derive(sqlx::FromRow, Debug, Clone)]
pub struct PasskeyRow {
    pub credential_id: String,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// The account's WebAuthn user handle (a random UUID, never the database id), made at first use.
pub async fn handle(db: &Db, user_id: i64) -> Result<String, sqlx::Error> {
    let fresh = uuid::Uuid::new_v4().to_string();
    db_write!(db, |pool| {
        sqlx::query("INSERT INTO webauthn_users (user_id, handle) VALUES ($1, $2) ON CONFLICT (user_id) DO NOTHING")
            .bind(user_id)
            .bind(&fresh)
            .execute(pool)
            .await?;
        sqlx::query_scalar("SELECT handle FROM webauthn_users WHERE user_id = $1").bind(user_id).fetch_one(pool).await
    })
}

pub async fn list(db: &Db, user_id: i64) -> Result<Vec<PasskeyRow>, sqlx::Error> {
    db_read!(db, |pool| {
        sqlx::query_as(
            "SELECT credential_id, name, created_at, last_used_at FROM passkeys WHERE user_id = $1 ORDER BY created_at, credential_id",
        )
        .bind(user_id)
        .fetch_all(pool)
        .await
    })
}

/// The credential ids of an account's passkeys (so an authenticator is not registered twice).
pub async fn credential_ids(db: &Db, user_id: i64) -> Result<Vec<String>, sqlx::Error> {
    Ok(list(db, user_id).await?.into_iter().map(|p| p.credential_id).collect())
}

/// The owner (user id and handle) and stored credential of a passkey.
pub async fn find(db: &Db, credential_id: &str) -> Result<Option<(i64, String, String)>, sqlx::Error> {
    db_read!(db, |pool| {
        sqlx::query_as(
            "SELECT p.user_id, w.handle, p.passkey FROM passkeys p JOIN webauthn_users w ON w.user_id = p.user_id \
             WHERE p.credential_id = $1",
        )
        .bind(credential_id)
        .fetch_optional(pool)
        .await
    })
}

/// Stores a new passkey; false when that credential is already registered (to anyone).
pub async fn insert(db: &Db, user_id: i64, credential_id: &str, name: &str, passkey: &str, now: i64) -> Result<bool, sqlx::Error> {
    let result = db_write!(db, |pool| {
        sqlx::query(
            "INSERT INTO passkeys (credential_id, user_id, name, passkey, created_at, last_used_at) VALUES ($1, $2, $3, $4, $5, NULL)",
        )
        .bind(credential_id)
        .bind(user_id)
        .bind(name)
        .bind(passkey)
        .bind(now)
        .execute(pool)
        .await
        .map(|_| ())
    });
    match result {
        Ok(()) => Ok(true),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(false),
        Err(e) => Err(e),
    }
}

/// After a sign-in: the credential's new state (its counter) and when it was used.
pub async fn used(db: &Db, credential_id: &str, passkey: &str, now: i64) -> Result<(), sqlx::Error> {
    db_write!(db, |pool| {
        sqlx::query("UPDATE passkeys SET passkey = $2, last_used_at = $3 WHERE credential_id = $1")
            .bind(credential_id)
            .bind(passkey)
            .bind(now)
            .execute(pool)
            .await
            .map(|_| ())
    })
}

/// Renames one of the account's passkeys; false when it has no such passkey.
pub async fn rename(db: &Db, user_id: i64, credential_id: &str, name: &str) -> Result<bool, sqlx::Error> {
    db_write!(db, |pool| {
        sqlx::query("UPDATE passkeys SET name = $3 WHERE credential_id = $1 AND user_id = $2")
            .bind(credential_id)
            .bind(user_id)
            .bind(name)
            .execute(pool)
            .await
            .map(|r| r.rows_affected() == 1)
    })
}

/// Removes one of the account's passkeys (the owner check is in the statement); its name if it was there.
pub async fn remove(db: &Db, user_id: i64, credential_id: &str) -> Result<Option<String>, sqlx::Error> {
    db_write!(db, |pool| {
        sqlx::query_scalar("DELETE FROM passkeys WHERE credential_id = $1 AND user_id = $2 RETURNING name")
            .bind(credential_id)
            .bind(user_id)
            .fetch_optional(pool)
            .await
    })
}

fn key(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Keeps a ceremony's state until `expires_at`, under a new random token (returned).
pub async fn begin_ceremony(db: &Db, user_id: Option<i64>, state: &str, expires_at: i64) -> Result<String, sqlx::Error> {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    let mut bytes = [0u8; 32];
    rand::TryRngCore::try_fill_bytes(&mut rand::rngs::OsRng, &mut bytes).expect("the OS random source works");
    let token = URL_SAFE_NO_PAD.encode(bytes);
    db_write!(db, |pool| {
        sqlx::query("INSERT INTO webauthn_ceremonies (id_hash, user_id, state, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(key(&token))
            .bind(user_id)
            .bind(state)
            .bind(expires_at)
            .execute(pool)
            .await
            .map(|_| ())
    })?;
    Ok(token)
}

/// A ceremony's owner and state, once (it is gone afterwards), if it has not expired.
pub async fn take_ceremony(db: &Db, token: &str, now: i64) -> Result<Option<(Option<i64>, String)>, sqlx::Error> {
    db_write!(db, |pool| {
        sqlx::query_as("DELETE FROM webauthn_ceremonies WHERE id_hash = $1 AND expires_at > $2 RETURNING user_id, state")
            .bind(key(token))
            .bind(now)
            .fetch_optional(pool)
            .await
    })
}

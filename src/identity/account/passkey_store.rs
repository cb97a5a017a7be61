//! SQL for passkeys, the WebAuthn handle of each account, and ceremonies in progress.

use super::{provenance::child_lineage, totp::Added};
use crate::{db_read, db_write, identity::security_log::NewEvent, infra::{db::Db, random}, insert_event};

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

/// A stored passkey, as a sign-in with it needs it.
#[derive(sqlx::FromRow, Debug, Clone)]
pub struct StoredPasskey {
    pub user_id: i64,
    pub handle: String,
    pub passkey: String,
    /// Its adder's lineage and its adder: what a session signed in with it descends from.
    pub added_lineage: String,
}

/// The owner (user id and handle), stored credential and provenance of a passkey.
pub async fn find(db: &Db, credential_id: &str) -> Result<Option<StoredPasskey>, sqlx::Error> {
    db_read!(db, |pool| {
        sqlx::query_as(
            "SELECT p.user_id, w.handle, p.passkey, p.added_lineage FROM passkeys p JOIN webauthn_users w ON w.user_id = p.user_id \
             WHERE p.credential_id = $1",
        )
        .bind(credential_id)
        .fetch_optional(pool)
        .await
    })
}

/// Stores a new passkey added by the session `session_id` (with where it came from) and
/// records `event`, in one transaction. Refused when that credential is already registered
/// (to anyone); nothing when the session is gone (it was ended, or disowned, meanwhile).
pub async fn insert(
    db: &Db,
    session_id: &str,
    user_id: i64,
    credential_id: &str,
    name: &str,
    passkey: &str,
    event: &NewEvent,
) -> Result<Added, sqlx::Error> {
    let postgres = matches!(db, Db::Postgres(_));
    let result = db_write!(db, |pool| {
        let mut tx = pool.begin().await?;
        let Some(lineage) = crate::adding_session!(tx, postgres, user_id, session_id)? else { return Ok(Added::SessionGone) };
        sqlx::query(
            "INSERT INTO passkeys (credential_id, user_id, name, passkey, created_at, last_used_at, \
             added_by, added_lineage, added_ip, added_device, added_location) \
             VALUES ($1, $2, $3, $4, $5, NULL, $6, $7, $8, $9, $10)",
        )
        .bind(credential_id)
        .bind(user_id)
        .bind(name)
        .bind(passkey)
        .bind(event.at)
        .bind(session_id)
        .bind(child_lineage(&lineage, session_id))
        .bind(event.origin.ip.as_str())
        .bind(event.origin.device.as_str())
        .bind(event.origin.location.as_deref())
        .execute(&mut *tx)
        .await?;
        insert_event!(&mut *tx, event).await?;
        tx.commit().await?;
        Ok(Added::Added)
    });
    match result {
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(Added::Refused),
        other => other,
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

/// Renames one of the account's passkeys and records `event`; false when it has no such passkey.
pub async fn rename(db: &Db, user_id: i64, credential_id: &str, name: &str, event: &NewEvent) -> Result<bool, sqlx::Error> {
    db_write!(db, |pool| {
        let mut tx = pool.begin().await?;
        let renamed = sqlx::query("UPDATE passkeys SET name = $3 WHERE credential_id = $1 AND user_id = $2")
            .bind(credential_id)
            .bind(user_id)
            .bind(name)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        if renamed {
            insert_event!(&mut *tx, event).await?;
        }
        tx.commit().await?;
        Ok(renamed)
    })
}

/// Removes one of the account's passkeys (the owner check is in the statement) and records
/// `event` with its name (returned); `None` when it has no such passkey.
pub async fn remove(db: &Db, user_id: i64, credential_id: &str, event: &NewEvent) -> Result<Option<NewEvent>, sqlx::Error> {
    db_write!(db, |pool| {
        let mut tx = pool.begin().await?;
        let name: Option<String> = sqlx::query_scalar("DELETE FROM passkeys WHERE credential_id = $1 AND user_id = $2 RETURNING name")
            .bind(credential_id)
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(name) = name else { return Ok(None) };
        let mut event = event.clone();
        event.detail = Some(name);
        insert_event!(&mut *tx, &event).await?;
        tx.commit().await?;
        Ok(Some(event))
    })
}

/// Keeps a ceremony's state until `expires_at`, under a new random token (returned); one that
/// adds a passkey belongs to the session `session_id`.
pub async fn begin_ceremony(db: &Db, user_id: Option<i64>, session_id: Option<&str>, state: &str, expires_at: i64) -> Result<String, sqlx::Error> {
    let token = random::token();
    db_write!(db, |pool| {
        sqlx::query("INSERT INTO webauthn_ceremonies (id_hash, user_id, session_id, state, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(random::token_hash(&token))
            .bind(user_id)
            .bind(session_id)
            .bind(state)
            .bind(expires_at)
            .execute(pool)
            .await
            .map(|_| ())
    })?;
    Ok(token)
}

/// A ceremony's owner (account and session) and state, once (it is gone afterwards), if it
/// has not expired.
pub async fn take_ceremony(db: &Db, token: &str, now: i64) -> Result<Option<(Option<i64>, Option<String>, String)>, sqlx::Error> {
    db_write!(db, |pool| {
        sqlx::query_as("DELETE FROM webauthn_ceremonies WHERE id_hash = $1 AND expires_at > $2 RETURNING user_id, session_id, state")
            .bind(random::token_hash(token))
            .bind(now)
            .fetch_optional(pool)
            .await
    })
}

/// Stores a passkey as the session `session_id` adding it would — the store's own insert,
/// without a WebAuthn ceremony (whose verification webauthn-rs owns and the browser tests
/// drive): how tests seed a passkey with a provenance. `Added::SessionGone` when the session
/// is gone.
pub async fn seed(db: &Db, session_id: &str, user_id: i64, credential_id: &str, name: &str, event: &NewEvent) -> Result<Added, sqlx::Error> {
    insert(db, session_id, user_id, credential_id, name, "{}", event).await
}

//! SQL for users and failed log-ins.

use crate::{db_read, db_write, events::store::NewEvent, insert_event, server::db::Db};

#[derive(sqlx::FromRow, Debug, Clone)]
pub struct UserRecord {
    pub id: i64,
    pub email: String,
    pub password_hash: String,
    pub password_changed_at: i64,
    pub created_at: i64,
}

const COLUMNS: &str = "id, email, password_hash, password_changed_at, created_at";

/// The key emails are unique by: trimmed and lower-cased.
pub fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Creates a user; `None` when the email is already registered.
pub async fn create(db: &Db, email: &str, password_hash: &str, now: i64) -> Result<Option<i64>, sqlx::Error> {
    let result: Result<i64, sqlx::Error> = db_write!(db, |pool| {
        sqlx::query_scalar(
            "INSERT INTO users (email, email_key, password_hash, password_changed_at, created_at) \
             VALUES ($1, $2, $3, $4, $4) RETURNING id",
        )
        .bind(email.trim())
        .bind(email_key(email))
        .bind(password_hash)
        .bind(now)
        .fetch_one(pool)
        .await
    });
    match result {
        Ok(id) => Ok(Some(id)),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(None),
        Err(e) => Err(e),
    }
}

pub async fn find_by_email(db: &Db, email: &str) -> Result<Option<UserRecord>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE email_key = $1");
    db_read!(db, |pool| sqlx::query_as(&sql).bind(email_key(email)).fetch_optional(pool).await)
}

pub async fn find(db: &Db, id: i64) -> Result<Option<UserRecord>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE id = $1");
    db_read!(db, |pool| sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)
}

pub async fn set_password(db: &Db, id: i64, password_hash: &str, now: i64, event: &NewEvent) -> Result<(), sqlx::Error> {
    db_write!(db, |pool| {
        let mut tx = pool.begin().await?;
        sqlx::query("UPDATE users SET password_hash = $2, password_changed_at = $3 WHERE id = $1")
            .bind(id)
            .bind(password_hash)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        insert_event!(&mut *tx, event).await?;
        tx.commit().await
    })
}

/// Deletes a user; their sessions and events go with them (foreign keys cascade).
pub async fn delete(db: &Db, id: i64) -> Result<bool, sqlx::Error> {
    db_write!(db, |pool| {
        sqlx::query("DELETE FROM users WHERE id = $1").bind(id).execute(pool).await.map(|r| r.rows_affected() == 1)
    })
}

pub async fn record_failure(db: &Db, email: &str, ip: &str, at: i64) -> Result<(), sqlx::Error> {
    db_write!(db, |pool| {
        sqlx::query("INSERT INTO login_failures (email_key, ip, at) VALUES ($1, $2, $3)")
            .bind(email_key(email))
            .bind(ip)
            .bind(at)
            .execute(pool)
            .await
            .map(|_| ())
    })
}

pub async fn clear_failures(db: &Db, email: &str) -> Result<(), sqlx::Error> {
    db_write!(db, |pool| {
        sqlx::query("DELETE FROM login_failures WHERE email_key = $1")
            .bind(email_key(email))
            .execute(pool)
            .await
            .map(|_| ())
    })
}

/// When the failures counted for `email` (or `ip`) since `since` drop below `limit`, if they
/// are at it now: the time the oldest failure that must age out was recorded.
pub async fn blocked_since(
    db: &Db,
    by_email: bool,
    key: &str,
    since: i64,
    limit: u32,
) -> Result<Option<i64>, sqlx::Error> {
    let (column, key) = if by_email { ("email_key", email_key(key)) } else { ("ip", key.to_owned()) };
    // The failure that has to leave the window before one more attempt is allowed is the
    // limit-th newest; if there is none, there are fewer failures than the limit.
    let sql = format!(
        "SELECT at FROM login_failures WHERE {column} = $1 AND at > $2 ORDER BY at DESC LIMIT 1 OFFSET $3"
    );
    db_read!(db, |pool| {
        sqlx::query_scalar(&sql).bind(&key).bind(since).bind(i64::from(limit) - 1).fetch_optional(pool).await
    })
}

pub async fn purge_failures(db: &Db, before: i64) -> Result<u64, sqlx::Error> {
    db_write!(db, |pool| {
        sqlx::query("DELETE FROM login_failures WHERE at < $1").bind(before).execute(pool).await.map(|r| r.rows_affected())
    })
}

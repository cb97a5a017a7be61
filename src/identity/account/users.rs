//! SQL for accounts.

use crate::{db_read, db_write, infra::db::Db};

#[derive(sqlx::FromRow, Debug, Clone)]
pub struct UserRecord {
    pub id: i64,
    pub email: String,
    pub password_hash: String,
    pub password_changed_at: i64,
    pub created_at: i64,
    /// When an administrator suspended the account, if it is suspended.
    pub suspended_at: Option<i64>,
}

const COLUMNS: &str = "id, email, password_hash, password_changed_at, created_at, suspended_at";

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

/// Creates many users with the same password hash at once (for tests and benchmarks that need
/// many accounts quickly); returns their ids in order. Emails must be new.
pub async fn insert_many(db: &Db, emails: &[String], password_hash: &str, now: i64) -> Result<Vec<i64>, sqlx::Error> {
    let mut ids = Vec::with_capacity(emails.len());
    for chunk in emails.chunks(5000) {
        let chunk_ids: Vec<i64> = db_write!(db, |pool| {
            let mut query =
                sqlx::QueryBuilder::new("INSERT INTO users (email, email_key, password_hash, password_changed_at, created_at) ");
            query.push_values(chunk, |mut row, email| {
                row.push_bind(email.trim()).push_bind(email_key(email)).push_bind(password_hash).push_bind(now).push_bind(now);
            });
            query.push(" RETURNING id");
            query.build_query_scalar().fetch_all(pool).await
        })?;
        ids.extend(chunk_ids);
    }
    Ok(ids)
}

pub async fn find_by_email(db: &Db, email: &str) -> Result<Option<UserRecord>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE email_key = $1");
    db_read!(db, |pool| sqlx::query_as(&sql).bind(email_key(email)).fetch_optional(pool).await)
}

pub async fn find(db: &Db, id: i64) -> Result<Option<UserRecord>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE id = $1");
    db_read!(db, |pool| sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)
}

/// Whether the browser whose device token hashes to `device` signed in to `user_id` before.
pub async fn knows_device(db: &Db, user_id: i64, device: &str) -> Result<bool, sqlx::Error> {
    let found: Option<i64> = db_read!(db, |pool| {
        sqlx::query_scalar("SELECT user_id FROM known_devices WHERE user_id = $1 AND device = $2")
            .bind(user_id)
            .bind(device)
            .fetch_optional(pool)
            .await
    })?;
    Ok(found.is_some())
}

pub async fn remember_device(db: &Db, user_id: i64, device: &str, now: i64) -> Result<(), sqlx::Error> {
    db_write!(db, |pool| {
        sqlx::query(
            "INSERT INTO known_devices (user_id, device, first_seen_at, last_seen_at) VALUES ($1, $2, $3, $3) \
             ON CONFLICT (user_id, device) DO UPDATE SET last_seen_at = excluded.last_seen_at",
        )
        .bind(user_id)
        .bind(device)
        .bind(now)
        .execute(pool)
        .await
        .map(|_| ())
    })
}


/// The account's auto sign-out (ms): devices unused this long are signed out; `None`: never.
pub async fn idle_limit(db: &Db, user_id: i64) -> Result<Option<i64>, sqlx::Error> {
    let limit: Option<Option<i64>> = db_read!(db, |pool| {
        sqlx::query_scalar("SELECT idle_limit_ms FROM users WHERE id = $1").bind(user_id).fetch_optional(pool).await
    })?;
    Ok(limit.flatten())
}

/// The longest email address anyone can have (RFC 5321's path limit).
pub const MAX_EMAIL: usize = 254;

/// Whether `email` may be an account's address.
pub fn check_email(email: &str) -> Result<(), crate::infra::error::AppError> {
    let email = email.trim();
    if email.len() > MAX_EMAIL || !email_address::EmailAddress::is_valid(email) {
        return Err(crate::infra::error::AppError::InvalidEmail);
    }
    Ok(())
}

/// An address as a page may show it to whoever holds a link: its first character and domain
/// ("a•••@example.com").
pub fn masked(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}\u{2022}\u{2022}\u{2022}@{domain}")
        }
        None => "\u{2022}\u{2022}\u{2022}".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn masked_addresses_keep_the_first_letter_and_the_domain() {
        assert_eq!(super::masked("alice@example.com"), "a\u{2022}\u{2022}\u{2022}@example.com");
        assert_eq!(super::masked("x@y.org"), "x\u{2022}\u{2022}\u{2022}@y.org");
    }
}

//! Links sent by email — "set a new password", "This wasn't me", "finish creating your
//! account" — that work without being signed in: a random token (32 bytes) in the link, only
//! its SHA-256 stored, a purpose, a short life, and one use (taken by one conditional `UPDATE`,
//! so two clicks at once use it once).

use crate::{db_read, db_write, infra::{db::Db, random}};

/// What a link does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum Purpose {
    /// Set a new password (30 minutes).
    Reset,
    /// End a session the person did not recognise, and every other (24 hours).
    NotMe,
    /// Finish creating an account: the address works (24 hours).
    VerifyEmail,
}

impl Purpose {
    pub fn lifetime_ms(self) -> i64 {
        match self {
            Purpose::Reset => 30 * 60 * 1000,
            Purpose::NotMe | Purpose::VerifyEmail => 24 * 3600 * 1000,
        }
    }
}

/// A link about to be made.
#[derive(Debug, Clone, Default)]
pub struct NewLink<'a> {
    pub user_id: Option<i64>,
    pub purpose: Option<Purpose>,
    pub session_id: Option<&'a str>,
    pub email: Option<&'a str>,
    pub password_hash: Option<&'a str>,
    /// A sign-up: the key of the asking browser's device token.
    pub device_hash: Option<&'a str>,
}

impl<'a> NewLink<'a> {
    pub fn for_user(user_id: i64, purpose: Purpose) -> Self {
        NewLink { user_id: Some(user_id), purpose: Some(purpose), ..NewLink::default() }
    }

    pub fn for_session(user_id: i64, purpose: Purpose, session_id: &'a str) -> Self {
        NewLink { session_id: Some(session_id), ..NewLink::for_user(user_id, purpose) }
    }

    /// A sign-up waiting for its address to be confirmed, asked for by the browser whose
    /// device key is `device_hash`.
    pub fn sign_up(email: &'a str, password_hash: &'a str, device_hash: &'a str) -> Self {
        NewLink {
            purpose: Some(Purpose::VerifyEmail),
            email: Some(email),
            password_hash: Some(password_hash),
            device_hash: Some(device_hash),
            ..NewLink::default()
        }
    }
}

/// A live link, as stored.
#[derive(sqlx::FromRow, Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub user_id: Option<i64>,
    pub session_id: Option<String>,
    pub email: Option<String>,
    pub password_hash: Option<String>,
    pub device_hash: Option<String>,
    pub expires_at: i64,
}

pub fn hash(token: &str) -> String {
    random::token_hash(token)
}

/// Whether `token` has the shape of one of ours (43 base64url characters, 32 bytes).
pub fn well_formed(token: &str) -> bool {
    random::is_token(token)
}

/// Makes a link; returns its token (the only copy: it goes into the email).
pub async fn create(db: &Db, link: &NewLink<'_>, now: i64) -> Result<String, sqlx::Error> {
    let purpose = link.purpose.expect("a link has a purpose");
    let token = random::token();
    let purpose_name: &'static str = purpose.into();
    db_write!(db, |pool| {
        sqlx::query(
            "INSERT INTO email_links (token_hash, user_id, purpose, session_id, email, password_hash, device_hash, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(hash(&token))
        .bind(link.user_id)
        .bind(purpose_name)
        .bind(link.session_id)
        .bind(link.email)
        .bind(link.password_hash)
        .bind(link.device_hash)
        .bind(now + purpose.lifetime_ms())
        .execute(pool)
        .await
        .map(|_| ())
    })?;
    Ok(token)
}

const LINK_COLUMNS: &str = "user_id, session_id, email, password_hash, device_hash, expires_at";

/// The link, if `token` is a live, unused one of `purpose` — without using it.
pub async fn peek(db: &Db, token: &str, purpose: Purpose, now: i64) -> Result<Option<Link>, sqlx::Error> {
    let purpose_name: &'static str = purpose.into();
    let sql = format!(
        "SELECT {LINK_COLUMNS} FROM email_links WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3"
    );
    db_read!(db, |pool| sqlx::query_as(&sql).bind(hash(token)).bind(purpose_name).bind(now).fetch_optional(pool).await)
}

/// Uses the link: returns it, once.
pub async fn take(db: &Db, token: &str, purpose: Purpose, now: i64) -> Result<Option<Link>, sqlx::Error> {
    let token_hash = hash(token);
    db_write!(db, |pool| crate::take_link!(pool, &token_hash, purpose, now).await)
}

/// The `UPDATE … RETURNING` that uses a link (by its token's hash), on a pool or inside a
/// transaction of either engine: `Some(link)` once, `None` ever after.
#[macro_export]
macro_rules! take_link {
    ($executor:expr, $token_hash:expr, $purpose:expr, $now:expr) => {{
        let purpose: &'static str = $purpose.into();
        sqlx::query_as::<_, $crate::identity::account::email_links::Link>($crate::identity::account::email_links::TAKE)
            .bind($token_hash)
            .bind(purpose)
            .bind($now)
            .fetch_optional($executor)
    }};
}

pub const TAKE: &str = "UPDATE email_links SET used_at = $3 \
    WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3 \
    RETURNING user_id, session_id, email, password_hash, device_hash, expires_at";

/// Forgets links that ran out.
pub async fn purge(db: &Db, now: i64) -> Result<u64, sqlx::Error> {
    db_write!(db, |pool| {
        sqlx::query("DELETE FROM email_links WHERE expires_at <= $1").bind(now).execute(pool).await.map(|r| r.rows_affected())
    })
}

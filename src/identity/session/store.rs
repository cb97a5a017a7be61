//! SQL for sessions and their endings. Nothing but queries: the rules live in `sessions.rs`.
//! The store alone inserts sessions — the app, the tests and the benchmarks all go through
//! [`insert_many`] — so a change of columns breaks at compile or test time, not in a benchmark.

use crate::identity::security_log::NewEvent;
use crate::{db_read, db_write, infra::db::Db, insert_event};

/// When a session was last used and when it ends: what every rule about it reads.
#[derive(sqlx::FromRow, Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionTimes {
    pub last_seen_at: i64,
    /// min(last use + idle timeout, absolute expiry).
    pub expires_at: i64,
    pub absolute_expires_at: i64,
    /// The last time the person typed their password in this session.
    pub password_confirmed_at: i64,
    /// The account's auto sign-out (ms), when shorter limits apply than the server's idle
    /// timeout; `None`: the server's.
    pub idle_ms: Option<i64>,
}

/// One row of `sessions`.
#[derive(sqlx::FromRow, Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub id: String,
    pub secret_hash: Vec<u8>,
    pub user_id: i64,
    pub created_at: i64,
    #[sqlx(flatten)]
    pub times: SessionTimes,
    pub ip: String,
    pub user_agent: String,
    pub browser: Option<String>,
    pub os: Option<String>,
    pub device_kind: String,
    pub device_model: Option<String>,
    pub location: Option<String>,
    /// How it signed in (`SignInMethod`).
    pub method: String,
    /// The name the person gave it ("Work laptop").
    pub name: Option<String>,
    /// Its sign-in came from a browser that had never signed in to the account.
    pub new_device: bool,
    /// Its sign-in came from a country no earlier sign-in of the account came from.
    pub new_country: bool,
    /// The sessions it descends from, oldest first (it signed in with a passkey one of them
    /// added): disowning any of them removes what this one adds.
    pub lineage: String,
}

/// Every column of [`SessionRecord`], in the order [`insert_many`] binds them.
const COLUMNS: &str = "id, secret_hash, user_id, created_at, last_seen_at, expires_at, absolute_expires_at, \
    password_confirmed_at, idle_ms, ip, user_agent, browser, os, device_kind, device_model, location, method, name, \
    new_device, new_country, lineage";

/// Rows per INSERT statement: 21 values each stays under both engines' limits on bound values.
const INSERT_CHUNK: usize = 1000;

macro_rules! insert_sessions {
    ($executor:expr, $rows:expr) => {{
        let mut query = sqlx::QueryBuilder::new(format!("INSERT INTO sessions ({COLUMNS}) "));
        query.push_values($rows, |mut row, s: &SessionRecord| {
            row.push_bind(s.id.as_str())
                .push_bind(s.secret_hash.as_slice())
                .push_bind(s.user_id)
                .push_bind(s.created_at)
                .push_bind(s.times.last_seen_at)
                .push_bind(s.times.expires_at)
                .push_bind(s.times.absolute_expires_at)
                .push_bind(s.times.password_confirmed_at)
                .push_bind(s.times.idle_ms)
                .push_bind(s.ip.as_str())
                .push_bind(s.user_agent.as_str())
                .push_bind(s.browser.as_deref())
                .push_bind(s.os.as_deref())
                .push_bind(s.device_kind.as_str())
                .push_bind(s.device_model.as_deref())
                .push_bind(s.location.as_deref())
                .push_bind(s.method.as_str())
                .push_bind(s.name.as_deref())
                .push_bind(s.new_device)
                .push_bind(s.new_country)
                .push_bind(s.lineage.as_str());
        });
        query.build().execute($executor).await
    }};
}

/// Sightings kept per session: its sign-in's and the newest changes after it.
pub const SIGHTINGS_KEPT: i64 = 20;

/// Where and on what a session was seen: at sign-in, and each time its address or browser
/// changed.
#[derive(sqlx::FromRow, Debug, Clone, PartialEq, Eq)]
pub struct Sighting {
    pub ip: String,
    pub location: Option<String>,
    pub browser: Option<String>,
    pub os: Option<String>,
    pub device_kind: String,
}

impl Sighting {
    /// How the session looked at sign-in.
    pub fn of(s: &SessionRecord) -> Self {
        Sighting {
            ip: s.ip.clone(),
            location: s.location.clone(),
            browser: s.browser.clone(),
            os: s.os.clone(),
            device_kind: s.device_kind.clone(),
        }
    }
}

/// A sighting with its session and time, as read back.
#[derive(sqlx::FromRow, Debug, Clone, PartialEq, Eq)]
pub struct SightingRecord {
    pub session_id: String,
    pub at: i64,
    #[sqlx(flatten)]
    pub sighting: Sighting,
}

macro_rules! insert_sighting {
    ($executor:expr, $session_id:expr, $at:expr, $sighting:expr) => {{
        let s: &Sighting = $sighting;
        sqlx::query(
            "INSERT INTO session_sightings (session_id, at, ip, location, browser, os, device_kind) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind($session_id)
        .bind($at)
        .bind(s.ip.as_str())
        .bind(s.location.as_deref())
        .bind(s.browser.as_deref())
        .bind(s.os.as_deref())
        .bind(s.device_kind.as_str())
        .execute($executor)
    }};
}

/// Inserts a new session, its first sighting and its sign-in event in one transaction — if
/// the account still has the password hash `credential` (the one the sign-in was checked
/// against) and is not suspended. On Postgres the account row is share-locked until commit, so
/// a password change, account deletion or auto sign-out change either waits for this session
/// (and then covers it) or has happened and is seen here; SQLite has a single writer, which
/// orders them the same way. The account's auto sign-out, read here, shortens the session's
/// idle expiry. False when nothing was inserted.
pub async fn insert(db: &Db, s: &mut SessionRecord, event: &NewEvent, credential: &str, via: &Via) -> Result<bool, sqlx::Error> {
    let lock = if matches!(db, Db::Postgres(_)) { " FOR SHARE" } else { "" };
    let still_valid =
        format!("SELECT idle_limit_ms FROM users WHERE id = $1 AND password_hash = $2 AND suspended_at IS NULL{lock}");
    let method_there = via.still_there().map(|sql| format!("{sql}{lock}"));
    db_write!(db, |pool| {
        let mut tx = pool.begin().await?;
        let found: Option<Option<i64>> =
            sqlx::query_scalar(&still_valid).bind(s.user_id).bind(credential).fetch_optional(&mut *tx).await?;
        let Some(idle_limit) = found else {
            return Ok(false);
        };
        // The passkey, app or codes it signed in with were removed meanwhile (a disowning): start
        // nothing — the session would otherwise outlive what made it.
        if let Some(sql) = &method_there {
            let mut query = sqlx::query_scalar::<_, i64>(sql).bind(s.user_id);
            if let Via::Passkey(id) = via {
                query = query.bind(id.as_str());
            }
            if query.fetch_optional(&mut *tx).await?.is_none() {
                return Ok(false);
            }
        }
        if let Some(limit) = idle_limit {
            s.times.idle_ms = Some(limit);
            s.times.expires_at = s.times.expires_at.min(s.times.last_seen_at.saturating_add(limit));
        }
        insert_sessions!(&mut *tx, std::iter::once(&*s))?;
        let first = Sighting::of(s);
        insert_sighting!(&mut *tx, &s.id, s.created_at, &first).await?;
        insert_event!(&mut *tx, event).await?;
        tx.commit().await?;
        Ok(true)
    })
}

/// What a sign-in stood on besides the password, which must still be there when its session is
/// stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Via {
    #[default]
    Password,
    Passkey(String),
    AuthenticatorApp,
    RecoveryCodes,
}

impl Via {
    fn still_there(&self) -> Option<&'static str> {
        match self {
            Via::Password => None,
            Via::Passkey(_) => Some("SELECT user_id FROM passkeys WHERE user_id = $1 AND credential_id = $2"),
            Via::AuthenticatorApp => Some("SELECT user_id FROM totp WHERE user_id = $1 AND enabled_at IS NOT NULL"),
            Via::RecoveryCodes => Some("SELECT user_id FROM recovery_code_sets WHERE user_id = $1"),
        }
    }
}

/// Inserts sessions without events, in large statements: for tests and benchmarks that need
/// many sessions quickly (the set-up is not what they measure).
pub async fn insert_many(db: &Db, sessions: &[SessionRecord]) -> Result<(), sqlx::Error> {
    db_write!(db, |pool| {
        let mut tx = pool.begin().await?;
        for chunk in sessions.chunks(INSERT_CHUNK) {
            insert_sessions!(&mut *tx, chunk.iter())?;
        }
        tx.commit().await
    })
}

impl SessionRecord {
    /// A plain live session of `user_id` for `secret_hash`, signed in `now` from a local
    /// Firefox on Linux and ending after `lifetime_ms`: what tests and benchmarks seed with
    /// [`insert_many`].
    pub fn seed(id: &str, secret_hash: &[u8], user_id: i64, now: i64, lifetime_ms: i64) -> Self {
        SessionRecord {
            id: id.to_owned(),
            secret_hash: secret_hash.to_vec(),
            user_id,
            created_at: now,
            times: SessionTimes {
                last_seen_at: now,
                expires_at: now + lifetime_ms,
                absolute_expires_at: now + lifetime_ms,
                password_confirmed_at: now,
                idle_ms: None,
            },
            ip: "127.0.0.1".to_owned(),
            user_agent: "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0".to_owned(),
            browser: Some("Firefox".to_owned()),
            os: Some("Linux".to_owned()),
            device_kind: "desktop".to_owned(),
            device_model: None,
            location: Some("Local network".to_owned()),
            method: "password".to_owned(),
            name: None,
            new_device: false,
            new_country: false,
            lineage: String::new(),
        }
    }
}

/// What the per-request check needs of a session, and nothing more.
#[derive(sqlx::FromRow, Debug, Clone, PartialEq, Eq)]
pub struct CheckRecord {
    pub secret_hash: Vec<u8>,
    pub user_id: i64,
    #[sqlx(flatten)]
    pub times: SessionTimes,
    pub ip: String,
    pub user_agent: String,
}

const CHECK_COLUMNS: &str =
    "secret_hash, user_id, last_seen_at, expires_at, absolute_expires_at, password_confirmed_at, idle_ms, ip, user_agent";

impl From<&SessionRecord> for CheckRecord {
    fn from(s: &SessionRecord) -> Self {
        CheckRecord {
            secret_hash: s.secret_hash.clone(),
            user_id: s.user_id,
            times: s.times,
            ip: s.ip.clone(),
            user_agent: s.user_agent.clone(),
        }
    }
}

pub async fn find_for_check(db: &Db, id: &str) -> Result<Option<CheckRecord>, sqlx::Error> {
    let sql = format!("SELECT {CHECK_COLUMNS} FROM sessions WHERE id = $1");
    db_read!(db, |pool| sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)
}

/// [`find_for_check`] for several ids in one query (see `batch.rs`): `(id, row)` for those
/// that exist. One statement per batch size, `IN ($1, …, $n)`: both engines answer it with
/// primary-key lookups, and each size is prepared once per connection.
pub async fn find_many_for_check(db: &Db, ids: &[&str]) -> Result<Vec<(String, CheckRecord)>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: String,
        #[sqlx(flatten)]
        record: CheckRecord,
    }
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!("SELECT id, {CHECK_COLUMNS} FROM sessions WHERE id IN ({})", placeholders.join(", "));
    let rows: Vec<Row> = db_read!(db, |pool| {
        let mut query = sqlx::query_as(&sql);
        for id in ids {
            query = query.bind(*id);
        }
        query.fetch_all(pool).await
    })?;
    Ok(rows.into_iter().map(|r| (r.id, r.record)).collect())
}

pub async fn find(db: &Db, id: &str) -> Result<Option<SessionRecord>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM sessions WHERE id = $1");
    db_read!(db, |pool| sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)
}

/// Records activity. Returns false when the session no longer exists.
pub async fn touch(db: &Db, id: &str, last_seen_at: i64, expires_at: i64) -> Result<bool, sqlx::Error> {
    db_write!(db, |pool| {
        sqlx::query("UPDATE sessions SET last_seen_at = $2, expires_at = $3 WHERE id = $1")
            .bind(id)
            .bind(last_seen_at)
            .bind(expires_at)
            .execute(pool)
            .await
            .map(|r| r.rows_affected() == 1)
    })
}

/// The device fields, refreshed when a browser's own request shows they changed.
#[derive(Debug, Clone)]
pub struct DeviceUpdate<'a> {
    pub ip: &'a str,
    pub user_agent: &'a str,
    pub browser: Option<&'a str>,
    pub os: Option<&'a str>,
    pub device_kind: &'a str,
    pub device_model: Option<&'a str>,
    pub location: Option<&'a str>,
    pub last_seen_at: i64,
    pub expires_at: i64,
}

/// Refreshes the device fields and adds a sighting to the session's history (keeping the
/// newest [`SIGHTINGS_KEPT`]), in one transaction — only if they changed (another server, or
/// another process, may have recorded the change already: then this is a [`touch`]). False
/// when the session no longer exists.
pub async fn update_device(db: &Db, id: &str, d: &DeviceUpdate<'_>) -> Result<bool, sqlx::Error> {
    let changed = db_write!(db, |pool| async {
        let mut tx = pool.begin().await?;
        let updated = sqlx::query(
            "UPDATE sessions SET ip = $2, user_agent = $3, browser = $4, os = $5, device_kind = $6, \
             device_model = $7, location = $8, last_seen_at = $9, expires_at = $10 \
             WHERE id = $1 AND (ip <> $2 OR user_agent <> $3)",
        )
        .bind(id)
        .bind(d.ip)
        .bind(d.user_agent)
        .bind(d.browser)
        .bind(d.os)
        .bind(d.device_kind)
        .bind(d.device_model)
        .bind(d.location)
        .bind(d.last_seen_at)
        .bind(d.expires_at)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !updated {
            return Ok(false);
        }
        let sighting = Sighting {
            ip: d.ip.to_owned(),
            location: d.location.map(str::to_owned),
            browser: d.browser.map(str::to_owned),
            os: d.os.map(str::to_owned),
            device_kind: d.device_kind.to_owned(),
        };
        insert_sighting!(&mut *tx, id, d.last_seen_at, &sighting).await?;
        sqlx::query(
            "DELETE FROM session_sightings WHERE session_id = $1 AND id NOT IN \
             (SELECT id FROM session_sightings WHERE session_id = $1 ORDER BY id DESC LIMIT $2)",
        )
        .bind(id)
        .bind(SIGHTINGS_KEPT)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(true)
    }
    .await)?;
    if changed {
        return Ok(true);
    }
    touch(db, id, d.last_seen_at, d.expires_at).await
}

/// The history of every live session of `user_id`, oldest first within each session.
pub async fn sightings_of_user(db: &Db, user_id: i64) -> Result<Vec<SightingRecord>, sqlx::Error> {
    db_read!(db, |pool| {
        sqlx::query_as(
            "SELECT session_id, at, ip, location, browser, os, device_kind FROM session_sightings \
             WHERE session_id IN (SELECT id FROM sessions WHERE user_id = $1) ORDER BY session_id, id",
        )
        .bind(user_id)
        .fetch_all(pool)
        .await
    })
}

/// The history of one session, oldest first.
pub async fn sightings(db: &Db, session_id: &str) -> Result<Vec<SightingRecord>, sqlx::Error> {
    db_read!(db, |pool| {
        sqlx::query_as(
            "SELECT session_id, at, ip, location, browser, os, device_kind FROM session_sightings \
             WHERE session_id = $1 ORDER BY id",
        )
        .bind(session_id)
        .fetch_all(pool)
        .await
    })
}

/// Names (or, with `None`, un-names) a session of `owner`. False when it is not theirs.
pub async fn rename(db: &Db, owner: i64, id: &str, name: Option<&str>, event: &NewEvent) -> Result<bool, sqlx::Error> {
    db_write!(db, |pool| {
        let mut tx = pool.begin().await?;
        let renamed = sqlx::query("UPDATE sessions SET name = $3 WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(owner)
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

/// Sets the account's auto sign-out (`limit`, ms; `None`: never) and applies it to every
/// session of the account at once: `idle` is the idle time that now applies (the shorter of
/// `limit` and the server's). Returns the ids of the account's sessions (their cached checks
/// must be dropped).
pub async fn set_idle_limit(
    db: &Db,
    user_id: i64,
    limit: Option<i64>,
    idle: i64,
    event: &NewEvent,
) -> Result<Vec<String>, sqlx::Error> {
    db_write!(db, |pool| {
        let mut tx = pool.begin().await?;
        sqlx::query("UPDATE users SET idle_limit_ms = $2 WHERE id = $1").bind(user_id).bind(limit).execute(&mut *tx).await?;
        let ids: Vec<String> = sqlx::query_scalar(
            "UPDATE sessions SET idle_ms = $2, expires_at = CASE WHEN last_seen_at + $3 < absolute_expires_at \
             THEN last_seen_at + $3 ELSE absolute_expires_at END WHERE user_id = $1 RETURNING id",
        )
        .bind(user_id)
        .bind(limit)
        .bind(idle)
        .fetch_all(&mut *tx)
        .await?;
        insert_event!(&mut *tx, event).await?;
        tx.commit().await?;
        Ok(ids)
    })
}

pub async fn confirm_password(db: &Db, id: &str, at: i64) -> Result<bool, sqlx::Error> {
    db_write!(db, |pool| {
        sqlx::query("UPDATE sessions SET password_confirmed_at = $2 WHERE id = $1")
            .bind(id)
            .bind(at)
            .execute(pool)
            .await
            .map(|r| r.rows_affected() == 1)
    })
}

/// The live sessions of one user (not yet expired at `now`), most recently active first.
pub async fn list_for_user(db: &Db, user_id: i64, now: i64) -> Result<Vec<SessionRecord>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM sessions WHERE user_id = $1 AND expires_at > $2 \
         ORDER BY last_seen_at DESC, created_at DESC, id"
    );
    db_read!(db, |pool| sqlx::query_as(&sql).bind(user_id).bind(now).fetch_all(pool).await)
}

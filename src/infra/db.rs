//! The database: SQLite (embedded default) or Postgres, behind one handle.
//!
//! Every query is written once, in SQL both engines accept (`$1` placeholders, BIGINT
//! milliseconds for times, no engine-specific types), and run through [`db_read!`] /
//! [`db_write!`], which compile the same code once per engine. That keeps sqlx's native drivers
//! (fast, and able to decode everything) without sqlx's `Any` driver.
//!
//! SQLite gets a single-connection write pool and a separate read pool: writes queue in
//! process instead of failing with "database is locked", reads never wait for writes (WAL).

use sqlx::{
    ConnectOptions,
    postgres::{PgConnectOptions, PgPool, PgPoolOptions},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous},
};
use std::{str::FromStr, time::Duration};

#[derive(Clone, Debug)]
pub enum Db {
    Sqlite { read: SqlitePool, write: SqlitePool },
    Postgres(PgPool),
}

#[derive(Debug, thiserror::Error)]
pub enum DbOpenError {
    #[error("DATABASE_URL must start with sqlite:// or postgres:// (got a value starting {0:?})")]
    Scheme(String),
    #[error("could not open the database: {0}")]
    Connect(#[from] sqlx::Error),
    #[error("could not run the database migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("could not create the database directory {0}: {1}")]
    Directory(String, std::io::Error),
}

/// Runs `$body` with `$pool` bound to the pool that reads.
#[macro_export]
macro_rules! db_read {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::infra::db::Db::Sqlite { read: $pool, .. } => $body,
            $crate::infra::db::Db::Postgres($pool) => $body,
        }
    };
}

/// Runs `$body` with `$pool` bound to the pool that writes.
#[macro_export]
macro_rules! db_write {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::infra::db::Db::Sqlite { write: $pool, .. } => $body,
            $crate::infra::db::Db::Postgres($pool) => $body,
        }
    };
}

/// Connections one server opens to Postgres at most, unless configured otherwise.
pub const DEFAULT_POSTGRES_CONNECTIONS: u32 = 16;

impl Db {
    /// Opens (creating an SQLite file if needed) and migrates.
    pub async fn open(url: &str) -> Result<Db, DbOpenError> {
        Self::open_with(url, DEFAULT_POSTGRES_CONNECTIONS).await
    }

    /// [`Db::open`] with at most `postgres_connections` connections to Postgres (every server
    /// sharing a database takes up to this many of its `max_connections`).
    pub async fn open_with(url: &str, postgres_connections: u32) -> Result<Db, DbOpenError> {
        let db = if url.starts_with("sqlite:") {
            Self::open_sqlite(url).await?
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url)?
                .log_statements(tracing::log::LevelFilter::Trace)
                .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_millis(500));
            let pool = PgPoolOptions::new()
                .max_connections(postgres_connections)
                .min_connections(1)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await?;
            Db::Postgres(pool)
        } else {
            return Err(DbOpenError::Scheme(url.chars().take(12).collect()));
        };
        db.migrate().await?;
        Ok(db)
    }

    async fn open_sqlite(url: &str) -> Result<Db, DbOpenError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("cache_size", "-32768")
            .log_statements(tracing::log::LevelFilter::Trace)
            .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_millis(500));
        if let Some(dir) = options.get_filename().parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| DbOpenError::Directory(dir.display().to_string(), e))?;
        }
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.clone())
            .await?;
        let readers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2) * 4;
        let read = SqlitePoolOptions::new()
            .max_connections(readers.max(4) as u32)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options.read_only(true))
            .await?;
        Ok(Db::Sqlite { read, write })
    }

    async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        match self {
            Db::Sqlite { write, .. } => sqlx::migrate!("migrations/sqlite").run(write).await,
            Db::Postgres(pool) => sqlx::migrate!("migrations/postgres").run(pool).await,
        }
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Db::Sqlite { .. } => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// A 32-byte key the app servers sharing this database share, made at first use.
    pub async fn shared_key(&self, name: &str) -> Result<[u8; 32], sqlx::Error> {
        use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
        let mut fresh = [0u8; 32];
        rand::TryRngCore::try_fill_bytes(&mut rand::rngs::OsRng, &mut fresh).expect("the OS random source works");
        let secret: String = db_write!(self, |pool| {
            sqlx::query("INSERT INTO server_keys (name, secret) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
                .bind(name)
                .bind(URL_SAFE_NO_PAD.encode(fresh))
                .execute(pool)
                .await?;
            sqlx::query_scalar("SELECT secret FROM server_keys WHERE name = $1").bind(name).fetch_one(pool).await
        })?;
        URL_SAFE_NO_PAD
            .decode(secret)
            .ok()
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or_else(|| sqlx::Error::Decode(format!("server key {name} is not 32 bytes of base64url").into()))
    }

    pub async fn ping(&self) -> bool {
        db_read!(self, |pool| sqlx::query("SELECT 1").execute(pool).await.is_ok())
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite { read, write } => {
                read.close().await;
                write.close().await;
            }
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

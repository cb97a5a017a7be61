//! Databases and accounts for the benchmarks, seeded through the app's own store.

use active_sessions::app::state::AppState;
use active_sessions::{
    db_read,
    identity::{
        client::ClientInfo,
        session::{SessionRecord, SessionToken, seed_sessions},
        model::{EventKind, SignInMethod},
        account::{seed_user, seed_users},
    },
    infra::{
        clock::{Clock, SystemClock},
        config::{CacheMode, Config},
        db::Db,
    },
};
use std::sync::Arc;

/// A fresh database: an SQLite file in a temp dir, or a new Postgres database.
pub struct BenchDb {
    pub url: String,
    _dir: Option<tempfile_dir::TempDir>,
    pg: Option<(String, String)>,
}

mod tempfile_dir {
    /// A directory removed on drop (std only; the bench needs nothing more).
    pub struct TempDir(pub std::path::PathBuf);
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

impl BenchDb {
    pub async fn create(backend: &str, postgres: &str) -> BenchDb {
        let tag = SessionToken::generate().id().to_lowercase().replace(['-', '_'], "");
        if backend == "sqlite" {
            let dir = std::env::temp_dir().join(format!("as-bench-{tag}"));
            std::fs::create_dir_all(&dir).unwrap();
            BenchDb { url: format!("sqlite://{}/bench.db", dir.display()), _dir: Some(tempfile_dir::TempDir(dir)), pg: None }
        } else {
            let name = format!("as_bench_{}", &tag[..12]);
            let admin = sqlx::PgPool::connect(postgres).await.expect("Postgres for the benchmarks");
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&admin).await.unwrap();
            admin.close().await;
            let mut url = url::Url::parse(postgres).unwrap();
            url.set_path(&name);
            BenchDb { url: url.to_string(), _dir: None, pg: Some((postgres.to_owned(), name)) }
        }
    }

    pub async fn drop_db(&self) {
        if let Some((admin, name)) = &self.pg {
            let admin = sqlx::PgPool::connect(admin).await.unwrap();
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&admin).await;
            admin.close().await;
        }
    }
}

pub async fn state(url: &str, cache: CacheMode) -> AppState {
    let mut config = Config::defaults();
    config.database_url = url.to_owned();
    config.session_cache = cache;
    config.login_max_failures_per_ip = 1_000_000;
    // Step 10: tokens are not throttled, and webhook receivers listen on 127.0.0.1.
    config.api_rate_limit = 100_000_000;
    config.webhook_allow_private = true;
    // Step 10 ends hundreds of one account's sessions; the per-account cap would end them first.
    config.max_sessions_per_user = 100_000;
    // The one server setting the bench takes from the environment, to compare hashing pools.
    if let Some(workers) = std::env::var("HASH_WORKERS").ok().and_then(|w| w.parse().ok()) {
        config.hash_workers = Some(workers);
    }
    AppState::build(config, Arc::new(SystemClock)).await.expect("app state")
}

/// `session=<token>` for a new session of a new user.
pub async fn signed_in(state: &AppState) -> (i64, String) {
    let now = SystemClock.now_ms();
    let email = format!("bench-{}@example.com", SessionToken::generate().id());
    let user = seed_user(&state.db, &email, "not-a-hash", now).await.unwrap().unwrap();
    let client = ClientInfo::local("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0");
    let token = state.sessions.create(user, "not-a-hash", &client, EventKind::SignedIn, SignInMethod::Password, true, &Default::default()).await.unwrap().unwrap().token;
    (user, format!("{}={}", state.cookies.name(), token.cookie_value()))
}

/// Adds `count` sessions spread over `count / 10` new users, through the store's seeding helpers.
pub async fn seed(db: &Db, count: i64, expired: bool) {
    let now = SystemClock.now_ms();
    let day = 24 * 3600 * 1000i64;
    let lifetime = if expired { -day } else { 7 * day };
    let users = (count / 10).max(1) as usize;
    // A tag of this batch, then digits: ids of 22 characters like real ones.
    let tag = SessionToken::generate().id()[..6].replace(['-', '_'], "x");
    let mut made = 0i64;
    for first in (0..users).step_by(10_000) {
        let emails: Vec<String> = (first..(first + 10_000).min(users)).map(|n| format!("u{tag}{n}@bench")).collect();
        let ids = seed_users(db, &emails, "x", now).await.unwrap();
        let sessions: Vec<SessionRecord> = (0..emails.len() * 10)
            .map(|n| n as i64 + made)
            .take_while(|n| *n < count)
            .map(|n| {
                let mut s = SessionRecord::seed(&format!("{tag}{n:016}"), &[0u8; 32], ids[(n - made) as usize % ids.len()], now, lifetime);
                s.times.last_seen_at = now - n % 86_400_000;
                s
            })
            .collect();
        made += sessions.len() as i64;
        seed_sessions(db, &sessions).await.unwrap();
    }
    if let Db::Postgres(pool) = db {
        // As after any bulk load: otherwise autovacuum (and first-read hint-bit writes) run
        // during the measurement and take the 2 cores' time from it.
        sqlx::raw_sql("VACUUM (ANALYZE) users, sessions").execute(pool).await.unwrap();
    }
}

pub async fn count_sessions(db: &Db) -> i64 {
    db_read!(db, |pool| sqlx::query_scalar("SELECT COUNT(*) FROM sessions").fetch_one(pool).await).unwrap()
}

/// A user with `n` sessions whose tokens we know.
pub async fn probe_user(state: &AppState, n: usize) -> (i64, Vec<SessionToken>) {
    let now = SystemClock.now_ms();
    let email = format!("probe-{}@example.com", SessionToken::generate().id());
    let user = seed_user(&state.db, &email, "x", now).await.unwrap().unwrap();
    let tokens: Vec<SessionToken> = (0..n).map(|_| SessionToken::generate()).collect();
    let week = 7 * 24 * 3600 * 1000i64;
    let records: Vec<SessionRecord> = tokens.iter().map(|t| SessionRecord::seed(t.id(), &t.secret_hash(), user, now, week)).collect();
    seed_sessions(&state.db, &records).await.unwrap();
    (user, tokens)
}

pub async fn plans(db: &Db) -> Vec<(String, String)> {
    let queries = [
        ("check: session by id", "SELECT * FROM sessions WHERE id = 'probe'"),
        ("list: a user's sessions", "SELECT * FROM sessions WHERE user_id = 42 ORDER BY last_seen_at DESC, created_at DESC, id"),
        ("terminate: owner-checked delete", "DELETE FROM sessions WHERE id = 'probe' AND user_id = 42"),
        ("clean-up: a batch of expired", "SELECT id FROM sessions WHERE expires_at <= 1 ORDER BY expires_at LIMIT 500"),
    ];
    let mut out = Vec::new();
    for (name, sql) in queries {
        let plan = match db {
            Db::Sqlite { read, .. } => {
                let rows: Vec<(i64, i64, i64, String)> = sqlx::query_as(&format!("EXPLAIN QUERY PLAN {sql}")).fetch_all(read).await.unwrap();
                rows.into_iter().map(|r| r.3).collect::<Vec<_>>().join("; ")
            }
            Db::Postgres(pool) => {
                let rows: Vec<(String,)> = sqlx::query_as(&format!("EXPLAIN {sql}")).fetch_all(pool).await.unwrap();
                rows.into_iter().map(|r| r.0.trim().to_owned()).collect::<Vec<_>>().join("; ")
            }
        };
        out.push((name.to_owned(), plan));
    }
    out
}


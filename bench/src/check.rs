//! Step 1's servers: the same small signed-in handler bare, behind our session layer and
//! behind tower-sessions; and the in-process loop for profilers.

use active_sessions::app::state::AppState;
use crate::setup::{BenchDb, signed_in, state};
use active_sessions::{
    app::server,
    identity::{web::RequestAuth, client::ClientInfo, web::session_layer, model::{EventKind, SignInMethod}},
    infra::{config::CacheMode, db::Db},
};
use axum::{Extension, Router, middleware::from_fn_with_state, response::IntoResponse, routing::get};
use std::{net::SocketAddr, sync::Arc, time::{Duration, Instant}};

/// See `Args::render_loop`.
pub async fn render_loop(n: u32, check_only: bool) {
    use tower::ServiceExt;
    let db = BenchDb::create("sqlite", "").await;
    let state = state(&db.url, CacheMode::Auto).await;
    let (user, cookie) = signed_in(&state).await;
    let client = ClientInfo::local("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0");
    for _ in 0..19 {
        state.sessions.create(user, "not-a-hash", &client, EventKind::SignedIn, SignInMethod::Password, true, &Default::default()).await.unwrap();
    }
    let (app, path) = if check_only {
        let app = Router::new()
            .route("/bench/checked", get(checked))
            .layer(from_fn_with_state(state.clone(), session_layer))
            .route("/bench/bare", get(bare));
        // BENCH_PATH=/bench/bare: the same loop without the session layer, for the difference.
        let path: &'static str = if std::env::var("BENCH_PATH").as_deref() == Ok("/bench/bare") { "/bench/bare" } else { "/bench/checked" };
        (app, path)
    } else {
        (server::app(state.clone()), "/active-sessions")
    };
    let cookie = Arc::new(cookie);
    let request = move || {
        let mut req = http::Request::get(path)
            .header("cookie", cookie.as_str())
            .header("user-agent", "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0")
            .body(axum::body::Body::empty())
            .unwrap();
        req.extensions_mut().insert(axum::extract::ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
        req
    };
    // BENCH_TASKS=k: k loops at once (on the runtime's worker threads), to see contention.
    let tasks: u32 = std::env::var("BENCH_TASKS").ok().and_then(|t| t.parse().ok()).unwrap_or(1).max(1);
    let started = Instant::now();
    let loops: Vec<_> = (0..tasks)
        .map(|_| {
            let (app, request) = (app.clone(), request.clone());
            tokio::spawn(async move {
                let mut bytes = 0;
                for _ in 0..n / tasks {
                    let res = app.clone().oneshot(request()).await.unwrap();
                    assert_eq!(res.status(), 200);
                    bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap().len();
                }
                bytes
            })
        })
        .collect();
    let mut bytes = 0;
    for l in loops {
        bytes = l.await.unwrap();
    }
    let per = started.elapsed().as_secs_f64() * 1e6 / f64::from(n.max(1));
    println!("{n} requests of {path} ({bytes} bytes) in {tasks} loop(s): {per:.2} µs each (wall clock / requests)");
    state.db.close().await;
}

pub async fn checked(Extension(auth): Extension<RequestAuth>) -> axum::response::Response {
    match auth.0 {
        Some(a) => a.user_id.to_string().into_response(),
        None => http::StatusCode::UNAUTHORIZED.into_response(),
    }
}

pub async fn bare() -> &'static str {
    "ok"
}

async fn tower_checked(session: tower_sessions::Session) -> axum::response::Response {
    match session.get::<i64>("user").await {
        Ok(Some(id)) => id.to_string().into_response(),
        _ => http::StatusCode::UNAUTHORIZED.into_response(),
    }
}

async fn tower_login(session: tower_sessions::Session) -> &'static str {
    session.insert("user", 42i64).await.unwrap();
    "ok"
}

/// The small signed-in handler three ways: bare, behind our session layer, behind
/// tower-sessions with its sqlx store on the same database.
pub async fn check_servers(state: &AppState) -> (SocketAddr, SocketAddr) {
    let ours = Router::new()
        .route("/bench/checked", get(checked))
        .layer(from_fn_with_state(state.clone(), session_layer))
        .route("/bench/bare", get(bare));
    let tower = match &state.db {
        Db::Sqlite { .. } => {
            // Its own pool, as tower-sessions' examples set it up (WAL, several connections).
            let options = state.config.database_url.parse::<sqlx::sqlite::SqliteConnectOptions>().unwrap()
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(10));
            let pool = sqlx::sqlite::SqlitePoolOptions::new().max_connections(8).connect_with(options).await.unwrap();
            let store = tower_sessions_sqlx_store::SqliteStore::new(pool);
            store.migrate().await.unwrap();
            tower_router(store)
        }
        Db::Postgres(pool) => {
            let store = tower_sessions_sqlx_store::PostgresStore::new(pool.clone());
            store.migrate().await.unwrap();
            tower_router(store)
        }
    };
    (crate::load::serve(ours).await, crate::load::serve(tower).await)
}

fn tower_router<S: tower_sessions::SessionStore + Clone>(store: S) -> Router {
    Router::new()
        .route("/tower/checked", get(tower_checked))
        .route("/tower/login", get(tower_login))
        .layer(tower_sessions::SessionManagerLayer::new(store).with_secure(false))
}

pub async fn tower_cookie(addr: SocketAddr) -> String {
    let res = reqwest::get(format!("http://{addr}/tower/login")).await.unwrap();
    let set = res.headers()["set-cookie"].to_str().unwrap();
    set.split(';').next().unwrap().to_owned()
}


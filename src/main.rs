use active_sessions::server::{self, clock::SystemClock, config::Config, state::AppState};
use clap::Parser;
use std::{process::ExitCode, sync::Arc, time::Duration};
use tracing_subscriber::EnvFilter;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let config = Config::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info")),
        )
        .init();

    if !config.is_https() {
        tracing::warn!(
            "PUBLIC_URL is {} (plain http): session cookies go without Secure and the __Host- prefix, \
             and no HSTS is sent. Serve over https in production.",
            config.public_origin()
        );
    }
    let addr = config.site_addr;
    let state = match AppState::build(config, Arc::new(SystemClock)).await {
        Ok(state) => state,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(backend = state.db.backend(), cache = state.sessions.caches(), "database ready");
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: LEPTOS_SITE_ADDR: cannot listen on {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let cleanup = server::spawn_cleanup(state.clone(), Duration::from_secs(300));
    tracing::info!("listening on http://{addr}");
    let db = state.db.clone();
    let result = server::serve(state, listener, shutdown_signal()).await;
    cleanup.abort();
    db.close().await;
    match result {
        Ok(()) => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}

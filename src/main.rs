use active_sessions::{
    app::{cli, server},
    app::state::AppState,
    infra::{clock::SystemClock, config::Config},
};
use clap::Parser;
use std::{process::ExitCode, sync::Arc, time::Duration};
use tracing_subscriber::EnvFilter;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let mut config = Config::parse();
    let command = config.command.take();
    // The operator's commands print their answer; the server logs (to standard error).
    let default_filter = if command.is_some() { "warn" } else { "info,sqlx=warn,tower_http=info" };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter)))
        .init();
    if let Some(command) = command {
        let state = match AppState::build(config, Arc::new(SystemClock)).await {
            Ok(state) => state,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        };
        let code = cli::run(&state, command).await;
        state.db.close().await;
        return code;
    }

    if !config.is_https() {
        tracing::warn!(
            "PUBLIC_URL is {} (plain http): session cookies go without Secure and the __Host- prefix, \
             and no HSTS is sent. Serve over https in production.",
            config.public_origin()
        );
    }
    if config.smtp_url.is_none() {
        tracing::warn!(
            "no SMTP_URL: email goes into the outbox folder {} instead of being sent, and sign-up signs in at once — \
             so trying to sign up with a registered email shows that it is registered. Set SMTP_URL in production.",
            config.mail_outbox.display()
        );
    }
    if !config.verifies_new_devices() {
        tracing::warn!(
            "new-device verification is off (NEW_DEVICE_VERIFICATION={:?}, SMTP_URL {}): a stolen password alone signs in \
             from any browser to an account without a second factor. It is on by default when SMTP_URL is set.",
            config.new_device_verification,
            if config.smtp_url.is_some() { "set" } else { "not set" }
        );
    }
    let addr = config.site_addr;
    active_sessions::identity::client::warm_up();
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
    if let Some(metrics_addr) = state.config.metrics_addr {
        match tokio::net::TcpListener::bind(metrics_addr).await {
            Ok(listener) => {
                tracing::info!("metrics on http://{metrics_addr}/metrics");
                tokio::spawn(async move { axum::serve(listener, server::metrics_app()).await });
            }
            Err(e) => {
                eprintln!("error: METRICS_ADDR: cannot listen on {metrics_addr}: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
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

//! The server: configuration, storage, the HTTP stack and the background clean-up.

pub mod client;
pub mod clock;
pub mod config;
pub mod context;
pub mod db;
pub mod forms;
pub mod guard;
pub mod headers;
pub mod state;

use crate::{app::{App, shell}, sessions::layer::session_layer};
use axum::{
    Router,
    extract::{Request, State},
    http::StatusCode,
    middleware::from_fn,
    middleware::from_fn_with_state,
    response::{IntoResponse, Redirect},
    routing::{any, get},
};
use headers::CspNonce;
use http::request::Parts;
use leptos::prelude::*;
use leptos_axum::LeptosRoutes;
use state::AppState;
use std::{net::SocketAddr, sync::Arc, time::Duration};
use tower_http::{
    limit::RequestBodyLimitLayer,
    request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer},
    services::{ServeDir, ServeFile},
    trace::TraceLayer,
};

/// Request bodies are small forms; anything larger is refused with 413.
const MAX_BODY: usize = 64 * 1024;

/// Values every Leptos render and server function can reach through context.
fn leptos_context(state: AppState) -> impl Fn() + Clone + Send + Sync + 'static {
    move || {
        provide_context(state.clone());
        if let Some(nonce) = use_context::<Parts>().and_then(|p| p.extensions.get::<CspNonce>().cloned()) {
            provide_context(leptos::nonce::Nonce::from_value(nonce.0));
        }
    }
}

/// The app's routes, generated once per process. Generating them runs the app with resource
/// loading suppressed by a process-wide flag, which would hang any page rendering at that
/// moment in another app instance of the same process (leptos-rs/leptos#4773); the tests run
/// many instances side by side.
fn routes() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| leptos_axum::generate_route_list(App)).clone()
}

/// The whole application, ready to serve. Tests build it the same way.
pub fn app(state: AppState) -> Router {
    let routes = routes();
    let options = state.leptos_options.clone();
    let shell_options = options.clone();
    let context = leptos_context(state.clone());
    let fallback_context = context.clone();
    let fn_context = context.clone();

    let dynamic = Router::new()
        .leptos_routes_with_context(&state, routes, context, move || shell(shell_options.clone()))
        .route(
            "/api/{*name}",
            any(move |req: Request| leptos_axum::handle_server_fns_with_context(fn_context.clone(), req)),
        )
        .route("/active-session", get(|| async { Redirect::permanent("/active-sessions") }))
        .route("/activesession", get(|| async { Redirect::permanent("/active-sessions") }))
        .fallback(leptos_axum::render_app_async_with_context(fallback_context, move || shell(options.clone())))
        .layer(from_fn(forms::server_fn_answers))
        .layer(from_fn_with_state(state.clone(), session_layer));

    let site = state.config.site_root.clone();
    let assets = Router::new()
        .nest_service("/pkg", ServeDir::new(site.join("pkg")).precompressed_br().precompressed_gzip())
        .route_service("/favicon.svg", ServeFile::new(site.join("favicon.svg")));

    Router::new()
        .route("/healthz", get(healthz))
        .merge(assets)
        .merge(dynamic)
        .layer(from_fn_with_state(state.clone(), guard::same_origin_only))
        .layer(RequestBodyLimitLayer::new(MAX_BODY))
        .layer(from_fn_with_state(state.clone(), headers::security_headers))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            // The path only: never the query string or headers (cookies live there).
            tracing::info_span!("request", id, method = %req.method(), path = req.uri().path())
        }))
        .layer(SetRequestIdLayer::x_request_id(RequestIds::default()))
        .with_state(state)
}

/// Request ids: a random per-process prefix and a counter — unique, cheap, and not a secret.
#[derive(Clone)]
struct RequestIds {
    prefix: Arc<str>,
    next: Arc<std::sync::atomic::AtomicU64>,
}

impl Default for RequestIds {
    fn default() -> Self {
        let prefix = format!("{:08x}", rand::random::<u32>());
        RequestIds { prefix: prefix.into(), next: Arc::default() }
    }
}

impl MakeRequestId for RequestIds {
    fn make_request_id<B>(&mut self, _request: &http::Request<B>) -> Option<RequestId> {
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        http::HeaderValue::from_str(&format!("{}-{n}", self.prefix)).ok().map(RequestId::new)
    }
}

async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    if state.db.ping().await {
        (StatusCode::OK, "ok")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
    }
}

/// Removes expired sessions and old failed log-ins every `every`, in small batches.
pub fn spawn_cleanup(state: AppState, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match state.sessions.purge_expired(500, Duration::from_millis(20)).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(removed = n, "expired sessions removed"),
                Err(e) => tracing::warn!("expired-session clean-up failed: {e}"),
            }
            let before = state.clock.now_ms() - clock::duration_ms(state.config.login_failure_window);
            if let Err(e) = crate::auth::store::purge_failures(&state.db, before).await {
                tracing::warn!("failed-log-in clean-up failed: {e}");
            }
        }
    })
}

/// Serves until `shutdown` resolves, then finishes in-flight requests.
pub async fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app(state).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}

//! The HTTP server: the router with every middleware in its order, serving, and the
//! background clean-up.

use crate::app::state::AppState;
use super::{App, shell};
use crate::{
    identity::{
        web::{admin_gate, email_link_from_url, session_layer},
    },
    infra::{
        forms, guard,
        headers::{self, CspNonce},
        routes,
    },
};
use axum::{
    Router,
    extract::{Request, State},
    http::StatusCode,
    middleware::from_fn_with_state,
    response::{IntoResponse, Redirect},
    routing::{any, get},
};
use http::request::Parts;
use leptos::prelude::*;
use leptos_axum::LeptosRoutes;
use std::{net::SocketAddr, sync::Arc, time::Duration};
use tower_http::{
    compression::CompressionLayer,
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
        provide_context(state.identity.clone());
        provide_context(state.messages.clone());
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

/// Whether a server function answers `path` with `method` (the registered ones, listed once).
fn is_server_fn(path: &str, method: &http::Method) -> bool {
    static KNOWN: std::sync::OnceLock<std::collections::HashSet<(String, http::Method)>> = std::sync::OnceLock::new();
    KNOWN
        .get_or_init(|| {
            leptos::server_fn::axum::server_fn_paths().map(|(p, m)| (p.to_owned(), m)).collect()
        })
        .contains(&(path.to_owned(), method.clone()))
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
            any(move |req: Request| {
                let fn_context = fn_context.clone();
                async move {
                    if is_server_fn(req.uri().path(), req.method()) {
                        leptos_axum::handle_server_fns_with_context(fn_context, req).await.into_response()
                    } else {
                        forms::unknown_server_fn(req.uri().path())
                    }
                }
            }),
        )
        .route(routes::EVENTS, get(crate::live::events))
        .route(&routes::session_row("{id}"), get(crate::sessions::fragments::session_row))
        .route(routes::SESSION_ROWS, get(crate::sessions::fragments::session_rows))
        .route(routes::OLD_ACTIVE_SESSIONS[0], get(|| async { Redirect::permanent(routes::ACTIVE_SESSIONS) }))
        .route(routes::OLD_ACTIVE_SESSIONS[1], get(|| async { Redirect::permanent(routes::ACTIVE_SESSIONS) }))
        .fallback(leptos_axum::render_app_async_with_context(fallback_context, move || shell(options.clone())))
        .layer(from_fn_with_state(state.identity.clone(), admin_gate))
        .layer(from_fn_with_state(state.messages.clone(), forms::server_fn_answers))
        .layer(from_fn_with_state(state.identity.clone(), session_layer))
        .layer(from_fn_with_state(state.identity.clone(), email_link_from_url));

    let site = state.config.site_root.clone();
    let assets = Router::new()
        .nest_service("/pkg", ServeDir::new(site.join("pkg")).precompressed_br().precompressed_gzip())
        .route_service("/favicon.svg", ServeFile::new(site.join("favicon.svg")))
        .route_service(crate::passkeys::pages::SCRIPT, ServeFile::new(site.join("passkeys.js")))
        .nest_service(routes::STYLES, ServeDir::new(site.join("styles")));

    Router::new()
        .route(routes::HEALTH, get(healthz))
        .route(routes::ROBOTS, get(robots))
        .merge(assets)
        .merge(dynamic)
        .layer(from_fn_with_state(state.config.clone(), guard::same_origin_only))
        // The operator API reads no cookie, so it needs no same-origin guard (and its
        // callers are scripts, which send no Origin): bearer tokens only.
        .merge(crate::operator_api::router())
        .layer(RequestBodyLimitLayer::new(MAX_BODY))
        .layer(from_fn_with_state(state.config.clone(), headers::security_headers))
        // Pages and answers compressed as the browser accepts (brotli, gzip); files under /pkg
        // are served pre-compressed, event streams are left alone (the default predicate).
        .layer(CompressionLayer::new())
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            // The path only: never the query string or headers (cookies live there).
            tracing::info_span!("request", id, method = %req.method(), path = req.uri().path())
        }))
        .layer(SetRequestIdLayer::x_request_id(RequestIds::default()))
        .layer(from_fn_with_state(state.config.clone(), headers::request_id_from_trusted_proxies))
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

/// Crawlers may read the public pages; signed-in pages answer them with the log-in page
/// anyway, and the operator API is for scripts.
async fn robots() -> impl IntoResponse {
    ([(http::header::CONTENT_TYPE, "text/plain; charset=utf-8")], "User-agent: *\nDisallow: /api/\n")
}

async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    if state.db.ping().await {
        (StatusCode::OK, "ok")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
    }
}

/// Removes expired sessions and attempts that left their window every `every`, in small batches.
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
            if let Err(e) = state.credentials.throttle.purge(state.clock.now_ms()).await {
                tracing::warn!("attempt clean-up failed: {e}");
            }
            if let Err(e) = state.sign_in.purge_expired().await {
                tracing::warn!("clean-up of expired sign-in state failed: {e}");
            }
            if let Err(e) = state.webhooks.purge().await {
                tracing::warn!("clean-up of delivered webhooks failed: {e}");
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
    // On Postgres: hear the other servers' starts and endings, for this server's event streams.
    let listening = state.live.listen();
    let fleet = state.sessions.fleet().cloned();
    let live = state.live.clone();
    // Webhooks wait in the outbox; every server delivers (claims keep them from doubling up).
    let delivering = tokio::spawn(state.webhooks.clone().deliver_forever());
    let shutdown = async move {
        shutdown.await;
        // Open event streams would keep the graceful shutdown waiting: end them first.
        live.close_all();
    };
    let served = axum::serve(listener, app(state).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await;
    delivering.abort();
    if let Some(listening) = listening {
        listening.abort();
    }
    if let Some(fleet) = fleet {
        fleet.leave().await;
    }
    served
}

/// Prometheus metrics (`/metrics`) for operators, served on its own address (`METRICS_ADDR`) so
/// it is never reachable through the public one. The recorder is process-wide: made once.
pub fn metrics_app() -> Router {
    static HANDLE: std::sync::OnceLock<Option<metrics_exporter_prometheus::PrometheusHandle>> = std::sync::OnceLock::new();
    let handle = HANDLE
        .get_or_init(|| match metrics_exporter_prometheus::PrometheusBuilder::new().install_recorder() {
            Ok(handle) => Some(handle),
            Err(e) => {
                tracing::warn!("metrics unavailable: {e}");
                None
            }
        })
        .clone();
    Router::new().route(
        "/metrics",
        get(move || {
            let handle = handle.clone();
            async move {
                match handle {
                    Some(handle) => {
                        handle.run_upkeep();
                        ([(http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], handle.render()).into_response()
                    }
                    None => StatusCode::SERVICE_UNAVAILABLE.into_response(),
                }
            }
        }),
    )
}

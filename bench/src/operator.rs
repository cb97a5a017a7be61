//! Step 10: the operator API and webhooks. The API's session list against the HTML page for the
//! same account; ending a session through the API against ending it from the page; webhook
//! delivery latency from the ending's return to the receiver's 2xx; and the signed-in page
//! while 1,000 webhook deliveries drain to a slow receiver.

use crate::{
    Args,
    load::{api_latencies, percentiles, serve, wrk, wrk_with},
    report::Report,
    setup::{BenchDb, signed_in, state},
};
use active_sessions::{
    app::{server, state::AppState},
    identity::{client::ClientInfo, model::{EventKind, SignInMethod}, operator::Scope},
    infra::config::CacheMode,
};
use axum::{Router, extract::State, routing::post};
use std::{net::SocketAddr, time::{Duration, Instant}};
use tokio::sync::mpsc;

/// Sessions ended each way, and webhook messages timed.
const ENDINGS: usize = 200;
/// Messages drained to the slow receiver, and how slow it is.
const DRAIN: usize = 1000;
const SLOW: Duration = Duration::from_millis(200);

async fn sessions(state: &AppState, user: i64, n: usize) -> Vec<String> {
    let client = ClientInfo::local("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0");
    let mut ids = Vec::with_capacity(n);
    for _ in 0..n {
        let made = state.sessions.create(user, "not-a-hash", &client, EventKind::SignedIn, SignInMethod::Password, true, &Default::default()).await.unwrap().unwrap();
        ids.push(made.token.id().to_owned());
    }
    ids
}

/// A receiver that notes when each message arrived, after answering `delay` late.
async fn receiver(delay: Duration) -> (String, mpsc::UnboundedReceiver<Instant>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let app = Router::new()
        .route(
            "/hook",
            post(|State((tx, delay)): State<(mpsc::UnboundedSender<Instant>, Duration)>| async move {
                if !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
                let _ = tx.send(Instant::now());
                http::StatusCode::NO_CONTENT
            }),
        )
        .with_state((tx, delay));
    let addr = serve(app).await;
    (format!("http://{addr}/hook"), rx)
}

async fn api_endings(addr: SocketAddr, token: &str, ids: &[String], mut arrivals: Option<&mut mpsc::UnboundedReceiver<Instant>>) -> ((f64, f64), Vec<f64>) {
    let client = reqwest::Client::new();
    let (mut took, mut delivered) = (Vec::new(), Vec::new());
    for id in ids {
        let t = Instant::now();
        let res = client
            .delete(format!("http://{addr}/api/v1/sessions/{id}"))
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(r#"{"reason":"bench"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 204);
        let returned = Instant::now();
        took.push((returned - t).as_secs_f64() * 1000.0);
        if let Some(arrivals) = arrivals.as_deref_mut() {
            let at = tokio::time::timeout(Duration::from_secs(10), arrivals.recv()).await.expect("the webhook arrived").unwrap();
            delivered.push(at.saturating_duration_since(returned).as_secs_f64() * 1000.0);
        }
    }
    (percentiles(took), delivered)
}

pub async fn operator(args: &Args, r: &mut Report) {
    r.line("## 10. Operator API and webhooks");
    r.line("");
    let db = BenchDb::create("sqlite", &args.postgres).await;
    let state = state(&db.url, CacheMode::Auto).await;
    let delivering = tokio::spawn(state.webhooks.clone().deliver_forever());
    let (user, cookie) = signed_in(&state).await;
    sessions(&state, user, 19).await;
    let (_, token) = state.api_tokens.create("bench", &[Scope::SessionsRead, Scope::SessionsWrite], None).await.unwrap().unwrap();
    let addr = serve(server::app(state.clone())).await;
    let bearer = vec![format!("Authorization: Bearer {token}")];

    // The same account's 20 sessions: JSON from the API, HTML from the page.
    let api = wrk_with(&format!("http://{addr}/api/v1/users/{user}/sessions"), &bearer, args.seconds, 32);
    let page = wrk(&format!("http://{addr}/active-sessions"), Some(&cookie), args.seconds, 32);
    let ratio = api.rps / page.rps;
    r.line("SQLite, a user with 20 sessions, through the whole app; `wrk -t1 -c32`.");
    r.line("");
    r.line("| what | req/s | p50 ms | p99 ms | ratio |");
    r.line("|---|---:|---:|---:|---:|");
    r.line(format!("| `GET /active-sessions` (HTML) | {:.0} | {:.3} | {:.3} | 1.00 |", page.rps, page.p50_ms, page.p99_ms));
    r.line(format!("| `GET /api/v1/users/{{id}}/sessions` (JSON) | {:.0} | {:.3} | {:.3} | **{ratio:.2}** |", api.rps, api.p50_ms, api.p99_ms));
    r.goal("10. API session list ≥ 3× the HTML page", format!("{ratio:.2}×"), ratio >= 3.0);
    r.line("");

    // Ending: from the page (the owner's server function) and through the API, one at a time.
    let by_page = sessions(&state, user, ENDINGS).await;
    let by_api = sessions(&state, user, ENDINGS).await;
    let page_end = api_latencies(addr, &cookie, "/api/sessions/terminate", by_page.iter().map(|id| format!("id={id}")).collect()).await;
    let (api_end, _) = api_endings(addr, &token, &by_api, None).await;
    let end_ratio = api_end.0 / page_end.0;
    r.line(format!("Ending one session, {ENDINGS} one after another each way (no webhook endpoint):"));
    r.line("");
    r.line("| how | p50 ms | p99 ms | p50 vs the page |");
    r.line("|---|---:|---:|---:|");
    r.line(format!("| the page (`terminate_session`) | {:.2} | {:.2} | 1.00 |", page_end.0, page_end.1));
    r.line(format!("| the API (`DELETE /api/v1/sessions/{{id}}`) | {:.2} | {:.2} | **{end_ratio:.2}** |", api_end.0, api_end.1));
    r.goal("10. ending through the API ≤ 1.2× the page (p50)", format!("{end_ratio:.2}×"), end_ratio <= 1.2);
    r.line("");

    // Webhook latency on an idle server: the ending returns, the receiver answers 2xx.
    let (url, mut arrivals) = receiver(Duration::ZERO).await;
    state.webhooks.add(&url, &["session.ended".to_owned()]).await.unwrap();
    let timed = sessions(&state, user, ENDINGS).await;
    let (_, delivered) = api_endings(addr, &token, &timed, Some(&mut arrivals)).await;
    let (d50, d99) = percentiles(delivered);
    r.line(format!("Webhook delivery, {ENDINGS} `session.ended` messages one at a time: from the API's answer to the receiver's 2xx, p50 **{d50:.1} ms**, p99 **{d99:.1} ms** (servers look for due messages every 100 ms when idle, and at once after a batch)."));
    r.goal("10. webhook delivery p99 ≤ 1 s (idle server)", format!("{d99:.0} ms"), d99 <= 1000.0);
    state.webhooks.remove(&url).await.unwrap();
    r.line("");

    // The page while 1,000 deliveries drain to a receiver that takes 200 ms to answer.
    let quiet = wrk(&format!("http://{addr}/active-sessions"), Some(&cookie), args.seconds, 32);
    let (slow, mut slow_arrivals) = receiver(SLOW).await;
    state.webhooks.add(&slow, &[]).await.unwrap();
    for _ in 0..DRAIN {
        state.webhooks.test(&slow).await.unwrap();
    }
    let draining = wrk(&format!("http://{addr}/active-sessions"), Some(&cookie), args.seconds, 32);
    let mut drained = 0;
    let started = Instant::now();
    while drained < DRAIN && tokio::time::timeout(Duration::from_secs(120), slow_arrivals.recv()).await.ok().flatten().is_some() {
        drained += 1;
    }
    let p99_ratio = draining.p99_ms / quiet.p99_ms;
    r.line(format!("The signed-in page while {DRAIN} webhook messages drain to a receiver that answers after {} ms:", SLOW.as_millis()));
    r.line("");
    r.line("| while | req/s | p50 ms | p99 ms |");
    r.line("|---|---:|---:|---:|");
    r.line(format!("| nothing to deliver | {:.0} | {:.3} | {:.3} |", quiet.rps, quiet.p50_ms, quiet.p99_ms));
    r.line(format!("| {DRAIN} deliveries draining | {:.0} | {:.3} | {:.3} |", draining.rps, draining.p50_ms, draining.p99_ms));
    r.line("");
    r.line(format!("p99 ratio **{p99_ratio:.2}**; all {drained} messages arrived (the last {:.1} s after the page's run ended).", started.elapsed().as_secs_f64()));
    r.goal("10. page p99 unchanged (≤ 1.25×) while 1,000 webhooks drain", format!("{p99_ratio:.2}×"), p99_ratio <= 1.25);
    r.line("");
    delivering.abort();
    state.db.close().await;
    db.drop_db().await;
}

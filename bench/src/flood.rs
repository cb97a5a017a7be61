//! Step 8: a log-in flood. 200 clients send log-ins as fast as they can (each a wrong password
//! for a new email, so every one would cost an argon2 hash), while wrk measures the signed-in
//! check. Hashing is bounded (a worker per core, a short queue, then 503 + Retry-After), so
//! signed-in requests should keep their latency and memory should stay flat.

use crate::{
    Args,
    check::checked,
    load::{serve, wrk},
    report::Report,
    setup::{BenchDb, signed_in, state},
};
use active_sessions::{app::server, identity::web::session_layer, infra::config::CacheMode};
use axum::{Router, middleware::from_fn_with_state, routing::get};
use std::{
    collections::BTreeMap,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
};

const CLIENTS: usize = 200;

/// The process's peak resident memory so far (VmHWM), in MiB.
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok()))
        .map_or(0.0, |kib| kib / 1024.0)
}

pub async fn flood(args: &Args, r: &mut Report) {
    r.line("## 8. Log-in flood");
    r.line("");
    r.line(&format!(
        "{CLIENTS} clients send log-ins back to back (each a wrong password for a new email, so each would cost an argon2id hash of 19 MiB) while wrk loads the signed-in check through the whole app on SQLite. Hashing is bounded: a worker per core and a queue of 16; beyond that the answer is 503 with Retry-After at once. Peak memory is the bench process's (it hosts the server) high-water mark."
    ));
    r.line("");
    let db = BenchDb::create("sqlite", &args.postgres).await;
    let state = state(&db.url, CacheMode::Auto).await;
    let (_, cookie) = signed_in(&state).await;
    let router = Router::new()
        .route("/bench/checked", get(checked))
        .layer(from_fn_with_state(state.clone(), session_layer))
        .merge(server::app(state.clone()));
    let addr = serve(router).await;
    let url = format!("http://{addr}/bench/checked");
    let idle = wrk(&url, Some(&cookie), args.seconds, 32);
    let memory_before = peak_rss_mib();

    let stop = Arc::new(AtomicBool::new(false));
    let client = reqwest::Client::new();
    let flooders: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (stop, client) = (stop.clone(), client.clone());
            tokio::spawn(async move {
                let mut answers: BTreeMap<u16, u64> = BTreeMap::new();
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let res = client
                        .post(format!("http://{addr}/api/login"))
                        .header("origin", format!("http://{addr}"))
                        .header("sec-fetch-site", "same-origin")
                        .header("content-type", "application/x-www-form-urlencoded")
                        .body(format!("email=flood-{c}-{n}%40example.com&password=not+the+password"))
                        .send()
                        .await;
                    let status = res.map(|r| r.status().as_u16()).unwrap_or(0);
                    *answers.entry(status).or_default() += 1;
                }
                answers
            })
        })
        .collect();
    // Let the flood build up, then measure under it.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let busy = tokio::task::spawn_blocking({
        let (url, seconds) = (url.clone(), args.seconds);
        move || wrk(&url, Some(&cookie), seconds, 32)
    })
    .await
    .unwrap();
    stop.store(true, Ordering::Relaxed);
    let mut answers: BTreeMap<u16, u64> = BTreeMap::new();
    for f in flooders {
        for (status, n) in f.await.unwrap() {
            *answers.entry(status).or_default() += n;
        }
    }
    let memory_peak = peak_rss_mib();
    let ratio = busy.p99_ms / idle.p99_ms;
    r.line("| signed-in check | req/s | p50 ms | p99 ms |");
    r.line("|---|---:|---:|---:|");
    r.line(&format!("| idle | {:.0} | {:.3} | {:.3} |", idle.rps, idle.p50_ms, idle.p99_ms));
    r.line(&format!("| during the flood | {:.0} | {:.3} | {:.3} |", busy.rps, busy.p50_ms, busy.p99_ms));
    r.line("");
    let total: u64 = answers.values().sum();
    let described: Vec<String> = answers
        .iter()
        .map(|(status, n)| match status {
            0 => format!("{n} connection errors"),
            s => format!("{n} × {s}"),
        })
        .collect();
    r.line(&format!("Log-in answers during the flood ({total} in all): {}.", described.join(", ")));
    let server_errors: u64 = answers.iter().filter(|(s, _)| **s >= 500 && **s != 503).map(|(_, n)| n).sum();
    r.line(&format!(
        "Peak memory of the process: {memory_before:.0} MiB before the flood, {memory_peak:.0} MiB after it. 5xx other than 503: {server_errors}."
    ));
    r.line("");
    r.goal("8. signed-in p99 during a log-in flood ≤ 2× idle (SQLite)", format!("{ratio:.2}×"), ratio <= 2.0);
    r.goal("8. no 5xx but 503 during the flood", format!("{server_errors}"), server_errors == 0);
    state.db.close().await;
    db.drop_db().await;
}

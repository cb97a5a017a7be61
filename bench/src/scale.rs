//! Steps 3 and 4: the same requests at 10 thousand to 10 million sessions, and the expiry
//! clean-up under load.

use crate::{
    Args,
    check::checked,
    load::{api_latencies, serve, wrk},
    report::Report,
    setup::{BenchDb, count_sessions, plans, probe_user, seed, state},
};
use active_sessions::{app::server, identity::web::session_layer, infra::config::CacheMode};
use axum::{Router, middleware::from_fn_with_state, routing::get};
use std::time::{Duration, Instant};

pub async fn scale(args: &Args, r: &mut Report) {
    r.line("## 3. Scale");
    r.line("");
    r.line("Sessions bulk-inserted across many users (ten sessions per user), then: the per-request check (wrk, cache **off** so every check reads the database), listing a user's 10 sessions and terminating one (300 sequential requests each through the whole app). Every query is an index lookup; the plans are below.");
    r.line("");
    r.line("| back-end | sessions | seed s | check req/s | check p99 ms | list p50 / p99 ms | terminate p50 / p99 ms |");
    r.line("|---|---:|---:|---:|---:|---:|---:|");
    let mut summary = Vec::new();
    for backend in ["sqlite", "postgres"] {
        let db = BenchDb::create(backend, &args.postgres).await;
        let state = state(&db.url, CacheMode::Off).await;
        let router = Router::new()
            .route("/bench/checked", get(checked))
            .layer(from_fn_with_state(state.clone(), session_layer))
            .merge(server::app(state.clone()));
        let addr = serve(router).await;
        let mut p99s = Vec::new();
        for target in [10_000i64, 1_000_000, 10_000_000] {
            let have = count_sessions(&state.db).await;
            let t = Instant::now();
            seed(&state.db, target - have, false).await;
            let seeded = t.elapsed().as_secs_f64();
            let (_, list_tokens) = probe_user(&state, 10).await;
            let (_, mut term_tokens) = probe_user(&state, 301).await;
            let list_cookie = format!("session={}", list_tokens[0].cookie_value());
            let actor = term_tokens.pop().unwrap();
            let term_cookie = format!("session={}", actor.cookie_value());
            let check = wrk(&format!("http://{addr}/bench/checked"), Some(&list_cookie), args.seconds, 32);
            let list = api_latencies(addr, &list_cookie, "/api/sessions/list", vec![String::new(); 300]).await;
            let term = api_latencies(addr, &term_cookie, "/api/sessions/terminate", term_tokens.iter().map(|t| format!("id={}", t.id())).collect()).await;
            r.line(format!(
                "| {backend} | {} | {seeded:.0} | {:.0} | {:.3} | {:.2} / {:.2} | {:.2} / {:.2} |",
                count_sessions(&state.db).await,
                check.rps,
                check.p99_ms,
                list.0,
                list.1,
                term.0,
                term.1
            ));
            p99s.push((check.p99_ms, list.1, term.1));
        }
        summary.push((backend, p99s.clone(), plans(&state.db).await));
        state.db.close().await;
        db.drop_db().await;
    }
    r.line("");
    r.line("10M / 10k ratio of p99 latencies (goal ≤ 1.5):");
    r.line("");
    r.line("| back-end | check | list | terminate |");
    r.line("|---|---:|---:|---:|");
    for (backend, p, _) in &summary {
        let (a, b) = (p[0], p[p.len() - 1]);
        let ratios = [b.0 / a.0, b.1 / a.1, b.2 / a.2];
        r.line(format!("| {backend} | **{:.2}** | **{:.2}** | **{:.2}** |", ratios[0], ratios[1], ratios[2]));
        let worst = ratios.iter().cloned().fold(0.0, f64::max);
        r.goal(format!("3. p99 at 10M / at 10k ≤ 1.5 ({backend}; worst of check, list, terminate)"), format!("{worst:.2}"), worst <= 1.5);
    }
    r.line("");
    r.line("Query plans at 10M sessions:");
    r.line("");
    for (backend, _, plans) in &summary {
        for (name, plan) in plans {
            r.line(format!("- {backend}, {name}: `{plan}`"));
        }
    }
    r.line("");
}

pub async fn cleanup(args: &Args, r: &mut Report) {
    r.line("## 4. Expiry clean-up");
    r.line("");
    r.line("1 million expired sessions are deleted in the background in batches of 500 with a 20 ms pause (what the server's clean-up task does every 5 minutes), while wrk loads the signed-in check (cache off). p99 with and without the clean-up running:");
    r.line("");
    r.line("| back-end | p99 ms idle | p99 ms during clean-up | req/s idle / during | clean-up took s | rows/s |");
    r.line("|---|---:|---:|---:|---:|---:|");
    for backend in ["sqlite", "postgres"] {
        let db = BenchDb::create(backend, &args.postgres).await;
        let state = state(&db.url, CacheMode::Off).await;
        let router = Router::new().route("/bench/checked", get(checked)).layer(from_fn_with_state(state.clone(), session_layer));
        let addr = serve(router).await;
        let (_, tokens) = probe_user(&state, 1).await;
        let cookie = format!("session={}", tokens[0].cookie_value());
        seed(&state.db, 1_000_000, true).await;
        let idle = wrk(&format!("http://{addr}/bench/checked"), Some(&cookie), args.seconds, 32);
        let sessions = state.sessions.clone();
        let t = Instant::now();
        let purge = tokio::spawn(async move { sessions.purge_expired(500, Duration::from_millis(20)).await.unwrap() });
        let busy = tokio::task::spawn_blocking({
            let url = format!("http://{addr}/bench/checked");
            let seconds = args.seconds;
            move || wrk(&url, Some(&cookie), seconds, 32)
        })
        .await
        .unwrap();
        let removed = purge.await.unwrap();
        let took = t.elapsed().as_secs_f64();
        assert_eq!(removed, 1_000_000);
        r.line(format!(
            "| {backend} | {:.3} | {:.3} | {:.0} / {:.0} | {took:.0} | {:.0} |",
            idle.p99_ms,
            busy.p99_ms,
            idle.rps,
            busy.rps,
            removed as f64 / took
        ));
        state.db.close().await;
        db.drop_db().await;
    }
    r.line("");
}

//! `make bench`: how much a session check, the Active sessions page and the clean-up cost, at
//! 10 thousand to 10 million sessions, on SQLite and Postgres, against the peer baseline
//! (tower-sessions with its sqlx store). Load comes from `wrk` on 127.0.0.1; the servers are
//! the app's own router and middleware, release-built, each on its own socket.
//!
//! Writes BENCHMARKS.md (with the payload and time-to-interactive tables that `make bench`
//! measured before, passed as JSON files).

mod check;
mod flood;
mod servers;
mod wire;
mod load;
mod operator;
mod report;
mod scale;
mod setup;

use active_sessions::{
    app::server,
    identity::{client::ClientInfo, model::{EventKind, SignInMethod}},
    infra::config::CacheMode,
};
use axum::{Router, routing::get};
use check::{check_servers, render_loop, tower_cookie};
use clap::Parser;
use load::{Load, ROUNDS, median, serve, wrk};
use report::{GAPS, Report, machine};
use scale::{cleanup, scale};
use setup::{BenchDb, signed_in, state};
use std::{process::Command, time::Instant};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser, Debug)]
pub struct Args {
    /// Postgres server for the Postgres runs (a database is created and dropped).
    #[arg(long, env = "BENCH_POSTGRES_URL", default_value = "postgres://postgres@127.0.0.1:5432/test")]
    pub postgres: String,
    /// Run the scale steps (10k, 1M, 10M sessions); 0 skips them for a quick run.
    #[arg(long, env = "BENCH_SCALE", default_value_t = 1)]
    pub scale: u8,
    /// Seconds per wrk run.
    #[arg(long, env = "BENCH_SECONDS", default_value_t = 8)]
    pub seconds: u32,
    /// Payload measurement (tools/payload.mjs --json).
    #[arg(long)]
    payload_json: Option<String>,
    /// Time-to-interactive measurement (end2end bench).
    #[arg(long)]
    tti_json: Option<String>,
    /// Only these steps (comma-separated: check, page, flood, servers, operator, scale), for quick looks while tuning.
    #[arg(long, env = "BENCH_ONLY", value_delimiter = ',')]
    only: Vec<String>,
    /// Instead of the benchmarks: render /active-sessions (20 sessions, SQLite) this many times
    /// in-process, no network, and print the time per page — for profilers such as callgrind.
    #[arg(long)]
    render_loop: Option<u32>,
    /// With --render-loop: request the session-checked bench handler instead of the page.
    #[arg(long)]
    check_only: bool,
    /// Where to write the report.
    #[arg(long, default_value = "BENCHMARKS.md")]
    out: String,
}

impl Args {
    pub fn runs(&self, step: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|s| s == step)
    }
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    if let Some(n) = args.render_loop {
        return render_loop(n, args.check_only).await;
    }
    let mut r = Report { md: String::new(), goals: Vec::new() };
    let started = Instant::now();
    let date = Command::new("date").arg("-u").arg("+%Y-%m-%d %H:%M UTC").output().map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned()).unwrap_or_default();
    r.line("# Benchmarks");
    r.line("");
    r.line(format!("Measured {date} on {}, by `make bench` (release build; load from `wrk -t1 -c32` on 127.0.0.1, sharing the cores with the server). Timings are for this machine; the ratios are what the goals are about.", machine()));
    r.line("");
    r.line("Commands: `make bench` (everything), `BENCH_SCALE=0 make bench` (skips the scale steps). The report is written by `bench/src/main.rs`; the load generator is Debian's `wrk`.");
    r.line("");

    // 1 + 5. The per-request session check, against the bare handler and tower-sessions.
    r.line("## 1. Per-request session check (and 5. the peer baseline)");
    r.line("");
    r.line("The same small signed-in handler (answers the user id): bare, behind our session layer with a valid session cookie, and behind tower-sessions 0.14 with its sqlx store on the same database. The bare handler gets the very same request, session cookie included, and ignores it. Each variant is measured in three rounds, alternating with the others, and the median round is shown; \"vs bare\" and \"vs tower-sessions\" compare medians.");
    r.line("");
    r.line("| back-end | variant | req/s | p50 ms | p99 ms | vs bare | vs tower-sessions |");
    r.line("|---|---|---:|---:|---:|---:|---:|");
    for backend in ["sqlite", "postgres"].into_iter().filter(|_| args.runs("check")) {
        let db = BenchDb::create(backend, &args.postgres).await;
        let modes: &[(CacheMode, &str)] = if backend == "sqlite" {
            &[(CacheMode::On, "our session layer (cache on, the default)"), (CacheMode::Off, "our session layer, cache off")]
        } else {
            &[(CacheMode::On, "our session layer, cache on (the default: leases keep several servers coherent, step 9)"), (CacheMode::Off, "our session layer, cache off (every check reads Postgres, batched)")]
        };
        // Both variants of our layer serve side by side (one server each), so that every
        // round measures everything: the machine's speed drifts over a run (other tenants,
        // turbo), and alternating rounds with medians let the drift hit all variants alike.
        let mut ours = Vec::new();
        for (mode, label) in modes {
            let state = state(&db.url, *mode).await;
            let (_, cookie) = signed_in(&state).await;
            let (addr, tower) = check_servers(&state).await;
            ours.push((*mode, *label, state, cookie, addr, tower));
        }
        let (_, _, _, first_cookie, first_addr, tower) = &ours[0];
        let tower_cookie = tower_cookie(*tower).await;
        let (mut bares, mut towers) = (Vec::new(), Vec::new());
        let mut loads: Vec<Vec<Load>> = vec![Vec::new(); ours.len()];
        for _ in 0..ROUNDS {
            // The very same request (cookie included) that the checked handler gets.
            bares.push(wrk(&format!("http://{first_addr}/bench/bare"), Some(first_cookie), args.seconds, 32));
            towers.push(wrk(&format!("http://{tower}/tower/checked"), Some(&tower_cookie), args.seconds, 32));
            for (i, (_, _, _, cookie, addr, _)) in ours.iter().enumerate() {
                loads[i].push(wrk(&format!("http://{addr}/bench/checked"), Some(cookie), args.seconds, 32));
            }
        }
        let (bare, tower) = (median(bares), median(towers));
        r.line(format!("| {backend} | bare handler | {:.0} | {:.3} | {:.3} | 1.00× | |", bare.rps, bare.p50_ms, bare.p99_ms));
        r.line(format!("| {backend} | tower-sessions + sqlx store | {:.0} | {:.3} | {:.3} | {:.2}× | 1.00× |", tower.rps, tower.p50_ms, tower.p99_ms, tower.rps / bare.rps));
        for ((mode, label, state, ..), loads) in ours.iter().zip(loads) {
            let load = median(loads);
            let (vs_bare, vs_tower) = (load.rps / bare.rps, load.rps / tower.rps);
            match (backend, mode) {
                ("sqlite", CacheMode::On) => {
                    r.goal("1. session check ≥ 0.8× the bare handler (SQLite)", format!("{vs_bare:.2}×"), vs_bare >= 0.8);
                    r.goal("1. session check ≥ 1.5× tower-sessions (SQLite)", format!("{vs_tower:.2}×"), vs_tower >= 1.5);
                }
                ("postgres", CacheMode::Off) => r.goal(
                    "1. session check ≥ 1.5× tower-sessions (Postgres, cache off)",
                    format!("{vs_tower:.2}×"),
                    vs_tower >= 1.5,
                ),
                ("postgres", CacheMode::On) => r.goal(
                    "1. session check ≥ 1.5× tower-sessions (Postgres, cache on)",
                    format!("{vs_tower:.2}×"),
                    vs_tower >= 1.5,
                ),
                _ => {}
            }
            r.line(format!(
                "| {backend} | {label} | {:.0} | {:.3} | {:.3} | **{vs_bare:.2}×** | **{vs_tower:.2}×** |",
                load.rps, load.p50_ms, load.p99_ms
            ));
            state.db.close().await;
        }
        db.drop_db().await;
    }
    r.line("");
    r.line("Goals: ≥ 0.8× the bare handler on SQLite, ≥ 1.5× tower-sessions on both back-ends, never accepting an ended session (the cache is invalidated before an ending returns: `races::a_session_is_never_accepted_after_its_termination_returned`, 10,000 pairs per database).");
    r.line("");

    // 2. The page vs hello.
    r.line("## 2. The Active sessions page");
    r.line("");
    r.line("`GET /active-sessions`, server-rendered for a user with 20 sessions, through the whole app (all middleware), vs a bare axum \"hello\" handler on the same server.");
    r.line("");
    r.line("| back-end | variant | req/s | p50 ms | p99 ms | ratio |");
    r.line("|---|---|---:|---:|---:|---:|");
    let mut wire_sizes = Vec::new();
    for backend in ["sqlite", "postgres"].into_iter().filter(|_| args.runs("page")) {
        let db = BenchDb::create(backend, &args.postgres).await;
        let state = state(&db.url, CacheMode::Auto).await;
        let (user, cookie) = signed_in(&state).await;
        let client = ClientInfo::local("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0");
        for _ in 0..19 {
            state.sessions.create(user, "not-a-hash", &client, EventKind::SignedIn, SignInMethod::Password, true, &Default::default()).await.unwrap();
        }
        let router = Router::new().route("/bench/hello", get(|| async { "hello" })).merge(server::app(state.clone()));
        let addr = serve(router).await;
        let hello = wrk(&format!("http://{addr}/bench/hello"), None, args.seconds, 32);
        let page = wrk(&format!("http://{addr}/active-sessions"), Some(&cookie), args.seconds, 32);
        r.line(format!("| {backend} | hello | {:.0} | {:.3} | {:.3} | 1.00 |", hello.rps, hello.p50_ms, hello.p99_ms));
        r.line(format!("| {backend} | /active-sessions (20 sessions) | {:.0} | {:.3} | {:.3} | **{:.2}** |", page.rps, page.p50_ms, page.p99_ms, page.rps / hello.rps));
        r.goal(format!("2. page / hello ≥ 0.5 ({backend})"), format!("{:.2}", page.rps / hello.rps), page.rps / hello.rps >= 0.5);
        if backend == "sqlite" {
            wire_sizes.push(wire::sizes(&state, addr, &cookie).await);
        }
        state.db.close().await;
        db.drop_db().await;
    }
    r.line("");
    r.line("Goal: ratio ≥ 0.5.");
    r.line("");
    for sizes in wire_sizes {
        wire::report(&sizes, &mut r);
    }

    // 8. A log-in flood against bounded hashing.
    if args.runs("flood") {
        flood::flood(&args, &mut r).await;
    }

    // 9. Two servers on one Postgres, caches on.
    if args.runs("servers") {
        servers::servers(&args, &mut r).await;
    }

    // 10. The operator API and webhooks.
    if args.runs("operator") {
        operator::operator(&args, &mut r).await;
    }

    // 3 + 4. Scale and clean-up.
    if args.scale > 0 && args.runs("scale") {
        scale(&args, &mut r).await;
        cleanup(&args, &mut r).await;
    } else {
        r.line("## 3. Scale and 4. expiry clean-up");
        r.line("");
        r.line("Skipped in this run (`BENCH_SCALE=0`).");
        r.line("");
    }

    // 6. Payload, 7. time to interactive: measured before this binary ran.
    r.line("## 6. Browser payload");
    r.line("");
    match args.payload_json.as_deref().and_then(|p| std::fs::read_to_string(p).ok()) {
        Some(json) => {
            let v: serde_json::Value = serde_json::from_str(&json).unwrap();
            r.line("What `/active-sessions` downloads (release build, `wasm-opt -Oz`, as served pre-compressed):");
            r.line("");
            r.line("| file | raw KiB | gzip KiB | brotli KiB |");
            r.line("|---|---:|---:|---:|");
            let kib = |n: &serde_json::Value| n.as_f64().unwrap_or(0.0) / 1024.0;
            for f in v["files"].as_array().unwrap() {
                r.line(format!("| {} | {:.1} | {:.1} | {:.1} |", f["file"].as_str().unwrap(), kib(&f["raw"]), kib(&f["gzip"]), kib(&f["brotli"])));
            }
            let t = &v["total"];
            r.line(format!("| **total** | {:.1} | {:.1} | **{:.1}** |", kib(&t["raw"]), kib(&t["gzip"]), kib(&t["brotli"])));
            r.goal("6. browser payload ≤ 64 KiB brotli", format!("{:.1} KiB", kib(&t["brotli"])), kib(&t["brotli"]) <= 64.0);
            r.line("");
            r.line("Goal: ≤ 64 KiB brotli in total; `make test` fails above it (`make payload`). For scale: start-axum's hello world is ≈ 100.5 KiB with full hydration, ≈ 45.7 KiB as islands.");
        }
        None => r.line("Not measured in this run."),
    }
    r.line("");
    r.line("## 7. Time to interactive");
    r.line("");
    match args.tti_json.as_deref().and_then(|p| std::fs::read_to_string(p).ok()) {
        Some(json) => {
            let v: serde_json::Value = serde_json::from_str(&json).unwrap();
            r.line("From navigation start to the first ⋮ button being operable (the island hydrated), Playwright in Chromium with CPU throttling through the DevTools protocol; median of 5 loads. On the phone also over DevTools' \"Slow 4G\" preset (562.5 ms request latency, 1.44 Mbit/s down, 0.68 Mbit/s up) with the browser cache disabled, like a first visit. \"First paint\" is the browser's first contentful paint: the server-rendered rows are there, with their no-JavaScript ⋮ menus, which already work; \"interactive\" is when the island has taken over. Reported, not asserted in tests.");
            r.line("");
            r.line("| project | CPU throttling | network | first paint ms (median) | interactive ms (median) | runs (ms) |");
            r.line("|---|---:|---|---:|---:|---|");
            for row in v.as_array().unwrap() {
                let project = row["project"].as_str().unwrap_or("?");
                let median = row["median"].as_f64().unwrap_or(f64::NAN);
                r.line(format!(
                    "| {} | {}× | {} | {:.0} | {:.0} | {} |",
                    project,
                    row["throttle"],
                    row["network"].as_str().unwrap_or("none"),
                    row["first_paint"].as_f64().unwrap_or(f64::NAN),
                    median,
                    row["runs"].as_array().map(|a| a.iter().map(|x| format!("{:.0}", x.as_f64().unwrap_or(0.0))).collect::<Vec<_>>().join(", ")).unwrap_or_default()
                ));
                if project.ends_with("slow-4g") {
                    r.goal("13. time to interactive, phone, Slow 4G + 6× CPU ≤ 1.5 s", format!("{:.2} s", median / 1000.0), median <= 1500.0);
                }
            }
        }
        None => r.line("Not measured in this run."),
    }
    r.line("");
    r.line(format!("Whole run: {:.1} minutes.", started.elapsed().as_secs_f64() / 60.0));
    r.line("");
    r.line(GAPS);
    // The goals at a glance go right under the title.
    let mut glance = String::from("## Goals at a glance\n\n| goal | this run | met |\n|---|---:|:---:|\n");
    for (goal, result, met) in &r.goals {
        let _ = std::fmt::Write::write_fmt(&mut glance, format_args!("| {goal} | {result} | {} |\n", if *met { "yes" } else { "**no**" }));
    }
    glance.push_str("\nWhere a goal is missed, \"Gaps\" at the end says why and what it would take.\n\n");
    let at = r.md.find("## 1.").unwrap_or(0);
    r.md.insert_str(at, &glance);
    std::fs::write(&args.out, &r.md).unwrap();
    eprintln!("wrote {}", args.out);
}


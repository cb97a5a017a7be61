//! Step 9: two app servers on one Postgres, both answering session checks from their caches
//! (leases with acknowledgements, `identity/session/check/fleet.rs`): the check through one against the bare
//! handler, 10,000 end-vs-use pairs across the two, and what an ending costs now that it waits
//! for the other server's acknowledgement.

use crate::{
    Args,
    check::check_servers,
    load::{Load, ROUNDS, median, wrk},
    report::Report,
    setup::{BenchDb, probe_user, signed_in, state},
};
use active_sessions::{
    identity::{client::ClientInfo, session::Checked},
    infra::config::CacheMode,
};
use futures::StreamExt;
use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

const PAIRS: usize = 10_000;

pub async fn servers(args: &Args, r: &mut Report) {
    r.line("## 9. Two servers on one Postgres, caches on");
    r.line("");
    r.line("Two app servers (two `AppState`s, each with its own cache, lease and notification connection) on one Postgres database. The session is created through server A and checked through server B's session layer; the bare handler is B's, given the very same request. Three alternating rounds, medians. Then 10,000 end-vs-use pairs: each session is used through B in a loop while A ends it; a check through B that starts after A's ending returned and still accepts the session is a violation. Last, the time an ending takes through A (it returns once B has acknowledged).");
    r.line("");
    let db = BenchDb::create("postgres", &args.postgres).await;
    let a = state(&db.url, CacheMode::On).await;
    let b = state(&db.url, CacheMode::On).await;
    for s in [&a, &b] {
        let fleet = s.sessions.fleet().expect("Postgres servers form a fleet").clone();
        let started = Instant::now();
        while !fleet.trusted() {
            assert!(started.elapsed() < Duration::from_secs(15), "a cache lease within 15 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let (_, cookie) = signed_in(&a).await;
    let (addr, _) = check_servers(&b).await;
    let (mut bares, mut checks): (Vec<Load>, Vec<Load>) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        bares.push(wrk(&format!("http://{addr}/bench/bare"), Some(&cookie), args.seconds, 32));
        checks.push(wrk(&format!("http://{addr}/bench/checked"), Some(&cookie), args.seconds, 32));
    }
    let (bare, check) = (median(bares), median(checks));
    let ratio = check.rps / bare.rps;
    r.line("| variant (server B) | req/s | p50 ms | p99 ms | vs bare |");
    r.line("|---|---:|---:|---:|---:|");
    r.line(format!("| bare handler | {:.0} | {:.3} | {:.3} | 1.00× |", bare.rps, bare.p50_ms, bare.p99_ms));
    r.line(format!("| our session layer, cache on (session made through A) | {:.0} | {:.3} | {:.3} | **{ratio:.2}×** |", check.rps, check.p50_ms, check.p99_ms));
    r.goal("9. two servers on one Postgres: session check ≥ 0.8× the bare handler", format!("{ratio:.2}×"), ratio >= 0.8);

    // End through A, use through B.
    let client = ClientInfo::local("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0");
    let (_, mut tokens) = probe_user(&a, PAIRS + 1).await;
    let actor_token = tokens.pop().unwrap();
    let Checked::Valid(actor) = a.sessions.check(&actor_token, &client).await.unwrap() else { panic!("the actor's session is valid") };
    let (checker, ender) = (b.sessions.clone(), a.sessions.clone());
    let started = Instant::now();
    let results: Vec<(usize, Duration)> = futures::stream::iter(tokens)
        .map(|token| {
            let (checker, ender, client, actor) = (checker.clone(), ender.clone(), client.clone(), actor.clone());
            async move {
                // Cached on B first.
                assert!(matches!(checker.check(&token, &client).await.unwrap(), Checked::Valid(_)));
                let ended = Arc::new(AtomicBool::new(false));
                let user = {
                    let (checker, client, ended, token) = (checker.clone(), client.clone(), ended.clone(), token.clone());
                    tokio::spawn(async move {
                        loop {
                            let after = ended.load(Ordering::SeqCst);
                            match (after, checker.check(&token, &client).await.unwrap()) {
                                (true, Checked::Valid(_)) => return 1usize,
                                (_, Checked::SignedOut(_)) => return 0,
                                (false, Checked::Valid(_)) => tokio::task::yield_now().await,
                            }
                        }
                    })
                };
                let t = Instant::now();
                assert!(ender.terminate(&actor, token.id(), &client).await.unwrap());
                let took = t.elapsed();
                ended.store(true, Ordering::SeqCst);
                let late = usize::from(matches!(checker.check(&token, &client).await.unwrap(), Checked::Valid(_)));
                (user.await.unwrap() + late, took)
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let violations: usize = results.iter().map(|(v, _)| v).sum();
    let mut took: Vec<f64> = results.iter().map(|(_, d)| d.as_secs_f64() * 1000.0).collect();
    took.sort_by(f64::total_cmp);
    let pct = |p: f64| took[((took.len() as f64 * p) as usize).min(took.len() - 1)];
    r.line("");
    r.line("| end-vs-use pairs across the servers | ended sessions accepted after the ending returned | ending p50 ms | ending p99 ms | seconds |");
    r.line("|---:|---:|---:|---:|---:|");
    r.line(format!("| {PAIRS} | **{violations}** | {:.2} | {:.2} | {:.1} |", pct(0.5), pct(0.99), started.elapsed().as_secs_f64()));
    r.goal("9. two caching servers: ended sessions accepted in 10,000 end-vs-use pairs = 0", violations.to_string(), violations == 0);
    r.line("");
    r.line("Goal: the check ≥ 0.8× the bare handler with two servers on one Postgres (the uncached path is about 0.35×, step 1), and 0 ended sessions accepted. The same race runs in `make test` (`servers::ended_sessions_are_never_accepted_by_caching_servers`); a server that loses its notification connection stops trusting its cache until resynchronised (`servers::a_member_that_loses_its_notifications_falls_back`).");
    r.line("");
    a.db.close().await;
    b.db.close().await;
    db.drop_db().await;
}

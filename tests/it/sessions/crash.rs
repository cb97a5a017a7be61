//! Crashes lose nothing: the server binary is killed with SIGKILL in the middle of sign-ins and
//! endings, then started again on the same database. Every ending that was acknowledged stays
//! ended (no session comes back), every acknowledged sign-in is still there, and SQLite's
//! `integrity_check` is clean. On each database.

use crate::support::*;
use reqwest::StatusCode;
use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

/// Waits (up to 60 s) until `ready` says so.
async fn until(what: &str, mut ready: impl FnMut() -> bool) {
    let started = Instant::now();
    while !ready() {
        assert!(started.elapsed() < Duration::from_secs(60), "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn until_async<F: std::future::Future<Output = bool>>(what: &str, mut ready: impl FnMut() -> F) {
    let started = Instant::now();
    while !ready().await {
        assert!(started.elapsed() < Duration::from_secs(60), "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The servers holding a live lease on the Postgres database at `url`.
async fn leases(url: &str) -> Vec<String> {
    let pool = sqlx::PgPool::connect(url).await.unwrap();
    let ids = sqlx::query_scalar(
        "SELECT id FROM cache_servers WHERE NOT fenced AND lease_until > (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    ids
}

/// A server function call as the browser's code makes it; the answer's status and session
/// cookie (if one was set).
async fn call(base: &str, path: &str, cookie: Option<&str>, fields: &[(&str, &str)]) -> Option<(StatusCode, Option<String>)> {
    let mut req = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .header("sec-fetch-site", "same-origin")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish());
    if let Some(cookie) = cookie {
        req = req.header("cookie", format!("session={cookie}"));
    }
    let res = req.send().await.ok()?;
    let status = res.status();
    let set = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.strip_prefix("session=")?.split(';').next().map(str::to_owned))
        .find(|v| !v.is_empty());
    // The answer must arrive whole: only then was it acknowledged.
    res.bytes().await.ok()?;
    Some((status, set))
}

async fn signed_in(base: &str, cookie: &str) -> bool {
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{base}/active-sessions"))
        .header("cookie", format!("session={cookie}"))
        .send()
        .await
        .unwrap();
    res.status() == StatusCode::OK
}

async fn crash_and_recover(backend: Backend) {
    let Some(db) = TestDb::create(backend).await else { return };
    let server = ServerProcess::start(&db.url, &[]).await;
    let base = server.base.clone();
    let email = format!("crash-{}@example.com", uuid_like());
    let (_, owner) = call(&base, "/api/signup", None, &[("email", &email), ("password", PASSWORD)]).await.unwrap();
    let owner = owner.unwrap();
    let signed_in_ok = Arc::new(Mutex::new(Vec::<String>::new()));
    let ended_ok = Arc::new(Mutex::new(Vec::<String>::new()));
    // Sign-ins and endings of some of them, as fast as they go, until the server dies.
    let workers: Vec<_> = (0..4)
        .map(|w| {
            let (base, email, owner, signed_in_ok, ended_ok) =
                (base.clone(), email.clone(), owner.clone(), signed_in_ok.clone(), ended_ok.clone());
            tokio::spawn(async move {
                for i in 0.. {
                    let Some((StatusCode::OK, Some(cookie))) =
                        call(&base, "/api/login", None, &[("email", &email), ("password", PASSWORD)]).await
                    else {
                        return;
                    };
                    if (i + w) % 2 == 0 {
                        let id = cookie.split('.').next().unwrap().to_owned();
                        match call(&base, "/api/sessions/terminate", Some(&owner), &[("id", &id)]).await {
                            Some((StatusCode::OK, _)) => ended_ok.lock().unwrap().push(cookie),
                            Some(_) => signed_in_ok.lock().unwrap().push(cookie),
                            None => return,
                        }
                    } else {
                        signed_in_ok.lock().unwrap().push(cookie);
                    }
                }
            })
        })
        .collect();
    // Kill it mid-way: once some sign-ins and endings were acknowledged, with more in flight.
    until("work under way before the kill", || signed_in_ok.lock().unwrap().len() + ended_ok.lock().unwrap().len() >= 8).await;
    server.kill();
    for w in workers {
        let _ = w.await;
    }
    let (signed, ended) = (signed_in_ok.lock().unwrap().clone(), ended_ok.lock().unwrap().clone());
    assert!(signed.len() + ended.len() > 4, "work was under way when the server died");

    let server = ServerProcess::start(&db.url, &[]).await;
    for cookie in &ended {
        assert!(!signed_in(&server.base, cookie).await, "an acknowledged ending came back");
    }
    // Every acknowledged sign-in is still there (none of them was ever a target of an ending).
    for cookie in &signed {
        assert!(signed_in(&server.base, cookie).await, "an acknowledged sign-in was lost");
    }
    assert!(signed_in(&server.base, &owner).await);
    server.kill();
    if backend == Backend::Sqlite {
        let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
        let check: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&pool).await.unwrap();
        assert_eq!(check, "ok");
        pool.close().await;
    }
    db.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_loses_nothing_acknowledged_sqlite() {
    bounded(crash_and_recover(Backend::Sqlite)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_loses_nothing_acknowledged_postgres() {
    bounded(crash_and_recover(Backend::Postgres)).await
}

/// Two caching servers on one Postgres; sessions are used (so cached) through A and ended
/// through B, and A is killed mid-way: B's endings still return (A's lease runs out), none of
/// the acknowledged ones is ever accepted again — by B, or by A started afresh.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_caching_server_never_brings_an_ending_back() {
    bounded(async {
        let Some(db) = TestDb::create(Backend::Postgres).await else { return };
        let (a, b) = (ServerProcess::start(&db.url, &[]).await, ServerProcess::start(&db.url, &[]).await);
        let email = format!("fleet-{}@example.com", uuid_like());
        let (_, owner) = call(&b.base, "/api/signup", None, &[("email", &email), ("password", PASSWORD)]).await.unwrap();
        let owner = owner.unwrap();
        // Both hold leases (and trust their caches from their first renewal on).
        let live_leases = || leases(&db.url);
        until_async("both servers hold a lease", || async { live_leases().await.len() >= 2 }).await;
        let ended_ok = Arc::new(Mutex::new(Vec::<String>::new()));
        let workers: Vec<_> = (0..4)
            .map(|_| {
                let (a, b, email, owner, ended_ok) = (a.base.clone(), b.base.clone(), email.clone(), owner.clone(), ended_ok.clone());
                tokio::spawn(async move {
                    loop {
                        let Some((StatusCode::OK, Some(cookie))) =
                            call(&a, "/api/login", None, &[("email", &email), ("password", PASSWORD)]).await
                        else {
                            return;
                        };
                        // Used through A: A caches it.
                        let used = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
                        if used.get(format!("{a}/active-sessions")).header("cookie", format!("session={cookie}")).send().await.is_err() {
                            return;
                        }
                        let id = cookie.split('.').next().unwrap().to_owned();
                        if let Some((StatusCode::OK, _)) = call(&b, "/api/sessions/terminate", Some(&owner), &[("id", &id)]).await {
                            ended_ok.lock().unwrap().push(cookie);
                        }
                    }
                })
            })
            .collect();
        until("endings acknowledged before the kill", || ended_ok.lock().unwrap().len() >= 6).await;
        a.kill();
        for w in workers {
            let _ = w.await;
        }
        let ended = ended_ok.lock().unwrap().clone();
        assert!(!ended.is_empty(), "endings were acknowledged before the crash");
        // B still ends sessions (the dead server's lease runs out), and refuses every ending.
        let started = Instant::now();
        let (_, extra) = call(&b.base, "/api/login", None, &[("email", &email), ("password", PASSWORD)]).await.unwrap();
        let extra = extra.unwrap();
        let id = extra.split('.').next().unwrap().to_owned();
        assert_eq!(call(&b.base, "/api/sessions/terminate", Some(&owner), &[("id", &id)]).await.unwrap().0, StatusCode::OK);
        assert!(started.elapsed() < Duration::from_secs(10), "an ending waited {:?} for a dead server", started.elapsed());
        let before = live_leases().await;
        let a = ServerProcess::start(&db.url, &[]).await;
        until_async("the restarted server holds a lease", || async { live_leases().await.iter().any(|id| !before.contains(id)) }).await;
        for cookie in ended.iter().chain(std::iter::once(&extra)) {
            assert!(!signed_in(&b.base, cookie).await, "B accepted an acknowledged ending");
            assert!(!signed_in(&a.base, cookie).await, "the restarted A accepted an acknowledged ending");
        }
        assert!(signed_in(&a.base, &owner).await && signed_in(&b.base, &owner).await);
        a.kill();
        b.kill();
        db.drop_database().await;
    })
    .await
}

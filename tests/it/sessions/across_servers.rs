//! Several app servers on one Postgres (behind a load balancer, no sticky sessions): an
//! ending through one is refused by the other on its very next request, and pushed to tabs
//! connected to the other (LISTEN/NOTIFY).

use crate::support::*;
use active_sessions::identity::session::{Change, LiveEvent};
use reqwest::StatusCode;
use std::time::Duration;

/// The same browser talking to another server: its cookies go with it.
fn on(server: &TestApp, device: &Device) -> Device {
    let mut moved = server.device(&device.user_agent);
    moved.cookie = device.cookie.clone();
    moved.device_token = device.device_token.clone();
    moved
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ending_through_one_server_is_honoured_and_pushed_by_the_other() {
    bounded(async {
        let Some(a) = TestApp::start(Backend::Postgres, |_| {}).await else { return };
        let b = a.another_server(|_| {}).await;
        let (mut phone, email) = a.signed_up(CHROME_MAC).await;
        let mut laptop = b.device(FIREFOX_WINDOWS);
        assert_eq!(laptop.log_in(&email).await.status, StatusCode::OK);
        // The laptop's tab listens on server B.
        let mut heard = b.state.live.subscribe();
        assert!(on(&a, &laptop).is_signed_in().await, "server A accepts B's session");
        // The phone, on server A, terminates the laptop.
        let res = phone.form("/api/sessions/terminate", &[("id", &laptop.session_id())]).await;
        assert_eq!(res.status, StatusCode::OK);
        // B refuses it on its very next request…
        let next = laptop.get("/active-sessions").await;
        b.lands(next.location(), "/login", "signed_out:terminated");
        // …and B's streams were told, through Postgres.
        let event = tokio::time::timeout(Duration::from_secs(2), async {
            loop {
                let e = heard.recv().await.unwrap();
                if matches!(e.change, Change::Ended(_)) {
                    return e;
                }
            }
        })
        .await
        .expect("B heard of the ending within 2 s");
        assert!(matches!(event, LiveEvent { change: Change::Ended(active_sessions::identity::model::EndReason::Terminated), .. }));
        b.finish().await;
        a.finish().await;
    })
    .await
}

/// The 10,000-pair race of `races.rs` across two servers on one Postgres: checks through
/// server B, terminations through server A. A session ended through A is never accepted by B
/// once the ending returned — here with the caches off: each server asks the database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ended_sessions_are_never_accepted_across_servers() {
    use active_sessions::infra::config::CacheMode;
    bounded(async {
        let Some(a) = TestApp::start(Backend::Postgres, |c| c.session_cache = CacheMode::Off).await else { return };
        let b = a.another_server(|c| c.session_cache = CacheMode::Off).await;
        let violations =
            crate::sessions::races::terminate_vs_use(&a, b.state.sessions.clone(), a.state.sessions.clone(), crate::sessions::races::PAIRS).await;
        assert_eq!(violations, 0, "server B accepted a session after server A's ending returned");
        b.finish().await;
        a.finish().await;
    })
    .await
}

/// Waits until `server`'s session cache is trusted (its lease is held and resynchronised).
async fn trusted(server: &TestApp) {
    let fleet = server.state.sessions.fleet().expect("Postgres servers form a fleet").clone();
    assert!(wait_for(|| fleet.trusted().then_some(())).await.is_some(), "the cache came into use within 10 s");
}

/// The same race with both servers answering from their caches (leases with
/// acknowledgements, `identity/fleet.rs`): still never an ended session accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ended_sessions_are_never_accepted_by_caching_servers() {
    use active_sessions::infra::config::CacheMode;
    bounded(async {
        let Some(a) = TestApp::start(Backend::Postgres, |c| c.session_cache = CacheMode::On).await else { return };
        let b = a.another_server(|c| c.session_cache = CacheMode::On).await;
        trusted(&a).await;
        trusted(&b).await;
        let violations =
            crate::sessions::races::terminate_vs_use(&a, b.state.sessions.clone(), a.state.sessions.clone(), crate::sessions::races::PAIRS).await;
        assert_eq!(violations, 0, "server B accepted, from its cache, a session after server A's ending returned");
        assert!(b.state.sessions.fleet().unwrap().trusted(), "B answered from its cache throughout");
        b.finish().await;
        a.finish().await;
    })
    .await
}

/// A server whose notification connection drops stops trusting its cache at once; an ending
/// through another server still returns (after fencing it, at worst a lease later) and is
/// refused by it; once reconnected, it resynchronises and trusts its cache again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_that_loses_its_notifications_falls_back() {
    bounded(async {
        let Some(a) = TestApp::start(Backend::Postgres, |_| {}).await else { return };
        let b = a.another_server(|_| {}).await;
        trusted(&a).await;
        trusted(&b).await;
        let (mut phone, email) = a.signed_up(CHROME_MAC).await;
        let mut laptop = b.device(FIREFOX_WINDOWS);
        laptop.log_in(&email).await;
        assert!(laptop.is_signed_in().await, "cached on B");
        // Cut every notification connection of the database (A's and B's).
        let admin = sqlx::PgPool::connect(&a.db.url).await.unwrap();
        let cut: Vec<i32> = sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid)::int FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'",
        )
        .fetch_all(&admin)
        .await
        .unwrap();
        assert!(cut.len() >= 2, "both servers were listening: {cut:?}");
        let started = std::time::Instant::now();
        let res = phone.form("/api/sessions/terminate", &[("id", &laptop.session_id())]).await;
        assert_eq!(res.status, StatusCode::OK);
        assert!(started.elapsed() < Duration::from_secs(5), "an ending waits at most about a lease");
        let next = laptop.get("/active-sessions").await;
        b.lands(next.location(), "/login", "signed_out:terminated");
        // Back in business.
        trusted(&b).await;
        let mut tablet = b.device(FIREFOX_WINDOWS);
        tablet.log_in(&email).await;
        assert!(tablet.is_signed_in().await);
        phone.form("/api/sessions/terminate", &[("id", &tablet.session_id())]).await;
        assert!(!tablet.is_signed_in().await);
        admin.close().await;
        b.finish().await;
        a.finish().await;
    })
    .await
}

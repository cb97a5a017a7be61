//! Several app servers on one Postgres (behind a load balancer, no sticky sessions): an
//! ending through one is refused by the other on its very next request, and pushed to tabs
//! connected to the other (LISTEN/NOTIFY).

use crate::support::*;
use active_sessions::identity::live::{Change, LiveEvent};
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
        assert!(matches!(event, LiveEvent { change: Change::Ended(active_sessions::identity::types::EndReason::Terminated), .. }));
        b.finish().await;
        a.finish().await;
    })
    .await
}

/// The 10,000-pair race of `races.rs` across two servers on one Postgres: checks through
/// server B, terminations through server A. A session ended through A is never accepted by B
/// once the ending returned (each server asks the database; the cache stays off across servers).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ended_sessions_are_never_accepted_across_servers() {
    bounded(async {
        let Some(a) = TestApp::start(Backend::Postgres, |_| {}).await else { return };
        let b = a.another_server(|_| {}).await;
        let violations =
            crate::races::terminate_vs_use(&a, b.state.sessions.clone(), a.state.sessions.clone(), crate::races::PAIRS).await;
        assert_eq!(violations, 0, "server B accepted a session after server A's ending returned");
        b.finish().await;
        a.finish().await;
    })
    .await
}

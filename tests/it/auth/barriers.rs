//! Rules that must hold when requests arrive at once (SECURITY.md, second round), raced over
//! real HTTP on each database: the attempt limit under a burst, a password change and an
//! account deletion racing log-ins in flight — with the session cache on, on both databases.

use crate::support::*;
use active_sessions::infra::config::{CacheMode, Config};
use reqwest::StatusCode;
use std::time::Duration;

/// Generous limits: these tests race the rules, not the throttle.
fn racing(config: &mut Config) {
    config.session_cache = CacheMode::On;
    config.login_max_failures_per_email = 1_000;
    config.login_max_failures_per_ip = 10_000;
    config.signup_max_per_ip = 1_000;
}

/// Log-ins started a little apart (0–60 ms) so that some are in flight at every moment of the
/// action they race.
async fn logins_in_flight(app: &TestApp, email: &str, password: &str, n: usize) -> Vec<tokio::task::JoinHandle<Option<Device>>> {
    (0..n)
        .map(|i| {
            let mut device = app.device(FIREFOX_WINDOWS);
            let (email, password) = (email.to_owned(), password.to_owned());
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis((i as u64 * 13) % 60)).await;
                let res = device.form("/api/login", &[("email", &email), ("password", &password)]).await;
                (res.status == StatusCode::OK).then_some(device)
            })
        })
        .collect()
}

async fn password_change_rounds(backend: Backend) {
    let Some(app) = TestApp::start(backend, racing).await else { return };
    let (mut owner, email) = app.signed_up(CHROME_MAC).await;
    let passwords = [PASSWORD, "a second fine passphrase"];
    let (mut won, mut lost) = (0, 0);
    for round in 0..12 {
        let (old, new) = (passwords[round % 2], passwords[(round + 1) % 2]);
        let logins = logins_in_flight(&app, &email, old, 6).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
        let res = owner
            .form("/api/change_password", &[("current_password", old), ("new_password", new), ("log_out_others", "on")])
            .await;
        assert_eq!(res.status, StatusCode::OK, "round {round}: {}", res.body);
        // The change has returned: no session made with the old password is accepted, now
        // or later — including log-ins that were still in flight.
        for login in logins {
            match login.await.unwrap() {
                Some(mut device) => {
                    won += 1;
                    assert!(!device.is_signed_in().await, "round {round}: a session made with the old password survived");
                }
                None => lost += 1,
            }
        }
        assert!(owner.is_signed_in().await, "the session that changed the password stays");
    }
    eprintln!("{backend:?}: {won} log-ins finished before the change, {lost} were refused by it");
    assert!(won > 0 && lost > 0, "the race was not exercised: {won} won, {lost} lost");
    app.finish().await;
}

async fn account_deletion_rounds(backend: Backend) {
    let Some(app) = TestApp::start(backend, racing).await else { return };
    let mut accepted_after = 0;
    for round in 0..10 {
        let (mut owner, email) = app.signed_up(CHROME_MAC).await;
        let logins = logins_in_flight(&app, &email, PASSWORD, 6).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
        let res = owner.form("/api/delete_account", &[("password", PASSWORD)]).await;
        assert_eq!(res.status, StatusCode::OK, "round {round}: {}", res.body);
        for login in logins {
            if let Some(mut device) = login.await.unwrap() {
                if device.is_signed_in().await {
                    accepted_after += 1;
                }
            }
        }
    }
    assert_eq!(accepted_after, 0, "sessions of a deleted account were accepted");
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_change_is_a_barrier_sqlite() {
    bounded(password_change_rounds(Backend::Sqlite)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_change_is_a_barrier_postgres() {
    bounded(password_change_rounds(Backend::Postgres)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_deletion_is_a_barrier_sqlite() {
    bounded(account_deletion_rounds(Backend::Sqlite)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_deletion_is_a_barrier_postgres() {
    bounded(account_deletion_rounds(Backend::Postgres)).await
}

backend_tests! {
    // 6.3.1 under concurrency: a burst of 60 wrong passwords for one email checks at most the
    // limit; every other answer is 429 with Retry-After.
    async fn concurrent_wrong_passwords_are_checked_at_most_the_limit(app: TestApp) {
        let (_, email) = app.signed_up(CHROME_MAC).await;
        let limit = app.state.config.login_max_failures_per_email as u64;
        let before = app.state.credentials.passwords.verifications();
        let attempts = (0..60).map(|i| {
            let mut device = app.device(FIREFOX_WINDOWS);
            let email = email.clone();
            tokio::spawn(async move {
                let res = device.form("/api/login", &[("email", &email), ("password", &format!("burst guess {i}"))]).await;
                (res.status, res.headers.contains_key("retry-after"))
            })
        });
        let answers: Vec<(StatusCode, bool)> = futures::future::join_all(attempts).await.into_iter().map(Result::unwrap).collect();
        let checked = app.state.credentials.passwords.verifications() - before;
        assert!(checked <= limit, "{checked} passwords were checked (limit {limit})");
        let wrong = answers.iter().filter(|(s, _)| *s == StatusCode::UNAUTHORIZED).count() as u64;
        assert_eq!(wrong, checked, "every checked attempt was answered as wrong");
        for (status, has_retry_after) in &answers {
            match *status {
                StatusCode::UNAUTHORIZED => {}
                StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => assert!(has_retry_after),
                other => panic!("unexpected {other}"),
            }
        }
    }
}

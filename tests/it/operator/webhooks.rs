//! Webhooks to a real receiver on 127.0.0.1: signed per Standard Webhooks (checked here with
//! the specification's algorithm, not the product's), retried with back-off after a failure,
//! redelivered on request, disabled after days of failure, refused for private addresses
//! unless allowed, shared between two servers without doubling up, and not lost when the
//! server delivering is killed.

use super::*;
use active_sessions::{
    app::state::AppState,
    identity::operator::Refused,
    infra::{clock::{Clock, SystemClock}, config::Config},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use serde_json::json;

/// The Standard Webhooks check, as a receiver writes it: HMAC-SHA256 of `id.timestamp.body`
/// keyed with the secret's base64-decoded bytes, compared with each `v1,` signature.
fn verify(secret: &str, r: &Received) -> bool {
    let key = STANDARD.decode(secret.strip_prefix("whsec_").unwrap()).unwrap();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.{}", r.id, r.timestamp, r.body).as_bytes());
    let expected = STANDARD.encode(mac.finalize().into_bytes());
    r.signature.split(' ').filter_map(|s| s.strip_prefix("v1,")).any(|s| s == expected)
}

async fn outbox_ids(app: &TestApp) -> Vec<i64> {
    sqlx_strings(app, "SELECT CAST(id AS TEXT) FROM webhook_outbox ORDER BY id").await.iter().map(|s| s.parse().unwrap()).collect()
}

backend_tests! {
    async fn endings_and_sign_ins_arrive_signed(app: TestApp) {
        let receiver = Receiver::start().await;
        let (endpoint, secret) = app.state.webhooks.add(&receiver.url, &["session.created,session.ended".into(), "account.suspended".into()]).await.unwrap();
        assert_eq!(endpoint.events, "account.suspended,session.created,session.ended");
        let (device, email) = app.signed_up(FIREFOX_WINDOWS).await;
        let user_id = app.user_id(&email).await;
        let created = receiver.wait_for(1).await;
        assert_eq!(created[0].json()["type"], "session.created");
        assert_eq!(created[0].json()["data"]["session_id"], device.session_id());
        assert_eq!(created[0].json()["data"]["user_id"], user_id);
        let t = token(&app, "ops", ALL).await;
        let res = call(&app, Some(&t), Method::DELETE, &format!("/api/v1/sessions/{}", device.session_id()), Some(json!({"reason": "Stolen"}))).await;
        assert_eq!(res.status, StatusCode::NO_CONTENT);
        let got = receiver.wait_for(2).await;
        let ended = got[1].json();
        assert_eq!(ended["type"], "session.ended");
        assert_eq!(ended["data"], json!({"user_id": user_id, "session_id": device.session_id(), "reason": "api", "detail": "Stolen"}));
        assert!(ended["timestamp"].as_str().unwrap().ends_with('Z'));
        let res = call(&app, Some(&t), Method::POST, &format!("/api/v1/users/{user_id}/suspend"), Some(json!({"reason": "Fraud"}))).await;
        assert_eq!(res.status, StatusCode::NO_CONTENT);
        let got = receiver.wait_for(3).await;
        assert_eq!(got[2].json()["type"], "account.suspended");
        assert_eq!(got[2].json()["data"]["reason"], "Fraud");
        for r in &got {
            assert!(r.id.starts_with("msg_"), "{r:?}");
            assert!(verify(&secret, r), "the signature verifies: {r:?}");
            let mut forged = r.clone();
            forged.body.push(' ');
            assert!(!verify(&secret, &forged), "a changed body does not verify");
            let age = (app.clock.now_ms() / 1000) - r.timestamp.parse::<i64>().unwrap();
            assert!((0..=5).contains(&age), "timestamp is the sending time");
        }
        let ids: Vec<&str> = got.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids.iter().collect::<std::collections::BTreeSet<_>>().len(), 3, "one id per message");
        assert!(receiver.of_type("account.reinstated").is_empty());
    }

    async fn a_failed_delivery_is_retried_with_backoff_and_can_be_sent_again(app: TestApp) {
        let receiver = Receiver::start().await;
        let (_, secret) = app.state.webhooks.add(&receiver.url, &[]).await.unwrap();
        receiver.answer(&[500]);
        let id = app.state.webhooks.test(&receiver.url).await.unwrap().unwrap();
        let first = receiver.wait_for(1).await;
        let attempts = wait_until(|| async { app.state.webhooks.attempts(10).await.unwrap() }, |a| !a.is_empty()).await;
        assert_eq!((attempts[0].status, attempts[0].error.as_deref()), (Some(500), Some("the endpoint answered 500 Internal Server Error")));
        let next: Vec<String> = sqlx_strings(&app, &format!("SELECT CAST(next_attempt_at - created_at AS TEXT) FROM webhook_outbox WHERE id = {id}")).await;
        assert!(next[0].parse::<i64>().unwrap() >= 5000, "the retry waits 5 s: {next:?}");
        assert!(!app.state.webhooks.delivered(id).await.unwrap());
        app.clock.advance(Duration::from_secs(5));
        let again = receiver.wait_for(2).await;
        assert_eq!(again[1].id, first[0].id, "a retry is the same message");
        assert!(verify(&secret, &again[1]));
        wait_until(|| async { app.state.webhooks.delivered(id).await.unwrap() }, |d| *d).await;
        assert!(app.state.webhooks.redeliver(id).await.unwrap());
        let third = receiver.wait_for(3).await;
        assert_eq!(third[2].id, first[0].id);
        assert!(!app.state.webhooks.redeliver(987_654).await.unwrap());
        wait_until(|| async { app.state.webhooks.attempts(10).await.unwrap() }, |a| a.len() == 3).await;
    }

    async fn an_endpoint_failing_for_days_is_disabled_until_tested(app: TestApp) {
        let receiver = Receiver::start().await;
        app.state.webhooks.add(&receiver.url, &[]).await.unwrap();
        receiver.answer(&[500, 500, 500]);
        let first = app.state.webhooks.test(&receiver.url).await.unwrap().unwrap();
        receiver.wait_for(1).await;
        wait_until(|| async { app.state.webhooks.list().await.unwrap() }, |l| l[0].failing_since.is_some()).await;
        app.clock.advance(Duration::from_secs(3 * 24 * 3600 + 1));
        app.state.webhooks.test(&receiver.url).await.unwrap().unwrap();
        receiver.wait_for(3).await;
        let listed = wait_until(|| async { app.state.webhooks.list().await.unwrap() }, |l| l[0].disabled_at.is_some()).await;
        assert!(listed[0].failing_since.is_some());
        let given_up = sqlx_strings(&app, &format!("SELECT CAST(COUNT(*) AS TEXT) FROM webhook_outbox WHERE id = {first} AND given_up_at IS NOT NULL")).await;
        assert_eq!(given_up, vec!["1"], "a day of retries, then no more");
        // Disabled: nothing new is queued for it.
        let before = outbox_ids(&app).await.len();
        app.signed_up(FIREFOX_WINDOWS).await;
        assert_eq!(outbox_ids(&app).await.len(), before);
        // `webhook test` enables it again, and a success clears the failure.
        let id = app.state.webhooks.test(&receiver.url).await.unwrap().unwrap();
        wait_until(|| async { app.state.webhooks.delivered(id).await.unwrap() }, |d| *d).await;
        let listed = app.state.webhooks.list().await.unwrap();
        assert_eq!((listed[0].disabled_at, listed[0].failing_since), (None, None));
    }

    async fn two_servers_share_the_outbox_without_sending_twice(app: TestApp) {
        let other = app.another_server(|_| {}).await;
        let receiver = Receiver::start().await;
        app.state.webhooks.add(&receiver.url, &[]).await.unwrap();
        let mut ids = Vec::new();
        for _ in 0..40 {
            ids.push(app.state.webhooks.test(&receiver.url).await.unwrap().unwrap());
        }
        for id in &ids {
            wait_until(|| async { app.state.webhooks.delivered(*id).await.unwrap() }, |d| *d).await;
        }
        let got = receiver.received();
        let unique: std::collections::BTreeSet<&str> = got.iter().map(|r| r.id.as_str()).collect();
        assert_eq!((unique.len(), got.len()), (40, 40), "each message once");
        other.finish().await;
    }

    async fn addresses_on_private_networks_are_refused(app: TestApp) {
        let strict = app.another_server(|c| c.webhook_allow_private = false).await;
        for url in [
            "http://127.0.0.1:8080/hook",
            "http://localhost/hook",
            "http://10.1.2.3/hook",
            "http://192.168.0.1/",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]/hook",
            "http://[fd00::1]/hook",
            "http://0.0.0.0/",
            "ftp://example.com/",
            "file:///etc/passwd",
            "not a url",
        ] {
            assert!(matches!(strict.state.webhooks.add(url, &[]).await, Err(Refused::Url(_))), "{url} refused");
        }
        assert!(matches!(strict.state.webhooks.add("https://example.com/hook", &["session.nonsense".into()]).await, Err(Refused::UnknownEvent(_))));
        assert!(strict.state.webhooks.list().await.unwrap().is_empty());
        strict.finish().await;
    }
}

/// Polls `read` (every 20 ms, up to 10 s) until `done` holds for what it read.
async fn wait_until<T, F: std::future::Future<Output = T>>(mut read: impl FnMut() -> F, done: impl Fn(&T) -> bool) -> T {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let value = read().await;
        if done(&value) {
            return value;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The server delivering is killed (SIGKILL) while its receiver has the message and has not
/// answered; restarted, it sends the message again, and it is delivered — once more at most.
async fn killed_mid_delivery(backend: Backend) {
    let Some(db) = TestDb::create(backend).await else { return };
    let receiver = Receiver::start().await;
    let env = [("WEBHOOK_ALLOW_PRIVATE", "1"), ("WEBHOOK_TIMEOUT", "2s")];
    let server = ServerProcess::start(&db.url, &env).await;
    let mut config = Config::defaults();
    config.database_url = db.url.clone();
    config.webhook_allow_private = true;
    // The test's own handle on the database: it queues and inspects, it does not deliver.
    let state = AppState::build(config, Arc::new(SystemClock)).await.unwrap();
    state.webhooks.add(&receiver.url, &[]).await.unwrap();
    receiver.hang(1);
    let id = state.webhooks.test(&receiver.url).await.unwrap().unwrap();
    receiver.wait_for(1).await;
    server.kill();
    assert!(!state.webhooks.delivered(id).await.unwrap(), "nothing was acknowledged");
    let server = ServerProcess::start(&db.url, &env).await;
    let got = receiver.wait_for(2).await;
    assert_eq!(got[1].id, got[0].id, "the same message, sent again");
    wait_until(|| async { state.webhooks.delivered(id).await.unwrap() }, |d| *d).await;
    assert_eq!(receiver.received().len(), 2, "delivered exactly once after the restart");
    server.kill();
    state.db.close().await;
    db.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_delivery_loses_nothing_sqlite() {
    bounded(killed_mid_delivery(Backend::Sqlite)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_delivery_loses_nothing_postgres() {
    bounded(killed_mid_delivery(Backend::Postgres)).await
}

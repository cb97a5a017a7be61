//! What travels: pages are compressed as the browser accepts, and the Active sessions page of
//! an account with 20 sessions fits in 8 KiB on the wire.

use crate::support::*;
use active_sessions::{
    identity::session::{SessionRecord, SessionToken, seed_sessions},
    infra::clock::Clock,
};
use reqwest::StatusCode;

backend_tests! {
    async fn the_page_is_compressed_and_small_on_the_wire(app: TestApp) {
        let (mut device, email) = app.signed_up(CHROME_MAC).await;
        let user_id = app.user_id(&email).await;
        let now = app.clock.now_ms();
        let others: Vec<SessionRecord> = (0..19)
            .map(|i| {
                let token = SessionToken::generate();
                let mut s = SessionRecord::seed(token.id(), &token.secret_hash(), user_id, now - i * 60_000, 7 * 24 * 3600 * 1000);
                s.ip = format!("81.2.69.{}", 100 + i);
                s.location = Some("London, United Kingdom".to_owned());
                s
            })
            .collect();
        seed_sessions(&app.state.db, &others).await.unwrap();
        let plain = device.get("/active-sessions").await;
        assert_eq!(plain.status, StatusCode::OK);
        assert_eq!(plain.body.matches("data-session-id=").count(), 20);
        for (encoding, limit) in [("br", 8 * 1024), ("gzip", 12 * 1024)] {
            let res = device.request(reqwest::Method::GET, "/active-sessions", &[("accept-encoding", encoding)], None).await;
            assert_eq!(res.headers["content-encoding"], encoding);
            let wire = res.wire_bytes;
            eprintln!("/active-sessions, 20 sessions: {} bytes plain, {wire} bytes {encoding}", plain.body.len());
            assert!(wire <= limit, "{wire} bytes {encoding} (limit {limit})");
        }
    }
}

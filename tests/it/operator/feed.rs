//! The audit feed a SIEM polls: oldest first, page after page, and under concurrent writes no
//! event is skipped or repeated (on Postgres ids are handed out before commit, so this is the
//! case that needs the feed's transaction rule).

use super::*;
use std::collections::BTreeSet;

backend_tests! {
    async fn the_feed_pages_through_every_event_of_every_account(app: TestApp) {
        for _ in 0..3 {
            app.signed_up(FIREFOX_WINDOWS).await;
        }
        let t = token(&app, "siem", &[Scope::EventsRead]).await;
        let mut after = String::new();
        let mut seen = Vec::new();
        loop {
            let query = if after.is_empty() { "/api/v1/events?limit=2".to_owned() } else { format!("/api/v1/events?limit=2&after={after}") };
            let page = call(&app, Some(&t), Method::GET, &query, None).await;
            assert_eq!(page.status, StatusCode::OK, "{}", page.body);
            let doc = page.json();
            let events = doc["events"].as_array().unwrap();
            assert!(events.len() <= 2);
            if events.is_empty() {
                assert_eq!(doc["next"].as_str().unwrap(), after, "an empty page keeps the cursor");
                break;
            }
            for e in events {
                assert!(e["at"].as_str().unwrap().ends_with('Z'));
                seen.push((e["id"].as_i64().unwrap(), e["type"].as_str().unwrap().to_owned(), e["user_id"].as_i64()));
            }
            after = doc["next"].as_str().unwrap().to_owned();
        }
        assert_eq!(seen.iter().filter(|(_, kind, _)| kind == "signed_up").count(), 3);
        let ids: Vec<i64> = seen.iter().map(|(id, ..)| *id).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        assert_eq!(ids, sorted, "oldest first");
        assert_eq!(ids.len() as i64, app.state.feed.len().await.unwrap());
    }

    async fn concurrent_writes_are_neither_skipped_nor_repeated(app: TestApp) {
        let t = token(&app, "siem", &[Scope::EventsRead]).await;
        let mut users = Vec::new();
        for _ in 0..4 {
            let (_, email) = app.signed_up(FIREFOX_WINDOWS).await;
            users.push(app.user_id(&email).await);
        }
        // Each suspension and reinstatement records its event in its own transaction.
        let writers: Vec<_> = users
            .into_iter()
            .map(|user_id| {
                let admin = app.state.admin.clone();
                tokio::spawn(async move {
                    let actor = active_sessions::identity::admin::Actor::operator();
                    for i in 0..12 {
                        admin.api_suspend(&actor, user_id, i % 2 == 0, "feed test").await.unwrap();
                    }
                })
            })
            .collect();
        let read_page = |after: String| {
            let (base, t) = (app.url(""), t.clone());
            async move {
                let text = reqwest::Client::new()
                    .get(format!("{base}/api/v1/events?limit=5&after={after}"))
                    .header("authorization", format!("Bearer {t}"))
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap();
                let page: Value = serde_json::from_str(&text).unwrap();
                let ids: Vec<i64> = page["events"].as_array().unwrap().iter().map(|e| e["id"].as_i64().unwrap()).collect();
                (ids, page["next"].as_str().unwrap().to_owned())
            }
        };
        // Read while the writers write, then on until every event is in (on Postgres the feed
        // holds back what an older transaction — of any database of the cluster — might still
        // precede, so "caught up" is a count, not an empty page).
        let mut after = "0-0".to_owned();
        let mut seen = Vec::new();
        while writers.iter().any(|w| !w.is_finished()) {
            let (ids, next) = read_page(after.clone()).await;
            seen.extend(ids);
            after = next;
        }
        for w in writers {
            w.await.unwrap();
        }
        let total = app.state.feed.len().await.unwrap() as usize;
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
        while seen.len() < total && tokio::time::Instant::now() < deadline {
            let (ids, next) = read_page(after.clone()).await;
            if ids.is_empty() {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            seen.extend(ids);
            after = next;
        }
        let unique: BTreeSet<i64> = seen.iter().copied().collect();
        assert_eq!(unique.len(), seen.len(), "no event repeated");
        let all: BTreeSet<i64> = sqlx_strings(&app, "SELECT CAST(id AS TEXT) FROM security_events").await.iter().map(|s| s.parse().unwrap()).collect();
        assert_eq!(unique, all, "no event skipped");
        assert!(all.len() >= 48);
    }
}

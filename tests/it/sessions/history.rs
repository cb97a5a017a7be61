//! What the Active sessions page tells about each session beyond the basics — its history and
//! flags, a name of the person's choosing, "This wasn't me" — and auto sign-out, on both
//! databases.

use crate::support::*;
use reqwest::StatusCode;
use std::time::Duration;

const DAY: Duration = Duration::from_secs(24 * 3600);

/// One row of `device`'s list, by session id.
async fn row(device: &mut Device, id: &str) -> serde_json::Value {
    let list = device.list().await.json();
    list["sessions"].as_array().unwrap().iter().find(|s| s["id"] == id).cloned().unwrap_or_else(|| panic!("no row {id}: {list}"))
}

backend_tests! {
    // History is recorded as the browser's own requests show changes; flags follow from it.
    async fn history_and_flags_come_from_what_was_recorded(app: TestApp) {
        let (mut owner, email) = app.signed_up(CHROME_MAC).await;
        let mut other = app.device(FIREFOX_WINDOWS);
        other.log_in(&email).await;
        let id = other.session_id();
        let row_before = row(&mut owner, &id).await;
        assert_eq!(row_before["flags"].as_array().unwrap().len(), 1, "a new device, nothing else: {row_before}");
        // The same cookie, later, from another browser: a change worth a flag.
        app.clock.advance(Duration::from_secs(120));
        other.user_agent = CHROME_MAC.to_owned();
        assert!(other.is_signed_in().await);
        let flagged = row(&mut owner, &id).await;
        let changed = flagged["flags"].as_array().unwrap().iter().find(|f| f["kind"] == "Changed").cloned().expect("a change flag");
        assert_eq!(changed["reason"], "Browser changed from Firefox on Windows to Chrome on macOS");
        // The details page shows the whole history, newest first, and nobody else's.
        let details = owner.form("/api/sessions/details", &[("id", &id)]).await.json();
        let history: Vec<&str> = details["history"].as_array().unwrap().iter().map(|h| h["device"].as_str().unwrap()).collect();
        assert_eq!(history, vec!["Chrome on macOS", "Firefox on Windows"]);
        let page = owner.get(&format!("/active-sessions/{id}/details")).await;
        assert!(page.body.contains("Session details — Chrome on macOS") && page.body.contains("Changed during this session"));
        let (mut stranger, _) = app.signed_up(CHROME_MAC).await;
        let theirs = stranger.form("/api/sessions/details", &[("id", &id)]).await;
        let unknown = stranger.form("/api/sessions/details", &[("id", "AAAAAAAAAAAAAAAAAAAAAA")]).await;
        assert_eq!((theirs.status, theirs.body.as_str()), (unknown.status, unknown.body.as_str()));
        assert_eq!(theirs.status, StatusCode::NOT_FOUND);
        // At most 20 entries are kept.
        for i in 0..30 {
            other.user_agent = if i % 2 == 0 { FIREFOX_WINDOWS.to_owned() } else { CHROME_MAC.to_owned() };
            other.get("/healthz").await;
            assert!(other.is_signed_in().await);
        }
        let details = owner.form("/api/sessions/details", &[("id", &id)]).await.json();
        assert_eq!(details["history"].as_array().unwrap().len(), 20);
    }

    // A name of the person's choosing, up to 40 characters, theirs only, recorded.
    async fn sessions_can_be_renamed(app: TestApp) {
        let (mut owner, email) = app.signed_up(CHROME_MAC).await;
        let mut laptop = app.device(FIREFOX_WINDOWS);
        laptop.log_in(&email).await;
        let id = laptop.session_id();
        let res = owner.form("/api/sessions/rename", &[("id", &id), ("name", "  Work laptop  ")]).await;
        assert_eq!((res.status, res.body.as_str()), (StatusCode::OK, "Work laptop"));
        let named = row(&mut owner, &id).await;
        assert_eq!((named["name"].as_str(), named["device"].as_str()), (Some("Work laptop"), Some("Firefox on Windows")));
        let page = owner.get("/active-sessions").await;
        assert!(page.body.contains("Work laptop") && page.body.contains("Session actions — Work laptop"));
        let forty = "x".repeat(40);
        assert_eq!(owner.form("/api/sessions/rename", &[("id", &id), ("name", &forty)]).await.status, StatusCode::OK);
        let too_long = owner.form("/api/sessions/rename", &[("id", &id), ("name", &"é".repeat(41))]).await;
        assert_eq!((too_long.status, too_long.body.as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "name_too_long"));
        // Empty: back to the device label.
        let res = owner.form("/api/sessions/rename", &[("id", &id), ("name", "")]).await;
        assert_eq!(res.body, "Firefox on Windows");
        assert!(row(&mut owner, &id).await["name"].is_null());
        // Someone else's session is like one that does not exist, and keeps its name.
        owner.form("/api/sessions/rename", &[("id", &id), ("name", "Mine")]).await;
        let (mut stranger, _) = app.signed_up(CHROME_MAC).await;
        let theirs = stranger.form("/api/sessions/rename", &[("id", &id), ("name", "Pwned")]).await;
        let unknown = stranger.form("/api/sessions/rename", &[("id", "AAAAAAAAAAAAAAAAAAAAAA"), ("name", "Pwned")]).await;
        assert_eq!((theirs.status, theirs.body.as_str()), (unknown.status, unknown.body.as_str()));
        assert_eq!(row(&mut owner, &id).await["name"], "Mine");
        let renames = sqlx_strings(&app, "SELECT kind FROM security_events WHERE kind = 'session_renamed'").await;
        assert_eq!(renames.len(), 4);
        // Without JavaScript: a page with the form, posting back to the list.
        let page = owner.get(&format!("/active-sessions/{id}/rename")).await;
        assert!(page.body.contains("Session name") && page.body.contains("value=\"Mine\""));
        let res = owner.html_form("/api/sessions/rename", &format!("/active-sessions/{id}/rename"), &[("id", &id), ("name", "Desk")]).await;
        app.lands(res.location(), "/active-sessions", "notice:renamed");
    }

    // "This wasn't me" on a flagged row: that session and every other but this one end; the
    // same password rule as ending other sessions.
    async fn this_wasnt_me_on_a_row(app: TestApp) {
        let (mut owner, email) = app.signed_up(CHROME_MAC).await;
        app.clock.advance(Duration::from_secs(1));
        let mut intruder = app.device(FIREFOX_WINDOWS);
        intruder.log_in(&email).await;
        let mut tablet = app.device(FIREFOX_WINDOWS);
        tablet.log_in(&email).await;
        // The current session is not "not me".
        let own = owner.session_id();
        assert_eq!(owner.form("/api/sessions/not_me", &[("id", &own)]).await.status, StatusCode::NOT_FOUND);
        app.clock.advance(Duration::from_secs(11 * 60));
        let res = owner.form("/api/sessions/not_me", &[("id", &intruder.session_id())]).await;
        assert_eq!((res.status, res.body.as_str()), (StatusCode::FORBIDDEN, "reauth_required"));
        let res = owner.form("/api/sessions/not_me", &[("id", &intruder.session_id()), ("password", PASSWORD)]).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert!(res.body.starts_with("2 "), "{}", res.body);
        assert!(res.body.contains("/settings/review?msg="), "leads to the review: {}", res.body);
        assert!(!intruder.is_signed_in().await && !tablet.is_signed_in().await && owner.is_signed_in().await);
        assert_eq!(sqlx_strings(&app, "SELECT kind FROM security_events WHERE kind = 'not_me'").await.len(), 1);
    }

    // Auto sign-out: the account's own idle limit, exact to the second, applied to the
    // sessions already open. (The server's default idle timeout is 7 days too; the next test
    // shows the account's limit inside a longer one.)
    async fn auto_sign_out_ends_unused_sessions_at_the_limit(app: TestApp) {
        let (mut owner, email) = app.signed_up(CHROME_MAC).await;
        let (mut early, mut late) = (app.device(FIREFOX_WINDOWS), app.device(FIREFOX_WINDOWS));
        early.log_in(&email).await;
        late.log_in(&email).await;
        let res = owner.html_form("/api/sessions/set_auto_sign_out", "/settings/account", &[("after", "7")]).await;
        app.lands(res.location(), "/settings/account", "notice:auto_sign_out_saved");
        let page = owner.get("/settings/account").await;
        assert!(page.body.contains("Sign out devices I haven") && page.body.contains("value=\"7\" selected"), "the choice is shown");
        app.clock.advance(7 * DAY - Duration::from_secs(1));
        assert!(early.is_signed_in().await, "one second before the limit");
        app.clock.advance(Duration::from_secs(2));
        let res = late.get("/settings/account").await;
        assert_eq!(app.landing(res.location()).1.as_deref(), Some("signed_out:expired"), "one second after it");
        // Bad values are a clear 400 and change nothing.
        let res = early.form("/api/sessions/set_auto_sign_out", &[("after", "1000")]).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST);
        assert_eq!(sqlx_strings(&app, "SELECT kind FROM security_events WHERE kind = 'auto_sign_out_changed'").await.len(), 1);
    }
}

/// With a server idle timeout of 90 days, the account's 30 days applies — to the second — and
/// "never" gives the server's back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_accounts_limit_applies_within_the_servers() {
    bounded(async {
        let Some(app) = TestApp::start(Backend::Sqlite, |c| {
            c.session_idle_timeout = 90 * DAY;
            c.session_max_lifetime = 365 * DAY;
        })
        .await
        else {
            return;
        };
        let (mut owner, email) = app.signed_up(CHROME_MAC).await;
        owner.form("/api/sessions/set_auto_sign_out", &[("after", "30")]).await;
        // Sessions that start after the choice get it too.
        let (mut early, mut late) = (app.device(FIREFOX_WINDOWS), app.device(FIREFOX_WINDOWS));
        early.log_in(&email).await;
        late.log_in(&email).await;
        app.clock.advance(30 * DAY - Duration::from_secs(1));
        assert!(early.is_signed_in().await);
        app.clock.advance(Duration::from_secs(2));
        assert!(!late.is_signed_in().await, "unused for 30 days and a second");
        // Never: the server's 90 days again.
        assert!(early.is_signed_in().await);
        early.form("/api/sessions/set_auto_sign_out", &[("after", "never")]).await;
        app.clock.advance(89 * DAY);
        assert!(early.is_signed_in().await);
        app.finish().await;
    })
    .await
}

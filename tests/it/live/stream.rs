//! The event stream (SECURITY.md: push channels close when their session ends), over HTTP on
//! each database: a tab is told at once that its session ended and why, the stream closes
//! with it, other tabs hear of new and ended sessions, a signed-out reconnect is told why, and
//! the number of streams is capped.

use crate::support::*;
use active_sessions::identity::session::STREAMS_PER_SESSION;
use reqwest::StatusCode;
use std::time::Duration;

/// An open event stream, read event by event.
struct Stream {
    response: reqwest::Response,
    buffer: String,
}

impl Stream {
    async fn open(app: &TestApp, device: &Device) -> Stream {
        let response = reqwest::Client::new()
            .get(app.url("/events"))
            .header("cookie", format!("session={}", device.cookie.clone().unwrap_or_default()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        Stream { response, buffer: String::new() }
    }

    /// The next event as (name, data), skipping heartbeats; `None` when the stream closed.
    async fn next(&mut self) -> Option<(String, String)> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let field = |name: &str| block.lines().find_map(|l| l.strip_prefix(name)).map(|v| v.trim().to_owned());
                if let Some(event) = field("event:") {
                    return Some((event, field("data:").unwrap_or_default()));
                }
                continue;
            }
            let chunk = tokio::time::timeout(Duration::from_secs(8), self.response.chunk()).await.expect("an event within 8 s").ok()??;
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// The next event other than `open`.
    async fn next_news(&mut self) -> Option<(String, String)> {
        loop {
            match self.next().await {
                Some((name, _)) if name == "open" => continue,
                other => return other,
            }
        }
    }
}

fn ended(reason: &str) -> Option<(String, String)> {
    Some(("ended".to_owned(), reason.to_owned()))
}

backend_tests! {
    async fn a_tab_is_told_at_once_and_its_stream_closes(app: TestApp) {
        let (mut a, email) = app.signed_up(CHROME_MAC).await;
        let mut b = app.device(FIREFOX_WINDOWS);
        b.log_in(&email).await;
        let mut b_stream = Stream::open(&app, &b).await;
        let mut a_stream = Stream::open(&app, &a).await;
        assert_eq!(app.state.live.open_streams(), 2);
        let res = a.form("/api/sessions/terminate", &[("id", &b.session_id())]).await;
        assert_eq!(res.status, StatusCode::OK);
        assert_eq!(b_stream.next_news().await, ended("terminated"));
        assert_eq!(b_stream.next().await, None, "the stream closed with its session");
        // The other tab of the account heard that a session went away.
        assert_eq!(a_stream.next_news().await, Some(("sessions".to_owned(), format!("removed {}", b.session_id()))));
        // A new sign-in elsewhere is announced to it too.
        let mut c = app.device(FIREFOX_WINDOWS);
        c.log_in(&email).await;
        assert_eq!(a_stream.next_news().await, Some(("sessions".to_owned(), format!("added {}", c.session_id()))));
        let row = a.get(&format!("/active-sessions/rows/{}", c.session_id())).await;
        assert_eq!(row.status, StatusCode::OK);
        assert!(row.body.starts_with("<li") && row.body.contains(&format!("data-session-id=\"{}\"", c.session_id())));
        assert!(row.body.contains("Firefox on Windows"));
        // Nobody else's rows.
        let (mut stranger, _) = app.signed_up(CHROME_MAC).await;
        assert_eq!(stranger.get(&format!("/active-sessions/rows/{}", c.session_id())).await.status, StatusCode::NOT_FOUND);
        drop(a_stream);
        drop(b_stream);
        for _ in 0..50 {
            if app.state.live.open_streams() == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(app.state.live.open_streams(), 0, "no stream outlives its tab");
    }

    // Every reason is said: log-out elsewhere, password change, administrator, expiry.
    async fn every_reason_is_said(app: TestApp) {
        let (mut a, email) = app.signed_up(CHROME_MAC).await;
        // Logged out (the same browser, another tab).
        let mut same = Stream::open(&app, &a).await;
        a.form("/api/logout", &[]).await;
        assert_eq!(same.next_news().await, ended("logged_out"));
        // Password changed elsewhere.
        let mut b = app.device(FIREFOX_WINDOWS);
        b.log_in(&email).await;
        let mut c = app.device(FIREFOX_WINDOWS);
        c.log_in(&email).await;
        let mut c_stream = Stream::open(&app, &c).await;
        b.form("/api/change_password", &[("current_password", PASSWORD), ("new_password", "one more fine passphrase"), ("log_out_others", "on")]).await;
        assert_eq!(c_stream.next_news().await, ended("password_changed"));
        // Expired: the stream notices by itself.
        let mut b_stream = Stream::open(&app, &b).await;
        app.clock.advance(app.state.config.session_idle_timeout + Duration::from_secs(1));
        assert_eq!(b_stream.next_news().await, ended("expired"));
        // A signed-out reconnect (the cookie of an ended session) is told why, and closed.
        let mut again = reqwest::Client::new()
            .get(app.url("/events"))
            .header("cookie", format!("session={}", c.cookie.clone().unwrap()))
            .send()
            .await
            .unwrap();
        let body = tokio::time::timeout(Duration::from_secs(5), async {
            let mut text = String::new();
            while let Ok(Some(chunk)) = again.chunk().await {
                text.push_str(&String::from_utf8_lossy(&chunk));
            }
            text
        })
        .await
        .expect("closed at once");
        assert!(body.contains("event: ended") && body.contains("data: password_changed"), "{body}");
    }

    async fn streams_are_capped_per_session(app: TestApp) {
        let (a, _) = app.signed_up(CHROME_MAC).await;
        let mut open = Vec::new();
        for _ in 0..STREAMS_PER_SESSION {
            open.push(Stream::open(&app, &a).await);
        }
        let res = reqwest::Client::new()
            .get(app.url("/events"))
            .header("cookie", format!("session={}", a.cookie.clone().unwrap()))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(res.headers().contains_key("retry-after"));
    }

    // A sign-in from a new device is a banner on the account's open tabs (the sentence comes
    // from the server); a known browser signing in again is not.
    async fn a_new_device_is_a_banner_on_open_tabs(app: TestApp) {
        let (a, email) = app.signed_up(CHROME_MAC).await;
        let mut tab = Stream::open(&app, &a).await;
        let mut b = app.device(FIREFOX_WINDOWS);
        b.log_in(&email).await;
        assert_eq!(tab.next_news().await, Some(("sessions".to_owned(), format!("added {}", b.session_id()))));
        let banner = Some(("alert".to_owned(), "New sign-in from a new device: Firefox on Windows, Local network.".to_owned()));
        assert_eq!(tab.next_news().await, banner);
        let news = |change: &str, id: &str| Some(("sessions".to_owned(), format!("{change} {id}")));
        let old = b.session_id();
        b.log_in(&email).await;
        assert_eq!(tab.next_news().await, news("removed", &old));
        assert_eq!(tab.next_news().await, news("added", &b.session_id()));
        // No banner in between: the next news is the next thing that happens.
        let mut a = a;
        a.form("/api/sessions/terminate", &[("id", &b.session_id())]).await;
        assert_eq!(tab.next_news().await, news("removed", &b.session_id()));
    }
}

/// A change of how the account signs in, made from one session, is shown on the others' tabs.
mod changes {
    use super::Stream;
    use crate::support::*;

    backend_tests! {
        async fn a_change_of_how_one_signs_in_shows_on_other_tabs(app: TestApp) {
            let (owner, email) = app.signed_up(CHROME_MAC).await;
            let mut other = app.device(FIREFOX_WINDOWS);
            other.log_in(&email).await;
            let mut tab = Stream::open(&app, &owner).await;
            app.turn_on_two_factor(&mut other).await;
            let (name, data) = loop {
                let (name, data) = tab.next_news().await.expect("the stream stays open");
                if name == "alert" {
                    break (name, data);
                }
            };
            assert_eq!(name, "alert");
            assert!(data.starts_with("Two-factor authentication was turned on from Firefox on Windows"), "{data}");
        }
    }
}

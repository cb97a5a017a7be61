//! The event stream (server side).

use crate::identity::{
    Identity,
    model::{EndReason, EventKind},
    session::{AuthSession, Change, LiveEvent},
    web::{RequestAuth, SignedOutBecause},
};
use axum::{
    extract::{Request, State},
    response::{
        IntoResponse, Response,
        sse::{Event, KeepAlive, Sse},
    },
};
use futures::stream::{self, Stream};
use http::StatusCode;
use std::{convert::Infallible, time::Duration};
use tokio::sync::{broadcast::error::RecvError, mpsc};

/// How often a stream re-reads its own session, whatever it heard.
const RECHECK: Duration = Duration::from_secs(5);
/// Heartbeat: a comment line that keeps proxies from closing an idle stream.
const HEARTBEAT: Duration = Duration::from_secs(15);
/// Asked of the browser between reconnections (milliseconds).
const RETRY_MS: u64 = 2000;

fn ended_event(reason: Option<EndReason>) -> Event {
    // An ending we cannot name reads as a log-out: the tab is signed out all the same.
    Event::default().event("ended").data(reason.unwrap_or(EndReason::LoggedOut).as_str())
}

fn sse(events: impl Stream<Item = Result<Event, Infallible>> + Send + 'static) -> Response {
    let mut response = Sse::new(events).keep_alive(KeepAlive::new().interval(HEARTBEAT)).into_response();
    // nginx (and proxies that follow it) stream this answer instead of buffering it.
    response.headers_mut().insert("x-accel-buffering", http::HeaderValue::from_static("no"));
    response
}

/// `GET /events`.
pub async fn events(State(state): State<Identity>, req: Request) -> Response {
    let auth = req.extensions().get::<RequestAuth>().and_then(|a| a.0.clone());
    let Some(auth) = auth else {
        // Signed out (perhaps reconnecting after the ending): say why, once, and close.
        let reason = req.extensions().get::<SignedOutBecause>().and_then(|s| s.0);
        return sse(stream::iter([Ok(ended_event(reason))]));
    };
    let Some(slot) = state.live.admit(&auth.id, auth.user_id) else {
        return (StatusCode::TOO_MANY_REQUESTS, [(http::header::RETRY_AFTER, "30")], "Too many open streams").into_response();
    };
    let (tx, rx) = mpsc::channel::<Event>(16);
    let _ = tx.send(Event::default().retry(Duration::from_millis(RETRY_MS)).event("open").data("")).await;
    tokio::spawn(async move {
        let _slot = slot;
        follow(state, auth, tx).await;
    });
    sse(stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|e| (Ok(e), rx)) }))
}

/// Forwards what concerns `auth`'s account until its session ends or the browser goes away.
async fn follow(state: Identity, auth: AuthSession, tx: mpsc::Sender<Event>) {
    let mut heard = state.live.subscribe();
    let mut stopping = state.live.stopping();
    let mut recheck = tokio::time::interval(RECHECK);
    let mut expires_at = match state.sessions.status(&auth.id).await {
        Ok(Ok(at)) => at,
        Ok(Err(reason)) => {
            let _ = tx.send(ended_event(reason)).await;
            return;
        }
        Err(_) => return,
    };
    loop {
        let until_expiry = Duration::from_millis((expires_at - state.clock.now_ms()).max(0) as u64 + 50);
        tokio::select! {
            heard_event = heard.recv() => match heard_event {
                Ok(LiveEvent { user_id, session_id, change }) if user_id == auth.user_id => {
                    let event = match (session_id == auth.id, change) {
                        (true, Change::Ended(reason)) => {
                            let _ = tx.send(ended_event(Some(reason))).await;
                            return;
                        }
                        (true, Change::Started { .. }) => continue,
                        (false, Change::Started { flagged }) => {
                            let added = Event::default().event("sessions").data(format!("added {session_id}"));
                            if !flagged {
                                added
                            } else if tx.send(added).await.is_err() {
                                return;
                            } else {
                                match sign_in_alert(&state, &session_id).await {
                                    Some(alert) => alert,
                                    None => continue,
                                }
                            }
                        }
                        (false, Change::Ended(_)) => Event::default().event("sessions").data(format!("removed {session_id}")),
                        // This tab's own session made the change: it knows.
                        (true, Change::Account(_)) => continue,
                        (false, Change::Account(kind)) => change_notice(&state, &session_id, kind).await,
                    };
                    if tx.send(event).await.is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(RecvError::Lagged(_)) => {
                    if tx.send(Event::default().event("sessions").data("refresh")).await.is_err() {
                        return;
                    }
                }
                Err(RecvError::Closed) => return,
            },
            _ = recheck.tick() => {}
            _ = tokio::time::sleep(until_expiry) => {}
            _ = tx.closed() => return,
            _ = stopping.changed() => return,
        }
        // Whatever woke us: is the session still there?
        match state.sessions.status(&auth.id).await {
            Ok(Ok(at)) => expires_at = at,
            Ok(Err(reason)) => {
                let _ = tx.send(ended_event(reason)).await;
                return;
            }
            Err(e) => tracing::warn!("event stream could not re-read its session: {e}"),
        }
    }
}

/// What the account's other tabs say when how it signs in changed: what, and from which
/// device and place (data: the sentence).
async fn change_notice(state: &Identity, session_id: &str, kind: EventKind) -> Event {
    let what = match kind {
        EventKind::PasskeyAdded => "A passkey was added",
        EventKind::PasskeyRemoved => "A passkey was removed",
        EventKind::TwoFactorEnabled => "Two-factor authentication was turned on",
        EventKind::TwoFactorDisabled => "Two-factor authentication was turned off",
        EventKind::RecoveryCodesRegenerated => "New recovery codes were made",
        EventKind::RecoveryCodesRemoved => "The recovery codes were removed",
        EventKind::PasswordChanged => "The password was changed",
        EventKind::PasswordReset => "The password was reset through an emailed link",
        other => other.title(),
    };
    let from = match state.sessions.find(session_id).await.ok().flatten() {
        Some(s) => format!(
            " from {}, {}",
            crate::identity::model::device_label(s.browser.as_deref(), s.os.as_deref()),
            s.location.unwrap_or_else(|| crate::identity::client::UNKNOWN_LOCATION.to_owned())
        ),
        None => String::new(),
    };
    Event::default().event("alert").data(format!("{what}{from}. If it wasn't you, press \u{201c}This wasn't me\u{201d} in the email we sent."))
}

/// The banner every open tab of the account shows when a sign-in from a new device or
/// country happens: what and where (data: the sentence).
async fn sign_in_alert(state: &Identity, session_id: &str) -> Option<Event> {
    let record = state.sessions.find(session_id).await.ok()??;
    let what = match (record.new_device, record.new_country) {
        (true, true) => "a new device in a new country",
        (true, false) => "a new device",
        _ => "a new country",
    };
    let device = crate::identity::model::device_label(record.browser.as_deref(), record.os.as_deref());
    let place = record.location.unwrap_or_else(|| crate::identity::client::UNKNOWN_LOCATION.to_owned());
    Some(Event::default().event("alert").data(format!("New sign-in from {what}: {device}, {place}.")))
}

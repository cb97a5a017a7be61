//! The operator's systems: the API (tokens, every operation's authorisation, the problems, the
//! OpenAPI document), the audit feed, and webhooks delivered to a real receiver.

mod api;
mod feed;
mod webhooks;

use crate::support::*;
use active_sessions::identity::operator::Scope;
use axum::{Router, body::Bytes, extract::State, http::HeaderMap, routing::post};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::Duration,
};

/// A token with these scopes.
pub async fn token(app: &TestApp, name: &str, scopes: &[Scope]) -> String {
    app.state.api_tokens.create(name, scopes, None).await.unwrap().expect("a fresh name").1
}

pub const ALL: &[Scope] = &[Scope::SessionsRead, Scope::SessionsWrite, Scope::EventsRead];

/// One API call as a script makes it: a bearer token (if any), JSON (if a body), no cookie.
pub async fn call(app: &TestApp, token: Option<&str>, method: Method, path: &str, body: Option<Value>) -> Response {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut req = client.request(method, app.url(path));
    if let Some(token) = token {
        req = req.header("authorization", format!("Bearer {token}"));
    }
    if let Some(body) = body {
        req = req.header("content-type", "application/json").body(body.to_string());
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.text().await.unwrap();
    Response { status, wire_bytes: body.len(), headers, body }
}

/// A problem document's `type` (checking it is one).
pub fn problem(res: &Response) -> String {
    assert_eq!(res.headers.get("content-type").and_then(|v| v.to_str().ok()), Some("application/problem+json"), "{}", res.body);
    let doc = res.json();
    assert_eq!(doc["status"].as_u64(), Some(u64::from(res.status.as_u16())), "{doc}");
    assert!(doc["title"].is_string(), "{doc}");
    doc["type"].as_str().expect("a type").strip_prefix("urn:active-sessions:problem:").expect("our prefix").to_owned()
}

/// What a webhook receiver was sent.
#[derive(Debug, Clone)]
pub struct Received {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub body: String,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

#[derive(Clone, Default)]
struct Script {
    received: Arc<Mutex<Vec<Received>>>,
    /// Statuses to answer, in turn; 200 when empty.
    answers: Arc<Mutex<VecDeque<u16>>>,
    /// Requests to leave unanswered (a receiver that hangs), counted down.
    hang: Arc<Mutex<usize>>,
}

/// A webhook receiver on 127.0.0.1: records every request and answers as scripted.
pub struct Receiver {
    pub url: String,
    script: Script,
    server: tokio::task::JoinHandle<()>,
}

impl Receiver {
    pub async fn start() -> Receiver {
        async fn hook(State(s): State<Script>, headers: HeaderMap, body: Bytes) -> StatusCode {
            let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
            s.received.lock().unwrap().push(Received {
                id: header("webhook-id"),
                timestamp: header("webhook-timestamp"),
                signature: header("webhook-signature"),
                body: String::from_utf8_lossy(&body).into_owned(),
            });
            let hang = {
                let mut n = s.hang.lock().unwrap();
                let hang = *n > 0;
                *n = n.saturating_sub(1);
                hang
            };
            if hang {
                std::future::pending::<()>().await;
            }
            let status = s.answers.lock().unwrap().pop_front().unwrap_or(200);
            StatusCode::from_u16(status).unwrap()
        }
        let script = Script::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let app = Router::new().route("/hook", post(hook)).with_state(script.clone());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Receiver { url, script, server }
    }

    /// Answers the next requests with these statuses.
    pub fn answer(&self, statuses: &[u16]) {
        self.script.answers.lock().unwrap().extend(statuses);
    }

    /// Leaves the next `n` requests unanswered.
    pub fn hang(&self, n: usize) {
        *self.script.hang.lock().unwrap() = n;
    }

    pub fn received(&self) -> Vec<Received> {
        self.script.received.lock().unwrap().clone()
    }

    /// Waits (up to 10 s) until `n` requests have arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        wait_for(|| {
            let got = self.received();
            (got.len() >= n).then_some(got)
        })
        .await
        .unwrap_or_else(|| panic!("expected {n} webhook requests, got {:?}", self.received()))
    }

    /// The requests whose body has this `type`.
    pub fn of_type(&self, event_type: &str) -> Vec<Received> {
        self.received().into_iter().filter(|r| r.json()["type"] == event_type).collect()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}

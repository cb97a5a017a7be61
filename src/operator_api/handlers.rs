//! The API's operations: each takes the caller (its token checked), asks one service, and says
//! what happened in JSON. Their `#[utoipa::path]` is the OpenAPI document.

use super::{
    auth::Caller,
    problem::{Body, Path, Problem, Query},
};
use crate::{
    identity::{
        admin::ApiAnswer,
        client::UNKNOWN_LOCATION,
        model::{ACTIVE_WINDOW_MS, SignInMethod, device_label},
        operator::{Cursor, Scope},
        session::SessionRecord,
    },
    infra::{error::AppError, timefmt::iso},
};
use axum::{Json, response::IntoResponse};
use http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// An account.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 42, "email": "ada@example.com", "suspended": false}))]
pub struct User {
    pub id: i64,
    pub email: String,
    pub suspended: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Users {
    /// The account with that email, or none.
    pub users: Vec<User>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// The account's email (any case).
    #[param(min_length = 1, max_length = 254, example = "ada@example.com")]
    pub email: String,
}

/// A signed-in device, as the Active sessions page shows it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "hQ3bS0Jq2Q7mUuY1cX9yqg", "device": "Firefox on Windows", "ip": "203.0.113.7",
    "location": "London, United Kingdom", "status": "active",
    "signed_in_at": "2026-12-07T09:12:00Z", "last_active_at": "2026-12-07T11:58:31Z",
    "sign_in_method": "password_totp", "name": "Work laptop"
}))]
pub struct Session {
    /// The session's public id (never its secret).
    pub id: String,
    pub device: String,
    pub ip: String,
    pub location: String,
    /// `active`: used in the last five minutes.
    pub status: Status,
    #[schema(format = DateTime)]
    pub signed_in_at: String,
    #[schema(format = DateTime)]
    pub last_active_at: String,
    pub sign_in_method: Method,
    /// The name its owner gave it.
    pub name: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Active,
    Idle,
}

/// How the session signed in.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Password,
    PasswordTotp,
    PasswordRecovery,
    Passkey,
}

impl From<SignInMethod> for Method {
    fn from(m: SignInMethod) -> Self {
        match m {
            SignInMethod::Password => Method::Password,
            SignInMethod::PasswordTotp => Method::PasswordTotp,
            SignInMethod::PasswordRecovery => Method::PasswordRecovery,
            SignInMethod::Passkey => Method::Passkey,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Sessions {
    /// Live sessions, most recently active first.
    pub sessions: Vec<Session>,
}

/// Why the action is taken: the user sees it in their Security activity, the admin log keeps it.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"reason": "Offboarding: left the company"}))]
pub struct Reason {
    /// 1 to 500 characters, not only spaces (control characters are kept as U+FFFD).
    #[schema(min_length = 1, max_length = 500, pattern = r"[^ \t\n\r\x0B\x0C]")]
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"ended": 3}))]
pub struct Ended {
    /// How many sessions ended.
    pub ended: usize,
}

/// A security event of any account.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 1834, "type": "sessions_ended_by_admin", "user_id": 42, "session_id": "hQ3bS0Jq2Q7mUuY1cX9yqg",
    "at": "2026-12-07T12:00:03Z", "ip": "198.51.100.4", "reason": "Offboarding",
    "device": "API token \u{201c}helpdesk\u{201d}", "location": null
}))]
pub struct Event {
    pub id: i64,
    /// What happened (`signed_in`, `session_terminated`, `password_changed`, `passkey_added`…).
    #[serde(rename = "type")]
    pub kind: String,
    pub user_id: Option<i64>,
    /// The session it is about, or the one that did it.
    pub session_id: Option<String>,
    #[schema(format = DateTime)]
    pub at: String,
    pub ip: String,
    /// The detail recorded with it: an administrator's reason, a passkey's name…
    pub reason: Option<String>,
    pub device: String,
    pub location: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"events": [], "next": "0-1834"}))]
pub struct Events {
    /// Oldest first.
    pub events: Vec<Event>,
    /// Pass as `after` for the events that follow.
    pub next: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// Where the last page ended (its `next`); from the first event when absent.
    #[param(pattern = "^[0-9]{1,18}-[0-9]{1,18}$", example = "0-1834")]
    pub after: Option<String>,
    /// Events per page (1 to 1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

/// Path parameter: an account id.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct UserPath {
    #[param(minimum = 1, maximum = 9_007_199_254_740_991_i64)]
    pub user_id: i64,
}

/// Path parameter: a session's public id.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct SessionPath {
    #[param(min_length = 1, max_length = 64, pattern = "^[A-Za-z0-9_-]+$")]
    pub session_id: String,
}

/// The largest account id the API takes (what a JSON number holds exactly).
const MAX_ID: i64 = 9_007_199_254_740_991;

impl UserPath {
    fn id(&self) -> Result<i64, Problem> {
        if (1..=MAX_ID).contains(&self.user_id) { Ok(self.user_id) } else { Err(Problem::bad_request("user_id: 1 to 2^53 - 1")) }
    }
}

impl SessionPath {
    fn id(&self) -> Result<&str, Problem> {
        let id = &self.session_id;
        let ok = (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if ok { Ok(id) } else { Err(Problem::bad_request("session_id: 1 to 64 letters, digits, - or _")) }
    }
}

/// A cursor as the document describes it: two numbers of at most 18 digits.
fn cursor(text: &str) -> Option<Cursor> {
    let (a, b) = text.split_once('-')?;
    let ok = |n: &str| (1..=18).contains(&n.len()) && n.bytes().all(|c| c.is_ascii_digit());
    (ok(a) && ok(b)).then(|| text.parse().ok()).flatten()
}

fn session(record: SessionRecord, now: i64) -> Session {
    let active = now - record.times.last_seen_at < ACTIVE_WINDOW_MS;
    Session {
        device: device_label(record.browser.as_deref(), record.os.as_deref()),
        ip: record.ip,
        location: record.location.unwrap_or_else(|| UNKNOWN_LOCATION.to_owned()),
        status: if active { Status::Active } else { Status::Idle },
        signed_in_at: iso(record.created_at),
        last_active_at: iso(record.times.last_seen_at),
        sign_in_method: SignInMethod::parse(&record.method).into(),
        name: record.name,
        id: record.id,
    }
}

/// Find an account by email.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(UserQuery),
    responses((status = 200, description = "The account with that email (none if there is none)", body = Users)),
    security(("bearer" = ["sessions:read"])))]
pub async fn find_user(caller: Caller, Query(q): Query<UserQuery>) -> Result<Json<Users>, Problem> {
    caller.may(Scope::SessionsRead)?;
    if !(1..=254).contains(&q.email.chars().count()) {
        return Err(Problem::bad_request("email: 1 to 254 characters"));
    }
    let users = match caller.identity.admin.target_by_email(&q.email).await? {
        Some(t) => {
            let suspended = caller.identity.admin.summary(t.user_id).await?.is_some_and(|s| s.suspended_at.is_some());
            vec![User { id: t.user_id, email: t.email, suspended }]
        }
        None => Vec::new(),
    };
    Ok(Json(Users { users }))
}

/// List an account's live sessions.
#[utoipa::path(get, path = "/api/v1/users/{user_id}/sessions", tag = "sessions", params(UserPath),
    responses((status = 200, description = "The account's live sessions", body = Sessions,
            links(("end_session" = (operation_id = "end_session", parameters(("session_id" = "$response.body#/sessions/0/id")))))),
        (status = 404, description = "No such account", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = ["sessions:read"])))]
pub async fn list_sessions(caller: Caller, Path(p): Path<UserPath>) -> Result<Json<Sessions>, Problem> {
    caller.may(Scope::SessionsRead)?;
    let user_id = p.id()?;
    caller.identity.admin.target(user_id).await?.ok_or_else(|| Problem::not_found("account"))?;
    let now = caller.identity.clock.now_ms();
    let sessions = caller.identity.sessions.list(user_id).await.map_err(AppError::from)?.into_iter().map(|r| session(r, now)).collect();
    Ok(Json(Sessions { sessions }))
}

/// End one session. Its device is told, at once, that an administrator ended it.
#[utoipa::path(delete, path = "/api/v1/sessions/{session_id}", tag = "sessions", params(SessionPath), request_body = Reason,
    responses((status = 204, description = "Ended"),
        (status = 404, description = "No such live session", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = ["sessions:write"])))]
pub async fn end_session(caller: Caller, Path(p): Path<SessionPath>, Body(body): Body<Reason>) -> Result<StatusCode, Problem> {
    caller.may(Scope::SessionsWrite)?;
    match caller.identity.admin.api_end_session(&caller.actor(), p.id()?, &body.reason).await? {
        ApiAnswer::Done(_) => Ok(StatusCode::NO_CONTENT),
        ApiAnswer::NotFound => Err(Problem::not_found("live session")),
    }
}

/// End every session of an account.
#[utoipa::path(post, path = "/api/v1/users/{user_id}/sessions/end", tag = "sessions", params(UserPath), request_body = Reason,
    responses((status = 200, description = "How many ended", body = Ended),
        (status = 404, description = "No such account", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = ["sessions:write"])))]
pub async fn end_all(caller: Caller, Path(p): Path<UserPath>, Body(body): Body<Reason>) -> Result<Json<Ended>, Problem> {
    caller.may(Scope::SessionsWrite)?;
    match caller.identity.admin.api_end_all(&caller.actor(), p.id()?, &body.reason).await? {
        ApiAnswer::Done(ended) => Ok(Json(Ended { ended })),
        ApiAnswer::NotFound => Err(Problem::not_found("account")),
    }
}

async fn suspension(caller: Caller, user_id: i64, suspend: bool, reason: &str) -> Result<StatusCode, Problem> {
    caller.may(Scope::SessionsWrite)?;
    match caller.identity.admin.api_suspend(&caller.actor(), user_id, suspend, reason).await? {
        ApiAnswer::Done(_) => Ok(StatusCode::NO_CONTENT),
        ApiAnswer::NotFound => Err(Problem::not_found("account")),
    }
}

/// Suspend an account: every session ends and sign-in is refused until it is reinstated.
#[utoipa::path(post, path = "/api/v1/users/{user_id}/suspend", tag = "users", params(UserPath), request_body = Reason,
    responses((status = 204, description = "Suspended"),
        (status = 404, description = "No such account", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = ["sessions:write"])))]
pub async fn suspend(caller: Caller, Path(p): Path<UserPath>, Body(body): Body<Reason>) -> Result<StatusCode, Problem> {
    suspension(caller, p.id()?, true, &body.reason).await
}

/// Reinstate a suspended account.
#[utoipa::path(post, path = "/api/v1/users/{user_id}/reinstate", tag = "users", params(UserPath), request_body = Reason,
    responses((status = 204, description = "Reinstated"),
        (status = 404, description = "No such account", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = ["sessions:write"])))]
pub async fn reinstate(caller: Caller, Path(p): Path<UserPath>, Body(body): Body<Reason>) -> Result<StatusCode, Problem> {
    suspension(caller, p.id()?, false, &body.reason).await
}

/// The audit feed: security events of every account, oldest first, after a cursor. Stable
/// under concurrent writes: no event is skipped or repeated from one page to the next.
#[utoipa::path(get, path = "/api/v1/events", tag = "events", params(EventQuery),
    responses((status = 200, description = "A page of events", body = Events)),
    security(("bearer" = ["events:read"])))]
pub async fn events(caller: Caller, Query(q): Query<EventQuery>) -> Result<Json<Events>, Problem> {
    caller.may(Scope::EventsRead)?;
    let after: Cursor = match q.after.as_deref() {
        None => Cursor::default(),
        Some(text) => cursor(text).ok_or_else(|| Problem::bad_request("after: pass the `next` of the previous page"))?,
    };
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(Problem::bad_request("limit: 1 to 1000"));
    }
    let page = caller.identity.feed.page(after, limit).await.map_err(AppError::from)?;
    let events = page
        .events
        .into_iter()
        .map(|e| Event {
            id: e.id,
            kind: e.kind,
            user_id: e.user_id,
            session_id: e.session_id.or(e.actor_session_id),
            at: iso(e.created_at),
            ip: e.ip,
            reason: e.detail,
            device: e.device,
            location: e.location,
        })
        .collect();
    Ok(Json(Events { events, next: page.next.to_string() }))
}

/// The OpenAPI document of this API.
pub async fn openapi() -> impl IntoResponse {
    ([(http::header::CONTENT_TYPE, "application/json")], super::doc::json())
}

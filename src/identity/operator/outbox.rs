//! What a webhook says, and the one statement that queues it for every endpoint that wants it.
//! The statement runs inside the transaction of what it announces (a sign-in, an ending, a new
//! passkey…): the announcement exists exactly when the change does.

use crate::identity::{
    model::{EndReason, EventKind},
    security_log::NewEvent,
};
use serde_json::{Value, json};

/// Every event type an endpoint can ask for.
pub const EVENT_TYPES: [&str; 7] = [
    "session.created",
    "session.ended",
    "account.suspended",
    "account.reinstated",
    "sign_in_method.added",
    "sign_in_method.removed",
    "sign_in.throttled",
];

/// One webhook message before it is queued.
#[derive(Debug, Clone)]
pub struct WebhookEvent {
    pub event_type: &'static str,
    pub data: Value,
    pub at: i64,
}

impl WebhookEvent {
    /// The Standard Webhooks body: type, timestamp, data.
    pub fn payload(&self) -> String {
        json!({"type": self.event_type, "timestamp": crate::infra::timefmt::iso(self.at), "data": self.data}).to_string()
    }

    /// A fresh `webhook-id`: the same for every attempt of one message.
    pub fn message_id() -> String {
        format!("msg_{}", uuid::Uuid::new_v4().simple())
    }
}

/// Queues one message per enabled endpoint that asked for its type: `$1` message id, `$2`
/// type, `$3` body, `$4` time. Nothing when no endpoint wants it.
pub const QUEUE: &str = "INSERT INTO webhook_outbox (endpoint_id, message_id, event_type, payload, created_at, next_attempt_at) \
    SELECT id, $1, CAST($2 AS TEXT), $3, $4, $4 FROM webhook_endpoints \
    WHERE disabled_at IS NULL AND (events = '*' OR ',' || events || ',' LIKE '%,' || CAST($2 AS TEXT) || ',%')";

/// Whether any enabled endpoint asked for the type `$1`.
pub const WANTED: &str = "SELECT EXISTS (SELECT 1 FROM webhook_endpoints \
    WHERE disabled_at IS NULL AND (events = '*' OR ',' || events || ',' LIKE '%,' || CAST($1 AS TEXT) || ',%'))";

/// Queues a [`WebhookEvent`] on a pool or inside a transaction of either engine.
#[macro_export]
macro_rules! queue_webhook {
    ($executor:expr, $event:expr) => {{
        let w: &$crate::identity::operator::WebhookEvent = $event;
        sqlx::query($crate::identity::operator::QUEUE)
            .bind($crate::identity::operator::WebhookEvent::message_id())
            .bind(w.event_type)
            .bind(w.payload())
            .bind(w.at)
            .execute($executor)
    }};
}

fn method_change(e: &NewEvent, event_type: &'static str, method: &str) -> Option<WebhookEvent> {
    Some(WebhookEvent {
        event_type,
        data: json!({
            "user_id": e.user_id,
            "session_id": e.actor_session_id.as_deref().or(e.session_id.as_deref()),
            "method": method,
            "detail": e.detail,
            "ip": e.origin.ip,
            "device": e.origin.device,
        }),
        at: e.at,
    })
}

/// The webhook a security event announces, if any.
pub fn for_event(e: &NewEvent) -> Option<WebhookEvent> {
    let account = |event_type| {
        Some(WebhookEvent { event_type, data: json!({"user_id": e.user_id, "reason": e.detail}), at: e.at })
    };
    match e.kind {
        EventKind::SignedIn | EventKind::SignedUp => Some(WebhookEvent {
            event_type: "session.created",
            data: json!({
                "user_id": e.user_id,
                "session_id": e.session_id.as_deref().or(e.actor_session_id.as_deref()),
                "ip": e.origin.ip,
                "device": e.origin.device,
                "location": e.origin.location,
            }),
            at: e.at,
        }),
        EventKind::AccountSuspended => account("account.suspended"),
        EventKind::AccountUnsuspended => account("account.reinstated"),
        EventKind::TwoFactorEnabled => method_change(e, "sign_in_method.added", "authenticator_app"),
        EventKind::RecoveryCodesRegenerated => method_change(e, "sign_in_method.added", "recovery_codes"),
        EventKind::PasskeyAdded => method_change(e, "sign_in_method.added", "passkey"),
        EventKind::TwoFactorDisabled => method_change(e, "sign_in_method.removed", "authenticator_app"),
        EventKind::RecoveryCodesRemoved => method_change(e, "sign_in_method.removed", "recovery_codes"),
        EventKind::PasskeyRemoved => method_change(e, "sign_in_method.removed", "passkey"),
        EventKind::MethodRemovedOnDisown => method_change(e, "sign_in_method.removed", "removed_on_disown"),
        _ => None,
    }
}

/// Why a session ended, as `session.ended` says it: the ending's reason, told apart by what
/// recorded it ("log out others", "This wasn't me") and by whether the operator API asked.
pub fn end_reason(reason: EndReason, kind: Option<EventKind>, by_api: bool) -> &'static str {
    match (reason, kind) {
        (EndReason::Admin, _) if by_api => "api",
        (EndReason::Suspended, _) if by_api => "suspended_by_api",
        (_, Some(EventKind::NotMe)) => "not_me",
        (_, Some(EventKind::OtherSessionsTerminated)) => "log_out_others",
        (EndReason::Terminated, _) => "terminated",
        (EndReason::LoggedOut, _) => "logged_out",
        (EndReason::Expired, _) => "expiry",
        (EndReason::PasswordChanged, _) => "password_change",
        (EndReason::AccountDeleted, _) => "account_deleted",
        (EndReason::Limit, _) => "limit",
        (EndReason::Admin, _) => "administrator",
        (EndReason::Suspended, _) => "suspended",
    }
}

/// `session.ended` for one ended session.
pub fn ended(user_id: i64, session_id: &str, reason: &'static str, detail: Option<&str>, at: i64) -> WebhookEvent {
    WebhookEvent {
        event_type: "session.ended",
        data: json!({"user_id": user_id, "session_id": session_id, "reason": reason, "detail": detail}),
        at,
    }
}

/// `sign_in.throttled`: log-ins for an account (or from an address) are being refused.
pub fn throttled(user_id: Option<i64>, ip: &str, retry_after_seconds: u64, at: i64) -> WebhookEvent {
    WebhookEvent {
        event_type: "sign_in.throttled",
        data: json!({"user_id": user_id, "ip": ip, "retry_after_seconds": retry_after_seconds}),
        at,
    }
}

//! The operator's systems: API tokens (scoped, stored hashed, expiring, rate-limited), the
//! audit feed of security events across accounts, and signed webhooks delivered from a durable
//! outbox that is written in the same transaction as what it announces.

mod delivery;
mod endpoints;
mod feed;
mod outbox;
mod tokens;
mod urls;

pub use delivery::{Attempt, Endpoint, Refused, Webhooks, sign};
pub use feed::{Cursor, Feed, FeedEvent, FeedPage};
pub use outbox::{EVENT_TYPES, QUEUE, WANTED, WebhookEvent, end_reason, ended, for_event, throttled};
pub use tokens::{ApiToken, ApiTokens, Denied, Scope};

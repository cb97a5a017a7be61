//! Webhook endpoints and delivery. Messages wait in `webhook_outbox` (queued in the transaction
//! of what they announce); every server runs [`Webhooks::deliver_forever`], which claims due
//! messages with a lease (on Postgres `FOR UPDATE SKIP LOCKED`, so several servers never send
//! the same message at once), sends them signed per Standard Webhooks, and records each
//! attempt. At least once: a server killed mid-delivery leaves its lease to run out, and
//! another (or itself, restarted) sends the message again. Failures retry with exponential
//! back-off for a day; an endpoint that has failed for three days is disabled.

use super::{
    outbox::EVENT_TYPES,
    urls::{self, PublicOnly},
};
use crate::{db_read, db_write, identity::Core, infra::db::Db};
use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::{sync::Arc, time::Duration};

const HOUR_MS: i64 = 60 * 60 * 1000;
/// Retries stop this long after a message was queued.
const GIVE_UP_AFTER_MS: i64 = 24 * HOUR_MS;
/// An endpoint failing for this long is disabled.
const DISABLE_AFTER_MS: i64 = 3 * 24 * HOUR_MS;
/// Messages claimed (and sent concurrently) at a time by one server.
const BATCH: i64 = 16;
/// How often a server looks for due messages when there were none.
const POLL: Duration = Duration::from_millis(100);
/// Delivered messages (and their attempts) are kept this long, for the console and redelivery.
const KEEP_MS: i64 = 7 * 24 * HOUR_MS;

/// The wait before retry number `attempts` (1 = after the first failure): 5 s, 10 s, 20 s…
/// up to an hour.
pub fn backoff_ms(attempts: i64) -> i64 {
    let exp = (attempts - 1).clamp(0, 20) as u32;
    (5_000i64 << exp).min(HOUR_MS)
}

/// The Standard Webhooks signature of a message: `v1,` and the base64 HMAC-SHA256 of
/// `id.timestamp.body`, keyed with the secret's decoded bytes. `None` if the secret is malformed.
pub fn sign(secret: &str, message_id: &str, timestamp: i64, body: &str) -> Option<String> {
    let key = STANDARD.decode(secret.strip_prefix("whsec_")?).ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(format!("{message_id}.{timestamp}.{body}").as_bytes());
    Some(format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes())))
}

/// An endpoint, as listed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Endpoint {
    pub id: i64,
    pub url: String,
    /// Comma-separated event types, or `*`.
    pub events: String,
    pub created_at: i64,
    pub failing_since: Option<i64>,
    pub disabled_at: Option<i64>,
    /// Messages waiting to be delivered.
    pub pending: i64,
}

/// One delivery attempt, as the console shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Attempt {
    pub outbox_id: i64,
    pub url: String,
    pub event_type: String,
    pub message_id: String,
    pub at: i64,
    pub status: Option<i64>,
    pub latency_ms: i64,
    pub error: Option<String>,
}

/// Why an endpoint cannot be added.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("{0}")]
    Url(String),
    #[error("unknown event type {0} (known: {known})", known = EVENT_TYPES.join(", "))]
    UnknownEvent(String),
    #[error("an endpoint with this URL exists already")]
    Exists,
    #[error("database: {0}")]
    Db(String),
}

impl From<sqlx::Error> for Refused {
    fn from(e: sqlx::Error) -> Self {
        Refused::Db(e.to_string())
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct Claimed {
    id: i64,
    endpoint_id: i64,
    message_id: String,
    payload: String,
    created_at: i64,
    attempts: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct Target {
    url: String,
    secret: String,
}

const DUE: &str = "delivered_at IS NULL AND given_up_at IS NULL AND next_attempt_at <= $2 \
    AND (leased_until IS NULL OR leased_until <= $2) \
    AND endpoint_id IN (SELECT id FROM webhook_endpoints WHERE disabled_at IS NULL)";

pub struct Webhooks {
    pub(super) core: Core,
    client: reqwest::Client,
    pub(super) allow_private: bool,
    timeout: Duration,
}

impl Webhooks {
    pub fn new(core: Core) -> Self {
        let allow_private = core.config.webhook_allow_private;
        let timeout = core.config.webhook_timeout;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("active-sessions-webhooks/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(Arc::new(PublicOnly { allow_private }))
            .build()
            .expect("the webhook HTTP client builds");
        Webhooks { core, client, allow_private, timeout }
    }

    pub(super) fn now(&self) -> i64 {
        self.core.now()
    }

    async fn any_due(&self, now: i64) -> Result<bool, sqlx::Error> {
        let due: Option<i64> = db_read!(&self.core.db, |pool| {
            sqlx::query_scalar(&format!("SELECT id FROM webhook_outbox WHERE $1 = $1 AND {DUE} LIMIT 1"))
                .bind(0i64)
                .bind(now)
                .fetch_optional(pool)
                .await
        })?;
        Ok(due.is_some())
    }

    /// Claims up to a batch of due messages for this server, for twice the send timeout.
    async fn claim(&self, now: i64) -> Result<Vec<Claimed>, sqlx::Error> {
        let lease = now + 2 * self.timeout.as_millis() as i64;
        let returning = "RETURNING id, endpoint_id, message_id, payload, created_at, attempts";
        match &self.core.db {
            Db::Sqlite { write, .. } => {
                sqlx::query_as(&format!(
                    "UPDATE webhook_outbox SET leased_until = $1, attempts = attempts + 1 WHERE id IN \
                     (SELECT id FROM webhook_outbox WHERE {DUE} ORDER BY next_attempt_at, id LIMIT $3) {returning}"
                ))
                .bind(lease)
                .bind(now)
                .bind(BATCH)
                .fetch_all(write)
                .await
            }
            Db::Postgres(pool) => {
                sqlx::query_as(&format!(
                    "UPDATE webhook_outbox SET leased_until = $1, attempts = attempts + 1 WHERE id IN \
                     (SELECT id FROM webhook_outbox WHERE {DUE} ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) {returning}"
                ))
                .bind(lease)
                .bind(now)
                .bind(BATCH)
                .fetch_all(pool)
                .await
            }
        }
    }

    async fn target(&self, endpoint_id: i64) -> Result<Option<Target>, sqlx::Error> {
        db_read!(&self.core.db, |pool| {
            sqlx::query_as("SELECT url, secret FROM webhook_endpoints WHERE id = $1").bind(endpoint_id).fetch_optional(pool).await
        })
    }

    /// Sends one message; its HTTP status (or none) and the error, if it failed.
    async fn send(&self, target: &Target, message: &Claimed) -> (Option<i64>, Option<String>) {
        if let Err(refused) = urls::check(&target.url, self.allow_private) {
            return (None, Some(refused));
        }
        let timestamp = self.now() / 1000;
        let Some(signature) = sign(&target.secret, &message.message_id, timestamp, &message.payload) else {
            return (None, Some("the endpoint's secret is malformed".into()));
        };
        let sent = self
            .client
            .post(&target.url)
            .header(http::header::CONTENT_TYPE, "application/json")
            .header("webhook-id", &message.message_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(message.payload.clone())
            .send()
            .await;
        match sent {
            Ok(answer) if answer.status().is_success() => (Some(i64::from(answer.status().as_u16())), None),
            Ok(answer) => {
                let status = answer.status();
                (Some(i64::from(status.as_u16())), Some(format!("the endpoint answered {status}")))
            }
            Err(e) if e.is_timeout() => (None, Some(format!("no answer within {} s", self.timeout.as_secs_f32()))),
            // The URL is already beside every attempt: the error without it.
            Err(e) => (None, Some(error_chain(&e.without_url()))),
        }
    }

    /// Records an attempt and what follows from it, unless another server has claimed the
    /// message since (its lease ran out).
    async fn finish(&self, message: &Claimed, status: Option<i64>, error: Option<String>, latency_ms: i64) -> Result<(), sqlx::Error> {
        let now = self.now();
        let ok = error.is_none();
        db_write!(&self.core.db, |pool| {
            let mut tx = pool.begin().await?;
            let ours = if ok {
                sqlx::query("UPDATE webhook_outbox SET delivered_at = $3, leased_until = NULL WHERE id = $1 AND attempts = $2")
                    .bind(message.id)
                    .bind(message.attempts)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?
            } else if now - message.created_at >= GIVE_UP_AFTER_MS {
                sqlx::query("UPDATE webhook_outbox SET given_up_at = $3, leased_until = NULL WHERE id = $1 AND attempts = $2")
                    .bind(message.id)
                    .bind(message.attempts)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?
            } else {
                sqlx::query("UPDATE webhook_outbox SET next_attempt_at = $3, leased_until = NULL WHERE id = $1 AND attempts = $2")
                    .bind(message.id)
                    .bind(message.attempts)
                    .bind(now + backoff_ms(message.attempts))
                    .execute(&mut *tx)
                    .await?
            };
            if ours.rows_affected() == 0 {
                return Ok(());
            }
            sqlx::query(
                "INSERT INTO webhook_attempts (outbox_id, endpoint_id, at, status, latency_ms, error) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(message.id)
            .bind(message.endpoint_id)
            .bind(now)
            .bind(status)
            .bind(latency_ms)
            .bind(error.as_deref())
            .execute(&mut *tx)
            .await?;
            if ok {
                sqlx::query("UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1")
                    .bind(message.endpoint_id)
                    .execute(&mut *tx)
                    .await?;
            } else {
                sqlx::query(
                    "UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, $2), \
                     disabled_at = CASE WHEN COALESCE(failing_since, $2) <= $2 - $3 THEN $2 ELSE disabled_at END WHERE id = $1",
                )
                .bind(message.endpoint_id)
                .bind(now)
                .bind(DISABLE_AFTER_MS)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await
        })
    }

    async fn deliver(&self, message: Claimed) -> Result<(), sqlx::Error> {
        let started = std::time::Instant::now();
        let (status, error) = match self.target(message.endpoint_id).await? {
            Some(target) => self.send(&target, &message).await,
            None => return Ok(()),
        };
        let latency_ms = started.elapsed().as_millis() as i64;
        metrics::counter!("webhook_deliveries_total", "result" => if error.is_none() { "delivered" } else { "failed" }).increment(1);
        if let Some(error) = &error {
            tracing::info!(outbox = message.id, attempt = message.attempts, "webhook delivery failed: {error}");
        }
        self.finish(&message, status, error, latency_ms).await
    }

    /// Sends what is due now (one batch, concurrently): how many messages were attempted.
    pub async fn deliver_due(&self) -> Result<usize, sqlx::Error> {
        let now = self.now();
        if !self.any_due(now).await? {
            return Ok(0);
        }
        let claimed = self.claim(now).await?;
        let n = claimed.len();
        for result in futures::future::join_all(claimed.into_iter().map(|m| self.deliver(m))).await {
            result?;
        }
        Ok(n)
    }

    /// Delivers for as long as the server runs.
    pub async fn deliver_forever(self: Arc<Self>) {
        loop {
            match self.deliver_due().await {
                Ok(0) => tokio::time::sleep(POLL).await,
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!("webhook delivery: {e}");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }

    /// Forgets delivered and given-up messages older than a week (their attempts go with them).
    pub async fn purge(&self) -> Result<u64, sqlx::Error> {
        let before = self.now() - KEEP_MS;
        db_write!(&self.core.db, |pool| {
            let mut tx = pool.begin().await?;
            let old = "SELECT id FROM webhook_outbox WHERE (delivered_at IS NOT NULL OR given_up_at IS NOT NULL) AND created_at < $1";
            sqlx::query(&format!("DELETE FROM webhook_attempts WHERE outbox_id IN ({old})")).bind(before).execute(&mut *tx).await?;
            let done = sqlx::query(&format!("DELETE FROM webhook_outbox WHERE id IN ({old})")).bind(before).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(done.rows_affected())
        })
    }
}

/// An error with its causes, e.g. "error sending request: connection refused".
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text.chars().take(300).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff_ms(1), 5_000);
        assert_eq!(backoff_ms(2), 10_000);
        assert_eq!(backoff_ms(4), 40_000);
        assert_eq!(backoff_ms(40), HOUR_MS);
    }

    /// The example of the Standard Webhooks specification.
    #[test]
    fn signature_matches_the_specification_example() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
    }
}

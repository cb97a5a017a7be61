//! Webhook endpoints as the operator manages them: adding one (its URL checked against
//! server-side request forgery, its secret shown once), listing, removing, a test message,
//! redelivery, and the attempts the console shows.

use super::{
    delivery::{Attempt, Endpoint, Refused, Webhooks},
    outbox::EVENT_TYPES,
    urls,
};
use crate::{db_read, db_write};
use base64::{Engine, engine::general_purpose::STANDARD};
use rand::{TryRngCore, rngs::OsRng};

const ENDPOINT_COLUMNS: &str = "e.id, e.url, e.events, e.created_at, e.failing_since, e.disabled_at, \
    (SELECT COUNT(*) FROM webhook_outbox o WHERE o.endpoint_id = e.id AND o.delivered_at IS NULL AND o.given_up_at IS NULL) AS pending";

impl Webhooks {
    /// Adds an endpoint for `events` (all when empty): it and its signing secret, shown once.
    pub async fn add(&self, url: &str, events: &[String]) -> Result<(Endpoint, String), Refused> {
        let mut wanted: Vec<&str> = Vec::new();
        for event in events.iter().flat_map(|e| e.split(',')).map(str::trim).filter(|e| !e.is_empty()) {
            let known = EVENT_TYPES.iter().find(|t| **t == event).ok_or_else(|| Refused::UnknownEvent(event.to_owned()))?;
            wanted.push(known);
        }
        wanted.sort_unstable();
        wanted.dedup();
        let events = if wanted.is_empty() { "*".to_owned() } else { wanted.join(",") };
        let parsed = urls::check(url.trim(), self.allow_private).map_err(Refused::Url)?;
        urls::resolves_publicly(&parsed, self.allow_private).await.map_err(Refused::Url)?;
        let mut key = [0u8; 32];
        OsRng.try_fill_bytes(&mut key).expect("the operating system's random source failed");
        let secret = format!("whsec_{}", STANDARD.encode(key));
        let url = parsed.to_string();
        let id: Option<i64> = db_write!(&self.core.db, |pool| {
            sqlx::query_scalar(
                "INSERT INTO webhook_endpoints (url, secret, events, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (url) DO NOTHING RETURNING id",
            )
            .bind(&url)
            .bind(&secret)
            .bind(&events)
            .bind(self.now())
            .fetch_optional(pool)
            .await
        })?;
        let id = id.ok_or(Refused::Exists)?;
        let endpoint = self.list().await?.into_iter().find(|e| e.id == id).ok_or(Refused::Exists)?;
        Ok((endpoint, secret))
    }

    /// Every endpoint, oldest first.
    pub async fn list(&self) -> Result<Vec<Endpoint>, sqlx::Error> {
        db_read!(&self.core.db, |pool| {
            sqlx::query_as(&format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints e ORDER BY e.id")).fetch_all(pool).await
        })
    }

    fn normalise(url: &str) -> String {
        url::Url::parse(url.trim()).map_or_else(|_| url.trim().to_owned(), |u| u.to_string())
    }

    /// Removes the endpoint at `url` and everything waiting for it. Whether it existed.
    pub async fn remove(&self, url: &str) -> Result<bool, sqlx::Error> {
        let url = Self::normalise(url);
        let done = db_write!(&self.core.db, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM webhook_attempts WHERE endpoint_id IN (SELECT id FROM webhook_endpoints WHERE url = $1)")
                .bind(&url)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM webhook_outbox WHERE endpoint_id IN (SELECT id FROM webhook_endpoints WHERE url = $1)")
                .bind(&url)
                .execute(&mut *tx)
                .await?;
            let done = sqlx::query("DELETE FROM webhook_endpoints WHERE url = $1").bind(&url).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(done.rows_affected())
        })?;
        Ok(done > 0)
    }

    /// Queues a `webhook.test` message for the endpoint at `url` (enabled again if it was
    /// disabled): the message's outbox id, or `None` without such an endpoint.
    pub async fn test(&self, url: &str) -> Result<Option<i64>, sqlx::Error> {
        let url = Self::normalise(url);
        let now = self.now();
        let event = super::WebhookEvent { event_type: "webhook.test", data: serde_json::json!({"url": url}), at: now };
        db_write!(&self.core.db, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("UPDATE webhook_endpoints SET disabled_at = NULL WHERE url = $1").bind(&url).execute(&mut *tx).await?;
            let id: Option<i64> = sqlx::query_scalar(
                "INSERT INTO webhook_outbox (endpoint_id, message_id, event_type, payload, created_at, next_attempt_at) \
                 SELECT id, $2, $3, $4, $5, $5 FROM webhook_endpoints WHERE url = $1 RETURNING id",
            )
            .bind(&url)
            .bind(super::WebhookEvent::message_id())
            .bind(event.event_type)
            .bind(event.payload())
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(id)
        })
    }

    /// Sends the message `outbox_id` again (delivered, given up or waiting): whether it exists.
    /// Its endpoint is enabled again.
    pub async fn redeliver(&self, outbox_id: i64) -> Result<bool, sqlx::Error> {
        let now = self.now();
        let done = db_write!(&self.core.db, |pool| {
            let mut tx = pool.begin().await?;
            let done = sqlx::query(
                "UPDATE webhook_outbox SET delivered_at = NULL, given_up_at = NULL, leased_until = NULL, \
                 next_attempt_at = $2, created_at = $2 WHERE id = $1",
            )
            .bind(outbox_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE webhook_endpoints SET disabled_at = NULL WHERE id IN (SELECT endpoint_id FROM webhook_outbox WHERE id = $1)",
            )
            .bind(outbox_id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(done.rows_affected())
        })?;
        Ok(done > 0)
    }

    /// The latest delivery attempts, newest first.
    pub async fn attempts(&self, limit: i64) -> Result<Vec<Attempt>, sqlx::Error> {
        db_read!(&self.core.db, |pool| {
            sqlx::query_as(
                "SELECT a.outbox_id, e.url, o.event_type, o.message_id, a.at, a.status, a.latency_ms, a.error \
                 FROM webhook_attempts a JOIN webhook_outbox o ON o.id = a.outbox_id JOIN webhook_endpoints e ON e.id = a.endpoint_id \
                 ORDER BY a.id DESC LIMIT $1",
            )
            .bind(limit)
            .fetch_all(pool)
            .await
        })
    }

    /// Whether the message `outbox_id` has been delivered (for the command line and tests).
    pub async fn delivered(&self, outbox_id: i64) -> Result<bool, sqlx::Error> {
        let at: Option<Option<i64>> = db_read!(&self.core.db, |pool| {
            sqlx::query_scalar("SELECT delivered_at FROM webhook_outbox WHERE id = $1").bind(outbox_id).fetch_optional(pool).await
        })?;
        Ok(at.flatten().is_some())
    }
}

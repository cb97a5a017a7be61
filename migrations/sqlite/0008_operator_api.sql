-- The operator's door: API tokens (only their SHA-256 is kept), webhooks delivered from a
-- durable outbox written in the same transaction as what they announce, and the audit feed's
-- order (on SQLite writes are serial, so the event id alone orders the feed: feed_xact is 0).
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT    NOT NULL UNIQUE,
    token_hash   BLOB    NOT NULL UNIQUE,
    scopes       TEXT    NOT NULL,  -- space-separated: sessions:read sessions:write events:read
    created_at   BIGINT  NOT NULL,
    last_used_at BIGINT,
    expires_at   BIGINT,
    revoked_at   BIGINT
);

ALTER TABLE security_events ADD COLUMN feed_xact BIGINT NOT NULL DEFAULT 0;
CREATE INDEX security_events_feed ON security_events (feed_xact, id);

CREATE TABLE webhook_endpoints (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    url           TEXT    NOT NULL UNIQUE,
    secret        TEXT    NOT NULL,  -- whsec_…: needed as is to sign
    events        TEXT    NOT NULL,  -- comma-separated event types, or * for all
    created_at    BIGINT  NOT NULL,
    failing_since BIGINT,            -- the first failure since the last success
    disabled_at   BIGINT             -- after days of failure: nothing more is sent
);

CREATE TABLE webhook_outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint_id     INTEGER NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    message_id      TEXT    NOT NULL,  -- webhook-id: the same for every attempt
    event_type      TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT  NOT NULL,
    leased_until    BIGINT,            -- a server is sending it until then
    delivered_at    BIGINT,
    given_up_at     BIGINT
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_at) WHERE delivered_at IS NULL AND given_up_at IS NULL;
CREATE INDEX webhook_outbox_by_endpoint ON webhook_outbox (endpoint_id, id);

CREATE TABLE webhook_attempts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    outbox_id   INTEGER NOT NULL REFERENCES webhook_outbox(id) ON DELETE CASCADE,
    endpoint_id INTEGER NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    at          BIGINT  NOT NULL,
    status      INTEGER,           -- the HTTP status; NULL when nothing answered
    latency_ms  BIGINT  NOT NULL,
    error       TEXT
);
CREATE INDEX webhook_attempts_by_time ON webhook_attempts (at);
CREATE INDEX webhook_attempts_by_outbox ON webhook_attempts (outbox_id);

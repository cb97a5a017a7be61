-- Times are BIGINT milliseconds since the Unix epoch, in both engines.
CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         TEXT    NOT NULL,
    email_key     TEXT    NOT NULL UNIQUE,  -- lower-cased email: unique case-insensitively
    password_hash TEXT    NOT NULL,
    password_changed_at BIGINT NOT NULL,
    created_at    BIGINT  NOT NULL
);

CREATE TABLE sessions (
    id                    TEXT    PRIMARY KEY,  -- public id, base64url of 16 random bytes
    secret_hash           BYTEA   NOT NULL,     -- SHA-256 of the 32-byte secret
    user_id               BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at            BIGINT  NOT NULL,
    last_seen_at          BIGINT  NOT NULL,
    expires_at            BIGINT  NOT NULL,     -- min(last_seen + idle timeout, absolute expiry)
    absolute_expires_at   BIGINT  NOT NULL,
    password_confirmed_at BIGINT  NOT NULL,
    ip                    TEXT    NOT NULL,
    user_agent            TEXT    NOT NULL,
    browser               TEXT,
    os                    TEXT,
    device_kind           TEXT    NOT NULL,     -- desktop | phone | tablet | unknown
    device_model          TEXT,
    location              TEXT
);
CREATE INDEX sessions_by_user ON sessions (user_id, last_seen_at);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- Why a session ended: how a signed-out device is told what happened.
CREATE TABLE session_endings (
    session_id TEXT    PRIMARY KEY,
    user_id    BIGINT  NOT NULL,
    reason     TEXT    NOT NULL,  -- terminated | logged_out | expired | password_changed | account_deleted
    ended_by   TEXT,              -- the session that ended it, when one did
    ended_at   BIGINT  NOT NULL
);
CREATE INDEX session_endings_by_time ON session_endings (ended_at);

CREATE TABLE security_events (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id          BIGINT  REFERENCES users(id) ON DELETE CASCADE,
    kind             TEXT    NOT NULL,
    session_id       TEXT,   -- the session the event is about
    actor_session_id TEXT,   -- the session that did it
    detail           TEXT,   -- e.g. the device of the session that was ended
    ip               TEXT    NOT NULL,
    device           TEXT    NOT NULL,
    location         TEXT,
    created_at       BIGINT  NOT NULL
);
CREATE INDEX security_events_by_user ON security_events (user_id, created_at);

CREATE TABLE login_failures (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email_key TEXT   NOT NULL,
    ip        TEXT   NOT NULL,
    at        BIGINT NOT NULL
);
CREATE INDEX login_failures_by_email ON login_failures (email_key, at);
CREATE INDEX login_failures_by_ip ON login_failures (ip, at);
CREATE INDEX login_failures_by_time ON login_failures (at);

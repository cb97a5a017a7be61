-- Links sent by email: set a new password (reset), "This wasn't me" (not_me), finish a sign-up
-- (verify_email). Single use, short-lived, stored as the SHA-256 of their token. A sign-up link
-- has no account yet: it carries the address and the chosen password's hash instead.
CREATE TABLE email_links (
    token_hash    TEXT    PRIMARY KEY,
    user_id       INTEGER REFERENCES users(id) ON DELETE CASCADE,
    purpose       TEXT    NOT NULL,  -- reset | not_me | verify_email
    session_id    TEXT,              -- not_me: the session the person did not recognise
    email         TEXT,              -- verify_email: the address
    password_hash TEXT,              -- verify_email: the chosen password (argon2id)
    expires_at    BIGINT  NOT NULL,
    used_at       BIGINT
);
CREATE INDEX email_links_by_expiry ON email_links (expires_at);

-- A name the person gave the session ("Work laptop"), and what was new about its sign-in.
ALTER TABLE sessions ADD COLUMN name TEXT;
ALTER TABLE sessions ADD COLUMN new_device BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE sessions ADD COLUMN new_country BOOLEAN NOT NULL DEFAULT FALSE;
-- The account's auto sign-out when the session began (ms); NULL: the server's idle timeout.
ALTER TABLE sessions ADD COLUMN idle_ms BIGINT;

-- Auto sign-out: sign out devices unused this long (ms); NULL: never (the server's limit only).
ALTER TABLE users ADD COLUMN idle_limit_ms BIGINT;

-- Where and on what a session was seen over its life: one row at sign-in and one each time its
-- address or browser changed (the newest 20 are kept). Gone with the session.
CREATE TABLE session_sightings (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id  TEXT    NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    at          BIGINT  NOT NULL,
    ip          TEXT    NOT NULL,
    location    TEXT,
    browser     TEXT,
    os          TEXT,
    device_kind TEXT    NOT NULL
);
CREATE INDEX session_sightings_by_session ON session_sightings (session_id, id);

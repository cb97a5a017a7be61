-- Every way to sign in knows the session that added it, from where, and that session's
-- lineage (the sessions that led to it through passkeys they added, oldest first): disowning a
-- session ("This wasn't me") removes what it or its descendants added.
ALTER TABLE passkeys ADD COLUMN added_by TEXT;
ALTER TABLE passkeys ADD COLUMN added_lineage TEXT NOT NULL DEFAULT '';
ALTER TABLE passkeys ADD COLUMN added_ip TEXT NOT NULL DEFAULT '';
ALTER TABLE passkeys ADD COLUMN added_device TEXT NOT NULL DEFAULT '';
ALTER TABLE passkeys ADD COLUMN added_location TEXT;

ALTER TABLE totp ADD COLUMN added_by TEXT;
ALTER TABLE totp ADD COLUMN added_lineage TEXT NOT NULL DEFAULT '';
ALTER TABLE totp ADD COLUMN added_ip TEXT NOT NULL DEFAULT '';
ALTER TABLE totp ADD COLUMN added_device TEXT NOT NULL DEFAULT '';
ALTER TABLE totp ADD COLUMN added_location TEXT;
-- An app is in this table only once it is on; set-ups in progress belong to their session.
DELETE FROM totp WHERE enabled_at IS NULL;

-- The account's current set of recovery codes: when, by which session, from where.
CREATE TABLE recovery_code_sets (
    user_id        INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    added_by       TEXT,
    added_lineage  TEXT    NOT NULL DEFAULT '',
    added_ip       TEXT    NOT NULL DEFAULT '',
    added_device   TEXT    NOT NULL DEFAULT '',
    added_location TEXT,
    created_at     BIGINT  NOT NULL
);

-- The session that last changed the password (NULL: at sign-up, or through an emailed link).
ALTER TABLE users ADD COLUMN password_changed_by TEXT;

-- A session that signed in with a passkey descends from the sessions that added it.
ALTER TABLE sessions ADD COLUMN lineage TEXT NOT NULL DEFAULT '';

-- Setting up an authenticator app belongs to the session that began it; the secret is sealed
-- with a key only that session's cookie gives. Gone with the session.
CREATE TABLE totp_setups (
    session_id TEXT    PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    secret     TEXT    NOT NULL,
    expires_at BIGINT  NOT NULL
);
CREATE INDEX totp_setups_by_expiry ON totp_setups (expires_at);

-- Fresh recovery codes are sealed with the session's key too: never plaintext at rest.
DELETE FROM recovery_reveals;

-- A WebAuthn ceremony that adds a passkey belongs to the session that began it.
ALTER TABLE webauthn_ceremonies ADD COLUMN session_id TEXT;

-- Half-signed-in browsers: a second factor is due, or (new-device verification) an emailed
-- code; where to go once signed in.
ALTER TABLE pending_logins ADD COLUMN kind TEXT NOT NULL DEFAULT 'second_factor';
ALTER TABLE pending_logins ADD COLUMN code_hash TEXT;
ALTER TABLE pending_logins ADD COLUMN then_to TEXT;
ALTER TABLE pending_logins ADD COLUMN created_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX pending_logins_by_user ON pending_logins (user_id, created_at);

-- Attempts at a secret are counted per key and window: one row per key, whatever the flood.
DROP TABLE attempts;
CREATE TABLE attempts (
    key          TEXT    PRIMARY KEY,
    count        BIGINT  NOT NULL,
    window_start BIGINT  NOT NULL
);
CREATE INDEX attempts_by_window ON attempts (window_start);

-- A sign-up link remembers the browser that asked for it (hash of its device token): another
-- browser confirming it must choose the password itself.
ALTER TABLE email_links ADD COLUMN device_hash TEXT;

-- How each session signed in: password | password_totp | password_recovery | passkey.
ALTER TABLE sessions ADD COLUMN method TEXT NOT NULL DEFAULT 'password';

-- The authenticator app of an account (TOTP, RFC 6238). `enabled_at` is NULL while being set up.
CREATE TABLE totp (
    user_id    INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    secret     TEXT    NOT NULL,            -- base32
    enabled_at BIGINT,
    last_step  BIGINT  NOT NULL DEFAULT 0,  -- the newest time step used: a code is never taken twice
    created_at BIGINT  NOT NULL
);

-- One-time recovery codes, stored as SHA-256 (they are random, 50 bits each).
CREATE TABLE recovery_codes (
    user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT    NOT NULL,
    used_at   BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

-- Fresh recovery codes, kept only until the page that shows them once has shown them.
CREATE TABLE recovery_reveals (
    session_id TEXT   PRIMARY KEY,
    codes      TEXT   NOT NULL,
    expires_at BIGINT NOT NULL
);

-- Half-signed-in browsers: the password was right, the second factor is still due. Nothing
-- but finishing or cancelling accepts them.
CREATE TABLE pending_logins (
    id_hash    TEXT    PRIMARY KEY,          -- SHA-256 of the cookie's token
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    credential TEXT    NOT NULL,             -- the password hash the log-in was checked against
    expires_at BIGINT  NOT NULL
);
CREATE INDEX pending_logins_by_expiry ON pending_logins (expires_at);

-- Passkeys (WebAuthn). `passkey` is webauthn-rs's serialised credential.
CREATE TABLE passkeys (
    credential_id TEXT    PRIMARY KEY,       -- base64url
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name          TEXT    NOT NULL,
    passkey       TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL,
    last_used_at  BIGINT
);
CREATE INDEX passkeys_by_user ON passkeys (user_id);

-- The WebAuthn handle of each account (a random UUID, never the database id).
CREATE TABLE webauthn_users (
    user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    handle  TEXT    NOT NULL UNIQUE
);

-- A WebAuthn ceremony in progress (registration or sign-in), for a few minutes, used once.
CREATE TABLE webauthn_ceremonies (
    id_hash    TEXT    PRIMARY KEY,
    user_id    INTEGER REFERENCES users(id) ON DELETE CASCADE,
    state      TEXT    NOT NULL,
    expires_at BIGINT  NOT NULL
);
CREATE INDEX webauthn_ceremonies_by_expiry ON webauthn_ceremonies (expires_at);

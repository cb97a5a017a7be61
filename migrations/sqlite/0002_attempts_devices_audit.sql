-- Attempts at a secret (password, code), counted before each is checked: one row per attempt
-- and per key it counts against ("email:…", "ip:…", "device:…", "signup:…", "2fa:…").
CREATE TABLE attempts (
    id  INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT    NOT NULL,
    at  BIGINT  NOT NULL
);
CREATE INDEX attempts_by_key ON attempts (key, at);
CREATE INDEX attempts_by_time ON attempts (at);
DROP TABLE login_failures;

-- Browsers that signed in to an account before (hash of their device cookie).
CREATE TABLE known_devices (
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    device        TEXT    NOT NULL,  -- hex SHA-256 of the device token
    first_seen_at BIGINT  NOT NULL,
    last_seen_at  BIGINT  NOT NULL,
    PRIMARY KEY (user_id, device)
);

-- Security events outlive a deleted account (user_id becomes NULL), so its deletion and the
-- endings it caused stay on record. SQLite cannot change a foreign key: rebuild the table.
CREATE TABLE security_events_new (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id          INTEGER REFERENCES users(id) ON DELETE SET NULL,
    kind             TEXT    NOT NULL,
    session_id       TEXT,
    actor_session_id TEXT,
    detail           TEXT,
    ip               TEXT    NOT NULL,
    device           TEXT    NOT NULL,
    location         TEXT,
    created_at       BIGINT  NOT NULL
);
INSERT INTO security_events_new SELECT id, user_id, kind, session_id, actor_session_id, detail, ip, device, location, created_at FROM security_events;
DROP TABLE security_events;
ALTER TABLE security_events_new RENAME TO security_events;
CREATE INDEX security_events_by_user ON security_events (user_id, created_at);
CREATE INDEX security_events_by_time ON security_events (created_at);

-- Keys the app servers share (e.g. for signing the messages shown after a redirect), made at
-- first start: whichever server inserts first wins, the others read it.
CREATE TABLE server_keys (
    name TEXT PRIMARY KEY,
    secret TEXT NOT NULL  -- base64url of 32 random bytes
);

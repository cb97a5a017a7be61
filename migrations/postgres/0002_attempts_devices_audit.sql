-- Attempts at a secret (password, code), counted before each is checked: one row per attempt
-- and per key it counts against ("email:…", "ip:…", "device:…", "signup:…", "2fa:…").
CREATE TABLE attempts (
    id  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key TEXT    NOT NULL,
    at  BIGINT  NOT NULL
);
CREATE INDEX attempts_by_key ON attempts (key, at);
CREATE INDEX attempts_by_time ON attempts (at);
DROP TABLE login_failures;

-- Browsers that signed in to an account before (hash of their device cookie).
CREATE TABLE known_devices (
    user_id       BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    device        TEXT    NOT NULL,  -- hex SHA-256 of the device token
    first_seen_at BIGINT  NOT NULL,
    last_seen_at  BIGINT  NOT NULL,
    PRIMARY KEY (user_id, device)
);

-- Security events outlive a deleted account (user_id becomes NULL), so its deletion and the
-- endings it caused stay on record.
ALTER TABLE security_events DROP CONSTRAINT security_events_user_id_fkey;
ALTER TABLE security_events ADD CONSTRAINT security_events_user_id_fkey
    FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE SET NULL;
CREATE INDEX security_events_by_time ON security_events (created_at);

-- Keys the app servers share (e.g. for signing the messages shown after a redirect), made at
-- first start: whichever server inserts first wins, the others read it.
CREATE TABLE server_keys (
    name TEXT PRIMARY KEY,
    secret TEXT NOT NULL  -- base64url of 32 random bytes
);

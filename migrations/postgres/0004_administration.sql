-- Suspended accounts cannot sign in; their sessions were ended when they were suspended.
ALTER TABLE users ADD COLUMN suspended_at BIGINT;
ALTER TABLE users ADD COLUMN suspended_reason TEXT;

-- Administrators, made by the operator on the server (`active-sessions admin grant EMAIL`).
CREATE TABLE admins (
    user_id    BIGINT  PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    granted_at BIGINT  NOT NULL
);

-- Every administrative action: who, whom, what, why, when and from where. Kept when either
-- account goes away (the emails are copied).
CREATE TABLE admin_log (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    admin_user_id  BIGINT  REFERENCES users(id) ON DELETE SET NULL,
    admin          TEXT    NOT NULL,  -- the administrator's email, or "operator (command line)"
    target_user_id BIGINT  REFERENCES users(id) ON DELETE SET NULL,
    target         TEXT,              -- the account acted on (email), if one
    action         TEXT    NOT NULL,
    reason         TEXT    NOT NULL,
    detail         TEXT,
    ip             TEXT    NOT NULL,
    device         TEXT    NOT NULL,
    location       TEXT,
    created_at     BIGINT  NOT NULL
);
CREATE INDEX admin_log_by_time ON admin_log (created_at);

-- Links sent by email (password reset, "This wasn't me"): single use, short-lived, stored as
-- the SHA-256 of their token.
CREATE TABLE email_links (
    token_hash TEXT    PRIMARY KEY,
    user_id    BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose    TEXT    NOT NULL,  -- reset | not_me
    session_id TEXT,              -- for not_me: the session the person did not recognise
    expires_at BIGINT  NOT NULL,
    used_at    BIGINT
);
CREATE INDEX email_links_by_expiry ON email_links (expires_at);

-- Servers sharing this database with their session-check cache on (see src/identity/fleet.rs):
-- each holds a lease, renewed every second, and acknowledges every revocation it applied.
CREATE TABLE cache_servers (
    id          TEXT    PRIMARY KEY,
    applied_seq BIGINT  NOT NULL,
    lease_until BIGINT  NOT NULL,  -- database time, ms since the epoch
    fenced      BOOLEAN NOT NULL DEFAULT FALSE
);
-- Numbers endings, in the order they committed.
CREATE SEQUENCE cache_revocations;
SELECT nextval('cache_revocations');

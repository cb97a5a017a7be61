-- Servers sharing a Postgres database with their session-check cache on hold leases here (see
-- src/identity/fleet.rs). On SQLite, processes share one file and a signal next to it instead:
-- the table stays empty, and exists so that both databases have the same schema.
CREATE TABLE cache_servers (
    id          TEXT    PRIMARY KEY,
    applied_seq BIGINT  NOT NULL,
    lease_until BIGINT  NOT NULL,
    fenced      BOOLEAN NOT NULL DEFAULT FALSE
);

//! Keeping the per-request check fast and right: the in-process cache, batched lookups, and
//! the ways several processes keep their caches honest (the SQLite signal file, Postgres leases).

pub mod batch;
pub mod cache;
pub mod fleet;
pub mod signal;

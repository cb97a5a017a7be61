//! Integration tests: the real app on a real socket, against real SQLite files and a real
//! Postgres server. Every test body runs once per back-end, each on a fresh database. One
//! folder per feature of `src/`, and `platform` for what every feature stands on.

#[macro_use]
mod support;

mod account_recovery;
mod admin;
mod architecture;
mod auth;
mod live;
mod operator;
mod platform;
mod sessions;
mod two_factor;

//! Integration tests: the real app on a real socket, against real SQLite files and a real
//! Postgres server. Every test body runs once per back-end, each on a fresh database.

#[macro_use]
mod support;

mod abuse;
mod accounts;
mod admin;
mod architecture;
mod barriers;
mod crash;
mod headers;
mod history;
mod live;
mod logs;
mod process;
mod properties;
mod races;
mod recovery;
mod security;
mod servers;
mod sessions;
mod two_factor;
mod wire;

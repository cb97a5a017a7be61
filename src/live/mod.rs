//! Live: every signed-in tab holds one event stream (server-sent events, `GET /events`).
//!
//! - `ended` (data: the reason code) when the tab's own session ends — terminated, logged out
//!   elsewhere, password changed, ended by an administrator, expired — and the stream closes
//!   with it: it never outlives its session;
//! - `sessions` (data: `added <id>`, `removed <id>` or `refresh`) when another session of the
//!   account starts or ends, so the Active sessions list follows without a reload; a new row
//!   is fetched from `GET /active-sessions/rows/<id>`, rendered by the same component as the
//!   page's rows.
//!
//! The stream hears of starts and endings from this server at once and, on Postgres, from the
//! others through `LISTEN`/`NOTIFY` (`identity::session::LiveHub`). It also re-reads its own session at the
//! moment it would expire and every few seconds, so an ending it did not hear of (the command
//! line on SQLite, a lost notification connection) still closes it. Heartbeats keep proxies
//! from dropping it; the number open per session and per account is capped.

pub mod contract;
pub mod markup;

#[cfg(feature = "hydrate")]
pub mod browser;
#[cfg(feature = "ssr")]
mod stream;

#[cfg(feature = "ssr")]
pub use stream::events;

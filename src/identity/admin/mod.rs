//! Administrators (granted on the server) and what they do to accounts and sessions.

mod by_api;
mod service;
mod store;

pub use by_api::{ApiAnswer, MAX_REASON, clean_reason};
pub use service::{Actor, Administration, Target};
pub use store::{Glance, LogEntry, NewLogEntry, UserSummary};

//! Administrators (granted on the server) and what they do to accounts and sessions.

mod service;
mod store;

pub use service::{Actor, Administration, Target};
pub use store::{Glance, LogEntry, UserSummary};

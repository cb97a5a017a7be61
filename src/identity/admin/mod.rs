//! Administrators (granted on the server) and what they do to accounts and sessions.

mod service;
pub mod store;

pub use service::*;
pub use store::{Glance, LogEntry, UserSummary};

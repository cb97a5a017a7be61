//! Security events: sign-ins, failed sign-ins, sign-outs, terminations, password changes.

pub mod types;
#[cfg(feature = "ssr")]
pub mod store;

//! Two-factor authentication: an authenticator app (TOTP) with recovery codes — turning it on
//! and off in the account settings, and the second step of a log-in. The mechanism (codes,
//! replay protection, the pending log-in) lives in `identity`; this is the feature around it.

pub mod api;
pub mod pages;

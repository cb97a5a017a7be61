//! Signing in: the half-signed-in state while a second factor is due, what was new about a
//! sign-in, and the alert mailed about it.

pub mod alerts;
pub mod novelty;
pub mod pending;

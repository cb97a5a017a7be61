//! The administrators' console: find accounts, see and end their sessions, suspend and
//! reinstate, sign everyone out, and the admin log. Who is an administrator is set by the
//! operator on the server (`app::cli`); the mechanism is `identity::admin`.

pub mod api;
pub mod pages;
mod webhooks;

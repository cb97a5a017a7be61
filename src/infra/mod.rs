//! The bottom layer: what every feature stands on and that knows nothing of them —
//! configuration, the database, the clock, HTTP middleware, the error type, route paths.

pub mod codec;
pub mod error;
pub mod flash;
pub mod routes;
pub mod timefmt;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod client;
#[cfg(feature = "ssr")]
pub mod clock;
#[cfg(feature = "ssr")]
pub mod config;
#[cfg(feature = "ssr")]
pub mod response;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod forms;
#[cfg(feature = "ssr")]
pub mod guard;
#[cfg(feature = "ssr")]
pub mod headers;
#[cfg(feature = "ssr")]
pub mod mail;
#[cfg(feature = "ssr")]
pub mod random;

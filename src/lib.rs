//! Active Sessions: an account-security web app whose centre is the list of every device
//! signed in to your account.
//!
//! The top-level modules are layers; imports only run downward (see `docs/ARCHITECTURE.md`,
//! enforced by `tests/it/architecture.rs`):
//!
//! - `app`: the HTML shell, the routes, the signed-in frame, the HTTP server;
//! - features: `auth`, `sessions` (the Active sessions page), `settings`, `activity`,
//!   `two_factor`, `passkeys`, `admin`, `live`;
//! - `identity`: accounts, passwords, the session mechanism (token, cookie, per-request check,
//!   cache, batching), security events;
//! - `infra`: configuration, database, clock, HTTP middleware, errors, routes.
#![recursion_limit = "512"]

pub mod infra;

pub mod identity;

pub mod account_recovery;
pub mod activity;
pub mod admin;
pub mod auth;
pub mod live;
#[cfg(feature = "ssr")]
pub mod operator_api;
pub mod passkeys;
pub mod sessions;
pub mod settings;
pub mod two_factor;

pub mod app;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}

//! Active Sessions: an account-security web app whose centre is the list of every device
//! signed in to your account.
#![recursion_limit = "512"]

pub mod app;
pub mod auth;
pub mod codec;
pub mod error;
pub mod events;
pub mod layout;
pub mod sessions;
pub mod settings;
pub mod timefmt;

#[cfg(feature = "ssr")]
pub mod server;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}

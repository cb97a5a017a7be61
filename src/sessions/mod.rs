//! The Active sessions page: the list of every device signed in to the account, and ending
//! one, some or all of them. The session mechanism itself lives in `identity`.
//!
//! - `types`: what travels between server and browser;
//! - `api`: the server functions (thin: caller, identity services, errors);
//! - `rows`: the list's server-rendered markup (`fragments`: its rows for the live list); `browser`: its behaviour in the browser;
//!   `contract`: the ids and `data-*` names the two share; `confirm`: what the confirm step asks;
//! - `pages`: the page, and the confirm pages used without JavaScript.

pub mod api;
pub mod confirm;
pub mod contract;
#[cfg(feature = "ssr")]
pub mod flags;
#[cfg(feature = "ssr")]
pub mod fragments;
pub mod pages;
pub mod rows;
pub mod types;

#[cfg(feature = "hydrate")]
pub mod browser;
#[cfg(feature = "hydrate")]
pub mod calls;

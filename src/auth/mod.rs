//! Accounts: sign up, log in, log out, change password, delete the account.

pub mod api;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod password;
#[cfg(feature = "ssr")]
pub mod store;

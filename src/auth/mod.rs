//! Accounts: sign up, log in, log out, change password, delete the account.

pub mod api;
#[cfg(feature = "ssr")]
mod mails;
pub mod pages;

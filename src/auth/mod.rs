//! Accounts: sign up, log in, log out, change password, delete the account.

pub mod api;
pub mod pages;

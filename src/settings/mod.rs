//! The account's settings: the account settings page (sessions, auto sign-out, second
//! factors, password, deleting the account), and the review of sign-in methods after a
//! recovery.

mod account;
pub mod review;

pub use account::AccountSettingsPage;

//! Signing up, logging in and out, the password: accounts, throttling of every secret check,
//! and the barriers a password change or an account deletion puts up against log-ins in flight.

mod accounts;
mod barriers;
mod throttling;

//! Accounts and how one proves to be their owner: passwords (bounded argon2) and the one
//! password check with its throttle, emailed links, second factors (an authenticator app with
//! recovery codes, passkeys), and the browsers known to have signed in.

pub mod credentials;
pub mod email_links;
pub mod passkey_store;
pub mod passkeys;
pub mod passwords;
pub mod throttle;
pub mod totp;
pub mod users;

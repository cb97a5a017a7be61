//! Accounts and how one proves to be their owner: passwords (bounded argon2) and the one
//! password check with its throttle, emailed links, second factors (an authenticator app with
//! recovery codes, passkeys), and the browsers known to have signed in.

mod accounts;
pub mod credentials;
pub mod email_links;
pub mod passkey_store;
pub mod passkeys;
pub mod passwords;
pub mod throttle;
pub mod totp;
mod two_factor;
pub mod users;

pub use accounts::Accounts;
pub use credentials::{Code, Credentials};
pub use passkeys::{Ceremony, Passkeys};
pub use passkey_store::PasskeyRow;
pub use two_factor::{Setup, TwoFactor, TwoFactorStatus};
pub use users::{MAX_EMAIL, check_email};

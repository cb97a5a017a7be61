//! Accounts and how one proves to be their owner: passwords (bounded argon2) and the one
//! password check with its throttle, emailed links, second factors (an authenticator app with
//! recovery codes, passkeys), and the browsers known to have signed in.

mod accounts;
mod credentials;
pub(crate) mod email_links;
mod methods;
mod notices;
mod passkey_store;
mod passkeys;
mod passwords;
pub(crate) mod provenance;
mod throttle;
pub(crate) mod totp;
mod two_factor;
pub(crate) mod users;

pub use accounts::Accounts;
pub use methods::{REVIEW_WINDOW_MS, SignInMethods};
pub use notices::Notices;
pub use provenance::{Method, MethodKind};
pub use credentials::{Budgets, Code, Credentials, MAILS_PER_ADDRESS, device_key};
pub use passkey_store::{PasskeyRow, seed as seed_passkey};
pub use passkeys::{Ceremony, Passkeys, clean_name as clean_passkey_name};
pub use passwords::{BUSY_RETRY_AFTER, MAX_CHARS as MAX_PASSWORD, MIN_CHARS as MIN_PASSWORD, Passwords, check_new as check_new_password};
pub use throttle::{Key, Limit, RetryAfter, Throttle, client_prefix};
pub use totp::{Added, RECOVERY_CODES, code_at as authenticator_code};
pub use two_factor::{Setup, TwoFactor, TwoFactorStatus};
pub use users::{MAX_EMAIL, check_email, create as seed_user, insert_many as seed_users};

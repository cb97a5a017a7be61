//! Signing in and out: the flow from what a browser brings to what it is told (password,
//! second factor, passkey, emailed links), signing devices out, the half-signed-in state while
//! a second factor is due, what was new about a sign-in, and the emails it sends.

mod alerts;
mod devices;
mod flow;
mod links;
mod mails;
pub(crate) mod novelty;
mod pending;

pub use devices::SessionEnded;
pub use flow::{Browser, CookieChange, Landing, SignIn, SignUp, signed_out_page};
pub use links::AlertedSignIn;
pub use novelty::{Novelty, country};
pub use pending::LIFETIME_MS as PENDING_LIFETIME_MS;

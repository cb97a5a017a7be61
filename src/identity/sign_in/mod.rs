//! Signing in and out: the flow from what a browser brings to what it is told (password, second
//! factor, passkey, emailed links), the half-signed-in state while a second factor is due,
//! what was new about a sign-in, and the emails it sends.

pub mod alerts;
mod devices;
mod flow;
mod links;
mod mails;
pub mod novelty;
pub mod pending;

pub use flow::{Browser, CookieChange, Landing, SignIn, SignUp, signed_out_page};
pub use devices::SessionEnded;
pub use links::AlertedSignIn;

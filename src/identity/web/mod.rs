//! The HTTP edge of identity: the session layer every dynamic request passes, the cookies,
//! and the `Caller` of a server function.

mod caller;
mod cookie;
mod layer;

pub use caller::{Caller, RequestAuth, SignedIn, maybe_signed_in};
pub use cookie::{CookieJar, FromCookie};
pub use layer::{SignedOutBecause, admin_gate, email_link_from_url, session_layer};

//! Getting back into an account, and securing it, from an email: "Forgot password?" and the
//! reset link, the "This wasn't me" link of a sign-in alert, and the link that finishes a
//! sign-up when mail is configured. The links' tokens reach the server once in the address and
//! are moved into a cookie at once (`identity::web::email_link_from_url`).

pub mod api;
pub mod pages;

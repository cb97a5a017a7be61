//! Sessions: the token in the cookie, the rows and their endings, the check every request makes
//! (with the cache and its coherence across processes in [`check`]), and the hub that tells
//! open tabs of every start and ending.

mod account;
mod lookups;
pub mod check;
pub mod endings;
pub mod hub;
pub mod service;
pub mod store;
pub mod token;

pub use service::*;

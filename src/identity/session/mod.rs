//! Sessions: the token in the cookie, the rows and their endings, the check every request makes
//! (with the cache and its coherence across processes in [`check`]), and the hub that tells
//! open tabs of every start and ending.

mod account;
pub mod check;
pub(crate) mod endings;
mod hub;
mod lookups;
mod service;
pub(crate) mod store;
mod token;

pub use endings::Disowned;
pub use hub::{Change, LiveEvent, LiveHub, STREAMS_PER_SESSION, STREAMS_PER_USER, StreamSlot};
pub use service::{AuthSession, Checked, SessionRules, SessionService, SignedInWith, Started, TOUCH_INTERVAL_MS};
pub use store::{SessionRecord, SessionTimes, Sighting, SightingRecord, Via};
pub use token::{SessionKey, SessionToken, TOKEN_CHARS, is_public_id};

/// Inserts sessions without events, in large statements: how tests and benchmarks seed many
/// sessions quickly (through the store, like the app itself).
pub use store::insert_many as seed_sessions;

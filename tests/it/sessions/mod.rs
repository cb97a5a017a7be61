//! The Active sessions page and the session rules behind it: the list and ending sessions
//! (one, the others, this one), their history and names, races of ending against use, several
//! servers on one database, and crashes.

mod across_servers;
mod crash;
mod history;
mod page;
pub mod races;

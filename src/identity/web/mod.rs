//! The HTTP edge of identity: the session layer every dynamic request passes, the cookies,
//! and the `Caller` of a server function.

pub mod caller;
pub mod cookie;
pub mod layer;

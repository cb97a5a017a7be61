//! The ids and attributes the live markup (`markup`) and the browser code (`browser`) share.

/// The `alert` a tab shows when its session ended.
pub const SIGNED_OUT: &str = "signed-out";
/// Its sentence (filled from the hidden sentences, by reason).
pub const SIGNED_OUT_TEXT: &str = "signed-out-text";
/// The quiet `status` line of the stream ("Reconnecting…").
pub const LIVE_STATUS: &str = "live-status";
/// On a hidden sentence: the end reason it explains.
pub const ENDED_MESSAGE: &str = "data-ended-message";
/// On a hidden sentence: the words for a stream that lost its connection.
pub const RECONNECTING: &str = "data-reconnecting";
/// On the status line: `open` while the stream is connected (tests wait for it).
pub const STREAM_STATE: &str = "data-stream";
/// The banner every open tab shows after a sign-in from a new device or country.
pub const NEW_SIGN_IN: &str = "new-sign-in";
/// Its sentence (sent by the server).
pub const NEW_SIGN_IN_TEXT: &str = "new-sign-in-text";

//! Live updates: every tab's event stream.

mod stream;

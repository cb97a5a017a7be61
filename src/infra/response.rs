//! What any server function may do with its response, and how server-side failures are
//! reported without leaking their details.

use super::error::AppError;
use http::{HeaderName, HeaderValue};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

pub fn append_header(name: HeaderName, value: HeaderValue) {
    if let Some(res) = use_context::<ResponseOptions>() {
        res.append_header(name, value);
    }
}

/// Logs a server-side failure (without request data) and gives the caller a plain message.
pub fn internal(what: impl std::fmt::Display) -> AppError {
    tracing::error!("internal error: {what}");
    AppError::Internal
}

/// A value every server function finds in its context (the app provides it), or an error
/// instead of a panic.
pub fn expect<T: Clone + Send + Sync + 'static>(what: &str) -> Result<T, AppError> {
    use_context::<T>().ok_or_else(|| internal(format_args!("{what} missing from context")))
}

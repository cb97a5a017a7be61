//! Small pieces of markup every feature uses, and the message a page was redirected with.

use super::{
    error::AppError,
    flash::{Kind, Message},
};
use leptos::prelude::*;

/// The message the server sealed into this page's URL (`?msg=`), if any and still fresh.
/// Only the server renders pages, so only the server reads it.
pub fn message() -> Option<Message> {
    #[cfg(feature = "ssr")]
    {
        let sealed = leptos_router::hooks::use_query_map().get_untracked().get(super::flash::PARAM)?;
        use_context::<std::sync::Arc<super::flash::Messages>>()?.open(&sealed)
    }
    #[cfg(not(feature = "ssr"))]
    None
}

/// The message of `kind`, as `(code, number)`.
pub fn message_of(kind: Kind) -> Option<(String, Option<u64>)> {
    message().filter(|m| m.kind == kind).map(|m| (m.code, m.number))
}

/// The error a refused no-JS form post came back with, as a sentence.
pub fn form_error() -> Option<String> {
    let (code, retry) = message_of(Kind::Error)?;
    AppError::from_code(&code, retry).map(|e| e.to_string())
}

#[component]
pub fn FormError(message: Option<String>) -> impl IntoView {
    message.map(|m| view! { <p class="message error" role="alert">{m}</p> })
}

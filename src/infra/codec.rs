//! A tiny text wire format for the answers the islands read from server functions (errors and
//! the result of ending sessions). JSON would pull serde_json and float formatting into the
//! WASM; these answers are a code and two numbers, readable by people and by `curl` too.

use leptos::server_fn::{Bytes, ContentType, Decodes, Encodes, Format, FormatType, codec::Post};

/// A value with a one-line text form.
pub trait Wire: Sized {
    fn to_wire(&self) -> String;
    fn from_wire(text: &str) -> Option<Self>;
}

pub struct TextCodec;

/// The output encoding: `#[server(output = Text)]`.
pub type Text = Post<TextCodec>;

impl ContentType for TextCodec {
    const CONTENT_TYPE: &'static str = "text/plain; charset=utf-8";
}

impl FormatType for TextCodec {
    const FORMAT_TYPE: Format = Format::Text;
}

#[derive(Debug)]
pub struct Unreadable;

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("unreadable answer")
    }
}

impl<T: Wire> Encodes<T> for TextCodec {
    type Error = Unreadable;
    fn encode(value: &T) -> Result<Bytes, Unreadable> {
        Ok(Bytes::from(value.to_wire()))
    }
}

impl<T: Wire> Decodes<T> for TextCodec {
    type Error = Unreadable;
    fn decode(bytes: Bytes) -> Result<T, Unreadable> {
        std::str::from_utf8(&bytes).ok().and_then(|s| T::from_wire(s.trim())).ok_or(Unreadable)
    }
}

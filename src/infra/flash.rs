//! Messages shown once after a redirect ("Session terminated", "Your session was ended from
//! another device", a no-JS form's error). They travel in the redirect's URL as `?msg=`, sealed
//! by the server: the text is one of the app's own codes, with an expiry a minute ahead and an
//! HMAC made with a key only the app servers know. A link anyone can write
//! (`/login?signed_out=terminated`) shows nothing; a sealed one expires before it is of use
//! to anyone. Unlike a cookie, it survives `Clear-Site-Data` on the log-out answer.

#[cfg(feature = "ssr")]
pub use sealing::Messages;

/// The query parameter that carries a sealed message.
pub const PARAM: &str = "msg";

/// A message the app itself wrote: `kind:code[:number]`, e.g. `notice:others_ended:3`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub kind: Kind,
    pub code: String,
    pub number: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum Kind {
    /// Why this browser was signed out (an `EndReason`).
    SignedOut,
    /// What an action did (a `Notice`).
    Notice,
    /// Why a form was refused (an `AppError` code).
    Error,
}

/// `kind:code[:number]`.
impl std::fmt::Display for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind: &'static str = self.kind.into();
        match self.number {
            Some(n) => write!(f, "{kind}:{}:{n}", self.code),
            None => write!(f, "{kind}:{}", self.code),
        }
    }
}

impl Message {
    pub fn new(kind: Kind, code: &str, number: Option<u64>) -> Self {
        Message { kind, code: code.to_owned(), number }
    }


    #[cfg(feature = "ssr")]
    fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split(':');
        let kind = parts.next()?.parse().ok()?;
        let code = parts.next()?.to_owned();
        let number = match parts.next() {
            Some(n) => Some(n.parse().ok()?),
            None => None,
        };
        parts.next().is_none().then_some(Message { kind, code, number })
    }
}

#[cfg(feature = "ssr")]
mod sealing {
    use super::{Message, PARAM};
    use crate::infra::clock::Clock;
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    use hmac::{Hmac, Mac};
    use sha2::Sha256;
    use std::sync::Arc;

    /// How long a sealed message may be shown after it was made.
    pub(super) const LIFETIME_MS: i64 = 60_000;

    pub struct Messages {
        key: [u8; 32],
        clock: Arc<dyn Clock>,
    }

impl Messages {
    pub fn new(key: [u8; 32], clock: Arc<dyn Clock>) -> Self {
        Messages { key, clock }
    }

    fn mac(&self, payload: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(payload.as_bytes());
        mac
    }

    /// `message` sealed until a minute from now.
    pub fn seal(&self, message: &Message) -> String {
        self.seal_at(message, self.clock.now_ms())
    }

    pub(super) fn seal_at(&self, message: &Message, now: i64) -> String {
        let payload = format!("{}.{}", URL_SAFE_NO_PAD.encode(message.to_string()), now + LIFETIME_MS);
        let tag = URL_SAFE_NO_PAD.encode(self.mac(&payload).finalize().into_bytes());
        format!("{payload}.{tag}")
    }

    /// The message, if `sealed` was made by an app server and has not expired.
    pub fn open(&self, sealed: &str) -> Option<Message> {
        self.open_at(sealed, self.clock.now_ms())
    }

    pub(super) fn open_at(&self, sealed: &str, now: i64) -> Option<Message> {
        let (payload, tag) = sealed.rsplit_once('.')?;
        self.mac(payload).verify_slice(&URL_SAFE_NO_PAD.decode(tag).ok()?).ok()?;
        let (text, expires) = payload.split_once('.')?;
        if now > expires.parse::<i64>().ok()? {
            return None;
        }
        Message::parse(std::str::from_utf8(&URL_SAFE_NO_PAD.decode(text).ok()?).ok()?)
    }

    /// `path?msg=…[#fragment]`: where to send the browser so that `path` shows `message`.
    pub fn redirect(&self, path: &str, message: &Message) -> String {
        let (path, fragment) = path.split_once('#').map_or((path, None), |(p, f)| (p, Some(f)));
        let url = format!("{path}?{PARAM}={}", self.seal(message));
        match fragment {
            Some(fragment) => format!("{url}#{fragment}"),
            None => url,
        }
    }
}
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::{sealing::LIFETIME_MS, *};
    use crate::infra::clock::ManualClock;
    use std::sync::Arc;

    #[test]
    fn only_sealed_fresh_messages_open() {
        let clock = Arc::new(ManualClock::new(0));
        let messages = Messages::new([7; 32], clock.clone());
        let m = Message::new(Kind::Notice, "others_ended", Some(3));
        let sealed = messages.seal_at(&m, 1_000);
        assert_eq!(messages.open_at(&sealed, 2_000), Some(m.clone()));
        assert_eq!(messages.open_at(&sealed, 1_000 + LIFETIME_MS + 1), None, "expired");
        assert_eq!(Messages::new([8; 32], clock.clone()).open_at(&sealed, 2_000), None, "another key");
        let forged = sealed.replacen(&sealed[..4], "AAAA", 1);
        assert_eq!(messages.open_at(&forged, 2_000), None, "changed text");
        assert_eq!(messages.open_at("signed_out:terminated", 2_000), None, "plain text");
        let later = sealed.replace(".61000.", ".999999999.");
        assert_eq!(messages.open_at(&later, 2_000), None, "changed expiry");
    }
}

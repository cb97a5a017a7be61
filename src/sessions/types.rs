//! What travels between the server and the browser about sessions. Public ids only: the
//! secret and its hash never leave the server.

use crate::identity::types::{DeviceKind, SignInMethod};
use serde::{Deserialize, Serialize};

/// One row of the Active sessions list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    pub id: String,
    /// "Chrome on macOS", or "Unknown browser".
    pub device: String,
    pub kind: DeviceKind,
    /// A phone model from Client Hints, when they gave one.
    pub model: Option<String>,
    pub ip: String,
    /// "London, United Kingdom", "Local network" or "Unknown location".
    pub location: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub current: bool,
    /// How it signed in.
    pub method: SignInMethod,
}

/// Everything the Active sessions list needs to render.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionList {
    /// The current session first, then the others by last activity, newest first.
    pub sessions: Vec<SessionView>,
    /// The server's clock when the list was read (ms since the epoch).
    pub now: i64,
    /// Until when ending other sessions needs no password (ms since the epoch).
    pub reauth_until: i64,
    /// Whether the account has two-factor authentication on (if not, the page suggests it).
    pub two_factor: bool,
}

/// A session counts as "Active now" when it was used within this long.
pub const ACTIVE_WINDOW_MS: i64 = 5 * 60 * 1000;
/// The "Expires soon" badge shows when a session ends within this long.
pub const EXPIRES_SOON_MS: i64 = 24 * 60 * 60 * 1000;

impl SessionView {
    pub fn is_active(&self, now: i64) -> bool {
        self.current || now - self.last_seen_at < ACTIVE_WINDOW_MS
    }
    pub fn expires_soon(&self, now: i64) -> bool {
        self.expires_at - now < EXPIRES_SOON_MS
    }
}

/// What an ending action did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ended {
    /// How many sessions ended.
    pub count: usize,
    /// Until when further endings need no password (the password may just have been given).
    pub reauth_until: i64,
    /// Where this browser goes now, when it was signed out (the log-in page with its message).
    pub next: Option<String>,
}

/// On the wire: `<count> <reauth_until>[ <next>]`.
impl crate::infra::codec::Wire for Ended {
    fn to_wire(&self) -> String {
        match &self.next {
            Some(next) => format!("{} {} {next}", self.count, self.reauth_until),
            None => format!("{} {}", self.count, self.reauth_until),
        }
    }

    fn from_wire(text: &str) -> Option<Self> {
        let mut parts = text.splitn(3, ' ');
        let count = parts.next()?.parse().ok()?;
        let reauth_until = parts.next()?.parse().ok()?;
        let next = parts.next().filter(|n| n.starts_with('/') && !n.starts_with("//")).map(str::to_owned);
        Some(Ended { count, reauth_until, next })
    }
}

/// What a finished action says in the list's `status` region (and on the page a no-JS form
/// post lands on).
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum Notice {
    Terminated,
    AlreadyEnded,
    /// How many other sessions were logged out.
    OthersEnded(usize),
}

impl Notice {
    pub fn text(self) -> String {
        match self {
            Notice::Terminated => "Session terminated".to_owned(),
            Notice::AlreadyEnded => "That session had already ended".to_owned(),
            Notice::OthersEnded(0) => "No other sessions were signed in".to_owned(),
            Notice::OthersEnded(1) => "Logged out of 1 other session".to_owned(),
            Notice::OthersEnded(n) => format!("Logged out of {n} other sessions"),
        }
    }

    /// As a message sealed into the redirect after the action (`infra::flash`).
    pub fn message(self) -> crate::infra::flash::Message {
        let code: &'static str = self.into();
        let count = match self {
            Notice::OthersEnded(n) => Some(n as u64),
            _ => None,
        };
        crate::infra::flash::Message::new(crate::infra::flash::Kind::Notice, code, count)
    }

    /// The inverse of [`Notice::message`]. Unknown codes read as nothing.
    pub fn from_code(code: &str, count: Option<u64>) -> Option<Self> {
        match code.parse().ok()? {
            Notice::OthersEnded(_) => Some(Notice::OthersEnded(count.unwrap_or(0) as usize)),
            other => Some(other),
        }
    }
}

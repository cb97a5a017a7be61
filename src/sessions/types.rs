//! What travels between the server and the browser about sessions. Public ids only: the
//! secret and its hash never leave the server.

use crate::identity::model::{DeviceKind, SignInMethod};
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
    /// The name the person gave it ("Work laptop"), shown instead of the device label.
    pub name: Option<String>,
    /// What deserves a second look about it, each with a one-line reason.
    pub flags: Vec<Flag>,
}

/// Something about a session worth a second look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FlagKind {
    /// Signed in from a browser that had never signed in to the account.
    NewDevice,
    /// Signed in from a country no earlier sign-in came from.
    NewCountry,
    /// Its country or browser changed after it signed in.
    Changed,
}

impl FlagKind {
    /// The badge's words.
    pub fn label(self) -> &'static str {
        match self {
            FlagKind::NewDevice => "New device",
            FlagKind::NewCountry => "New country",
            FlagKind::Changed => "Changed during this session",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flag {
    pub kind: FlagKind,
    /// Why, in one line: "First sign-in to your account from Sweden".
    pub reason: String,
}

/// One place and device a session was seen at, for its details page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SightingView {
    pub at: i64,
    pub ip: String,
    pub location: String,
    pub device: String,
}

/// A session's details page: the row's facts and its whole recorded history, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionDetails {
    pub session: SessionView,
    pub history: Vec<SightingView>,
    pub now: i64,
    /// Until when ending other sessions needs no password.
    pub reauth_until: i64,
}

/// What a rename left on the row: the words it now shows (the name, or the device label).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Renamed(pub String);

impl crate::infra::codec::Wire for Renamed {
    fn to_wire(&self) -> String {
        self.0.clone()
    }

    fn from_wire(text: &str) -> Option<Self> {
        Some(Renamed(text.to_owned()))
    }
}

/// The longest name a session can be given (characters).
pub use crate::identity::model::MAX_SESSION_NAME;

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

pub use crate::identity::model::ACTIVE_WINDOW_MS;
/// The "Expires soon" badge shows when a session ends within this long.
pub const EXPIRES_SOON_MS: i64 = 24 * 60 * 60 * 1000;

impl SessionView {
    /// What the row calls it: its name, or its device label.
    pub fn title(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.device)
    }

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
    Renamed,
    /// How many other sessions were logged out.
    OthersEnded(usize),
}

impl Notice {
    pub fn text(self) -> String {
        match self {
            Notice::Terminated => "Session terminated".to_owned(),
            Notice::AlreadyEnded => "That session had already ended".to_owned(),
            Notice::Renamed => "Session renamed".to_owned(),
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

/// "Sign out devices I haven't used in": the account's own idle limit, enforced by the server
/// (never longer than the server's idle timeout).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr, strum::EnumString)]
pub enum AutoSignOut {
    #[strum(serialize = "7")]
    Days7,
    #[strum(serialize = "30")]
    Days30,
    #[strum(serialize = "90")]
    Days90,
    #[strum(serialize = "never")]
    Never,
}

impl AutoSignOut {
    pub const ALL: [AutoSignOut; 4] = [AutoSignOut::Days7, AutoSignOut::Days30, AutoSignOut::Days90, AutoSignOut::Never];

    pub fn days(self) -> Option<i64> {
        match self {
            AutoSignOut::Days7 => Some(7),
            AutoSignOut::Days30 => Some(30),
            AutoSignOut::Days90 => Some(90),
            AutoSignOut::Never => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AutoSignOut::Days7 => "7 days",
            AutoSignOut::Days30 => "30 days",
            AutoSignOut::Days90 => "90 days",
            AutoSignOut::Never => "Never",
        }
    }

    /// The choice a stored limit (ms) stands for; unknown values read as the nearest longer one.
    pub fn from_ms(limit: Option<i64>) -> Self {
        let day = 24 * 3600 * 1000;
        match limit {
            None => AutoSignOut::Never,
            Some(ms) => AutoSignOut::ALL.into_iter().find(|c| c.days().is_some_and(|d| ms <= d * day)).unwrap_or(AutoSignOut::Never),
        }
    }
}

/// The auto sign-out setting as the settings page shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoSignOutSetting {
    pub choice: AutoSignOut,
    /// The server's own idle timeout, in days (it applies whatever the choice).
    pub server_days: i64,
}

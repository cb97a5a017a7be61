//! What travels between the server and the browser about sessions. Public ids only: the
//! secret and its hash never leave the server.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceKind {
    Desktop,
    Phone,
    Tablet,
    #[default]
    Unknown,
}

impl DeviceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceKind::Desktop => "desktop",
            DeviceKind::Phone => "phone",
            DeviceKind::Tablet => "tablet",
            DeviceKind::Unknown => "unknown",
        }
    }

    pub fn from_str(value: &str) -> Self {
        match value {
            "desktop" => DeviceKind::Desktop,
            "phone" => DeviceKind::Phone,
            "tablet" => DeviceKind::Tablet,
            _ => DeviceKind::Unknown,
        }
    }
}

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
}

pub fn device_label(browser: Option<&str>, os: Option<&str>) -> String {
    match (browser, os) {
        (Some(browser), Some(os)) => format!("{browser} on {os}"),
        (Some(browser), None) => browser.to_owned(),
        (None, _) => "Unknown browser".to_owned(),
    }
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

/// Why a session ended; how a signed-out device is told what happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    Terminated,
    LoggedOut,
    Expired,
    PasswordChanged,
    AccountDeleted,
    /// Signed out to make room: the account reached its limit of sessions.
    Limit,
}

impl EndReason {
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::Terminated => "terminated",
            EndReason::LoggedOut => "logged_out",
            EndReason::Expired => "expired",
            EndReason::PasswordChanged => "password_changed",
            EndReason::AccountDeleted => "account_deleted",
            EndReason::Limit => "limit",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "terminated" => EndReason::Terminated,
            "logged_out" => EndReason::LoggedOut,
            "expired" => EndReason::Expired,
            "password_changed" => EndReason::PasswordChanged,
            "account_deleted" => EndReason::AccountDeleted,
            "limit" => EndReason::Limit,
            _ => return None,
        })
    }

    /// The sentence the login page shows to a device whose session ended.
    pub fn message(self) -> &'static str {
        match self {
            EndReason::Terminated => "Your session was ended from another device",
            EndReason::LoggedOut => "You have been logged out",
            EndReason::Expired => "Your session expired",
            EndReason::PasswordChanged => "Your password was changed, so this device was signed out",
            EndReason::AccountDeleted => "This account was deleted",
            EndReason::Limit => {
                "This device was signed out because your account signed in on too many devices"
            }
        }
    }
}

/// What an ending action did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ended {
    /// How many sessions ended.
    pub count: usize,
    /// Until when further endings need no password (the password may just have been given).
    pub reauth_until: i64,
}

/// On the wire: `<count> <reauth_until>`.
impl crate::codec::Wire for Ended {
    fn to_wire(&self) -> String {
        format!("{} {}", self.count, self.reauth_until)
    }

    fn from_wire(text: &str) -> Option<Self> {
        let (count, until) = text.split_once(' ')?;
        Some(Ended { count: count.parse().ok()?, reauth_until: until.parse().ok()? })
    }
}

/// The sentence for a finished action (also carried as `?notice=…` after a no-JS form post).
pub fn notice_text(code: &str, count: usize) -> Option<String> {
    Some(match code {
        "terminated" => "Session terminated".to_owned(),
        "already_ended" => "That session had already ended".to_owned(),
        "others_ended" => match count {
            0 => "No other sessions were signed in".to_owned(),
            1 => "Logged out of 1 other session".to_owned(),
            n => format!("Logged out of {n} other sessions"),
        },
        "password_changed" => "Password changed".to_owned(),
        "password_changed_others_ended" => "Password changed, and all other sessions were logged out".to_owned(),
        _ => return None,
    })
}

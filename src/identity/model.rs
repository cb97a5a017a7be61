//! What the identity layer shares with features and the browser: why a session ended, what
//! kind of device it is on, and the kinds of security events. Each enum's stored and wire
//! form is its variant name in snake_case, derived once (strum for strings, serde for data).

use serde::{Deserialize, Serialize};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, strum::IntoStaticStr, strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum DeviceKind {
    Desktop,
    Phone,
    Tablet,
    #[default]
    Unknown,
}

impl DeviceKind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// What is stored; anything unrecognised reads as `Unknown`.
    pub fn parse(value: &str) -> Self {
        value.parse().unwrap_or_default()
    }
}

/// Whether a name a person gives (a session's, a passkey's) may hold `c`: no control
/// characters, and none of the bidirectional overrides and isolates (U+202A–U+202E,
/// U+2066–U+2069) that make a name read as something else.
pub fn allowed_in_name(c: char) -> bool {
    !c.is_control() && !matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A session counts as "Active now" (the API: `active`) when it was used within this long.
pub const ACTIVE_WINDOW_MS: i64 = 5 * 60 * 1000;

/// The longest name a session may be given.
pub const MAX_SESSION_NAME: usize = 40;

/// The longest name a passkey may have.
pub const MAX_PASSKEY_NAME: usize = 40;

/// "Chrome on macOS", "Firefox", or "Unknown browser".
pub fn device_label(browser: Option<&str>, os: Option<&str>) -> String {
    match (browser, os) {
        (Some(browser), Some(os)) => format!("{browser} on {os}"),
        (Some(browser), None) => browser.to_owned(),
        (None, _) => "Unknown browser".to_owned(),
    }
}

/// How a session signed in, shown on its row and in the security activity.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, strum::IntoStaticStr, strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum SignInMethod {
    #[default]
    Password,
    PasswordTotp,
    PasswordRecovery,
    Passkey,
}

impl SignInMethod {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// What is stored; anything unrecognised reads as a password sign-in.
    pub fn parse(value: &str) -> Self {
        value.parse().unwrap_or_default()
    }

    pub fn label(self) -> &'static str {
        match self {
            SignInMethod::Password => "Password",
            SignInMethod::PasswordTotp => "Password + authenticator app",
            SignInMethod::PasswordRecovery => "Password + recovery code",
            SignInMethod::Passkey => "Passkey",
        }
    }
}

/// Why a session ended; how a signed-out device is told what happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr, strum::EnumString)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum EndReason {
    Terminated,
    LoggedOut,
    Expired,
    PasswordChanged,
    AccountDeleted,
    /// Signed out to make room: the account reached its limit of sessions.
    Limit,
    /// Ended by an administrator (or the operator's command line).
    Admin,
    /// The account was suspended by an administrator.
    Suspended,
}

impl EndReason {
    pub const ALL: [EndReason; 8] = [
        EndReason::Terminated,
        EndReason::LoggedOut,
        EndReason::Expired,
        EndReason::PasswordChanged,
        EndReason::AccountDeleted,
        EndReason::Limit,
        EndReason::Admin,
        EndReason::Suspended,
    ];

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(value: &str) -> Option<Self> {
        value.parse().ok()
    }

    /// The sentence the login page shows to a device whose session ended.
    pub fn message(self) -> &'static str {
        match self {
            EndReason::Terminated => "Your session was ended from another device",
            EndReason::LoggedOut => "You have been logged out",
            EndReason::Expired => "Your session expired",
            EndReason::PasswordChanged => "Your password was changed, so this device was signed out",
            EndReason::AccountDeleted => "This account was deleted",
            EndReason::Limit => "This device was signed out because your account signed in on too many devices",
            EndReason::Admin => "Your session was ended by an administrator",
            EndReason::Suspended => "Your account was suspended by an administrator",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr, strum::EnumString)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum EventKind {
    SignedUp,
    SignedIn,
    SignInFailed,
    SignedOut,
    SessionTerminated,
    OtherSessionsTerminated,
    PasswordChanged,
    ReauthFailed,
    AccountDeleted,
    /// A session ended by itself: unused for too long, or at the end of its lifetime.
    SessionExpired,
    /// A session ended to make room: the account signed in on too many devices.
    SessionLimitReached,
    /// Other sessions ended because the password changed.
    SessionsEndedByPasswordChange,
    TwoFactorEnabled,
    TwoFactorDisabled,
    RecoveryCodesRegenerated,
    /// A wrong authenticator or recovery code at sign-in.
    SecondFactorFailed,
    PasskeyAdded,
    PasskeyRenamed,
    PasskeyRemoved,
    /// Sessions ended by an administrator (the reason is the detail).
    SessionsEndedByAdmin,
    AccountSuspended,
    AccountUnsuspended,
    /// A password set through an emailed reset link.
    PasswordReset,
    /// "This wasn't me": sessions ended because the person did not recognise one.
    NotMe,
    SessionRenamed,
    /// The account's auto sign-out changed (the detail says to what).
    AutoSignOutChanged,
    /// A sign-in method removed because the session that added it was disowned ("This wasn't
    /// me"); the detail says which, and from where it had been added.
    MethodRemovedOnDisown,
    /// The recovery codes were removed (from the review after a recovery).
    RecoveryCodesRemoved,
    /// A wrong emailed code at a sign-in from a new device.
    VerificationCodeFailed,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(value: &str) -> Option<Self> {
        value.parse().ok()
    }

    /// What a person reads in the list of security events.
    pub fn title(self) -> &'static str {
        match self {
            EventKind::SignedUp => "Account created",
            EventKind::SignedIn => "Signed in",
            EventKind::SignInFailed => "Failed sign-in attempt",
            EventKind::SignedOut => "Signed out",
            EventKind::SessionTerminated => "Session terminated",
            EventKind::OtherSessionsTerminated => "Other sessions logged out",
            EventKind::PasswordChanged => "Password changed",
            EventKind::ReauthFailed => "Wrong password when confirming",
            EventKind::AccountDeleted => "Account deleted",
            EventKind::SessionExpired => "Session expired",
            EventKind::SessionLimitReached => "Signed out to make room for a new sign-in",
            EventKind::SessionsEndedByPasswordChange => "Other sessions signed out after the password change",
            EventKind::TwoFactorEnabled => "Two-factor authentication turned on",
            EventKind::TwoFactorDisabled => "Two-factor authentication turned off",
            EventKind::RecoveryCodesRegenerated => "New recovery codes made",
            EventKind::SecondFactorFailed => "Wrong two-factor code at sign-in",
            EventKind::PasskeyAdded => "Passkey added",
            EventKind::PasskeyRenamed => "Passkey renamed",
            EventKind::PasskeyRemoved => "Passkey removed",
            EventKind::SessionsEndedByAdmin => "Signed out by an administrator",
            EventKind::AccountSuspended => "Account suspended by an administrator",
            EventKind::AccountUnsuspended => "Suspension lifted by an administrator",
            EventKind::PasswordReset => "Password reset through an emailed link",
            EventKind::NotMe => "\u{201c}This wasn't me\u{201d}: other sessions signed out",
            EventKind::SessionRenamed => "Session renamed",
            EventKind::AutoSignOutChanged => "Auto sign-out changed",
            EventKind::MethodRemovedOnDisown => "Removed with a session you didn't recognise",
            EventKind::RecoveryCodesRemoved => "Recovery codes removed",
            EventKind::VerificationCodeFailed => "Wrong emailed code at sign-in",
        }
    }
}

/// One security event as the person's activity list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventView {
    pub kind: EventKind,
    pub device: String,
    pub ip: String,
    pub location: Option<String>,
    pub detail: Option<String>,
    pub at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_names_are_snake_case_and_round_trip() {
        assert_eq!(EndReason::PasswordChanged.as_str(), "password_changed");
        assert_eq!(EndReason::parse("logged_out"), Some(EndReason::LoggedOut));
        assert_eq!(EndReason::parse("nonsense"), None);
        assert_eq!(EventKind::OtherSessionsTerminated.as_str(), "other_sessions_terminated");
        assert_eq!(EventKind::parse("sign_in_failed"), Some(EventKind::SignInFailed));
        assert_eq!(DeviceKind::parse("tablet"), DeviceKind::Tablet);
        assert_eq!(DeviceKind::parse("toaster"), DeviceKind::Unknown);
    }
}

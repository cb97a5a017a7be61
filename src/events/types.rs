use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::SignedUp => "signed_up",
            EventKind::SignedIn => "signed_in",
            EventKind::SignInFailed => "sign_in_failed",
            EventKind::SignedOut => "signed_out",
            EventKind::SessionTerminated => "session_terminated",
            EventKind::OtherSessionsTerminated => "other_sessions_terminated",
            EventKind::PasswordChanged => "password_changed",
            EventKind::ReauthFailed => "reauth_failed",
            EventKind::AccountDeleted => "account_deleted",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [
            EventKind::SignedUp,
            EventKind::SignedIn,
            EventKind::SignInFailed,
            EventKind::SignedOut,
            EventKind::SessionTerminated,
            EventKind::OtherSessionsTerminated,
            EventKind::PasswordChanged,
            EventKind::ReauthFailed,
            EventKind::AccountDeleted,
        ]
        .into_iter()
        .find(|k| k.as_str() == value)
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
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventView {
    pub kind: EventKind,
    pub device: String,
    pub ip: String,
    pub location: Option<String>,
    pub detail: Option<String>,
    pub at: i64,
}

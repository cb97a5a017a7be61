//! What the confirm step asks, in one place: the browser's modal and the no-JS confirm pages
//! both read their heading, sentence and button from here.

/// What is being confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirm {
    /// End one session: another device's (terminate) or this one (log out).
    End { id: String, device: String, current: bool },
    /// Log out all other sessions.
    Others,
}

impl Confirm {
    pub fn heading(&self) -> String {
        match self {
            Confirm::End { current: true, .. } => "Log out of this device?".to_owned(),
            Confirm::End { device, .. } => format!("Terminate the session on {device}?"),
            Confirm::Others => "Log out all other sessions?".to_owned(),
        }
    }

    pub fn body(&self) -> &'static str {
        match self {
            Confirm::End { current: true, .. } => "You will need to log in again on this device.",
            Confirm::End { .. } => "That device will be signed out at once and will need to log in again.",
            Confirm::Others => {
                "Every other device will be signed out at once and will need to log in again. This device stays signed in."
            }
        }
    }

    /// The confirm button.
    pub fn action(&self) -> &'static str {
        match self {
            Confirm::End { current: true, .. } => "Log out",
            Confirm::End { .. } => "Terminate",
            Confirm::Others => "Log out all",
        }
    }

    /// Logging out here never asks for a password; ending other sessions does once the
    /// re-authentication window has passed.
    pub fn asks_password(&self, now: i64, reauth_until: i64) -> bool {
        !matches!(self, Confirm::End { current: true, .. }) && now > reauth_until
    }
}

/// The password field's hint, in the modal and on the confirm pages.
pub const PASSWORD_HINT: &str = "For your security, confirm it's you.";

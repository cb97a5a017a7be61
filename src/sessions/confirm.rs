//! What the confirm step asks, in one place: the browser's modal and the no-JS confirm pages
//! both read their heading, sentence and button from here.

/// What is being confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirm {
    /// End one session: another device's (terminate) or this one (log out).
    End { id: String, device: String, current: bool },
    /// Log out all other sessions.
    Others,
    /// "This wasn't me" about another session: it ends, and so does every other one but this.
    NotMe { id: String, device: String },
    /// Give a session a name of the person's choosing (no password, nothing ends).
    Rename { id: String, device: String },
}

/// The menu item (and the no-JS page's title) for "This wasn't me".
pub const NOT_ME: &str = "This wasn't me";

impl Confirm {
    pub fn heading(&self) -> String {
        match self {
            Confirm::End { current: true, .. } => "Log out of this device?".to_owned(),
            Confirm::End { device, .. } => format!("Terminate the session on {device}?"),
            Confirm::Others => "Log out all other sessions?".to_owned(),
            Confirm::NotMe { device, .. } => format!("Don't recognise {device}?"),
            Confirm::Rename { device, .. } => format!("Rename {device}"),
        }
    }

    pub fn body(&self) -> &'static str {
        match self {
            Confirm::End { current: true, .. } => "You will need to log in again on this device.",
            Confirm::End { .. } => "That device will be signed out at once and will need to log in again.",
            Confirm::Others => {
                "Every other device will be signed out at once and will need to log in again. This device stays signed in."
            }
            Confirm::NotMe { .. } => {
                "It will be signed out at once, and so will every other device except this one. Then change your password and turn on two-factor authentication."
            }
            Confirm::Rename { .. } => {
                "A name of your own (up to 40 characters), shown instead of the device. Leave it empty to show the device again."
            }
        }
    }

    /// The confirm button.
    pub fn action(&self) -> &'static str {
        match self {
            Confirm::End { current: true, .. } => "Log out",
            Confirm::End { .. } => "Terminate",
            Confirm::Others => "Log out all",
            Confirm::NotMe { .. } => "Sign them out",
            Confirm::Rename { .. } => "Save",
        }
    }

    /// Logging out here never asks for a password; ending other sessions does once the
    /// re-authentication window has passed.
    pub fn asks_password(&self, now: i64, reauth_until: i64) -> bool {
        !matches!(self, Confirm::End { current: true, .. } | Confirm::Rename { .. }) && now > reauth_until
    }
}

/// The password field's hint, in the modal and on the confirm pages.
pub const PASSWORD_HINT: &str = "For your security, confirm it's you.";

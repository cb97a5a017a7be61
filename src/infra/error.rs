//! The one error type every server function returns. It travels as its short code (see
//! [`AppError::code`]), so it carries only what a person may read: never a database message, a
//! hash or a secret.

use super::codec::{TextCodec, Wire};

/// Each variant's code is its name in snake_case (`session_not_found`), derived once by strum.
#[derive(
    Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize, strum::IntoStaticStr,
    strum::EnumString,
)]
#[serde(into = "String", try_from = "String")]
#[strum(serialize_all = "snake_case")]
pub enum AppError {
    #[error("You are signed out. Please log in again.")]
    SignedOut,
    #[error("That session no longer exists.")]
    SessionNotFound,
    #[error("That was not found.")]
    NotFound,
    #[error("Enter your password to continue.")]
    ReauthRequired,
    #[error("That password is not right.")]
    WrongPassword,
    #[error("Email or password is incorrect.")]
    BadCredentials,
    #[error("That code is not right. Check your authenticator app and try again.")]
    WrongCode,
    #[error("That sign-in took too long. Please log in again.")]
    LoginExpired,
    #[error("That passkey could not be used. Try again, or log in with your password.")]
    PasskeyFailed,
    #[error("This account is suspended. Contact support to find out why.")]
    Suspended,
    #[error("Sign in with your second factor (or a passkey) to do this.")]
    SecondFactorRequired,
    #[error("Give a reason, in up to 500 characters.")]
    ReasonRequired,
    #[error("Type SIGN OUT EVERYONE to confirm.")]
    ConfirmationMismatch,
    #[error("An account with this email already exists. Log in instead.")]
    EmailTaken,
    #[error("This link has expired or was already used. Ask for a new one.")]
    LinkExpired,
    #[error("Use at most 40 characters for the name.")]
    NameTooLong,
    #[error("Choose a password for your account: this link was asked for from another browser.")]
    PasswordRequired,
    #[error("That device signed in before this one, so it can't be disowned from here. Terminate it, then use \u{201c}This wasn't me\u{201d} in the email we sent about it, or review your sign-in methods.")]
    NotMeOlder,
    #[error("Enter a valid email address, like name@example.com.")]
    InvalidEmail,
    #[error("Use at least 8 characters for your password.")]
    PasswordTooShort,
    #[error("Use at most 1024 characters for your password.")]
    PasswordTooLong,
    #[error("That password is one of the most common ones. Choose another.")]
    PasswordTooCommon,
    #[error("Too many attempts. Try again {}.", wait_words(*.0))]
    RateLimited(u64),
    #[error("This request was refused.")]
    Forbidden,
    #[error("The request could not be understood.")]
    BadRequest,
    #[error("The server is busy. Try again in a moment.")]
    Busy(u64),
    #[error("Could not reach the server. Check your connection and try again.")]
    Network,
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
}

/// "in 3 minutes", or "in a few minutes" when the wait is not known.
fn wait_words(seconds: u64) -> String {
    match seconds.div_ceil(60) {
        0 => "in a few minutes".to_owned(),
        1 => "in 1 minute".to_owned(),
        n => format!("in {n} minutes"),
    }
}

impl AppError {
    /// Every error, once (with no wait known), for pages that hand the browser the sentences it
    /// may need (the browser code then carries no copy of them).
    pub const ALL: [AppError; 28] = [
        AppError::SignedOut,
        AppError::SessionNotFound,
        AppError::NotFound,
        AppError::ReauthRequired,
        AppError::WrongPassword,
        AppError::BadCredentials,
        AppError::WrongCode,
        AppError::LoginExpired,
        AppError::PasskeyFailed,
        AppError::Suspended,
        AppError::SecondFactorRequired,
        AppError::ReasonRequired,
        AppError::ConfirmationMismatch,
        AppError::EmailTaken,
        AppError::LinkExpired,
        AppError::NameTooLong,
        AppError::PasswordRequired,
        AppError::NotMeOlder,
        AppError::InvalidEmail,
        AppError::PasswordTooShort,
        AppError::PasswordTooLong,
        AppError::PasswordTooCommon,
        AppError::RateLimited(0),
        AppError::Forbidden,
        AppError::BadRequest,
        AppError::Busy(0),
        AppError::Network,
        AppError::Internal,
    ];
}

impl AppError {
    /// The HTTP status this error is answered with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::SignedOut => 401,
            AppError::SessionNotFound | AppError::NotFound => 404,
            AppError::Suspended | AppError::SecondFactorRequired => 403,
            AppError::ReasonRequired | AppError::ConfirmationMismatch => 422,
            AppError::ReauthRequired | AppError::WrongPassword | AppError::Forbidden => 403,
            AppError::BadCredentials | AppError::WrongCode | AppError::LoginExpired | AppError::PasskeyFailed => 401,
            AppError::EmailTaken => 409,
            AppError::LinkExpired => 410,
            AppError::NameTooLong | AppError::PasswordRequired => 422,
            AppError::NotMeOlder => 409,
            AppError::InvalidEmail
            | AppError::PasswordTooShort
            | AppError::PasswordTooLong
            | AppError::PasswordTooCommon => 422,
            AppError::RateLimited(_) => 429,
            AppError::BadRequest => 400,
            AppError::Busy(_) | AppError::Network => 503,
            AppError::Internal => 500,
        }
    }

    /// A short stable code: what travels on the wire and in a no-JS form's redirect.
    pub fn code(&self) -> &'static str {
        self.into()
    }
}

impl AppError {
    /// Seconds the caller should wait before trying again (`Retry-After`), for 429 and 503.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::RateLimited(secs) | AppError::Busy(secs) => Some(*secs),
            _ => None,
        }
    }

    /// The inverse of [`AppError::code`], for messages carried in a URL (`?error=…`).
    /// Unknown codes read as nothing: a URL is not trusted to say anything else.
    pub fn from_code(code: &str, retry_after: Option<u64>) -> Option<AppError> {
        match code.parse().ok()? {
            AppError::RateLimited(_) => Some(AppError::RateLimited(retry_after.unwrap_or(60))),
            AppError::Busy(_) => Some(AppError::Busy(retry_after.unwrap_or(2))),
            other => Some(other),
        }
    }
}

/// On the wire: `session_not_found`, or `rate_limited 120` (seconds to wait).
impl Wire for AppError {
    fn to_wire(&self) -> String {
        match self {
            AppError::RateLimited(secs) | AppError::Busy(secs) => format!("{} {secs}", self.code()),
            other => other.code().to_owned(),
        }
    }

    fn from_wire(text: &str) -> Option<Self> {
        let (code, retry) = match text.split_once(' ') {
            Some((code, retry)) => (code, Some(retry.parse().ok()?)),
            None => (text, None),
        };
        AppError::from_code(code, retry)
    }
}

impl From<AppError> for String {
    fn from(error: AppError) -> String {
        error.to_wire()
    }
}

impl TryFrom<String> for AppError {
    type Error = &'static str;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        AppError::from_wire(&text).ok_or("unknown error code")
    }
}

impl leptos::server_fn::error::FromServerFnError for AppError {
    type Encoder = TextCodec;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        use leptos::server_fn::error::ServerFnErrorErr as E;
        match value {
            E::Args(_) | E::MissingArg(_) | E::Deserialization(_) => AppError::BadRequest,
            E::Request(_) => AppError::Network,
            _ => AppError::Internal,
        }
    }
}

/// Database failures are logged on the server; the caller only learns that something went wrong.
#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        super::response::internal(format_args!("database: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for e in [AppError::SessionNotFound, AppError::RateLimited(120), AppError::Internal, AppError::ReauthRequired] {
            assert_eq!(AppError::from_wire(&e.to_wire()), Some(e));
        }
        assert_eq!(AppError::SessionNotFound.code(), "session_not_found");
        assert_eq!(AppError::from_code("rate_limited", None), Some(AppError::RateLimited(60)));
        assert_eq!(AppError::from_code("no_such_code", None), None);
    }
}

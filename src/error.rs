//! The one error type every server function returns. It travels as its short code (see
//! [`AppError::code`]), so it carries only what a person may read: never a database message, a
//! hash or a secret.

use crate::codec::{TextCodec, Wire};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum AppError {
    #[error("You are signed out. Please log in again.")]
    SignedOut,
    #[error("That session no longer exists.")]
    SessionNotFound,
    #[error("Enter your password to continue.")]
    ReauthRequired,
    #[error("That password is not right.")]
    WrongPassword,
    #[error("Email or password is incorrect.")]
    BadCredentials,
    #[error("An account with this email already exists. Log in instead.")]
    EmailTaken,
    #[error("Enter a valid email address, like name@example.com.")]
    InvalidEmail,
    #[error("Use at least 8 characters for your password.")]
    PasswordTooShort,
    #[error("Use at most 1024 characters for your password.")]
    PasswordTooLong,
    #[error("That password is one of the most common ones. Choose another.")]
    PasswordTooCommon,
    #[error("Too many attempts. Try again in {} minute(s).", minutes_from(*.0))]
    RateLimited(u64),
    #[error("This request was refused.")]
    Forbidden,
    #[error("The request could not be understood.")]
    BadRequest,
    #[error("Could not reach the server. Check your connection and try again.")]
    Network,
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
}

fn minutes_from(seconds: u64) -> u64 {
    seconds.div_ceil(60).max(1)
}

impl AppError {
    /// The HTTP status this error is answered with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::SignedOut => 401,
            AppError::SessionNotFound => 404,
            AppError::ReauthRequired | AppError::WrongPassword | AppError::Forbidden => 403,
            AppError::BadCredentials => 401,
            AppError::EmailTaken => 409,
            AppError::InvalidEmail
            | AppError::PasswordTooShort
            | AppError::PasswordTooLong
            | AppError::PasswordTooCommon => 422,
            AppError::RateLimited(_) => 429,
            AppError::BadRequest => 400,
            AppError::Network => 503,
            AppError::Internal => 500,
        }
    }

    /// A short stable code, used in the URL of the page a no-JS form post is sent back to.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::SignedOut => "signed_out",
            AppError::SessionNotFound => "session_not_found",
            AppError::ReauthRequired => "reauth_required",
            AppError::WrongPassword => "wrong_password",
            AppError::BadCredentials => "bad_credentials",
            AppError::EmailTaken => "email_taken",
            AppError::InvalidEmail => "invalid_email",
            AppError::PasswordTooShort => "password_too_short",
            AppError::PasswordTooLong => "password_too_long",
            AppError::PasswordTooCommon => "password_too_common",
            AppError::RateLimited(_) => "rate_limited",
            AppError::Forbidden => "forbidden",
            AppError::BadRequest => "bad_request",
            AppError::Network => "network",
            AppError::Internal => "internal",
        }
    }
}

impl AppError {
    /// The inverse of [`AppError::code`], for messages carried in a URL (`?error=…`).
    /// Unknown codes read as nothing: a URL is not trusted to say anything else.
    pub fn from_code(code: &str, retry_after: Option<u64>) -> Option<AppError> {
        Some(match code {
            "signed_out" => AppError::SignedOut,
            "session_not_found" => AppError::SessionNotFound,
            "reauth_required" => AppError::ReauthRequired,
            "wrong_password" => AppError::WrongPassword,
            "bad_credentials" => AppError::BadCredentials,
            "email_taken" => AppError::EmailTaken,
            "invalid_email" => AppError::InvalidEmail,
            "password_too_short" => AppError::PasswordTooShort,
            "password_too_long" => AppError::PasswordTooLong,
            "password_too_common" => AppError::PasswordTooCommon,
            "rate_limited" => AppError::RateLimited(retry_after.unwrap_or(60)),
            "forbidden" => AppError::Forbidden,
            "bad_request" => AppError::BadRequest,
            "network" => AppError::Network,
            "internal" => AppError::Internal,
            _ => return None,
        })
    }
}

/// On the wire: `session_not_found`, or `rate_limited 120` (seconds to wait).
impl Wire for AppError {
    fn to_wire(&self) -> String {
        match self {
            AppError::RateLimited(secs) => format!("{} {secs}", self.code()),
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

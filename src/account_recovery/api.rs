//! Server functions reached from emailed links — and the requests that send them. Every one
//! works as a plain form. Their answers never say whether an email address has an account.

use crate::infra::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::{
    auth::api::AccountNotice,
    identity::web::Caller,
    infra::{
        flash::{Kind, Message},
        routes,
    },
};

/// What the pages of this feature say after an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum RecoveryNotice {
    /// "Forgot password?": said whether or not the address has an account.
    ResetSent,
    /// "This wasn't me" from an email: every session ended, what the disowned device added is
    /// gone (the number says how many), and a reset link is on its way.
    SignedOutEverywhere,
}

impl RecoveryNotice {
    /// What the page says; `removed`: how many sign-in methods went (for `SignedOutEverywhere`).
    pub fn text(self, removed: u64) -> String {
        match self {
            RecoveryNotice::ResetSent => {
                "If an account uses that email address, we sent it a link to set a new password. The link works once, for 30 minutes.".to_owned()
            }
            RecoveryNotice::SignedOutEverywhere => {
                let methods = match removed {
                    0 => String::new(),
                    1 => " The sign-in method that device had added was removed.".to_owned(),
                    n => format!(" The {n} sign-in methods that device had added were removed."),
                };
                format!(
                    "Every device signed in to your account was signed out.{methods} We emailed you a link to set a new password: \
                     open it within 30 minutes."
                )
            }
        }
    }

    #[cfg(feature = "ssr")]
    pub fn message(self, number: Option<u64>) -> Message {
        Message::new(Kind::Notice, self.into(), number)
    }
}

/// What the "This wasn't me" page shows about the device the email was about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertedSession {
    /// The session, if it is still signed in: its device, place and when it signed in.
    pub session: Option<(String, String, i64)>,
}

/// A sign-up link waiting to be confirmed: its address, and whether this browser must choose
/// the password (the link was asked for from another one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingSignUp {
    pub email: String,
    pub needs_password: bool,
}

/// "Forgot password?": emails a reset link if the address has an account. The answer, and the
/// work done before it, are the same either way (the mail goes out in the background).
#[server(endpoint = "password_reset/request")]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    let caller = Caller::get()?;
    caller.identity.sign_in.request_reset(&caller.client, &email).await?;
    leptos_axum::redirect(&caller.identity.messages.redirect(routes::FORGOT_PASSWORD, &RecoveryNotice::ResetSent.message(None)));
    Ok(())
}

/// The account this browser's live reset link resets, masked ("a•••@example.com"), if it
/// holds one (the page shows the form, or says the link expired).
#[server(endpoint = "password_reset/status")]
pub async fn reset_link_live() -> Result<Option<String>, AppError> {
    let caller = Caller::get()?;
    caller.identity.sign_in.reset_link_account(&caller.browser()).await
}

/// "Set new password": uses the reset link, sets the password, ends every session of the
/// account, and signs this browser in afresh (through the second factor when it is on).
#[server(endpoint = "password_reset/finish")]
pub async fn reset_password(new_password: String) -> Result<(), AppError> {
    let caller = Caller::get()?;
    let then = caller.identity.messages.redirect(routes::REVIEW, &AccountNotice::PasswordReset.message());
    let landing = caller.identity.sign_in.reset_password(&caller.browser(), new_password, then).await?;
    caller.land(landing);
    Ok(())
}

/// The sign-in a "This wasn't me" link is about, if the link is live.
#[server(endpoint = "not_me/status")]
pub async fn alerted_sign_in() -> Result<Option<AlertedSession>, AppError> {
    let caller = Caller::get()?;
    Ok(caller.identity.sign_in.alerted(&caller.browser()).await?.map(|session| AlertedSession { session }))
}

/// "This wasn't me" from an email (a sign-in alert, a change of how the account signs in):
/// disowns the session it was about — every session ends, what it added goes — and emails a
/// link to set a new password.
#[server(endpoint = "not_me/finish")]
pub async fn not_me_by_link() -> Result<(), AppError> {
    let caller = Caller::get()?;
    let (mut landing, removed) = caller.identity.sign_in.not_me_by_link(&caller.browser(), String::new()).await?;
    landing.to = caller.identity.messages.redirect(routes::NOT_ME, &RecoveryNotice::SignedOutEverywhere.message(Some(removed as u64)));
    caller.land(landing);
    Ok(())
}

/// The address a sign-up link confirms, if the link is live, and whether this browser must
/// choose the password.
#[server(endpoint = "verify_email/status")]
pub async fn sign_up_to_confirm() -> Result<Option<PendingSignUp>, AppError> {
    let caller = Caller::get()?;
    let browser = caller.browser();
    let Some(email) = caller.identity.sign_in.sign_up_to_confirm(&browser).await? else { return Ok(None) };
    let needs_password = caller.identity.sign_in.sign_up_needs_password(&browser).await?;
    Ok(Some(PendingSignUp { email, needs_password }))
}

/// Finishes a sign-up whose address is now confirmed: creates the account and signs in. From
/// another browser than the one that asked, `new_password` sets the account's password.
#[server(endpoint = "verify_email/finish")]
pub async fn confirm_sign_up(new_password: Option<String>) -> Result<(), AppError> {
    let caller = Caller::get()?;
    let landing = caller.identity.sign_in.confirm_sign_up(&caller.browser(), new_password).await?;
    caller.land(landing);
    Ok(())
}

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
    /// "This wasn't me" from an email: every session ended; a new password is next.
    SignedOutEverywhere,
}

impl RecoveryNotice {
    pub fn text(self) -> &'static str {
        match self {
            RecoveryNotice::ResetSent => {
                "If an account uses that email address, we sent it a link to set a new password. The link works once, for 30 minutes."
            }
            RecoveryNotice::SignedOutEverywhere => {
                "Every device signed in to your account was signed out. Now choose a new password."
            }
        }
    }

    #[cfg(feature = "ssr")]
    pub fn message(self) -> Message {
        Message::new(Kind::Notice, self.into(), None)
    }
}

/// What the "This wasn't me" page shows about the sign-in the alert was about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertedSession {
    /// The session, if it is still signed in: its device, place and when.
    pub session: Option<(String, String, i64)>,
}

/// "Forgot password?": emails a reset link if the address has an account. The answer, and the
/// work done before it, are the same either way (the mail goes out in the background).
#[server(endpoint = "password_reset/request")]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    let caller = Caller::get()?;
    caller.identity.sign_in.request_reset(&caller.client, &email).await?;
    leptos_axum::redirect(&caller.identity.messages.redirect(routes::FORGOT_PASSWORD, &RecoveryNotice::ResetSent.message()));
    Ok(())
}

/// Whether this browser holds a live reset link (the page shows the form, or says it expired).
#[server(endpoint = "password_reset/status")]
pub async fn reset_link_live() -> Result<bool, AppError> {
    let caller = Caller::get()?;
    caller.identity.sign_in.reset_link_live(&caller.browser()).await
}

/// "Set new password": uses the reset link, sets the password, ends every session of the
/// account, and signs this browser in afresh (through the second factor when it is on).
#[server(endpoint = "password_reset/finish")]
pub async fn reset_password(new_password: String) -> Result<(), AppError> {
    let caller = Caller::get()?;
    let then = caller.identity.messages.redirect(routes::TWO_FACTOR_SECTION, &AccountNotice::PasswordReset.message());
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

/// "This wasn't me" from a sign-in alert: ends every session of the account (the one the
/// alert was about among them), then leads to setting a new password.
#[server(endpoint = "not_me/finish")]
pub async fn not_me_by_link() -> Result<(), AppError> {
    let caller = Caller::get()?;
    let then = caller.identity.messages.redirect(routes::RESET_PASSWORD, &RecoveryNotice::SignedOutEverywhere.message());
    let landing = caller.identity.sign_in.not_me_by_link(&caller.browser(), then).await?;
    caller.land(landing);
    Ok(())
}

/// The address a sign-up link confirms, if the link is live.
#[server(endpoint = "verify_email/status")]
pub async fn sign_up_to_confirm() -> Result<Option<String>, AppError> {
    let caller = Caller::get()?;
    caller.identity.sign_in.sign_up_to_confirm(&caller.browser()).await
}

/// Finishes a sign-up whose address is now confirmed: creates the account and signs in.
#[server(endpoint = "verify_email/finish")]
pub async fn confirm_sign_up() -> Result<(), AppError> {
    let caller = Caller::get()?;
    let landing = caller.identity.sign_in.confirm_sign_up(&caller.browser()).await?;
    caller.land(landing);
    Ok(())
}

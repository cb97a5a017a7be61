//! Server functions for accounts. Thin: take the caller, call one identity service, map the
//! answer. Each also works as a plain HTML form post: on success it redirects where the person
//! should land; errors go back to the form's page (see `infra::forms`).

use crate::infra::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{
    identity::{
        model::EndReason,
        sign_in::{Landing, SignUp},
        web::{Caller, SignedIn},
    },
    infra::routes,
};

/// What the account settings page says after a password change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum AccountNotice {
    PasswordChanged,
    PasswordChangedOthersEnded,
    /// A new password set through an emailed link (every other session ended).
    PasswordReset,
    /// "This wasn't me" on a session: every other one ended (and what it added removed).
    OthersEndedNotMe,
    AutoSignOutSaved,
}

impl AccountNotice {
    pub fn text(self) -> &'static str {
        match self {
            AccountNotice::PasswordChanged => "Password changed",
            AccountNotice::PasswordChangedOthersEnded => "Password changed, and all other sessions were logged out",
            AccountNotice::PasswordReset => {
                "Your new password is set, and every other device was signed out. Check the sign-in methods below, and turn on two-factor authentication so a password alone is not enough."
            }
            AccountNotice::OthersEndedNotMe => {
                "Every other device was signed out. Check the sign-in methods below, then change your password and turn on two-factor authentication."
            }
            AccountNotice::AutoSignOutSaved => "Auto sign-out saved",
        }
    }

    pub fn message(self) -> crate::infra::flash::Message {
        crate::infra::flash::Message::new(crate::infra::flash::Kind::Notice, self.into(), None)
    }
}

/// What the sign-up page says after a sign-up that waits for its address to be confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum SignupNotice {
    CheckEmail,
}

impl SignupNotice {
    pub fn text(self) -> &'static str {
        match self {
            SignupNotice::CheckEmail => {
                "Check your email: we sent a link to finish creating your account. It works once, for 24 hours."
            }
        }
    }

    pub fn message(self) -> crate::infra::flash::Message {
        crate::infra::flash::Message::new(crate::infra::flash::Kind::Notice, self.into(), None)
    }
}

#[server(endpoint = "signup")]
pub async fn signup(email: String, password: String) -> Result<(), AppError> {
    let caller = Caller::get()?;
    let sign_in = &caller.identity.sign_in;
    match sign_in.sign_up(&caller.browser(), &email, password, routes::HOME.to_owned()).await? {
        SignUp::Landed(landing) => {
            caller.land(landing);
        }
        SignUp::CheckEmail(device) => {
            // The browser keeps the device token its link remembers.
            let to = caller.identity.messages.redirect(routes::SIGNUP, &SignupNotice::CheckEmail.message());
            caller.land(Landing { device, ..Landing::to(to) });
        }
    }
    Ok(())
}

#[server(endpoint = "login")]
pub async fn login(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    let caller = Caller::get()?;
    let then = next.as_deref().and_then(routes::local_path).unwrap_or(routes::HOME).to_owned();
    let landing = caller.identity.sign_in.log_in(&caller.browser(), &email, password, then).await?;
    caller.land(landing);
    Ok(())
}

/// New-device verification: the code emailed to the account finishes the log-in, once.
#[server(endpoint = "login/verify")]
pub async fn verify_device(code: String) -> Result<(), AppError> {
    let caller = Caller::get()?;
    match caller.identity.sign_in.verify_device(&caller.browser(), &code).await {
        Ok(landing) => {
            caller.land(landing);
            Ok(())
        }
        Err(AppError::LoginExpired) => {
            caller.forget_pending();
            Err(AppError::LoginExpired)
        }
        Err(e) => Err(e),
    }
}

#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    let caller = Caller::get()?;
    let landing = caller.identity.sign_in.log_out(&caller.browser()).await?;
    caller.land(landing);
    Ok(())
}

#[server(endpoint = "change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
    log_out_others: Option<String>,
) -> Result<(), AppError> {
    let me = SignedIn::get()?;
    let end_others = log_out_others.is_some();
    me.identity.accounts.change_password(&me.session, &me.client, current_password, new_password, end_others).await?;
    let notice = if end_others { AccountNotice::PasswordChangedOthersEnded } else { AccountNotice::PasswordChanged };
    leptos_axum::redirect(&me.identity.messages.redirect(routes::ACCOUNT_SETTINGS, &notice.message()));
    Ok(())
}

#[server(endpoint = "delete_account")]
pub async fn delete_account(password: String) -> Result<(), AppError> {
    let caller = Caller::get()?;
    let me = caller.clone().into_signed_in()?;
    me.identity.accounts.delete(&me.session, &me.client, password).await?;
    caller.land(me.identity.sign_in.leave(EndReason::AccountDeleted));
    Ok(())
}

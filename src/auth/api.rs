//! Server functions for accounts. Thin: check the caller, call the identity services, map
//! errors. Each also works as a plain HTML form post: on success it redirects where the person
//! should land; errors go back to the form's page (see `infra::forms`).

use crate::infra::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{
    identity::{web::caller as context, account::passwords, account::totp, model::{EndReason, EventKind, SignInMethod}},
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
    /// "This wasn't me" on a session: every other one ended.
    OthersEndedNotMe,
    AutoSignOutSaved,
}

impl AccountNotice {
    pub fn text(self) -> &'static str {
        match self {
            AccountNotice::PasswordChanged => "Password changed",
            AccountNotice::PasswordChangedOthersEnded => "Password changed, and all other sessions were logged out",
            AccountNotice::PasswordReset => {
                "Your new password is set, and every other device was signed out. Turn on two-factor authentication so a password alone is not enough."
            }
            AccountNotice::OthersEndedNotMe => {
                "Every other device was signed out. Now change your password, and turn on two-factor authentication."
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

/// The longest email address anyone can have (RFC 5321's path limit).
#[cfg(feature = "ssr")]
pub const MAX_EMAIL: usize = 254;

#[cfg(feature = "ssr")]
pub fn check_email(email: &str) -> Result<(), AppError> {
    let email = email.trim();
    if email.len() > MAX_EMAIL || !email_address::EmailAddress::is_valid(email) {
        return Err(AppError::InvalidEmail);
    }
    Ok(())
}

#[server(endpoint = "signup")]
pub async fn signup(email: String, password: String) -> Result<(), AppError> {
    let state = context::state()?;
    let client = context::client()?;
    check_email(&email)?;
    passwords::check_new(&password)?;
    let hash = state.credentials.new_account_hash(password, &client, state.config.signup_max_per_ip).await?;
    if state.mailer.is_configured() {
        // Whether the address is new or taken, the same answer after the same work: an email
        // to it (ASVS 6.3.8). The account is made when the link in it is followed.
        state.credentials.count_mail(&email, &client, state.config.signup_max_per_ip).await?;
        super::mails::send_sign_up(&state, email.trim().to_owned(), hash);
        leptos_axum::redirect(&state.messages.redirect(routes::SIGNUP, &SignupNotice::CheckEmail.message()));
        return Ok(());
    }
    let now = state.clock.now_ms();
    let user_id = crate::identity::account::users::create(&state.db, &email, &hash, now).await?.ok_or(AppError::EmailTaken)?;
    context::start_session(&state, user_id, &hash, EventKind::SignedUp, SignInMethod::Password).await?;
    leptos_axum::redirect(routes::HOME);
    Ok(())
}

#[server(endpoint = "login")]
pub async fn login(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    let state = context::state()?;
    let client = context::client()?;
    if email.len() > MAX_EMAIL {
        return Err(AppError::BadCredentials);
    }
    let device = context::device_token(&state);
    let user = state.credentials.log_in(&email, password, &client, device.as_deref()).await?;
    if totp::is_on(&state.db, user.id).await? {
        // No session yet: the second factor decides.
        let second_step = context::begin_second_factor(&state, &user).await?;
        leptos_axum::redirect(second_step);
        return Ok(());
    }
    context::start_session(&state, user.id, &user.password_hash, EventKind::SignedIn, SignInMethod::Password).await?;
    let target = next.as_deref().and_then(routes::local_path).unwrap_or(routes::HOME);
    leptos_axum::redirect(target);
    Ok(())
}

#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    let state = context::state()?;
    context::log_out_here(&state).await.map(|_| ())
}

#[server(endpoint = "change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
    log_out_others: Option<String>,
) -> Result<(), AppError> {
    let state = context::state()?;
    let auth = context::auth()?;
    let client = context::client()?;
    passwords::check_new(&new_password)?;
    state.credentials.confirm(auth.user_id, current_password, &client).await?;
    state.sessions.confirm_password(&auth).await?;
    let hash = state.credentials.passwords.hash(new_password).await?;
    let end_others = log_out_others.is_some();
    state.sessions.change_password(&auth, &hash, end_others, &client).await?;
    let notice = if end_others { AccountNotice::PasswordChangedOthersEnded } else { AccountNotice::PasswordChanged };
    leptos_axum::redirect(&state.messages.redirect(routes::ACCOUNT_SETTINGS, &notice.message()));
    Ok(())
}

#[server(endpoint = "delete_account")]
pub async fn delete_account(password: String) -> Result<(), AppError> {
    let state = context::state()?;
    let auth = context::auth()?;
    let client = context::client()?;
    state.credentials.confirm(auth.user_id, password, &client).await?;
    state.sessions.delete_account(&auth, &client).await?;
    context::leave_browser(&state, EndReason::AccountDeleted);
    Ok(())
}

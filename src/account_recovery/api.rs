//! Server functions reached from emailed links — and the requests that send them. Every one
//! works as a plain form. Their answers never say whether an email address has an account.

use crate::infra::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::{
    identity::{
        web::caller as context,
        account::email_links::{self, NewLink, Purpose},
        account::passwords, account::totp,
        model::{EventKind, SignInMethod, device_label},
        account::users,
    },
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
    let state = context::state()?;
    let client = context::client()?;
    crate::auth::api::check_email(&email)?;
    state.credentials.count_mail(&email, &client, state.config.signup_max_per_ip).await?;
    let background = state.clone();
    tokio::spawn(async move {
        let state = background;
        let link = async {
            let Some(user) = users::find_by_email(&state.db, &email).await? else { return Ok(None) };
            let token = email_links::create(&state.db, &NewLink::for_user(user.id, Purpose::Reset), state.clock.now_ms()).await?;
            Ok::<_, sqlx::Error>(Some(super::mails::reset(&state, &user.email, &token)))
        };
        match link.await {
            Ok(Some(mail)) => state.mailer.send(mail).await,
            Ok(None) => {}
            Err(e) => tracing::warn!("could not make a reset link: {e}"),
        }
    });
    leptos_axum::redirect(&state.messages.redirect(routes::FORGOT_PASSWORD, &RecoveryNotice::ResetSent.message()));
    Ok(())
}

/// Whether this browser holds a live reset link (the page shows the form, or says it expired).
#[server(endpoint = "password_reset/status")]
pub async fn reset_link_live() -> Result<bool, AppError> {
    let state = context::state()?;
    let Some(token) = context::link_token(&state) else { return Ok(false) };
    Ok(email_links::peek(&state.db, &token, Purpose::Reset, state.clock.now_ms()).await?.is_some())
}

/// "Set new password": uses the reset link, sets the password, ends every session of the
/// account, and signs this browser in afresh (through the second factor when it is on).
#[server(endpoint = "password_reset/finish")]
pub async fn reset_password(new_password: String) -> Result<(), AppError> {
    let state = context::state()?;
    let client = context::client()?;
    let token = context::link_token(&state).ok_or(AppError::LinkExpired)?;
    passwords::check_new(&new_password)?;
    // A dead link need not cost a hash.
    email_links::peek(&state.db, &token, Purpose::Reset, state.clock.now_ms()).await?.ok_or(AppError::LinkExpired)?;
    let hash = state.credentials.passwords.hash(new_password).await?;
    let user_id = state.sessions.reset_password(&token, &hash, &client).await?.ok_or(AppError::LinkExpired)?;
    context::forget_link(&state);
    let user = users::find(&state.db, user_id).await?.ok_or(AppError::LinkExpired)?;
    if user.suspended_at.is_some() {
        return Err(AppError::Suspended);
    }
    if totp::is_on(&state.db, user.id).await? {
        let second_step = context::begin_second_factor(&state, &user).await?;
        leptos_axum::redirect(second_step);
        return Ok(());
    }
    context::start_session(&state, user.id, &hash, EventKind::SignedIn, SignInMethod::Password).await?;
    leptos_axum::redirect(&state.messages.redirect(routes::TWO_FACTOR_SECTION, &crate::auth::api::AccountNotice::PasswordReset.message()));
    Ok(())
}

/// The sign-in a "This wasn't me" link is about, if the link is live.
#[server(endpoint = "not_me/status")]
pub async fn alerted_sign_in() -> Result<Option<AlertedSession>, AppError> {
    let state = context::state()?;
    let Some(token) = context::link_token(&state) else { return Ok(None) };
    let Some(link) = email_links::peek(&state.db, &token, Purpose::NotMe, state.clock.now_ms()).await? else {
        return Ok(None);
    };
    let session = match link.session_id.as_deref() {
        Some(id) => crate::identity::session::store::find(&state.db, id).await?.map(|s| {
            let place = s.location.unwrap_or_else(|| crate::identity::client::geo::UNKNOWN_LOCATION.to_owned());
            (device_label(s.browser.as_deref(), s.os.as_deref()), place, s.created_at)
        }),
        None => None,
    };
    Ok(Some(AlertedSession { session }))
}

/// "This wasn't me" from a sign-in alert: ends every session of the account (the one the
/// alert was about among them), then leads to setting a new password — the same link's
/// account gets a fresh reset link, held by this browser.
#[server(endpoint = "not_me/finish")]
pub async fn not_me_by_link() -> Result<(), AppError> {
    let state = context::state()?;
    let client = context::client()?;
    let token = context::link_token(&state).ok_or(AppError::LinkExpired)?;
    let user_id = state.sessions.not_me_by_link(&token, &client).await?.ok_or(AppError::LinkExpired)?;
    let reset = email_links::create(&state.db, &NewLink::for_user(user_id, Purpose::Reset), state.clock.now_ms()).await?;
    context::keep_link(&state, &reset);
    // This browser may have been signed in to the account: that session ended too.
    if context::maybe_auth().is_some_and(|a| a.user_id == user_id) {
        crate::identity::web::caller::clear_session_cookie(&state);
    }
    leptos_axum::redirect(&state.messages.redirect(routes::RESET_PASSWORD, &RecoveryNotice::SignedOutEverywhere.message()));
    Ok(())
}

/// The address a sign-up link confirms, if the link is live.
#[server(endpoint = "verify_email/status")]
pub async fn sign_up_to_confirm() -> Result<Option<String>, AppError> {
    let state = context::state()?;
    let Some(token) = context::link_token(&state) else { return Ok(None) };
    let link = email_links::peek(&state.db, &token, Purpose::VerifyEmail, state.clock.now_ms()).await?;
    Ok(link.and_then(|l| l.email))
}

/// Finishes a sign-up whose address is now confirmed: creates the account and signs in.
#[server(endpoint = "verify_email/finish")]
pub async fn confirm_sign_up() -> Result<(), AppError> {
    let state = context::state()?;
    let token = context::link_token(&state).ok_or(AppError::LinkExpired)?;
    let link = email_links::take(&state.db, &token, Purpose::VerifyEmail, state.clock.now_ms()).await?.ok_or(AppError::LinkExpired)?;
    context::forget_link(&state);
    let (Some(email), Some(hash)) = (link.email, link.password_hash) else { return Err(AppError::LinkExpired) };
    let user_id = users::create(&state.db, &email, &hash, state.clock.now_ms()).await?.ok_or(AppError::EmailTaken)?;
    context::start_session(&state, user_id, &hash, EventKind::SignedUp, SignInMethod::Password).await?;
    leptos_axum::redirect(routes::HOME);
    Ok(())
}

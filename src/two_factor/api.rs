//! Server functions of two-factor authentication: the second step of a log-in, and turning an
//! authenticator app on and off in the account settings. Every one also works as a plain form.

use crate::infra::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::{
    identity::{
        web::caller as context,
        account::credentials::Code,
        security_log::record,
        sign_in::pending, account::totp,
        model::{EventKind, SignInMethod},
    },
    infra::{
        flash::{Kind, Message},
        routes,
    },
};

/// What the account settings page shows about two-factor authentication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoFactorState {
    pub on: bool,
    /// Recovery codes not used yet (when on).
    pub codes_left: i64,
    /// Whether turning it on (or new recovery codes) will ask for the password.
    pub reauth_due: bool,
}

/// What the settings say after a two-factor action; each offers to log out the other sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum TwoFactorNotice {
    TurnedOn,
    TurnedOff,
    CodesRegenerated,
}

impl TwoFactorNotice {
    pub fn text(self) -> &'static str {
        match self {
            TwoFactorNotice::TurnedOn => "Two-factor authentication is on.",
            TwoFactorNotice::TurnedOff => "Two-factor authentication is off.",
            TwoFactorNotice::CodesRegenerated => "New recovery codes are ready; the old ones no longer work.",
        }
    }
}

#[cfg(feature = "ssr")]
fn notice(n: TwoFactorNotice) -> Message {
    Message::new(Kind::Notice, n.into(), None)
}

#[server(endpoint = "two_factor/status")]
pub async fn two_factor_status() -> Result<TwoFactorState, AppError> {
    let state = context::state()?;
    let auth = context::auth()?;
    let on = totp::is_on(&state.db, auth.user_id).await?;
    let codes_left = if on { totp::recovery_codes_left(&state.db, auth.user_id).await? } else { 0 };
    Ok(TwoFactorState { on, codes_left, reauth_due: context::reauth_due(&state, &auth) })
}

/// The second step of a log-in: the authenticator app's code.
#[server(endpoint = "login/code")]
pub async fn verify_login_code(code: String) -> Result<(), AppError> {
    finish_login(Code::App(&code), SignInMethod::PasswordTotp).await
}

/// The second step of a log-in with a recovery code instead (each works once).
#[server(endpoint = "login/recovery_code")]
pub async fn verify_recovery_code(code: String) -> Result<(), AppError> {
    finish_login(Code::Recovery(&code), SignInMethod::PasswordRecovery).await
}

/// A right code turns the pending log-in into a session, once; a wrong one counts against the
/// same limits as passwords.
#[cfg(feature = "ssr")]
async fn finish_login(code: Code<'_>, method: SignInMethod) -> Result<(), AppError> {
    let state = context::state()?;
    let client = context::client()?;
    let Some((token, pending)) = context::pending_login(&state).await? else {
        context::forget_pending(&state);
        return Err(AppError::LoginExpired);
    };
    state.credentials.check_code(pending.user_id, code, &client).await?;
    let Some(pending) = pending::take(&state.db, &token, state.clock.now_ms()).await? else {
        return Err(AppError::LoginExpired);
    };
    context::forget_pending(&state);
    context::start_session(&state, pending.user_id, &pending.credential, EventKind::SignedIn, method).await?;
    leptos_axum::redirect(routes::HOME);
    Ok(())
}

/// Gives up the pending log-in.
#[server(endpoint = "login/cancel")]
pub async fn cancel_login() -> Result<(), AppError> {
    let state = context::state()?;
    if let Some((token, _)) = context::pending_login(&state).await? {
        pending::take(&state.db, &token, state.clock.now_ms()).await?;
    }
    context::forget_pending(&state);
    leptos_axum::redirect(routes::LOGIN);
    Ok(())
}

/// Starts setting up an authenticator app (a recent password is needed).
#[server(endpoint = "two_factor/begin")]
pub async fn begin_totp_setup(password: Option<String>) -> Result<(), AppError> {
    let state = context::state()?;
    let auth = context::auth()?;
    context::require_recent_password(&state, &auth, password).await?;
    if !totp::begin(&state.db, auth.user_id, &totp::new_secret(), state.clock.now_ms()).await? {
        return Err(AppError::BadRequest);
    }
    leptos_axum::redirect(routes::TWO_FACTOR_SETUP);
    Ok(())
}

/// Turns the app being set up on with its first code, and makes the recovery codes (shown once,
/// on the next page).
#[server(endpoint = "two_factor/enable")]
pub async fn enable_totp(code: String) -> Result<(), AppError> {
    let state = context::state()?;
    let auth = context::auth()?;
    let client = context::client()?;
    let app = totp::find(&state.db, auth.user_id).await?.filter(|t| t.enabled_at.is_none()).ok_or(AppError::BadRequest)?;
    state.credentials.check_code(auth.user_id, Code::Setup { secret: &app.secret, code: &code }, &client).await?;
    let now = state.clock.now_ms();
    let step = totp::matching_step(&app.secret, &code, (now / 1000) as u64).ok_or(AppError::WrongCode)?;
    let codes = totp::new_recovery_codes();
    if !totp::enable(&state.db, auth.user_id, step, &codes, now).await? {
        return Err(AppError::BadRequest);
    }
    totp::keep_to_show(&state.db, &auth.id, &codes, now + 10 * 60 * 1000).await?;
    record(&state.db, &state.sessions.event(Some(auth.user_id), EventKind::TwoFactorEnabled, &client).by(&auth.id)).await?;
    leptos_axum::redirect(&state.messages.redirect(routes::RECOVERY_CODES, &notice(TwoFactorNotice::TurnedOn)));
    Ok(())
}

/// New recovery codes (the old ones stop working; a recent password is needed).
#[server(endpoint = "two_factor/recovery_codes")]
pub async fn regenerate_recovery_codes(password: Option<String>) -> Result<(), AppError> {
    let state = context::state()?;
    let auth = context::auth()?;
    let client = context::client()?;
    context::require_recent_password(&state, &auth, password).await?;
    let codes = totp::new_recovery_codes();
    if !totp::regenerate_recovery_codes(&state.db, auth.user_id, &codes).await? {
        return Err(AppError::BadRequest);
    }
    totp::keep_to_show(&state.db, &auth.id, &codes, state.clock.now_ms() + 10 * 60 * 1000).await?;
    record(&state.db, &state.sessions.event(Some(auth.user_id), EventKind::RecoveryCodesRegenerated, &client).by(&auth.id))
        .await?;
    leptos_axum::redirect(&state.messages.redirect(routes::RECOVERY_CODES, &notice(TwoFactorNotice::CodesRegenerated)));
    Ok(())
}

/// "I have saved them": the fresh codes are not shown again.
#[server(endpoint = "two_factor/recovery_codes_saved")]
pub async fn recovery_codes_saved() -> Result<(), AppError> {
    let state = context::state()?;
    let auth = context::auth()?;
    totp::take_to_show(&state.db, &auth.id, state.clock.now_ms()).await?;
    leptos_axum::redirect(routes::TWO_FACTOR_SECTION);
    Ok(())
}

/// Turns two-factor authentication off. Always asks for the password.
#[server(endpoint = "two_factor/disable")]
pub async fn disable_totp(password: String) -> Result<(), AppError> {
    let state = context::state()?;
    let auth = context::auth()?;
    let client = context::client()?;
    state.credentials.confirm(auth.user_id, password, &client).await?;
    state.sessions.confirm_password(&auth).await?;
    if totp::disable(&state.db, auth.user_id).await? {
        record(&state.db, &state.sessions.event(Some(auth.user_id), EventKind::TwoFactorDisabled, &client).by(&auth.id))
            .await?;
    }
    leptos_axum::redirect(&state.messages.redirect(routes::TWO_FACTOR_SECTION, &notice(TwoFactorNotice::TurnedOff)));
    Ok(())
}

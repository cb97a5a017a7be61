//! Server functions of two-factor authentication: the second step of a log-in, and turning an
//! authenticator app on and off in the account settings. Every one also works as a plain form.

use crate::infra::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::{
    identity::{
        account::Code,
        web::{Caller, SignedIn},
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
    let me = SignedIn::get()?;
    let s = me.identity.two_factor.status(&me.session).await?;
    Ok(TwoFactorState { on: s.on, codes_left: s.codes_left, reauth_due: s.reauth_due })
}

/// The second step of a log-in: the authenticator app's code.
#[server(endpoint = "login/code")]
pub async fn verify_login_code(code: String) -> Result<(), AppError> {
    finish_login(Code::App(&code)).await
}

/// The second step of a log-in with a recovery code instead (each works once).
#[server(endpoint = "login/recovery_code")]
pub async fn verify_recovery_code(code: String) -> Result<(), AppError> {
    finish_login(Code::Recovery(&code)).await
}

/// A right code turns the pending log-in into a session, once; a wrong one counts against the
/// same limits as passwords. A log-in that ran out is forgotten by the browser too.
#[cfg(feature = "ssr")]
async fn finish_login(code: Code<'_>) -> Result<(), AppError> {
    let caller = Caller::get()?;
    match caller.identity.sign_in.second_factor(&caller.browser(), code).await {
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

/// Gives up the pending log-in.
#[server(endpoint = "login/cancel")]
pub async fn cancel_login() -> Result<(), AppError> {
    let caller = Caller::get()?;
    let landing = caller.identity.sign_in.cancel(&caller.browser()).await?;
    caller.land(landing);
    Ok(())
}

/// Starts setting up an authenticator app (a recent password is needed).
#[server(endpoint = "two_factor/begin")]
pub async fn begin_totp_setup(password: Option<String>) -> Result<(), AppError> {
    let me = SignedIn::get()?;
    me.identity.two_factor.begin(&me.session, &me.client, password).await?;
    leptos_axum::redirect(routes::TWO_FACTOR_SETUP);
    Ok(())
}

/// Turns the app being set up on with its first code, and makes the recovery codes (shown once,
/// on the next page).
#[server(endpoint = "two_factor/enable")]
pub async fn enable_totp(code: String) -> Result<(), AppError> {
    let me = SignedIn::get()?;
    me.identity.two_factor.enable(&me.session, &me.client, &code).await?;
    leptos_axum::redirect(&me.identity.messages.redirect(routes::RECOVERY_CODES, &notice(TwoFactorNotice::TurnedOn)));
    Ok(())
}

/// New recovery codes (the old ones stop working; a recent password is needed).
#[server(endpoint = "two_factor/recovery_codes")]
pub async fn regenerate_recovery_codes(password: Option<String>) -> Result<(), AppError> {
    let me = SignedIn::get()?;
    me.identity.two_factor.regenerate(&me.session, &me.client, password).await?;
    leptos_axum::redirect(&me.identity.messages.redirect(routes::RECOVERY_CODES, &notice(TwoFactorNotice::CodesRegenerated)));
    Ok(())
}

/// "I have saved them": the fresh codes are not shown again.
#[server(endpoint = "two_factor/recovery_codes_saved")]
pub async fn recovery_codes_saved() -> Result<(), AppError> {
    let me = SignedIn::get()?;
    me.identity.two_factor.codes_saved(&me.session).await?;
    leptos_axum::redirect(routes::TWO_FACTOR_SECTION);
    Ok(())
}

/// Turns two-factor authentication off. Always asks for the password.
#[server(endpoint = "two_factor/disable")]
pub async fn disable_totp(password: String) -> Result<(), AppError> {
    let me = SignedIn::get()?;
    me.identity.two_factor.disable(&me.session, &me.client, password).await?;
    leptos_axum::redirect(&me.identity.messages.redirect(routes::TWO_FACTOR_SECTION, &notice(TwoFactorNotice::TurnedOff)));
    Ok(())
}

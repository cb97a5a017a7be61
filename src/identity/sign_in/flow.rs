//! The sign-in flow: from what a browser brings (its cookies) to what it is told (a
//! [`Landing`]: cookies to set or clear, and where to go). The rules decide here; the web edge
//! only applies the landing.

use super::{
    alerts,
    pending::{self, Due},
};
use crate::{
    identity::{
        Core,
        account::{
            Accounts, Ceremony, Code, Credentials, Notices, Passkeys, TwoFactor, check_new_password, device_key,
            totp,
            users::{self, MAX_EMAIL, UserRecord},
        },
        client::ClientInfo,
        model::{EndReason, EventKind, SignInMethod},
        session::{AuthSession, SessionService, SessionToken, SignedInWith, Via},
    },
    infra::{
        error::AppError,
        flash::{Kind, Message, Messages},
        mail::Mailer,
        random, routes,
    },
};
use std::sync::Arc;

/// What a browser brought to a sign-in step: its client, the session it still has, and the
/// tokens of the app's other cookies.
#[derive(Debug, Clone)]
pub struct Browser {
    pub client: ClientInfo,
    pub session: Option<AuthSession>,
    /// The device token (a browser that signed in before keeps one).
    pub device: Option<String>,
    /// A log-in waiting for its second step.
    pub pending: Option<String>,
    /// The token of the emailed link the browser followed.
    pub link: Option<String>,
}

/// What happens to one of the browser's cookies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum CookieChange {
    #[default]
    Keep,
    Set(String),
    Clear,
}

/// What the browser is told after a step: the cookies to set or clear, and where to go.
#[derive(Debug, Default)]
pub struct Landing {
    /// A new session's token (its cookie).
    pub session: Option<SessionToken>,
    /// The session cookie goes (its session ended).
    pub clear_session: bool,
    /// A new device token for a browser that had none.
    pub device: Option<String>,
    pub pending: CookieChange,
    pub link: CookieChange,
    /// Signed out: the browser also forgets everything of this site (`Clear-Site-Data`).
    pub clear_site_data: bool,
    pub to: String,
}

impl Landing {
    pub fn to(path: impl Into<String>) -> Self {
        Landing { to: path.into(), ..Landing::default() }
    }
}

/// A sign-up's outcome: signed in, or waiting for the address to be confirmed (and the device
/// token the browser is given, when it had none).
pub enum SignUp {
    Landed(Landing),
    CheckEmail(Option<String>),
}

/// Digits of the code emailed to verify a new device.
const VERIFICATION_DIGITS: u32 = 6;

/// The sign-in and sign-out rules; built by the composition root (`app::state`).
pub struct SignIn {
    pub(crate) core: Core,
    pub(crate) sessions: Arc<SessionService>,
    pub(crate) credentials: Arc<Credentials>,
    pub(crate) accounts: Arc<Accounts>,
    pub(crate) two_factor: Arc<TwoFactor>,
    pub(crate) passkeys: Arc<Passkeys>,
    pub(crate) notices: Arc<Notices>,
    pub(crate) mailer: Arc<Mailer>,
    pub(crate) messages: Arc<Messages>,
}

impl SignIn {
    /// The log-in page, saying why this browser was signed out.
    pub fn signed_out_page(&self, reason: EndReason) -> String {
        signed_out_page(&self.messages, reason)
    }

    /// The landing that leaves a browser signed out: its cookie and site data cleared, and the
    /// log-in page saying why.
    pub fn leave(&self, reason: EndReason) -> Landing {
        Landing { clear_session: true, clear_site_data: true, ..Landing::to(self.signed_out_page(reason)) }
    }

    /// Starts a new session for `user_id`, who proved who they are `method`'s way while the
    /// account's password hash was `credential`; `lineage`: the sessions it descends from (a
    /// passkey's). Ends the session this browser was still using, if any: a log-in never
    /// carries an old session forward. Gives the browser a device token if it has none, and
    /// remembers it for this account.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn start(
        &self,
        browser: &Browser,
        user_id: i64,
        credential: &str,
        kind: EventKind,
        method: SignInMethod,
        with: &SignedInWith,
        mut landing: Landing,
    ) -> Result<Landing, AppError> {
        if let Some(previous) = &browser.session {
            self.sessions.logout(previous, &browser.client).await?;
        }
        let known_device = self.knows(user_id, browser).await?;
        // The password changed or the account went away since it was checked: start nothing.
        let started = self
            .sessions
            .create(user_id, credential, &browser.client, kind, method, known_device, with)
            .await?
            .ok_or(AppError::BadCredentials)?;
        let device = match &browser.device {
            Some(device) => device.clone(),
            None => {
                let device = random::token();
                landing.device = Some(device.clone());
                device
            }
        };
        self.credentials.remember_device(user_id, &device).await?;
        if started.novelty.any() {
            alerts::sign_in(&self.core, &self.mailer, &started.record, started.novelty).await?;
        }
        landing.session = Some(started.token);
        Ok(landing)
    }

    /// Whether the browser signed in to `user_id` before (it carries that account's device token).
    async fn knows(&self, user_id: i64, browser: &Browser) -> Result<bool, AppError> {
        Ok(match &browser.device {
            Some(device) => self.credentials.knows_device(user_id, device).await?,
            None => false,
        })
    }

    /// The password was right and something more is due: no session, only a pending log-in
    /// bound to this browser, and that step next (then `landing.to`).
    pub(super) async fn pending_step(
        &self,
        user: &UserRecord,
        due: Due,
        code_hash: Option<&str>,
        mut landing: Landing,
    ) -> Result<Landing, AppError> {
        let then = (!landing.to.is_empty()).then_some(landing.to.as_str());
        let token = pending::create(&self.core.db, user.id, &user.password_hash, due, code_hash, then, self.core.now()).await?;
        landing.pending = CookieChange::Set(token);
        landing.to = match due {
            Due::SecondFactor => routes::TWO_FACTOR_LOGIN,
            Due::EmailedCode => routes::VERIFY_DEVICE,
        }
        .to_owned();
        Ok(landing)
    }

    /// Signs up with an email and a password. With mail configured the account is made only
    /// when the emailed link is followed (by this browser, or by another one that then chooses
    /// the password itself), and the answer is the same whether or not the address is taken
    /// (ASVS 6.3.8); otherwise it is made at once and signed in (to `to`).
    pub async fn sign_up(&self, browser: &Browser, email: &str, password: String, to: String) -> Result<SignUp, AppError> {
        users::check_email(email)?;
        check_new_password(&password)?;
        let client = &browser.client;
        let per_ip = self.core.config.signup_max_per_ip;
        let hash = self.credentials.new_account_hash(password, client, per_ip).await?;
        let email = email.trim().to_owned();
        if self.mailer.is_configured() {
            self.credentials.count_mail(&email, client, per_ip).await?;
            // The link remembers this browser (a device token, given now if it has none).
            let (device, new_device) = match &browser.device {
                Some(device) => (device.clone(), None),
                None => {
                    let device = random::token();
                    (device.clone(), Some(device))
                }
            };
            let (core, mailer) = (self.core.clone(), self.mailer.clone());
            // In the background, so the answer comes as fast either way.
            self.mailer.spawn(async move {
                match super::mails::sign_up(&core, &email, &hash, &device_key(&device)).await {
                    Ok(mail) => mailer.send(mail).await,
                    Err(e) => tracing::warn!("could not prepare a sign-up email: {e}"),
                }
            });
            return Ok(SignUp::CheckEmail(new_device));
        }
        let user_id = users::create(&self.core.db, &email, &hash, self.core.now()).await?.ok_or(AppError::EmailTaken)?;
        let landing = self.start(browser, user_id, &hash, EventKind::SignedUp, SignInMethod::Password, &SignedInWith::default(), Landing::to(to)).await?;
        Ok(SignUp::Landed(landing))
    }

    /// A log-in with email and password: a session (landing on `to`); or first the second step
    /// when the account has two-factor authentication on; or, with new-device verification on,
    /// a code emailed to the account when the browser never signed in to it.
    pub async fn log_in(&self, browser: &Browser, email: &str, password: String, to: String) -> Result<Landing, AppError> {
        if email.len() > MAX_EMAIL {
            return Err(AppError::BadCredentials);
        }
        let user = self.credentials.log_in(email, password, &browser.client, browser.device.as_deref()).await?;
        if self.two_factor.is_on(user.id).await? {
            // No session yet: the second factor decides.
            return self.pending_step(&user, Due::SecondFactor, None, Landing::to(to)).await;
        }
        if self.core.config.verifies_new_devices() && !self.knows(user.id, browser).await? {
            // A few code mails per address and window: nobody floods the owner's inbox.
            self.credentials.count_mail(&user.email, &browser.client, self.core.config.signup_max_per_ip).await?;
            let code = random::digits(VERIFICATION_DIGITS);
            let landing = self.pending_step(&user, Due::EmailedCode, Some(&random::token_hash(&code)), Landing::to(to)).await?;
            self.mailer.send_later(super::mails::verification(&user.email, &code, &self.core.origin(&browser.client), self.core.now()));
            return Ok(landing);
        }
        let with = SignedInWith::default();
        self.start(browser, user.id, &user.password_hash, EventKind::SignedIn, SignInMethod::Password, &with, Landing::to(to)).await
    }

    /// The second step of a log-in: a right code turns the pending log-in into a session,
    /// once; a wrong one counts against the same limits as passwords.
    pub async fn second_factor(&self, browser: &Browser, code: Code<'_>) -> Result<Landing, AppError> {
        let method = match code {
            Code::Recovery(_) => SignInMethod::PasswordRecovery,
            _ => SignInMethod::PasswordTotp,
        };
        let now = self.core.now();
        let token = browser.pending.as_deref().ok_or(AppError::LoginExpired)?;
        let open = pending::find(&self.core.db, token, now).await?.filter(|p| p.due() == Due::SecondFactor).ok_or(AppError::LoginExpired)?;
        self.credentials.check_code(open.user_id, code, &browser.client).await?;
        // The session descends from whoever added the app (or the codes) it signed in with.
        let (via, lineage) = match method {
            SignInMethod::PasswordRecovery => (Via::RecoveryCodes, totp::codes_lineage(&self.core.db, open.user_id).await?),
            _ => (Via::AuthenticatorApp, totp::app_lineage(&self.core.db, open.user_id).await?),
        };
        self.finish_pending(browser, token, method, &SignedInWith { via, lineage }).await
    }

    /// New-device verification: the code emailed to the account turns the pending log-in into
    /// a session, once (of many requests racing with it, one wins); wrong codes are counted
    /// against the pending log-in (a few) and the client's address.
    pub async fn verify_device(&self, browser: &Browser, code: &str) -> Result<Landing, AppError> {
        let now = self.core.now();
        let token = browser.pending.as_deref().ok_or(AppError::LoginExpired)?;
        let open = pending::find(&self.core.db, token, now).await?.filter(|p| p.due() == Due::EmailedCode).ok_or(AppError::LoginExpired)?;
        let expected = open.code_hash.as_deref().ok_or(AppError::LoginExpired)?;
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        self.credentials.check_emailed_code(open.user_id, &pending::key(token), &code, expected, &browser.client).await?;
        self.finish_pending(browser, token, SignInMethod::Password, &SignedInWith::default()).await
    }

    /// Closes the pending log-in of `token` (once) and starts its session.
    async fn finish_pending(&self, browser: &Browser, token: &str, method: SignInMethod, with: &SignedInWith) -> Result<Landing, AppError> {
        let taken = pending::take(&self.core.db, token, self.core.now()).await?.ok_or(AppError::LoginExpired)?;
        let to = taken.then_to.clone().unwrap_or_else(|| routes::HOME.to_owned());
        let landing = Landing { pending: CookieChange::Clear, ..Landing::to(to) };
        self.start(browser, taken.user_id, &taken.credential, EventKind::SignedIn, method, with, landing).await
    }

    /// Gives up the pending log-in.
    pub async fn cancel(&self, browser: &Browser) -> Result<Landing, AppError> {
        if let Some(token) = &browser.pending {
            pending::take(&self.core.db, token, self.core.now()).await?;
        }
        Ok(Landing { pending: CookieChange::Clear, ..Landing::to(routes::LOGIN) })
    }

    /// Starts signing in with a passkey.
    pub async fn start_passkey(&self, browser: &Browser) -> Result<Ceremony, AppError> {
        self.passkeys.start_sign_in(&browser.client, &self.credentials).await
    }

    /// Finishes signing in with a passkey: a session, as a password and a second factor would
    /// give.
    pub async fn finish_passkey(&self, browser: &Browser, token: &str, credential: &str) -> Result<Landing, AppError> {
        let (user_id, credential_id, lineage) = self.passkeys.finish_sign_in(token, credential).await?;
        let user = users::find(&self.core.db, user_id).await?.ok_or(AppError::PasskeyFailed)?;
        let (method, to) = (SignInMethod::Passkey, Landing::to(routes::HOME));
        let with = SignedInWith { via: Via::Passkey(credential_id), lineage };
        self.start(browser, user.id, &user.password_hash, EventKind::SignedIn, method, &with, to).await
    }

    /// Forgets what ran out: pending log-ins, WebAuthn ceremonies, unshown recovery codes and
    /// emailed links. Returns how many rows went.
    pub async fn purge_expired(&self) -> Result<u64, AppError> {
        let now = self.core.now();
        Ok(pending::purge(&self.core.db, now).await? + crate::identity::account::email_links::purge(&self.core.db, now).await?)
    }

    /// Logs the browser's session out (if it has one) and signs the browser out.
    pub async fn log_out(&self, browser: &Browser) -> Result<Landing, AppError> {
        if let Some(session) = &browser.session {
            self.sessions.logout(session, &browser.client).await?;
        }
        Ok(self.leave(EndReason::LoggedOut))
    }
}

/// The log-in page, saying why the browser was signed out.
pub fn signed_out_page(messages: &Messages, reason: EndReason) -> String {
    messages.redirect(routes::LOGIN, &Message::new(Kind::SignedOut, reason.as_str(), None))
}

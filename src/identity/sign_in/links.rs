//! The sign-in steps that start from an emailed link: setting a new password, "This wasn't
//! me", finishing a sign-up — and asking for a reset link. Their answers never say whether an
//! email address has an account.

use super::flow::{Browser, CookieChange, Landing, SignIn};
use crate::{
    identity::{
        account::{
            check_new_password,
            email_links::{self, NewLink, Purpose},
            users,
        },
        client::{ClientInfo, UNKNOWN_LOCATION},
        model::{EventKind, SignInMethod, device_label},
    },
    infra::{error::AppError, routes},
};

/// The sign-in a "This wasn't me" link is about: its device, place and when, if it is still
/// signed in.
pub type AlertedSignIn = Option<(String, String, i64)>;

impl SignIn {
    /// "Forgot password?": emails a reset link if the address has an account. The answer, and
    /// the work done before it, are the same either way (the mail goes out in the background).
    pub async fn request_reset(&self, client: &ClientInfo, email: &str) -> Result<(), AppError> {
        users::check_email(email)?;
        self.credentials.count_mail(email, client, self.core.config.signup_max_per_ip).await?;
        let (core, mailer, email) = (self.core.clone(), self.mailer.clone(), email.to_owned());
        self.mailer.spawn(async move {
            match super::mails::reset(&core, &email).await {
                Ok(Some(mail)) => mailer.send(mail).await,
                Ok(None) => {}
                Err(e) => tracing::warn!("could not make a reset link: {e}"),
            }
        });
        Ok(())
    }

    /// Whether the browser holds a live reset link.
    pub async fn reset_link_live(&self, browser: &Browser) -> Result<bool, AppError> {
        let Some(token) = &browser.link else { return Ok(false) };
        Ok(email_links::peek(&self.core.db, token, Purpose::Reset, self.core.now()).await?.is_some())
    }

    /// "Set new password": uses the reset link, sets the password, ends every session of the
    /// account, and signs this browser in afresh (to `to`; through the second factor when it is
    /// on).
    pub async fn reset_password(&self, browser: &Browser, new_password: String, to: String) -> Result<Landing, AppError> {
        let token = browser.link.as_deref().ok_or(AppError::LinkExpired)?;
        check_new_password(&new_password)?;
        // A dead link need not cost a hash.
        email_links::peek(&self.core.db, token, Purpose::Reset, self.core.now()).await?.ok_or(AppError::LinkExpired)?;
        let hash = self.credentials.passwords.hash(new_password).await?;
        let user_id = self.sessions.reset_password(token, &hash, &browser.client).await?.ok_or(AppError::LinkExpired)?;
        let landing = Landing { link: CookieChange::Clear, ..Landing::to(to) };
        let user = users::find(&self.core.db, user_id).await?.ok_or(AppError::LinkExpired)?;
        if user.suspended_at.is_some() {
            return Err(AppError::Suspended);
        }
        if self.two_factor.is_on(user.id).await? {
            return self.second_step(&user, landing).await;
        }
        self.start(browser, user.id, &hash, EventKind::SignedIn, SignInMethod::Password, landing).await
    }

    /// The sign-in a "This wasn't me" link is about, if the link is live.
    pub async fn alerted(&self, browser: &Browser) -> Result<Option<AlertedSignIn>, AppError> {
        let Some(token) = &browser.link else { return Ok(None) };
        let Some(link) = email_links::peek(&self.core.db, token, Purpose::NotMe, self.core.now()).await? else {
            return Ok(None);
        };
        let session = match link.session_id.as_deref() {
            Some(id) => self.sessions.find(id).await?.map(|s| {
                let place = s.location.unwrap_or_else(|| UNKNOWN_LOCATION.to_owned());
                (device_label(s.browser.as_deref(), s.os.as_deref()), place, s.created_at)
            }),
            None => None,
        };
        Ok(Some(session))
    }

    /// "This wasn't me" from an email: ends every session of the account (the one the email
    /// was about among them), then leads to setting a new password (`to`) — the link's account
    /// gets a fresh reset link, held by this browser.
    pub async fn not_me_by_link(&self, browser: &Browser, to: String) -> Result<Landing, AppError> {
        let token = browser.link.as_deref().ok_or(AppError::LinkExpired)?;
        let user_id = self.sessions.not_me_by_link(token, &browser.client).await?.ok_or(AppError::LinkExpired)?;
        let reset = email_links::create(&self.core.db, &NewLink::for_user(user_id, Purpose::Reset), self.core.now()).await?;
        // This browser may have been signed in to the account: that session ended too.
        let clear_session = browser.session.as_ref().is_some_and(|s| s.user_id == user_id);
        Ok(Landing { link: CookieChange::Set(reset), clear_session, ..Landing::to(to) })
    }

    /// The address a sign-up link confirms, if the link is live.
    pub async fn sign_up_to_confirm(&self, browser: &Browser) -> Result<Option<String>, AppError> {
        let Some(token) = &browser.link else { return Ok(None) };
        let link = email_links::peek(&self.core.db, token, Purpose::VerifyEmail, self.core.now()).await?;
        Ok(link.and_then(|l| l.email))
    }

    /// Finishes a sign-up whose address is now confirmed: creates the account and signs in.
    pub async fn confirm_sign_up(&self, browser: &Browser) -> Result<Landing, AppError> {
        let token = browser.link.as_deref().ok_or(AppError::LinkExpired)?;
        let now = self.core.now();
        let link = email_links::take(&self.core.db, token, Purpose::VerifyEmail, now).await?.ok_or(AppError::LinkExpired)?;
        let landing = Landing { link: CookieChange::Clear, ..Landing::to(routes::HOME) };
        let (Some(email), Some(hash)) = (link.email, link.password_hash) else { return Err(AppError::LinkExpired) };
        let user_id = users::create(&self.core.db, &email, &hash, now).await?.ok_or(AppError::EmailTaken)?;
        self.start(browser, user_id, &hash, EventKind::SignedUp, SignInMethod::Password, landing).await
    }
}

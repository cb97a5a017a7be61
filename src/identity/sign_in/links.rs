//! The sign-in steps that start from an emailed link: setting a new password, "This wasn't
//! me", finishing a sign-up — and asking for a reset link. Their answers never say whether an
//! email address has an account.

use super::{
    flow::{Browser, CookieChange, Landing, SignIn},
    pending::Due,
};
use crate::{
    identity::{
        account::{
            check_new_password, device_key,
            email_links::{self, Purpose},
            users,
        },
        client::{ClientInfo, UNKNOWN_LOCATION},
        model::{EventKind, SignInMethod, device_label},
        security_log::NewEvent,
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

    /// The account the browser's live reset link resets, its address masked ("a•••@example.com"
    /// — enough for the owner to recognise it, so a planted link cannot sign anyone into
    /// someone else's account unawares); `None` without a live link.
    pub async fn reset_link_account(&self, browser: &Browser) -> Result<Option<String>, AppError> {
        let Some(token) = &browser.link else { return Ok(None) };
        let Some(link) = email_links::peek(&self.core.db, token, Purpose::Reset, self.core.now()).await? else { return Ok(None) };
        let Some(user_id) = link.user_id else { return Ok(None) };
        Ok(users::find(&self.core.db, user_id).await?.map(|u| users::masked(&u.email)))
    }

    /// "Set new password": uses the reset link, sets the password, ends every session of the
    /// account, and signs this browser in afresh (to `to`; through the second factor when it is
    /// on). The account is told.
    pub async fn reset_password(&self, browser: &Browser, new_password: String, to: String) -> Result<Landing, AppError> {
        let token = browser.link.as_deref().ok_or(AppError::LinkExpired)?;
        check_new_password(&new_password)?;
        // A dead link need not cost a hash.
        email_links::peek(&self.core.db, token, Purpose::Reset, self.core.now()).await?.ok_or(AppError::LinkExpired)?;
        let hash = self.credentials.passwords.hash(new_password).await?;
        let user_id = self.sessions.reset_password(token, &hash, &browser.client).await?.ok_or(AppError::LinkExpired)?;
        let event = NewEvent::new(Some(user_id), EventKind::PasswordReset, self.core.origin(&browser.client), self.core.now());
        self.notices.changed(&event).await?;
        let landing = Landing { link: CookieChange::Clear, ..Landing::to(to) };
        let user = users::find(&self.core.db, user_id).await?.ok_or(AppError::LinkExpired)?;
        if user.suspended_at.is_some() {
            return Err(AppError::Suspended);
        }
        if self.two_factor.is_on(user.id).await? {
            return self.pending_step(&user, Due::SecondFactor, None, landing).await;
        }
        self.start(browser, user.id, &hash, EventKind::SignedIn, SignInMethod::Password, &Default::default(), landing).await
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

    /// "This wasn't me" from an email: disowns the session the email was about — every session
    /// of the account ends, every sign-in method that session (or one descended from it) added
    /// goes — then the owner sets a new password through the ordinary reset: a fresh
    /// 30-minute link, emailed (whoever holds this browser needs the mailbox too). Returns the
    /// landing (to `to`) and how many methods were removed.
    pub async fn not_me_by_link(&self, browser: &Browser, to: String) -> Result<(Landing, usize), AppError> {
        let token = browser.link.as_deref().ok_or(AppError::LinkExpired)?;
        let done = self.sessions.not_me_by_link(token, &browser.client).await?.ok_or(AppError::LinkExpired)?;
        let removed: Vec<String> = done.removed.iter().map(|m| m.describe()).collect();
        let (core, mailer, user_id) = (self.core.clone(), self.mailer.clone(), done.user_id);
        self.mailer.spawn(async move {
            match super::mails::after_disowning(&core, user_id, &removed).await {
                Ok(Some(mail)) => mailer.send(mail).await,
                Ok(None) => {}
                Err(e) => tracing::warn!("could not make a reset link after disowning: {e}"),
            }
        });
        // This browser may have been signed in to the account: that session ended too.
        let clear_session = browser.session.as_ref().is_some_and(|s| s.user_id == done.user_id);
        Ok((Landing { link: CookieChange::Clear, clear_session, ..Landing::to(to) }, done.removed.len()))
    }

    /// The address a sign-up link confirms, if the link is live.
    pub async fn sign_up_to_confirm(&self, browser: &Browser) -> Result<Option<String>, AppError> {
        let Some(token) = &browser.link else { return Ok(None) };
        let link = email_links::peek(&self.core.db, token, Purpose::VerifyEmail, self.core.now()).await?;
        Ok(link.and_then(|l| l.email))
    }

    /// Whether finishing the sign-up the browser's link is for needs a password chosen now:
    /// the link was asked for by another browser (whoever asked chose the password; the owner
    /// of the address must not end up in an account someone else holds the password of).
    pub async fn sign_up_needs_password(&self, browser: &Browser) -> Result<bool, AppError> {
        let Some(token) = &browser.link else { return Ok(false) };
        let link = email_links::peek(&self.core.db, token, Purpose::VerifyEmail, self.core.now()).await?;
        Ok(link.is_some_and(|l| !same_browser(&l, browser)))
    }

    /// Finishes a sign-up whose address is now confirmed: creates the account and signs in.
    /// From another browser than the one that asked, `new_password` must be given (and is the
    /// account's password; the one chosen when asking is dropped).
    pub async fn confirm_sign_up(&self, browser: &Browser, new_password: Option<String>) -> Result<Landing, AppError> {
        let token = browser.link.as_deref().ok_or(AppError::LinkExpired)?;
        let now = self.core.now();
        let peeked = email_links::peek(&self.core.db, token, Purpose::VerifyEmail, now).await?.ok_or(AppError::LinkExpired)?;
        let chosen_here = match (same_browser(&peeked, browser), new_password.filter(|p| !p.is_empty())) {
            (true, _) => None,
            (false, Some(password)) => {
                check_new_password(&password)?;
                Some(self.credentials.passwords.hash(password).await?)
            }
            (false, None) => return Err(AppError::PasswordRequired),
        };
        let link = email_links::take(&self.core.db, token, Purpose::VerifyEmail, now).await?.ok_or(AppError::LinkExpired)?;
        let landing = Landing { link: CookieChange::Clear, ..Landing::to(routes::HOME) };
        let (Some(email), Some(asked)) = (link.email, link.password_hash) else { return Err(AppError::LinkExpired) };
        let hash = chosen_here.unwrap_or(asked);
        let user_id = users::create(&self.core.db, &email, &hash, now).await?.ok_or(AppError::EmailTaken)?;
        self.start(browser, user_id, &hash, EventKind::SignedUp, SignInMethod::Password, &Default::default(), landing).await
    }
}

/// Whether `browser` is the one that asked for the sign-up link `link`.
fn same_browser(link: &email_links::Link, browser: &Browser) -> bool {
    match (&link.device_hash, &browser.device) {
        (Some(asked), Some(device)) => bool::from(subtle::ConstantTimeEq::ct_eq(asked.as_bytes(), device_key(device).as_bytes())),
        _ => false,
    }
}

//! The emails of signing up and of a forgotten password. Which one went out (a link, or "you
//! already have an account") is known only to whoever reads that inbox.

use crate::{
    identity::{
        Core,
        account::{
            email_links::{self, NewLink, Purpose},
            users,
        },
    },
    infra::{mail::Mail, routes},
};

/// The sign-up email to `email`: a confirmation link carrying the chosen password's `hash`, or
/// "you already have an account".
pub async fn sign_up(core: &Core, email: &str, hash: &str) -> Result<Mail, sqlx::Error> {
    let origin = core.config.public_origin();
    Ok(if users::find_by_email(&core.db, email).await?.is_some() {
        Mail::with_link(
            email,
            "You already have an account",
            &["Someone (hopefully you) tried to create an account with this email address, but you already have one."],
            ("Log in", &format!("{origin}{}", routes::LOGIN)),
            &[
                "Forgot your password? Use \u{201c}Forgot password?\u{201d} on the log-in page.",
                "If this wasn't you, you can ignore this email: nothing changed.",
            ],
        )
    } else {
        let token = email_links::create(&core.db, &NewLink::sign_up(email, hash), core.now()).await?;
        Mail::with_link(
            email,
            "Finish creating your account",
            &["Confirm that this is your email address to finish creating your account."],
            ("Confirm my email address", &format!("{origin}{}?token={token}", routes::VERIFY_EMAIL)),
            &["The link works once, for 24 hours. If you did not sign up, ignore this email: no account is made."],
        )
    })
}

/// The password-reset email for the account with `email`, if there is one (a fresh link).
pub async fn reset(core: &Core, email: &str) -> Result<Option<Mail>, sqlx::Error> {
    let Some(user) = users::find_by_email(&core.db, email).await? else { return Ok(None) };
    let token = email_links::create(&core.db, &NewLink::for_user(user.id, Purpose::Reset), core.now()).await?;
    let link = format!("{}{}?token={token}", core.config.public_origin(), routes::RESET_PASSWORD);
    Ok(Some(Mail::with_link(
        &user.email,
        "Set a new password",
        &["Someone (hopefully you) asked to reset the password of your account."],
        ("Set a new password", &link),
        &[
            "The link works once, for 30 minutes. Setting a new password signs out every device signed in to your account.",
            "If you did not ask for this, ignore this email: your password stays as it is.",
        ],
    )))
}

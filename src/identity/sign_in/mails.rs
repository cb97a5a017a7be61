//! The emails of signing up and of a forgotten password. Which one went out (a link, or "you
//! already have an account") is known only to whoever reads that inbox.

use crate::{
    identity::{
        Core,
        account::{
            email_links::{self, NewLink, Purpose},
            users,
        },
        client::UNKNOWN_LOCATION,
        security_log::Origin,
    },
    infra::{
        mail::{Mail, escape},
        routes, timefmt,
    },
};

/// The sign-up email to `email`: a confirmation link carrying the chosen password's `hash` and
/// the asking browser's `device` key, or "you already have an account".
pub async fn sign_up(core: &Core, email: &str, hash: &str, device: &str) -> Result<Mail, sqlx::Error> {
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
        let token = email_links::create(&core.db, &NewLink::sign_up(email, hash, device), core.now()).await?;
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

/// The code that verifies a sign-in from a new device, with where it comes from.
pub fn verification(to: &str, code: &str, origin: &Origin, now: i64) -> Mail {
    let place = origin.location.as_deref().unwrap_or(UNKNOWN_LOCATION);
    let lines = [
        format!("Device: {}", origin.device),
        format!("Place: {place} (IP address {})", origin.ip),
        format!("Time: {}", timefmt::utc(now)),
    ];
    let text = format!(
        "Someone signed in to your account with its password from a device it was never used on. To finish signing \
         in, enter this code:\n\n{code}\n\n{}\n\nThe code works once, within 10 minutes.\n\nIf this wasn't you, \
         someone knows your password: do not share the code, and change your password.\n",
        lines.join("\n")
    );
    let html = format!(
        "<p>Someone signed in to your account with its password from a device it was never used on. To finish signing in, \
         enter this code:</p><p style=\"font-size:1.5em;letter-spacing:0.2em\"><strong>{}</strong></p><ul>{}</ul>\
         <p>The code works once, within 10 minutes.</p><p>If this wasn't you, someone knows your password: do not share \
         the code, and change your password.</p>",
        escape(code),
        lines.iter().map(|l| format!("<li>{}</li>", escape(l))).collect::<String>()
    );
    Mail { to: to.to_owned(), subject: format!("Your sign-in code: {code}"), text, html }
}

/// After "This wasn't me" from an email: every device was signed out, what the disowned
/// session added is gone, and a fresh (30-minute) reset link sets a new password.
pub async fn after_disowning(core: &Core, user_id: i64, removed: &[String]) -> Result<Option<Mail>, sqlx::Error> {
    let Some(user) = users::find(&core.db, user_id).await? else { return Ok(None) };
    let token = email_links::create(&core.db, &NewLink::for_user(user.id, Purpose::Reset), core.now()).await?;
    let link = format!("{}{}?token={token}", core.config.public_origin(), routes::RESET_PASSWORD);
    let mut before = vec!["Every device signed in to your account was signed out.".to_owned()];
    for what in removed {
        before.push(format!("Removed: {what}."));
    }
    before.push("Now choose a new password: whoever signed in knew the old one.".to_owned());
    let before: Vec<&str> = before.iter().map(String::as_str).collect();
    Ok(Some(Mail::with_link(
        &user.email,
        "Set a new password",
        &before,
        ("Set a new password", &link),
        &["The link works once, for 30 minutes. Then review the sign-in methods of your account."],
    )))
}

//! The emails of signing up with mail configured: a link that finishes the sign-up, or — when
//! the address already has an account — a note saying so. Which one went out is known only to
//! whoever reads that inbox.

use crate::{
    identity::{
        account::email_links::{self, NewLink},
        Identity,
        account::users,
    },
    infra::{mail::Mail, routes},
};

/// Sends the sign-up email to `email`: a confirmation link carrying the chosen password's
/// `hash`, or "you already have an account". All of it in the background, so the answer comes
/// as fast either way.
pub fn send_sign_up(state: &Identity, email: String, hash: String) {
    let state = state.clone();
    tokio::spawn(async move {
        match sign_up_mail(&state, &email, &hash).await {
            Ok(mail) => state.mailer.send(mail).await,
            Err(e) => tracing::warn!("could not prepare a sign-up email: {e}"),
        }
    });
}

async fn sign_up_mail(state: &Identity, email: &str, hash: &str) -> Result<Mail, sqlx::Error> {
    let origin = state.config.public_origin();
    Ok(if users::find_by_email(&state.db, email).await?.is_some() {
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
        let token = email_links::create(&state.db, &NewLink::sign_up(email, hash), state.clock.now_ms()).await?;
        Mail::with_link(
            email,
            "Finish creating your account",
            &["Confirm that this is your email address to finish creating your account."],
            ("Confirm my email address", &format!("{origin}{}?token={token}", routes::VERIFY_EMAIL)),
            &["The link works once, for 24 hours. If you did not sign up, ignore this email: no account is made."],
        )
    })
}

//! The password-reset email.

use crate::{
    identity::Identity,
    infra::{mail::Mail, routes},
};

pub fn reset(state: &Identity, to: &str, token: &str) -> Mail {
    let link = format!("{}{}?token={token}", state.config.public_origin(), routes::RESET_PASSWORD);
    Mail::with_link(
        to,
        "Set a new password",
        &["Someone (hopefully you) asked to reset the password of your account."],
        ("Set a new password", &link),
        &[
            "The link works once, for 30 minutes. Setting a new password signs out every device signed in to your account.",
            "If you did not ask for this, ignore this email: your password stays as it is.",
        ],
    )
}

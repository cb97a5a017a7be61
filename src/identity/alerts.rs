//! Telling people what happens to their account before they ask: an email when someone signs
//! in from a browser that never signed in to the account before, or from a country it was
//! never used in. It says what, where and how, and carries a "This wasn't me" link (single
//! use, 24 hours) that ends that session and every other one, then leads to a new password.

use super::{email_links, state::AppState, types::SignInMethod, users};
use crate::infra::{
    mail::{Mail, escape},
    routes, timefmt,
};

/// Why a sign-in deserves an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Novelty {
    /// The browser carried no device token from an earlier sign-in to this account.
    pub new_device: bool,
    /// The place is in a country no earlier sign-in of the account came from.
    pub new_country: bool,
}

impl Novelty {
    pub fn any(self) -> bool {
        self.new_device || self.new_country
    }
}

/// The country of a place ("London, United Kingdom" → "United Kingdom"), when it names one.
pub fn country(place: &str) -> Option<&str> {
    place.rsplit_once(", ").map(|(_, country)| country)
}

/// Whether `place` is in a country the account's earlier sign-ins never came from. An
/// account with no known country yet has nothing to compare with: not new.
pub async fn is_new_country(state: &AppState, user_id: i64, session_id: &str, place: &str) -> Result<bool, sqlx::Error> {
    let Some(here) = country(place) else { return Ok(false) };
    let before: Vec<Option<String>> = crate::db_read!(&state.db, |pool| {
        sqlx::query_scalar(
            "SELECT location FROM security_events WHERE user_id = $1 AND kind IN ('signed_in', 'signed_up') \
             AND (session_id IS NULL OR session_id <> $2) ORDER BY created_at DESC LIMIT 500",
        )
        .bind(user_id)
        .bind(session_id)
        .fetch_all(pool)
        .await
    })?;
    let countries: Vec<&str> = before.iter().flatten().filter_map(|p| country(p)).collect();
    Ok(!countries.is_empty() && !countries.contains(&here))
}

/// What the alert says about the sign-in.
pub struct SignIn<'a> {
    pub session_id: &'a str,
    pub device: &'a str,
    pub place: &'a str,
    pub ip: &'a str,
    pub at: i64,
    pub method: SignInMethod,
    pub novelty: Novelty,
}

/// Sends the sign-in alert (in the background: the sign-in does not wait for mail).
pub async fn sign_in(state: &AppState, user_id: i64, s: SignIn<'_>) -> Result<(), sqlx::Error> {
    let Some(user) = users::find(&state.db, user_id).await? else { return Ok(()) };
    let token = email_links::create(&state.db, user_id, email_links::Purpose::NotMe, Some(s.session_id), state.clock.now_ms()).await?;
    let link = format!("{}{}?token={token}", state.config.public_origin(), routes::NOT_ME);
    let why = match (s.novelty.new_device, s.novelty.new_country) {
        (true, true) => "a new device, in a new country",
        (true, false) => "a new device",
        _ => "a new country",
    };
    let lines = [
        format!("Device: {}", s.device),
        format!("Place: {} ({})", s.place, s.ip),
        format!("Time: {}", timefmt::utc(s.at)),
        format!("How: {}", s.method.label()),
    ];
    let text = format!(
        "Someone signed in to your account from {why}.\n\n{}\n\nIf this was you, there is nothing to do.\n\n\
         If it wasn't you, open this link: it signs that device and every other out, then lets you set a new password.\n{link}\n",
        lines.join("\n")
    );
    let html = format!(
        "<p>Someone signed in to your account from {why}.</p><ul>{}</ul><p>If this was you, there is nothing to do.</p>\
         <p><a href=\"{}\">This wasn't me</a> — signs that device and every other out, then lets you set a new password.</p>",
        lines.iter().map(|l| format!("<li>{}</li>", escape(l))).collect::<String>(),
        escape(&link)
    );
    let mail = Mail { to: user.email, subject: "New sign-in to your account".to_owned(), text, html };
    let mailer = state.mailer.clone();
    tokio::spawn(async move { mailer.send(mail).await });
    Ok(())
}

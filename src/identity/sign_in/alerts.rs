//! Telling people what happens to their account before they ask: an email when someone signs
//! in from a browser that never signed in to the account before, or from a country it was
//! never used from. It says what, where, when and how, and carries a "This wasn't me" link
//! (single use, 24 hours) that ends that session and every other one, then leads to a new
//! password.

use crate::identity::{
    Core,
    account::{
        email_links::{self, Purpose},
        users,
    },
    model::{SignInMethod, device_label},
    session::store::SessionRecord,
    sign_in::Novelty,
};
use crate::infra::{
    mail::{Mail, Mailer, escape},
    routes, timefmt,
};
use std::sync::Arc;

/// Sends the sign-in alert for the session just started (the mail goes in the background: the
/// sign-in does not wait for it).
pub async fn sign_in(core: &Core, mailer: &Arc<Mailer>, session: &SessionRecord, novelty: Novelty) -> Result<(), sqlx::Error> {
    let Some(user) = users::find(&core.db, session.user_id).await? else { return Ok(()) };
    let link = email_links::NewLink::for_session(user.id, Purpose::NotMe, &session.id);
    let token = email_links::create(&core.db, &link, core.now()).await?;
    let link = format!("{}{}?token={token}", core.config.public_origin(), routes::NOT_ME);
    let why = match (novelty.new_device, novelty.new_country) {
        (true, true) => "a new device, in a new country",
        (true, false) => "a new device",
        _ => "a new country",
    };
    let place = session.location.as_deref().unwrap_or(crate::identity::client::UNKNOWN_LOCATION);
    let lines = [
        format!("Device: {}", device_label(session.browser.as_deref(), session.os.as_deref())),
        format!("Place: {place} (IP address {})", session.ip),
        format!("Time: {}", timefmt::utc(session.created_at)),
        format!("Signed in with: {}", SignInMethod::parse(&session.method).label()),
    ];
    let text = format!(
        "Someone signed in to your account from {why}.\n\n{}\n\nIf this was you, there is nothing to do.\n\n\
         If it wasn't you, open this link within 24 hours: it signs that device and every other one out, \
         then lets you set a new password.\n{link}\n",
        lines.join("\n")
    );
    let html = format!(
        "<p>Someone signed in to your account from {why}.</p><ul>{}</ul><p>If this was you, there is nothing to do.</p>\
         <p><a href=\"{}\">This wasn't me</a> — signs that device and every other one out, then lets you set a new \
         password (the link works once, within 24 hours).</p>",
        lines.iter().map(|l| format!("<li>{}</li>", escape(l))).collect::<String>(),
        escape(&link)
    );
    mailer.send_later(Mail { to: user.email, subject: "New sign-in to your account".to_owned(), text, html });
    Ok(())
}

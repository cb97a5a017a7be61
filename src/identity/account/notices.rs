//! Telling the owner of every change to how their account signs in — a passkey added or
//! removed, two-factor turned on or off, new recovery codes, the password changed or reset:
//! an email naming the change, with device, place and time, and (when a session made it) a
//! single-use "This wasn't me" link that disowns that session, which undoes the change. The
//! account's other open tabs are told at once.

use super::{
    email_links::{self, NewLink, Purpose},
    users,
};
use crate::{
    identity::{
        Core,
        model::EventKind,
        security_log::NewEvent,
        session::{Change, LiveEvent, LiveHub},
    },
    infra::{
        mail::{Mail, Mailer, escape},
        routes, timefmt,
    },
};
use std::sync::Arc;

pub struct Notices {
    core: Core,
    mailer: Arc<Mailer>,
    live: Arc<LiveHub>,
}

/// The email's subject and first sentence for a change.
fn words(kind: EventKind, detail: Option<&str>) -> (String, String) {
    let named = |what: &str| match detail {
        Some(name) => format!("{what} \u{201c}{name}\u{201d}"),
        None => what.to_owned(),
    };
    match kind {
        EventKind::PasskeyAdded => ("A passkey was added to your account".into(), format!("{} was added to your account.", named("The passkey"))),
        EventKind::PasskeyRemoved => ("A passkey was removed from your account".into(), format!("{} was removed from your account.", named("The passkey"))),
        EventKind::TwoFactorEnabled => ("Two-factor authentication was turned on".into(), "Two-factor authentication was turned on for your account: signing in now asks for a code from an authenticator app.".into()),
        EventKind::TwoFactorDisabled => ("Two-factor authentication was turned off".into(), "Two-factor authentication was turned off for your account: a password alone now signs in.".into()),
        EventKind::RecoveryCodesRegenerated => ("New recovery codes were made".into(), "New recovery codes were made for your account; the old ones no longer work.".into()),
        EventKind::RecoveryCodesRemoved => ("Your recovery codes were removed".into(), "The recovery codes of your account were removed.".into()),
        EventKind::PasswordChanged => ("Your password was changed".into(), "The password of your account was changed.".into()),
        EventKind::PasswordReset => ("Your password was reset".into(), "The password of your account was set anew through a reset link sent to this address.".into()),
        other => (other.title().to_owned(), format!("{}.", other.title())),
    }
}

impl Notices {
    pub fn new(core: Core, mailer: Arc<Mailer>, live: Arc<LiveHub>) -> Self {
        Notices { core, mailer, live }
    }

    /// Tells the account of the change `event` records (its kind, detail, session and origin).
    /// The mail goes in the background; the open tabs are told before this returns.
    pub async fn changed(&self, event: &NewEvent) -> Result<(), sqlx::Error> {
        let Some(user_id) = event.user_id else { return Ok(()) };
        let Some(user) = users::find(&self.core.db, user_id).await? else { return Ok(()) };
        let actor = event.actor_session_id.as_deref();
        let link = match actor {
            Some(session) => {
                let token = email_links::create(&self.core.db, &NewLink::for_session(user_id, Purpose::NotMe, session), self.core.now()).await?;
                Some(format!("{}{}?token={token}", self.core.config.public_origin(), routes::NOT_ME))
            }
            None => None,
        };
        let (subject, first) = words(event.kind, event.detail.as_deref());
        let place = event.origin.location.as_deref().unwrap_or(crate::identity::client::UNKNOWN_LOCATION);
        let lines = [
            format!("Device: {}", event.origin.device),
            format!("Place: {place} (IP address {})", event.origin.ip),
            format!("Time: {}", timefmt::utc(event.at)),
        ];
        let (text_end, html_end) = match &link {
            Some(link) => (
                format!(
                    "If it wasn't you, open this link within 24 hours: it signs out every device, removes every sign-in \
                     method that device added, and sends you a link to set a new password.\n{link}\n"
                ),
                format!(
                    "<p><a href=\"{}\">This wasn't me</a> — signs out every device, removes every sign-in method that device \
                     added, and sends you a link to set a new password (the link works once, within 24 hours).</p>",
                    escape(link)
                ),
            ),
            None => (
                "If it wasn't you, someone can read this mailbox: secure your email account, then ask for a new \
                 password with \u{201c}Forgot password?\u{201d}.\n"
                    .to_owned(),
                "<p>If it wasn't you, someone can read this mailbox: secure your email account, then ask for a new password \
                 with \u{201c}Forgot password?\u{201d}.</p>"
                    .to_owned(),
            ),
        };
        let text = format!("{first}\n\n{}\n\nIf this was you, there is nothing to do.\n\n{text_end}", lines.join("\n"));
        let html = format!(
            "<p>{}</p><ul>{}</ul><p>If this was you, there is nothing to do.</p>{html_end}",
            escape(&first),
            lines.iter().map(|l| format!("<li>{}</li>", escape(l))).collect::<String>(),
        );
        self.mailer.send_later(Mail { to: user.email, subject, text, html });
        self.live
            .publish(vec![LiveEvent { user_id, session_id: actor.unwrap_or("").to_owned(), change: Change::Account(event.kind) }])
            .await;
        Ok(())
    }
}

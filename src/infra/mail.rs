//! Email, through lettre: over SMTP when `SMTP_URL` is set, otherwise into an outbox folder
//! (`MAIL_OUTBOX`, one `.eml` file per message) so that a server with no mail set up still
//! works and shows what it would have sent. Every message has a plain-text and an HTML body.

use lettre::{
    AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, MultiPart},
};
use std::{
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
};

pub struct Mailer {
    transport: Transport,
    from: Mailbox,
    /// Mail jobs running in the background, and a bell rung when the last one ends.
    running: AtomicUsize,
    settled: tokio::sync::Notify,
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Outbox { transport: AsyncFileTransport<Tokio1Executor>, dir: PathBuf },
}

/// A message to send: one recipient, a subject, and the same words as text and as HTML.
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl Mail {
    /// A short message: a few paragraphs, then a link with the words that name it, then a few
    /// more paragraphs — written once, sent as text and as HTML.
    pub fn with_link(to: &str, subject: &str, before: &[&str], link: (&str, &str), after: &[&str]) -> Mail {
        let (words, url) = link;
        let mut text = before.join("\n\n");
        text.push_str(&format!("\n\n{words}:\n{url}\n"));
        for p in after {
            text.push_str(&format!("\n{p}\n"));
        }
        let paragraph = |p: &&str| format!("<p>{}</p>", escape(p));
        let html = format!(
            "{}<p><a href=\"{}\">{}</a></p>{}",
            before.iter().map(paragraph).collect::<String>(),
            escape(url),
            escape(words),
            after.iter().map(paragraph).collect::<String>()
        );
        Mail { to: to.to_owned(), subject: subject.to_owned(), text, html }
    }
}

impl Mailer {
    /// From the configuration: SMTP when `smtp_url` is given (`smtp://host:port`,
    /// `smtps://user:password@host`, `smtp://host?tls=required`), the outbox otherwise.
    pub fn new(smtp_url: Option<&str>, outbox: PathBuf, from: &str) -> Result<Mailer, String> {
        let from: Mailbox = from.parse().map_err(|e| format!("MAIL_FROM: {e}"))?;
        let transport = match smtp_url {
            Some(url) => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|e| format!("SMTP_URL: {e}"))?.build(),
            ),
            None => {
                std::fs::create_dir_all(&outbox).map_err(|e| format!("MAIL_OUTBOX: cannot create {}: {e}", outbox.display()))?;
                Transport::Outbox { transport: AsyncFileTransport::<Tokio1Executor>::new(&outbox), dir: outbox }
            }
        };
        Ok(Mailer { transport, from, running: AtomicUsize::new(0), settled: tokio::sync::Notify::new() })
    }

    /// Whether mail really leaves the server (SMTP), rather than landing in the outbox.
    pub fn is_configured(&self) -> bool {
        matches!(self.transport, Transport::Smtp(_))
    }

    /// Runs a mail job (deciding what to send, and sending it) in the background: whoever
    /// caused it does not wait for the mail server, and an answer takes as long whether or not
    /// a mail went out.
    pub fn spawn(self: &Arc<Self>, job: impl std::future::Future<Output = ()> + Send + 'static) {
        self.running.fetch_add(1, Ordering::SeqCst);
        let mailer = self.clone();
        tokio::spawn(async move {
            job.await;
            if mailer.running.fetch_sub(1, Ordering::SeqCst) == 1 {
                mailer.settled.notify_waiters();
            }
        });
    }

    /// Sends `mail` in the background (see [`Mailer::spawn`]).
    pub fn send_later(self: &Arc<Self>, mail: Mail) {
        let mailer = self.clone();
        self.spawn(async move { mailer.send(mail).await });
    }

    /// Resolves once no mail job runs: everything asked for so far was sent, or decided
    /// against. What the tests wait for before saying that no mail went out.
    pub async fn settled(&self) {
        loop {
            let bell = self.settled.notified();
            if self.running.load(Ordering::SeqCst) == 0 {
                return;
            }
            bell.await;
        }
    }

    /// Sends `mail`; problems are logged (never the message body: it may carry a link).
    pub async fn send(&self, mail: Mail) {
        let to: Mailbox = match mail.to.parse() {
            Ok(to) => to,
            Err(e) => {
                tracing::warn!("not sending mail to an address that does not parse: {e}");
                return;
            }
        };
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject)
            .multipart(MultiPart::alternative_plain_html(mail.text, mail.html));
        let message = match message {
            Ok(message) => message,
            Err(e) => {
                tracing::warn!("could not build a mail: {e}");
                return;
            }
        };
        match &self.transport {
            Transport::Smtp(transport) => {
                if let Err(e) = transport.send(message).await {
                    tracing::warn!("SMTP delivery failed: {e}");
                }
            }
            Transport::Outbox { transport, dir } => match transport.send(message).await {
                Ok(id) => tracing::info!("mail written to {}/{id}.eml", dir.display()),
                Err(e) => tracing::warn!("could not write mail to the outbox: {e}"),
            },
        }
    }
}

/// Text safe to put in an HTML body or a quoted attribute.
pub fn escape(text: &str) -> String {
    html_escape::encode_safe(text).into_owned()
}

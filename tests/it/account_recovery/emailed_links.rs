//! Emailed links — "Forgot password?", sign-in alerts with "This wasn't me", and sign-up
//! confirmation when SMTP is configured — on both databases, through the outbox and through a
//! real SMTP conversation.

use crate::support::*;
use reqwest::StatusCode;

/// Where a signed-out device is sent, and the reason the log-in page gives.
async fn why_signed_out(app: &TestApp, device: &mut Device) -> Option<String> {
    let res = device.get("/settings/account").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "still signed in");
    app.landing(res.location()).1
}

/// Asks for a reset link for `email` from a fresh browser and follows it: the browser then
/// holds the link (moved from the address into its cookie).
async fn follow_reset_link(app: &TestApp, email: &str, nth: usize) -> Device {
    let mut asker = app.device(FIREFOX_WINDOWS);
    let res = asker.html_form("/api/password_reset/request", "/forgot-password", &[("email", email)]).await;
    app.lands(res.location(), "/forgot-password", "notice:reset_sent");
    let mail = app.wait_for_mail(email, "Set a new password", nth).await;
    let link = mail.link_to("/reset-password");
    let res = asker.get(&link).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location(), Some("/reset-password"), "the token leaves the address at once");
    assert!(asker.link.is_some(), "and stays with the browser");
    asker
}

backend_tests! {
    // Single use, 30 minutes, stored hashed; every session ends; signed in afresh.
    async fn a_reset_link_sets_a_new_password_once(app: TestApp) {
        let (mut old_device, email) = app.signed_up(CHROME_MAC).await;
        let mut browser = follow_reset_link(&app, &email, 1).await;
        let token = browser.link.clone().unwrap();
        // Only its hash is stored.
        let stored: Vec<String> = sqlx_strings(&app, "SELECT token_hash FROM email_links").await;
        assert_eq!(stored.len(), 1);
        assert!(!stored[0].contains(&token) && stored[0].len() == 64);
        let page = browser.get("/reset-password").await;
        assert!(page.body.contains("Set new password") && !page.body.contains(&token), "the page never shows the token");

        let res = browser.html_form("/api/password_reset/finish", "/reset-password", &[("new_password", "a brand new passphrase")]).await;
        assert!(res.status.is_redirection(), "{}", res.body);
        assert!(browser.cookie.is_some() && browser.is_signed_in().await, "signed in afresh");
        assert_eq!(why_signed_out(&app, &mut old_device).await.as_deref(), Some("signed_out:password_changed"));
        // The new password works; the old one does not.
        assert_eq!(app.device(CHROME_MAC).form("/api/login", &[("email", &email), ("password", "a brand new passphrase")]).await.status, StatusCode::OK);
        assert_eq!(app.device(CHROME_MAC).log_in(&email).await.status, StatusCode::UNAUTHORIZED);

        // Used once: the same link again is refused, and the page says so.
        let mut again = app.device(FIREFOX_WINDOWS);
        again.link = Some(token);
        let res = again.form("/api/password_reset/finish", &[("new_password", "yet another passphrase")]).await;
        assert_eq!((res.status, res.body.as_str()), (StatusCode::GONE, "link_expired"));
        assert!(again.get("/reset-password").await.body.contains("This link has expired or was already used"));

        // 30 minutes: a second link is dead one second after.
        let mut late = follow_reset_link(&app, &email, 2).await;
        app.clock.advance(std::time::Duration::from_secs(30 * 60 + 1));
        let res = late.form("/api/password_reset/finish", &[("new_password", "too late a passphrase")]).await;
        assert_eq!(res.status, StatusCode::GONE);
        let events = sqlx_strings(&app, "SELECT kind FROM security_events WHERE kind = 'password_reset'").await;
        assert_eq!(events.len(), 1);
    }

    // The same answer, and one mail only for the address with an account.
    async fn forgot_password_answers_the_same_for_unknown_emails(app: TestApp) {
        let (_, email) = app.signed_up(CHROME_MAC).await;
        let unknown = format!("nobody-{}@example.com", uuid_like());
        let mut browser = app.device(FIREFOX_WINDOWS);
        let known = browser.html_form("/api/password_reset/request", "/forgot-password", &[("email", &email)]).await;
        let nobody = browser.html_form("/api/password_reset/request", "/forgot-password", &[("email", &unknown)]).await;
        assert_eq!(known.status, nobody.status);
        assert_eq!(app.landing(known.location()), app.landing(nobody.location()));
        assert_eq!(known.body, nobody.body);
        app.wait_for_mail(&email, "Set a new password", 1).await;
        app.state.mailer.settled().await;
        assert!(app.outbox_mails().iter().all(|m| m.to != unknown), "nothing is sent to an address without an account");
        // Nobody can flood an inbox: a few per address per window, then 429 — for both.
        for _ in 0..2 {
            browser.form("/api/password_reset/request", &[("email", &email)]).await;
            browser.form("/api/password_reset/request", &[("email", &unknown)]).await;
        }
        let a = browser.form("/api/password_reset/request", &[("email", &email)]).await;
        let b = browser.form("/api/password_reset/request", &[("email", &unknown)]).await;
        assert_eq!((a.status, b.status), (StatusCode::TOO_MANY_REQUESTS, StatusCode::TOO_MANY_REQUESTS));
        assert!(a.headers.contains_key("retry-after"));
    }

    // Two uses of one link at once set one password.
    async fn one_reset_link_used_twice_at_once_works_once(app: TestApp) {
        let (_, email) = app.signed_up(CHROME_MAC).await;
        for round in 1..=3 {
            let first = follow_reset_link(&app, &email, round).await;
            let mut second = app.device(FIREFOX_WINDOWS);
            second.link = first.link.clone();
            let mut first = first;
            let (a, b) = tokio::join!(
                first.form("/api/password_reset/finish", &[("new_password", "first racing passphrase")]),
                second.form("/api/password_reset/finish", &[("new_password", "second racing passphrase")]),
            );
            let mut statuses = [a.status, b.status];
            statuses.sort();
            assert_eq!(statuses, [StatusCode::OK, StatusCode::GONE], "round {round}: {} / {}", a.body, b.body);
        }
        let resets = sqlx_strings(&app, "SELECT kind FROM security_events WHERE kind = 'password_reset'").await;
        assert_eq!(resets.len(), 3);
    }

    // A sign-in from a new browser or a new country is told by email, with a "This wasn't
    // me" link that signs every device out and leads to a new password.
    async fn sign_in_alerts_and_this_wasnt_me(app: TestApp) {
        let (mut first, email) = app.signed_up(CHROME_MAC).await;
        assert!(app.outbox_mails().is_empty(), "signing up is no alert");
        // The same browser again: nothing new.
        first.log_in(&email).await;
        // A new browser: an alert naming it.
        let mut stranger = app.device(FIREFOX_WINDOWS);
        stranger.log_in(&email).await;
        let alert = app.wait_for_mail(&email, "New sign-in to your account", 1).await;
        assert!(alert.text.contains("a new device") && alert.text.contains("Firefox on Windows"), "{}", alert.text);
        assert!(alert.text.contains("Local network (IP address 127.0.0.1)") && alert.text.contains("Signed in with: Password"));
        assert!(alert.html.contains("This wasn't me"));
        app.state.mailer.settled().await;
        assert_eq!(app.outbox_mails().len(), 1, "the known browser's sign-in sent nothing");
        // The row is flagged.
        let list = first.list().await.json();
        let row = list["sessions"].as_array().unwrap().iter().find(|s| s["id"] == stranger.session_id().as_str()).unwrap().clone();
        assert_eq!(row["flags"][0]["kind"], "NewDevice", "{row}");

        // "This wasn't me", followed from the mail in a browser that is not signed in.
        let mut owner = app.device(CHROME_MAC);
        let res = owner.get(&alert.link_to("/not-me")).await;
        assert_eq!(res.location(), Some("/not-me"));
        let page = owner.get("/not-me").await;
        assert!(page.body.contains("Firefox on Windows") && page.body.contains("This wasn&#x27;t me") || page.body.contains("This wasn't me"));
        // A GET changed nothing.
        assert!(stranger.is_signed_in().await);
        let res = owner.html_form("/api/not_me/finish", "/not-me", &[]).await;
        app.lands(res.location(), "/not-me", "notice:signed_out_everywhere:0");
        assert!(owner.link.is_none(), "the used link is forgotten: this browser holds no way to set a password");
        assert_eq!(why_signed_out(&app, &mut stranger).await.as_deref(), Some("signed_out:terminated"));
        assert_eq!(why_signed_out(&app, &mut first).await.as_deref(), Some("signed_out:terminated"));
        // Then a new password, through the ordinary 30-minute reset link, emailed.
        let reset = app.wait_for_mail(&email, "Set a new password", 1).await;
        assert!(reset.text.contains("Every device signed in to your account was signed out."), "{}", reset.text);
        let res = owner.get(&reset.link_to("/reset-password")).await;
        assert_eq!(res.location(), Some("/reset-password"));
        let page = owner.get("/reset-password").await;
        let masked = format!("{}\u{2022}\u{2022}\u{2022}@example.com", &email[..1]);
        assert!(page.body.contains(&masked), "the page names the account it resets, masked");
        let res = owner.form("/api/password_reset/finish", &[("new_password", "taken back passphrase")]).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert!(owner.is_signed_in().await);
        // The alert's link worked once.
        let mut again = app.device(CHROME_MAC);
        again.get(&alert.link_to("/not-me")).await;
        let res = again.form("/api/not_me/finish", &[]).await;
        assert_eq!(res.status, StatusCode::GONE);
        assert!(owner.is_signed_in().await, "a used link ends nothing");
        let kinds = sqlx_strings(&app, "SELECT kind FROM security_events WHERE kind = 'not_me'").await;
        assert_eq!(kinds.len(), 1);
    }
}

/// SECURITY 16.2.5 for emailed links: following a link and using it leaves its token in no
/// log line (at every level), whether the request carried it in the address or in its cookie.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emailed_tokens_are_never_logged() {
    bounded(async {
        let Some(app) = TestApp::start(Backend::Sqlite, |_| {}).await else { return };
        let mut tokens = Vec::new();
        let logs = capture_logs(async {
            let (_, email) = app.signed_up(CHROME_MAC).await;
            app.device(FIREFOX_WINDOWS).log_in(&email).await;
            let alert = app.wait_for_mail(&email, "New sign-in to your account", 1).await;
            let mut browser = follow_reset_link(&app, &email, 1).await;
            tokens.push(browser.link.clone().unwrap());
            browser.get("/reset-password").await;
            browser.form("/api/password_reset/finish", &[("new_password", "logged nowhere passphrase")]).await;
            let mut owner = app.device(CHROME_MAC);
            owner.get(&alert.link_to("/not-me")).await;
            tokens.push(owner.link.clone().unwrap());
            owner.get("/not-me").await;
            owner.form("/api/not_me/finish", &[]).await;
        })
        .await;
        assert!(logs.contains("finished processing request"), "the capture saw the requests");
        for token in &tokens {
            assert!(!logs.contains(token.as_str()), "an emailed link's token is in the logs");
        }
        app.finish().await;
    })
    .await
}

/// A sign-in from a new country (on a browser the account knows) is told too, and flagged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_country_is_an_alert_and_a_flag() {
    bounded(async {
        let Some(app) = TestApp::start(Backend::Sqlite, |c| c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()]).await else {
            return;
        };
        let mut laptop = app.device(CHROME_MAC);
        laptop.extra_headers.push(("x-forwarded-for".into(), "81.2.69.142".into()));
        let email = format!("traveller-{}@example.com", uuid_like());
        laptop.form("/api/signup", &[("email", &email), ("password", PASSWORD)]).await;
        laptop.log_in(&email).await;
        // The same browser, now in Sweden.
        laptop.extra_headers = vec![("x-forwarded-for".into(), "89.160.20.112".into())];
        laptop.log_in(&email).await;
        let alert = app.wait_for_mail(&email, "New sign-in to your account", 1).await;
        assert!(alert.text.contains("a new country") && alert.text.contains("Linköping, Sweden"), "{}", alert.text);
        let list = laptop.list().await.json();
        let flags = &list["sessions"][0]["flags"];
        assert_eq!(flags[0]["kind"], "NewCountry");
        assert_eq!(flags[0]["reason"], "First sign-in to your account from Sweden");
        app.finish().await;
    })
    .await
}

/// With SMTP configured, sign-up never tells whether an address is taken (ASVS 6.3.8): both
/// get "check your email"; the mail, sent over a real SMTP conversation, says which.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_with_mail_never_reveals_a_registered_email() {
    bounded(async {
        let smtp = SmtpServer::start();
        let url = smtp.url.clone();
        let Some(app) = TestApp::start(Backend::Sqlite, move |c| c.smtp_url = Some(url)).await else { return };
        let taken = format!("taken-{}@example.com", uuid_like());
        let new = format!("new-{}@example.com", uuid_like());
        // An account made before mail was configured.
        active_sessions::identity::account::seed_user(&app.state.db, &taken, "not-a-hash", 0).await.unwrap();
        let mut browser = app.device(FIREFOX_WINDOWS);
        let a = browser.html_form("/api/signup", "/signup", &[("email", &taken), ("password", PASSWORD)]).await;
        let b = browser.html_form("/api/signup", "/signup", &[("email", &new), ("password", PASSWORD)]).await;
        assert_eq!(a.status, b.status);
        assert_eq!(app.landing(a.location()), app.landing(b.location()));
        assert_eq!(app.landing(b.location()).1.as_deref(), Some("notice:check_email"));
        assert!(browser.cookie.is_none(), "nobody is signed in yet");
        let mails = smtp.wait_for(2).await;
        let to_taken = mails.iter().find(|m| m.to == taken).expect("a mail to the taken address");
        assert_eq!(to_taken.subject, "You already have an account");
        let to_new = mails.iter().find(|m| m.to == new).expect("a mail to the new address");
        assert_eq!(to_new.subject, "Finish creating your account");
        assert!(app.outbox_mails().is_empty(), "with SMTP set, nothing goes to the outbox");
        // No account until the link is followed and confirmed (a POST: a GET creates nothing).
        assert!(app.state.admin.target_by_email(&new).await.unwrap().is_none());
        // Confirmed from another browser than the one that asked: whoever confirms chooses
        // the password (the one chosen when asking is dropped), so nobody can pre-hijack it.
        let mut confirm = app.device(FIREFOX_WINDOWS);
        confirm.get(&to_new.link_to("/verify-email")).await;
        let page = confirm.get("/verify-email").await;
        assert!(page.body.contains(&new) && confirm.cookie.is_none());
        assert!(page.body.contains("New password"), "another browser chooses the password");
        let res = confirm.form("/api/verify_email/finish", &[]).await;
        assert_eq!((res.status, res.body.as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "password_required"));
        let res = confirm.form("/api/verify_email/finish", &[("new_password", "chosen by the owner")]).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert!(confirm.is_signed_in().await);
        let mut planter = app.device(CHROME_MAC);
        assert_eq!(planter.log_in(&new).await.status, StatusCode::UNAUTHORIZED, "the asker's password opens nothing");
        // The browser that asked confirms with the password it chose.
        let third = format!("third-{}@example.com", uuid_like());
        browser.html_form("/api/signup", "/signup", &[("email", &third), ("password", PASSWORD)]).await;
        let mail = smtp.wait_for(3).await.into_iter().find(|m| m.to == third).expect("a mail to the third address");
        browser.get(&mail.link_to("/verify-email")).await;
        assert!(!browser.get("/verify-email").await.body.contains("New password"), "the asking browser is not asked again");
        assert_eq!(browser.form("/api/verify_email/finish", &[]).await.status, StatusCode::OK);
        // Once.
        let mut again = app.device(FIREFOX_WINDOWS);
        again.get(&to_new.link_to("/verify-email")).await;
        assert_eq!(again.form("/api/verify_email/finish", &[]).await.status, StatusCode::GONE);
        app.finish().await;
    })
    .await
}

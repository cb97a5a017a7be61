//! An intruder cannot entrench (SECURITY.md, third round), over HTTP on each database: what a
//! disowned session added goes with it — from its row or from an emailed link —, set-ups
//! belong to the session that began them, races between an addition and a disowning leave
//! nothing behind, and the owner is never locked out of confirming it's them.

use crate::support::*;
use active_sessions::{
    identity::{
        account::{Added, seed_passkey},
        client::ClientInfo,
        model::{EventKind, SignInMethod},
        session::{SignedInWith, Via},
        security_log::{NewEvent, Origin},
    },
    infra::clock::Clock,
};
use reqwest::StatusCode;
use std::time::Duration;

/// The passkeys of an account, by name.
async fn passkey_names(app: &TestApp, user_id: i64) -> Vec<String> {
    active_sessions::db_read!(&app.state.db, |pool| {
        sqlx::query_scalar("SELECT name FROM passkeys WHERE user_id = $1 ORDER BY name").bind(user_id).fetch_all(pool).await
    })
    .unwrap()
}

/// A passkey added by the session `session`, as the store adds one (the WebAuthn ceremony
/// itself is webauthn-rs's, driven in the browser tests).
async fn passkey_added_by(app: &TestApp, session: &str, user_id: i64, name: &str, from: &str) -> Added {
    passkey_with_id(app, session, user_id, name, from).await.0
}

/// [`passkey_added_by`], and the passkey's credential id.
async fn passkey_with_id(app: &TestApp, session: &str, user_id: i64, name: &str, from: &str) -> (Added, String) {
    let origin = Origin { ip: from.to_owned(), device: "Firefox on Windows".to_owned(), location: Some("London, United Kingdom".to_owned()) };
    let mut event = NewEvent::new(Some(user_id), EventKind::PasskeyAdded, origin, app.clock.now_ms()).by(session);
    event.detail = Some(name.to_owned());
    let credential = format!("cred-{}", uuid_like());
    (seed_passkey(&app.state.db, session, user_id, &credential, name, &event).await.unwrap(), credential)
}

/// A session started through the app's own service, standing on `with`.
async fn session_with(app: &TestApp, user_id: i64, with: SignedInWith) -> Option<String> {
    let hash = password_hash(app, user_id).await;
    let client = ClientInfo::local(FIREFOX_WINDOWS);
    let started = app.state.sessions.create(user_id, &hash, &client, EventKind::SignedIn, SignInMethod::Passkey, true, &with).await.unwrap();
    started.map(|s| s.record.id)
}

/// The owner, signed up on one device, and an intruder signed in with the stolen password on
/// another.
async fn owner_and_intruder(app: &TestApp) -> (Device, Device, String, i64) {
    let (owner, email) = app.signed_up(CHROME_MAC).await;
    // Later (only a newer session can be disowned).
    app.clock.advance(Duration::from_secs(1));
    let mut intruder = app.device(FIREFOX_WINDOWS);
    assert_eq!(intruder.log_in(&email).await.status, StatusCode::OK);
    let user_id = app.user_of(&owner).await;
    (owner, intruder, email, user_id)
}

backend_tests! {
    // "This wasn't me" on the intruder's row takes its passkey, its authenticator app and its
    // recovery codes — and what a session that signed in with its passkey added — says so,
    // and leaves the owner signing in on a third device with the password alone.
    async fn disowning_a_session_removes_what_it_and_its_descendants_added(app: TestApp) {
        let (mut owner, mut intruder, email, user_id) = owner_and_intruder(&app).await;
        app.turn_on_two_factor(&mut intruder).await;
        let (added, spare) = passkey_with_id(&app, &intruder.session_id(), user_id, "Spare key", "81.2.69.142").await;
        assert_eq!(added, Added::Added);
        // A session that signed in with the intruder's passkey descends from the intruder's.
        let with_spare = SignedInWith { via: Via::Passkey(spare.clone()), lineage: intruder.session_id() };
        let heir = session_with(&app, user_id, with_spare.clone()).await.expect("a session with the passkey");
        assert_eq!(passkey_added_by(&app, &heir, user_id, "Heir key", "81.2.69.142").await, Added::Added);
        // So does one that signed in with the intruder's authenticator app (password + its code).
        let mut again = app.device(FIREFOX_WINDOWS);
        again.log_in(&email).await;
        let code = app.app_code(user_id, 1).await;
        assert_eq!(again.form("/api/login/code", &[("code", &code)]).await.status, StatusCode::OK);
        assert_eq!(passkey_added_by(&app, &again.session_id(), user_id, "App heir key", "81.2.69.142").await, Added::Added);
        // Neither the heir nor the intruder can disown the owner's older session.
        let res = intruder.form("/api/sessions/not_me", &[("id", &owner.session_id()), ("password", PASSWORD)]).await;
        assert_eq!((res.status, res.body.as_str()), (StatusCode::CONFLICT, "not_me_older"));
        // The owner's own passkey stays.
        assert_eq!(passkey_added_by(&app, &owner.session_id(), user_id, "Owner key", "127.0.0.1").await, Added::Added);
        assert!(app.state.two_factor.is_on(user_id).await.unwrap());

        let res = owner.form("/api/sessions/not_me", &[("id", &intruder.session_id()), ("password", PASSWORD)]).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert!(res.body.contains("/settings/review?msg="), "leads to the review: {}", res.body);
        assert!(!intruder.is_signed_in().await);
        assert!(!app.session_exists(&heir).await, "its heir ended too");
        assert!(session_with(&app, user_id, with_spare).await.is_none(), "a sign-in with the removed passkey starts nothing");
        assert_eq!(passkey_names(&app, user_id).await, ["Owner key"], "what it and its heir added is gone");
        assert!(!app.state.two_factor.is_on(user_id).await.unwrap(), "its authenticator app is gone");
        assert!(app.events(user_id, EventKind::MethodRemovedOnDisown).await >= 3);
        // The review says what went, from where.
        let review = owner.get("/settings/review").await;
        assert_eq!(review.status, StatusCode::OK);
        assert!(review.body.contains("Review sign-in methods") && review.body.contains("Recently added sign-in methods"));
        assert!(review.body.contains("Removed: passkey \u{201c}Spare key\u{201d}, added from Firefox on Windows in London, United Kingdom"), "{}", review.body);
        assert!(review.body.contains("Removed: authenticator app"));
        assert!(review.body.contains("Owner key") && review.body.contains("Set up authenticator app"));
        // The owner's next sign-in, on a device never used, needs no code of the intruder's.
        let mut third = app.device(CHROME_MAC);
        let res = third.log_in(&email).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert!(third.cookie.is_some() && third.pending.is_none(), "signed in with the password alone");
    }

    // Each change of how one signs in is emailed with its device and a single-use "This
    // wasn't me" link; the link disowns the session that made it (undoing it), signs every
    // device out and sends the ordinary 30-minute reset link.
    async fn an_emailed_change_can_be_disowned(app: TestApp) {
        let (mut owner, mut intruder, email, user_id) = owner_and_intruder(&app).await;
        app.turn_on_two_factor(&mut intruder).await;
        let notice = app.wait_for_mail(&email, "Two-factor authentication was turned on", 1).await;
        assert!(notice.text.contains("Device: Firefox on Windows") && notice.text.contains("IP address 127.0.0.1"), "{}", notice.text);
        let mut stranger = app.device(CHROME_MAC);
        stranger.get(&notice.link_to("/not-me")).await;
        let page = stranger.get("/not-me").await;
        assert!(page.body.contains("Firefox on Windows"), "names the device: {}", page.body);
        let res = stranger.html_form("/api/not_me/finish", "/not-me", &[]).await;
        let (path, message, _) = app.landing(res.location());
        assert_eq!((path.as_str(), message.as_deref()), ("/not-me", Some("notice:signed_out_everywhere:2")), "the app and its codes");
        assert!(!app.state.two_factor.is_on(user_id).await.unwrap(), "the change is undone");
        assert!(!intruder.is_signed_in().await && !owner.is_signed_in().await, "every device is signed out");
        let reset = app.wait_for_mail(&email, "Set a new password", 1).await;
        assert!(reset.text.contains("Removed: authenticator app, added from Firefox on Windows"), "{}", reset.text);
        assert!(reset.text.contains("30 minutes"));
        let mut back = app.device(CHROME_MAC);
        back.get(&reset.link_to("/reset-password")).await;
        let res = back.html_form("/api/password_reset/finish", "/reset-password", &[("new_password", "the owner again, safely")]).await;
        assert_eq!(app.landing(res.location()).0, "/settings/review", "a reset leads to the review");
        assert!(back.is_signed_in().await);
        // Single use.
        let mut again = app.device(CHROME_MAC);
        again.get(&notice.link_to("/not-me")).await;
        assert_eq!(again.form("/api/not_me/finish", &[]).await.status, StatusCode::GONE);
        // The other changes are announced too.
        app.turn_on_two_factor(&mut back).await;
        let res = back.form("/api/two_factor/recovery_codes", &[("password", "the owner again, safely")]).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        app.wait_for_mail(&email, "New recovery codes were made", 1).await;
        let res = back.form("/api/two_factor/disable", &[("password", "the owner again, safely")]).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        app.wait_for_mail(&email, "Two-factor authentication was turned off", 1).await;
        let res = back
            .form("/api/change_password", &[("current_password", "the owner again, safely"), ("new_password", "and once more, my own")])
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        let changed = app.wait_for_mail(&email, "Your password was changed", 1).await;
        assert!(changed.text.contains("/not-me?token="), "with a This wasn't me link");
        let reset_notice = app.wait_for_mail(&email, "Your password was reset", 1).await;
        assert!(!reset_notice.text.contains("/not-me?token="), "a reset by emailed link has no session to disown");
    }

    // A set-up is the session's that began it: another session of the account sees no key and
    // cannot finish it; the key is sealed at rest; so are the fresh recovery codes.
    async fn set_ups_belong_to_their_session(app: TestApp) {
        let (mut owner, mut other, _, user_id) = owner_and_intruder(&app).await;
        let res = owner.form("/api/two_factor/begin", &[("password", PASSWORD)]).await;
        assert_eq!(res.status, StatusCode::OK);
        let key = setup_key_in(&owner.get("/settings/two-factor").await.body);
        let elsewhere = other.get("/settings/two-factor").await.body;
        assert!(!elsewhere.contains("id=\"setup-key\"") && !elsewhere.contains(&key[..8]), "another session sees no set-up");
        let code = active_sessions::identity::account::authenticator_code(&key, (app.clock.now_ms() / 1000) as u64).unwrap();
        let res = other.form("/api/two_factor/enable", &[("code", &code)]).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "nor finish it: {}", res.body);
        assert!(!app.state.two_factor.is_on(user_id).await.unwrap());
        let stored = sqlx_strings(&app, "SELECT secret FROM totp_setups").await;
        assert_eq!(stored.len(), 1);
        assert!(!stored[0].contains(&key) && !stored[0].contains(&key.to_lowercase()), "the set-up's key is sealed");
        let res = owner.form("/api/two_factor/enable", &[("code", &code)]).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        let codes = recovery_codes_in(&owner.get("/settings/two-factor/recovery-codes").await.body);
        assert_eq!(codes.len(), 10);
        let at_rest = sqlx_strings(&app, "SELECT codes FROM recovery_reveals").await.join(" ");
        assert!(codes.iter().all(|c| !at_rest.contains(c.as_str())), "fresh codes are never plaintext at rest");
        assert!(recovery_codes_in(&other.get("/settings/two-factor/recovery-codes").await.body).is_empty(), "nor shown elsewhere");
        let added_by = sqlx_strings(&app, "SELECT added_by FROM totp").await;
        assert_eq!(added_by, [owner.session_id()], "the app knows the session that added it");
    }

    // Two sessions racing to turn two-factor on, each with its own set-up: one wins, and the
    // codes that work are the winner's. One session finishing twice at once: once.
    async fn two_sessions_racing_to_turn_two_factor_on_leave_one(app: TestApp) {
        for round in 0..4 {
            let (mut a, mut b, _, user_id) = owner_and_intruder(&app).await;
            for d in [&mut a, &mut b] {
                assert_eq!(d.form("/api/two_factor/begin", &[("password", PASSWORD)]).await.status, StatusCode::OK);
            }
            let now = (app.clock.now_ms() / 1000) as u64;
            let code_a = active_sessions::identity::account::authenticator_code(&setup_key_in(&a.get("/settings/two-factor").await.body), now).unwrap();
            let code_b = active_sessions::identity::account::authenticator_code(&setup_key_in(&b.get("/settings/two-factor").await.body), now).unwrap();
            let mut a_again = a.clone_session();
            let (fields_a, fields_b) = ([("code", code_a.as_str())], [("code", code_b.as_str())]);
            let (ra, rb, ra2) = tokio::join!(
                a_again.form("/api/two_factor/enable", &fields_a),
                b.form("/api/two_factor/enable", &fields_b),
                a.form("/api/two_factor/enable", &fields_a),
            );
            let oks = [ra.status, rb.status, ra2.status].iter().filter(|s| **s == StatusCode::OK).count();
            assert_eq!(oks, 1, "round {round}: {} / {} / {}", ra.body, rb.body, ra2.body);
            assert!(app.state.two_factor.is_on(user_id).await.unwrap());
            assert_eq!(sqlx_strings(&app, &format!("SELECT added_by FROM totp WHERE user_id = {user_id}")).await.len(), 1);
            let winner = if rb.status == StatusCode::OK { &mut b } else { &mut a };
            let codes = recovery_codes_in(&winner.get("/settings/two-factor/recovery-codes").await.body);
            assert_eq!(codes.len(), 10, "round {round}: the winner sees its codes");
            let mut half = app.device(FIREFOX_WINDOWS);
            half.log_in(&app.state.admin.target(user_id).await.unwrap().unwrap().email).await;
            assert_eq!(half.form("/api/login/recovery_code", &[("code", &codes[0])]).await.status, StatusCode::OK, "round {round}: they work");
        }
    }

    // A disowning racing an addition by the session it disowns leaves nothing of it behind:
    // either the addition committed first and the disowning removed it, or it found its
    // session gone and added nothing.
    async fn a_disowning_racing_an_addition_leaves_nothing_behind(app: TestApp) {
        let mut outcomes = std::collections::BTreeMap::new();
        for round in 0..12 {
            // A fresh sign-up window each round (sign-ups are counted per address).
            app.clock.advance(app.state.config.login_failure_window + Duration::from_secs(1));
            let (mut owner, intruder, _, user_id) = owner_and_intruder(&app).await;
            let id = intruder.session_id();
            let fields = [("id", id.as_str()), ("password", PASSWORD)];
            let (disowned, added) = tokio::join!(
                owner.form("/api/sessions/not_me", &fields),
                passkey_added_by(&app, &id, user_id, "Racing key", "81.2.69.142"),
            );
            assert_eq!(disowned.status, StatusCode::OK, "round {round}: {}", disowned.body);
            assert!(passkey_names(&app, user_id).await.is_empty(), "round {round}: {added:?} left a passkey behind");
            *outcomes.entry(format!("{added:?}")).or_insert(0) += 1;
        }
        assert_eq!(outcomes.values().sum::<i32>(), 12, "{outcomes:?}");
        // An addition that comes after the disowning finds its session gone.
        let (mut owner, intruder, _, user_id) = owner_and_intruder(&app).await;
        let id = intruder.session_id();
        assert_eq!(owner.form("/api/sessions/not_me", &[("id", &id), ("password", PASSWORD)]).await.status, StatusCode::OK);
        assert_eq!(passkey_added_by(&app, &id, user_id, "Late key", "81.2.69.142").await, Added::SessionGone);
        assert!(passkey_names(&app, user_id).await.is_empty());
    }

    // Re-authentication has a budget of its own per session: outsiders' failed log-ins for the
    // owner's email never stop the owner confirming it's them, and the session's own wrong
    // guesses are still few.
    async fn outsiders_never_lock_the_owner_out_of_confirming(app: TestApp) {
        let (mut owner, email) = app.signed_up(CHROME_MAC).await;
        let mut other = app.device(FIREFOX_WINDOWS);
        other.log_in(&email).await;
        let mut outsider = app.device(FIREFOX_WINDOWS);
        let mut refused = 0;
        for i in 0..14 {
            let res = outsider.form("/api/login", &[("email", &email), ("password", &format!("guess number {i}"))]).await;
            refused += usize::from(res.status == StatusCode::TOO_MANY_REQUESTS);
        }
        assert!(refused >= 4, "the email's budget ran out: {refused}");
        app.clock.advance(app.state.config.reauth_window + Duration::from_secs(1));
        let res = owner.form("/api/sessions/terminate", &[("id", &other.session_id()), ("password", PASSWORD)]).await;
        assert_eq!(res.status, StatusCode::OK, "the owner confirms with the right password: {}", res.body);
        assert!(!other.is_signed_in().await);
        // The session's own guesses: a small budget.
        let budget = app.state.config.reauth_max_failures_per_session as usize;
        app.clock.advance(app.state.config.reauth_window + Duration::from_secs(1));
        let mut statuses = Vec::new();
        for i in 0..budget + 2 {
            let res = owner.form("/api/sessions/logout_others", &[("password", &format!("wrong {i}"))]).await;
            statuses.push(res.status);
        }
        assert!(statuses[..budget].iter().all(|s| *s == StatusCode::FORBIDDEN), "{statuses:?}");
        assert!(statuses[budget..].iter().all(|s| *s == StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
    }

    // Names refuse bidirectional controls (a name that reads as something else).
    async fn names_refuse_bidi_controls(app: TestApp) {
        let (mut owner, _) = app.signed_up(CHROME_MAC).await;
        let id = owner.session_id();
        for name in ["Work \u{202E}potpal", "\u{2066}Phone\u{2069}", "Line\nbreak"] {
            let res = owner.form("/api/sessions/rename", &[("id", &id), ("name", name)]).await;
            assert_eq!(res.status, StatusCode::BAD_REQUEST, "{name:?}");
        }
        assert_eq!(owner.form("/api/sessions/rename", &[("id", &id), ("name", "Work laptop — ünïcode")]).await.status, StatusCode::OK);
    }
}

/// The account's password hash (a session is created only while it is still the account's).
async fn password_hash(app: &TestApp, user_id: i64) -> String {
    active_sessions::db_read!(&app.state.db, |pool| {
        sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1").bind(user_id).fetch_one(pool).await
    })
    .unwrap()
}

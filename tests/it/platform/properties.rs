//! Property-based tests: the parsers of untrusted input never panic and never accept what they
//! should not, and a model of the session rules agrees with the real thing.
//! `make test` runs a bounded number of cases; `make fuzz` runs many more (PROPTEST_CASES).

use crate::support::*;
use active_sessions::{
    identity::{
        web::{CookieJar, FromCookie},
        client::{self as device, ClientHints, ClientInfo},
        client::GeoIp,
        session::{AuthSession, Checked, SessionRules, SessionService, TOUCH_INTERVAL_MS, check::{Coherence, SessionCheck}},
        session::{SessionToken, is_public_id},
        model::{EventKind, SignInMethod, device_label},
    },
    infra::{
        client::client_ip,
        clock::{Clock, ManualClock},
        db::Db,
    },
};
use ipnet::IpNet;
use proptest::prelude::*;
use std::{net::IpAddr, sync::Arc, time::Duration};

fn cases(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(default);
    ProptestConfig { cases, ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(cases(512))]

    #[test]
    fn token_parser_accepts_only_what_it_would_write(value in "[A-Za-z0-9_=.+/-]{0,80}|\\PC{0,80}") {
        if let Some(token) = SessionToken::parse(&value) {
            prop_assert_eq!(token.cookie_value(), value);
            prop_assert!(is_public_id(token.id()));
        }
    }

    #[test]
    fn tokens_survive_a_round_trip_and_any_single_change_breaks_them(index in 0usize..66, replacement in "[A-Za-z0-9_-]") {
        let token = SessionToken::generate();
        let value = token.cookie_value();
        let parsed = SessionToken::parse(&value).unwrap();
        prop_assert!(parsed.matches(&token.secret_hash()));
        let mut changed = value.clone();
        changed.replace_range(index..index + 1, &replacement);
        if changed != value {
            match SessionToken::parse(&changed) {
                None => {}
                Some(other) => prop_assert!(other.id() != token.id() || !other.matches(&token.secret_hash())),
            }
        }
    }

    #[test]
    fn cookie_headers_never_panic(header in proptest::collection::vec(any::<u8>(), 0..200)) {
        let jar = CookieJar::new(false, Duration::from_secs(60));
        let mut headers = http::HeaderMap::new();
        if let Ok(value) = http::HeaderValue::from_bytes(&header) {
            headers.insert(http::header::COOKIE, value);
            let _ = jar.read(&headers);
        }
        let mut prefixed = b"session=".to_vec();
        prefixed.extend_from_slice(&header);
        if let Ok(value) = http::HeaderValue::from_bytes(&prefixed) {
            headers.insert(http::header::COOKIE, value);
            if let FromCookie::Token(token) = jar.read(&headers) {
                let expected = format!("session={}", token.cookie_value());
                prop_assert!(prefixed.starts_with(expected.as_bytes()));
            }
        }
    }

    // Neighbour cookies (another app on the same host) with any bytes and any length never
    // hide or spoil ours.
    #[test]
    fn neighbour_cookies_never_sign_anyone_out(
        before in proptest::collection::vec((proptest::string::string_regex("[a-zA-Z_-]{1,12}").unwrap(), proptest::collection::vec(any::<u8>(), 0..300)), 0..6),
        after in proptest::collection::vec((proptest::string::string_regex("[a-zA-Z_-]{1,12}").unwrap(), proptest::collection::vec(any::<u8>(), 0..3000)), 0..6),
    ) {
        let jar = CookieJar::new(false, Duration::from_secs(60));
        let token = SessionToken::generate();
        let mut header = Vec::new();
        let mut push = |name: &str, value: &[u8]| {
            if !header.is_empty() {
                header.extend_from_slice(b"; ");
            }
            header.extend_from_slice(name.as_bytes());
            header.push(b'=');
            header.extend_from_slice(value);
        };
        // A neighbour's value may hold any byte a header can carry, but not our separator.
        let clean = |v: &[u8]| v.iter().copied().filter(|b| *b != b';' && *b != b'\r' && *b != b'\n' && *b != 0 && *b != 0x7f && (*b >= 0x20 || *b == b'\t')).collect::<Vec<u8>>();
        for (name, value) in before.iter().filter(|(n, _)| n != "session") {
            push(name, &clean(value));
        }
        push("session", token.cookie_value().as_bytes());
        for (name, value) in after.iter().filter(|(n, _)| n != "session") {
            push(name, &clean(value));
        }
        let mut headers = http::HeaderMap::new();
        headers.insert(http::header::COOKIE, http::HeaderValue::from_bytes(&header).unwrap());
        prop_assert!(matches!(jar.read(&headers), FromCookie::Token(t) if t == token));
    }

    #[test]
    fn user_agents_never_panic_and_always_have_a_label(ua in "\\PC{0,600}", platform in proptest::option::of("[A-Za-z ]{0,12}"), model in proptest::option::of("\\PC{0,20}")) {
        let hints = ClientHints { platform, platform_version: Some("15.0.0".into()), mobile: None, model };
        let d = device::parse_device(&ua, &hints);
        let label = device_label(d.browser.as_deref(), d.os.as_deref());
        prop_assert!(!label.is_empty());
        if let Some(model) = d.model {
            prop_assert!(model.chars().all(|c| c.is_alphanumeric() || " -_.()+".contains(c)));
        }
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_peers(peer in any::<[u8; 4]>(), header in "[0-9a-f:., ]{0,60}|\\PC{0,40}") {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let peer = IpAddr::from(peer);
        let ip = client_ip(peer, Some(&header), &trusted);
        if !trusted[0].contains(&peer) {
            prop_assert_eq!(ip, peer);
        }
        // The answer is the peer or an address that was in the header.
        prop_assert!(ip == peer || header.split(',').any(|h| h.trim().parse::<IpAddr>().map(|a| a.to_canonical()) == Ok(ip)));
    }
}

/// What the model knows of a session.
#[derive(Debug, Clone)]
struct Model {
    token: SessionToken,
    user: usize,
    alive: bool,
    last_seen: i64,
    absolute: i64,
}

#[derive(Debug, Clone)]
enum Op {
    LogIn(usize),
    LogOut(usize),
    Terminate(usize, usize),
    LogOutOthers(usize),
    Use(usize),
    Advance(u32),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => (0usize..3).prop_map(Op::LogIn),
        1 => (0usize..12).prop_map(Op::LogOut),
        2 => (0usize..12, 0usize..12).prop_map(|(a, b)| Op::Terminate(a, b)),
        1 => (0usize..12).prop_map(Op::LogOutOthers),
        3 => (0usize..12).prop_map(Op::Use),
        // Up to three hours: idle is one hour, the absolute lifetime four.
        2 => (0u32..3 * 3600).prop_map(Op::Advance),
    ]
}

const IDLE: Duration = Duration::from_secs(3600);
const MAX: Duration = Duration::from_secs(4 * 3600);

async fn run_model(ops: Vec<Op>, cache: bool) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&format!("sqlite://{}/model.db", dir.path().display())).await.unwrap();
    let clock = ManualClock::starting_now();
    let rules = SessionRules { idle: IDLE, max: MAX, max_per_user: 100 };
    let check = SessionCheck::new(&db, if cache { Coherence::Local } else { Coherence::Off });
    let service = SessionService::new(db.clone(), Arc::new(clock.clone()), Arc::new(GeoIp::disabled()), rules, check, None);
    let client = ClientInfo::local(CHROME_MAC);
    let mut users = Vec::new();
    for i in 0..3 {
        users.push(active_sessions::identity::account::seed_user(&db, &format!("m{i}@example.com"), "x", clock.now_ms()).await.unwrap().unwrap());
    }
    let mut model: Vec<Model> = Vec::new();
    let live = |m: &Model, now: i64| m.alive && now < (m.last_seen + IDLE.as_millis() as i64).min(m.absolute);
    let auth = |m: &Model| AuthSession {
        id: m.token.id().to_owned(),
        user_id: 0, // filled below
        password_confirmed_at: 0,
        key: m.token.key(),
    };
    for op in ops {
        let now = clock.now_ms();
        match op {
            Op::LogIn(u) => {
                let token = service.create(users[u], "x", &client, EventKind::SignedIn, SignInMethod::Password, true, &Default::default()).await.unwrap().unwrap().token;
                model.push(Model { token, user: u, alive: true, last_seen: now, absolute: now + MAX.as_millis() as i64 });
            }
            Op::LogOut(i) if i < model.len() && live(&model[i], now) => {
                let mut a = auth(&model[i]);
                a.user_id = users[model[i].user];
                service.logout(&a, &client).await.unwrap();
                model[i].alive = false;
            }
            Op::Terminate(a, t) if a < model.len() && t < model.len() && live(&model[a], now) => {
                let mut actor = auth(&model[a]);
                actor.user_id = users[model[a].user];
                let ended = service.terminate(&actor, model[t].token.id(), &client).await.unwrap();
                // Only a session of the same user that still exists can be ended; someone
                // else's, or one already gone, is "not found" and unchanged.
                let expected = model[t].alive && model[t].user == model[a].user;
                let expected = expected && (live(&model[t], now) || model[t].alive);
                prop_assert_eq!(ended, expected && model[t].alive, "terminate {} by {}", t, a);
                if ended {
                    model[t].alive = false;
                }
            }
            Op::LogOutOthers(a) if a < model.len() && live(&model[a], now) => {
                let mut actor = auth(&model[a]);
                actor.user_id = users[model[a].user];
                service.end_others(&actor, &client).await.unwrap();
                let user = model[a].user;
                for (i, m) in model.iter_mut().enumerate() {
                    if i != a && m.user == user {
                        m.alive = false;
                    }
                }
            }
            Op::Use(i) if i < model.len() => {
                let result = service.check(&model[i].token, &client).await.unwrap();
                let expected = live(&model[i], now);
                prop_assert_eq!(matches!(result, Checked::Valid(_)), expected, "use {}: {:?}", i, result);
                if expected {
                    if now - model[i].last_seen >= TOUCH_INTERVAL_MS {
                        model[i].last_seen = now;
                    }
                } else {
                    // Once refused, never valid again.
                    model[i].alive = false;
                }
            }
            Op::Advance(secs) => clock.advance(Duration::from_secs(secs.into())),
            _ => {}
        }
    }
    // Finally: every session the model says is dead is refused, whatever happened before.
    for m in &model {
        let result = service.check(&m.token, &client).await.unwrap();
        if !live(m, clock.now_ms()) {
            prop_assert!(matches!(result, Checked::SignedOut(_)), "a dead session validated: {:?}", m);
        }
    }
    db.close().await;
    Ok(())
}

proptest! {
    #![proptest_config(cases(24))]

    #[test]
    fn the_session_rules_match_their_model(ops in proptest::collection::vec(op(), 1..40), cache in any::<bool>()) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(run_model(ops, cache))?;
    }
}

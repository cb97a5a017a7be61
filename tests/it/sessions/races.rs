//! Check-then-act races (SECURITY 15.4.2), on each database, through the session rules the
//! server runs on every request.

use crate::support::*;
use active_sessions::{
    identity::{
        client::ClientInfo,
        session::{Checked, SessionRecord, SessionService, SessionToken, seed_sessions},
        model::{EndReason, EventKind, SignInMethod},
        account::seed_user,
    },
    infra::clock::Clock,
};
use futures::StreamExt;
use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

pub const PAIRS: usize = 10_000;

/// A user and `n` sessions of theirs, seeded through the store (the set-up is not the race).
async fn user_with_sessions(app: &TestApp, n: usize) -> (i64, Vec<SessionToken>) {
    let now = app.clock.now_ms();
    let user_id = seed_user(&app.state.db, &format!("race-{}@example.com", uuid_like()), "x", now).await.unwrap().unwrap();
    let tokens: Vec<SessionToken> = (0..n).map(|_| SessionToken::generate()).collect();
    let day = 24 * 3600 * 1000;
    let records: Vec<SessionRecord> =
        tokens.iter().map(|t| SessionRecord::seed(t.id(), &t.secret_hash(), user_id, now, day)).collect();
    seed_sessions(&app.state.db, &records).await.unwrap();
    (user_id, tokens)
}

/// `pairs` sessions, each checked over and over through `checker` while `ender` terminates it:
/// how many checks that started after the terminate returned still accepted it.
pub async fn terminate_vs_use(app: &TestApp, checker: Arc<SessionService>, ender: Arc<SessionService>, pairs: usize) -> usize {
    let client = ClientInfo::local(CHROME_MAC);
    let (user_id, mut tokens) = user_with_sessions(app, pairs + 1).await;
    let actor_token = tokens.pop().unwrap();
    let Checked::Valid(actor) = ender.check(&actor_token, &client).await.unwrap() else { panic!("actor valid") };
    assert_eq!(actor.user_id, user_id);
    futures::stream::iter(tokens)
        .map(|token| {
            let (checker, ender, client, actor) = (checker.clone(), ender.clone(), client.clone(), actor.clone());
            async move {
                let terminated = Arc::new(AtomicBool::new(false));
                // "Use": checks racing the termination, until one is refused.
                let user = {
                    let (checker, client, terminated, token) = (checker.clone(), client.clone(), terminated.clone(), token.clone());
                    tokio::spawn(async move {
                        loop {
                            let started_after = terminated.load(Ordering::SeqCst);
                            let result = checker.check(&token, &client).await.unwrap();
                            match (started_after, result) {
                                (true, Checked::Valid(_)) => return 1usize,
                                (_, Checked::SignedOut(_)) => return 0,
                                (false, Checked::Valid(_)) => tokio::task::yield_now().await,
                            }
                        }
                    })
                };
                assert!(ender.terminate(&actor, token.id(), &client).await.unwrap());
                terminated.store(true, Ordering::SeqCst);
                let late = checker.check(&token, &client).await.unwrap();
                let late_violation = usize::from(matches!(late, Checked::Valid(_)));
                user.await.unwrap() + late_violation
            }
        })
        .buffer_unordered(16)
        .fold(0usize, |sum, v| async move { sum + v })
        .await
}

backend_tests! {
    async fn a_session_is_never_accepted_after_its_termination_returned(app: TestApp) {
        let service = app.state.sessions.clone();
        let violations = terminate_vs_use(&app, service.clone(), service, PAIRS).await;
        assert_eq!(violations, 0, "a request that started after the terminate returned was accepted");
    }

    async fn log_out_all_racing_a_new_log_in_never_loses_it_silently(app: TestApp) {
        let service = app.state.sessions.clone();
        let client = ClientInfo::local(CHROME_MAC);
        let (user_id, mut tokens) = user_with_sessions(&app, 1).await;
        let Checked::Valid(actor) = service.check(&tokens.pop().unwrap(), &client).await.unwrap() else { panic!() };
        let with = Default::default();
        for _ in 0..300 {
            let (ended, created) = tokio::join!(
                service.end_others(&actor, &client),
                service.create(user_id, "x", &client, EventKind::SignedIn, SignInMethod::Password, true, &with),
            );
            ended.unwrap();
            let new = created.unwrap().expect("the password did not change").token;
            match service.check(&new, &client).await.unwrap() {
                Checked::Valid(_) => {}
                // Ended by the log-out-all: fine, as long as the device is told why.
                Checked::SignedOut(Some(EndReason::Terminated)) => {}
                other => panic!("the new session vanished without a word: {other:?}"),
            }
        }
        // The current session survived every round.
        let list = service.list(user_id).await.unwrap();
        assert!(list.iter().any(|s| s.id == actor.id));
    }

    // Concurrent checks share database queries (`sessions/batch.rs`): in one batch, valid
    // sessions, ended ones, wrong secrets, unknown ids and the same id twice each get their
    // own right answer.
    async fn concurrent_checks_in_one_batch_each_get_their_own_answer(app: TestApp) {
        let service = app.state.sessions.clone();
        let client = ClientInfo::local(CHROME_MAC);
        let (_, mut tokens) = user_with_sessions(&app, 200).await;
        let (other_user, other_tokens) = user_with_sessions(&app, 50).await;
        let actor_token = tokens.pop().unwrap();
        let Checked::Valid(actor) = service.check(&actor_token, &client).await.unwrap() else { panic!("actor valid") };
        // Half of the first user's sessions end; the other user's stay.
        let (ended, alive) = tokens.split_at(tokens.len() / 2);
        for token in ended {
            assert!(service.terminate(&actor, token.id(), &client).await.unwrap());
        }
        let forged: Vec<SessionToken> = alive[..20]
            .iter()
            .map(|t| SessionToken::parse(&format!("{}.{}", t.id(), "A".repeat(43))).unwrap())
            .collect();
        let unknown: Vec<SessionToken> = (0..20).map(|_| SessionToken::generate()).collect();
        let mut cases: Vec<(SessionToken, bool)> = Vec::new();
        cases.extend(ended.iter().map(|t| (t.clone(), false)));
        cases.extend(alive.iter().map(|t| (t.clone(), true)));
        cases.extend(alive[..30].iter().map(|t| (t.clone(), true)));
        cases.extend(other_tokens.iter().map(|t| (t.clone(), true)));
        cases.extend(forged.into_iter().map(|t| (t, false)));
        cases.extend(unknown.into_iter().map(|t| (t, false)));
        let checks = cases.iter().map(|(token, _)| {
            let (service, client) = (service.clone(), client.clone());
            let token = token.clone();
            tokio::spawn(async move { service.check(&token, &client).await.unwrap() })
        });
        let results = futures::future::join_all(checks).await;
        for ((token, valid), result) in cases.iter().zip(results) {
            match (valid, result.unwrap()) {
                (true, Checked::Valid(auth)) => {
                    assert_eq!(auth.id, token.id());
                    let owner_is_other = other_tokens.iter().any(|t| t.id() == token.id());
                    assert_eq!(auth.user_id == other_user, owner_is_other, "answered with another session's row");
                }
                (false, Checked::SignedOut(_)) => {}
                (valid, got) => panic!("session {} (valid: {valid}) got {got:?}", token.id()),
            }
        }
    }
}

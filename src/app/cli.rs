//! The operator's commands (`active-sessions admin …`, `active-sessions sessions …`), run
//! against the configured `DATABASE_URL` instead of serving. Endings made here are honoured by
//! running servers on their very next request: on Postgres they check the database, on SQLite
//! the shared endings signal empties their caches (`identity::session::check::signal`).

use crate::app::state::AppState;
use crate::{
    identity::{
        admin::{Actor, target_by_email},
        admin::store as admins,
        model::{SignInMethod, device_label},
        account::users,
    },
    infra::config::{AdminCommand, Command, SessionsCommand},
};
use std::{fmt::Write, process::ExitCode};

/// Runs `command`; what it prints goes to standard output, problems to standard error.
pub async fn run(state: &AppState, command: Command) -> ExitCode {
    match execute(state, command).await {
        Ok(out) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn utc(ms: i64) -> String {
    crate::infra::timefmt::utc(ms)
}

async fn execute(state: &AppState, command: Command) -> Result<String, String> {
    let db = &state.db;
    let fail = |e: sqlx::Error| format!("database: {e}");
    let mut out = String::new();
    match command {
        Command::Admin { action: AdminCommand::Grant { email } } => {
            let user = users::find_by_email(db, &email).await.map_err(fail)?.ok_or(format!("no account with the email {email}"))?;
            let new = admins::grant(db, user.id, state.clock.now_ms()).await.map_err(fail)?;
            let _ = writeln!(out, "{} {} an administrator", user.email, if new { "is now" } else { "was already" });
        }
        Command::Admin { action: AdminCommand::Revoke { email } } => {
            let user = users::find_by_email(db, &email).await.map_err(fail)?.ok_or(format!("no account with the email {email}"))?;
            let was = admins::revoke(db, user.id).await.map_err(fail)?;
            let _ = writeln!(out, "{} {} an administrator", user.email, if was { "is no longer" } else { "was not" });
        }
        Command::Admin { action: AdminCommand::List } => {
            for (email, granted) in admins::list(db).await.map_err(fail)? {
                let _ = writeln!(out, "{email}\tsince {}", utc(granted));
            }
        }
        Command::Sessions { action: SessionsCommand::List { user } } => {
            let account = users::find_by_email(db, &user).await.map_err(fail)?.ok_or(format!("no account with the email {user}"))?;
            for s in state.sessions.list(account.id).await.map_err(fail)? {
                let _ = writeln!(
                    out,
                    "{}\t{}\t{}\t{}\tsigned in {}\tlast active {}\t{}",
                    s.id,
                    device_label(s.browser.as_deref(), s.os.as_deref()),
                    s.ip,
                    s.location.as_deref().unwrap_or("Unknown location"),
                    utc(s.created_at),
                    utc(s.times.last_seen_at),
                    SignInMethod::parse(&s.method).label(),
                );
            }
        }
        Command::Sessions { action: SessionsCommand::End { user: Some(user), reason, .. } } => {
            let target = target_by_email(db, &user).await.map_err(fail)?.ok_or(format!("no account with the email {user}"))?;
            let n = state.sessions.admin_end(&Actor::operator(), &target, None, reason.trim()).await.map_err(fail)?;
            let _ = writeln!(out, "ended {n} session(s) of {}", target.email);
        }
        Command::Sessions { action: SessionsCommand::End { user: None, reason, .. } } => {
            let n = state.sessions.sign_out_everyone(&Actor::operator(), reason.trim()).await.map_err(fail)?;
            let _ = writeln!(out, "ended {n} session(s)");
        }
    }
    Ok(out)
}

//! The operator's commands (`active-sessions admin …`, `active-sessions sessions …`, and in
//! `cli_operator` `api-token …` and `webhook …`), run
//! against the configured `DATABASE_URL` instead of serving. Endings made here are honoured by
//! running servers on their very next request: on Postgres they check the database, on SQLite
//! the shared endings signal empties their caches (`identity::session::check::signal`).

use crate::{
    app::state::AppState,
    identity::{
        admin::Actor,
        model::{SignInMethod, device_label},
    },
    infra::{
        config::{AdminCommand, Command, SessionsCommand},
        error::AppError,
    },
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
    let fail = |e: AppError| format!("{e}");
    let fail_db = |e: sqlx::Error| format!("database: {e}");
    let no_account = |email: &str| format!("no account with the email {email}");
    let admin = &state.admin;
    let mut out = String::new();
    match command {
        Command::Admin { action: AdminCommand::Grant { email } } => {
            let (email, new) = admin.grant(&email).await.map_err(fail)?.ok_or_else(|| no_account(&email))?;
            let _ = writeln!(out, "{email} {} an administrator", if new { "is now" } else { "was already" });
        }
        Command::Admin { action: AdminCommand::Revoke { email } } => {
            let (email, was) = admin.revoke(&email).await.map_err(fail)?.ok_or_else(|| no_account(&email))?;
            let _ = writeln!(out, "{email} {} an administrator", if was { "is no longer" } else { "was not" });
        }
        Command::Admin { action: AdminCommand::List } => {
            for (email, granted) in admin.list().await.map_err(fail)? {
                let _ = writeln!(out, "{email}\tsince {}", utc(granted));
            }
        }
        Command::Sessions { action: SessionsCommand::List { user } } => {
            let account = admin.target_by_email(&user).await.map_err(fail)?.ok_or_else(|| no_account(&user))?;
            for s in state.sessions.list(account.user_id).await.map_err(fail_db)? {
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
            let target = admin.target_by_email(&user).await.map_err(fail)?.ok_or_else(|| no_account(&user))?;
            let n = admin.admin_end(&Actor::operator(), &target, None, reason.trim()).await.map_err(fail_db)?;
            let _ = writeln!(out, "ended {n} session(s) of {}", target.email);
        }
        Command::Sessions { action: SessionsCommand::End { user: None, reason, .. } } => {
            let n = admin.sign_out_everyone(&Actor::operator(), reason.trim()).await.map_err(fail_db)?;
            let _ = writeln!(out, "ended {n} session(s)");
        }
        Command::ApiToken { action } => super::cli_operator::api_token(state, action, &mut out).await?,
        Command::Webhook { action } => super::cli_operator::webhook(state, action, &mut out).await?,
    }
    Ok(out)
}

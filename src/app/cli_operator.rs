//! The operator's commands for the systems around the product: API tokens
//! (`active-sessions api-token create|list|revoke`) and webhook endpoints
//! (`active-sessions webhook add|list|remove|test|redeliver`). A secret is printed once, alone
//! on the last line, so a script can take it with `tail -n 1`.

use crate::{
    app::state::AppState,
    identity::operator::Scope,
    infra::config::{ApiTokenCommand, WebhookCommand},
};
use std::{fmt::Write, time::Duration};

fn utc(ms: i64) -> String {
    crate::infra::timefmt::utc(ms)
}

/// How long `webhook test` waits for its message to be delivered.
const TEST_WAIT: Duration = Duration::from_secs(15);

pub async fn api_token(state: &AppState, action: ApiTokenCommand, out: &mut String) -> Result<(), String> {
    let tokens = &state.api_tokens;
    match action {
        ApiTokenCommand::Create { name, scopes, expires } => {
            let scopes = scopes
                .iter()
                .flat_map(|s| s.split(','))
                .map(|s| s.trim().parse::<Scope>().map_err(|_| format!("unknown scope {s:?} (sessions:read, sessions:write, events:read)")))
                .collect::<Result<Vec<_>, _>>()?;
            let expires = expires
                .map(|e| humantime::parse_duration(e.trim()).map_err(|err| format!("--expires {e:?}: {err} (e.g. 90d, 12h)")))
                .transpose()?;
            let (token, secret) = tokens
                .create(&name, &scopes, expires)
                .await
                .map_err(|_| "a name of 1 to 100 printable characters and at least one scope, please".to_owned())?
                .ok_or_else(|| format!("a token named {:?} exists already", name.trim()))?;
            let scopes: Vec<&str> = token.scopes().iter().map(|s| s.as_str()).collect();
            let _ = writeln!(out, "created API token {:?} with {}", token.name, scopes.join(" "));
            if let Some(at) = token.expires_at {
                let _ = writeln!(out, "expires {}", utc(at));
            }
            let _ = writeln!(out, "It is shown only now; keep it secret:");
            let _ = writeln!(out, "{secret}");
        }
        ApiTokenCommand::List => {
            for t in tokens.list().await.map_err(|e| e.to_string())? {
                let scopes: Vec<&str> = t.scopes().iter().map(|s| s.as_str()).collect();
                let _ = writeln!(
                    out,
                    "{}\t{}\tcreated {}\t{}\t{}",
                    t.name,
                    scopes.join(" "),
                    utc(t.created_at),
                    t.last_used_at.map_or_else(|| "never used".to_owned(), |at| format!("last used {}", utc(at))),
                    t.expires_at.map_or_else(|| "no expiry".to_owned(), |at| format!("expires {}", utc(at))),
                );
            }
        }
        ApiTokenCommand::Revoke { name } => {
            if !tokens.revoke(&name).await.map_err(|e| e.to_string())? {
                return Err(format!("no token named {name:?}"));
            }
            let _ = writeln!(out, "revoked API token {:?}", name.trim());
        }
    }
    Ok(())
}

pub async fn webhook(state: &AppState, action: WebhookCommand, out: &mut String) -> Result<(), String> {
    let hooks = &state.webhooks;
    let db = |e: sqlx::Error| format!("database: {e}");
    match action {
        WebhookCommand::Add { url, events } => {
            let (endpoint, secret) = hooks.add(&url, &events).await.map_err(|e| e.to_string())?;
            let _ = writeln!(out, "added webhook endpoint {} for {}", endpoint.url, if endpoint.events == "*" { "every event" } else { &endpoint.events });
            let _ = writeln!(out, "Its signing secret is shown only now; keep it secret:");
            let _ = writeln!(out, "{secret}");
        }
        WebhookCommand::List => {
            for e in hooks.list().await.map_err(db)? {
                let state = match (e.disabled_at, e.failing_since) {
                    (Some(at), _) => format!("disabled {} (webhook test enables it)", utc(at)),
                    (None, Some(since)) => format!("failing since {}", utc(since)),
                    (None, None) => "healthy".to_owned(),
                };
                let _ = writeln!(out, "{}\t{}\t{state}\t{} waiting", e.url, e.events, e.pending);
            }
            for a in hooks.attempts(20).await.map_err(db)? {
                let answer = a.status.map_or_else(|| "no answer".to_owned(), |s| s.to_string());
                let _ = writeln!(
                    out,
                    "delivery {}\t{}\t{}\t{}\t{answer}\t{} ms\t{}",
                    a.outbox_id,
                    utc(a.at),
                    a.event_type,
                    a.url,
                    a.latency_ms,
                    a.error.as_deref().unwrap_or("ok"),
                );
            }
        }
        WebhookCommand::Remove { url } => {
            if !hooks.remove(&url).await.map_err(db)? {
                return Err(format!("no webhook endpoint {url}"));
            }
            let _ = writeln!(out, "removed webhook endpoint {url}");
        }
        WebhookCommand::Test { url } => {
            let id = hooks.test(&url).await.map_err(db)?.ok_or_else(|| format!("no webhook endpoint {url}"))?;
            let deadline = tokio::time::Instant::now() + TEST_WAIT;
            // Delivered by this process (or by a running server, whichever claims it first).
            while !hooks.delivered(id).await.map_err(db)? {
                if tokio::time::Instant::now() >= deadline {
                    let last = hooks.attempts(50).await.map_err(db)?.into_iter().find(|a| a.outbox_id == id);
                    let why = last.and_then(|a| a.error).unwrap_or_else(|| "not attempted yet".to_owned());
                    return Err(format!("test message {id} not delivered within {} s: {why}", TEST_WAIT.as_secs()));
                }
                if hooks.deliver_due().await.map_err(db)? == 0 {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
            let _ = writeln!(out, "delivered test message {id} to {url}");
        }
        WebhookCommand::Redeliver { id } => {
            if !hooks.redeliver(id).await.map_err(db)? {
                return Err(format!("no delivery {id}"));
            }
            let _ = writeln!(out, "delivery {id} will be sent again");
        }
    }
    Ok(())
}

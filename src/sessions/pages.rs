//! Server-rendered pages of the sessions feature: the list, and the confirm pages that the
//! rows link to when JavaScript is off.

use super::{
    api::{LogoutOtherSessions, TerminateSession, list_sessions},
    panel::SessionRows,
    types::{SessionList, notice_text},
};
use crate::{
    auth::{api::Logout, pages::{FormError, error_from_query}},
    error::AppError,
};
use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// Loads the caller's sessions and renders `f` with them, or a friendly error.
fn with_sessions<V: IntoView + 'static>(
    f: impl Fn(SessionList) -> V + Send + Sync + Clone + 'static,
) -> impl IntoView {
    let sessions = Resource::new_blocking(|| (), |_| list_sessions());
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading sessions…"</p> }>
            {move || {
                let f = f.clone();
                Suspend::new(async move {
                    match sessions.await {
                        Ok(list) => f(list).into_any(),
                        Err(e) => view! { <LoadError error=e /> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn LoadError(error: AppError) -> impl IntoView {
    view! {
        <p class="message error" role="alert">
            {error.to_string()} " " <a href="/active-sessions">"Try again"</a>
        </p>
    }
}

/// The Active sessions section: heading, explanation and the interactive list. `messages`:
/// whether it shows the `?notice=`/`?error=` of a form that came back (the page's own, when it
/// is the page; not when it is a section of another page that shows them itself).
#[component]
pub fn SessionsSection(heading_level: u8, #[prop(default = true)] messages: bool) -> impl IntoView {
    let query = use_query_map().get_untracked();
    let count = query.get("count").and_then(|c| c.parse().ok()).unwrap_or(0);
    let notice = query.get("notice").and_then(|code| notice_text(&code, count)).filter(|_| messages);
    let error = error_from_query().filter(|_| messages);
    let intro = "These are the devices signed in to your account. If you don't recognise one, terminate it and change your password.";
    view! {
        <section class="card" aria-labelledby="sessions-heading">
            {if heading_level == 1 {
                view! { <h1 id="sessions-heading">"Active sessions"</h1> }.into_any()
            } else {
                view! { <h2 id="sessions-heading">"Active sessions"</h2> }.into_any()
            }}
            <p class="lede">{intro}</p>
            <FormError message=error />
            {with_sessions(move |list| {
                let notice = notice.clone();
                view! { <SessionRows list notice /> }
            })}
        </section>
    }
}

#[component]
pub fn ActiveSessionsPage() -> impl IntoView {
    view! {
        <Title text="Active sessions" />
        <SessionsSection heading_level=1 />
    }
}

/// Confirm page for ending one session (JavaScript off).
#[component]
pub fn ConfirmEndPage() -> impl IntoView {
    let id = use_params_map().get_untracked().get("id").unwrap_or_default();
    let error = error_from_query();
    view! {
        <Title text="Confirm" />
        <section class="card narrow">
            {with_sessions(move |list| {
                let needs_password = list.now > list.reauth_until;
                let error = error.clone();
                match list.sessions.into_iter().find(|s| s.id == id) {
                    None => view! {
                        <h1>"Session not found"</h1>
                        <p>"That session has already ended."</p>
                        <p><a class="button ghost" href="/active-sessions">"Back to Active sessions"</a></p>
                    }
                        .into_any(),
                    Some(session) if session.current => view! {
                        <h1>"Log out of this device?"</h1>
                        <p>"You will need to log in again on this device."</p>
                        <FormError message=error />
                        <form method="post" action=Logout::PATH class="modal-actions">
                            <a class="button ghost" href="/active-sessions">"Cancel"</a>
                            <button type="submit" class="button danger">"Log out"</button>
                        </form>
                    }
                        .into_any(),
                    Some(session) => view! {
                        <h1>{format!("Terminate the session on {}?", session.device)}</h1>
                        <p>"That device will be signed out at once and will need to log in again."</p>
                        <p class="session-meta">{format!("{} · {}", session.ip, session.location)}</p>
                        <FormError message=error />
                        <form method="post" action=TerminateSession::PATH class="stack">
                            <input type="hidden" name="id" value=session.id.clone() />
                            <PasswordIfDue needed=needs_password />
                            <div class="modal-actions">
                                <a class="button ghost" href="/active-sessions">"Cancel"</a>
                                <button type="submit" class="button danger">"Terminate"</button>
                            </div>
                        </form>
                    }
                        .into_any(),
                }
            })}
        </section>
    }
}

/// Confirm page for logging out all other sessions (JavaScript off).
#[component]
pub fn ConfirmLogoutOthersPage() -> impl IntoView {
    let error = error_from_query();
    view! {
        <Title text="Log out all other sessions" />
        <section class="card narrow">
            <h1>"Log out all other sessions?"</h1>
            <p>"Every other device will be signed out at once and will need to log in again. This device stays signed in."</p>
            <FormError message=error />
            {with_sessions(move |list| {
                let needs_password = list.now > list.reauth_until;
                view! {
                    <form method="post" action=LogoutOtherSessions::PATH class="stack">
                        <PasswordIfDue needed=needs_password />
                        <div class="modal-actions">
                            <a class="button ghost" href="/active-sessions">"Cancel"</a>
                            <button type="submit" class="button danger">"Log out all"</button>
                        </div>
                    </form>
                }
            })}
        </section>
    }
}

#[component]
fn PasswordIfDue(needed: bool) -> impl IntoView {
    needed.then(|| {
        view! {
            <div class="field">
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required />
                <p class="hint">"For your security, confirm it's you."</p>
            </div>
        }
    })
}

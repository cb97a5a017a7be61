//! Server-rendered pages of the sessions feature: the list, and the confirm pages that the
//! rows link to when JavaScript is off (their words come from [`Confirm`], like the modal's).

use super::{
    api::{LogoutOtherSessions, TerminateSession, list_sessions},
    confirm::{Confirm, PASSWORD_HINT},
    rows::SessionRows,
    types::{Notice, SessionList},
};
use crate::{
    auth::api::Logout,
    infra::{
        error::AppError,
        flash::Kind,
        routes,
        ui::{FormError, form_error, message_of},
    },
};
use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// Loads the caller's sessions and renders `f` with them, or a friendly error.
fn with_sessions<V: IntoView + 'static>(f: impl Fn(SessionList) -> V + Send + Sync + Clone + 'static) -> impl IntoView {
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
            {error.to_string()} " " <a href=routes::ACTIVE_SESSIONS>"Try again"</a>
        </p>
    }
}

/// What the action this page was redirected from did, as a sentence.
pub fn notice_message() -> Option<String> {
    let (code, count) = message_of(Kind::Notice)?;
    Notice::from_code(&code, count).map(Notice::text)
}

/// The Active sessions section: heading, explanation and the interactive list. `messages`:
/// whether it shows the notice or error of an action that came back (the page's own, when it
/// is the page; not when it is a section of another page that shows them itself).
#[component]
pub fn SessionsSection(heading_level: u8, #[prop(default = true)] messages: bool) -> impl IntoView {
    let notice = notice_message().filter(|_| messages);
    let error = form_error().filter(|_| messages);
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
                let nudge = (!list.two_factor).then(|| view! { <TwoFactorNudge /> });
                view! {
                    {nudge}
                    <SessionRows list notice />
                }
            })}
        </section>
    }
}

/// While two-factor authentication is off: a short suggestion, linking to setting it up.
#[component]
fn TwoFactorNudge() -> impl IntoView {
    view! {
        <aside class="callout" aria-labelledby="nudge-heading">
            <h2 id="nudge-heading" class="callout-title">"Add a second step to sign-ins"</h2>
            <p>
                "With two-factor authentication, a stolen password is not enough to sign in. "
                <a href=routes::TWO_FACTOR_SECTION>"Set up two-factor authentication"</a>
            </p>
        </aside>
    }
}

#[component]
pub fn ActiveSessionsPage() -> impl IntoView {
    view! {
        <Title text="Active sessions" />
        <SessionsSection heading_level=1 />
    }
}

#[component]
fn CancelLink() -> impl IntoView {
    view! { <a class="button ghost" href=routes::ACTIVE_SESSIONS>"Cancel"</a> }
}

/// Confirm page for ending one session (JavaScript off).
#[component]
pub fn ConfirmEndPage() -> impl IntoView {
    let id = use_params_map().get_untracked().get("id").unwrap_or_default();
    let error = form_error();
    view! {
        <Title text="Confirm" />
        <section class="card narrow">
            {with_sessions(move |list| {
                let needs_password = list.now > list.reauth_until;
                let error = error.clone();
                let Some(session) = list.sessions.into_iter().find(|s| s.id == id) else {
                    return view! {
                        <h1>"Session not found"</h1>
                        <p>"That session has already ended."</p>
                        <p><a class="button ghost" href=routes::ACTIVE_SESSIONS>"Back to Active sessions"</a></p>
                    }
                    .into_any();
                };
                let confirm = Confirm::End { id: session.id.clone(), device: session.device.clone(), current: session.current };
                let (heading, body, action) = (confirm.heading(), confirm.body(), confirm.action());
                if session.current {
                    view! {
                        <h1>{heading}</h1>
                        <p>{body}</p>
                        <FormError message=error />
                        <form method="post" action=Logout::PATH class="modal-actions">
                            <CancelLink />
                            <button type="submit" class="button danger">{action}</button>
                        </form>
                    }
                    .into_any()
                } else {
                    view! {
                        <h1>{heading}</h1>
                        <p>{body}</p>
                        <p class="session-meta">{format!("{} · {}", session.ip, session.location)}</p>
                        <FormError message=error />
                        <form method="post" action=TerminateSession::PATH class="stack">
                            <input type="hidden" name="id" value=session.id />
                            <PasswordIfDue needed=needs_password />
                            <div class="modal-actions">
                                <CancelLink />
                                <button type="submit" class="button danger">{action}</button>
                            </div>
                        </form>
                    }
                    .into_any()
                }
            })}
        </section>
    }
}

/// Confirm page for logging out all other sessions (JavaScript off).
#[component]
pub fn ConfirmLogoutOthersPage() -> impl IntoView {
    let error = form_error();
    let confirm = Confirm::Others;
    let action = confirm.action();
    view! {
        <Title text="Log out all other sessions" />
        <section class="card narrow">
            <h1>{confirm.heading()}</h1>
            <p>{confirm.body()}</p>
            <FormError message=error />
            {with_sessions(move |list| {
                let needs_password = list.now > list.reauth_until;
                view! {
                    <form method="post" action=LogoutOtherSessions::PATH class="stack">
                        <PasswordIfDue needed=needs_password />
                        <div class="modal-actions">
                            <CancelLink />
                            <button type="submit" class="button danger">{action}</button>
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
                <p class="hint">{PASSWORD_HINT}</p>
            </div>
        }
    })
}

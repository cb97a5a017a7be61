//! Server-rendered pages of the sessions feature: the list, and the confirm pages that the
//! rows link to when JavaScript is off (their words come from [`Confirm`], like the modal's).

use super::{
    api::{
        LogoutOtherSessions, NotMe, RenameSession, SetAutoSignOut, TerminateSession, get_auto_sign_out, get_session_details,
        list_sessions,
    },
    confirm::{Confirm, NOT_ME, PASSWORD_HINT},
    rows::{Flags, SessionRows},
    types::{AutoSignOut, MAX_SESSION_NAME, Notice, SessionDetails, SessionList, SessionView},
};
use crate::{
    auth::api::Logout,
    infra::{
        error::AppError,
        flash::Kind,
        routes, timefmt,
        ui::{FormError, form_error, message_of},
    },
};
use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::{Stylesheet, Title};
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

/// The session named in the page's address, from the caller's list, rendered with `f`; a
/// friendly "not found" when it is not one of theirs (or has ended).
fn with_session<V: IntoView + 'static>(
    f: impl Fn(SessionView, SessionList) -> V + Send + Sync + Clone + 'static,
) -> impl IntoView {
    let id = use_params_map().get_untracked().get("id").unwrap_or_default();
    with_sessions(move |list| match list.sessions.iter().find(|s| s.id == id).cloned() {
        Some(session) => f(session, list).into_any(),
        None => view! { <SessionNotFound /> }.into_any(),
    })
}

#[component]
fn SessionNotFound() -> impl IntoView {
    view! {
        <h1>"Session not found"</h1>
        <p>"That session has already ended."</p>
        <p><a class="button ghost" href=routes::ACTIVE_SESSIONS>"Back to Active sessions"</a></p>
    }
}

/// Naming a session (JavaScript off; with it, the same form is the modal).
#[component]
pub fn RenameSessionPage() -> impl IntoView {
    let error = form_error();
    view! {
        <Title text="Rename session" />
        <section class="card narrow">
            {with_session(move |session, _| {
                let confirm = Confirm::Rename { id: session.id.clone(), device: session.title().to_owned() };
                view! {
                    <h1>{confirm.heading()}</h1>
                    <p>{confirm.body()}</p>
                    <FormError message=error.clone() />
                    <form method="post" action=RenameSession::PATH class="stack">
                        <input type="hidden" name="id" value=session.id.clone() />
                        <div class="field">
                            <label for="session-name">"Session name"</label>
                            <input
                                id="session-name"
                                name="name"
                                type="text"
                                maxlength=MAX_SESSION_NAME.to_string()
                                autocomplete="off"
                                value=session.name.clone().unwrap_or_default()
                            />
                        </div>
                        <div class="modal-actions">
                            <CancelLink />
                            <button type="submit" class="button primary">{confirm.action()}</button>
                        </div>
                    </form>
                }
            })}
        </section>
    }
}

/// "This wasn't me" about a session (JavaScript off).
#[component]
pub fn ConfirmNotMePage() -> impl IntoView {
    let error = form_error();
    view! {
        <Title text=NOT_ME />
        <section class="card narrow">
            {with_session(move |session, list| {
                if session.current {
                    return view! { <SessionNotFound /> }.into_any();
                }
                let confirm = Confirm::NotMe { id: session.id.clone(), device: session.title().to_owned() };
                let needs_password = list.now > list.reauth_until;
                view! {
                    <h1>{confirm.heading()}</h1>
                    <p>{confirm.body()}</p>
                    <p class="session-meta">{format!("{} · {}", session.ip, session.location)}</p>
                    <FormError message=error.clone() />
                    <form method="post" action=NotMe::PATH class="stack">
                        <input type="hidden" name="id" value=session.id.clone() />
                        <PasswordIfDue needed=needs_password />
                        <div class="modal-actions">
                            <CancelLink />
                            <button type="submit" class="button danger">{confirm.action()}</button>
                        </div>
                    </form>
                }
                .into_any()
            })}
        </section>
    }
}

/// One session's page: everything recorded about it — how it signed in, what is new about
/// it, and every address, place and browser it was seen with.
#[component]
pub fn SessionDetailsPage() -> impl IntoView {
    let id = use_params_map().get_untracked().get("id").unwrap_or_default();
    let details = Resource::new_blocking(move || id.clone(), get_session_details);
    view! {
        <Title text="Session details" />
        <Stylesheet href=routes::PAGE_STYLES />
        <section class="card">
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match details.await {
                        Ok(details) => view! { <Details details /> }.into_any(),
                        Err(AppError::SessionNotFound) => view! { <SessionNotFound /> }.into_any(),
                        Err(e) => view! { <LoadError error=e /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Details(details: SessionDetails) -> impl IntoView {
    let SessionDetails { session, history, now, .. } = details;
    let title = session.title().to_owned();
    let id = session.id.clone();
    let not_me = !session.current && !session.flags.is_empty();
    let end = if session.current { "Log out" } else { "Terminate" };
    let device = match &session.model {
        Some(model) => format!("{} ({model})", session.device),
        None => session.device.clone(),
    };
    view! {
        <h1>{format!("Session details — {title}")}</h1>
        <p><a href=routes::ACTIVE_SESSIONS>"Back to Active sessions"</a></p>
        {session.current.then(|| view! { <p><span class="badge current">"Current session"</span></p> })}
        {(!session.flags.is_empty()).then(|| view! { <Flags flags=session.flags.clone() /> })}
        <dl class="facts">
            <dt>"Device"</dt><dd>{device}</dd>
            {session.name.clone().map(|name| view! { <dt>"Name"</dt><dd>{name}</dd> })}
            <dt>"Signed in with"</dt><dd>{session.method.label()}</dd>
            <dt>"Signed in"</dt>
            <dd>{timefmt::utc(session.created_at)} " (" {timefmt::ago(now, session.created_at)} ")"</dd>
            <dt>"Last active"</dt><dd>{timefmt::ago(now, session.last_seen_at)}</dd>
            <dt>"Ends"</dt><dd>{timefmt::within(now, session.expires_at)}</dd>
            <dt>"IP address"</dt><dd>{session.ip.clone()}</dd>
            <dt>"Place"</dt><dd>{session.location.clone()}</dd>
        </dl>
        <h2>"Where and how it was seen"</h2>
        <p class="hint">"At sign-in, then each time its address or browser changed (the latest 20)."</p>
        <ol class="timeline" aria-label="Session history">
            {history.into_iter().map(|seen| view! {
                <li>
                    <time datetime=timefmt::iso(seen.at)>{timefmt::utc(seen.at)}</time>
                    <span>{format!("{} · {} · {}", seen.device, seen.ip, seen.location)}</span>
                </li>
            }).collect_view()}
        </ol>
        <div class="actions-row">
            <a class="button ghost" href=routes::rename_session(&id)>"Rename"</a>
            {not_me.then(|| view! { <a class="button danger-outline" href=routes::not_me_session(&id)>{NOT_ME}</a> })}
            <a class="button danger-outline" href=routes::end_session(&id)>{end}</a>
        </div>
    }
}

/// "Sign out devices I haven't used in": a plain form (a select and Save).
#[component]
pub fn AutoSignOutSection() -> impl IntoView {
    let setting = Resource::new_blocking(|| (), |_| get_auto_sign_out());
    view! {
        <section class="card" id="auto-sign-out" aria-labelledby="auto-sign-out-heading">
            <h2 id="auto-sign-out-heading">"Auto sign-out"</h2>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match setting.await {
                        Ok(setting) => view! {
                            <form method="post" action=SetAutoSignOut::PATH class="stack narrow-form">
                                <div class="field">
                                    <label for="auto-sign-out-after">"Sign out devices I haven't used in"</label>
                                    <select id="auto-sign-out-after" name="after" aria-describedby="auto-sign-out-hint">
                                        {AutoSignOut::ALL.into_iter().map(|choice| {
                                            let value: &'static str = choice.into();
                                            view! { <option value=value selected=choice == setting.choice>{choice.label()}</option> }
                                        }).collect_view()}
                                    </select>
                                    <p class="hint" id="auto-sign-out-hint">
                                        {format!(
                                            "A device you don't use for this long is signed out. Whatever you choose, devices unused for {} days are signed out.",
                                            setting.server_days
                                        )}
                                    </p>
                                </div>
                                <div><button type="submit" class="button primary">"Save"</button></div>
                            </form>
                        }.into_any(),
                        Err(e) => view! { <LoadError error=e /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

//! The Active sessions list as the server renders it: complete and usable without JavaScript
//! (each row's ⋮ is a disclosure with a link to a confirm page). [`super::browser`] brings it
//! to life in place — menus, the confirm modal, local and ticking times — reading only what
//! [`super::contract`] names. The list's data and a second copy of its markup never travel to
//! the browser, which keeps the page's WASM small.

use super::{
    confirm::{NOT_ME, PASSWORD_HINT},
    contract::{attr, data, id},
    types::{ACTIVE_WINDOW_MS, Flag, SessionList, SessionView},
};
use crate::{
    identity::model::DeviceKind,
    infra::{error::AppError, routes, timefmt},
};
use leptos::prelude::*;

/// The list with its status line, bulk action and (empty) confirm modal.
#[component]
pub fn SessionRows(list: SessionList, notice: Option<String>) -> impl IntoView {
    let now = list.now;
    let others = list.sessions.iter().filter(|s| !s.current).count();
    view! {
        <div class="sessions-panel">
            <p id=id::STATUS class="message success" role="status">{notice}</p>
            <ul {..(attr(data::NOW, now), attr(data::REAUTH_UNTIL, list.reauth_until))}
                id=id::LIST
                class="session-list"
                aria-label="Active sessions"
                tabindex="-1"
            >
                {list
                    .sessions
                    .into_iter()
                    .map(|session| own_row(session, now))
                    .collect_view()}
            </ul>
            <p {..attr(data::ONLY_NOTE, "")} class="empty-note" hidden={others > 0}>
                "This is the only device signed in to your account."
            </p>
            <div {..attr(data::BULK, "")} class="bulk" hidden={others == 0}>
                <p class="bulk-text">"Don't recognise a device? End the sessions you don't use."</p>
                <a class="button danger-outline nojs" href=routes::END_OTHERS>"Log out all other sessions"</a>
                <button {..attr(data::END_OTHERS, "")} type="button" id=id::BULK class="button danger-outline js-only">
                    "Log out all other sessions"
                </button>
            </div>
            <ConfirmDialog />
        </div>
    }
}

/// The confirm modal, filled in and opened by the browser code.
#[component]
fn ConfirmDialog() -> impl IntoView {
    view! {
        <dialog id=id::DIALOG class="modal" aria-modal="true" aria-labelledby=id::HEADING aria-describedby=id::BODY>
            <form {..attr(data::CONFIRM, "")} class="modal-form">
                <h2 id=id::HEADING></h2>
                <p id=id::BODY></p>
                <div class="field" id=id::NAME_FIELD hidden>
                    <label for=id::NAME>"Session name"</label>
                    <input id=id::NAME type="text" maxlength="40" autocomplete="off" />
                </div>
                <div class="field" id=id::PASSWORD_FIELD hidden>
                    <label for=id::PASSWORD>"Password"</label>
                    <input id=id::PASSWORD type="password" autocomplete="current-password" />
                    <p class="hint">{PASSWORD_HINT}</p>
                </div>
                <p id=id::ERROR class="message error" role="alert"></p>
                <div class="modal-actions">
                    <button {..attr(data::CANCEL, "")} type="button" class="button ghost">"Cancel"</button>
                    <button type="submit" class="button danger" id=id::ACTION></button>
                </div>
                // The sentences for what can go wrong, so the browser code carries none.
                <div hidden>
                    {AppError::ALL.iter().map(|e| view! { <p {..attr(data::ERROR_MESSAGE, e.code())}>{e.to_string()}</p> }).collect_view()}
                </div>
            </form>
        </dialog>
    }
}

/// One row of a sessions list: the device, where, how and when, and what deserves a second
/// look. `actions` fills the row's action area — the owner's ⋮ menu ([`OwnActions`]) or an
/// administrator's form.
#[component]
pub fn SessionRow(session: SessionView, now: i64, actions: AnyView) -> impl IntoView {
    let active = session.is_active(now);
    let expires_soon = session.expires_soon(now);
    let title = session.title().to_owned();
    let SessionView {
        id: session_id,
        device,
        kind,
        model,
        ip,
        location,
        created_at,
        last_seen_at,
        expires_at,
        current,
        method,
        name,
        flags,
    } = session;
    let place = location.clone();
    let details = [model, Some(ip), Some(location)].into_iter().flatten().collect::<Vec<_>>().join(" · ");
    let active_until = (!current).then_some(last_seen_at + ACTIVE_WINDOW_MS);
    let row_attrs = (
        attr(data::SESSION_ID, session_id),
        attr(data::DEVICE, title.clone()),
        attr(data::PLACE, place),
        attr(data::CURRENT, current.then_some("")),
        attr(data::NAMED, name.is_some().then_some("")),
    );
    let label_beside = name.is_some().then(|| view! { <span class="device-label">{device}</span> });
    let flagged = !flags.is_empty();
    view! {
        <li {..row_attrs} class="session" class:current=current class:flagged=flagged>
            <div class="session-icon" aria-hidden="true">
                <DeviceIcon kind />
            </div>
            <div class="session-main">
                <p class="session-title">
                    <span class="device" {..attr(data::TITLE, "")}>{title}</span>
                    {label_beside}
                    {current.then(|| view! { <span class="badge current">"Current session"</span> })}
                    <span {..attr(data::ACTIVE_UNTIL, active_until)} class="badge" class:active=active class:idle=!active>
                        {if active { "Active now" } else { "Idle" }}
                    </span>
                    {expires_soon.then(|| view! {
                        <span class="badge soon" title=format!("Ends {}", timefmt::within(now, expires_at))>"Expires soon"</span>
                    })}
                </p>
                {flagged.then(|| view! { <Flags flags /> })}
                <p class="session-meta">{details}</p>
                <p class="session-method">"Signed in with " <span class="method">{method.label()}</span></p>
                <p class="session-times">
                    <span>
                        "Signed in "
                        <time {..attr(data::LOCAL, created_at)} datetime=timefmt::iso(created_at)>{timefmt::utc(created_at)}</time>
                        " (" <span {..attr(data::AGO, created_at)}>{timefmt::ago(now, created_at)}</span> ")"
                    </span>
                    <span class="dot" aria-hidden="true">" · "</span>
                    <span>"Updated " <span {..attr(data::AGO, last_seen_at)}>{timefmt::ago(now, last_seen_at)}</span></span>
                </p>
            </div>
            <div class="session-actions">{actions}</div>
        </li>
    }
}

/// A row of the owner's own list, with their actions: what the server renders in the list,
/// and alone for the live list (`live`), so a new row is exactly what a reload would show.
pub fn own_row(session: SessionView, now: i64) -> impl IntoView {
    let actions = view! {
        <OwnActions
            session_id=session.id.clone()
            title=session.title().to_owned()
            current=session.current
            flagged=!session.flags.is_empty()
        />
    }
    .into_any();
    view! { <SessionRow session now actions /> }
}

/// The owner's actions on a row of their own list — details, rename, "This wasn't me" (on a
/// flagged session of another device) and ending it: links to pages without JavaScript (a
/// disclosure), and the ⋮ menu that opens the modal with it.
#[component]
fn OwnActions(session_id: String, title: String, current: bool, flagged: bool) -> impl IntoView {
    let label = if current {
        format!("Session actions — {title} (this device)")
    } else {
        format!("Session actions — {title}")
    };
    let end = if current { "Log out" } else { "Terminate" };
    let not_me = flagged && !current;
    view! {
        <details class="row-menu nojs">
            <summary class="kebab" aria-label=label.clone() title=label.clone()>
                <KebabIcon />
            </summary>
            <div class="menu-popup">
                <a class="menu-item" href=routes::session_details(&session_id)>"Details"</a>
                <a class="menu-item" href=routes::rename_session(&session_id)>"Rename"</a>
                {not_me.then(|| view! { <a class="menu-item danger" href=routes::not_me_session(&session_id)>{NOT_ME}</a> })}
                <a class="menu-item danger" href=routes::end_session(&session_id)>{end}</a>
            </div>
        </details>
        <div class="row-menu js-only">
            <button {..attr(data::MENU_BUTTON, session_id.clone())}
                type="button"
                class="kebab"
                id=id::menu_button(&session_id)
                aria-haspopup="menu"
                aria-expanded="false"
                aria-controls=id::menu(&session_id)
                aria-label=label.clone()
                title=label
            >
                <KebabIcon />
            </button>
            <div class="menu-popup" role="menu" id=id::menu(&session_id) aria-labelledby=id::menu_button(&session_id) hidden>
                <a role="menuitem" class="menu-item" tabindex="-1" href=routes::session_details(&session_id)>"Details"</a>
                <button {..attr(data::RENAME, session_id.clone())} type="button" role="menuitem" class="menu-item" tabindex="-1">
                    "Rename"
                </button>
                {not_me.then(|| view! {
                    <button {..attr(data::NOT_ME, session_id.clone())} type="button" role="menuitem" class="menu-item danger" tabindex="-1">
                        {NOT_ME}
                    </button>
                })}
                <button {..attr(data::END, session_id.clone())} type="button" role="menuitem" class="menu-item danger" tabindex="-1">
                    {end}
                </button>
            </div>
        </div>
    }
}

/// What deserves a second look about a session: each flag's badge and its one-line reason.
#[component]
pub fn Flags(flags: Vec<Flag>) -> impl IntoView {
    view! {
        <div class="session-flags">
            {flags.into_iter().map(|flag| view! {
                <p class="flag"><span class="badge flag">{flag.kind.label()}</span> " " <span class="flag-reason">{flag.reason}</span></p>
            }).collect_view()}
        </div>
    }
}

#[component]
fn KebabIcon() -> impl IntoView {
    view! {
        <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
            <circle cx="12" cy="5" r="2" />
            <circle cx="12" cy="12" r="2" />
            <circle cx="12" cy="19" r="2" />
        </svg>
    }
}

#[component]
fn DeviceIcon(kind: DeviceKind) -> impl IntoView {
    let path = match kind {
        DeviceKind::Desktop => "M3 5h18v11H3zM8 20h8M12 16v4",
        DeviceKind::Phone => "M7 2h10v20H7zM11 18h2",
        DeviceKind::Tablet => "M4 3h16v18H4zM11 17h2",
        DeviceKind::Unknown => "M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM9.5 9.5a2.5 2.5 0 1 1 3.5 2.3c-.6.3-1 .9-1 1.6V14M12 17h.01",
    };
    view! {
        <svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false" class=format!("icon-{}", kind.as_str())>
            <path d=path />
        </svg>
    }
}

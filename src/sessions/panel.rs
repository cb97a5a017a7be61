//! The interactive list of sessions (a Leptos island): ⋮ menus, the confirm modal, log out all
//! others, and relative times that keep ticking. Server-rendered first; without JavaScript the
//! same rows offer plain links to confirm pages instead of menus.

use super::{
    api::{logout_other_sessions, terminate_session},
    types::{DeviceKind, SessionList, SessionView, notice_text},
};
use crate::{auth::api::logout, error::AppError, timefmt};
use leptos::{prelude::*, task::spawn_local};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Confirm {
    /// End one session: another device's (terminate) or this one (log out).
    End { id: String, device: String, current: bool },
    /// Log out all other sessions.
    Others,
}

impl Confirm {
    fn heading(&self) -> String {
        match self {
            Confirm::End { current: true, .. } => "Log out of this device?".to_owned(),
            Confirm::End { device, .. } => format!("Terminate the session on {device}?"),
            Confirm::Others => "Log out all other sessions?".to_owned(),
        }
    }
    fn body(&self) -> &'static str {
        match self {
            Confirm::End { current: true, .. } => "You will need to log in again on this device.",
            Confirm::End { .. } => "That device will be signed out at once and will need to log in again.",
            Confirm::Others => {
                "Every other device will be signed out at once and will need to log in again. This device stays signed in."
            }
        }
    }
    fn action(&self) -> &'static str {
        match self {
            Confirm::End { current: true, .. } => "Log out",
            Confirm::End { .. } => "Terminate",
            Confirm::Others => "Log out all",
        }
    }
    fn needs_password(&self, now: i64, reauth_until: i64) -> bool {
        !matches!(self, Confirm::End { current: true, .. }) && now > reauth_until
    }
}

const LIST_ID: &str = "session-list";
const BULK_ID: &str = "logout-others";
const PASSWORD_ID: &str = "confirm-password";

fn button_id(session: &str) -> String {
    format!("actions-{session}")
}
fn menu_id(session: &str) -> String {
    format!("menu-{session}")
}
fn item_id(session: &str) -> String {
    format!("menu-{session}-item")
}

#[island]
pub fn SessionsPanel(list: SessionList, notice: Option<String>) -> impl IntoView {
    let server_now = list.now;
    let sessions = RwSignal::new(list.sessions);
    let now = RwSignal::new(list.now);
    let reauth_until = RwSignal::new(list.reauth_until);
    let hydrated = RwSignal::new(false);
    let open_menu = RwSignal::new(None::<String>);
    let confirm = RwSignal::new(None::<Confirm>);
    let password = RwSignal::new(String::new());
    let pending = RwSignal::new(false);
    let status = RwSignal::new(notice);
    let dialog_error = RwSignal::new(None::<String>);
    let dialog_ref = NodeRef::<leptos::html::Dialog>::new();
    let return_focus = StoredValue::new(String::new());

    // In the browser only: switch to menus and local time, and keep relative times ticking
    // against the server's clock.
    Effect::new(move |_| {
        hydrated.set(true);
        dom::start_clock(server_now, now);
    });

    Effect::new(move |_| {
        let open = confirm.with(|c| c.is_some());
        dom::sync_dialog(dialog_ref.get(), open);
    });

    let close_dialog = move |focus: &str| {
        confirm.set(None);
        password.set(String::new());
        dialog_error.set(None);
        dom::focus_later(focus);
    };
    let ask = move |what: Confirm, from: String| {
        open_menu.set(None);
        dialog_error.set(None);
        password.set(String::new());
        return_focus.set_value(from);
        confirm.set(Some(what));
    };

    let finish = move |result: Result<Done, AppError>| {
        pending.set(false);
        match result {
            Ok(Done::LoggedOut) => dom::navigate("/login?signed_out=logged_out"),
            Ok(Done::Ended { id, reauth }) => {
                sessions.update(|all| all.retain(|s| s.id != id));
                reauth_until.set(reauth);
                status.set(notice_text("terminated", 1));
                close_dialog(LIST_ID);
            }
            Ok(Done::Others { count, reauth }) => {
                sessions.update(|all| all.retain(|s| s.current));
                reauth_until.set(reauth);
                status.set(notice_text("others_ended", count));
                close_dialog(LIST_ID);
            }
            Err(AppError::SignedOut) => dom::navigate("/login"),
            Err(AppError::SessionNotFound) => {
                if let Some(Confirm::End { id, .. }) = confirm.get_untracked() {
                    sessions.update(|all| all.retain(|s| s.id != id));
                }
                status.set(notice_text("already_ended", 1));
                close_dialog(LIST_ID);
            }
            Err(e @ (AppError::ReauthRequired | AppError::WrongPassword)) => {
                reauth_until.set(0);
                password.set(String::new());
                dialog_error.set(Some(e.to_string()));
                dom::focus_later(PASSWORD_ID);
            }
            Err(e) => dialog_error.set(Some(e.to_string())),
        }
    };

    let run = move || {
        let Some(what) = confirm.get_untracked() else { return };
        if pending.get_untracked() {
            return;
        }
        pending.set(true);
        dialog_error.set(None);
        let given = password.get_untracked();
        let given = (!given.is_empty()).then_some(given);
        spawn_local(async move {
            let result = match what {
                Confirm::End { current: true, .. } => logout().await.map(|_| Done::LoggedOut),
                Confirm::End { id, .. } => terminate_session(id.clone(), given)
                    .await
                    .map(|ended| Done::Ended { id, reauth: ended.reauth_until }),
                Confirm::Others => logout_other_sessions(given)
                    .await
                    .map(|ended| Done::Others { count: ended.count, reauth: ended.reauth_until }),
            };
            finish(result);
        });
    };

    let others = move || sessions.with(|all| all.iter().filter(|s| !s.current).count());

    view! {
        <div class="panel">
            <p class="message success" role="status">{move || status.get()}</p>
            <ul id=LIST_ID class="session-list" aria-label="Active sessions" tabindex="-1">
                <For each=move || sessions.get() key=|s| s.id.clone() let:session>
                    <SessionRow session now hydrated open_menu ask />
                </For>
            </ul>
            <Show
                when=move || { others() > 0 }
                fallback=|| view! { <p class="empty-note">"This is the only device signed in to your account."</p> }
            >
                <div class="bulk">
                    <p class="bulk-text">"Don't recognise a device? End the sessions you don't use."</p>
                    {move || {
                        if hydrated.get() {
                            view! {
                                <button
                                    type="button"
                                    id=BULK_ID
                                    class="button danger-outline"
                                    on:click=move |_| ask(Confirm::Others, BULK_ID.to_owned())
                                >
                                    "Log out all other sessions"
                                </button>
                            }
                                .into_any()
                        } else {
                            view! {
                                <a id=BULK_ID class="button danger-outline" href="/active-sessions/end-others">
                                    "Log out all other sessions"
                                </a>
                            }
                                .into_any()
                        }
                    }}
                </div>
            </Show>
            <dialog
                node_ref=dialog_ref
                class="modal"
                aria-modal="true"
                aria-labelledby="confirm-heading"
                aria-describedby="confirm-body"
                on:keydown=move |ev| {
                    // Esc cancels; we close it ourselves so focus goes back where it came from.
                    if ev.key() == "Escape" {
                        ev.prevent_default();
                        if !pending.get_untracked() {
                            close_dialog(&return_focus.get_value());
                        }
                    }
                }
            >
                {move || {
                    confirm
                        .get()
                        .map(|what| {
                            let asks = what.needs_password(now.get(), reauth_until.get());
                            view! {
                                <form
                                    class="modal-form"
                                    on:submit=move |ev| {
                                        ev.prevent_default();
                                        run();
                                    }
                                >
                                    <h2 id="confirm-heading">{what.heading()}</h2>
                                    <p id="confirm-body">{what.body()}</p>
                                    {asks
                                        .then(|| {
                                            view! {
                                                <div class="field">
                                                    <label for=PASSWORD_ID>"Password"</label>
                                                    <input
                                                        id=PASSWORD_ID
                                                        type="password"
                                                        autocomplete="current-password"
                                                        required
                                                        prop:value=move || password.get()
                                                        on:input=move |ev| password.set(event_target_value(&ev))
                                                    />
                                                    <p class="hint">"For your security, confirm it's you."</p>
                                                </div>
                                            }
                                        })}
                                    <p class="message error" role="alert">{move || dialog_error.get()}</p>
                                    <div class="modal-actions">
                                        <button
                                            type="button"
                                            class="button ghost"
                                            autofocus=!asks
                                            on:click=move |_| close_dialog(&return_focus.get_value())
                                        >
                                            "Cancel"
                                        </button>
                                        <button type="submit" class="button danger" disabled=move || pending.get()>
                                            {what.action()}
                                        </button>
                                    </div>
                                </form>
                            }
                        })
                }}
            </dialog>
        </div>
    }
}

enum Done {
    LoggedOut,
    Ended { id: String, reauth: i64 },
    Others { count: usize, reauth: i64 },
}

#[component]
fn SessionRow(
    session: SessionView,
    now: RwSignal<i64>,
    hydrated: RwSignal<bool>,
    open_menu: RwSignal<Option<String>>,
    ask: impl Fn(Confirm, String) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let id = session.id.clone();
    let label = if session.current {
        format!("Session actions — {} (this device)", session.device)
    } else {
        format!("Session actions — {}", session.device)
    };
    let action = if session.current { "Log out" } else { "Terminate" };
    let created = session.created_at;
    let last_seen = session.last_seen_at;
    let status_session = session.clone();
    let soon_session = session.clone();
    let what = Confirm::End { id: id.clone(), device: session.device.clone(), current: session.current };
    let is_open = {
        let id = id.clone();
        move || open_menu.with(|m| m.as_deref() == Some(id.as_str()))
    };
    let details = [session.model.clone(), Some(session.ip.clone()), Some(session.location.clone())]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ");

    let menu = {
        let id = id.clone();
        let label = label.clone();
        move || {
            let id = id.clone();
            if !hydrated.get() {
                // No JavaScript (yet): a disclosure with a plain link to the confirm page.
                return view! {
                    <details class="row-menu">
                        <summary class="kebab" aria-label=label.clone() title=label.clone()>
                            <KebabIcon />
                        </summary>
                        <div class="menu-popup">
                            <a class="menu-item" href=format!("/active-sessions/{id}/end")>{action}</a>
                        </div>
                    </details>
                }
                    .into_any();
            }
            let open = is_open.clone();
            let open_for_expanded = is_open.clone();
            let open_for_hidden = is_open.clone();
            let (toggle_id, key_id, item_key_id, focus_id, pick_id) =
                (id.clone(), id.clone(), id.clone(), id.clone(), id.clone());
            let what = what.clone();
            view! {
                <div
                    class="row-menu"
                    on:focusout=move |ev| {
                        if open() && dom::focus_left(&ev) {
                            open_menu.set(None);
                        }
                    }
                >
                    <button
                        type="button"
                        class="kebab"
                        id=button_id(&id)
                        aria-haspopup="menu"
                        aria-controls=menu_id(&id)
                        aria-expanded=move || if open_for_expanded() { "true" } else { "false" }
                        aria-label=label.clone()
                        title=label.clone()
                        on:click=move |_| {
                            if open_menu.get_untracked().as_deref() == Some(toggle_id.as_str()) {
                                open_menu.set(None);
                            } else {
                                open_menu.set(Some(toggle_id.clone()));
                                dom::focus_later(&item_id(&toggle_id));
                            }
                        }
                        on:keydown=move |ev| {
                            if matches!(ev.key().as_str(), "ArrowDown" | "ArrowUp") {
                                ev.prevent_default();
                                open_menu.set(Some(key_id.clone()));
                                dom::focus_later(&item_id(&key_id));
                            }
                        }
                    >
                        <KebabIcon />
                    </button>
                    <div
                        class="menu-popup"
                        role="menu"
                        id=menu_id(&id)
                        aria-labelledby=button_id(&id)
                        hidden=move || !open_for_hidden()
                        on:keydown=move |ev| match ev.key().as_str() {
                            "Escape" => {
                                ev.prevent_default();
                                open_menu.set(None);
                                dom::focus_later(&button_id(&item_key_id));
                            }
                            "ArrowDown" | "ArrowUp" | "Home" | "End" => {
                                ev.prevent_default();
                                dom::focus_later(&item_id(&focus_id));
                            }
                            "Tab" => open_menu.set(None),
                            _ => {}
                        }
                    >
                        <button
                            type="button"
                            role="menuitem"
                            class="menu-item"
                            id=item_id(&id)
                            tabindex="-1"
                            on:click=move |_| ask(what.clone(), button_id(&pick_id))
                        >
                            {action}
                        </button>
                    </div>
                </div>
            }
                .into_any()
        }
    };

    view! {
        <li class="session" class:current=session.current data-session-id=session.id.clone()>
            <div class="session-icon" aria-hidden="true">
                <DeviceIcon kind=session.kind />
            </div>
            <div class="session-main">
                <p class="session-title">
                    <span class="device">{session.device.clone()}</span>
                    {session.current.then(|| view! { <span class="badge current">"Current session"</span> })}
                    {move || {
                        if status_session.is_active(now.get()) {
                            view! { <span class="badge active">"Active now"</span> }.into_any()
                        } else {
                            view! { <span class="badge idle">"Idle"</span> }.into_any()
                        }
                    }}
                    {move || {
                        soon_session
                            .expires_soon(now.get())
                            .then(|| view! { <span class="badge soon" title=format!("Ends {}", timefmt::within(now.get(), soon_session.expires_at))>"Expires soon"</span> })
                    }}
                </p>
                <p class="session-meta">{details}</p>
                <p class="session-times">
                    <span>
                        "Signed in "
                        <time datetime=dom::iso(created)>{move || dom::absolute(created, hydrated.get())}</time>
                        " (" {move || timefmt::ago(now.get(), created)} ")"
                    </span>
                    <span class="dot" aria-hidden="true">" · "</span>
                    <span>"Updated " {move || timefmt::ago(now.get(), last_seen)}</span>
                </p>
            </div>
            <div class="session-actions">{menu}</div>
        </li>
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

/// The few DOM calls the island makes, compiled only for the browser. On the server they do
/// nothing (or give the server-side rendering of a time).
mod dom {
    use leptos::prelude::*;

    #[cfg(feature = "hydrate")]
    pub fn start_clock(server_now: i64, now: RwSignal<i64>) {
        let offset = server_now - js_sys::Date::now() as i64;
        let tick = move || now.set(js_sys::Date::now() as i64 + offset);
        tick();
        gloo_timers::callback::Interval::new(15_000, tick).forget();
    }
    #[cfg(not(feature = "hydrate"))]
    pub fn start_clock(_server_now: i64, _now: RwSignal<i64>) {}

    #[cfg(feature = "hydrate")]
    pub fn sync_dialog(dialog: Option<web_sys::HtmlDialogElement>, open: bool) {
        if let Some(dialog) = dialog {
            if open && !dialog.open() {
                let _ = dialog.show_modal();
            } else if !open && dialog.open() {
                dialog.close();
            }
        }
    }
    #[cfg(not(feature = "hydrate"))]
    pub fn sync_dialog<T>(_dialog: Option<T>, _open: bool) {}

    /// Focuses the element with `id` once the DOM has caught up with the signals.
    #[cfg(feature = "hydrate")]
    pub fn focus_later(id: &str) {
        use wasm_bindgen::JsCast;
        let id = id.to_owned();
        request_animation_frame(move || {
            if let Some(el) = document().get_element_by_id(&id).and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
                let _ = el.focus();
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    pub fn focus_later(_id: &str) {}

    /// Whether focus left the element the event is on (for closing a menu).
    #[cfg(feature = "hydrate")]
    pub fn focus_left(ev: &web_sys::FocusEvent) -> bool {
        use wasm_bindgen::JsCast;
        let container = ev.current_target().and_then(|t| t.dyn_into::<web_sys::Node>().ok());
        let next = ev.related_target().and_then(|t| t.dyn_into::<web_sys::Node>().ok());
        match (container, next) {
            (Some(container), Some(next)) => !container.contains(Some(&next)),
            _ => true,
        }
    }
    #[cfg(not(feature = "hydrate"))]
    pub fn focus_left<T>(_ev: &T) -> bool {
        false
    }

    #[cfg(feature = "hydrate")]
    pub fn navigate(to: &str) {
        let _ = window().location().assign(to);
    }
    #[cfg(not(feature = "hydrate"))]
    pub fn navigate(_to: &str) {}

    /// Machine-readable time for `<time datetime>`.
    #[cfg(feature = "hydrate")]
    pub fn iso(ms: i64) -> String {
        String::from(js_sys::Date::new(&(ms as f64).into()).to_iso_string())
    }
    #[cfg(feature = "ssr")]
    pub fn iso(ms: i64) -> String {
        time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
            .ok()
            .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
            .unwrap_or_default()
    }
    #[cfg(not(any(feature = "hydrate", feature = "ssr")))]
    pub fn iso(_ms: i64) -> String {
        String::new()
    }

    /// "23 Nov 2026, 13:40 UTC" until the page is live, then the viewer's local time.
    #[cfg(feature = "hydrate")]
    pub fn absolute(ms: i64, local: bool) -> String {
        let date = js_sys::Date::new(&(ms as f64).into());
        if local {
            let options = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&options, &"dateStyle".into(), &"medium".into());
            let _ = js_sys::Reflect::set(&options, &"timeStyle".into(), &"short".into());
            return String::from(date.to_locale_string("default", &options));
        }
        const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
        format!(
            "{} {} {}, {:02}:{:02} UTC",
            date.get_utc_date(),
            MONTHS[date.get_utc_month() as usize % 12],
            date.get_utc_full_year(),
            date.get_utc_hours(),
            date.get_utc_minutes()
        )
    }
    #[cfg(feature = "ssr")]
    pub fn absolute(ms: i64, _local: bool) -> String {
        time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
            .ok()
            .and_then(|t| {
                t.format(time::macros::format_description!(
                    "[day padding:none] [month repr:short] [year], [hour]:[minute] UTC"
                ))
                .ok()
            })
            .unwrap_or_default()
    }
    #[cfg(not(any(feature = "hydrate", feature = "ssr")))]
    pub fn absolute(_ms: i64, _local: bool) -> String {
        String::new()
    }
}

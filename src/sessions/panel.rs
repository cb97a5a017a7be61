//! The Active sessions list: server-rendered rows (complete and usable without JavaScript),
//! and the behaviour that brings them to life in the browser — ⋮ menus, the confirm modal,
//! log out all others, local and ticking times — driven by the page's island
//! ([`crate::layout::Live`]).
//!
//! Nothing is re-rendered in the browser: the island enhances the server's HTML in place
//! (event delegation, a few DOM calls, the server functions). That keeps the page's WASM
//! small — the list, its data and a second copy of its markup never travel to the browser —
//! and the page is the same with JavaScript off, minus the menus and the modal.

use super::types::{DeviceKind, SessionList, SessionView};
use crate::timefmt;
use leptos::prelude::*;

pub const LIST_ID: &str = "session-list";
const STATUS_ID: &str = "sessions-status";
const BULK_ID: &str = "logout-others";
const PASSWORD_ID: &str = "confirm-password";
const DIALOG_ID: &str = "confirm-dialog";

fn button_id(session: &str) -> String {
    format!("actions-{session}")
}
fn menu_id(session: &str) -> String {
    format!("menu-{session}")
}

/// The list as the server renders it: inside [`SessionsPanel`], or on its own.
#[component]
pub fn SessionRows(list: SessionList, notice: Option<String>) -> impl IntoView {
    let now = list.now;
    let others = list.sessions.iter().filter(|s| !s.current).count();
    view! {
        <div class="sessions-panel">
        <p id=STATUS_ID class="message success" role="status">{notice}</p>
        <ul
            id=LIST_ID
            class="session-list"
            aria-label="Active sessions"
            tabindex="-1"
            data-now=now
            data-reauth-until=list.reauth_until
        >
            {list.sessions.into_iter().map(|session| view! { <SessionRow session now /> }).collect_view()}
        </ul>
        <p class="empty-note" data-only-note hidden=others > 0>
            "This is the only device signed in to your account."
        </p>
        <div class="bulk" data-bulk hidden=others == 0>
            <p class="bulk-text">"Don't recognise a device? End the sessions you don't use."</p>
            <a class="button danger-outline nojs" href="/active-sessions/end-others">"Log out all other sessions"</a>
            <button type="button" id=BULK_ID class="button danger-outline js-only" data-end-others>
                "Log out all other sessions"
            </button>
        </div>
        <ConfirmDialog />
        </div>
    }
}

/// The confirm modal, filled in and opened by the island.
#[component]
fn ConfirmDialog() -> impl IntoView {
    view! {
        <dialog id=DIALOG_ID class="modal" aria-modal="true" aria-labelledby="confirm-heading" aria-describedby="confirm-body">
            <form class="modal-form" data-confirm>
                <h2 id="confirm-heading"></h2>
                <p id="confirm-body"></p>
                <div class="field" id="confirm-password-field" hidden>
                    <label for=PASSWORD_ID>"Password"</label>
                    <input id=PASSWORD_ID type="password" autocomplete="current-password" />
                    <p class="hint">"For your security, confirm it's you."</p>
                </div>
                <p id="confirm-error" class="message error" role="alert"></p>
                <div class="modal-actions">
                    <button type="button" class="button ghost" data-cancel>"Cancel"</button>
                    <button type="submit" class="button danger" id="confirm-action"></button>
                </div>
            </form>
        </dialog>
    }
}

#[component]
fn SessionRow(session: SessionView, now: i64) -> impl IntoView {
    let SessionView { id, device, kind, model, ip, location, created_at, last_seen_at, expires_at, current } =
        session.clone();
    let label = if current {
        format!("Session actions — {device} (this device)")
    } else {
        format!("Session actions — {device}")
    };
    let action = if current { "Log out" } else { "Terminate" };
    let active = session.is_active(now);
    let details = [model, Some(ip), Some(location)].into_iter().flatten().collect::<Vec<_>>().join(" · ");
    let active_until = last_seen_at + super::types::ACTIVE_WINDOW_MS;
    let row_device = device.clone();
    view! {
        <li class="session" class:current=current data-session-id=id.clone() data-device=row_device data-current=current.then_some("")>
            <div class="session-icon" aria-hidden="true">
                <DeviceIcon kind />
            </div>
            <div class="session-main">
                <p class="session-title">
                    <span class="device">{device}</span>
                    {current.then(|| view! { <span class="badge current">"Current session"</span> })}
                    <span class="badge" class:active=active class:idle=!active data-active-until=(!current).then_some(active_until)>
                        {if active { "Active now" } else { "Idle" }}
                    </span>
                    {session.expires_soon(now).then(|| view! {
                        <span class="badge soon" title=format!("Ends {}", timefmt::within(now, expires_at))>"Expires soon"</span>
                    })}
                </p>
                <p class="session-meta">{details}</p>
                <p class="session-times">
                    <span>
                        "Signed in "
                        <time datetime=iso(created_at) data-local=created_at>{utc(created_at)}</time>
                        " (" <span data-ago=created_at>{timefmt::ago(now, created_at)}</span> ")"
                    </span>
                    <span class="dot" aria-hidden="true">" · "</span>
                    <span>"Updated " <span data-ago=last_seen_at>{timefmt::ago(now, last_seen_at)}</span></span>
                </p>
            </div>
            <div class="session-actions">
                // Without JavaScript: a disclosure with a link to the confirm page.
                <details class="row-menu nojs">
                    <summary class="kebab" aria-label=label.clone() title=label.clone()>
                        <KebabIcon />
                    </summary>
                    <div class="menu-popup">
                        <a class="menu-item" href=format!("/active-sessions/{id}/end")>{action}</a>
                    </div>
                </details>
                // With JavaScript: a menu button, its menu, and the confirm modal.
                <div class="row-menu js-only">
                    <button
                        type="button"
                        class="kebab"
                        id=button_id(&id)
                        aria-haspopup="menu"
                        aria-expanded="false"
                        aria-controls=menu_id(&id)
                        aria-label=label.clone()
                        title=label
                        data-menu-button=id.clone()
                    >
                        <KebabIcon />
                    </button>
                    <div class="menu-popup" role="menu" id=menu_id(&id) aria-labelledby=button_id(&id) hidden>
                        <button type="button" role="menuitem" class="menu-item" tabindex="-1" data-end=id.clone()>
                            {action}
                        </button>
                    </div>
                </div>
            </div>
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

#[cfg(feature = "ssr")]
fn iso(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

/// "23 Nov 2026, 13:40 UTC": what the server can say before the browser knows its time zone.
#[cfg(feature = "ssr")]
fn utc(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(time::macros::format_description!("[day padding:none] [month repr:short] [year], [hour]:[minute] UTC"))
                .ok()
        })
        .unwrap_or_default()
}

// In the browser these rows are never rendered (they arrive as HTML), so nothing to format.
#[cfg(not(feature = "ssr"))]
fn iso(_ms: i64) -> String {
    String::new()
}
#[cfg(not(feature = "ssr"))]
fn utc(_ms: i64) -> String {
    String::new()
}

/// What the confirm modal is asking about.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
enum Confirm {
    /// End one session: another device's (terminate) or this one (log out).
    End { id: String, device: String, current: bool },
    /// Log out all other sessions.
    Others,
}

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
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
    /// Logging out here never asks for a password; ending other sessions does once the
    /// re-authentication window has passed.
    fn asks_password(&self, now: i64, reauth_until: i64) -> bool {
        !matches!(self, Confirm::End { current: true, .. }) && now > reauth_until
    }
    /// Where focus goes back to when the modal is cancelled.
    fn return_focus(&self) -> String {
        match self {
            Confirm::End { id, .. } => button_id(id),
            Confirm::Others => BULK_ID.to_owned(),
        }
    }
}

/// The list's behaviour, compiled only for the browser (on the server it does nothing).
#[cfg(feature = "hydrate")]
pub mod live {
    use super::{Confirm, DIALOG_ID, LIST_ID, PASSWORD_ID, STATUS_ID, button_id, menu_id};
    use crate::{
        error::AppError,
        sessions::{
            api::{logout_other_sessions, terminate_session},
            types::notice_text,
        },
        timefmt,
    };
    use leptos::prelude::*;
    use std::cell::{Cell, RefCell};
    use wasm_bindgen::JsCast;
    use web_sys::{Element, HtmlElement};

    thread_local! {
        /// `{ dateStyle: "medium", timeStyle: "short" }` for `toLocaleString`.
        static LOCAL_FORMAT: js_sys::Object = {
            let options = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&options, &"dateStyle".into(), &"medium".into());
            let _ = js_sys::Reflect::set(&options, &"timeStyle".into(), &"short".into());
            options
        };
        /// Server time minus browser time, so "3 minutes ago" follows the server's clock.
        static OFFSET: Cell<i64> = const { Cell::new(0) };
        /// Until when ending other sessions needs no password.
        static REAUTH_UNTIL: Cell<i64> = const { Cell::new(0) };
        /// What the open modal asks about.
        static ASKING: RefCell<Option<Confirm>> = const { RefCell::new(None) };
        static PENDING: Cell<bool> = const { Cell::new(false) };
    }

    fn by_id(id: &str) -> Option<Element> {
        document().get_element_by_id(id)
    }

    fn html(id: &str) -> Option<HtmlElement> {
        by_id(id)?.dyn_into().ok()
    }

    fn all(selector: &str) -> Vec<Element> {
        let Ok(list) = document().query_selector_all(selector) else { return vec![] };
        (0..list.length()).filter_map(|i| list.item(i)?.dyn_into::<Element>().ok()).collect()
    }

    fn number(el: &Element, attribute: &str) -> Option<i64> {
        el.get_attribute(attribute)?.parse().ok()
    }

    fn set_text(id: &str, text: &str) {
        if let Some(el) = by_id(id) {
            el.set_text_content(Some(text));
        }
    }

    fn show(el: &Element, visible: bool) {
        let _ = if visible { el.remove_attribute("hidden") } else { el.set_attribute("hidden", "") };
    }

    fn focus(id: &str) {
        if let Some(el) = html(id) {
            let _ = el.focus();
        }
    }

    fn now() -> i64 {
        js_sys::Date::now() as i64 + OFFSET.get()
    }

    /// Switches the rows to menus, shows times in the viewer's zone and starts the clock.
    /// Does nothing on pages without the list.
    pub fn start() {
        let Some(list) = by_id(LIST_ID) else { return };
        let list = Some(list);
        if let Some(server_now) = list.as_ref().and_then(|l| number(l, "data-now")) {
            OFFSET.set(server_now - js_sys::Date::now() as i64);
        }
        REAUTH_UNTIL.set(list.as_ref().and_then(|l| number(l, "data-reauth-until")).unwrap_or(0));
        for el in all("time[data-local]") {
            if let Some(ms) = number(&el, "data-local") {
                let text = js_sys::Date::new(&(ms as f64).into()).to_locale_string("default", &LOCAL_FORMAT.with(Clone::clone));
                el.set_text_content(Some(&String::from(text)));
            }
        }
        for panel in all(".sessions-panel") {
            let _ = panel.set_attribute("data-live", "");
        }
        tick();
        gloo_timers::callback::Interval::new(15_000, tick).forget();
    }

    /// Keeps "Updated 3 minutes ago" and Active now / Idle true as time passes.
    fn tick() {
        let now = now();
        for el in all("[data-ago]") {
            if let Some(ms) = number(&el, "data-ago") {
                el.set_text_content(Some(&timefmt::ago(now, ms)));
            }
        }
        for el in all("[data-active-until]") {
            if number(&el, "data-active-until").is_some_and(|until| now >= until) {
                el.set_text_content(Some("Idle"));
                let _ = el.set_attribute("class", "badge idle");
            }
        }
    }

    fn target(ev: &web_sys::Event) -> Option<Element> {
        ev.target()?.dyn_into::<Element>().ok()
    }

    fn closest(el: &Element, selector: &str) -> Option<Element> {
        el.closest(selector).ok().flatten()
    }

    /// ⋮ buttons, menu items, the bulk button and the modal's Cancel.
    pub fn on_click(ev: &web_sys::MouseEvent) {
        let Some(target) = target(ev) else { return };
        if let Some(id) = closest(&target, "[data-menu-button]").and_then(|b| b.get_attribute("data-menu-button")) {
            toggle_menu(&id);
        } else if let Some(item) = closest(&target, "[data-end]") {
            let row = closest(&item, "[data-session-id]");
            let (Some(id), Some(row)) = (item.get_attribute("data-end"), row) else { return };
            ask(Confirm::End {
                id,
                device: row.get_attribute("data-device").unwrap_or_default(),
                current: row.has_attribute("data-current"),
            });
        } else if closest(&target, "[data-end-others]").is_some() {
            ask(Confirm::Others);
        } else if closest(&target, "[data-cancel]").is_some() {
            cancel();
        }
    }

    fn set_menu(id: &str, open: bool) {
        if let Some(button) = by_id(&button_id(id)) {
            let _ = button.set_attribute("aria-expanded", if open { "true" } else { "false" });
        }
        if let Some(menu) = by_id(&menu_id(id)) {
            show(&menu, open);
        }
    }

    fn open_menu() -> Option<String> {
        all("[data-menu-button][aria-expanded=true]").first()?.get_attribute("data-menu-button")
    }

    fn close_menus() {
        if let Some(id) = open_menu() {
            set_menu(&id, false);
        }
    }

    fn toggle_menu(id: &str) {
        let was_open = open_menu();
        close_menus();
        if was_open.as_deref() != Some(id) {
            set_menu(id, true);
            focus_item(id);
        }
    }

    fn focus_item(id: &str) {
        if let Some(item) = by_id(&menu_id(id))
            .and_then(|m| m.query_selector("[role=menuitem]").ok().flatten())
            .and_then(|e| e.dyn_into::<HtmlElement>().ok())
        {
            let _ = item.focus();
        }
    }

    /// The menu keyboard (Enter and Space are the button's own click), and Esc in the modal.
    pub fn on_keydown(ev: &web_sys::KeyboardEvent) {
        let Some(target) = target(ev) else { return };
        let key = ev.key();
        if ASKING.with_borrow(Option::is_some) {
            match key.as_str() {
                "Escape" => {
                    ev.prevent_default();
                    if !PENDING.get() {
                        cancel();
                    }
                }
                "Tab" => keep_focus_in_dialog(ev),
                _ => {}
            }
            return;
        }
        if let Some(id) = target.get_attribute("data-menu-button") {
            if key == "ArrowDown" || key == "ArrowUp" {
                ev.prevent_default();
                close_menus();
                set_menu(&id, true);
                focus_item(&id);
            }
            return;
        }
        if target.get_attribute("role").as_deref() != Some("menuitem") {
            return;
        }
        let Some(id) = open_menu() else { return };
        match key.as_str() {
            "Escape" => {
                ev.prevent_default();
                set_menu(&id, false);
                focus(&button_id(&id));
            }
            // One item per menu: every movement lands on it.
            "ArrowDown" | "ArrowUp" | "Home" | "End" => {
                ev.prevent_default();
                focus_item(&id);
            }
            "Tab" => set_menu(&id, false),
            _ => {}
        }
    }

    /// Closes the open menu when focus leaves it (a tap elsewhere, Tab away).
    pub fn on_focusout(ev: &web_sys::FocusEvent) {
        let Some(id) = open_menu() else { return };
        let next = ev.related_target().and_then(|t| t.dyn_into::<web_sys::Node>().ok());
        let wrapper = by_id(&button_id(&id)).and_then(|b| b.parent_element());
        let inside = next.zip(wrapper).is_some_and(|(next, wrapper)| wrapper.contains(Some(&next)));
        if !inside {
            set_menu(&id, false);
        }
    }

    fn dialog() -> Option<web_sys::HtmlDialogElement> {
        by_id(DIALOG_ID)?.dyn_into().ok()
    }

    fn ask(what: Confirm) {
        close_menus();
        let asks_password = what.asks_password(now(), REAUTH_UNTIL.get());
        set_text("confirm-heading", &what.heading());
        set_text("confirm-body", what.body());
        set_text("confirm-action", what.action());
        set_text("confirm-error", "");
        password_field(asks_password);
        ASKING.set(Some(what));
        if let Some(dialog) = dialog() {
            let _ = dialog.show_modal();
        }
        // Destructive by default? No: focus starts on the password, or on Cancel.
        if asks_password {
            focus(PASSWORD_ID);
        } else if let Some(cancel) = by_id(DIALOG_ID).and_then(|d| d.query_selector("[data-cancel]").ok().flatten()) {
            if let Ok(cancel) = cancel.dyn_into::<HtmlElement>() {
                let _ = cancel.focus();
            }
        }
    }

    /// A modal dialog makes the page inert, but Tab could still leave for the browser's own
    /// controls: wrap around inside the dialog instead.
    fn keep_focus_in_dialog(ev: &web_sys::KeyboardEvent) {
        let Some(dialog) = by_id(DIALOG_ID) else { return };
        let Ok(list) = dialog.query_selector_all("input, button") else { return };
        let stops: Vec<HtmlElement> = (0..list.length())
            .filter_map(|i| list.item(i)?.dyn_into::<HtmlElement>().ok())
            .filter(|el| closest(el, "[hidden]").is_none() && !el.has_attribute("disabled"))
            .collect();
        let (Some(first), Some(last)) = (stops.first(), stops.last()) else { return };
        let active = document().active_element();
        let at = |el: &HtmlElement| active.as_ref().is_some_and(|a| a == el.as_ref() as &Element);
        let wrap_to = if ev.shift_key() { at(first).then_some(last) } else { at(last).then_some(first) };
        if let Some(next) = wrap_to {
            ev.prevent_default();
            let _ = next.focus();
        }
    }

    fn password_field(needed: bool) {
        if let Some(field) = by_id("confirm-password-field") {
            show(&field, needed);
        }
        if let Some(input) = by_id(PASSWORD_ID).and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok()) {
            input.set_value("");
            let _ = if needed { input.set_attribute("required", "") } else { input.remove_attribute("required") };
        }
    }

    fn close_dialog() -> Option<Confirm> {
        if let Some(dialog) = dialog() {
            dialog.close();
        }
        password_field(false);
        ASKING.take()
    }

    fn cancel() {
        if let Some(what) = close_dialog() {
            focus(&what.return_focus());
        }
    }

    fn busy(pending: bool) {
        PENDING.set(pending);
        if let Some(button) = by_id("confirm-action") {
            let _ = if pending { button.set_attribute("disabled", "") } else { button.remove_attribute("disabled") };
        }
    }

    /// The modal's confirm button: run the server function, then show what happened.
    pub fn on_submit(ev: &web_sys::SubmitEvent) {
        let Some(form) = target(ev) else { return };
        if !form.has_attribute("data-confirm") {
            return;
        }
        ev.prevent_default();
        let Some(what) = ASKING.with_borrow(Clone::clone) else { return };
        if PENDING.get() {
            return;
        }
        busy(true);
        set_text("confirm-error", "");
        let password = by_id(PASSWORD_ID)
            .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok())
            .map(|i| i.value())
            .filter(|p| !p.is_empty());
        leptos::task::spawn_local(async move {
            let result = match &what {
                Confirm::End { id, .. } => terminate_session(id.clone(), password).await,
                Confirm::Others => logout_other_sessions(password).await,
            };
            busy(false);
            finish(what, result);
        });
    }

    fn finish(what: Confirm, result: Result<crate::sessions::types::Ended, AppError>) {
        match (what, result) {
            (Confirm::End { current: true, .. }, Ok(_)) => navigate("/login?signed_out=logged_out"),
            (Confirm::End { id, .. }, Ok(ended)) => {
                REAUTH_UNTIL.set(ended.reauth_until);
                remove_rows(Some(&id));
                done(notice_text("terminated", 1));
            }
            (Confirm::Others, Ok(ended)) => {
                REAUTH_UNTIL.set(ended.reauth_until);
                remove_rows(None);
                done(notice_text("others_ended", ended.count));
            }
            (_, Err(AppError::SignedOut)) => navigate("/login"),
            (what, Err(AppError::SessionNotFound)) => {
                if let Confirm::End { id, .. } = what {
                    remove_rows(Some(&id));
                }
                done(notice_text("already_ended", 1));
            }
            (_, Err(e @ (AppError::ReauthRequired | AppError::WrongPassword))) => {
                REAUTH_UNTIL.set(0);
                password_field(true);
                set_text("confirm-error", &e.to_string());
                focus(PASSWORD_ID);
            }
            (_, Err(e)) => set_text("confirm-error", &e.to_string()),
        }
    }

    /// Closes the modal, says what happened and puts focus on the list (never the page top).
    fn done(message: Option<String>) {
        close_dialog();
        set_text(STATUS_ID, &message.unwrap_or_default());
        focus(LIST_ID);
    }

    /// Removes one row, or every row but this device's; shows the "only session" note when
    /// nothing else is left.
    fn remove_rows(id: Option<&str>) {
        for row in all("[data-session-id]") {
            let gone = match id {
                Some(id) => row.get_attribute("data-session-id").as_deref() == Some(id),
                None => !row.has_attribute("data-current"),
            };
            if gone {
                row.remove();
            }
        }
        if all("[data-session-id]:not([data-current])").is_empty() {
            for el in all("[data-only-note]") {
                show(&el, true);
            }
            for el in all("[data-bulk]") {
                show(&el, false);
            }
        }
    }

    fn navigate(to: &str) {
        let _ = window().location().assign(to);
    }
}

#[cfg(not(feature = "hydrate"))]
pub mod live {
    pub fn start() {}
    pub fn on_click<E>(_ev: &E) {}
    pub fn on_keydown<E>(_ev: &E) {}
    pub fn on_focusout<E>(_ev: &E) {}
    pub fn on_submit<E>(_ev: &E) {}
}

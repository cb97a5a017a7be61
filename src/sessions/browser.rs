//! The Active sessions list's behaviour in the browser: ⋮ menus, the confirm modal, log out
//! all others, local and ticking times. It enhances the server's HTML in place (event
//! delegation, a few DOM calls, the server functions) and finds everything through
//! [`super::contract`]. Started by the signed-in pages' island (`app::layout::Live`).

use super::{
    api::{LogoutOtherSessions, TerminateSession},
    calls,
    confirm::Confirm,
    contract::{data, data_literal, id, select},
    types::{Ended, Notice},
};
use crate::infra::{error::AppError, routes, timefmt};
use leptos::{prelude::*, server_fn::ServerFn};
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
    let Some(list) = by_id(id::LIST) else { return };
    let list = Some(list);
    if let Some(server_now) = list.as_ref().and_then(|l| number(l, data::NOW)) {
        OFFSET.set(server_now - js_sys::Date::now() as i64);
    }
    REAUTH_UNTIL.set(list.as_ref().and_then(|l| number(l, data::REAUTH_UNTIL)).unwrap_or(0));
    localize();
    for panel in all(".sessions-panel") {
        let _ = panel.set_attribute(data::LIVE, "");
    }
    tick();
    gloo_timers::callback::Interval::new(15_000, tick).forget();
}

/// Shows sign-in times in the viewer's time zone.
fn localize() {
    for el in all(concat!("time[", data_literal!(LOCAL), "]")) {
        if let Some(ms) = number(&el, data::LOCAL) {
            let text = js_sys::Date::new(&(ms as f64).into()).to_locale_string("default", &LOCAL_FORMAT.with(Clone::clone));
            el.set_text_content(Some(&String::from(text)));
        }
    }
}

/// Keeps "Updated 3 minutes ago" and Active now / Idle true as time passes.
fn tick() {
    let now = now();
    for el in all(select::AGO) {
        if let Some(ms) = number(&el, data::AGO) {
            el.set_text_content(Some(&timefmt::ago(now, ms)));
        }
    }
    for el in all(select::ACTIVE_UNTIL) {
        if number(&el, data::ACTIVE_UNTIL).is_some_and(|until| now >= until) {
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
    if let Some(id) = closest(&target, select::MENU_BUTTON).and_then(|b| b.get_attribute(data::MENU_BUTTON)) {
        toggle_menu(&id);
    } else if let Some(item) = closest(&target, select::END) {
        let row = closest(&item, select::SESSION_ID);
        let (Some(id), Some(row)) = (item.get_attribute(data::END), row) else { return };
        ask(Confirm::End {
            id,
            device: row.get_attribute(data::DEVICE).unwrap_or_default(),
            current: row.has_attribute(data::CURRENT),
        });
    } else if closest(&target, select::END_OTHERS).is_some() {
        ask(Confirm::Others);
    } else if closest(&target, select::CANCEL).is_some() {
        cancel();
    }
}

fn set_menu(id: &str, open: bool) {
    if let Some(button) = by_id(&id::menu_button(id)) {
        let _ = button.set_attribute("aria-expanded", if open { "true" } else { "false" });
    }
    if let Some(menu) = by_id(&id::menu(id)) {
        show(&menu, open);
    }
}

fn open_menu() -> Option<String> {
    all(concat!("[", data_literal!(MENU_BUTTON), "][aria-expanded=true]")).first()?.get_attribute(data::MENU_BUTTON)
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
    if let Some(item) = by_id(&id::menu(id))
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
    if let Some(id) = target.get_attribute(data::MENU_BUTTON) {
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
            focus(&id::menu_button(&id));
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
    let wrapper = by_id(&id::menu_button(&id)).and_then(|b| b.parent_element());
    let inside = next.zip(wrapper).is_some_and(|(next, wrapper)| wrapper.contains(Some(&next)));
    if !inside {
        set_menu(&id, false);
    }
}

fn dialog() -> Option<web_sys::HtmlDialogElement> {
    by_id(id::DIALOG)?.dyn_into().ok()
}

fn ask(what: Confirm) {
    close_menus();
    let asks_password = what.asks_password(now(), REAUTH_UNTIL.get());
    set_text(id::HEADING, &what.heading());
    set_text(id::BODY, what.body());
    set_text(id::ACTION, what.action());
    set_text(id::ERROR, "");
    password_field(asks_password);
    ASKING.set(Some(what));
    if let Some(dialog) = dialog() {
        let _ = dialog.show_modal();
    }
    // Destructive by default? No: focus starts on the password, or on Cancel.
    if asks_password {
        focus(id::PASSWORD);
    } else if let Some(cancel) = by_id(id::DIALOG).and_then(|d| d.query_selector(select::CANCEL).ok().flatten()) {
        if let Ok(cancel) = cancel.dyn_into::<HtmlElement>() {
            let _ = cancel.focus();
        }
    }
}

/// A modal dialog makes the page inert, but Tab could still leave for the browser's own
/// controls: wrap around inside the dialog instead.
fn keep_focus_in_dialog(ev: &web_sys::KeyboardEvent) {
    let Some(dialog) = by_id(id::DIALOG) else { return };
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
    if let Some(field) = by_id(id::PASSWORD_FIELD) {
        show(&field, needed);
    }
    if let Some(input) = by_id(id::PASSWORD).and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok()) {
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

/// Where focus goes back to when the modal is cancelled.
fn return_focus(what: &Confirm) -> String {
    match what {
        Confirm::End { id: session, .. } => id::menu_button(session),
        Confirm::Others => id::BULK.to_owned(),
    }
}

fn cancel() {
    if let Some(what) = close_dialog() {
        focus(&return_focus(&what));
    }
}

fn busy(pending: bool) {
    PENDING.set(pending);
    if let Some(button) = by_id(id::ACTION) {
        let _ = if pending { button.set_attribute("disabled", "") } else { button.remove_attribute("disabled") };
    }
}

/// The modal's confirm button: run the server function, then show what happened.
pub fn on_submit(ev: &web_sys::SubmitEvent) {
    let Some(form) = target(ev) else { return };
    if !form.has_attribute(data::CONFIRM) {
        return;
    }
    ev.prevent_default();
    let Some(what) = ASKING.with_borrow(Clone::clone) else { return };
    if PENDING.get() {
        return;
    }
    busy(true);
    set_text(id::ERROR, "");
    let password = by_id(id::PASSWORD)
        .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok())
        .map(|i| i.value())
        .filter(|p| !p.is_empty());
    leptos::task::spawn_local(async move {
        let result = match &what {
            Confirm::End { id, .. } => calls::post(TerminateSession::PATH, &[("id", Some(id.as_str())), ("password", password.as_deref())]).await,
            Confirm::Others => calls::post(LogoutOtherSessions::PATH, &[("password", password.as_deref())]).await,
        };
        busy(false);
        finish(what, result);
    });
}

fn finish(what: Confirm, result: Result<Ended, AppError>) {
    match (what, result) {
        (Confirm::End { current: true, .. }, Ok(ended)) => navigate(ended.next.as_deref().unwrap_or(routes::LOGIN)),
        (Confirm::End { id, .. }, Ok(ended)) => {
            REAUTH_UNTIL.set(ended.reauth_until);
            remove_rows(Some(&id));
            done(Notice::Terminated.text());
        }
        (Confirm::Others, Ok(ended)) => {
            REAUTH_UNTIL.set(ended.reauth_until);
            remove_rows(None);
            done(Notice::OthersEnded(ended.count).text());
        }
        (_, Err(AppError::SignedOut)) => navigate(routes::LOGIN),
        (what, Err(AppError::SessionNotFound)) => {
            if let Confirm::End { id, .. } = what {
                remove_rows(Some(&id));
            }
            done(Notice::AlreadyEnded.text());
        }
        (_, Err(e @ (AppError::ReauthRequired | AppError::WrongPassword))) => {
            REAUTH_UNTIL.set(0);
            password_field(true);
            set_text(id::ERROR, &sentence(&e));
            focus(id::PASSWORD);
        }
        (_, Err(e)) => set_text(id::ERROR, &sentence(&e)),
    }
}

/// What the page says about an error (its sentences are in the dialog's markup).
fn sentence(error: &AppError) -> String {
    let selector = format!("[{}={}]", data::ERROR_MESSAGE, error.code());
    document()
        .query_selector(&selector)
        .ok()
        .flatten()
        .or_else(|| document().query_selector(concat!("[", data_literal!(ERROR_MESSAGE), "=internal]")).ok().flatten())
        .and_then(|el| el.text_content())
        .unwrap_or_default()
}

/// Closes the modal, says what happened and puts focus on the list (never the page top).
fn done(message: String) {
    close_dialog();
    set_text(id::STATUS, &message);
    focus(id::LIST);
}

/// Removes one row, or every row but this device's; shows the "only session" note when
/// nothing else is left.
fn remove_rows(id: Option<&str>) {
    for row in all(select::SESSION_ID) {
        let gone = match id {
            Some(id) => row.get_attribute(data::SESSION_ID).as_deref() == Some(id),
            None => !row.has_attribute(data::CURRENT),
        };
        if gone {
            row.remove();
        }
    }
    notes();
}

/// The "only device" note and the bulk action follow what the list holds.
fn notes() {
    let alone = all(concat!("[", data_literal!(SESSION_ID), "]:not([", data_literal!(CURRENT), "])")).is_empty();
    for el in all(select::ONLY_NOTE) {
        show(&el, alone);
    }
    for el in all(select::BULK) {
        show(&el, !alone);
    }
}

/// Live list: a session of the account ended elsewhere.
pub fn session_removed(id: &str) {
    if all(select::SESSION_ID).iter().any(|row| row.get_attribute(data::SESSION_ID).as_deref() == Some(id)) {
        remove_rows(Some(id));
    }
}

/// Live list: a new sign-in, as the server rendered its row. Placed after this device's row
/// (the newest activity first), announced politely, with local and ticking times.
pub fn session_added(row_html: &str) {
    let Some(list) = by_id(id::LIST) else { return };
    let after = all(select::CURRENT).into_iter().next();
    let _ = match &after {
        Some(current) => current.insert_adjacent_html("afterend", row_html),
        None => list.insert_adjacent_html("afterbegin", row_html),
    };
    let added = match &after {
        Some(current) => current.next_element_sibling(),
        None => list.first_element_child(),
    };
    if let Some(row) = added {
        let device = row.get_attribute(data::DEVICE).unwrap_or_default();
        let place = row.get_attribute(data::PLACE).unwrap_or_default();
        set_text(id::STATUS, &format!("New sign-in: {device}, {place}"));
    }
    localize();
    tick();
    notes();
}

/// Live list: every row again, as the server renders them now (after the stream reconnected).
pub fn sessions_replaced(rows_html: &str) {
    if let Some(list) = by_id(id::LIST) {
        list.set_inner_html(rows_html);
        localize();
        tick();
        notes();
    }
}

/// Whether this page shows the Active sessions list.
pub fn shows_list() -> bool {
    by_id(id::LIST).is_some()
}

fn navigate(to: &str) {
    let _ = window().location().assign(to);
}

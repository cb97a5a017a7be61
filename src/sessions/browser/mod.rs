//! The Active sessions list's behaviour in the browser: ⋮ menus, the confirm modal, log out
//! all others, local and ticking times. It enhances the server's HTML in place (event
//! delegation, a few DOM calls, the server functions) and finds everything through
//! [`super::contract`]. Started by the signed-in pages' island (`app::layout::Live`).

mod dom;
mod modal;

use super::{
    confirm::Confirm,
    contract::{data, data_literal, id, select},
};
use crate::infra::timefmt;
use dom::{all, by_id, closest, focus, number, set_text, show, target};
use leptos::prelude::*;
use modal::ask;
pub use modal::on_submit;
use std::cell::Cell;
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
}

pub(super) fn now() -> i64 {
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
    modal::set_reauth_until(list.as_ref().and_then(|l| number(l, data::REAUTH_UNTIL)).unwrap_or(0));
    localize();
    for panel in all(".sessions-panel") {
        let _ = panel.set_attribute(data::LIVE, "");
    }
    tick();
    gloo_timers::callback::Interval::new(15_000, tick).forget();
}

/// New markup from the server (a row again): its times in the viewer's zone, ticking.
pub(super) fn refresh_times() {
    localize();
    tick();
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

/// The session a menu item acts on (`attribute` names it) and its row.
fn item_row(target: &Element, selector: &str, attribute: &str) -> Option<(String, Element)> {
    let item = closest(target, selector)?;
    Some((item.get_attribute(attribute)?, closest(&item, select::SESSION_ID)?))
}

/// ⋮ buttons, menu items, the bulk button and the modal's Cancel.
pub fn on_click(ev: &web_sys::MouseEvent) {
    let Some(target) = target(ev) else { return };
    let device = |row: &Element| row.get_attribute(data::DEVICE).unwrap_or_default();
    if let Some(id) = closest(&target, select::MENU_BUTTON).and_then(|b| b.get_attribute(data::MENU_BUTTON)) {
        toggle_menu(&id);
    } else if let Some((id, row)) = item_row(&target, select::END, data::END) {
        ask(Confirm::End { id, device: device(&row), current: row.has_attribute(data::CURRENT) });
    } else if let Some((id, row)) = item_row(&target, select::RENAME, data::RENAME) {
        let named = row.has_attribute(data::NAMED);
        ask(Confirm::Rename { id, device: device(&row) });
        if let Some(input) = by_id(id::NAME).and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok()) {
            input.set_value(&if named { device(&row) } else { String::new() });
        }
    } else if let Some((id, row)) = item_row(&target, select::NOT_ME, data::NOT_ME) {
        ask(Confirm::NotMe { id, device: device(&row) });
    } else if closest(&target, select::END_OTHERS).is_some() {
        ask(Confirm::Others);
    } else if closest(&target, select::CANCEL).is_some() {
        modal::cancel();
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

pub(super) fn close_menus() {
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

/// The items of a row's menu, in order.
fn menu_items(id: &str) -> Vec<HtmlElement> {
    let Some(menu) = by_id(&id::menu(id)) else { return vec![] };
    let Ok(list) = menu.query_selector_all("[role=menuitem]") else { return vec![] };
    (0..list.length()).filter_map(|i| list.item(i)?.dyn_into::<HtmlElement>().ok()).collect()
}

/// Focuses the item `step` places after the focused one (wrapping), or the first.
fn focus_item_by(id: &str, step: isize) {
    let items = menu_items(id);
    if items.is_empty() {
        return;
    }
    let active = document().active_element();
    let at = items.iter().position(|i| active.as_ref().is_some_and(|a| a == i.as_ref() as &Element));
    let next = match at {
        Some(at) => (at as isize + step).rem_euclid(items.len() as isize) as usize,
        None => 0,
    };
    let _ = items[next].focus();
}

fn focus_item(id: &str) {
    if let Some(first) = menu_items(id).first() {
        let _ = first.focus();
    }
}

/// The menu keyboard (Enter and Space are the button's own click), and Esc in the modal.
pub fn on_keydown(ev: &web_sys::KeyboardEvent) {
    let Some(target) = target(ev) else { return };
    let key = ev.key();
    if modal::on_keydown(ev) {
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
        "ArrowDown" | "ArrowUp" => {
            ev.prevent_default();
            focus_item_by(&id, if key == "ArrowDown" { 1 } else { -1 });
        }
        "Home" => {
            ev.prevent_default();
            focus_item(&id);
        }
        "End" => {
            ev.prevent_default();
            if let Some(last) = menu_items(&id).last() {
                let _ = last.focus();
            }
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

/// Removes one row, or every row but this device's; shows the "only session" note when
/// nothing else is left.
pub(super) fn remove_rows(id: Option<&str>) {
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

pub(super) fn navigate(to: &str) {
    let _ = window().location().assign(to);
}

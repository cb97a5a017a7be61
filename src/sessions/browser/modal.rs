//! The confirm modal: what it asks (from [`Confirm`]), the server function it calls, and
//! what the list shows after.

use super::{
    super::{
        api::{LogoutOtherSessions, NotMe, RenameSession, TerminateSession},
        calls,
        confirm::Confirm,
        contract::{data, data_literal, id, select},
        types::{Ended, Notice, Renamed},
    },
    close_menus,
    dom::{all, by_id, closest, focus, set_text, show, target},
    navigate, now, remove_rows,
};
use crate::infra::{error::AppError, routes};
use leptos::{prelude::*, server_fn::ServerFn};
use std::cell::{Cell, RefCell};
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};

thread_local! {
    /// Until when ending other sessions needs no password.
    static REAUTH_UNTIL: Cell<i64> = const { Cell::new(0) };
    /// What the open modal asks about.
    static ASKING: RefCell<Option<Confirm>> = const { RefCell::new(None) };
    static PENDING: Cell<bool> = const { Cell::new(false) };
}

pub(super) fn set_reauth_until(until: i64) {
    REAUTH_UNTIL.set(until);
}

/// Esc and Tab while the modal is open (true: the key was the modal's).
pub(super) fn on_keydown(ev: &web_sys::KeyboardEvent) -> bool {
    if ASKING.with_borrow(Option::is_none) {
        return false;
    }
    match ev.key().as_str() {
        "Escape" => {
            ev.prevent_default();
            if !PENDING.get() {
                cancel();
            }
        }
        "Tab" => keep_focus_in_dialog(ev),
        _ => {}
    }
    true
}

fn dialog() -> Option<web_sys::HtmlDialogElement> {
    by_id(id::DIALOG)?.dyn_into().ok()
}

pub(super) fn ask(what: Confirm) {
    close_menus();
    let asks_password = what.asks_password(now(), REAUTH_UNTIL.get());
    set_text(id::HEADING, &what.heading());
    set_text(id::BODY, what.body());
    set_text(id::ACTION, what.action());
    set_text(id::ERROR, "");
    password_field(asks_password);
    let renaming = matches!(what, Confirm::Rename { .. });
    if let Some(field) = by_id(id::NAME_FIELD) {
        show(&field, renaming);
    }
    set_class(id::ACTION, if renaming { "button primary" } else { "button danger" });
    ASKING.set(Some(what));
    if let Some(dialog) = dialog() {
        let _ = dialog.show_modal();
    }
    // Destructive by default? No: focus starts on the field to fill, or on Cancel.
    if renaming {
        focus(id::NAME);
    } else if asks_password {
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

fn set_class(id: &str, class: &str) {
    if let Some(el) = by_id(id) {
        let _ = el.set_attribute("class", class);
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
        Confirm::End { id: session, .. } | Confirm::NotMe { id: session, .. } | Confirm::Rename { id: session, .. } => {
            id::menu_button(session)
        }
        Confirm::Others => id::BULK.to_owned(),
    }
}

pub(super) fn cancel() {
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
    let value = |id: &str| by_id(id).and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok()).map(|i| i.value());
    let password = value(id::PASSWORD).filter(|p| !p.is_empty());
    let name = value(id::NAME).unwrap_or_default();
    leptos::task::spawn_local(async move {
        let password = ("password", password.as_deref());
        let result = match &what {
            Confirm::End { id, .. } => calls::post(TerminateSession::PATH, &[("id", Some(id.as_str())), password]).await,
            Confirm::Others => calls::post(LogoutOtherSessions::PATH, &[password]).await,
            Confirm::NotMe { id, .. } => calls::post(NotMe::PATH, &[("id", Some(id.as_str())), password]).await,
            Confirm::Rename { id, .. } => {
                let renamed = calls::post(RenameSession::PATH, &[("id", Some(id.as_str())), ("name", Some(name.as_str()))]).await;
                busy(false);
                return renamed_row(id, renamed);
            }
        };
        busy(false);
        finish(what, result);
    });
}

/// A rename came back: the row is rendered again by the server (its name, the device label
/// beside it), and focus returns to its ⋮ button.
fn renamed_row(id: &str, result: Result<Renamed, AppError>) {
    match result {
        Ok(Renamed(_)) => {
            close_dialog();
            let id = id.to_owned();
            leptos::task::spawn_local(async move {
                let row = all(select::SESSION_ID).into_iter().find(|r| r.get_attribute(data::SESSION_ID).as_deref() == Some(&id));
                if let (Some(row), Some(html)) = (row, calls::get_text(&routes::session_row(&id)).await) {
                    row.set_outer_html(&html);
                    super::refresh_times();
                }
                set_text(id::STATUS, &Notice::Renamed.text());
                focus(&id::menu_button(&id));
            });
        }
        Err(AppError::SignedOut) => navigate(routes::LOGIN),
        Err(e) => set_text(id::ERROR, &sentence(&e)),
    }
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
        (Confirm::NotMe { .. }, Ok(ended)) => navigate(ended.next.as_deref().unwrap_or(routes::ACCOUNT_SETTINGS)),
        // Renames finish in `renamed_row`.
        (Confirm::Rename { .. }, Ok(_)) => {}
        (_, Err(AppError::SignedOut)) => navigate(routes::LOGIN),
        (what, Err(AppError::SessionNotFound)) => {
            if let Confirm::End { id, .. } | Confirm::NotMe { id, .. } = what {
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
pub(super) fn sentence(error: &AppError) -> String {
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

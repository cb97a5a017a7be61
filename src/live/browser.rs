//! The live stream in the browser: one `EventSource` per signed-in tab. When the tab's session
//! ends, the page says so (an `alert` with the reason and a "Log in" link) and stops. On the
//! Active sessions page, other sessions' starts and endings update the list in place. When
//! the connection drops, a quiet "Reconnecting…", a new try after a growing pause, and once
//! back, the list is read again.

use super::contract::{ENDED_MESSAGE, LIVE_STATUS, NEW_SIGN_IN, NEW_SIGN_IN_TEXT, RECONNECTING, SIGNED_OUT, SIGNED_OUT_TEXT, STREAM_STATE};
use crate::{infra::routes, sessions::browser as list};
use leptos::prelude::*;
use std::cell::{Cell, RefCell};
use wasm_bindgen::{JsCast, closure::Closure};
use web_sys::{Element, EventSource, MessageEvent};

thread_local! {
    static SOURCE: RefCell<Option<EventSource>> = const { RefCell::new(None) };
    /// Milliseconds to wait before the next reconnection (doubles, up to half a minute).
    static BACKOFF: Cell<u32> = const { Cell::new(1000) };
    /// Whether the stream dropped since it last opened (the list is re-read when it is back).
    static DROPPED: Cell<bool> = const { Cell::new(false) };
}

fn element(id: &str) -> Option<Element> {
    document().get_element_by_id(id)
}

fn sentence(attribute: &str, value: Option<&str>) -> String {
    let selector = match value {
        Some(value) => format!("[{attribute}={value}]"),
        None => format!("[{attribute}]"),
    };
    document().query_selector(&selector).ok().flatten().and_then(|e| e.text_content()).unwrap_or_default()
}

fn status(text: &str) {
    if let Some(el) = element(LIVE_STATUS) {
        el.set_text_content(Some(text));
    }
}

fn stream_state(open: bool) {
    if let Some(el) = element(LIVE_STATUS) {
        let _ = if open { el.set_attribute(STREAM_STATE, "open") } else { el.remove_attribute(STREAM_STATE) };
    }
}

/// Opens the stream (on signed-in pages: they carry the signed-out alert), and follows the
/// browser's own idea of being online: a stream may hang on a dead network without an error.
pub fn start() {
    if element(SIGNED_OUT).is_none() {
        return;
    }
    connect();
    let offline = Closure::<dyn FnMut()>::new(|| {
        if SOURCE.with_borrow(Option::is_some) {
            close();
            DROPPED.set(true);
            status(&sentence(RECONNECTING, None));
        }
    });
    let online = Closure::<dyn FnMut()>::new(|| {
        if SOURCE.with_borrow(Option::is_none) && DROPPED.get() {
            connect();
        }
    });
    let _ = window().add_event_listener_with_callback("offline", offline.as_ref().unchecked_ref());
    let _ = window().add_event_listener_with_callback("online", online.as_ref().unchecked_ref());
    offline.forget();
    online.forget();
}

fn listen(source: &EventSource, name: &str, handler: impl FnMut(MessageEvent) + 'static) {
    let handler = Closure::<dyn FnMut(MessageEvent)>::new(handler);
    let _ = source.add_event_listener_with_callback(name, handler.as_ref().unchecked_ref());
    handler.forget();
}

fn connect() {
    let Ok(source) = EventSource::new(routes::EVENTS) else { return };
    listen(&source, "open", |_| {
        BACKOFF.set(1000);
        status("");
        stream_state(true);
        if DROPPED.replace(false) && list::shows_list() {
            fetch_then(routes::SESSION_ROWS.to_owned(), |html| list::sessions_replaced(&html));
        }
    });
    listen(&source, "ended", |ev| signed_out(ev.data().as_string().as_deref().unwrap_or("logged_out")));
    listen(&source, "sessions", |ev| {
        let data = ev.data().as_string().unwrap_or_default();
        match data.split_once(' ') {
            Some(("added", id)) if list::shows_list() => {
                fetch_then(routes::session_row(id), |html| list::session_added(&html));
            }
            Some(("removed", id)) => list::session_removed(id),
            _ if data == "refresh" && list::shows_list() => {
                fetch_then(routes::SESSION_ROWS.to_owned(), |html| list::sessions_replaced(&html));
            }
            _ => {}
        }
    });
    // A sign-in from a new device or country: a banner on every open tab of the account.
    listen(&source, "alert", |ev| {
        if let (Some(text), Some(banner)) = (element(NEW_SIGN_IN_TEXT), element(NEW_SIGN_IN)) {
            text.set_text_content(ev.data().as_string().as_deref());
            let _ = banner.remove_attribute("hidden");
        }
    });
    // The browser would retry at once and forever; we retry with a growing pause instead.
    let onerror = Closure::<dyn FnMut()>::new(|| {
        close();
        DROPPED.set(true);
        status(&sentence(RECONNECTING, None));
        let wait = BACKOFF.get();
        BACKOFF.set((wait * 2).min(30_000));
        gloo_timers::callback::Timeout::new(wait, || {
            if SOURCE.with_borrow(Option::is_none) {
                connect();
            }
        })
        .forget();
    });
    source.set_onerror(Some(onerror.as_ref().unchecked_ref()));
    onerror.forget();
    SOURCE.set(Some(source));
}

fn close() {
    stream_state(false);
    if let Some(source) = SOURCE.take() {
        source.close();
    }
}

/// This tab's session ended: say so, and why, with the way back in.
fn signed_out(reason: &str) {
    close();
    status("");
    if let Some(text) = element(SIGNED_OUT_TEXT) {
        text.set_text_content(Some(&sentence(ENDED_MESSAGE, Some(reason))));
    }
    if let Some(alert) = element(SIGNED_OUT) {
        let _ = alert.remove_attribute("hidden");
    }
}

/// GETs `url` and hands its text to `then` (nothing happens if the request fails: the next
/// event, or the next reconnection, brings the list up to date).
fn fetch_then(url: String, then: impl FnOnce(String) + 'static) {
    leptos::task::spawn_local(async move {
        if let Some(text) = crate::sessions::calls::get_text(&url).await {
            then(text);
        }
    });
}

//! The few DOM calls the list's browser code makes, in one place.

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};

pub(super) fn by_id(id: &str) -> Option<Element> {
    document().get_element_by_id(id)
}

pub(super) fn html(id: &str) -> Option<HtmlElement> {
    by_id(id)?.dyn_into().ok()
}

pub(super) fn all(selector: &str) -> Vec<Element> {
    let Ok(list) = document().query_selector_all(selector) else { return vec![] };
    (0..list.length()).filter_map(|i| list.item(i)?.dyn_into::<Element>().ok()).collect()
}

pub(super) fn number(el: &Element, attribute: &str) -> Option<i64> {
    el.get_attribute(attribute)?.parse().ok()
}

pub(super) fn set_text(id: &str, text: &str) {
    if let Some(el) = by_id(id) {
        el.set_text_content(Some(text));
    }
}

pub(super) fn show(el: &Element, visible: bool) {
    let _ = if visible { el.remove_attribute("hidden") } else { el.set_attribute("hidden", "") };
}

pub(super) fn focus(id: &str) {
    if let Some(el) = html(id) {
        let _ = el.focus();
    }
}

pub(super) fn target(ev: &web_sys::Event) -> Option<Element> {
    ev.target()?.dyn_into::<Element>().ok()
}

pub(super) fn closest(el: &Element, selector: &str) -> Option<Element> {
    el.closest(selector).ok().flatten()
}

//! How the list's browser code calls the server: the page's own server functions, with the
//! same fields its forms post, through `fetch` — no client library in the WASM (it cost about
//! 8 KiB of the page's 64 KiB budget).

use crate::infra::{codec::Wire, error::AppError};
use leptos::prelude::window;
use wasm_bindgen::JsCast;

/// Calls a server function the way the page's own forms do (form fields in, its one-line
/// text answer out), with `fetch`: the same endpoints, without a client library in the WASM.
pub async fn post<T: Wire>(path: &str, fields: &[(&str, Option<&str>)]) -> Result<T, AppError> {
    let body = fields
        .iter()
        .filter_map(|(k, v)| v.map(|v| format!("{k}={}", String::from(js_sys::encode_uri_component(v)))))
        .collect::<Vec<_>>()
        .join("&");
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&body.into());
    let headers = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&headers, &"content-type".into(), &"application/x-www-form-urlencoded".into());
    init.set_headers(&headers);
    let response = wasm_bindgen_futures::JsFuture::from(window().fetch_with_str_and_init(path, &init))
        .await
        .ok()
        .and_then(|r| r.dyn_into::<web_sys::Response>().ok())
        .ok_or(AppError::Network)?;
    let text = match response.text() {
        Ok(text) => wasm_bindgen_futures::JsFuture::from(text).await.ok().and_then(|t| t.as_string()).unwrap_or_default(),
        Err(_) => String::new(),
    };
    if response.ok() {
        T::from_wire(text.trim()).ok_or(AppError::Internal)
    } else {
        Err(AppError::from_wire(text.trim()).unwrap_or(AppError::Internal))
    }
}


/// GETs `url` as text (a server-rendered fragment); `None` if the request failed.
pub async fn get_text(url: &str) -> Option<String> {
    let response = wasm_bindgen_futures::JsFuture::from(window().fetch_with_str(url)).await.ok()?;
    let response = response.dyn_into::<web_sys::Response>().ok()?;
    if !response.ok() {
        return None;
    }
    wasm_bindgen_futures::JsFuture::from(response.text().ok()?).await.ok()?.as_string()
}

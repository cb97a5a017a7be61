//! What every signed-in page carries for the live stream: the alert a tab shows when its
//! session ends (hidden until then), the sentences for each reason (so the browser code
//! carries none), and a quiet status line.

use super::contract::{ENDED_MESSAGE, LIVE_STATUS, NEW_SIGN_IN, NEW_SIGN_IN_TEXT, RECONNECTING, SIGNED_OUT, SIGNED_OUT_TEXT};
use crate::{identity::model::EndReason, infra::routes};
use leptos::{attr::custom::custom_attribute, prelude::*};

#[component]
pub fn LiveMarkup() -> impl IntoView {
    view! {
        <div id=SIGNED_OUT class="signed-out message error" role="alert" hidden>
            <p id=SIGNED_OUT_TEXT></p>
            <p><a class="button primary" href=routes::LOGIN>"Log in"</a></p>
        </div>
        // The live region stays in the page; the banner inside it appears (and is announced).
        <div role="status" class="banner-region">
            <div id=NEW_SIGN_IN class="message notice new-sign-in" hidden>
                <p id=NEW_SIGN_IN_TEXT></p>
                <p>"Not you? " <a href=routes::ACTIVE_SESSIONS>"Review your sessions"</a></p>
            </div>
        </div>
        <p id=LIVE_STATUS class="live-status" role="status"></p>
        <div hidden>
            {EndReason::ALL
                .iter()
                .map(|r| view! { <p {..custom_attribute(ENDED_MESSAGE, r.as_str())}>{format!("You were signed out. {}.", r.message())}</p> })
                .collect_view()}
            <p {..custom_attribute(RECONNECTING, "")}>"Reconnecting…"</p>
        </div>
    }
}

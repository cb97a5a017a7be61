//! The console's view of webhooks: each endpoint with its health (failing since when, or
//! disabled after days of failure), and the latest delivery attempts with status, latency and
//! error. Endpoints are managed on the server (`active-sessions webhook …`).

use super::api::{DeliveryRow, WebhookRow};
use crate::infra::timefmt;
use leptos::prelude::*;

fn health(w: &WebhookRow) -> String {
    match (w.disabled_at, w.failing_since) {
        (Some(at), _) => format!("Disabled {} after days of failed deliveries (webhook test enables it)", timefmt::utc(at)),
        (None, Some(since)) => format!("Failing since {}", timefmt::utc(since)),
        (None, None) => "Delivering".to_owned(),
    }
}

#[component]
pub fn Webhooks(webhooks: Vec<WebhookRow>, deliveries: Vec<DeliveryRow>) -> impl IntoView {
    let none = webhooks.is_empty();
    view! {
        <section class="card" aria-labelledby="webhooks-heading">
            <h2 id="webhooks-heading">"Webhooks"</h2>
            {none.then(|| view! {
                <p class="hint">"No endpoints. Add one on the server: "<code>"active-sessions webhook add URL"</code></p>
            })}
            <ul class="hook-list" aria-label="Webhook endpoints">
                {webhooks.into_iter().map(|w| {
                    let state = health(&w);
                    let bad = w.disabled_at.is_some() || w.failing_since.is_some();
                    let events = if w.events == "*" { "every event".to_owned() } else { w.events.replace(',', ", ") };
                    view! {
                        <li>
                            <code>{w.url}</code>
                            <span class="session-meta">{format!(" · {events} · {} waiting", w.pending)}</span>
                            <br />
                            <span class:hook-failing=bad>{state}</span>
                        </li>
                    }
                }).collect_view()}
            </ul>
            {(!deliveries.is_empty()).then(|| view! {
                <h3>"Recent deliveries"</h3>
                <ul class="hook-list" aria-label="Webhook deliveries">
                    {deliveries.into_iter().map(|d| {
                        let answer = d.status.map_or_else(|| "no answer".to_owned(), |s| s.to_string());
                        let outcome = d.error.unwrap_or_else(|| "delivered".to_owned());
                        view! {
                            <li>
                                {format!("{} · {} · delivery {} · {answer} in {} ms · {outcome}", timefmt::utc(d.at), d.event_type, d.id, d.latency_ms)}
                                <br />
                                <code>{d.url}</code>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            })}
        </section>
    }
}

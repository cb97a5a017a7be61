//! The account's security activity: sign-ins (and how), failed attempts, sessions ended,
//! password and two-factor changes — newest first, a page at a time.

use crate::{
    identity::model::EventView,
    infra::{error::AppError, routes, timefmt},
};
use leptos::prelude::*;
use leptos_meta::{Stylesheet, Title};
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

/// Events per page.
pub const PAGE_SIZE: i64 = 25;

/// One page of the activity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityPage {
    pub events: Vec<EventView>,
    /// The server's clock (ms since the epoch), for "3 minutes ago".
    pub now: i64,
    /// 1 for the newest.
    pub page: u32,
    pub has_older: bool,
}

#[server(endpoint = "security_activity")]
pub async fn security_activity(page: Option<u32>) -> Result<ActivityPage, AppError> {
    let me = crate::identity::web::SignedIn::get()?;
    let page = page.unwrap_or(1).clamp(1, 10_000);
    // One more than a page: whether there is an older page.
    let mut found = me.identity.security_log.page(me.session.user_id, PAGE_SIZE + 1, i64::from(page - 1) * PAGE_SIZE).await?;
    let has_older = found.len() as i64 > PAGE_SIZE;
    found.truncate(PAGE_SIZE as usize);
    Ok(ActivityPage { events: found, now: me.identity.clock.now_ms(), page, has_older })
}

fn page_link(page: u32) -> String {
    if page <= 1 { routes::SECURITY_ACTIVITY.to_owned() } else { format!("{}?page={page}", routes::SECURITY_ACTIVITY) }
}

#[component]
fn EventItem(event: EventView, now: i64) -> impl IntoView {
    let place = [Some(event.device.clone()), Some(event.ip.clone()), event.location.clone()]
        .into_iter()
        .flatten()
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" · ");
    view! {
        <li class="event" data-kind=event.kind.as_str()>
            <p class="event-title">
                {event.kind.title()}
                {event.detail.map(|d| view! { <span class="event-detail">{format!(" — {d}")}</span> })}
            </p>
            <p class="session-meta">{place}</p>
            <p class="session-times">{timefmt::ago(now, event.at)}</p>
        </li>
    }
}

/// A list of security events, newest first (the account's own page, and an administrator's
/// view of an account).
#[component]
pub fn EventList(events: Vec<EventView>, now: i64, label: &'static str) -> impl IntoView {
    view! {
        <ul class="event-list" aria-label=label>
            {events.into_iter().map(|event| view! { <EventItem event now /> }).collect_view()}
        </ul>
    }
}

#[component]
pub fn SecurityActivityPage() -> impl IntoView {
    let page = use_query_map().get_untracked().get("page").and_then(|p| p.parse::<u32>().ok());
    let activity = Resource::new_blocking(move || page, security_activity);
    view! {
        <Title text="Security activity" />
        <Stylesheet href=routes::PAGE_STYLES />
        <section class="card" aria-labelledby="activity-heading">
            <h1 id="activity-heading">"Security activity"</h1>
            <p class="lede">"Sign-ins, failed attempts, sessions ended and security changes on your account, newest first."</p>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match activity.await {
                        Ok(a) if a.events.is_empty() && a.page == 1 => {
                            view! { <p class="empty-note">"Nothing has happened yet."</p> }.into_any()
                        }
                        Ok(a) => {
                            let now = a.now;
                            view! {
                                <EventList events=a.events now label="Security activity" />
                                <nav class="pager" aria-label="Pages of security activity">
                                    {(a.page > 1).then(|| view! { <a href=page_link(a.page - 1) rel="prev">"Newer"</a> })}
                                    <span>{format!("Page {}", a.page)}</span>
                                    {a.has_older.then(|| view! { <a href=page_link(a.page + 1) rel="next">"Older"</a> })}
                                </nav>
                            }
                            .into_any()
                        }
                        Err(e) => view! { <p class="message error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

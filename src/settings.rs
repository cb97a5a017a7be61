//! Account settings (sessions, password, deletion) and the list of security events.

use crate::{
    auth::{
        api::{ChangePassword, DeleteAccount},
        pages::{FormError, error_from_query},
    },
    error::AppError,
    events::types::EventView,
    sessions::{pages::SessionsSection, types::notice_text},
    timefmt,
};
use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn AccountSettingsPage() -> impl IntoView {
    let query = use_query_map().get_untracked();
    let notice = query.get("notice").and_then(|code| notice_text(&code, 0));
    let error = error_from_query();
    view! {
        <Title text="Account settings" />
        <h1 class="page-title">"Account settings"</h1>
        {notice.map(|n| view! { <p class="message success" role="status">{n}</p> })}
        <FormError message=error />
        <SessionsSection heading_level=2 messages=false />
        <section class="card" aria-labelledby="password-heading">
            <h2 id="password-heading">"Change password"</h2>
            <form method="post" action=ChangePassword::PATH class="stack narrow-form">
                <div class="field">
                    <label for="current_password">"Current password"</label>
                    <input id="current_password" name="current_password" type="password" autocomplete="current-password" required />
                </div>
                <div class="field">
                    <label for="new_password">"New password"</label>
                    <input id="new_password" name="new_password" type="password" autocomplete="new-password" minlength="8" required aria-describedby="new-password-hint" />
                    <p class="hint" id="new-password-hint">"At least 8 characters; very common passwords are refused."</p>
                </div>
                <label class="check">
                    <input type="checkbox" name="log_out_others" value="on" checked />
                    "Also log out all other sessions"
                </label>
                <div><button type="submit" class="button primary">"Change password"</button></div>
            </form>
        </section>
        <section class="card danger-zone" aria-labelledby="delete-heading">
            <h2 id="delete-heading">"Delete account"</h2>
            <p>"This ends every session on every device and deletes your account and its history. It cannot be undone."</p>
            <form method="post" action=DeleteAccount::PATH class="stack narrow-form">
                <div class="field">
                    <label for="delete_password">"Password"</label>
                    <input id="delete_password" name="password" type="password" autocomplete="current-password" required />
                </div>
                <div><button type="submit" class="button danger">"Delete account"</button></div>
            </form>
        </section>
    }
}

#[server(endpoint = "security_events")]
pub async fn security_events() -> Result<(Vec<EventView>, i64), AppError> {
    use crate::server::context::{self, db_error};
    let state = context::state()?;
    let auth = context::auth()?;
    let events = crate::events::store::list(&state.db, auth.user_id, 100).await.map_err(db_error)?;
    Ok((events, state.clock.now_ms()))
}

#[component]
pub fn SecurityEventsPage() -> impl IntoView {
    let events = Resource::new_blocking(|| (), |_| security_events());
    view! {
        <Title text="Security events" />
        <section class="card" aria-labelledby="events-heading">
            <h1 id="events-heading">"Security events"</h1>
            <p class="lede">"Sign-ins, failed attempts and sessions ended on your account, newest first."</p>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match events.await {
                        Ok((events, now)) if events.is_empty() => {
                            let _ = now;
                            view! { <p class="empty-note">"Nothing has happened yet."</p> }.into_any()
                        }
                        Ok((events, now)) => view! {
                            <ul class="event-list" aria-label="Security events">
                                {events
                                    .into_iter()
                                    .map(|e| {
                                        let place = [Some(e.device.clone()), Some(e.ip.clone()), e.location.clone()]
                                            .into_iter()
                                            .flatten()
                                            .collect::<Vec<_>>()
                                            .join(" · ");
                                        view! {
                                            <li class="event" data-kind=format!("{:?}", e.kind)>
                                                <p class="event-title">
                                                    {e.kind.title()}
                                                    {e.detail.map(|d| view! { <span class="event-detail">{format!(" — {d}")}</span> })}
                                                </p>
                                                <p class="session-meta">{place}</p>
                                                <p class="session-times">{timefmt::ago(now, e.at)}</p>
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                        }
                            .into_any(),
                        Err(e) => view! { <p class="message error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

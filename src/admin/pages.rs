//! The administrators' console: a glance (with a chart drawn on the server), user search, one
//! user's sessions and activity with the actions on them, signing everyone out, and the admin
//! log. Plain forms throughout; every action asks for a reason.

use super::api::{
    AdminNotice, EVERYONE_CONFIRMATION, EndUserSessions, LogLine, ConsoleGlance, SetSuspension, SignOutEveryone, UserRow,
    admin_log, overview, search_users, user_detail,
};
use crate::{
    activity::EventList,
    infra::{
        flash::Kind,
        routes, timefmt,
        ui::{FormError, form_error, message_of},
    },
    sessions::rows::SessionRow,
};
use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::{Stylesheet, Title};
use leptos_router::hooks::{use_params_map, use_query_map};

fn notice() -> Option<String> {
    let (code, count) = message_of(Kind::Notice)?;
    code.parse::<AdminNotice>().ok().map(|n| n.text(count))
}

#[component]
fn Notice() -> impl IntoView {
    notice().map(|n| view! { <p class="message success" role="status">{n}</p> })
}

#[component]
fn ReasonField(id: String) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id.clone()>"Reason"</label>
            <input id=id name="reason" type="text" maxlength="500" required />
        </div>
    }
}

#[component]
fn PasswordIfDue(id: String, due: bool) -> impl IntoView {
    due.then(|| {
        view! {
            <div class="field">
                <label for=id.clone()>"Password"</label>
                <input id=id name="password" type="password" autocomplete="current-password" required />
            </div>
        }
    })
}

/// Sign-ins and failed sign-ins per hour over the last day, as a small bar chart (SVG, drawn
/// on the server; the numbers are also in a table for screen readers).
#[component]
fn HourlyChart(sign_ins: Vec<i64>, failures: Vec<i64>) -> impl IntoView {
    let top = sign_ins.iter().chain(&failures).copied().max().unwrap_or(0).max(1) as f64;
    let (width, height, bar) = (480.0, 120.0, 20.0);
    let bars = (0..24)
        .map(|h| {
            let x = h as f64 * bar;
            let ok = sign_ins.get(h).copied().unwrap_or(0) as f64 / top * (height - 10.0);
            let bad = failures.get(h).copied().unwrap_or(0) as f64 / top * (height - 10.0);
            view! {
                <rect class="bar-ok" x=x + 2.0 y=height - ok width=8 height=ok />
                <rect class="bar-bad" x=x + 10.0 y=height - bad width=8 height=bad />
            }
        })
        .collect_view();
    let total_in: i64 = sign_ins.iter().sum();
    let total_failed: i64 = failures.iter().sum();
    view! {
        <figure class="chart">
            <svg viewBox=format!("0 0 {width} {height}") role="img" aria-labelledby="chart-caption" preserveAspectRatio="none">
                {bars}
            </svg>
            <figcaption id="chart-caption">
                {format!("Sign-ins ({total_in}) and failed sign-ins ({total_failed}) per hour, last 24 hours")}
            </figcaption>
            <p class="chart-legend" aria-hidden="true"><span class="key ok"></span>" sign-ins "<span class="key bad"></span>" failed"</p>
        </figure>
    }
}

#[component]
pub fn AdminOverviewPage() -> impl IntoView {
    let data = Resource::new_blocking(|| (), |_| overview());
    let error = form_error();
    view! {
        <Title text="Administration" />
        <Stylesheet href=routes::PAGE_STYLES />
        <Stylesheet href=routes::ADMIN_STYLES />
        <h1 class="page-title">"Administration"</h1>
        <Notice />
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || {
                let error = error.clone();
                Suspend::new(async move {
                    match data.await {
                        Ok(ConsoleGlance { users, sessions, sign_ins, failures, reauth_due, webhooks, deliveries, .. }) => {
                            let (day_in, day_failed): (i64, i64) = (sign_ins.iter().sum(), failures.iter().sum());
                            view! {
                                <section class="card" aria-labelledby="glance-heading">
                                    <h2 id="glance-heading">"At a glance"</h2>
                                    <dl class="glance">
                                        <div><dt>"Accounts"</dt><dd>{users}</dd></div>
                                        <div><dt>"Active sessions"</dt><dd>{sessions}</dd></div>
                                        <div><dt>"Sign-ins, last 24 hours"</dt><dd>{day_in}</dd></div>
                                        <div><dt>"Failed sign-ins, last 24 hours"</dt><dd>{day_failed}</dd></div>
                                    </dl>
                                    <HourlyChart sign_ins failures />
                                    <p><a href=routes::ADMIN_USERS>"Search users"</a>" · "<a href=routes::ADMIN_LOG>"Admin log"</a></p>
                                </section>
                                <super::webhooks::Webhooks webhooks deliveries />
                                <section class="card danger-zone" aria-labelledby="everyone-heading">
                                    <h2 id="everyone-heading">"Sign out everyone"</h2>
                                    <p>"After a breach: ends every session of every account, except yours. Everyone must sign in again."</p>
                                    <FormError message=error />
                                    <form method="post" action=SignOutEveryone::PATH class="stack narrow-form">
                                        <ReasonField id="everyone-reason".to_owned() />
                                        <div class="field">
                                            <label for="everyone-confirm">{format!("Type {EVERYONE_CONFIRMATION} to confirm")}</label>
                                            <input id="everyone-confirm" name="confirmation" type="text" required autocomplete="off" />
                                        </div>
                                        <PasswordIfDue id="everyone-password".to_owned() due=reauth_due />
                                        <div><button type="submit" class="button danger">"Sign out everyone"</button></div>
                                    </form>
                                </section>
                            }
                            .into_any()
                        }
                        Err(e) => view! { <p class="message error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn UserItem(user: UserRow) -> impl IntoView {
    view! {
        <li class="user-row">
            <a href=routes::admin_user(user.id)>{user.email}</a>
            <span class="session-meta">
                {format!(" · {} session(s)", user.sessions)}
                {user.suspended.then_some(" · suspended")}
            </span>
        </li>
    }
}

#[component]
pub fn AdminUsersPage() -> impl IntoView {
    let query = use_query_map().get_untracked();
    let q = query.get("q").unwrap_or_default();
    let page = query.get("page").and_then(|p| p.parse::<u32>().ok());
    let search_q = q.clone();
    let results = Resource::new_blocking(move || (search_q.clone(), page), |(q, page)| search_users(q, page));
    view! {
        <Title text="Users" />
        <Stylesheet href=routes::PAGE_STYLES />
        <Stylesheet href=routes::ADMIN_STYLES />
        <section class="card" aria-labelledby="users-heading">
            <h1 id="users-heading">"Users"</h1>
            <form method="get" action=routes::ADMIN_USERS class="search-form" role="search">
                <input type="search" name="q" value=q.clone() aria-label="Search users" placeholder="Email contains…" />
                <button type="submit" class="button ghost">"Search"</button>
            </form>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || {
                    let q = q.clone();
                    Suspend::new(async move {
                        match results.await {
                            Ok(found) if found.users.is_empty() => view! { <p class="empty-note">"No accounts match."</p> }.into_any(),
                            Ok(found) => {
                                let link = |page: u32| format!("{}?q={}&page={page}", routes::ADMIN_USERS, url_encode(&q));
                                view! {
                                    <ul class="user-list" aria-label="Users">
                                        {found.users.into_iter().map(|user| view! { <UserItem user /> }).collect_view()}
                                    </ul>
                                    <nav class="pager" aria-label="Pages of users">
                                        {(found.page > 1).then(|| view! { <a href=link(found.page - 1) rel="prev">"Previous"</a> })}
                                        <span>{format!("Page {}", found.page)}</span>
                                        {found.has_more.then(|| view! { <a href=link(found.page + 1) rel="next">"Next"</a> })}
                                    </nav>
                                }
                                .into_any()
                            }
                            Err(e) => view! { <p class="message error" role="alert">{e.to_string()}</p> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}

fn url_encode(value: &str) -> String {
    value.bytes().map(|b| if b.is_ascii_alphanumeric() || b"-_.~@".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

/// One account: its sessions (the same rows as the Active sessions list), its recent
/// activity, and what an administrator may do.
#[component]
pub fn AdminUserPage() -> impl IntoView {
    let user_id = use_params_map().get_untracked().get("id").and_then(|id| id.parse::<i64>().ok()).unwrap_or(0);
    let detail = Resource::new_blocking(move || user_id, user_detail);
    let error = form_error();
    view! {
        <Title text="User" />
        <Stylesheet href=routes::PAGE_STYLES />
        <Stylesheet href=routes::ADMIN_STYLES />
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || {
                let error = error.clone();
                Suspend::new(async move {
                    let d = match detail.await {
                        Ok(d) => d,
                        Err(e) => return view! { <p class="message error" role="alert">{e.to_string()}</p> }.into_any(),
                    };
                    let (uid, due) = (d.user.id, d.reauth_due);
                    let now = d.activity.now;
                    let rows = d
                        .sessions
                        .into_iter()
                        .map(|session| {
                            let sid = session.id.clone();
                            let label = format!("End session — {}", session.device);
                            let actions = view! {
                                <details class="admin-actions">
                                    <summary class="button ghost" aria-label=label>"End session"</summary>
                                    <form method="post" action=EndUserSessions::PATH class="stack">
                                        <input type="hidden" name="user_id" value=uid />
                                        <input type="hidden" name="session" value=sid.clone() />
                                        <ReasonField id=format!("reason-{}", &sid[..8]) />
                                        <PasswordIfDue id=format!("password-{}", &sid[..8]) due />
                                        <button type="submit" class="button danger">"End session"</button>
                                    </form>
                                </details>
                            }
                            .into_any();
                            view! { <SessionRow session now actions /> }
                        })
                        .collect_view();
                    view! {
                        <h1 class="page-title">{d.user.email.clone()}</h1>
                        <Notice />
                        <FormError message=error />
                        <section class="card" aria-labelledby="user-sessions-heading">
                            <h2 id="user-sessions-heading">"Sessions"</h2>
                            <ul class="session-list" aria-label="Active sessions">{rows}</ul>
                            <form method="post" action=EndUserSessions::PATH class="stack narrow-form admin-form">
                                <input type="hidden" name="user_id" value=uid />
                                <ReasonField id="end-all-reason".to_owned() />
                                <PasswordIfDue id="end-all-password".to_owned() due />
                                <div><button type="submit" class="button danger-outline">"End all sessions"</button></div>
                            </form>
                        </section>
                        <section class="card" aria-labelledby="suspend-heading">
                            <h2 id="suspend-heading">{if d.user.suspended { "Suspended" } else { "Suspend the account" }}</h2>
                            <p>{if d.user.suspended {
                                "Signing in is refused. Lifting the suspension lets the person sign in again."
                            } else {
                                "Ends every session now and refuses signing in until the suspension is lifted."
                            }}</p>
                            <form method="post" action=SetSuspension::PATH class="stack narrow-form">
                                <input type="hidden" name="user_id" value=uid />
                                {(!d.user.suspended).then(|| view! { <input type="hidden" name="suspend" value="on" /> })}
                                <ReasonField id="suspend-reason".to_owned() />
                                <PasswordIfDue id="suspend-password".to_owned() due />
                                <div>
                                    <button type="submit" class="button danger-outline">
                                        {if d.user.suspended { "Lift the suspension" } else { "Suspend the account" }}
                                    </button>
                                </div>
                            </form>
                        </section>
                        <section class="card" aria-labelledby="user-activity-heading">
                            <h2 id="user-activity-heading">"Recent security activity"</h2>
                            <EventList events=d.activity.events now label="Security activity" />
                        </section>
                    }
                    .into_any()
                })
            }}
        </Suspense>
    }
}

#[component]
fn LogItem(line: LogLine, now: i64) -> impl IntoView {
    let whom = line.target.map(|t| format!(" — {t}")).unwrap_or_default();
    view! {
        <li class="event">
            <p class="event-title">{format!("{}{whom}", line.action.replace('_', " "))}</p>
            <p>{format!("By {} · “{}”", line.admin, line.reason)}{line.detail.map(|d| format!(" · {d}"))}</p>
            <p class="session-meta">{line.place}</p>
            <p class="session-times">{timefmt::ago(now, line.at)}</p>
        </li>
    }
}

#[component]
pub fn AdminLogPage() -> impl IntoView {
    let page = use_query_map().get_untracked().get("page").and_then(|p| p.parse::<u32>().ok());
    let log = Resource::new_blocking(move || page, admin_log);
    view! {
        <Title text="Admin log" />
        <Stylesheet href=routes::PAGE_STYLES />
        <Stylesheet href=routes::ADMIN_STYLES />
        <section class="card" aria-labelledby="log-heading">
            <h1 id="log-heading">"Admin log"</h1>
            <p class="lede">"Every administrative action: who, whom, what, why, when and from where."</p>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match log.await {
                        Ok((lines, has_more, now)) => {
                            let page = page.unwrap_or(1);
                            view! {
                                {lines.is_empty().then(|| view! { <p class="empty-note">"Nothing yet."</p> })}
                                <ul class="event-list" aria-label="Admin log">
                                    {lines.into_iter().map(|line| view! { <LogItem line now /> }).collect_view()}
                                </ul>
                                <nav class="pager" aria-label="Pages of the admin log">
                                    {(page > 1).then(|| view! { <a href=format!("{}?page={}", routes::ADMIN_LOG, page - 1) rel="prev">"Newer"</a> })}
                                    <span>{format!("Page {page}")}</span>
                                    {has_more.then(|| view! { <a href=format!("{}?page={}", routes::ADMIN_LOG, page + 1) rel="next">"Older"</a> })}
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

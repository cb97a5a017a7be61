//! The frame of every signed-in page: top bar with the Log out button, the sidebar menu with
//! its search box, and the page.

use crate::{
    auth::api::Logout,
    live::markup::LiveMarkup,
    infra::{error::AppError, routes},
};
use leptos::{attr::custom::custom_attribute, prelude::*, server_fn::ServerFn};
use leptos_router::{components::Outlet, hooks::use_location};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MenuEntry {
    pub label: String,
    pub href: String,
    /// Other words people may search for.
    pub keywords: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MenuGroup {
    pub heading: String,
    pub entries: Vec<MenuEntry>,
}

/// The sidebar's groups; the Administration group only for administrators.
fn menu(admin: bool) -> Vec<MenuGroup> {
    let entry = |label: &str, href: &str, keywords: &str| MenuEntry {
        label: label.to_owned(),
        href: href.to_owned(),
        keywords: keywords.to_owned(),
    };
    let mut groups = vec![MenuGroup {
        heading: "Account".to_owned(),
        entries: vec![
            entry("Active sessions", routes::ACTIVE_SESSIONS, "devices signed in log out logins browsers"),
            entry("Security activity", routes::SECURITY_ACTIVITY, "events history sign-ins log audit"),
            entry("Account settings", routes::ACCOUNT_SETTINGS, "password change delete profile two-factor 2fa authenticator recovery codes passkeys"),
        ],
    }];
    if admin {
        groups.push(MenuGroup {
            heading: "Administration".to_owned(),
            entries: vec![
                entry("Overview", routes::ADMIN, "admin glance chart sign out everyone"),
                entry("Users", routes::ADMIN_USERS, "admin search accounts suspend"),
                entry("Admin log", routes::ADMIN_LOG, "admin audit actions"),
            ],
        });
    }
    groups
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub email: String,
    /// Whether the account is an administrator (the sidebar shows the Administration group).
    pub admin: bool,
}

#[server(endpoint = "whoami")]
pub async fn whoami() -> Result<Account, AppError> {
    let me = crate::identity::web::SignedIn::get()?;
    let (email, admin) = me.identity.admin.whoami(me.session.user_id).await?;
    Ok(Account { email, admin })
}

#[component]
pub fn SignedInLayout() -> impl IntoView {
    let me = Resource::new_blocking(|| (), |_| whoami());
    let path = use_location().pathname.get_untracked();
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <Live>
        <div class="frame">
            <header class="topbar">
                <a class="brand" href=routes::HOME>
                    <svg class="brand-mark" viewBox="0 0 24 24" aria-hidden="true">
                        <path d="M12 2 4 5v6c0 5 3.4 9.4 8 11 4.6-1.6 8-6 8-11V5l-8-3Z" />
                        <path class="tick" d="m8.5 12 2.5 2.5 4.5-5" />
                    </svg>
                    <span>"Account security"</span>
                </a>
                <div class="topbar-user">
                    <Suspense>
                        {move || Suspend::new(async move {
                            me.await.ok().map(|me| {
                                let title = me.email.clone();
                                view! { <span class="who" title=title>{me.email}</span> }
                            })
                        })}
                    </Suspense>
                    <form method="post" action=Logout::PATH class="inline-form">
                        <button type="submit" class="button ghost">"Log out"</button>
                    </form>
                </div>
            </header>
            <Suspense fallback=move || view! { <SidebarNav groups=menu(false) current=String::new() /> }>
                {move || {
                    let path = path.clone();
                    Suspend::new(async move {
                        let admin = me.await.is_ok_and(|me| me.admin);
                        view! { <SidebarNav groups=menu(admin) current=path /> }
                    })
                }}
            </Suspense>
            <main id="main" class="content" tabindex="-1">
                <LiveMarkup />
                <Outlet />
            </main>
        </div>
        </Live>
    }
}

/// The sidebar: the menu, server-rendered, and a search box that filters it as you type.
/// Without JavaScript the whole menu is simply there.
#[component]
fn SidebarNav(groups: Vec<MenuGroup>, current: String) -> impl IntoView {
    view! {
        <nav class="sidebar" aria-label="Main">
            <div class="menu-search">
                <MenuSearch />
            </div>
            {groups
                .into_iter()
                .enumerate()
                .map(|(i, group)| {
                    let heading_id = format!("menu-group-{i}");
                    let labelled_by = heading_id.clone();
                    view! {
                        <section {..custom_attribute(menu_data::GROUP, "")} class="menu-group" aria-labelledby=labelled_by>
                            <h2 id=heading_id class="menu-heading">{group.heading}</h2>
                            <ul>
                                {group
                                    .entries
                                    .into_iter()
                                    .map(|entry| {
                                        let is_current = entry.href == current;
                                        let words = format!("{} {}", entry.label, entry.keywords).to_ascii_lowercase();
                                        view! {
                                            <li {..custom_attribute(menu_data::ENTRY, words)} >
                                                <a
                                                    href=entry.href
                                                    aria-current=is_current.then_some("page")
                                                    class:active=is_current
                                                >
                                                    {entry.label}
                                                </a>
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                        </section>
                    }
                })
                .collect_view()}
            <p {..custom_attribute(menu_data::EMPTY, "")} class="menu-empty" role="status" hidden>
                "No menu entries match."
            </p>
        </nav>
    }
}

/// The "Search menu" box. [`Live`] makes it filter the server-rendered menu in place, so the
/// menu itself never has to travel to the browser as data.
#[component]
fn MenuSearch() -> impl IntoView {
    view! {
        <input {..custom_attribute(menu_data::SEARCH, "")} type="search" placeholder="Search menu" aria-label="Search menu" autocomplete="off" />
    }
}

/// The one island of every signed-in page. Everything inside is server-rendered HTML that
/// works without JavaScript; this adds the behaviour by listening at the top (one island, one
/// set of delegated listeners: each island costs the page about 2 KiB of WASM).
///
/// Its body runs on the server too (to render), but the handlers only ever run in the
/// browser, so only the browser build compiles what they call.
#[island]
pub fn Live(children: Children) -> impl IntoView {
    #[cfg(feature = "hydrate")]
    {
        crate::sessions::browser::start();
        crate::live::browser::start();
    }
    view! {
        <div
            class="live"
            on:input=|_ev| {
                #[cfg(feature = "hydrate")]
                if is_menu_search(&_ev) {
                    filter_menu(&event_target_value(&_ev));
                }
            }
            on:click=|_ev| {
                #[cfg(feature = "hydrate")]
                crate::sessions::browser::on_click(&_ev);
            }
            on:keydown=|_ev| {
                #[cfg(feature = "hydrate")]
                crate::sessions::browser::on_keydown(&_ev);
            }
            on:focusout=|_ev| {
                #[cfg(feature = "hydrate")]
                crate::sessions::browser::on_focusout(&_ev);
            }
            on:submit=|_ev| {
                #[cfg(feature = "hydrate")]
                crate::sessions::browser::on_submit(&_ev);
            }
        >
            {children()}
        </div>
    }
}

/// The menu search's contract: the attributes the markup above writes and [`filter_menu`] reads.
mod menu_data {
    pub const SEARCH: &str = "data-menu-search";
    pub const GROUP: &str = "data-menu-group";
    pub const ENTRY: &str = "data-menu-entry";
    pub const EMPTY: &str = "data-menu-empty";
}

#[cfg(feature = "hydrate")]
fn is_menu_search(ev: &web_sys::Event) -> bool {
    use wasm_bindgen::JsCast;
    ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()).is_some_and(|el| el.has_attribute(menu_data::SEARCH))
}

#[cfg(feature = "hydrate")]
fn filter_menu(query: &str) {
    use wasm_bindgen::JsCast;
    let query = query.trim().to_ascii_lowercase();
    let document = document();
    let all = |root: &web_sys::Element, selector: &str| -> Vec<web_sys::Element> {
        let Ok(list) = root.query_selector_all(selector) else { return vec![] };
        (0..list.length()).filter_map(|i| list.item(i)?.dyn_into().ok()).collect()
    };
    let Some(root) = document.document_element() else { return };
    let show = |el: &web_sys::Element, visible: bool| {
        let _ = if visible { el.remove_attribute("hidden") } else { el.set_attribute("hidden", "") };
    };
    let mut any = false;
    for group in all(&root, &format!("[{}]", menu_data::GROUP)) {
        let mut group_any = false;
        for entry in all(&group, &format!("[{}]", menu_data::ENTRY)) {
            let words = entry.get_attribute(menu_data::ENTRY).unwrap_or_default();
            let visible = query.is_empty() || words.contains(&query);
            group_any |= visible;
            show(&entry, visible);
        }
        any |= group_any;
        show(&group, group_any);
    }
    for empty in all(&root, &format!("[{}]", menu_data::EMPTY)) {
        show(&empty, !any);
    }
}


//! The HTML shell and the routes.

use crate::{
    auth::pages::{LoginPage, SignupPage},
    layout::SignedInLayout,
    sessions::pages::{ActiveSessionsPage, ConfirmEndPage, ConfirmLogoutOthersPage},
    settings::{AccountSettingsPage, SecurityEventsPage},
};
use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::{
    ParamSegment, SsrMode, StaticSegment,
    components::{ParentRoute, Route, Router, Routes},
};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="stylesheet" href="/pkg/active-sessions.css" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <HydrationScripts options islands=true />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title formatter=|page: String| format!("{page} · Account security") />
        <Router>
            <Routes fallback=NotFound>
                <Route path=StaticSegment("login") view=LoginPage ssr=SsrMode::Async />
                <Route path=StaticSegment("signup") view=SignupPage ssr=SsrMode::Async />
                <ParentRoute path=StaticSegment("") view=SignedInLayout ssr=SsrMode::Async>
                    <Route path=StaticSegment("active-sessions") view=ActiveSessionsPage ssr=SsrMode::Async />
                    <Route
                        path=(StaticSegment("active-sessions"), StaticSegment("end-others"))
                        view=ConfirmLogoutOthersPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=(StaticSegment("active-sessions"), ParamSegment("id"), StaticSegment("end"))
                        view=ConfirmEndPage
                        ssr=SsrMode::Async
                    />
                    <Route path=(StaticSegment("settings"), StaticSegment("account")) view=AccountSettingsPage ssr=SsrMode::Async />
                    <Route path=(StaticSegment("settings"), StaticSegment("security")) view=SecurityEventsPage ssr=SsrMode::Async />
                </ParentRoute>
            </Routes>
        </Router>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found" />
        <main class="auth-page">
            <div class="card narrow">
                <h1>"Page not found"</h1>
                <p>"There is nothing at this address."</p>
                <p><a href="/active-sessions">"Go to Active sessions"</a></p>
            </div>
        </main>
    }
}

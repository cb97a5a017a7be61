//! The top layer: the HTML shell and the routes (here), the signed-in frame (`layout`) and
//! the HTTP server (`server`). It knows every feature; nothing imports it.

#[cfg(feature = "ssr")]
pub mod cli;
#[cfg(feature = "ssr")]
mod cli_operator;
pub mod layout;
#[cfg(feature = "ssr")]
pub mod server;
#[cfg(feature = "ssr")]
pub mod state;

use crate::{
    account_recovery::pages::{ForgotPasswordPage, NotMePage, ResetPasswordPage, VerifyEmailPage},
    activity::SecurityActivityPage,
    admin::pages::{AdminLogPage, AdminOverviewPage, AdminUserPage, AdminUsersPage},
    auth::pages::{LoginPage, SignupPage, VerifyDevicePage},
    infra::routes,
    sessions::pages::{
        ActiveSessionsPage, ConfirmEndPage, ConfirmLogoutOthersPage, ConfirmNotMePage, RenameSessionPage, SessionDetailsPage,
    },
    settings::{AccountSettingsPage, review::ReviewPage},
    two_factor::pages::{RecoveryCodesPage, RecoveryLoginPage, TwoFactorLoginPage, TwoFactorSetupPage},
};
use layout::SignedInLayout;
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
                <meta
                    name="description"
                    content="See every device signed in to your account, and sign out any you don't recognise."
                />
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
                <Route path=(StaticSegment("login"), StaticSegment("two-factor")) view=TwoFactorLoginPage ssr=SsrMode::Async />
                <Route path=(StaticSegment("login"), StaticSegment("recovery-code")) view=RecoveryLoginPage ssr=SsrMode::Async />
                <Route path=(StaticSegment("login"), StaticSegment("verify")) view=VerifyDevicePage ssr=SsrMode::Async />
                <Route path=StaticSegment("forgot-password") view=ForgotPasswordPage ssr=SsrMode::Async />
                <Route path=StaticSegment("reset-password") view=ResetPasswordPage ssr=SsrMode::Async />
                <Route path=StaticSegment("not-me") view=NotMePage ssr=SsrMode::Async />
                <Route path=StaticSegment("verify-email") view=VerifyEmailPage ssr=SsrMode::Async />
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
                    <Route
                        path=(StaticSegment("active-sessions"), ParamSegment("id"), StaticSegment("details"))
                        view=SessionDetailsPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=(StaticSegment("active-sessions"), ParamSegment("id"), StaticSegment("rename"))
                        view=RenameSessionPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=(StaticSegment("active-sessions"), ParamSegment("id"), StaticSegment("not-me"))
                        view=ConfirmNotMePage
                        ssr=SsrMode::Async
                    />
                    <Route path=(StaticSegment("settings"), StaticSegment("account")) view=AccountSettingsPage ssr=SsrMode::Async />
                    <Route path=(StaticSegment("settings"), StaticSegment("security")) view=SecurityActivityPage ssr=SsrMode::Async />
                    <Route path=(StaticSegment("settings"), StaticSegment("two-factor")) view=TwoFactorSetupPage ssr=SsrMode::Async />
                    <Route path=(StaticSegment("settings"), StaticSegment("review")) view=ReviewPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("admin") view=AdminOverviewPage ssr=SsrMode::Async />
                    <Route path=(StaticSegment("admin"), StaticSegment("users")) view=AdminUsersPage ssr=SsrMode::Async />
                    <Route path=(StaticSegment("admin"), StaticSegment("users"), ParamSegment("id")) view=AdminUserPage ssr=SsrMode::Async />
                    <Route path=(StaticSegment("admin"), StaticSegment("log")) view=AdminLogPage ssr=SsrMode::Async />
                    <Route
                        path=(StaticSegment("settings"), StaticSegment("two-factor"), StaticSegment("recovery-codes"))
                        view=RecoveryCodesPage
                        ssr=SsrMode::Async
                    />
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
                <p><a href=routes::HOME>"Go to Active sessions"</a></p>
            </div>
        </main>
    }
}

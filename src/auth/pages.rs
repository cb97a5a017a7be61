//! The log-in and sign-up pages: plain HTML forms that post to server functions, so they work
//! the same with or without JavaScript.

use super::api::{Login, Signup, SignupNotice, VerifyDevice};
use crate::two_factor::api::CancelLogin;
use crate::passkeys::pages::PasskeySignIn;
use crate::{
    identity::model::EndReason,
    infra::{
        flash::Kind,
        routes,
        ui::{FormError, form_error, message_of},
    },
};
use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::{Stylesheet, Title};
use leptos_router::hooks::use_query_map;

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map().get_untracked();
    let signed_out = message_of(Kind::SignedOut).and_then(|(code, _)| EndReason::parse(&code)).map(EndReason::message);
    let next = query.get("next").unwrap_or_default();
    let error = form_error();
    view! {
        <Title text="Log in" />
        <Stylesheet href=routes::PAGE_STYLES />
        <main class="auth-page" id="main">
            <div class="card narrow">
                <h1>"Log in"</h1>
                {signed_out.map(|m| view! { <p class="message notice" role="status">{m}</p> })}
                <FormError message=error />
                <form method="post" action=Login::PATH class="stack">
                    <div class="field">
                        <label for="email">"Email"</label>
                        <input id="email" name="email" type="email" autocomplete="username" required />
                    </div>
                    <div class="field">
                        <label for="password">"Password"</label>
                        <input id="password" name="password" type="password" autocomplete="current-password" required />
                    </div>
                    <input type="hidden" name="next" value=next />
                    <button type="submit" class="button primary">"Log in"</button>
                </form>
                <p class="aside"><a href=routes::FORGOT_PASSWORD>"Forgot password?"</a></p>
                <PasskeySignIn />
                <p class="aside">"New here? " <a href=routes::SIGNUP>"Create an account"</a></p>
            </div>
        </main>
    }
}

#[component]
pub fn SignupPage() -> impl IntoView {
    let error = form_error();
    let notice = message_of(Kind::Notice).and_then(|(code, _)| code.parse::<SignupNotice>().ok()).map(SignupNotice::text);
    view! {
        <Title text="Create account" />
        <main class="auth-page" id="main">
            <div class="card narrow">
                <h1>"Create your account"</h1>
                {notice.map(|n| view! { <p class="message success" role="status">{n}</p> })}
                <FormError message=error />
                <form method="post" action=Signup::PATH class="stack">
                    <div class="field">
                        <label for="email">"Email"</label>
                        <input id="email" name="email" type="email" autocomplete="email" required />
                    </div>
                    <div class="field">
                        <label for="password">"Password"</label>
                        <input
                            id="password"
                            name="password"
                            type="password"
                            autocomplete="new-password"
                            minlength="8"
                            required
                            aria-describedby="password-hint"
                        />
                        <p class="hint" id="password-hint">
                            "At least 8 characters. Long phrases are great; very common passwords are refused."
                        </p>
                    </div>
                    <button type="submit" class="button primary">"Create account"</button>
                </form>
                <p class="aside">"Already have an account? " <a href=routes::LOGIN>"Log in"</a></p>
            </div>
        </main>
    }
}

/// New-device verification: the password was right, the browser is new to the account, and a
/// code went to the account's email. No session exists until the code is given.
#[component]
pub fn VerifyDevicePage() -> impl IntoView {
    let error = form_error();
    view! {
        <Title text="Check your email" />
        <Stylesheet href=routes::PAGE_STYLES />
        <main class="auth-page" id="main">
            <div class="card narrow">
                <h1>"Check your email"</h1>
                <p>"This browser has never signed in to your account, so we emailed a 6-digit code to the account's address. Enter it to finish signing in; it works once, within 10 minutes."</p>
                <FormError message=error />
                <form method="post" action=VerifyDevice::PATH class="stack">
                    <div class="field">
                        <label for="verification-code">"Verification code"</label>
                        <input
                            id="verification-code"
                            name="code"
                            type="text"
                            inputmode="numeric"
                            autocomplete="one-time-code"
                            maxlength="12"
                            required
                        />
                    </div>
                    <button type="submit" class="button primary">"Verify"</button>
                </form>
                <form method="post" action=CancelLogin::PATH class="inline-form">
                    <button type="submit" class="button ghost">"Cancel"</button>
                </form>
            </div>
        </main>
    }
}

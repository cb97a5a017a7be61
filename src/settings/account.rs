//! Account settings: the sessions, the password, deleting the account.

use crate::{
    auth::api::{AccountNotice, ChangePassword, DeleteAccount},
    infra::{
        flash::Kind,
        routes,
        ui::{FormError, form_error, message_of},
    },
    sessions::pages::{AutoSignOutSection, SessionsSection},
    passkeys::pages::PasskeysSection,
    two_factor::pages::TwoFactorSection,
};
use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::{Stylesheet, Title};

#[component]
pub fn AccountSettingsPage() -> impl IntoView {
    let notice = message_of(Kind::Notice).and_then(|(code, _)| code.parse::<AccountNotice>().ok()).map(AccountNotice::text);
    let error = form_error();
    view! {
        <Title text="Account settings" />
        <Stylesheet href=routes::PAGE_STYLES />
        <h1 class="page-title">"Account settings"</h1>
        {notice.map(|n| view! { <p class="message success" role="status">{n}</p> })}
        <FormError message=error />
        <SessionsSection heading_level=2 messages=false />
        <AutoSignOutSection />
        <TwoFactorSection />
        <PasskeysSection />
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

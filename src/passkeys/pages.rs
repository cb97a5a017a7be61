//! The "Passkeys" section of the account settings: the list (rename and remove work as plain
//! forms), and the button to add one (which needs JavaScript: WebAuthn lives in the browser).

use super::api::{MAX_NAME, PasskeyView, RemovePasskey, RenamePasskey, list_passkeys};
use crate::infra::{error::AppError, timefmt};
use leptos::{attr::custom::custom_attribute, prelude::*, server_fn::ServerFn};

/// The browser code of passkeys (`public/passkeys.js`): only the pages that offer them load it.
pub const SCRIPT: &str = crate::infra::routes::PASSKEYS_SCRIPT;

/// What the browser code may have to say, rendered here so each sentence has one source:
/// `data-<code>` for the error codes it can get back, and for its own two cases.
fn messages() -> impl leptos::attr::Attribute {
    let error = |e: AppError| custom_attribute(format!("data-{}", e.code().replace('_', "-")), e.to_string());
    (
        error(AppError::PasskeyFailed),
        error(AppError::ReauthRequired),
        error(AppError::WrongPassword),
        error(AppError::RateLimited(0)),
        error(AppError::SignedOut),
        error(AppError::Busy(0)),
        custom_attribute("data-cancelled", "No passkey was used. Try again when you are ready."),
        custom_attribute("data-unsupported", "This browser cannot use passkeys."),
    )
}

/// "Add a passkey": a name, the password when one is due, then the authenticator (in the
/// browser). Rendered disabled; the browser code enables it.
#[component]
fn AddPasskeyForm(reauth_due: bool) -> impl IntoView {
    view! {
        <form {..messages()} {..custom_attribute("data-passkey-add", "")} class="stack narrow-form">
            <div class="field">
                <label for="passkey-name">"Passkey name"</label>
                <input id="passkey-name" name="name" type="text" maxlength=MAX_NAME required placeholder="Work laptop" />
            </div>
            {reauth_due.then(|| view! {
                <div class="field">
                    <label for="passkey-password">"Password"</label>
                    <input id="passkey-password" name="password" type="password" autocomplete="current-password" required />
                    <p class="hint">"For your security, confirm it's you."</p>
                </div>
            })}
            <p class="hint" data-needs-js>"Adding a passkey needs JavaScript, which is turned off."</p>
            <div><button type="submit" class="button primary" disabled>"Add a passkey"</button></div>
        </form>
        <script type="module" src=SCRIPT></script>
    }
}

/// Whether this site can offer passkeys (it needs a domain name). Pages render on the server.
fn available() -> bool {
    #[cfg(feature = "ssr")]
    {
        use_context::<crate::identity::Identity>().is_some_and(|identity| identity.passkeys.available())
    }
    #[cfg(not(feature = "ssr"))]
    false
}

/// "Sign in with a passkey" on the log-in page (no email needed), when the site offers them.
#[component]
pub fn PasskeySignIn() -> impl IntoView {
    available().then(|| view! {
        <div class="divider" role="separator"><span>"or"</span></div>
        <div {..messages()} {..custom_attribute("data-passkey-sign-in", "")} class="passkey-sign-in">
            <p class="hint" data-needs-js>"Signing in with a passkey needs JavaScript, which is turned off."</p>
            <button type="button" class="button ghost wide" disabled>"Sign in with a passkey"</button>
        </div>
        <script type="module" src=SCRIPT></script>
    })
}

#[component]
fn PasskeyItem(passkey: PasskeyView, now: i64, reauth_due: bool) -> impl IntoView {
    let PasskeyView { id, name, created_at, last_used_at } = passkey;
    let used = last_used_at.map_or_else(|| "never used yet".to_owned(), |at| format!("last used {}", timefmt::ago(now, at)));
    let rename_id = format!("rename-{}", &id[..id.len().min(12)]);
    let remove_password_id = format!("remove-password-{}", &id[..id.len().min(12)]);
    view! {
        <li class="passkey">
            <p class="passkey-name">{name.clone()}</p>
            <p class="session-meta">{format!("Added {}, {used}", timefmt::ago(now, created_at))}</p>
            <details class="passkey-actions">
                <summary class="button ghost">{format!("Rename or remove {name}")}</summary>
                <form method="post" action=RenamePasskey::PATH class="stack narrow-form">
                    <input type="hidden" name="id" value=id.clone() />
                    <div class="field">
                        <label for=rename_id.clone()>"New name"</label>
                        <input id=rename_id name="name" type="text" maxlength=MAX_NAME required value=name />
                    </div>
                    <div><button type="submit" class="button ghost">"Rename"</button></div>
                </form>
                <form method="post" action=RemovePasskey::PATH class="stack narrow-form">
                    <input type="hidden" name="id" value=id />
                    {reauth_due.then(|| view! {
                        <div class="field">
                            <label for=remove_password_id.clone()>"Password"</label>
                            <input id=remove_password_id name="password" type="password" autocomplete="current-password" required />
                        </div>
                    })}
                    <div><button type="submit" class="button danger-outline">"Remove passkey"</button></div>
                </form>
            </details>
        </li>
    }
}

#[component]
pub fn PasskeysSection() -> impl IntoView {
    let passkeys = Resource::new_blocking(|| (), |_| list_passkeys());
    view! {
        <section class="card" id="passkeys" aria-labelledby="passkeys-heading">
            <h2 id="passkeys-heading">"Passkeys"</h2>
            <p>"Sign in with your fingerprint, face or device PIN instead of a password and a code. A passkey sign-in counts as two factors."</p>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match passkeys.await {
                        Ok(list) if !list.available => view! {
                            <p class="hint">"Passkeys need the site to be served under a domain name (PUBLIC_URL)."</p>
                        }
                        .into_any(),
                        Ok(list) => {
                            let (now, reauth_due) = (list.now, list.reauth_due);
                            view! {
                                {list.passkeys.is_empty().then(|| view! { <p class="empty-note">"No passkeys yet."</p> })}
                                <ul class="passkey-list" aria-label="Passkeys">
                                    {list.passkeys.into_iter().map(|passkey| view! { <PasskeyItem passkey now reauth_due /> }).collect_view()}
                                </ul>
                                <AddPasskeyForm reauth_due />
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

//! Pages of two-factor authentication: the log-in's second step (app code or recovery code),
//! the account settings section, setting up an app, and fresh recovery codes shown once. All
//! plain forms: they work the same without JavaScript.
//!
//! The setup key and the recovery codes are read on the server while the page renders — no
//! server function hands them out as JSON — and appear only in that one page's HTML.

use super::api::{
    BeginTotpSetup, CancelLogin, DisableTotp, EnableTotp, RecoveryCodesSaved, RegenerateRecoveryCodes, TwoFactorNotice,
    VerifyLoginCode, VerifyRecoveryCode, two_factor_status,
};
use crate::infra::{
    flash::Kind,
    routes,
    ui::{FormError, form_error, message_of},
};
use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::{Stylesheet, Title};

fn notice() -> Option<&'static str> {
    message_of(Kind::Notice).and_then(|(code, _)| code.parse::<TwoFactorNotice>().ok()).map(TwoFactorNotice::text)
}

#[component]
fn CodeField(id: &'static str, label: &'static str, name: &'static str, numeric: bool) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input
                id=id
                name=name
                type="text"
                inputmode=if numeric { "numeric" } else { "text" }
                autocomplete="one-time-code"
                autocapitalize="off"
                spellcheck="false"
                maxlength="32"
                required
            />
        </div>
    }
}

#[component]
fn CancelLogInForm() -> impl IntoView {
    view! {
        <form method="post" action=CancelLogin::PATH class="inline-form">
            <button type="submit" class="button ghost">"Cancel"</button>
        </form>
    }
}

/// The second step of a log-in: the authenticator app's code.
#[component]
pub fn TwoFactorLoginPage() -> impl IntoView {
    view! {
        <Title text="Two-factor authentication" />
        <Stylesheet href=routes::PAGE_STYLES />
        <main class="auth-page" id="main">
            <div class="card narrow">
                <h1>"Two-factor authentication"</h1>
                <p>"Open your authenticator app and enter the 6-digit code it shows for this account."</p>
                <FormError message=form_error() />
                <form method="post" action=VerifyLoginCode::PATH class="stack">
                    <CodeField id="code" label="Authentication code" name="code" numeric=true />
                    <button type="submit" class="button primary">"Verify"</button>
                </form>
                <p class="aside"><a href=routes::RECOVERY_LOGIN>"Use a recovery code"</a></p>
                <CancelLogInForm />
            </div>
        </main>
    }
}

/// The second step with a recovery code instead.
#[component]
pub fn RecoveryLoginPage() -> impl IntoView {
    view! {
        <Title text="Use a recovery code" />
        <Stylesheet href=routes::PAGE_STYLES />
        <main class="auth-page" id="main">
            <div class="card narrow">
                <h1>"Two-factor authentication"</h1>
                <p>"Enter one of the recovery codes you saved when you turned on two-factor authentication. Each code works once."</p>
                <FormError message=form_error() />
                <form method="post" action=VerifyRecoveryCode::PATH class="stack">
                    <CodeField id="recovery" label="Recovery code" name="code" numeric=false />
                    <button type="submit" class="button primary">"Verify"</button>
                </form>
                <p class="aside"><a href=routes::TWO_FACTOR_LOGIN>"Use your authenticator app instead"</a></p>
                <CancelLogInForm />
            </div>
        </main>
    }
}

#[component]
fn PasswordField(id: &'static str) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>"Password"</label>
            <input id=id name="password" type="password" autocomplete="current-password" required />
            <p class="hint">"For your security, confirm it's you."</p>
        </div>
    }
}

/// The "Two-factor authentication" section of the account settings.
#[component]
pub fn TwoFactorSection() -> impl IntoView {
    let status = Resource::new_blocking(|| (), |_| two_factor_status());
    let notice = notice();
    view! {
        <section class="card" id="two-factor" aria-labelledby="two-factor-heading">
            <h2 id="two-factor-heading">"Two-factor authentication"</h2>
            {notice.map(|n| view! {
                <div class="message success" role="status">
                    <p>{n}</p>
                    <p>"If you did this because something looked wrong, also "<a href=routes::END_OTHERS>"log out all other sessions"</a>"."</p>
                </div>
            })}
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match status.await {
                        Ok(s) if s.on => view! {
                            <p>"On. Signing in asks for a code from your authenticator app (or a recovery code) after your password."</p>
                            <p class="hint">{format!("{} of 10 recovery codes left.", s.codes_left)}</p>
                            <form method="post" action=RegenerateRecoveryCodes::PATH class="stack narrow-form">
                                {s.reauth_due.then(|| view! { <PasswordField id="codes-password" /> })}
                                <div><button type="submit" class="button ghost">"Get new recovery codes"</button></div>
                            </form>
                            <form method="post" action=DisableTotp::PATH class="stack narrow-form">
                                <PasswordField id="disable-password" />
                                <div><button type="submit" class="button danger-outline">"Turn off two-factor authentication"</button></div>
                            </form>
                        }
                        .into_any(),
                        Ok(s) => view! {
                            <p>"Off. Add a code from an authenticator app (such as 1Password, Google Authenticator or Authy) to every sign-in, so a stolen password is not enough."</p>
                            <form method="post" action=BeginTotpSetup::PATH class="stack narrow-form">
                                {s.reauth_due.then(|| view! { <PasswordField id="setup-password" /> })}
                                <div><button type="submit" class="button primary">"Set up authenticator app"</button></div>
                            </form>
                        }
                        .into_any(),
                        Err(e) => view! { <p class="message error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// What the setup page shows, read on the server only.
#[derive(Clone)]
struct Setup {
    key: String,
    url: String,
    qr_svg: String,
}

async fn setup_in_progress() -> Option<Setup> {
    #[cfg(feature = "ssr")]
    {
        let me = crate::identity::web::SignedIn::get().ok()?;
        let setup = me.identity.two_factor.setup(&me.session).await.ok()??;
        Some(Setup { key: setup.key, url: setup.url, qr_svg: setup.qr_svg })
    }
    #[cfg(not(feature = "ssr"))]
    None
}

/// Setting up an authenticator app: scan the QR code (or type the setup key), then prove it
/// with a code.
#[component]
pub fn TwoFactorSetupPage() -> impl IntoView {
    let error = form_error();
    view! {
        <Title text="Set up an authenticator app" />
        <Stylesheet href=routes::PAGE_STYLES />
        <section class="card narrow">
            <h1>"Set up an authenticator app"</h1>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || {
                    let error = error.clone();
                    Suspend::new(async move {
                        match setup_in_progress().await {
                            Some(setup) => view! {
                                <ol class="steps">
                                    <li>"Scan this QR code with your authenticator app."</li>
                                </ol>
                                <div class="qr" role="img" aria-label="QR code for your authenticator app" inner_html=setup.qr_svg></div>
                                <div class="field">
                                    <label for="setup-key">"Setup key"</label>
                                    <input id="setup-key" class="setup-key" type="text" readonly value=setup.key spellcheck="false" />
                                </div>
                                <p class="hint">"Can't scan? Type the setup key into the app instead (time-based, 6 digits), or on this phone "<a href=setup.url>"open it in your authenticator app"</a>"."</p>
                                <FormError message=error />
                                <form method="post" action=EnableTotp::PATH class="stack">
                                    <CodeField id="code" label="Authentication code" name="code" numeric=true />
                                    <div class="modal-actions">
                                        <a class="button ghost" href=routes::TWO_FACTOR_SECTION>"Cancel"</a>
                                        <button type="submit" class="button primary">"Turn on"</button>
                                    </div>
                                </form>
                            }
                            .into_any(),
                            None => view! {
                                <p>"There is no authenticator app being set up. Start from your account settings."</p>
                                <p><a class="button ghost" href=routes::TWO_FACTOR_SECTION>"Back to account settings"</a></p>
                            }
                            .into_any(),
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}

async fn fresh_recovery_codes() -> Option<Vec<String>> {
    #[cfg(feature = "ssr")]
    {
        let me = crate::identity::web::SignedIn::get().ok()?;
        me.identity.two_factor.fresh_codes(&me.session).await.ok()?
    }
    #[cfg(not(feature = "ssr"))]
    None
}

/// Fresh recovery codes, shown until the person says they saved them (ten minutes at most).
#[component]
pub fn RecoveryCodesPage() -> impl IntoView {
    let notice = notice();
    view! {
        <Title text="Recovery codes" />
        <Stylesheet href=routes::PAGE_STYLES />
        <section class="card narrow">
            <h1>"Your recovery codes"</h1>
            {notice.map(|n| view! { <p class="message success" role="status">{n}</p> })}
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match fresh_recovery_codes().await {
                        Some(codes) => {
                            let download = format!("data:text/plain;charset=utf-8,{}", codes.join("%0A") + "%0A");
                            view! {
                                <p>"If you lose your phone, each of these codes signs you in once instead of a code from the app. Save them somewhere safe now: they are not shown again."</p>
                                <ul class="recovery-codes" aria-label="Recovery codes">
                                    {codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
                                </ul>
                                <p class="modal-actions">
                                    <a class="button ghost" href=download download="recovery-codes.txt">"Download"</a>
                                </p>
                                <form method="post" action=RecoveryCodesSaved::PATH>
                                    <button type="submit" class="button primary">"I have saved them"</button>
                                </form>
                            }
                            .into_any()
                        }
                        None => view! {
                            <p>"These codes were shown already. If you need new ones, make them in your account settings."</p>
                            <p><a class="button ghost" href=routes::TWO_FACTOR_SECTION>"Back to account settings"</a></p>
                        }
                        .into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

//! Pages reached from emailed links, and "Forgot password?". Plain forms: they work the same
//! without JavaScript. The link's token is never in their HTML: it stays in its cookie.

use super::api::{
    ConfirmSignUp, NotMeByLink, RecoveryNotice, RequestPasswordReset, ResetPassword, PendingSignUp, alerted_sign_in,
    reset_link_live, sign_up_to_confirm,
};
use crate::infra::{
    error::AppError,
    flash::Kind,
    routes, timefmt,
    ui::{FormError, form_error, message_of},
};
use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::{Stylesheet, Title};

fn notice() -> Option<(RecoveryNotice, u64)> {
    let (code, number) = message_of(Kind::Notice)?;
    Some((code.parse::<RecoveryNotice>().ok()?, number.unwrap_or(0)))
}

/// A page of its own outside the signed-in frame: the card, its title and its messages.
#[component]
fn LinkPage(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <Title text=title />
        <Stylesheet href=routes::PAGE_STYLES />
        <main class="auth-page" id="main">
            <div class="card narrow">
                <h1>{title}</h1>
                {notice().map(|(n, number)| view! { <p class="message success" role="status">{n.text(number)}</p> })}
                <FormError message=form_error() />
                {children()}
            </div>
        </main>
    }
}

/// What a page says when its link has run out or was used, and where to get a new one.
#[component]
fn DeadLink(again: (&'static str, &'static str)) -> impl IntoView {
    let (href, words) = again;
    view! {
        <p>{AppError::LinkExpired.to_string()}</p>
        <p><a class="button ghost" href=href>{words}</a></p>
        <p class="aside"><a href=routes::LOGIN>"Back to log in"</a></p>
    }
}

/// Renders `live` when the server says the link is live, and [`DeadLink`] (with `again`)
/// otherwise.
fn when_live<T, F, Fu>(
    load: F,
    again: (&'static str, &'static str),
    live: impl Fn(T) -> AnyView + Send + Sync + Clone + 'static,
) -> impl IntoView
where
    T: Send + Sync + Clone + serde::Serialize + serde::de::DeserializeOwned + 'static,
    F: Fn() -> Fu + Send + Sync + 'static,
    Fu: std::future::Future<Output = Result<Option<T>, AppError>> + Send + 'static,
{
    let resource = Resource::new_blocking(|| (), move |_| load());
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || {
                let live = live.clone();
                Suspend::new(async move {
                    match resource.await {
                        Ok(Some(value)) => live(value),
                        Ok(None) => view! { <DeadLink again /> }.into_any(),
                        Err(e) => view! { <p class="message error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

const NEW_RESET_LINK: (&str, &str) = (routes::FORGOT_PASSWORD, "Send a new reset link");

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    view! {
        <LinkPage title="Forgot your password?">
            <p>"Enter the email address of your account. We will send it a link to set a new password."</p>
            <form method="post" action=RequestPasswordReset::PATH class="stack">
                <div class="field">
                    <label for="email">"Email"</label>
                    <input id="email" name="email" type="email" autocomplete="username" maxlength="254" required />
                </div>
                <button type="submit" class="button primary">"Send reset link"</button>
            </form>
            <p class="aside"><a href=routes::LOGIN>"Back to log in"</a></p>
        </LinkPage>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    view! {
        <LinkPage title="Set a new password">
            {when_live(reset_link_live, NEW_RESET_LINK, |account: String| {
                view! {
                    <p>"Choose a new password for " <strong>{account}</strong> ". Every device signed in to this account will be signed out."</p>
                    <form method="post" action=ResetPassword::PATH class="stack">
                        <div class="field">
                            <label for="new_password">"New password"</label>
                            <input
                                id="new_password"
                                name="new_password"
                                type="password"
                                autocomplete="new-password"
                                minlength="8"
                                required
                                aria-describedby="new-password-hint"
                            />
                            <p class="hint" id="new-password-hint">"At least 8 characters; very common passwords are refused."</p>
                        </div>
                        <button type="submit" class="button primary">"Set new password"</button>
                    </form>
                }
                .into_any()
            })}
        </LinkPage>
    }
}

/// Where the "This wasn't me" link of an email leads: what the device was, and the button that
/// disowns it. After it, the page says what was done.
#[component]
pub fn NotMePage() -> impl IntoView {
    if notice().is_some_and(|(n, _)| n == RecoveryNotice::SignedOutEverywhere) {
        return view! {
            <LinkPage title="Secure your account">
                <p>"When you have set a new password, review the sign-in methods of your account and turn on two-factor authentication."</p>
                <p class="aside"><a href=routes::LOGIN>"Back to log in"</a></p>
            </LinkPage>
        }
        .into_any();
    }
    view! {
        <LinkPage title="Secure your account">
            {when_live(alerted_sign_in, NEW_RESET_LINK, |alerted| {
                let what = match alerted.session {
                    Some((device, place, at)) => {
                        format!("The device the email was about — {device} in {place}, signed in {} — is still signed in.", timefmt::utc(at))
                    }
                    None => "The device the email was about is no longer signed in.".to_owned(),
                };
                view! {
                    <p>{what}</p>
                    <p>
                        "If it wasn't you: sign out every device signed in to your account — this one too — and remove every "
                        "sign-in method that device added. Then we email you a link to choose a new password."
                    </p>
                    <form method="post" action=NotMeByLink::PATH class="stack">
                        <button type="submit" class="button danger">"This wasn't me"</button>
                    </form>
                    <p class="aside"><a href=routes::LOGIN>"It was me: back to log in"</a></p>
                }
                .into_any()
            })}
        </LinkPage>
    }
    .into_any()
}

/// Where the link that finishes a sign-up leads. From another browser than the one that asked,
/// the person confirming chooses the password.
#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    view! {
        <LinkPage title="Confirm your email address">
            {when_live(sign_up_to_confirm, (routes::SIGNUP, "Sign up again"), |pending: PendingSignUp| {
                view! {
                    <p>"Finish creating your account for " <strong>{pending.email}</strong> "."</p>
                    <form method="post" action=ConfirmSignUp::PATH class="stack">
                        {pending.needs_password.then(|| view! {
                            <p>"This link was asked for from another browser, so choose the account's password here."</p>
                            <div class="field">
                                <label for="new_password">"New password"</label>
                                <input id="new_password" name="new_password" type="password" autocomplete="new-password" minlength="8" required />
                            </div>
                        })}
                        <button type="submit" class="button primary">"Confirm and sign in"</button>
                    </form>
                }
                .into_any()
            })}
        </LinkPage>
    }
}

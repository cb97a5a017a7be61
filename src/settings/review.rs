//! "Review sign-in methods": after "This wasn't me" and after a password reset, every way to
//! sign in added in the last 30 days — what, when, from which device and place — each
//! removable in one click, and what the disowned device had added (already removed). The idea
//! of Google's Security Checkup, done on the spot.

use crate::{
    auth::api::AccountNotice,
    infra::{
        error::AppError,
        flash::Kind,
        routes, timefmt,
        ui::{FormError, form_error, message_of},
    },
    two_factor::api::BeginTotpSetup,
};
use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::{Stylesheet, Title};
use serde::{Deserialize, Serialize};

/// One sign-in method as the review lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MethodItem {
    /// `passkey`, `authenticator_app` or `recovery_codes`.
    pub kind: String,
    pub id: String,
    /// "Passkey “Spare key”", "Authenticator app", "Recovery codes".
    pub what: String,
    pub added_at: i64,
    /// "Firefox on Windows · 81.2.69.142 · London, United Kingdom".
    pub from: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewList {
    pub methods: Vec<MethodItem>,
    /// What was removed with a disowned device lately (its descriptions).
    pub removed: Vec<String>,
    pub two_factor: bool,
    pub reauth_due: bool,
}

/// What the review says after a removal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum ReviewNotice {
    Removed,
}

/// How long after a disowning its removals are still shown.
#[cfg(feature = "ssr")]
const REMOVED_SHOWN_MS: i64 = 60 * 60 * 1000;

#[server(endpoint = "review")]
pub async fn review() -> Result<ReviewList, AppError> {
    use crate::identity::{account::MethodKind, model::EventKind, web::SignedIn};
    let me = SignedIn::get()?;
    let user = me.session.user_id;
    let methods = me
        .identity
        .methods
        .recent(user)
        .await?
        .into_iter()
        .map(|m| {
            let what = match (m.kind, &m.name) {
                (MethodKind::Passkey, Some(name)) => format!("Passkey \u{201c}{name}\u{201d}"),
                (MethodKind::Passkey, None) => "Passkey".to_owned(),
                (MethodKind::AuthenticatorApp, _) => "Authenticator app".to_owned(),
                (MethodKind::RecoveryCodes, _) => "Recovery codes".to_owned(),
            };
            let device = if m.device.is_empty() { "An unknown device".to_owned() } else { m.device.clone() };
            let from = [Some(device), (!m.ip.is_empty()).then(|| m.ip.clone()), m.place.clone()].into_iter().flatten().collect::<Vec<_>>().join(" · ");
            MethodItem { kind: <&'static str>::from(m.kind).to_owned(), id: m.id, what, added_at: m.added_at, from }
        })
        .collect();
    let since = me.identity.clock.now_ms() - REMOVED_SHOWN_MS;
    let removed = me.identity.security_log.details_since(user, EventKind::MethodRemovedOnDisown, since).await?;
    Ok(ReviewList {
        methods,
        removed,
        two_factor: me.identity.two_factor.is_on(user).await?,
        reauth_due: me.identity.accounts.reauth_due(&me.session),
    })
}

/// Removes one sign-in method from the review (a recent password is needed).
#[server(endpoint = "review/remove")]
pub async fn remove_method(kind: String, id: String, password: Option<String>) -> Result<(), AppError> {
    let me = crate::identity::web::SignedIn::get()?;
    let kind = kind.parse().map_err(|_| AppError::BadRequest)?;
    me.identity.methods.remove(&me.session, &me.client, kind, &id, password).await?;
    let notice = crate::infra::flash::Message::new(Kind::Notice, ReviewNotice::Removed.into(), None);
    leptos_axum::redirect(&me.identity.messages.redirect(routes::REVIEW, &notice));
    Ok(())
}

fn notice() -> Option<&'static str> {
    let (code, _) = message_of(Kind::Notice)?;
    if code.parse::<ReviewNotice>().is_ok() {
        return Some("Removed. Whoever added it can no longer sign in with it.");
    }
    code.parse::<AccountNotice>().ok().map(AccountNotice::text)
}

#[component]
fn MethodRow(method: MethodItem, reauth_due: bool) -> impl IntoView {
    let password_id = format!("password-{}", method.id);
    // Removing the app turns two-factor off: that always asks for the password.
    let asks_password = reauth_due || method.kind == "authenticator_app";
    view! {
        <li class="method">
            <p class="event-title">{method.what.clone()}</p>
            <p class="session-meta">{method.from}</p>
            <p class="session-times">{format!("Added {}", timefmt::utc(method.added_at))}</p>
            <form method="post" action=RemoveMethod::PATH class="inline-form">
                <input type="hidden" name="kind" value=method.kind />
                <input type="hidden" name="id" value=method.id />
                {asks_password.then(|| view! {
                    <label for=password_id.clone()>"Password"</label>
                    <input id=password_id name="password" type="password" autocomplete="current-password" required />
                })}
                <button type="submit" class="button danger-outline" aria-label=format!("Remove {}", method.what)>"Remove"</button>
            </form>
        </li>
    }
}

#[component]
pub fn ReviewPage() -> impl IntoView {
    let data = Resource::new_blocking(|| (), |_| review());
    let notice = notice();
    let error = form_error();
    view! {
        <Title text="Review sign-in methods" />
        <Stylesheet href=routes::PAGE_STYLES />
        <section class="card" aria-labelledby="review-heading">
            <h1 id="review-heading">"Review sign-in methods"</h1>
            {notice.map(|n| view! { <p class="message success" role="status">{n}</p> })}
            <FormError message=error />
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(r) => {
                            let reauth_due = r.reauth_due;
                            view! {
                                {(!r.removed.is_empty()).then(|| view! {
                                    <div class="message notice" role="status">
                                        <p>"These were added by the device you did not recognise, and are gone:"</p>
                                        <ul>{r.removed.into_iter().map(|what| view! { <li>{format!("Removed: {what}")}</li> }).collect_view()}</ul>
                                    </div>
                                })}
                                <p class="lede">"Every way to sign in to your account added in the last 30 days. If you don't recognise one, remove it."</p>
                                {if r.methods.is_empty() {
                                    view! { <p class="empty-note">"No sign-in method was added in the last 30 days."</p> }.into_any()
                                } else {
                                    view! {
                                        <ul class="event-list" aria-label="Recently added sign-in methods">
                                            {r.methods.into_iter().map(|method| view! { <MethodRow method reauth_due /> }).collect_view()}
                                        </ul>
                                    }
                                    .into_any()
                                }}
                                {(!r.two_factor).then(|| view! {
                                    <aside class="callout review-offer" aria-labelledby="review-2fa">
                                        <h2 id="review-2fa">"Turn on two-factor authentication"</h2>
                                        <p>"With an authenticator app, a stolen password alone no longer opens your account."</p>
                                        <form method="post" action=BeginTotpSetup::PATH class="stack narrow-form">
                                            {reauth_due.then(|| view! {
                                                <div class="field">
                                                    <label for="review-setup-password">"Password"</label>
                                                    <input id="review-setup-password" name="password" type="password" autocomplete="current-password" required />
                                                </div>
                                            })}
                                            <div><button type="submit" class="button primary">"Set up authenticator app"</button></div>
                                        </form>
                                    </aside>
                                })}
                            }
                            .into_any()
                        }
                        Err(e) => view! { <p class="message error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
            <form method="get" action=routes::ACTIVE_SESSIONS class="modal-actions">
                <button type="submit" class="button primary">"Done"</button>
            </form>
        </section>
    }
}

//! Who is calling, and what they may do to their account. Rooms, each with a narrow door (its
//! `mod.rs` exports its services and view types; its SQL stays inside):
//!
//! - [`account`]: accounts, passwords and the one password check with its throttle, emailed
//!   links, second factors (authenticator app, recovery codes, passkeys);
//! - [`session`]: the session token, its store, endings and the per-request check (with its
//!   cache coherence in `session::check`), and the hub that tells open tabs what happened;
//! - [`sign_in`]: the sign-in flow (pending second steps), what was new about a sign-in, alerts;
//! - [`client`]: the device in words (User-Agent, Client Hints) and the place (GeoIP);
//! - [`security_log`]: the account's security events;
//! - [`admin`]: administrators and what they may do;
//! - [`operator`]: the operator's systems — API tokens, the audit feed, signed webhooks;
//! - [`web`]: the HTTP edge — the session layer, cookies, and the `Caller` of a server function;
//! - [`model`]: the words shared with features and the browser (end reasons, event kinds…).
//!
//! The composition root that builds every service is `app::state`.

pub mod model;

#[cfg(feature = "ssr")]
pub mod account;
#[cfg(feature = "ssr")]
pub mod admin;
#[cfg(feature = "ssr")]
pub mod client;
#[cfg(feature = "ssr")]
pub mod operator;
#[cfg(feature = "ssr")]
pub mod security_log;
#[cfg(feature = "ssr")]
pub mod session;
#[cfg(feature = "ssr")]
pub mod sign_in;
#[cfg(feature = "ssr")]
pub mod web;

#[cfg(feature = "ssr")]
pub use services::{Core, Identity, Services};

#[cfg(feature = "ssr")]
mod services {
    use super::{
        account::{Accounts, Credentials, Passkeys, SignInMethods, TwoFactor},
        admin::Administration,
        operator::{ApiTokens, Feed, Webhooks},
        client::{ClientInfo, GeoIp},
        model::EventKind,
        security_log::{NewEvent, Origin, SecurityLog},
        session::{LiveHub, SessionService},
        sign_in::SignIn,
        web::CookieJar,
    };
    use crate::infra::{
        clock::{Clock, Millis},
        config::Config,
        db::Db,
        flash::Messages,
        mail::Mailer,
    };
    use std::sync::Arc;

    /// What every service stands on: the database, the clock, the configuration and the place
    /// finder. Cheap to clone.
    #[derive(Clone)]
    pub struct Core {
        pub db: Db,
        pub clock: Arc<dyn Clock>,
        pub config: Arc<Config>,
        pub geo: Arc<GeoIp>,
    }

    impl Core {
        pub fn now(&self) -> Millis {
            self.clock.now_ms()
        }

        /// Where a request came from, as events record it.
        pub fn origin(&self, client: &ClientInfo) -> Origin {
            Origin::of(client, &self.geo)
        }

        /// An event about `user_id`, happening now, from `client`.
        pub fn event(&self, user_id: Option<i64>, kind: EventKind, client: &ClientInfo) -> NewEvent {
            NewEvent::new(user_id, kind, self.origin(client), self.now())
        }
    }

    /// Every identity service, built once by the composition root (`app::state`) and handed to
    /// the session layer and to every server function. Cloned per request: one `Arc`.
    #[derive(Clone)]
    pub struct Identity(pub Arc<Services>);

    impl std::ops::Deref for Identity {
        type Target = Services;
        fn deref(&self) -> &Services {
            &self.0
        }
    }

    pub struct Services {
        pub config: Arc<Config>,
        pub clock: Arc<dyn Clock>,
        pub cookies: CookieJar,
        /// Email: SMTP, or the outbox folder.
        pub mailer: Arc<Mailer>,
        /// Seals the messages shown after a redirect.
        pub messages: Arc<Messages>,
        /// The open event streams of this server (and, on Postgres, the others' notifications).
        pub live: Arc<LiveHub>,
        pub sessions: Arc<SessionService>,
        pub credentials: Arc<Credentials>,
        pub accounts: Arc<Accounts>,
        pub two_factor: Arc<TwoFactor>,
        pub passkeys: Arc<Passkeys>,
        /// Every sign-in method of an account, with where it came from (the review).
        pub methods: Arc<SignInMethods>,
        pub sign_in: Arc<SignIn>,
        pub admin: Arc<Administration>,
        pub security_log: Arc<SecurityLog>,
        /// The operator API's tokens.
        pub api_tokens: Arc<ApiTokens>,
        /// Security events across accounts, for the operator API.
        pub feed: Arc<Feed>,
        pub webhooks: Arc<Webhooks>,
    }

    impl Services {
        /// The database, for the operator's commands and the tests (features never touch it).
        pub fn db(&self) -> &Db {
            self.sessions.db()
        }
    }
}

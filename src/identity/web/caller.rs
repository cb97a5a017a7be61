//! Who is calling a server function — the identity services, the client, the session if it
//! has one, and the browser's other cookies — and how a [`Landing`] changes the browser.

use super::cookie::CookieJar;
use crate::{
    identity::{
        Identity,
        client::ClientInfo,
        session::AuthSession,
        sign_in::{Browser, CookieChange, Landing},
    },
    infra::{
        error::AppError,
        response::{append_header, expect, internal},
    },
};
use http::{HeaderMap, HeaderValue, header, request::Parts};

/// The session the request came with, as the session layer found it.
#[derive(Debug, Clone, Default)]
pub struct RequestAuth(pub Option<AuthSession>);

/// The caller of a server function (or a page's render): read once from the request.
#[derive(Clone)]
pub struct Caller {
    pub identity: Identity,
    pub client: ClientInfo,
    /// The caller's valid session, if it has one.
    pub session: Option<AuthSession>,
    headers: HeaderMap,
}

/// A caller with a valid session.
#[derive(Clone)]
pub struct SignedIn {
    pub identity: Identity,
    pub client: ClientInfo,
    pub session: AuthSession,
}

impl Caller {
    pub fn get() -> Result<Caller, AppError> {
        let identity = expect::<Identity>("Identity")?;
        let parts = expect::<Parts>("request parts")?;
        let client = parts.extensions.get::<ClientInfo>().cloned().ok_or_else(|| internal("client info missing"))?;
        let session = parts.extensions.get::<RequestAuth>().and_then(|a| a.0.clone());
        Ok(Caller { identity, client, session, headers: parts.headers })
    }

    /// The caller, who must be signed in (`SignedOut` otherwise).
    pub fn signed_in() -> Result<SignedIn, AppError> {
        Self::get()?.into_signed_in()
    }

    pub fn into_signed_in(self) -> Result<SignedIn, AppError> {
        let session = self.session.ok_or(AppError::SignedOut)?;
        Ok(SignedIn { identity: self.identity, client: self.client, session })
    }

    fn cookies(&self) -> &CookieJar {
        &self.identity.cookies
    }

    /// What the browser brought: its client, its session and its other cookies.
    pub fn browser(&self) -> Browser {
        let jar = self.cookies();
        Browser {
            client: self.client.clone(),
            session: self.session.clone(),
            device: jar.device(&self.headers),
            pending: jar.pending(&self.headers),
            link: jar.link(&self.headers),
        }
    }

    /// Sets and clears the cookies `landing` asks for.
    pub fn set_cookies(&self, landing: &Landing) {
        let jar = self.cookies();
        if let Some(token) = &landing.session {
            append_header(header::SET_COOKIE, jar.issue(token));
        } else if landing.clear_session {
            append_header(header::SET_COOKIE, jar.clear());
        }
        if let Some(device) = &landing.device {
            append_header(header::SET_COOKIE, jar.issue_device(device));
        }
        match &landing.pending {
            CookieChange::Keep => {}
            CookieChange::Set(token) => append_header(header::SET_COOKIE, jar.issue_pending(token)),
            CookieChange::Clear => append_header(header::SET_COOKIE, jar.clear_pending()),
        }
        match &landing.link {
            CookieChange::Keep => {}
            CookieChange::Set(token) => append_header(header::SET_COOKIE, jar.issue_link(token)),
            CookieChange::Clear => append_header(header::SET_COOKIE, jar.clear_link()),
        }
        if landing.clear_site_data {
            append_header(http::HeaderName::from_static("clear-site-data"), HeaderValue::from_static("\"cookies\", \"storage\""));
        }
    }

    /// Applies `landing` and sends the browser where it says. Returns where that is.
    pub fn land(&self, landing: Landing) -> String {
        self.set_cookies(&landing);
        leptos_axum::redirect(&landing.to);
        landing.to
    }

    /// The pending log-in is over: the browser forgets it.
    pub fn forget_pending(&self) {
        append_header(header::SET_COOKIE, self.cookies().clear_pending());
    }
}

impl SignedIn {
    pub fn get() -> Result<SignedIn, AppError> {
        Caller::signed_in()
    }
}

/// The caller's session if there is one (for pages that render either way).
pub fn maybe_signed_in() -> Option<SignedIn> {
    Caller::signed_in().ok()
}

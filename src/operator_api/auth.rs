//! Who calls the API: the bearer token of the request — never a cookie — checked, within its
//! rate limit, and where the call came from.

use super::problem::Problem;
use crate::identity::{
    Identity,
    admin::Actor,
    client::ClientInfo,
    operator::{ApiToken, Denied, Scope},
};
use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use http::{header, request::Parts};
use std::net::SocketAddr;

/// A call with a valid token.
pub struct Caller {
    pub identity: Identity,
    pub token: ApiToken,
    pub client: ClientInfo,
}

impl Caller {
    /// The token may do this, or the call is refused (403).
    pub fn may(&self, scope: Scope) -> Result<(), Problem> {
        if self.token.allows(scope) { Ok(()) } else { Err(Problem::insufficient_scope(scope.as_str())) }
    }

    /// The token as the actor of an action (the admin log names it).
    pub fn actor(&self) -> Actor {
        self.identity.admin.api_actor(&self.token.name, &self.client)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller
where
    Identity: FromRef<S>,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        let identity = Identity::from_ref(state);
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim());
        let Some(presented) = bearer.filter(|t| !t.is_empty()) else {
            return Err(Problem::missing_token(parts.headers.contains_key(header::COOKIE)));
        };
        let token = match identity.api_tokens.authenticate(presented).await? {
            Ok(token) => token,
            Err(Denied::Unknown) => return Err(Problem::invalid_token()),
            Err(Denied::Expired) => return Err(Problem::expired_token()),
            Err(Denied::RateLimited(seconds)) => return Err(Problem::rate_limited(seconds)),
        };
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        let client = ClientInfo::from_request(peer, &parts.headers, &identity.config.trusted_proxies);
        Ok(Caller { identity, token, client })
    }
}

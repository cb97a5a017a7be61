//! The session layer: on every dynamic request, read the cookie, check the session, and tell
//! handlers who is calling. Signed-in pages send signed-out visitors to the log-in page (with
//! the reason their session ended, when we know it).

use super::{caller::RequestAuth, cookie::FromCookie};
use crate::identity::{Identity, client::ClientInfo, model::EndReason, session::Checked, sign_in::signed_out_page};
use crate::infra::routes;
use axum::{
    extract::{ConnectInfo, Request, State},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use http::{Method, StatusCode, header};
use std::net::SocketAddr;

/// Why the request's session ended, when it came with one that did.
#[derive(Debug, Clone, Copy)]
pub struct SignedOutBecause(pub Option<EndReason>);

pub async fn session_layer(State(state): State<Identity>, mut req: Request, next: Next) -> Response {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let client = ClientInfo::from_request(peer, req.headers(), &state.config.trusted_proxies);
    let mut clear_cookie = false;
    let mut ended: Option<EndReason> = None;
    let auth = match state.cookies.read(req.headers()) {
        FromCookie::Absent => None,
        FromCookie::Malformed => {
            clear_cookie = true;
            None
        }
        // Two different session cookies: one was planted (cookie tossing). Neither is used, and
        // nothing is cleared — clearing would sign the victim's real cookie out again and again.
        FromCookie::Conflicting => None,
        FromCookie::Token(token) => match state.sessions.check(&token, &client).await {
            Ok(Checked::Valid(auth)) => {
                metrics::counter!("sessions_checked_total", "result" => "accepted").increment(1);
                Some(auth)
            }
            Ok(Checked::SignedOut(reason)) => {
                metrics::counter!("sessions_checked_total", "result" => "refused").increment(1);
                clear_cookie = true;
                ended = reason;
                None
            }
            Err(e) => {
                tracing::error!("session check failed: {e}");
                return (StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, "5")], "Service temporarily unavailable")
                    .into_response();
            }
        },
    };

    let path = req.uri().path();
    // Pages; not server functions, nor the event stream (which says itself why it ends).
    let is_page = matches!(*req.method(), Method::GET | Method::HEAD) && !path.starts_with("/api/") && path != routes::EVENTS;
    let mut response = if is_page && auth.is_none() && !routes::is_public(path) {
        let mut target = match ended {
            Some(reason) => signed_out_page(&state.messages, reason),
            None => routes::LOGIN.to_owned(),
        };
        if path != "/" && path != routes::HOME {
            let next: String = url::form_urlencoded::Serializer::new(String::new()).append_pair("next", path).finish();
            target.push(if target.contains('?') { '&' } else { '?' });
            target.push_str(&next);
        }
        Redirect::to(&target).into_response()
    } else if let (true, routes::LOGIN, Some(reason)) = (is_page, path, ended) {
        // A device whose session was ended comes back: tell it why.
        Redirect::to(&signed_out_page(&state.messages, reason)).into_response()
    } else if is_page && auth.is_some() && matches!(path, routes::LOGIN | routes::SIGNUP | "/") {
        Redirect::to(routes::HOME).into_response()
    } else if is_page && path == "/" {
        Redirect::to(routes::LOGIN).into_response()
    } else {
        req.extensions_mut().insert(client);
        req.extensions_mut().insert(RequestAuth(auth));
        req.extensions_mut().insert(SignedOutBecause(ended));
        next.run(req).await
    };
    if clear_cookie && !response.headers().contains_key(header::SET_COOKIE) {
        response.headers_mut().append(header::SET_COOKIE, state.cookies.clear());
    }
    response
}

/// The administrators' console (pages and server functions) exists only for administrators:
/// anyone else's request is answered as the request for a path that does not exist would be
/// (the same status, headers and body), so nothing tells that it is there.
pub async fn admin_gate(State(state): State<Identity>, mut req: Request, next: Next) -> Response {
    if routes::is_admin_only(req.uri().path()) {
        let admin = match req.extensions().get::<RequestAuth>().and_then(|a| a.0.as_ref()) {
            Some(auth) => state.admin.is_admin(auth.user_id).await.unwrap_or(false),
            None => false,
        };
        if !admin {
            if req.uri().path().starts_with("/api/") {
                return crate::infra::forms::unknown_server_fn(req.uri().path());
            }
            // A page: rendered as the page of a path that does not exist.
            if let Ok(uri) = "/__nowhere".parse() {
                *req.uri_mut() = uri;
            }
        }
    }
    next.run(req).await
}

/// An emailed link (`/reset-password?token=…`) brings its token in the address: it is moved
/// into a short-lived cookie at once and the browser sent to the bare page, so the token is
/// not left in the history, in a `Referer` or in anyone's logs. Malformed tokens are dropped.
pub async fn email_link_from_url(State(state): State<Identity>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let token = match (req.method(), req.uri().query()) {
        (&Method::GET, Some(query)) if routes::EMAIL_LINK_PAGES.contains(&path) => {
            url::form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "token").map(|(_, v)| v.into_owned())
        }
        _ => None,
    };
    let Some(token) = token else { return next.run(req).await };
    let mut response = Redirect::to(path).into_response();
    if crate::identity::account::email_links::well_formed(&token) {
        response.headers_mut().append(header::SET_COOKIE, state.cookies.issue_link(&token));
    }
    response
}

//! The session layer: on every dynamic request, read the cookie, check the session in the
//! store, and tell handlers who is calling. Signed-in pages send signed-out visitors to the
//! log-in page (with the reason their session ended, when we know it).

use super::{
    cookie::FromCookie,
    device::ClientHints,
    service::{Checked, ClientInfo},
    types::EndReason,
};
use crate::server::{client::client_ip, context::RequestAuth, state::AppState};
use axum::{
    extract::{ConnectInfo, Request, State},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use http::{HeaderMap, Method, StatusCode, header};
use std::net::{IpAddr, SocketAddr};

/// Pages anyone may see.
fn is_public(path: &str) -> bool {
    matches!(path, "/login" | "/signup" | "/healthz" | "/active-session" | "/activesession")
}

pub fn client_info(state: &AppState, peer: Option<IpAddr>, headers: &HeaderMap) -> ClientInfo {
    static X_FORWARDED_FOR: http::HeaderName = http::HeaderName::from_static("x-forwarded-for");
    let forwarded: Vec<&str> = headers.get_all(&X_FORWARDED_FOR).iter().filter_map(|v| v.to_str().ok()).collect();
    let forwarded = (!forwarded.is_empty()).then(|| forwarded.join(","));
    let peer = peer.unwrap_or(IpAddr::from([0, 0, 0, 0]));
    let user_agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
    ClientInfo {
        ip: client_ip(peer, forwarded.as_deref(), &state.config.trusted_proxies),
        user_agent: super::device::clip(user_agent, super::device::MAX_USER_AGENT).to_owned(),
        hints: ClientHints::from_headers(headers),
    }
}

pub async fn session_layer(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let client = client_info(&state, peer, req.headers());
    let mut clear_cookie = false;
    let mut ended: Option<EndReason> = None;
    let auth = match state.cookies.read(req.headers()) {
        FromCookie::Absent => None,
        FromCookie::Malformed => {
            clear_cookie = true;
            None
        }
        FromCookie::Token(token) => match state.sessions.check(&token, &client).await {
            Ok(Checked::Valid(auth)) => Some(auth),
            Ok(Checked::SignedOut(reason)) => {
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
    let is_page = matches!(*req.method(), Method::GET | Method::HEAD) && !path.starts_with("/api/");
    let mut response = if is_page && auth.is_none() && !is_public(path) {
        let mut target = String::from("/login");
        let mut params = url::form_urlencoded::Serializer::new(String::new());
        if let Some(reason) = ended {
            params.append_pair("signed_out", reason.as_str());
        }
        if path != "/" && path != crate::auth::api::HOME {
            params.append_pair("next", path);
        }
        let params = params.finish();
        if !params.is_empty() {
            target.push('?');
            target.push_str(&params);
        }
        Redirect::to(&target).into_response()
    } else if let (true, "/login", Some(reason), None) = (is_page, path, ended, req.uri().query()) {
        // A device whose session was ended comes back: tell it why.
        Redirect::to(&format!("/login?signed_out={}", reason.as_str())).into_response()
    } else if is_page && auth.is_some() && matches!(path, "/login" | "/signup" | "/") {
        Redirect::to(crate::auth::api::HOME).into_response()
    } else if is_page && path == "/" {
        Redirect::to("/login").into_response()
    } else {
        req.extensions_mut().insert(client);
        req.extensions_mut().insert(RequestAuth(auth));
        next.run(req).await
    };
    if clear_cookie && !response.headers().contains_key(header::SET_COOKIE) {
        response.headers_mut().append(header::SET_COOKIE, state.cookies.clear());
    }
    response
}

//! The session cookie: HttpOnly, SameSite=Lax, Path=/, no Domain, Max-Age = the remaining
//! absolute lifetime; Secure and the `__Host-` prefix when served over https.

use super::token::{SessionToken, TOKEN_CHARS};
use cookie::{Cookie, SameSite};
use http::{HeaderMap, HeaderValue, header::COOKIE};
use std::time::Duration;

/// A `Cookie` header longer than this is not read at all.
const MAX_COOKIE_HEADER: usize = 8 * 1024;

#[derive(Clone, Debug)]
pub struct CookieJar {
    name: &'static str,
    secure: bool,
    max_age: Duration,
}

/// What a request's cookie says.
#[derive(Debug)]
pub enum FromCookie {
    /// No session cookie.
    Absent,
    /// A session cookie that is not a token (malformed, oversized, not UTF-8).
    Malformed,
    Token(SessionToken),
}

impl CookieJar {
    pub fn new(https: bool, max_age: Duration) -> Self {
        CookieJar { name: if https { "__Host-session" } else { "session" }, secure: https, max_age }
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    pub fn read(&self, headers: &HeaderMap) -> FromCookie {
        let mut found = FromCookie::Absent;
        for header in headers.get_all(COOKIE) {
            if header.len() > MAX_COOKIE_HEADER {
                return FromCookie::Malformed;
            }
            let Ok(header) = header.to_str() else {
                // Bytes we cannot read might hide our cookie: treat as a bad one.
                return FromCookie::Malformed;
            };
            for cookie in Cookie::split_parse(header).flatten() {
                if cookie.name() != self.name {
                    continue;
                }
                let value = cookie.value();
                if value.len() > TOKEN_CHARS {
                    return FromCookie::Malformed;
                }
                match SessionToken::parse(value) {
                    Some(token) => return FromCookie::Token(token),
                    None => found = FromCookie::Malformed,
                }
            }
        }
        found
    }

    /// `Set-Cookie` for a new session.
    pub fn issue(&self, token: &SessionToken) -> HeaderValue {
        let cookie = Cookie::build((self.name, token.cookie_value()))
            .http_only(true)
            .same_site(SameSite::Lax)
            .path("/")
            .secure(self.secure)
            .max_age(cookie::time::Duration::seconds(self.max_age.as_secs() as i64))
            .build();
        HeaderValue::from_str(&cookie.to_string()).expect("a cookie of base64url and attributes is a valid header")
    }

    /// `Set-Cookie` that removes the session cookie.
    pub fn clear(&self) -> HeaderValue {
        let cookie = Cookie::build((self.name, ""))
            .http_only(true)
            .same_site(SameSite::Lax)
            .path("/")
            .secure(self.secure)
            .max_age(cookie::time::Duration::ZERO)
            .build();
        HeaderValue::from_str(&cookie.to_string()).expect("an empty cookie is a valid header")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_over_http_and_https() {
        let token = SessionToken::generate();
        let http = CookieJar::new(false, Duration::from_secs(3600)).issue(&token);
        let http = http.to_str().unwrap();
        assert!(http.starts_with("session="));
        assert!(http.contains("HttpOnly") && http.contains("SameSite=Lax") && http.contains("Path=/"));
        assert!(http.contains("Max-Age=3600"));
        assert!(!http.contains("Secure") && !http.contains("Domain"));

        let https = CookieJar::new(true, Duration::from_secs(60)).issue(&token);
        let https = https.to_str().unwrap();
        assert!(https.starts_with("__Host-session=") && https.contains("Secure"));
    }

    #[test]
    fn reads_only_well_formed_tokens() {
        let jar = CookieJar::new(false, Duration::from_secs(60));
        let token = SessionToken::generate();
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, HeaderValue::from_str(&format!("a=b; session={}", token.cookie_value())).unwrap());
        assert!(matches!(jar.read(&headers), FromCookie::Token(t) if t == token));
        headers.insert(COOKIE, HeaderValue::from_static("session=nonsense"));
        assert!(matches!(jar.read(&headers), FromCookie::Malformed));
        headers.insert(COOKIE, HeaderValue::from_bytes(b"session=\xff\xfe").unwrap());
        assert!(matches!(jar.read(&headers), FromCookie::Malformed));
        headers.insert(COOKIE, HeaderValue::from_static("other=1"));
        assert!(matches!(jar.read(&headers), FromCookie::Absent));
    }
}

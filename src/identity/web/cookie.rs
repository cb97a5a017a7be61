//! The app's cookies: HttpOnly, SameSite=Lax, Path=/, no Domain; Secure and the `__Host-`
//! prefix when served over https.
//!
//! - the session cookie (`session`): `<public id>.<secret>`, Max-Age = the absolute lifetime;
//! - the device cookie (`device`): a random token a browser keeps across sign-ins, so that a
//!   browser which signed in to an account before is recognised (its own attempt budget, and
//!   "new device" alerts) — only its hash is stored;
//! - the pending cookie (`pending`): a log-in whose second factor is still due (five minutes);
//! - the link cookie (`link`): the token of an emailed link the browser just followed, moved
//!   out of the address bar at once (so it is not left in the history, a `Referer` or a log)
//!   and kept for the page the link leads to (thirty minutes).
//!
//! Reading is byte-wise and looks at our own cookies only: other cookies on the same host —
//! any bytes, any length — never sign anyone out. Two *different* session cookies at once
//! (cookie tossing from a sibling host on plain http) are refused, never mixed.

use crate::identity::session::{SessionToken, TOKEN_CHARS};
use crate::infra::random;
use cookie::{Cookie, SameSite};
use http::{HeaderMap, HeaderValue, header::COOKIE};
use std::time::Duration;

/// How long a browser keeps its device cookie.
const DEVICE_MAX_AGE: Duration = Duration::from_secs(400 * 24 * 3600);
/// How long a followed email link's token stays with the browser.
const LINK_MAX_AGE: Duration = Duration::from_secs(30 * 60);

/// The first well-formed random token (32 bytes, base64url) in the cookies named `name`.
fn random_token(headers: &HeaderMap, name: &str) -> Option<String> {
    values(headers, name).filter_map(|v| std::str::from_utf8(v).ok()).find(|v| random::is_token(v)).map(str::to_owned)
}

#[derive(Clone, Debug)]
pub struct CookieJar {
    session: &'static str,
    device: &'static str,
    pending: &'static str,
    link: &'static str,
    secure: bool,
    max_age: Duration,
}

/// What a request's cookies say about its session.
#[derive(Debug)]
pub enum FromCookie {
    /// No session cookie.
    Absent,
    /// A session cookie that is not a token (malformed, oversized, not UTF-8).
    Malformed,
    /// Two different session cookies: one of them was planted. Neither is used.
    Conflicting,
    Token(SessionToken),
}

/// The values of every cookie named `name` in the request, as bytes, whatever else the headers
/// hold. Pairs are split on `;`; names and values are trimmed of spaces; a value may be quoted.
fn values<'h>(headers: &'h HeaderMap, name: &'h str) -> impl Iterator<Item = &'h [u8]> + 'h {
    headers.get_all(COOKIE).iter().flat_map(|h| h.as_bytes().split(|b| *b == b';')).filter_map(move |pair| {
        let at = pair.iter().position(|b| *b == b'=')?;
        let (key, value) = (pair[..at].trim_ascii(), pair[at + 1..].trim_ascii());
        if key != name.as_bytes() {
            return None;
        }
        Some(value.strip_prefix(b"\"").and_then(|v| v.strip_suffix(b"\"")).unwrap_or(value))
    })
}

impl CookieJar {
    pub fn new(https: bool, max_age: Duration) -> Self {
        let (session, device, pending, link) = if https {
            ("__Host-session", "__Host-device", "__Host-pending", "__Host-link")
        } else {
            ("session", "device", "pending", "link")
        };
        CookieJar { session, device, pending, link, secure: https, max_age }
    }

    pub fn name(&self) -> &'static str {
        self.session
    }

    pub fn read(&self, headers: &HeaderMap) -> FromCookie {
        let mut found = FromCookie::Absent;
        for value in values(headers, self.session) {
            let token = (value.len() <= TOKEN_CHARS)
                .then(|| std::str::from_utf8(value).ok())
                .flatten()
                .and_then(SessionToken::parse);
            found = match (found, token) {
                (FromCookie::Conflicting, _) => FromCookie::Conflicting,
                (FromCookie::Token(seen), Some(token)) if seen != token => FromCookie::Conflicting,
                (FromCookie::Token(seen), _) => FromCookie::Token(seen),
                (_, Some(token)) => FromCookie::Token(token),
                (_, None) => FromCookie::Malformed,
            };
        }
        found
    }

    /// The device token this browser carries, if it carries a well-formed one.
    pub fn device(&self, headers: &HeaderMap) -> Option<String> {
        random_token(headers, self.device)
    }

    /// `Set-Cookie` giving the browser its device token.
    pub fn issue_device(&self, token: &str) -> HeaderValue {
        self.build(self.device, token.to_owned(), DEVICE_MAX_AGE)
    }

    /// The token of a half-finished log-in (second factor due), if the browser has one.
    pub fn pending(&self, headers: &HeaderMap) -> Option<String> {
        random_token(headers, self.pending)
    }

    /// The token of the emailed link this browser followed last, if it carries one.
    pub fn link(&self, headers: &HeaderMap) -> Option<String> {
        random_token(headers, self.link)
    }

    /// `Set-Cookie` keeping an emailed link's token for the page it leads to.
    pub fn issue_link(&self, token: &str) -> HeaderValue {
        self.build(self.link, token.to_owned(), LINK_MAX_AGE)
    }

    pub fn clear_link(&self) -> HeaderValue {
        self.build(self.link, String::new(), Duration::ZERO)
    }

    /// `Set-Cookie` for a half-finished log-in.
    pub fn issue_pending(&self, token: &str) -> HeaderValue {
        self.build(self.pending, token.to_owned(), Duration::from_millis(crate::identity::sign_in::PENDING_LIFETIME_MS as u64))
    }

    pub fn clear_pending(&self) -> HeaderValue {
        self.build(self.pending, String::new(), Duration::ZERO)
    }

    /// `Set-Cookie` for a new session.
    pub fn issue(&self, token: &SessionToken) -> HeaderValue {
        self.build(self.session, token.cookie_value(), self.max_age)
    }

    /// `Set-Cookie` that removes the session cookie.
    pub fn clear(&self) -> HeaderValue {
        self.build(self.session, String::new(), Duration::ZERO)
    }

    fn build(&self, name: &'static str, value: String, max_age: Duration) -> HeaderValue {
        let cookie = Cookie::build((name, value))
            .http_only(true)
            .same_site(SameSite::Lax)
            .path("/")
            .secure(self.secure)
            .max_age(cookie::time::Duration::seconds(max_age.as_secs() as i64))
            .build();
        HeaderValue::from_str(&cookie.to_string()).expect("a cookie of base64url and attributes is a valid header")
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

    fn with_cookie(bytes: &[u8]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, HeaderValue::from_bytes(bytes).unwrap());
        headers
    }

    #[test]
    fn reads_only_well_formed_tokens() {
        let jar = CookieJar::new(false, Duration::from_secs(60));
        let token = SessionToken::generate();
        let headers = with_cookie(format!("a=b; session={}", token.cookie_value()).as_bytes());
        assert!(matches!(jar.read(&headers), FromCookie::Token(t) if t == token));
        assert!(matches!(jar.read(&with_cookie(b"session=nonsense")), FromCookie::Malformed));
        assert!(matches!(jar.read(&with_cookie(b"session=\xff\xfe")), FromCookie::Malformed));
        assert!(matches!(jar.read(&with_cookie(b"other=1")), FromCookie::Absent));
    }

    #[test]
    fn neighbour_cookies_never_matter() {
        let jar = CookieJar::new(false, Duration::from_secs(60));
        let token = SessionToken::generate();
        let value = token.cookie_value();
        let mut big = format!("session={value}; lang=").into_bytes();
        big.extend_from_slice("été".as_bytes());
        big.extend_from_slice(b"; junk=\xff\x80; x=");
        big.extend(std::iter::repeat_n(b'y', 16 * 1024));
        assert!(matches!(jar.read(&with_cookie(&big)), FromCookie::Token(t) if t == token));
        // The same token twice is still that token; two different ones are refused.
        let twice = format!("session={value}; session={value}");
        assert!(matches!(jar.read(&with_cookie(twice.as_bytes())), FromCookie::Token(_)));
        let other = SessionToken::generate().cookie_value();
        let tossed = format!("session={other}; session={value}");
        assert!(matches!(jar.read(&with_cookie(tossed.as_bytes())), FromCookie::Conflicting));
    }

    #[test]
    fn device_tokens() {
        let jar = CookieJar::new(false, Duration::from_secs(60));
        let token = random::token();
        assert!(jar.issue_device(&token).to_str().unwrap().starts_with("device="));
        assert_eq!(jar.device(&with_cookie(format!("x=1; device={token}").as_bytes())), Some(token));
        assert_eq!(jar.device(&with_cookie(b"device=short")), None);
    }
}

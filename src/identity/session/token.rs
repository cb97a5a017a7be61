//! The session token: `<public id>.<secret>` in the cookie, both base64url without padding.
//! The public id (16 random bytes) names the session everywhere; the secret (32 random bytes)
//! only ever travels in the cookie, and only its SHA-256 is stored.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::{TryRngCore, rngs::OsRng};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

const ID_BYTES: usize = 16;
const SECRET_BYTES: usize = 32;
/// base64url lengths without padding.
const ID_CHARS: usize = 22;
const SECRET_CHARS: usize = 43;
pub const TOKEN_CHARS: usize = ID_CHARS + 1 + SECRET_CHARS;

pub type SecretHash = [u8; 32];

#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken {
    id: String,
    secret: [u8; SECRET_BYTES],
}

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionToken").field("id", &self.id).field("secret", &"<redacted>").finish()
    }
}

fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    OsRng.try_fill_bytes(&mut bytes).expect("the operating system's random source failed");
    bytes
}

impl SessionToken {
    /// A fresh token from the OS CSPRNG.
    pub fn generate() -> Self {
        SessionToken { id: URL_SAFE_NO_PAD.encode(random::<ID_BYTES>()), secret: random() }
    }

    /// Parses a cookie value. Anything but the exact shape (lengths, alphabet, canonical
    /// encoding) is `None`: the request is then simply signed out.
    pub fn parse(value: &str) -> Option<Self> {
        if value.len() != TOKEN_CHARS {
            return None;
        }
        let (id, secret) = value.split_once('.')?;
        if id.len() != ID_CHARS || !is_public_id(id) {
            return None;
        }
        let secret_bytes = URL_SAFE_NO_PAD.decode(secret).ok()?;
        let secret: [u8; SECRET_BYTES] = secret_bytes.try_into().ok()?;
        Some(SessionToken { id: id.to_owned(), secret })
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// The value of the cookie. The only place the secret is ever encoded.
    pub fn cookie_value(&self) -> String {
        format!("{}.{}", self.id, URL_SAFE_NO_PAD.encode(self.secret))
    }

    pub fn secret_hash(&self) -> SecretHash {
        Sha256::digest(self.secret).into()
    }

    /// Constant-time comparison of this token's secret with a stored hash.
    pub fn matches(&self, stored: &[u8]) -> bool {
        let hash = self.secret_hash();
        stored.len() == hash.len() && bool::from(hash.ct_eq(stored))
    }
}

/// A key only this session's cookie gives (derived from its secret, never stored): what the
/// server seals the session's own secrets with — an authenticator app it is setting up, fresh
/// recovery codes — so that neither another session nor a copy of the database can open them.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionKey([u8; 32]);

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKey(<redacted>)")
    }
}

impl SessionToken {
    pub fn key(&self) -> SessionKey {
        use hmac::{Hmac, Mac};
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.secret).expect("HMAC takes any key length");
        mac.update(b"active-sessions: the session's sealing key");
        SessionKey(mac.finalize().into_bytes().into())
    }
}

impl SessionKey {
    /// `plaintext` sealed (XChaCha20-Poly1305, a random nonce), as base64url.
    pub fn seal(&self, plaintext: &str) -> String {
        use chacha20poly1305::{KeyInit, XChaCha20Poly1305, aead::Aead};
        let nonce: [u8; 24] = random();
        let cipher = XChaCha20Poly1305::new((&self.0).into());
        let sealed = cipher.encrypt((&nonce).into(), plaintext.as_bytes()).expect("sealing a short text works");
        URL_SAFE_NO_PAD.encode([nonce.as_slice(), &sealed].concat())
    }

    /// What [`SessionKey::seal`] sealed with this key; `None` for anything else.
    pub fn open(&self, sealed: &str) -> Option<String> {
        use chacha20poly1305::{KeyInit, XChaCha20Poly1305, aead::Aead};
        let bytes = URL_SAFE_NO_PAD.decode(sealed).ok()?;
        let (nonce, sealed) = (bytes.get(..24)?, bytes.get(24..)?);
        let cipher = XChaCha20Poly1305::new((&self.0).into());
        String::from_utf8(cipher.decrypt(nonce.into(), sealed).ok()?).ok()
    }
}

/// Whether `value` has the shape of a public session id (22 base64url characters, canonical).
pub fn is_public_id(value: &str) -> bool {
    value.len() == ID_CHARS
        && URL_SAFE_NO_PAD.decode(value).is_ok_and(|bytes| bytes.len() == ID_BYTES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_sessions_own_key_opens_what_it_sealed() {
        let (a, b) = (SessionToken::generate(), SessionToken::generate());
        let sealed = a.key().seal("JBSWY3DPEHPK3PXP");
        assert!(!sealed.contains("JBSWY3DPEHPK3PXP"));
        assert_eq!(a.key().open(&sealed).as_deref(), Some("JBSWY3DPEHPK3PXP"));
        assert_eq!(SessionToken::parse(&a.cookie_value()).unwrap().key().open(&sealed).as_deref(), Some("JBSWY3DPEHPK3PXP"));
        assert_eq!(b.key().open(&sealed), None, "another session's key");
        assert_ne!(a.key().seal("x"), a.key().seal("x"), "a fresh nonce each time");
        let mut tampered = sealed.clone().into_bytes();
        tampered[40] = if tampered[40] == b'A' { b'B' } else { b'A' };
        assert_eq!(a.key().open(std::str::from_utf8(&tampered).unwrap()), None);
        assert!(!format!("{:?}", a.key()).contains(&format!("{:?}", a.key().0)));
    }

    #[test]
    fn round_trips_and_rejects_everything_else() {
        let token = SessionToken::generate();
        let value = token.cookie_value();
        assert_eq!(value.len(), TOKEN_CHARS);
        let parsed = SessionToken::parse(&value).unwrap();
        assert_eq!(parsed, token);
        assert!(parsed.matches(&token.secret_hash()));

        assert!(SessionToken::parse("").is_none());
        assert!(SessionToken::parse(&value[1..]).is_none());
        assert!(SessionToken::parse(&format!("{value}A")).is_none());
        assert!(SessionToken::parse(&value.replace('.', "!")).is_none());
        let padded = format!("{}=.{}", &value[..21], &value[23..]);
        assert!(SessionToken::parse(&padded).is_none());
        let other = SessionToken::generate();
        assert!(!parsed.matches(&other.secret_hash()));
        assert!(!parsed.matches(&[]));
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let token = SessionToken::generate();
        let secret = token.cookie_value().split_once('.').unwrap().1.to_owned();
        assert!(!format!("{token:?}").contains(&secret));
    }

    #[test]
    fn tokens_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..100_000 {
            assert!(seen.insert(SessionToken::generate().cookie_value()));
        }
    }
}

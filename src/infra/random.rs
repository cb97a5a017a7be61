//! Random values from the operating system's CSPRNG: every token, secret and code the app
//! hands out starts here.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::{TryRngCore, rngs::OsRng};

pub fn bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    OsRng.try_fill_bytes(&mut bytes).expect("the operating system's random source works");
    bytes
}

/// 32 random bytes as base64url without padding (43 characters): the shape of every opaque
/// token the app stores only hashed (device, pending log-in, emailed link, ceremony).
pub fn token() -> String {
    URL_SAFE_NO_PAD.encode(bytes::<32>())
}

/// Whether `value` has the shape of a [`token`].
pub fn is_token(value: &str) -> bool {
    value.len() == 43 && URL_SAFE_NO_PAD.decode(value).is_ok_and(|b| b.len() == 32)
}

/// SHA-256 of a token, in hex: how tokens are stored.
pub fn token_hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// A number of `digits` decimal digits, uniformly drawn (a one-time code).
pub fn digits(digits: u32) -> String {
    let modulus = 10u64.pow(digits);
    // Rejection sampling: no value is likelier than another.
    let limit = u64::MAX - u64::MAX % modulus;
    loop {
        let n = u64::from_le_bytes(bytes::<8>());
        if n < limit {
            return format!("{:0width$}", n % modulus, width = digits as usize);
        }
    }
}

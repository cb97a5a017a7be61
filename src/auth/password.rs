//! Passwords: argon2id (OWASP's parameters, the crate's defaults), hashed on the blocking pool
//! so the async threads keep serving. 8 to 1024 characters, all significant, no composition
//! rules, the most common ones refused.

use crate::error::AppError;
use argon2::{
    Argon2,
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng},
};
use std::{
    collections::HashSet,
    sync::{
        LazyLock,
        atomic::{AtomicU64, Ordering},
    },
};

pub const MIN_CHARS: usize = 8;
pub const MAX_CHARS: usize = 1024;

/// The 10,000 most common passwords of 8 or more characters (from zxcvbn's frequency list, MIT).
static COMMON: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| include_str!("common_passwords.txt").lines().filter(|l| !l.is_empty()).collect());

pub fn is_common(password: &str) -> bool {
    COMMON.contains(password.to_lowercase().as_str())
}

/// The rules for a new password.
pub fn check_new(password: &str) -> Result<(), AppError> {
    let chars = password.chars().count();
    if chars < MIN_CHARS {
        return Err(AppError::PasswordTooShort);
    }
    if chars > MAX_CHARS {
        return Err(AppError::PasswordTooLong);
    }
    if is_common(password) {
        return Err(AppError::PasswordTooCommon);
    }
    Ok(())
}

/// Hashing and verification, with a dummy hash so that an unknown account costs the same
/// work as a wrong password.
pub struct Passwords {
    dummy: String,
    verifications: AtomicU64,
}

impl Passwords {
    pub async fn new() -> Self {
        let mut random = [0u8; 24];
        rand::TryRngCore::try_fill_bytes(&mut rand::rngs::OsRng, &mut random).expect("OS random source");
        let dummy = hash(format!("{random:?}")).await.expect("hashing a fixed-size password succeeds");
        Passwords { dummy, verifications: AtomicU64::new(0) }
    }

    /// Verifies `password` against `stored`, or against the dummy hash when there is no
    /// account, so both take the same time. Always false in the second case.
    pub async fn verify(&self, password: String, stored: Option<String>) -> bool {
        self.verifications.fetch_add(1, Ordering::Relaxed);
        let exists = stored.is_some();
        let hash = stored.unwrap_or_else(|| self.dummy.clone());
        verify(password, hash).await && exists
    }
}

impl Passwords {
    /// How many argon2 verifications ran: the work a log-in costs, known account or not.
    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }
}

pub async fn hash(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|_| AppError::Internal)
    })
    .await
    .map_err(|_| AppError::Internal)?
}

async fn verify(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        assert_eq!(check_new("short7!"), Err(AppError::PasswordTooShort));
        assert_eq!(check_new("password"), Err(AppError::PasswordTooCommon));
        assert_eq!(check_new("PassWord"), Err(AppError::PasswordTooCommon));
        assert!(check_new("correct horse battery").is_ok());
        // Characters, not bytes: 8 emoji are 8 characters.
        assert!(check_new("🔑🔑🔑🔑🔑🔑🔑🔑").is_ok());
        assert_eq!(check_new("🔑🔑🔑🔑🔑🔑🔑"), Err(AppError::PasswordTooShort));
        assert!(check_new(&"é".repeat(MAX_CHARS)).is_ok());
        assert_eq!(check_new(&"é".repeat(MAX_CHARS + 1)), Err(AppError::PasswordTooLong));
        // No composition rules: all lower-case letters and spaces are fine.
        assert!(check_new("just some lower case words").is_ok());
    }

    #[tokio::test]
    async fn argon2id_and_every_character_counts() {
        let base: String = "a".repeat(89);
        let one = format!("{base}b-rest");
        let two = format!("{base}c-rest");
        let hashed = hash(one.clone()).await.unwrap();
        assert!(hashed.starts_with("$argon2id$"));
        assert!(verify(one, hashed.clone()).await);
        assert!(!verify(two, hashed).await);
        let long = "x".repeat(1023) + "y";
        let long_hash = hash(long.clone()).await.unwrap();
        assert!(!verify("x".repeat(1023) + "z", long_hash.clone()).await);
        assert!(verify(long, long_hash).await);
    }

    #[tokio::test]
    async fn unknown_accounts_never_verify() {
        let passwords = Passwords::new().await;
        assert!(!passwords.verify("anything at all".into(), None).await);
    }
}

//! Passwords: argon2id (OWASP's parameters, the crate's defaults), hashed on the blocking pool
//! so the async threads keep serving. 8 to 1024 characters, all significant, no composition
//! rules, the most common ones refused.
//!
//! Hashing is bounded: it runs on `workers` threads of its own (about the number of cores) and
//! at most `queue` more hashes wait; beyond that a request is told at once to come back
//! ([`AppError::Busy`], 503 with `Retry-After`) instead of piling 19 MiB hashes up. The hashing
//! threads run at the lowest scheduling priority, so when log-ins flood in, the cores go to
//! signed-in requests first (which never hash): `make bench` step 8 measures it.

use crate::infra::error::AppError;
use std::sync::{Arc, Mutex, mpsc};
use tokio::sync::Semaphore;
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
    /// Places for hashes running or waiting.
    admitted: Semaphore,
    capacity: usize,
    pool: HashPool,
}

type Job = Box<dyn FnOnce() + Send>;

/// Threads that only hash, at the lowest priority the OS gives a normal thread.
struct HashPool {
    jobs: mpsc::Sender<Job>,
}

impl HashPool {
    fn start(workers: usize) -> Self {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..workers {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || {
                    if let Err(e) = thread_priority::set_current_thread_priority(thread_priority::ThreadPriority::Min) {
                        tracing::warn!("could not lower the priority of a hashing thread: {e:?}");
                    }
                    loop {
                        let job = match queue.lock() {
                            Ok(queue) => queue.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                })
                .expect("a hashing thread starts");
        }
        HashPool { jobs }
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, AppError> {
        let (done, result) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let _ = done.send(work());
            }))
            .map_err(|_| AppError::Internal)?;
        result.await.map_err(|_| AppError::Internal)
    }
}

/// Seconds a refused hash is told to wait.
pub const BUSY_RETRY_AFTER: u64 = 2;

impl Passwords {
    pub async fn new(workers: usize, queue: usize) -> Self {
        let mut random = [0u8; 24];
        rand::TryRngCore::try_fill_bytes(&mut rand::rngs::OsRng, &mut random).expect("OS random source");
        let seed = format!("{random:?}");
        let dummy = tokio::task::spawn_blocking(move || hash_now(&seed))
            .await
            .expect("the blocking pool runs")
            .expect("hashing a fixed-size password succeeds");
        let workers = workers.max(1);
        Passwords {
            dummy,
            verifications: AtomicU64::new(0),
            admitted: Semaphore::new(workers + queue),
            capacity: workers + queue,
            pool: HashPool::start(workers),
        }
    }

    /// Runs `work` on a hashing thread when one is free, or refuses at once when the queue is
    /// full.
    async fn bounded<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, AppError> {
        let admitted = self.admitted.try_acquire().map_err(|_| AppError::Busy(BUSY_RETRY_AFTER));
        metrics::gauge!("password_hashes_in_use").set(self.in_use() as f64);
        let _admitted = admitted?;
        let result = self.pool.run(work).await;
        metrics::gauge!("password_hashes_in_use").set(self.in_use().saturating_sub(1) as f64);
        result
    }

    /// Verifies `password` against `stored`, or against the dummy hash when there is no
    /// account, so both take the same time. `Ok(false)` in the second case.
    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool, AppError> {
        let exists = stored.is_some();
        let hash = stored.unwrap_or_else(|| self.dummy.clone());
        let ok = self.bounded(move || verify_now(&password, &hash)).await?;
        self.verifications.fetch_add(1, Ordering::Relaxed);
        Ok(ok && exists)
    }

    /// The argon2id hash of a new password.
    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        self.bounded(move || hash_now(&password)).await?
    }

    /// How many argon2 verifications ran: the work a log-in costs, known account or not.
    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }

    /// Hashes running or waiting now.
    pub fn in_use(&self) -> usize {
        self.capacity - self.admitted.available_permits()
    }
}

fn hash_now(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|_| AppError::Internal)
}

fn verify_now(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok()).unwrap_or(false)
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

    #[test]
    fn argon2id_and_every_character_counts() {
        let base: String = "a".repeat(89);
        let one = format!("{base}b-rest");
        let two = format!("{base}c-rest");
        let hashed = hash_now(&one).unwrap();
        assert!(hashed.starts_with("$argon2id$"));
        assert!(verify_now(&one, &hashed));
        assert!(!verify_now(&two, &hashed));
        let long = "x".repeat(1023) + "y";
        let long_hash = hash_now(&long).unwrap();
        assert!(!verify_now(&("x".repeat(1023) + "z"), &long_hash));
        assert!(verify_now(&long, &long_hash));
    }

    #[tokio::test]
    async fn unknown_accounts_never_verify() {
        let passwords = Passwords::new(1, 1).await;
        assert_eq!(passwords.verify("anything at all".into(), None).await, Ok(false));
    }

    #[tokio::test]
    async fn a_full_queue_is_refused_at_once() {
        let passwords = std::sync::Arc::new(Passwords::new(1, 1).await);
        let stored = Some(hash_now("correct horse battery").unwrap());
        // One running, one waiting: a third is refused without waiting for either.
        let running: Vec<_> = (0..2)
            .map(|_| {
                let (p, s) = (passwords.clone(), stored.clone());
                tokio::spawn(async move { p.verify("wrong guess here".into(), s).await })
            })
            .collect();
        while passwords.in_use() < 2 {
            tokio::task::yield_now().await;
        }
        assert_eq!(passwords.verify("x".into(), stored.clone()).await, Err(AppError::Busy(BUSY_RETRY_AFTER)));
        for r in running {
            assert_eq!(r.await.unwrap(), Ok(false));
        }
        assert_eq!(passwords.in_use(), 0);
    }
}

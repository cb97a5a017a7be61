//! Authenticator apps (TOTP, RFC 6238, through totp-rs) and one-time recovery codes.
//!
//! Codes are 6 digits for 30-second steps, SHA-1 (what every authenticator app does), and one
//! step of clock drift either way is accepted. A code is never accepted twice: the newest step
//! used is stored, and taking a step is one conditional `UPDATE` (`last_step < step`), so two
//! requests racing with the same code cannot both win. Recovery codes are random (10 characters
//! of a 32-letter alphabet, 50 bits), stored as SHA-256, and each is spent by one conditional
//! `UPDATE`.

use crate::{db_read, db_write, identity::security_log::NewEvent, infra::db::Db, insert_event};
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, Builder, Secret, Totp};

const ISSUER: &str = "Account security";
/// Recovery codes a person gets at a time.
pub const RECOVERY_CODES: usize = 10;
/// Letters of recovery codes: no 0/O, 1/I/L to misread.
const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// The account's TOTP from its stored base32 secret (`email` names it in the app).
fn totp(secret: &str, email: &str) -> Option<Totp> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(Secret::try_from_base32(secret).ok()?)
        .with_issuer(Some(ISSUER))
        .with_account_name(email.replace(':', " "))
        .build()
        .ok()
}

/// A new secret for setting up an authenticator app: its base32 text ("Setup key").
pub fn new_secret() -> String {
    let mut bytes = [0u8; 20];
    rand::TryRngCore::try_fill_bytes(&mut rand::rngs::OsRng, &mut bytes).expect("the OS random source works");
    Secret::from(bytes).to_base32()
}

/// The setup key in groups of four, as people type it.
pub fn grouped(secret: &str) -> String {
    secret.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ")
}

/// The `otpauth://` address of a secret (what the QR code holds; a phone opens it in its app).
pub fn url(secret: &str, email: &str) -> Option<String> {
    totp(secret, email)?.to_url().ok()
}

/// The `otpauth://` URL of a secret as a QR code, inline SVG (rendered on the server).
pub fn qr_code(secret: &str, email: &str) -> Option<String> {
    let url = url(secret, email)?;
    let svg = qrcode::QrCode::new(url.as_bytes())
        .ok()?
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    // The renderer starts with an XML declaration, which has no place inside HTML.
    svg.find("<svg").map(|at| svg[at..].to_owned())
}

/// The time step `code` is valid for at `unix_seconds` (±1 step), if any.
pub fn matching_step(secret: &str, code: &str, unix_seconds: u64) -> Option<u64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    totp(secret, "")?.check(&code, unix_seconds)
}

/// The code an authenticator app shows at `unix_seconds` (for tests).
pub fn code_at(secret: &str, unix_seconds: u64) -> Option<String> {
    Some(totp(secret, "")?.generate(unix_seconds).to_string())
}

/// Fresh recovery codes ("abcde-fghjk"), to show once.
pub fn new_recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut bytes = [0u8; 10];
            rand::TryRngCore::try_fill_bytes(&mut rand::rngs::OsRng, &mut bytes).expect("the OS random source works");
            let letters: String = bytes.iter().map(|b| RECOVERY_ALPHABET[*b as usize % RECOVERY_ALPHABET.len()] as char).collect();
            format!("{}-{}", &letters[..5], &letters[5..])
        })
        .collect()
}

/// How a recovery code is stored: lower-cased, without spaces or dashes, SHA-256 in hex.
pub fn recovery_hash(code: &str) -> String {
    let canonical: String = code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect();
    Sha256::digest(canonical.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// The authenticator app of an account, as stored (only once it is on).
#[derive(sqlx::FromRow, Debug, Clone)]
pub struct TotpRecord {
    pub secret: String,
    pub enabled_at: Option<i64>,
}

pub async fn find(db: &Db, user_id: i64) -> Result<Option<TotpRecord>, sqlx::Error> {
    db_read!(db, |pool| {
        sqlx::query_as("SELECT secret, enabled_at FROM totp WHERE user_id = $1 AND enabled_at IS NOT NULL")
            .bind(user_id)
            .fetch_optional(pool)
            .await
    })
}

/// The lineage a session signed in with the account's authenticator app descends from.
pub async fn app_lineage(db: &Db, user_id: i64) -> Result<String, sqlx::Error> {
    let lineage: Option<String> = db_read!(db, |pool| {
        sqlx::query_scalar("SELECT added_lineage FROM totp WHERE user_id = $1").bind(user_id).fetch_optional(pool).await
    })?;
    Ok(lineage.unwrap_or_default())
}

/// The lineage a session signed in with one of the account's recovery codes descends from.
pub async fn codes_lineage(db: &Db, user_id: i64) -> Result<String, sqlx::Error> {
    let lineage: Option<String> = db_read!(db, |pool| {
        sqlx::query_scalar("SELECT added_lineage FROM recovery_code_sets WHERE user_id = $1").bind(user_id).fetch_optional(pool).await
    })?;
    Ok(lineage.unwrap_or_default())
}

/// Whether the account has turned two-factor authentication on.
pub async fn is_on(db: &Db, user_id: i64) -> Result<bool, sqlx::Error> {
    Ok(find(db, user_id).await?.is_some())
}

/// Starts (or restarts) setting up an app in the session `session_id`: its own secret
/// (`sealed` with the session's key), until `expires_at`. False when the account has an app
/// on already.
pub async fn begin(db: &Db, session_id: &str, user_id: i64, sealed: &str, expires_at: i64) -> Result<bool, sqlx::Error> {
    db_write!(db, |pool| {
        let mut tx = pool.begin().await?;
        let on: Option<i64> = sqlx::query_scalar("SELECT user_id FROM totp WHERE user_id = $1").bind(user_id).fetch_optional(&mut *tx).await?;
        if on.is_some() {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO totp_setups (session_id, user_id, secret, expires_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (session_id) DO UPDATE SET secret = excluded.secret, expires_at = excluded.expires_at",
        )
        .bind(session_id)
        .bind(user_id)
        .bind(sealed)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    })
}

/// The sealed secret of the app the session `session_id` is setting up, if it still is.
pub async fn setup_of(db: &Db, session_id: &str, now: i64) -> Result<Option<String>, sqlx::Error> {
    db_read!(db, |pool| {
        sqlx::query_scalar("SELECT secret FROM totp_setups WHERE session_id = $1 AND expires_at > $2")
            .bind(session_id)
            .bind(now)
            .fetch_optional(pool)
            .await
    })
}

/// What an addition records about where it came from: the session, and the device, address
/// and place of its request (the event's origin).
macro_rules! bind_added {
    ($query:expr, $session:expr, $lineage:expr, $event:expr) => {
        $query
            .bind($session)
            .bind(crate::identity::account::provenance::child_lineage(&$lineage, $session))
            .bind($event.origin.ip.as_str())
            .bind($event.origin.device.as_str())
            .bind($event.origin.location.as_deref())
    };
}

/// How an addition went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    Added,
    /// The account has one already (another session turned it on first), or there was none to
    /// finish.
    Refused,
    /// The session that asked is gone (ended, or disowned) — nothing was added.
    SessionGone,
}

/// Turns the app the session `session_id` set up on with `secret` and its first code's step
/// (which is then used), stores new recovery codes and records `event`, in one transaction.
/// Of two sessions racing to turn an app on, one does; the other is refused.
pub async fn enable(
    db: &Db,
    session_id: &str,
    user_id: i64,
    secret: &str,
    step: u64,
    recovery: &[String],
    event: &NewEvent,
) -> Result<Added, sqlx::Error> {
    let now = event.at;
    let postgres = matches!(db, Db::Postgres(_));
    db_write!(db, |pool| {
        let mut tx = pool.begin().await?;
        let Some(lineage) = crate::adding_session!(tx, postgres, user_id, session_id)? else { return Ok(Added::SessionGone) };
        let setup = sqlx::query("DELETE FROM totp_setups WHERE session_id = $1 AND expires_at > $2")
            .bind(session_id)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if setup != 1 {
            return Ok(Added::Refused);
        }
        let on = bind_added!(
            sqlx::query(
                "INSERT INTO totp (user_id, secret, enabled_at, last_step, created_at, added_by, added_lineage, added_ip, added_device, added_location) \
                 VALUES ($1, $2, $3, $4, $3, $5, $6, $7, $8, $9) ON CONFLICT (user_id) DO NOTHING",
            )
            .bind(user_id)
            .bind(secret)
            .bind(now)
            .bind(step as i64),
            session_id,
            lineage,
            event
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if on != 1 {
            return Ok(Added::Refused);
        }
        replace_recovery_codes!(tx, user_id, recovery, session_id, lineage, event);
        insert_event!(&mut *tx, event).await?;
        tx.commit().await?;
        Ok(Added::Added)
    })
}

macro_rules! replace_recovery_codes {
    ($tx:expr, $user_id:expr, $codes:expr, $session:expr, $lineage:expr, $event:expr) => {
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind($user_id).execute(&mut *$tx).await?;
        for code in $codes {
            sqlx::query("INSERT INTO recovery_codes (user_id, code_hash, used_at) VALUES ($1, $2, NULL)")
                .bind($user_id)
                .bind(recovery_hash(code))
                .execute(&mut *$tx)
                .await?;
        }
        bind_added!(
            sqlx::query(
                "INSERT INTO recovery_code_sets (user_id, created_at, added_by, added_lineage, added_ip, added_device, added_location) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (user_id) DO UPDATE SET created_at = excluded.created_at, \
                 added_by = excluded.added_by, added_lineage = excluded.added_lineage, added_ip = excluded.added_ip, \
                 added_device = excluded.added_device, added_location = excluded.added_location",
            )
            .bind($user_id)
            .bind($event.at),
            $session,
            $lineage,
            $event
        )
        .execute(&mut *$tx)
        .await?;
    };
}
use replace_recovery_codes;

/// Replaces the recovery codes (the old ones stop working) for the session `session_id` and
/// records `event`, in one transaction. Refused when 2FA is off.
pub async fn regenerate_recovery_codes(db: &Db, session_id: &str, user_id: i64, recovery: &[String], event: &NewEvent) -> Result<Added, sqlx::Error> {
    let postgres = matches!(db, Db::Postgres(_));
    db_write!(db, |pool| {
        let mut tx = pool.begin().await?;
        let Some(lineage) = crate::adding_session!(tx, postgres, user_id, session_id)? else { return Ok(Added::SessionGone) };
        let lock = if postgres { " FOR SHARE" } else { "" };
        let on: Option<i64> = sqlx::query_scalar(&format!("SELECT user_id FROM totp WHERE user_id = $1 AND enabled_at IS NOT NULL{lock}"))
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?;
        if on.is_none() {
            return Ok(Added::Refused);
        }
        replace_recovery_codes!(tx, user_id, recovery, session_id, lineage, event);
        insert_event!(&mut *tx, event).await?;
        tx.commit().await?;
        Ok(Added::Added)
    })
}

/// Takes the time step `step` for this account if no newer or equal step was taken: true once.
pub async fn take_step(db: &Db, user_id: i64, step: u64) -> Result<bool, sqlx::Error> {
    db_write!(db, |pool| {
        sqlx::query("UPDATE totp SET last_step = $2 WHERE user_id = $1 AND enabled_at IS NOT NULL AND last_step < $2")
            .bind(user_id)
            .bind(step as i64)
            .execute(pool)
            .await
            .map(|r| r.rows_affected() == 1)
    })
}

/// Spends a recovery code: true once per code.
pub async fn spend_recovery_code(db: &Db, user_id: i64, code: &str, now: i64) -> Result<bool, sqlx::Error> {
    db_write!(db, |pool| {
        sqlx::query("UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL")
            .bind(user_id)
            .bind(recovery_hash(code))
            .bind(now)
            .execute(pool)
            .await
            .map(|r| r.rows_affected() == 1)
    })
}

/// Recovery codes not used yet.
pub async fn recovery_codes_left(db: &Db, user_id: i64) -> Result<i64, sqlx::Error> {
    db_read!(db, |pool| {
        sqlx::query_scalar("SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL")
            .bind(user_id)
            .fetch_one(pool)
            .await
    })
}

/// Turns two-factor authentication off: the app and the recovery codes are forgotten, and
/// `event` is recorded if it was on, in one transaction.
pub async fn disable(db: &Db, user_id: i64, event: &NewEvent) -> Result<bool, sqlx::Error> {
    db_write!(db, |pool| {
        let mut tx = pool.begin().await?;
        let removed = sqlx::query("DELETE FROM totp WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?.rows_affected();
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM recovery_code_sets WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
        if removed == 1 {
            insert_event!(&mut *tx, event).await?;
        }
        tx.commit().await?;
        Ok(removed == 1)
    })
}

/// Keeps fresh recovery codes for the session that made them, to be shown once — `sealed`
/// with that session's key: they are never at rest in plaintext.
pub async fn keep_to_show(db: &Db, session_id: &str, sealed: &str, expires_at: i64) -> Result<(), sqlx::Error> {
    db_write!(db, |pool| {
        sqlx::query(
            "INSERT INTO recovery_reveals (session_id, codes, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (session_id) DO UPDATE SET codes = excluded.codes, expires_at = excluded.expires_at",
        )
        .bind(session_id)
        .bind(sealed)
        .bind(expires_at)
        .execute(pool)
        .await
        .map(|_| ())
    })
}

/// The sealed fresh codes of this session, if it has some still to show.
pub async fn peek_to_show(db: &Db, session_id: &str, now: i64) -> Result<Option<String>, sqlx::Error> {
    db_read!(db, |pool| {
        sqlx::query_scalar("SELECT codes FROM recovery_reveals WHERE session_id = $1 AND expires_at > $2")
            .bind(session_id)
            .bind(now)
            .fetch_optional(pool)
            .await
    })
}

/// The fresh codes of this session are not shown again.
pub async fn take_to_show(db: &Db, session_id: &str) -> Result<(), sqlx::Error> {
    db_write!(db, |pool| {
        sqlx::query("DELETE FROM recovery_reveals WHERE session_id = $1").bind(session_id).execute(pool).await.map(|_| ())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_window_of_one_step() {
        let secret = new_secret();
        let t = 1_795_700_000u64;
        let now = code_at(&secret, t).unwrap();
        assert_eq!(matching_step(&secret, &now, t), Some(t / 30));
        assert_eq!(matching_step(&secret, &code_at(&secret, t - 30).unwrap(), t), Some(t / 30 - 1));
        assert_eq!(matching_step(&secret, &code_at(&secret, t + 30).unwrap(), t), Some(t / 30 + 1));
        assert_eq!(matching_step(&secret, &code_at(&secret, t - 60).unwrap(), t), None);
        assert_eq!(matching_step(&secret, &code_at(&secret, t + 60).unwrap(), t), None);
        assert_eq!(matching_step(&secret, &format!("{} {}", &now[..3], &now[3..]), t), Some(t / 30), "spaces are fine");
        assert_eq!(matching_step(&secret, "12345", t), None);
        assert_eq!(matching_step(&secret, "abcdef", t), None);
    }

    #[test]
    fn rfc6238_test_vector() {
        // RFC 6238, appendix B: the SHA-1 secret "12345678901234567890" at 59 s → 94287082 (8 digits;
        // its last 6 are what a 6-digit app shows).
        let secret = Secret::from(*b"12345678901234567890").to_base32();
        assert_eq!(code_at(&secret, 59).unwrap(), "287082");
    }

    #[test]
    fn recovery_codes_are_random_and_forgiving_to_type() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        assert_eq!(codes.iter().collect::<std::collections::HashSet<_>>().len(), RECOVERY_CODES);
        assert!(codes.iter().all(|c| c.len() == 11 && c.as_bytes()[5] == b'-'));
        assert_eq!(recovery_hash(&codes[0]), recovery_hash(&format!(" {} ", codes[0].to_uppercase().replace('-', " "))));
        assert_ne!(recovery_hash(&codes[0]), recovery_hash(&codes[1]));
    }

    #[test]
    fn the_qr_code_is_inline_svg() {
        let svg = qr_code(&new_secret(), "someone@example.com").unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("</svg>"));
    }
}

//! Where every way to sign in came from: the session that added it, that session's lineage
//! (the sessions that led to it, through passkeys they added), and the device, address and
//! place it was added from. Disowning a session removes what it, or a session descended from
//! it, added; the review after a recovery lists what was added lately.
//!
//! The SQL here runs inside other rooms' transactions (an ending, an addition), so it is
//! written as macros over a transaction of either engine, like `insert_event!`.

use crate::infra::timefmt;

/// What kind of sign-in method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum MethodKind {
    Passkey,
    AuthenticatorApp,
    RecoveryCodes,
}

impl MethodKind {
    pub fn words(self) -> &'static str {
        match self {
            MethodKind::Passkey => "passkey",
            MethodKind::AuthenticatorApp => "authenticator app",
            MethodKind::RecoveryCodes => "recovery codes",
        }
    }
}

/// A sign-in method as the review lists it (and as a removal describes it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Method {
    pub kind: MethodKind,
    /// The passkey's credential id; for the app and the codes, the kind's name.
    pub id: String,
    /// The passkey's name.
    pub name: Option<String>,
    pub added_at: i64,
    /// The session that added it (`None` before sessions were recorded).
    pub added_by: Option<String>,
    pub lineage: String,
    pub ip: String,
    pub device: String,
    pub place: Option<String>,
}

impl Method {
    /// "passkey “Spare key”, added from Firefox on Windows in London, United Kingdom at
    /// 7 Dec 2026, 12:04 UTC".
    pub fn describe(&self) -> String {
        let what = match &self.name {
            Some(name) => format!("{} \u{201c}{name}\u{201d}", self.kind.words()),
            None => self.kind.words().to_owned(),
        };
        let device = if self.device.is_empty() { "an unknown device" } else { &self.device };
        let place = match self.place.as_deref() {
            Some(p) if p == crate::identity::client::LOCAL_NETWORK => " on a local network".to_owned(),
            Some(p) => format!(" in {p}"),
            None => String::new(),
        };
        format!("{what}, added from {device}{place} at {}", timefmt::utc(self.added_at))
    }

    /// Whether disowning `session` takes it: it added it, or descends from it.
    pub fn comes_from(&self, session: &str) -> bool {
        self.added_by.as_deref() == Some(session) || self.lineage.split(' ').any(|s| s == session)
    }
}

/// The lineage of a method added (or a session signed in) by `session`, whose own lineage is
/// `lineage`: its ancestors, then itself.
pub fn child_lineage(lineage: &str, session: &str) -> String {
    if lineage.is_empty() { session.to_owned() } else { format!("{lineage} {session}") }
}

#[derive(sqlx::FromRow)]
pub struct MethodRow {
    pub kind: String,
    pub id: String,
    pub name: Option<String>,
    pub added_at: i64,
    pub added_by: Option<String>,
    pub added_lineage: String,
    pub added_ip: String,
    pub added_device: String,
    pub added_location: Option<String>,
}

impl From<MethodRow> for Method {
    fn from(r: MethodRow) -> Method {
        Method {
            kind: r.kind.parse().unwrap_or(MethodKind::Passkey),
            id: r.id,
            name: r.name,
            added_at: r.added_at,
            added_by: r.added_by,
            lineage: r.added_lineage,
            ip: r.added_ip,
            device: r.added_device,
            place: r.added_location,
        }
    }
}

/// Every sign-in method of an account, with where it came from.
pub const METHODS: &str = "\
    SELECT 'passkey' AS kind, credential_id AS id, name, created_at AS added_at, added_by, added_lineage, added_ip, added_device, added_location \
      FROM passkeys WHERE user_id = $1 \
    UNION ALL \
    SELECT 'authenticator_app', 'authenticator_app', NULL, enabled_at, added_by, added_lineage, added_ip, added_device, added_location \
      FROM totp WHERE user_id = $1 AND enabled_at IS NOT NULL \
    UNION ALL \
    SELECT 'recovery_codes', 'recovery_codes', NULL, created_at, added_by, added_lineage, added_ip, added_device, added_location \
      FROM recovery_code_sets WHERE user_id = $1";

/// The sign-in methods of `$user_id`, in a transaction or on a pool.
#[macro_export]
macro_rules! methods_of {
    ($executor:expr, $user_id:expr) => {
        sqlx::query_as::<_, $crate::identity::account::provenance::MethodRow>($crate::identity::account::provenance::METHODS)
            .bind($user_id)
            .fetch_all($executor)
    };
}

/// Removes one sign-in method of `$user_id` inside the transaction `$tx`: a passkey, the
/// authenticator app (with its recovery codes: two-factor is off), or the recovery codes.
/// Evaluates to whether it was there.
#[macro_export]
macro_rules! remove_method {
    ($tx:expr, $user_id:expr, $method:expr) => {{
        let method: &$crate::identity::account::provenance::Method = $method;
        use $crate::identity::account::provenance::MethodKind;
        let removed = match method.kind {
            MethodKind::Passkey => sqlx::query("DELETE FROM passkeys WHERE user_id = $1 AND credential_id = $2")
                .bind($user_id)
                .bind(&method.id)
                .execute(&mut *$tx)
                .await?
                .rows_affected(),
            MethodKind::AuthenticatorApp => {
                sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind($user_id).execute(&mut *$tx).await?;
                sqlx::query("DELETE FROM recovery_code_sets WHERE user_id = $1").bind($user_id).execute(&mut *$tx).await?;
                sqlx::query("DELETE FROM totp WHERE user_id = $1").bind($user_id).execute(&mut *$tx).await?.rows_affected()
            }
            MethodKind::RecoveryCodes => {
                sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind($user_id).execute(&mut *$tx).await?;
                sqlx::query("DELETE FROM recovery_code_sets WHERE user_id = $1").bind($user_id).execute(&mut *$tx).await?.rows_affected()
            }
        };
        Ok::<bool, sqlx::Error>(removed > 0)
    }};
}

/// Inside the transaction `$tx`: removes every sign-in method of `$user_id` that the session
/// `$session` (or one descended from it) added, and evaluates to them (for the events and the
/// "Removed: …" the owner reads). The authenticator app goes before its codes.
#[macro_export]
macro_rules! remove_methods_of {
    ($tx:expr, $user_id:expr, $session:expr) => {{
        let session: &str = $session;
        let rows = $crate::methods_of!(&mut *$tx, $user_id).await?;
        let mut removed: Vec<$crate::identity::account::provenance::Method> = Vec::new();
        for method in rows.into_iter().map($crate::identity::account::provenance::Method::from) {
            if !method.comes_from(session) {
                continue;
            }
            // The codes went with their app already.
            let gone_with_app = method.kind == $crate::identity::account::provenance::MethodKind::RecoveryCodes
                && removed.iter().any(|m| m.kind == $crate::identity::account::provenance::MethodKind::AuthenticatorApp);
            if gone_with_app || $crate::remove_method!($tx, $user_id, &method)? {
                removed.push(method);
            }
        }
        Ok::<_, sqlx::Error>(removed)
    }};
}

/// Inside the transaction `$tx`: the lineage of the live session `$session` of `$user_id`,
/// share-locked on Postgres until commit (so a disowning that ends it either happened before —
/// and the addition finds no session — or waits for the addition and then removes it).
/// `None` when the session is gone.
#[macro_export]
macro_rules! adding_session {
    ($tx:expr, $postgres:expr, $user_id:expr, $session:expr) => {{
        // Postgres: the account row first, as endings take it (`FOR UPDATE`) before they touch
        // sessions. Taking the session's lock first and the account's later (the foreign-key
        // check of the insert does) deadlocked with a disowning.
        let account = if $postgres {
            sqlx::query("SELECT id FROM users WHERE id = $1 FOR KEY SHARE").bind($user_id).execute(&mut *$tx).await.map(|_| ())
        } else {
            Ok(())
        };
        let sql = if $postgres {
            "SELECT lineage FROM sessions WHERE id = $1 AND user_id = $2 FOR SHARE"
        } else {
            "SELECT lineage FROM sessions WHERE id = $1 AND user_id = $2"
        };
        match account {
            Ok(()) => sqlx::query_scalar::<_, String>(sql).bind($session).bind($user_id).fetch_optional(&mut *$tx).await,
            Err(e) => Err(e),
        }
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lineage_and_descent() {
        let m = Method {
            kind: MethodKind::Passkey,
            id: "x".into(),
            name: Some("Spare key".into()),
            added_at: 0,
            added_by: Some("C".into()),
            lineage: child_lineage(&child_lineage("", "A"), "B"),
            ip: "81.2.69.142".into(),
            device: "Firefox on Windows".into(),
            place: Some("London, United Kingdom".into()),
        };
        assert_eq!(m.lineage, "A B");
        assert!(m.comes_from("A") && m.comes_from("B") && m.comes_from("C"));
        assert!(!m.comes_from("D") && !m.comes_from("A B") && !m.comes_from(""));
        assert_eq!(
            m.describe(),
            "passkey \u{201c}Spare key\u{201d}, added from Firefox on Windows in London, United Kingdom at 1 Jan 1970, 00:00 UTC"
        );
    }
}

//! SQL for ending sessions. An ending deletes the rows, remembers why for each (so the device
//! is told on its next request) and records security events (and, for an administrator, the
//! admin log line), all in one transaction. The owner check is part of the `DELETE` itself, so
//! someone else's session is simply not there.

use crate::identity::{
    account::{email_links::Purpose, provenance::Method},
    admin::NewLogEntry,
    security_log::{NewEvent, Origin},
    model::{EndReason, EventKind, device_label},
};
use crate::{db_read, db_write, infra::db::Db, insert_event, record_admin_log};

/// How one or more sessions end.
#[derive(Debug, Clone)]
pub struct Ending<'a> {
    pub reason: EndReason,
    /// The session that ended them, when one did.
    pub by: Option<&'a str>,
    pub at: i64,
    pub record: Record,
    /// Asked for through the operator API (webhooks say so).
    pub by_api: bool,
}

/// The security events an ending leaves: every ending leaves at least one.
#[derive(Debug, Clone)]
pub enum Record {
    /// One event for the whole action, from where it was asked: its detail names the device of
    /// a single ended session, or says how many ended. Nothing is recorded if nothing ended.
    Once(NewEvent),
    /// One event of this kind per ended session, from that session's own device and address
    /// (the server's own endings: expiry, the session limit).
    Each(EventKind),
    /// Likewise, with this detail (an administrator's reason) instead of the device.
    EachBecause(EventKind, String),
}

/// A session that was ended.
#[derive(sqlx::FromRow, Debug, Clone)]
pub struct Ended {
    pub id: String,
    pub user_id: i64,
    pub browser: Option<String>,
    pub os: Option<String>,
    pub ip: String,
    pub location: Option<String>,
}

impl Ended {
    pub fn device(&self) -> String {
        device_label(self.browser.as_deref(), self.os.as_deref())
    }
}

/// Deletes the sessions selected by `filter` (SQL after `WHERE`, with its bound values) inside
/// the transaction `tx`, and records why.
macro_rules! end_where {
    ($tx:expr, $filter:expr, [$($arg:expr),*], $ending:expr) => {{
        let ending: &Ending<'_> = $ending;
        let sql = format!("DELETE FROM sessions WHERE {} RETURNING id, user_id, browser, os, ip, location", $filter);
        let ended: Vec<Ended> = sqlx::query_as(&sql)$(.bind($arg))*.fetch_all(&mut *$tx).await?;
        for session in &ended {
            sqlx::query(
                "INSERT INTO session_endings (session_id, user_id, reason, ended_by, ended_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&session.id)
            .bind(session.user_id)
            .bind(ending.reason.as_str())
            .bind(ending.by)
            .bind(ending.at)
            .execute(&mut *$tx)
            .await?;
        }
        for event in events_for(ending, &ended) {
            insert_event!(&mut *$tx, &event).await?;
        }
        let kind = match &ending.record {
            Record::Once(event) => Some(event.kind),
            Record::Each(kind) | Record::EachBecause(kind, _) => Some(*kind),
        };
        let because = match &ending.record {
            Record::EachBecause(_, why) => Some(why.as_str()),
            _ => None,
        };
        let reason = $crate::identity::operator::end_reason(ending.reason, kind, ending.by_api);
        // One question per ending rather than one statement per ended session when no
        // endpoint wants `session.ended` (the usual case: purges end hundreds at a time).
        let wanted: bool = if ended.is_empty() {
            false
        } else {
            sqlx::query_scalar($crate::identity::operator::WANTED).bind("session.ended").fetch_one(&mut *$tx).await?
        };
        for session in ended.iter().filter(|_| wanted) {
            let webhook = $crate::identity::operator::ended(session.user_id, &session.id, reason, because, ending.at);
            $crate::queue_webhook!(&mut *$tx, &webhook).await?;
        }
        metrics::counter!("session_endings_total", "reason" => ending.reason.as_str()).increment(ended.len() as u64);
        Ok::<_, sqlx::Error>(ended)
    }};
}

/// [`end_where!`] in a transaction of its own.
macro_rules! end_where_now {
    ($db:expr, $filter:expr, [$($arg:expr),*], $ending:expr) => {{
        db_write!($db, |pool| {
            let mut tx = pool.begin().await?;
            let ended = end_where!(tx, $filter, [$($arg),*], $ending)?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(ended)
        })
    }};
}

fn events_for(ending: &Ending<'_>, ended: &[Ended]) -> Vec<NewEvent> {
    match &ending.record {
        Record::Once(_) if ended.is_empty() => vec![],
        Record::Once(event) => {
            let mut event = event.clone();
            if event.detail.is_none() {
                if let [one] = ended {
                    event.detail = Some(one.device());
                    event.session_id.get_or_insert_with(|| one.id.clone());
                } else {
                    event.detail = Some(format!("{} sessions", ended.len()));
                }
            }
            vec![event]
        }
        Record::Each(kind) => each(ending, ended, *kind, None),
        Record::EachBecause(kind, detail) => each(ending, ended, *kind, Some(detail)),
    }
}

fn each(ending: &Ending<'_>, ended: &[Ended], kind: EventKind, detail: Option<&String>) -> Vec<NewEvent> {
    ended
        .iter()
        .map(|s| NewEvent {
            user_id: Some(s.user_id),
            kind,
            session_id: Some(s.id.clone()),
            actor_session_id: ending.by.map(str::to_owned),
            // An administrator's ending shows the device it ended, not the administrator's place.
            origin: match detail {
                Some(_) => Origin { ip: String::new(), device: s.device(), location: None },
                None => Origin { ip: s.ip.clone(), device: s.device(), location: s.location.clone() },
            },
            detail: Some(detail.cloned().unwrap_or_else(|| s.device())),
            at: ending.at,
        })
        .collect()
}

/// Ends one session of `owner`. `None` when there is no such session of theirs.
pub async fn end_one(db: &Db, owner: i64, id: &str, ending: &Ending<'_>) -> Result<Option<Ended>, sqlx::Error> {
    let ended = end_where_now!(db, "id = $1 AND user_id = $2", [id, owner], ending)?;
    Ok(ended.into_iter().next())
}

/// Ends every session of `owner` except `keep`.
pub async fn end_others(db: &Db, owner: i64, keep: &str, ending: &Ending<'_>) -> Result<Vec<Ended>, sqlx::Error> {
    end_where_now!(db, "user_id = $1 AND id <> $2", [owner, keep], ending)
}

/// Ends the least recently active live sessions of `owner` beyond the newest `keep` (never
/// `current`).
pub async fn end_beyond(
    db: &Db,
    owner: i64,
    current: &str,
    keep: i64,
    now: i64,
    ending: &Ending<'_>,
) -> Result<Vec<Ended>, sqlx::Error> {
    end_where_now!(
        db,
        "id IN (SELECT id FROM sessions WHERE user_id = $1 AND id <> $2 AND expires_at > $4 \
         ORDER BY last_seen_at DESC, created_at DESC LIMIT 1000000 OFFSET $3)",
        [owner, current, keep, now],
        ending
    )
}

/// Ends a session that has expired (checked in the same statement against `now`).
pub async fn end_if_expired(db: &Db, id: &str, now: i64) -> Result<bool, sqlx::Error> {
    let ending = Ending { reason: EndReason::Expired, by: None, at: now, record: Record::Each(EventKind::SessionExpired), by_api: false };
    Ok(!end_where_now!(db, "id = $1 AND expires_at <= $2", [id, now], &ending)?.is_empty())
}

/// Removes up to `batch` expired sessions, remembering why for their devices.
pub async fn purge_expired(db: &Db, now: i64, batch: i64) -> Result<Vec<Ended>, sqlx::Error> {
    let ending = Ending { reason: EndReason::Expired, by: None, at: now, record: Record::Each(EventKind::SessionExpired), by_api: false };
    end_where_now!(
        db,
        "id IN (SELECT id FROM sessions WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2)",
        [now, batch],
        &ending
    )
}

/// Sets a new password hash and, when `keep` is given, ends every other session of the user,
/// in one transaction: a log-in that checked the old password either committed its session
/// before (and it is ended here) or finds the hash changed and creates nothing
/// (see [`crate::identity::session::store::insert`]).
pub async fn change_password(
    db: &Db,
    user_id: i64,
    new_hash: &str,
    changed: &NewEvent,
    end_others_but: Option<&str>,
    ending: &Ending<'_>,
) -> Result<Vec<Ended>, sqlx::Error> {
    db_write!(db, |pool| {
        let mut tx = pool.begin().await?;
        sqlx::query("UPDATE users SET password_hash = $2, password_changed_at = $3, password_changed_by = $4 WHERE id = $1")
            .bind(user_id)
            .bind(new_hash)
            .bind(changed.at)
            .bind(changed.actor_session_id.as_deref())
            .execute(&mut *tx)
            .await?;
        insert_event!(&mut *tx, changed).await?;
        let ended = match end_others_but {
            Some(keep) => end_where!(tx, "user_id = $1 AND id <> $2", [user_id, keep], ending)?,
            None => vec![],
        };
        tx.commit().await?;
        Ok(ended)
    })
}

/// Ends every session of the user and deletes the account, in one transaction, so no log-in
/// in flight can leave a session behind. The account row is locked first (Postgres; SQLite has
/// one writer): a log-in holding it share-locked commits its session before we look for
/// sessions (and it is ended and reported here, so caches drop it), and one that comes later
/// finds no account.
pub async fn delete_account(db: &Db, user_id: i64, ending: &Ending<'_>) -> Result<Vec<Ended>, sqlx::Error> {
    let lock = matches!(db, Db::Postgres(_)).then_some("SELECT id FROM users WHERE id = $1 FOR UPDATE");
    db_write!(db, |pool| {
        let mut tx = pool.begin().await?;
        if let Some(lock) = lock {
            sqlx::query(lock).bind(user_id).execute(&mut *tx).await?;
        }
        let ended = end_where!(tx, "user_id = $1", [user_id], ending)?;
        sqlx::query("DELETE FROM users WHERE id = $1").bind(user_id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(ended)
    })
}

/// Uses a password-reset link (by its token's hash) and, in the same transaction, sets the
/// account's new password hash and ends every session of the account: two uses of one link at
/// once set one password. `None` when the link is not a live reset link.
pub async fn reset_password(
    db: &Db,
    token_hash: &str,
    new_hash: &str,
    origin: &Origin,
    now: i64,
) -> Result<Option<(i64, Vec<Ended>)>, sqlx::Error> {
    db_write!(db, |pool| {
        let mut tx = pool.begin().await?;
        let Some(user_id) = crate::take_link!(&mut *tx, token_hash, Purpose::Reset, now).await?.and_then(|l| l.user_id) else {
            return Ok(None);
        };
        sqlx::query("UPDATE users SET password_hash = $2, password_changed_at = $3, password_changed_by = NULL WHERE id = $1")
            .bind(user_id)
            .bind(new_hash)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let reset = NewEvent::new(Some(user_id), EventKind::PasswordReset, origin.clone(), now);
        insert_event!(&mut *tx, &reset).await?;
        let ended_event = NewEvent::new(Some(user_id), EventKind::SessionsEndedByPasswordChange, origin.clone(), now);
        let ending = Ending { reason: EndReason::PasswordChanged, by: None, at: now, record: Record::Once(ended_event), by_api: false };
        let ended = end_where!(tx, "user_id = $1", [user_id], &ending)?;
        tx.commit().await?;
        Ok(Some((user_id, ended)))
    })
}

/// What disowning a session did.
#[derive(Debug, Default)]
pub struct Disowned {
    pub user_id: i64,
    pub ended: Vec<Ended>,
    /// The sign-in methods the disowned session (or one descended from it) had added.
    pub removed: Vec<Method>,
}

/// Inside `$tx`: disowns the session `$disowned` of `$user_id` — ends every session of the
/// account but `$keep`, removes every sign-in method `$disowned` or its descendants added, and
/// records one event per removal besides the ending's (`$ending`).
macro_rules! disown_in {
    ($tx:expr, $user_id:expr, $disowned:expr, $keep:expr, $ending:expr) => {{
        let ending: &Ending<'_> = $ending;
        let ended = end_where!($tx, "user_id = $1 AND id <> $2", [$user_id, $keep], ending)?;
        let removed = match $disowned {
            Some(disowned) => crate::remove_methods_of!($tx, $user_id, disowned)?,
            None => Vec::new(),
        };
        if let Record::Once(base) = &ending.record {
            // No session was left to end, yet something was undone: the action is recorded still.
            if ended.is_empty() && !removed.is_empty() {
                insert_event!(&mut *$tx, base).await?;
            }
            for method in &removed {
                let mut event = base.clone();
                event.kind = EventKind::MethodRemovedOnDisown;
                event.session_id = $disowned.map(str::to_owned);
                event.detail = Some(method.describe());
                insert_event!(&mut *$tx, &event).await?;
            }
        }
        Ok::<_, sqlx::Error>(Disowned { user_id: $user_id, ended, removed })
    }};
}

/// "This wasn't me" on the session `disowned`, from the session `keep` of the same account:
/// every other session ends and what `disowned` added goes, in one transaction. `event` is the
/// action's record (a `NotMe` event).
pub async fn disown(db: &Db, user_id: i64, disowned: &str, keep: &str, event: NewEvent) -> Result<Disowned, sqlx::Error> {
    let ending = Ending { reason: EndReason::Terminated, by: Some(keep), at: event.at, record: Record::Once(event), by_api: false };
    let lock = matches!(db, Db::Postgres(_)).then_some("SELECT id FROM users WHERE id = $1 FOR UPDATE");
    db_write!(db, |pool| {
        let mut tx = pool.begin().await?;
        if let Some(lock) = lock {
            sqlx::query(lock).bind(user_id).execute(&mut *tx).await?;
        }
        let done = disown_in!(tx, user_id, Some(disowned), keep, &ending)?;
        tx.commit().await?;
        Ok(done)
    })
}

/// Uses a "This wasn't me" link (by its token's hash) and, in the same transaction, disowns the
/// session it names: every session of its account ends, and what that session added goes.
/// `None` when the link is not a live one.
pub async fn not_me_by_link(db: &Db, token_hash: &str, origin: &Origin, now: i64) -> Result<Option<Disowned>, sqlx::Error> {
    db_write!(db, |pool| {
        let mut tx = pool.begin().await?;
        let Some(link) = crate::take_link!(&mut *tx, token_hash, Purpose::NotMe, now).await? else {
            return Ok(None);
        };
        let Some(user_id) = link.user_id else { return Ok(None) };
        if matches!(db, Db::Postgres(_)) {
            sqlx::query("SELECT id FROM users WHERE id = $1 FOR UPDATE").bind(user_id).execute(&mut *tx).await?;
        }
        let mut event = NewEvent::new(Some(user_id), EventKind::NotMe, origin.clone(), now);
        event.session_id = link.session_id.clone();
        let ending = Ending { reason: EndReason::Terminated, by: None, at: now, record: Record::Once(event), by_api: false };
        let done = disown_in!(tx, user_id, link.session_id.as_deref(), "", &ending)?;
        tx.commit().await?;
        Ok(Some(done))
    })
}

/// Ends the sessions of `owner` (one, or all when `id` is `None`) for an administrator, and
/// writes `log(how many ended)` to the admin log in the same transaction.
pub async fn end_for_admin(
    db: &Db,
    owner: i64,
    id: Option<&str>,
    ending: &Ending<'_>,
    log: impl Fn(usize) -> NewLogEntry,
) -> Result<Vec<Ended>, sqlx::Error> {
    db_write!(db, |pool| {
        let mut tx = pool.begin().await?;
        let ended = match id {
            Some(id) => end_where!(tx, "id = $1 AND user_id = $2", [id, owner], ending)?,
            None => end_where!(tx, "user_id = $1", [owner], ending)?,
        };
        let line = log(ended.len());
        record_admin_log!(&mut *tx, &line).await?;
        tx.commit().await?;
        Ok(ended)
    })
}

/// Ends session `id`, whoever's it is, for an administrator, with `log(owner, owner's email)`
/// in the admin log in the same transaction (one write, no lookups first). `None` when there is
/// no such live session.
pub async fn end_by_id_for_admin(
    db: &Db,
    id: &str,
    ending: &Ending<'_>,
    log: impl Fn(i64, String) -> NewLogEntry,
) -> Result<Option<Ended>, sqlx::Error> {
    if !super::token::is_public_id(id) {
        return Ok(None);
    }
    db_write!(db, |pool| {
        let mut tx = pool.begin().await?;
        let Some(one) = end_where!(tx, "id = $1", [id], ending)?.into_iter().next() else { return Ok(None) };
        let email: String = sqlx::query_scalar("SELECT email FROM users WHERE id = $1").bind(one.user_id).fetch_one(&mut *tx).await?;
        let line = log(one.user_id, email);
        record_admin_log!(&mut *tx, &line).await?;
        tx.commit().await?;
        Ok(Some(one))
    })
}

/// Ends up to `batch` sessions of anyone but `keep` (signing everyone out, a batch at a time).
pub async fn end_batch_of_everyone(db: &Db, keep: Option<&str>, batch: i64, ending: &Ending<'_>) -> Result<Vec<Ended>, sqlx::Error> {
    let keep = keep.unwrap_or("");
    end_where_now!(db, "id IN (SELECT id FROM sessions WHERE id <> $1 LIMIT $2)", [keep, batch], ending)
}

/// Suspends (or, with `reason` `None`, reinstates) an account; suspending ends every session
/// of it in the same transaction, after locking the account row (Postgres) so that a log-in in
/// flight either lands before (and is ended) or finds the account suspended.
pub async fn set_suspended(
    db: &Db,
    user_id: i64,
    reason: Option<&str>,
    event: &NewEvent,
    ending: &Ending<'_>,
    log: impl Fn(usize) -> NewLogEntry,
) -> Result<Vec<Ended>, sqlx::Error> {
    let at = event.at;
    db_write!(db, |pool| {
        let mut tx = pool.begin().await?;
        sqlx::query("UPDATE users SET suspended_at = $2, suspended_reason = $3 WHERE id = $1")
            .bind(user_id)
            .bind(reason.map(|_| at))
            .bind(reason)
            .execute(&mut *tx)
            .await?;
        insert_event!(&mut *tx, event).await?;
        let ended = match reason {
            Some(_) => end_where!(tx, "user_id = $1", [user_id], ending)?,
            None => vec![],
        };
        let line = log(ended.len());
        record_admin_log!(&mut *tx, &line).await?;
        tx.commit().await?;
        Ok(ended)
    })
}

/// Forgets endings older than `before` (a device that old has no cookie left to explain).
pub async fn purge_endings(db: &Db, before: i64, batch: i64) -> Result<u64, sqlx::Error> {
    db_write!(db, |pool| {
        sqlx::query(
            "DELETE FROM session_endings WHERE session_id IN \
             (SELECT session_id FROM session_endings WHERE ended_at < $1 LIMIT $2)",
        )
        .bind(before)
        .bind(batch)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })
}

/// Why the session `id` ended, if it did and we still remember.
pub async fn ending_of(db: &Db, id: &str) -> Result<Option<EndReason>, sqlx::Error> {
    let reason: Option<String> = db_read!(db, |pool| {
        sqlx::query_scalar("SELECT reason FROM session_endings WHERE session_id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await
    })?;
    Ok(reason.as_deref().and_then(EndReason::parse))
}

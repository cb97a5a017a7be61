//! Reading sessions without counting it as activity: the account's list, one of its sessions
//! with its history, and whether a session is still live.

use super::{
    endings,
    service::{AuthSession, SessionService},
    store::{self, SessionRecord, SightingRecord},
    token::is_public_id,
};
use crate::identity::model::{EndReason, SignInMethod};

impl SessionService {
    /// Whether session `id` is still live: its expiry if so, or why it ended.
    pub async fn status(&self, id: &str) -> Result<Result<i64, Option<EndReason>>, sqlx::Error> {
        match store::find_for_check(&self.db, id).await? {
            Some(record) if record.times.expires_at > self.now() => Ok(Ok(record.times.expires_at)),
            Some(_) => Ok(Err(Some(EndReason::Expired))),
            None => Ok(Err(endings::ending_of(&self.db, id).await?)),
        }
    }

    /// The live sessions of a user, most recently active first.
    pub async fn list(&self, user_id: i64) -> Result<Vec<SessionRecord>, sqlx::Error> {
        store::list_for_user(&self.db, user_id, self.now()).await
    }

    /// [`SessionService::list`], each with its recorded sightings, oldest first.
    pub async fn list_with_history(&self, user_id: i64) -> Result<Vec<(SessionRecord, Vec<SightingRecord>)>, sqlx::Error> {
        let records = self.list(user_id).await?;
        let mut history = store::sightings_of_user(&self.db, user_id).await?;
        Ok(records
            .into_iter()
            .map(|r| {
                let (own, rest): (Vec<_>, Vec<_>) = history.drain(..).partition(|h| h.session_id == r.id);
                history = rest;
                (r, own)
            })
            .collect())
    }

    /// One live session of `owner`'s account with its history (oldest first); `None` when
    /// there is no such session of theirs (someone else's and an unknown one look the same).
    pub async fn own(&self, owner: &AuthSession, id: &str) -> Result<Option<(SessionRecord, Vec<SightingRecord>)>, sqlx::Error> {
        if !is_public_id(id) {
            return Ok(None);
        }
        match store::find(&self.db, id).await? {
            Some(record) if record.user_id == owner.user_id && record.times.expires_at > self.now() => {
                let history = store::sightings(&self.db, id).await?;
                Ok(Some((record, history)))
            }
            _ => Ok(None),
        }
    }

    /// A session by its public id, live or not yet purged.
    pub async fn find(&self, id: &str) -> Result<Option<SessionRecord>, sqlx::Error> {
        if !is_public_id(id) {
            return Ok(None);
        }
        store::find(&self.db, id).await
    }

    /// How session `id` signed in, if it exists.
    pub async fn method_of(&self, id: &str) -> Result<Option<SignInMethod>, sqlx::Error> {
        Ok(self.find(id).await?.map(|s| SignInMethod::parse(&s.method)))
    }
}

//! What the operator's systems do through the API, acting as their token: the same actions as
//! an administrator's (the same events, endings and admin-log lines), with the token's name as
//! the actor and the request's reason.

use super::{Actor, Administration, Target};
use crate::{
    identity::{client::ClientInfo, model::allowed_in_name},
    infra::error::AppError,
};

/// The longest reason an action takes (characters).
pub const MAX_REASON: usize = 500;

/// A reason as given to the API, made safe to show: trimmed, line breaks and tabs as spaces,
/// other control and bidirectional-override characters replaced by U+FFFD. `None` when nothing is left or it is over 500 characters.
pub fn clean_reason(raw: &str) -> Option<String> {
    // Blank: ASCII white space only, exactly as the API document's pattern says (regex engines
    // disagree about what else `\s` covers).
    let blank = |c: char| matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{b}' | '\u{c}');
    if raw.chars().count() > MAX_REASON || raw.chars().all(blank) {
        return None;
    }
    let reason: String = raw.trim_matches(blank).chars().map(|c| match c {
        c if c.is_whitespace() => ' ',
        c if allowed_in_name(c) => c,
        _ => '\u{FFFD}',
    }).collect();
    Some(reason)
}

/// What an API action found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiAnswer {
    /// Done; this many sessions ended.
    Done(usize),
    /// No such account or session (or it has ended already).
    NotFound,
}

impl Administration {
    /// The actor for a call by the token `name` from `client`.
    pub fn api_actor(&self, name: &str, client: &ClientInfo) -> Actor {
        Actor::api_token(name, self.core.origin(client))
    }

    fn reason(raw: &str) -> Result<String, AppError> {
        clean_reason(raw).ok_or(AppError::ReasonRequired)
    }

    /// Ends the session with this public id, whoever's it is.
    pub async fn api_end_session(&self, actor: &Actor, session_id: &str, reason: &str) -> Result<ApiAnswer, AppError> {
        let reason = Self::reason(reason)?;
        match self.admin_end_by_id(actor, session_id, &reason).await? {
            0 => Ok(ApiAnswer::NotFound),
            n => Ok(ApiAnswer::Done(n)),
        }
    }

    /// Ends every session of the account `user_id`.
    pub async fn api_end_all(&self, actor: &Actor, user_id: i64, reason: &str) -> Result<ApiAnswer, AppError> {
        let reason = Self::reason(reason)?;
        let Some(target) = self.target(user_id).await? else { return Ok(ApiAnswer::NotFound) };
        Ok(ApiAnswer::Done(self.admin_end(actor, &target, None, &reason).await?))
    }

    /// Suspends the account `user_id` (every session ends) or reinstates it.
    pub async fn api_suspend(&self, actor: &Actor, user_id: i64, suspend: bool, reason: &str) -> Result<ApiAnswer, AppError> {
        let reason = Self::reason(reason)?;
        let Some(target): Option<Target> = self.target(user_id).await? else { return Ok(ApiAnswer::NotFound) };
        Ok(ApiAnswer::Done(self.set_suspended(actor, &target, suspend, &reason).await?))
    }
}

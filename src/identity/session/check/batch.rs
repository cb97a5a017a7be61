//! Batched session lookups: concurrent per-request checks share one database query.
//!
//! Under load most of a session check's cost on Postgres is the statement round trip, not the
//! index lookup. Requests that arrive while the lookups in flight are busy wait together and
//! are answered by one `WHERE id IN (…)` query — the technique of DataLoader and of group
//! commit. Every request is still checked against the database, never against a copy:
//!
//! *A lookup is only ever answered by a query that started after the lookup was queued.* A
//! batch is taken from the queue before its query is sent, so a request that arrives after an
//! ending returned (its delete committed) is answered by a query that sees the delete.
//! `races::a_session_is_never_accepted_after_its_termination_returned` checks this on both
//! databases.
//!
//! With no load a lookup goes straight through: one query of one id, plus a task hop.

use crate::identity::session::store::{self as store, CheckRecord};
use crate::infra::db::Db;
use std::{collections::HashMap, sync::Arc};
use tokio::sync::{Semaphore, mpsc, oneshot};

/// Most ids in one query.
pub const MAX_BATCH: usize = 64;

/// What a waiting lookup is told: the row (if any), or that the batch failed and it should
/// ask on its own (so each caller gets its own, real error).
type Reply = Result<Option<CheckRecord>, ()>;

struct Pending {
    id: String,
    reply: oneshot::Sender<Reply>,
}

pub struct CheckBatcher {
    queue: mpsc::UnboundedSender<Pending>,
    db: Db,
}

impl CheckBatcher {
    /// Starts the dispatcher on the current Tokio runtime. `in_flight`: how many batch queries
    /// may run at once (a share of the pool, leaving room for writes and page queries).
    pub fn start(db: Db, in_flight: usize) -> Self {
        let (queue, receiver) = mpsc::unbounded_channel();
        tokio::spawn(dispatch(db.clone(), receiver, Arc::new(Semaphore::new(in_flight.max(1)))));
        CheckBatcher { queue, db }
    }

    /// The session row for the per-request check, read by a query that started after this
    /// call was made.
    pub async fn find(&self, id: &str) -> Result<Option<CheckRecord>, sqlx::Error> {
        let (reply, answer) = oneshot::channel();
        if self.queue.send(Pending { id: id.to_owned(), reply }).is_ok() {
            if let Ok(Ok(found)) = answer.await {
                return Ok(found);
            }
        }
        // The dispatcher is gone (runtime shutting down) or the batch failed: ask directly.
        store::find_for_check(&self.db, id).await
    }
}

async fn dispatch(db: Db, mut queue: mpsc::UnboundedReceiver<Pending>, slots: Arc<Semaphore>) {
    loop {
        // Wait for a free slot first: while every slot is busy, arrivals gather into the
        // next batch.
        let Ok(slot) = slots.clone().acquire_owned().await else { return };
        let Some(first) = queue.recv().await else { return };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let db = db.clone();
        tokio::spawn(async move {
            answer(&db, batch).await;
            drop(slot);
        });
    }
}

async fn answer(db: &Db, batch: Vec<Pending>) {
    let mut ids: Vec<&str> = batch.iter().map(|p| p.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    match store::find_many_for_check(db, &ids).await {
        Ok(rows) => {
            let rows: HashMap<String, CheckRecord> = rows.into_iter().collect();
            for p in batch {
                let _ = p.reply.send(Ok(rows.get(&p.id).cloned()));
            }
        }
        Err(e) => {
            tracing::warn!("batched session lookup failed, asking one by one: {e}");
            for p in batch {
                let _ = p.reply.send(Err(()));
            }
        }
    }
}

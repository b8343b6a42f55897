//! Storing fires: the group-commit writer, the joint insert of plain fires and
//! the savepoint per fire that needs reads first (dedup, idempotency).

use std::collections::HashMap;
use std::sync::Arc;

use diesel::Connection;
use tocsin_types::FireResponse;

use super::command::{Accepted, FireCommand, FireError};
use super::idempotency::{remember, replay_stored};
use super::plans::{prepare, PlanCache, Prepared};
use super::rows::{created, delivery_rows, new_notification, FireContext};
use crate::delivery::dispatcher::{Dispatcher, Job};
use crate::store::deliveries::{self, DeliveryRow};
use crate::store::notifications::{self, NewNotification, NotificationRow};
use crate::store::{now, DbConnection, Store, StoreError};

/// What a stored fire gives back: the answer, and the deliveries to send once
/// the transaction holding them is committed.
pub type Stored = (Accepted, Vec<Job>);

/// Stores a fire (through the group-commit writer) and hands its deliveries to
/// the dispatcher. Answers only after the notification, its deliveries and the
/// idempotency record are committed.
pub async fn fire(writer: &FireWriter, cmd: FireCommand) -> Result<Accepted, FireError> {
    if let Some(replayed) = replay_stored(&writer.store, cmd.idempotency.as_ref()).await? {
        return Ok(replayed);
    }
    // Planning reads the directory and renders templates: done here, on any
    // pooled connection and in parallel with other fires, so the one writer
    // spends its time only on the inserts that must share a commit. A directory
    // change between plan and commit is as if the fire had come a moment earlier.
    let plans = writer.plans.clone();
    let (prepared, cmd) = writer.store.read(move |c| Ok((prepare(c, &cmd, Some(&plans)), cmd))).await?;
    let prepared = prepared?;
    let idempotency = cmd.idempotency.clone();
    match writer.submit(cmd, prepared).await {
        Ok((accepted, jobs)) => {
            writer.dispatcher.hand_over(jobs);
            Ok(accepted)
        }
        // Two requests with the same key at once: the loser answers with the
        // winner's response, which is committed by now.
        Err(FireError::Store(StoreError::Conflict(_))) if idempotency.is_some() => {
            replay_stored(&writer.store, idempotency.as_ref())
                .await?
                .ok_or_else(|| FireError::Store(StoreError::Conflict("concurrent request".into())))
        }
        Err(e) => Err(e),
    }
}

type Submission = (FireCommand, Prepared, tokio::sync::oneshot::Sender<Result<Stored, FireError>>);

/// Group commit: one task stores fires, taking whatever arrived while the last
/// commit was being written to disk into the next transaction, each fire in a
/// savepoint of its own so that one failing fire does not fail the others. An
/// fsync costs milliseconds; shared by many fires, it stops limiting throughput,
/// and every fire is still on disk before it is answered.
#[derive(Clone)]
pub struct FireWriter {
    store: Store,
    dispatcher: Dispatcher,
    plans: Arc<PlanCache>,
    queue: tokio::sync::mpsc::Sender<Submission>,
}

/// Most fires one transaction takes.
const MAX_BATCH: usize = 256;

impl FireWriter {
    pub fn start(store: Store, dispatcher: Dispatcher) -> Self {
        let (queue, receiver) = tokio::sync::mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(run_writer(store.clone(), dispatcher.clone(), receiver));
        Self { store, dispatcher, plans: Arc::default(), queue }
    }

    async fn submit(&self, cmd: FireCommand, prepared: Prepared) -> Result<Stored, FireError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let stopped = || FireError::Store(StoreError::Unavailable("the fire writer has stopped".into()));
        self.queue.send((cmd, prepared, reply)).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn run_writer(store: Store, dispatcher: Dispatcher, mut receiver: tokio::sync::mpsc::Receiver<Submission>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    // Depends only on the dispatcher's settings: worked out once, not per batch.
    let ctx = Arc::new(FireContext::of(&dispatcher));
    while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let submissions = std::mem::take(&mut batch);
        let ctx = Arc::clone(&ctx);
        let mut fires = Vec::with_capacity(submissions.len());
        let mut replies = Vec::with_capacity(submissions.len());
        for (cmd, prepared, reply) in submissions {
            fires.push((cmd, prepared));
            replies.push(reply);
        }
        let outcome = store.write(move |conn| Ok(store_batch(conn, &fires, &ctx))).await;
        match outcome {
            Ok(results) => {
                for (reply, result) in replies.into_iter().zip(results) {
                    let _ = reply.send(result);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, fires = replies.len(), "storing fires failed");
                let message = e.to_string();
                for reply in replies {
                    let _ = reply.send(Err(FireError::Store(StoreError::Unavailable(message.clone()))));
                }
            }
        }
    }
}

/// Stores a batch inside the writer's transaction, answering each fire in the
/// order it came. Plain fires go in together; the others, or all of them if the
/// joint insert fails, each get a savepoint of their own so that a storage
/// error undoes that fire only.
pub(super) fn store_batch(
    conn: &mut DbConnection,
    fires: &[(FireCommand, Prepared)],
    ctx: &FireContext,
) -> Vec<Result<Stored, FireError>> {
    let plain: Vec<&(FireCommand, Prepared)> = fires.iter().filter(|(cmd, _)| is_plain(cmd)).collect();
    let mut together = match plain.len() {
        0 | 1 => None,
        _ => conn.transaction(|c| store_plain_batch(c, &plain, ctx)).ok().map(Vec::into_iter),
    };
    fires
        .iter()
        .map(|(cmd, prepared)| {
            if let Some(stored) = together.as_mut().filter(|_| is_plain(cmd)).and_then(Iterator::next) {
                return Ok(stored);
            }
            let one = conn.transaction::<_, StoreError, _>(|c| match store_fire(c, cmd, prepared, ctx)? {
                Ok(stored) => Ok(Ok(stored)),
                Err(refusal) => Ok(Err(refusal)),
            });
            one.unwrap_or_else(|e| Err(FireError::Store(e)))
        })
        .collect()
}

/// Whether a fire can be stored without reading anything first: no dedup key
/// to look up and no idempotency record to write. Most fires are like this.
fn is_plain(cmd: &FireCommand) -> bool {
    cmd.dedup_key().is_none() && cmd.idempotency.is_none()
}

/// Stores one planned fire inside the caller's transaction. A refusal is the
/// inner `Err`; the outer one is a storage failure, which rolls this fire back.
fn store_fire(
    conn: &mut DbConnection,
    cmd: &FireCommand,
    p: &Prepared,
    ctx: &FireContext,
) -> Result<Result<Stored, FireError>, StoreError> {
    if let (Some(event_id), Some(key)) = (p.plan.event_id, cmd.dedup_key()) {
        if let Some(open) = notifications::find_open_duplicate(conn, event_id, key)? {
            let detail = format!("fired again by {} (dedup key {key})", cmd.raised_by);
            crate::store::timeline::add(conn, open.id, None, "attached", &detail)?;
            let response =
                FireResponse { notification_id: open.public_id, deliveries: 0, skipped: vec![], attached: true };
            remember(conn, cmd, 200, &response)?;
            return Ok(Ok((Accepted::Attached(response), Vec::new())));
        }
    }
    let at = now();
    let row = notifications::insert(conn, &new_notification(cmd, p, at))?;
    let inserted = deliveries::insert_many(conn, &delivery_rows(row.id, p, ctx, at))?;
    let (response, jobs) = created(row, p, inserted);
    remember(conn, cmd, 201, &response)?;
    Ok(Ok((Accepted::Created(response), jobs)))
}

/// Stores plain fires with one `INSERT` for all their notifications and one for
/// all their deliveries, instead of a savepoint and two statements each: on
/// PostgreSQL every statement is a round trip made while the writer holds the
/// batch. Any failure fails them all; the caller then stores them one by one.
fn store_plain_batch(
    conn: &mut DbConnection,
    fires: &[&(FireCommand, Prepared)],
    ctx: &FireContext,
) -> Result<Vec<Stored>, StoreError> {
    let at = now();
    let new_rows: Vec<NewNotification> = fires.iter().map(|(cmd, p)| new_notification(cmd, p, at)).collect();
    let mut by_public_id: HashMap<String, NotificationRow> =
        notifications::insert_many(conn, &new_rows)?.into_iter().map(|r| (r.public_id.clone(), r)).collect();
    let mut rows = Vec::with_capacity(fires.len());
    let mut new_deliveries = Vec::new();
    for (new_row, (_, p)) in new_rows.iter().zip(fires) {
        let row = by_public_id.remove(&new_row.public_id).ok_or_else(|| {
            StoreError::Unavailable(format!("notification {} was not returned by its insert", new_row.public_id))
        })?;
        new_deliveries.extend(delivery_rows(row.id, p, ctx, at));
        rows.push(row);
    }
    let mut by_notification: HashMap<i64, Vec<DeliveryRow>> = HashMap::new();
    for d in deliveries::insert_many(conn, &new_deliveries)? {
        by_notification.entry(d.notification_id).or_default().push(d);
    }
    Ok(rows
        .into_iter()
        .zip(fires)
        .map(|(row, (_, p))| {
            let mut inserted = by_notification.remove(&row.id).unwrap_or_default();
            inserted.sort_by_key(|d| d.id);
            let (response, jobs) = created(row, p, inserted);
            (Accepted::Created(response), jobs)
        })
        .collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::super::command::FireContent;
    use super::super::test_support::{contact_fire, context};
    use super::*;
    use crate::store::{run_migrations, write_transaction, DatabaseUrl};
    use diesel::prelude::*;

    fn created_id(result: &Result<Stored, FireError>) -> Option<(String, usize)> {
        match result {
            Ok((Accepted::Created(r), jobs)) => Some((r.notification_id.clone(), jobs.len())),
            _ => None,
        }
    }

    #[test]
    fn plain_fires_stored_together_each_get_their_own_deliveries() {
        let dir = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::parse(&dir.path().join("t.db").display().to_string()).unwrap();
        run_migrations(&url, |conn| {
            let fires: Vec<_> = ["ana", "bo", "cy"].iter().map(|s| contact_fire(conn, s)).collect();
            let results = write_transaction(conn, |c| Ok(store_batch(c, &fires, &context()))).unwrap();
            for (result, (cmd, _)) in results.iter().zip(&fires) {
                let (id, jobs) = created_id(result).expect("stored");
                assert_eq!(jobs, 1);
                let n = notifications::get(conn, &id).unwrap();
                let FireContent::Direct { message, .. } = &cmd.content else { panic!("a direct fire") };
                assert_eq!(&n.body, message, "each answer names its own notification");
            }
            let Ok((_, jobs)) = &results[1] else { panic!("stored") };
            assert_eq!(jobs[0].context.body, "message for bo");
            assert_eq!(jobs[0].row.notification_id, jobs[0].context.notification_pk);
            // The rows handed to the dispatcher are built from what was inserted
            // and the returned ids: they must be the rows as stored.
            for (_, jobs) in results.iter().flatten() {
                for job in jobs {
                    assert_eq!(job.row, deliveries::get(conn, job.row.id).unwrap());
                }
            }
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn a_fire_that_cannot_be_stored_fails_alone() {
        let dir = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::parse(&dir.path().join("t.db").display().to_string()).unwrap();
        run_migrations(&url, |conn| {
            let mut fires: Vec<_> = ["ana", "bo", "cy"].iter().map(|s| contact_fire(conn, s)).collect();
            // A destination deleted between planning and storing: its row breaks
            // the foreign key, and with it the joint insert.
            Arc::make_mut(&mut fires[1].1.plan).resolution.recipients[0].destination_id = 9_999;
            let results = write_transaction(conn, |c| Ok(store_batch(c, &fires, &context()))).unwrap();
            assert!(created_id(&results[0]).is_some());
            assert!(matches!(results[1], Err(FireError::Store(_))), "the broken fire is refused");
            assert!(created_id(&results[2]).is_some());
            let stored: i64 = crate::store::schema::notifications::table.count().get_result(conn).unwrap();
            assert_eq!(stored, 2, "the broken fire left nothing behind");
            Ok(())
        })
        .unwrap();
    }
}

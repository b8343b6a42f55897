//! The dispatcher: takes leased deliveries — handed over in memory by the
//! instance that accepted the fire, or claimed from the table when they fall
//! due — sends each through its channel, and records outcomes in batches.
//!
//! The tasks: the claimer (retries, crash recovery, other instances' work),
//! a lane per medium that starts one task per send (bounded per medium, so a
//! slow webhook never holds up email), the recorder (one commit for many
//! outcomes), the renewer (keeps the leases of work in hand) and the releaser
//! (gives back rows there is no room for).
//!
//! Memory stays bounded under any backlog: each medium holds at most
//! `queue_limit` deliveries in memory (waiting in its lane or being sent).
//! Beyond that the claimer claims no more of that medium, and rows the fire
//! path hands over are given back to the table, where they are safe, for the
//! claimer to take when there is room. Nothing leased to this instance is left
//! stranded: the renewer renews only the rows held in memory, a send that
//! panics records a retry for its row, and a claim whose jobs cannot be loaded
//! gives its rows back.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use futures_util::FutureExt;
use rand::Rng;
use tokio::sync::{mpsc, Notify, Semaphore};

use super::message::{Outcome, OutgoingMessage};
use super::retry::RetryPolicy;
use super::send::Channels;
use crate::domain::lifecycle::{DeliveryKind, DeliveryStatus};
use crate::domain::media::Medium;
use crate::store::deliveries::{self, AttemptResult, DeliveryRow, OutcomeUpdate};
use crate::store::schema::{events, notifications};
use crate::store::{from_db_time, Store, StoreError};

/// What every delivery of one notification shares.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageContext {
    pub notification_pk: i64,
    pub notification_id: String,
    pub event: Option<String>,
    pub severity: String,
    pub subject: String,
    pub body: String,
    pub sms_text: String,
    pub created_at: DateTime<Utc>,
}

/// A leased delivery ready to send.
#[derive(Debug, Clone)]
pub struct Job {
    pub row: DeliveryRow,
    pub context: Arc<MessageContext>,
}

/// Tuning; tests shorten everything to milliseconds.
#[derive(Debug, Clone)]
pub struct DispatcherConfig {
    /// How long a claimed row stays ours; must exceed the longest send.
    pub lease: Duration,
    /// Fallback poll when nothing wakes the claimer.
    pub poll_interval: Duration,
    /// Rows claimed per query.
    pub claim_batch: i64,
    /// Sends in flight at once, per medium.
    pub concurrency: HashMap<Medium, usize>,
    /// Deliveries held in memory at once, per medium (waiting for a permit or
    /// being sent); more wait in the table.
    pub queue_limit: usize,
    pub retry: HashMap<Medium, RetryPolicy>,
    pub default_retry: RetryPolicy,
    pub metrics: super::metrics::DeliveryMetrics,
}

impl DispatcherConfig {
    pub fn retry_for(&self, medium: Medium) -> RetryPolicy {
        self.retry.get(&medium).copied().unwrap_or(self.default_retry)
    }
}

/// A handle on the running dispatcher; cheap to clone.
#[derive(Clone)]
pub struct Dispatcher {
    inner: Arc<Inner>,
}

struct Inner {
    token: String,
    config: DispatcherConfig,
    jobs: mpsc::UnboundedSender<Vec<Job>>,
    wake: Notify,
    /// Deliveries this instance is working on. If a lease of ours lapsed (a slow
    /// renewal) and the claimer takes the row again, it must not be sent twice.
    in_flight: std::sync::Mutex<InFlight>,
    /// Rows handed over when their medium had no room, to give back to the table.
    give_back: mpsc::UnboundedSender<Vec<i64>>,
    /// Set once this instance gives its work back: it claims and renews no more.
    closing: AtomicBool,
    /// Held by the claimer while it claims, so that a release waits for a claim
    /// in progress instead of missing the rows it is about to take.
    claiming: tokio::sync::Mutex<()>,
}

/// The deliveries held in memory, by medium (`None`: a medium this version
/// does not know, which fails at once).
#[derive(Default)]
struct InFlight {
    rows: HashMap<i64, Option<Medium>>,
    per_medium: HashMap<Option<Medium>, usize>,
}

impl InFlight {
    fn held(&self, medium: Option<Medium>) -> usize {
        self.per_medium.get(&medium).copied().unwrap_or(0)
    }

    /// Takes the row if it is not held already and its medium has room.
    fn admit(&mut self, id: i64, medium: Option<Medium>, limit: usize) -> Admission {
        if self.rows.contains_key(&id) {
            return Admission::AlreadyHeld;
        }
        if self.held(medium) >= limit {
            return Admission::NoRoom;
        }
        self.rows.insert(id, medium);
        *self.per_medium.entry(medium).or_insert(0) += 1;
        Admission::Taken
    }

    /// Lets go of a row; true if its medium was full until now.
    fn release(&mut self, id: i64, limit: usize) -> bool {
        let Some(medium) = self.rows.remove(&id) else { return false };
        let count = self.per_medium.entry(medium).or_insert(1);
        let was_full = *count >= limit;
        *count = count.saturating_sub(1);
        was_full
    }

    /// How many more rows of each known medium there is room for.
    fn room(&self, limit: usize) -> Vec<(Medium, usize)> {
        Medium::ALL.iter().map(|m| (*m, limit.saturating_sub(self.held(Some(*m))))).filter(|(_, n)| *n > 0).collect()
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Admission {
    Taken,
    AlreadyHeld,
    NoRoom,
}

fn medium_of(row: &DeliveryRow) -> Option<Medium> {
    Medium::parse(&row.medium).ok()
}

impl Dispatcher {
    /// Starts the tasks on the current runtime.
    pub fn start(store: Store, channels: Channels, config: DispatcherConfig) -> Dispatcher {
        let (jobs_tx, jobs_rx) = mpsc::unbounded_channel();
        let (outcomes_tx, outcomes_rx) = mpsc::unbounded_channel();
        let (give_back_tx, give_back_rx) = mpsc::unbounded_channel();
        let token = crate::domain::credentials::generate_secret();
        let inner = Arc::new(Inner {
            token,
            config,
            jobs: jobs_tx,
            wake: Notify::new(),
            in_flight: Default::default(),
            give_back: give_back_tx,
            closing: AtomicBool::new(false),
            claiming: tokio::sync::Mutex::new(()),
        });
        let dispatcher = Dispatcher { inner };
        tokio::spawn(run_sends(dispatcher.clone(), Arc::new(channels), jobs_rx, outcomes_tx));
        tokio::spawn(run_recorder(dispatcher.clone(), store.clone(), outcomes_rx));
        tokio::spawn(run_claimer(dispatcher.clone(), store.clone()));
        tokio::spawn(run_renewer(dispatcher.clone(), store.clone()));
        tokio::spawn(run_releaser(dispatcher.clone(), store, give_back_rx));
        dispatcher
    }

    /// The lease token of this instance's rows.
    pub fn token(&self) -> &str {
        &self.inner.token
    }

    /// How long a row inserted or claimed now stays ours.
    pub fn lease(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.inner.config.lease).unwrap_or(chrono::Duration::minutes(1))
    }

    /// Until when a row inserted or claimed now is ours.
    pub fn lease_until(&self, now: NaiveDateTime) -> NaiveDateTime {
        now + self.lease()
    }

    pub fn config(&self) -> &DispatcherConfig {
        &self.inner.config
    }

    /// The fast path: rows just committed already leased to us are sent at once,
    /// without a second commit or a poll. Rows whose medium has no room left
    /// are given back to the table for the claimer.
    pub fn hand_over(&self, jobs: Vec<Job>) {
        let limit = self.inner.config.queue_limit.max(1);
        let mut no_room = Vec::new();
        let jobs: Vec<Job> = match self.inner.in_flight.lock() {
            Ok(mut in_flight) => jobs
                .into_iter()
                .filter(|j| match in_flight.admit(j.row.id, medium_of(&j.row), limit) {
                    Admission::Taken => true,
                    Admission::AlreadyHeld => false,
                    Admission::NoRoom => {
                        no_room.push(j.row.id);
                        false
                    }
                })
                .collect(),
            Err(_) => jobs,
        };
        if !no_room.is_empty() {
            // The releaser only stops at shutdown; the leases then cover the rows.
            let _ = self.inner.give_back.send(no_room);
        }
        if !jobs.is_empty() && self.inner.jobs.send(jobs).is_err() {
            // The send loop has stopped (shutdown); the leases will expire and the
            // rows be claimed again, so nothing is lost.
            tracing::warn!("dispatcher stopped; deliveries left to the claimer");
        }
    }

    /// On shutdown: returns this instance's unfinished deliveries to the queue
    /// (they are sent again by whoever claims them next; at-least-once).
    ///
    /// The claimer stops first: the release announces the rows to every
    /// instance, this one included, and a claimer still running here would take
    /// them straight back from the instance that should send them.
    pub async fn release(&self, store: &Store) {
        self.inner.closing.store(true, Ordering::SeqCst);
        self.wake();
        let _no_claim_in_progress = self.inner.claiming.lock().await;
        let token = self.token().to_owned();
        match store.write(move |c| deliveries::release_leases(c, &token)).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deliveries = n, "released unfinished deliveries to the queue"),
            Err(e) => tracing::warn!(error = %e, "could not release deliveries; their leases will expire"),
        }
    }

    fn closing(&self) -> bool {
        self.inner.closing.load(Ordering::SeqCst)
    }

    /// Lets go of rows whose outcome is on disk, waking the claimer if that
    /// made room in a medium that was full.
    fn done_with(&self, ids: impl IntoIterator<Item = i64>) {
        let limit = self.inner.config.queue_limit.max(1);
        let made_room = match self.inner.in_flight.lock() {
            Ok(mut in_flight) => ids.into_iter().fold(false, |any, id| in_flight.release(id, limit) | any),
            Err(_) => false,
        };
        if made_room {
            self.wake();
        }
    }

    /// The rows held in memory, for the renewer.
    fn held_ids(&self) -> Vec<i64> {
        self.inner.in_flight.lock().map(|f| f.rows.keys().copied().collect()).unwrap_or_default()
    }

    /// How many rows of each medium the claimer may take now.
    fn room(&self) -> Vec<(Medium, usize)> {
        let limit = self.inner.config.queue_limit.max(1);
        self.inner.in_flight.lock().map(|f| f.room(limit)).unwrap_or_default()
    }

    /// Something may have become due (a replay, a retry elsewhere).
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }
}

/// Sorts jobs into one lane per medium. A lane takes a permit before it starts
/// a send, so jobs waiting behind a slow receiver cost their row in a queue,
/// not a task each (a task holds room for the whole send: with a 200 ms
/// receiver and fires accepted faster than it answers, tens of thousands of
/// waiting tasks took over 250 MB).
async fn run_sends(
    dispatcher: Dispatcher,
    channels: Arc<Channels>,
    mut jobs: mpsc::UnboundedReceiver<Vec<Job>>,
    outcomes: mpsc::UnboundedSender<OutcomeUpdate>,
) {
    let lanes: HashMap<Medium, mpsc::UnboundedSender<(Medium, Job)>> = Medium::ALL
        .iter()
        .map(|m| {
            let (lane, queue) = mpsc::unbounded_channel();
            let limit = dispatcher.config().concurrency.get(m).copied().unwrap_or(64).max(1);
            let sender =
                Sender { dispatcher: dispatcher.clone(), channels: channels.clone(), outcomes: outcomes.clone() };
            tokio::spawn(run_lane(sender, limit, queue));
            (*m, lane)
        })
        .collect();
    let unknown = Sender { dispatcher, channels, outcomes };
    while let Some(batch) = jobs.recv().await {
        for job in batch {
            match Medium::parse(&job.row.medium).ok().and_then(|m| lanes.get(&m).map(|lane| (m, lane))) {
                Some((medium, lane)) => {
                    // A lane only stops at shutdown; the lease then covers the row.
                    let _ = lane.send((medium, job));
                }
                // Fails at once, with the reason recorded.
                None => unknown.start(job, None, None),
            }
        }
    }
}

/// What a send needs besides its job.
#[derive(Clone)]
struct Sender {
    dispatcher: Dispatcher,
    channels: Arc<Channels>,
    outcomes: mpsc::UnboundedSender<OutcomeUpdate>,
}

impl Sender {
    fn start(&self, job: Job, medium: Option<Medium>, permit: Option<tokio::sync::OwnedSemaphorePermit>) {
        let Sender { dispatcher, channels, outcomes } = self.clone();
        tokio::spawn(async move {
            let mut job = job;
            let _permit = permit;
            let ticket = Ticket::take(&mut job.row);
            let outcome = guarded(send(&channels, job, medium)).await;
            let update = ticket.update(&dispatcher, medium, outcome);
            // The recorder only stops at shutdown; the lease then covers us.
            let _ = outcomes.send(update);
        });
    }
}

/// One medium's sends, at most `limit` at once, in the order they came.
async fn run_lane(sender: Sender, limit: usize, mut queue: mpsc::UnboundedReceiver<(Medium, Job)>) {
    let permits = Arc::new(Semaphore::new(limit));
    while let Some((medium, job)) = queue.recv().await {
        let Ok(permit) = permits.clone().acquire_owned().await else { return };
        sender.start(job, Some(medium), Some(permit));
    }
}

/// Runs a send; a panic inside it (a bug) becomes a retry of its row, so the
/// row is recorded and let go of instead of staying leased to us for ever.
async fn guarded(send: impl std::future::Future<Output = Outcome>) -> Outcome {
    match std::panic::AssertUnwindSafe(send).catch_unwind().await {
        Ok(outcome) => outcome,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            tracing::error!(panic = %what, "a send panicked; its delivery will be tried again");
            Outcome::Retry { error: format!("internal error while sending: {what}"), after: None }
        }
    }
}

async fn send(channels: &Channels, job: Job, medium: Option<Medium>) -> Outcome {
    let Job { row, context } = job;
    match medium {
        Some(medium) => {
            let message = OutgoingMessage {
                delivery_id: row.id,
                notification_id: context.notification_id.clone(),
                medium,
                address: row.address,
                settings: serde_json::from_str(&row.payload).unwrap_or(serde_json::Value::Null),
                event: context.event.clone(),
                severity: context.severity.clone(),
                subject: context.subject.clone(),
                body: context.body.clone(),
                sms_text: context.sms_text.clone(),
                attempt: row.attempts.max(1),
                created_at: context.created_at,
            };
            channels.send(&message).await
        }
        None => Outcome::Failed { error: format!("unknown medium '{}'", row.medium) },
    }
}

/// What recording an attempt needs of its row, kept aside before the send.
struct Ticket {
    id: i64,
    notification_id: i64,
    kind: DeliveryKind,
    medium: String,
    lease_token: String,
    attempts: i32,
    queued_at: NaiveDateTime,
    expires_at: NaiveDateTime,
}

impl Ticket {
    /// What the send does not need is taken, not copied.
    fn take(row: &mut DeliveryRow) -> Self {
        Ticket {
            id: row.id,
            notification_id: row.notification_id,
            kind: row.kind,
            medium: row.medium.clone(),
            lease_token: row.lease_token.take().unwrap_or_default(),
            attempts: row.attempts,
            queued_at: row.queued_at,
            expires_at: row.expires_at,
        }
    }

    /// The outcome as the row will record it, counted in the metrics.
    fn update(self, dispatcher: &Dispatcher, medium: Option<Medium>, outcome: Outcome) -> OutcomeUpdate {
        let at = crate::store::now();
        let outcome_label = match &outcome {
            Outcome::Delivered { .. } => DeliveryStatus::Delivered.as_str(),
            Outcome::Sent { .. } => DeliveryStatus::Sent.as_str(),
            Outcome::Retry { .. } => "retry",
            Outcome::Failed { .. } => DeliveryStatus::Failed.as_str(),
        };
        let metrics = &dispatcher.config().metrics;
        metrics
            .attempts
            .get_or_create(&super::metrics::AttemptLabels { medium: self.medium, outcome: outcome_label.into() })
            .inc();
        if self.attempts <= 1 {
            metrics.accept_to_outcome.observe((at - self.queued_at).as_seconds_f64().max(0.0));
        }
        let result = match outcome {
            Outcome::Delivered { provider_id, detail } => AttemptResult::Delivered { provider_id, detail },
            Outcome::Sent { provider_id, detail, via } => AttemptResult::Sent { provider_id, detail, via },
            Outcome::Failed { error } => AttemptResult::Failed { error },
            Outcome::Retry { error, after } => {
                let policy = dispatcher.config().retry_for(medium.unwrap_or(Medium::Webhook));
                let delay = after.unwrap_or_else(|| policy.delay(self.attempts, rand::thread_rng().gen::<f64>()));
                let due = at + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::hours(1));
                if due > self.expires_at {
                    AttemptResult::Expired { error: format!("gave up after {} attempts: {error}", self.attempts) }
                } else {
                    AttemptResult::Retry { due_at: due, error }
                }
            }
        };
        OutcomeUpdate {
            delivery_id: self.id,
            notification_id: self.notification_id,
            kind: self.kind,
            lease_token: self.lease_token,
            at,
            result,
        }
    }
}

/// Writes outcomes as they come, many per commit: whatever arrived while the
/// previous commit was on disk goes into the next one.
async fn run_recorder(dispatcher: Dispatcher, store: Store, mut outcomes: mpsc::UnboundedReceiver<OutcomeUpdate>) {
    let mut batch = Vec::new();
    while outcomes.recv_many(&mut batch, 1000).await > 0 {
        let updates = std::mem::take(&mut batch);
        let mut delay = Duration::from_millis(50);
        loop {
            let chunk = updates.clone();
            let record = move |c: &mut crate::store::DbConnection| {
                let recorded = deliveries::record_outcomes(c, &chunk)?;
                // Receipts that beat these outcomes to the database apply now.
                for id in recorded.sent {
                    crate::store::receipts::apply_waiting(c, id)?;
                }
                Ok(())
            };
            match store.write(record).await {
                Ok(_) => {
                    // Only now may a claim of these rows be sent again: before the
                    // outcome is on disk, a lapsed lease would look like work to redo.
                    dispatcher.done_with(updates.iter().map(|u| u.delivery_id));
                    // A retry may fall due before the claimer's current sleep ends.
                    if updates.iter().any(|u| matches!(u.result, AttemptResult::Retry { .. })) {
                        dispatcher.wake();
                    }
                    break;
                }
                Err(e) => {
                    // Keep them: the lease protects the rows meanwhile, and a
                    // dropped outcome would only mean a duplicate send later.
                    tracing::error!(error = %e, count = updates.len(), "could not record delivery outcomes; retrying");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
            }
        }
    }
}

/// Claims rows that fell due: retries, rows of a crashed instance, rows another
/// instance accepted. Sleeps until the next one is due, a wake-up, or the poll.
async fn run_claimer(dispatcher: Dispatcher, store: Store) {
    loop {
        let claiming = dispatcher.inner.claiming.lock().await;
        if dispatcher.closing() {
            return;
        }
        let now = crate::store::now();
        // Only what there is room for: the rest waits in the table.
        let room = dispatcher.room();
        let limit = dispatcher.config().claim_batch.min(room.iter().map(|(_, n)| *n as i64).sum());
        let media: Vec<&'static str> = room.iter().map(|(m, _)| m.as_str()).collect();
        let (token, until) = (dispatcher.token().to_owned(), dispatcher.lease_until(now));
        let claimed = if limit <= 0 {
            Ok((0, Vec::new()))
        } else {
            store
                .read(move |c| {
                    let rows = deliveries::claim_due(c, now, until, &token, &media, limit)?;
                    let claimed = rows.len();
                    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
                    match load_jobs(c, rows) {
                        Ok(jobs) => Ok((claimed, jobs)),
                        Err(e) => {
                            // Give them back at once rather than hold them leased
                            // to nobody until the lease runs out.
                            tracing::error!(error = %e, "could not load claimed deliveries; giving them back");
                            deliveries::release_rows(c, &token, &ids)?;
                            Err(e)
                        }
                    }
                })
                .await
        };
        // After a failure, or with no room, wait for a wake-up or the poll:
        // looking again at once would only fail (or find no room) again.
        let (full, hold_off) = match claimed {
            Ok((claimed, jobs)) => {
                dispatcher.hand_over(jobs);
                (limit > 0 && i64::try_from(claimed).unwrap_or(i64::MAX) >= limit, limit <= 0)
            }
            Err(e) => {
                tracing::error!(error = %e, "claiming due deliveries failed");
                (false, true)
            }
        };
        drop(claiming);
        if full {
            continue;
        }
        let poll = dispatcher.config().poll_interval;
        let next = if hold_off { None } else { store.read(deliveries::next_due).await.ok().flatten() };
        let wait = next
            .map(|due| (due - crate::store::now()).to_std().unwrap_or(Duration::ZERO).min(poll))
            .unwrap_or(poll)
            .max(Duration::from_millis(1));
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = dispatcher.inner.wake.notified() => {}
        }
    }
}

/// Keeps this instance's leases alive while it works: every third of a lease,
/// every row still leased to our token gets a fresh lease. A crashed instance
/// stops renewing, so its rows return to the queue within one lease, however
/// long its sends were taking.
async fn run_renewer(dispatcher: Dispatcher, store: Store) {
    let period = (dispatcher.config().lease / 3).max(Duration::from_millis(1));
    loop {
        tokio::time::sleep(period).await;
        if dispatcher.closing() {
            return;
        }
        let now = crate::store::now();
        let (token, until, ids) = (dispatcher.token().to_owned(), dispatcher.lease_until(now), dispatcher.held_ids());
        if ids.is_empty() {
            continue;
        }
        if let Err(e) = store.write(move |c| deliveries::renew_leases(c, &token, &ids, until)).await {
            tracing::warn!(error = %e, "renewing delivery leases failed");
        }
    }
}

/// Gives rows there was no room for back to the table, due at once, and
/// wakes the claimer (here or on another instance) to take them when there is.
async fn run_releaser(dispatcher: Dispatcher, store: Store, mut rows: mpsc::UnboundedReceiver<Vec<i64>>) {
    let mut batch = Vec::new();
    while rows.recv_many(&mut batch, 64).await > 0 {
        let ids: Vec<i64> = std::mem::take(&mut batch).into_iter().flatten().collect();
        let token = dispatcher.token().to_owned();
        match store.write(move |c| deliveries::release_rows(c, &token, &ids)).await {
            Ok(_) => dispatcher.wake(),
            // Their leases run out and they are claimed again: nothing is lost.
            Err(e) => tracing::warn!(error = %e, "could not give back deliveries; their leases will expire"),
        }
    }
}

/// Rows with their notifications' message parts, ready to send.
pub fn load_jobs(conn: &mut crate::store::DbConnection, rows: Vec<DeliveryRow>) -> Result<Vec<Job>, StoreError> {
    let contexts = load_contexts(conn, &rows)?;
    Ok(rows
        .into_iter()
        .filter_map(|row| contexts.get(&row.notification_id).map(|c| Job { context: c.clone(), row }))
        .collect())
}

/// The shared message parts of the claimed rows' notifications.
pub fn load_contexts(
    conn: &mut crate::store::DbConnection,
    rows: &[DeliveryRow],
) -> Result<HashMap<i64, Arc<MessageContext>>, StoreError> {
    let mut ids: Vec<i64> = rows.iter().map(|r| r.notification_id).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    type Row = (i64, String, Option<String>, String, String, String, String, NaiveDateTime);
    let found = notifications::table
        .left_join(events::table)
        .filter(notifications::id.eq_any(&ids))
        .select((
            notifications::id,
            notifications::public_id,
            events::slug.nullable(),
            notifications::severity,
            notifications::subject,
            notifications::body,
            notifications::sms_text,
            notifications::created_at,
        ))
        .load::<Row>(conn)?;
    Ok(found
        .into_iter()
        .map(|(pk, public_id, event, severity, subject, body, sms_text, created_at)| {
            let context = MessageContext {
                notification_pk: pk,
                notification_id: public_id,
                event,
                severity,
                subject,
                body,
                sms_text,
                created_at: from_db_time(created_at),
            };
            (pk, Arc::new(context))
        })
        .collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_send_that_panics_becomes_a_retry_of_its_row() {
        let outcome = guarded(async { panic!("boom in a channel") }).await;
        match outcome {
            Outcome::Retry { error, after: None } => assert!(error.contains("boom in a channel"), "{error}"),
            other => panic!("{other:?}"),
        }
        let fine = guarded(async { Outcome::Failed { error: "no".into() } }).await;
        assert_eq!(fine, Outcome::Failed { error: "no".into() });
    }

    #[test]
    fn each_medium_holds_at_most_its_limit_in_memory() {
        let mut held = InFlight::default();
        let (webhook, email) = (Some(Medium::Webhook), Some(Medium::Email));
        assert_eq!(held.admit(1, webhook, 2), Admission::Taken);
        assert_eq!(held.admit(1, webhook, 2), Admission::AlreadyHeld);
        assert_eq!(held.admit(2, webhook, 2), Admission::Taken);
        assert_eq!(held.admit(3, webhook, 2), Admission::NoRoom);
        // A full webhook lane leaves email its own room.
        assert_eq!(held.admit(4, email, 2), Admission::Taken);
        assert!(!held.room(2).iter().any(|(m, _)| *m == Medium::Webhook));
        assert!(held.room(2).contains(&(Medium::Email, 1)));
        // Letting go of a row of a full medium says so, so the claimer is woken.
        assert!(held.release(1, 2));
        assert!(!held.release(4, 2));
        assert!(!held.release(99, 2));
        assert_eq!(held.admit(3, webhook, 2), Admission::Taken);
    }
}

//! The dispatcher: takes leased deliveries — handed over in memory by the
//! instance that accepted the fire, or claimed from the table when they fall
//! due — sends each through its channel, and records outcomes in batches.
//!
//! The tasks: the claimer (retries, crash recovery, other instances' work),
//! a lane per medium that starts one task per send (bounded per medium, so a
//! slow webhook never holds up email), the recorder (one commit for many
//! outcomes) and the renewer (keeps the leases of work in hand).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use rand::Rng;
use tokio::sync::{mpsc, Notify, Semaphore};

use super::message::{Outcome, OutgoingMessage};
use super::retry::RetryPolicy;
use super::send::Channels;
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
    in_flight: std::sync::Mutex<std::collections::HashSet<i64>>,
    /// Set once this instance gives its work back: it claims and renews no more.
    closing: AtomicBool,
    /// Held by the claimer while it claims, so that a release waits for a claim
    /// in progress instead of missing the rows it is about to take.
    claiming: tokio::sync::Mutex<()>,
}

impl Dispatcher {
    /// Starts the tasks on the current runtime.
    pub fn start(store: Store, channels: Channels, config: DispatcherConfig) -> Dispatcher {
        let (jobs_tx, jobs_rx) = mpsc::unbounded_channel();
        let (outcomes_tx, outcomes_rx) = mpsc::unbounded_channel();
        let token = crate::domain::credentials::generate_secret();
        let inner = Arc::new(Inner {
            token,
            config,
            jobs: jobs_tx,
            wake: Notify::new(),
            in_flight: Default::default(),
            closing: AtomicBool::new(false),
            claiming: tokio::sync::Mutex::new(()),
        });
        let dispatcher = Dispatcher { inner };
        tokio::spawn(run_sends(dispatcher.clone(), Arc::new(channels), jobs_rx, outcomes_tx));
        tokio::spawn(run_recorder(dispatcher.clone(), store.clone(), outcomes_rx));
        tokio::spawn(run_claimer(dispatcher.clone(), store.clone()));
        tokio::spawn(run_renewer(dispatcher.clone(), store));
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
    /// without a second commit or a poll.
    pub fn hand_over(&self, jobs: Vec<Job>) {
        let jobs: Vec<Job> = match self.inner.in_flight.lock() {
            Ok(mut in_flight) => jobs.into_iter().filter(|j| in_flight.insert(j.row.id)).collect(),
            Err(_) => jobs,
        };
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
            let _permit = permit;
            let update = attempt(&dispatcher, &channels, job, medium).await;
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

async fn attempt(dispatcher: &Dispatcher, channels: &Channels, job: Job, medium: Option<Medium>) -> OutcomeUpdate {
    let Job { row, context } = job;
    let outcome = match medium {
        Some(medium) => {
            let message = OutgoingMessage {
                delivery_id: row.id,
                notification_id: context.notification_id.clone(),
                medium,
                address: row.address.clone(),
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
    };
    let at = crate::store::now();
    let outcome_label = match &outcome {
        Outcome::Delivered { .. } => "delivered",
        Outcome::Sent { .. } => "sent",
        Outcome::Retry { .. } => "retry",
        Outcome::Failed { .. } => "failed",
    };
    let metrics = &dispatcher.config().metrics;
    metrics
        .attempts
        .get_or_create(&super::metrics::AttemptLabels { medium: row.medium.clone(), outcome: outcome_label.into() })
        .inc();
    if row.attempts <= 1 {
        metrics.accept_to_outcome.observe((at - row.queued_at).as_seconds_f64().max(0.0));
    }
    let result = match outcome {
        Outcome::Delivered { provider_id, detail } => AttemptResult::Delivered { provider_id, detail },
        Outcome::Sent { provider_id, detail } => AttemptResult::Sent { provider_id, detail },
        Outcome::Failed { error } => AttemptResult::Failed { error },
        Outcome::Retry { error, after } => {
            let policy = dispatcher.config().retry_for(medium.unwrap_or(Medium::Webhook));
            let delay = after.unwrap_or_else(|| policy.delay(row.attempts, rand::thread_rng().gen::<f64>()));
            let due = at + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::hours(1));
            if due > row.expires_at {
                AttemptResult::Expired { error: format!("gave up after {} attempts: {error}", row.attempts) }
            } else {
                AttemptResult::Retry { due_at: due, error }
            }
        }
    };
    OutcomeUpdate {
        delivery_id: row.id,
        notification_id: row.notification_id,
        lease_token: row.lease_token.unwrap_or_default(),
        at,
        result,
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
            match store.write(move |c| deliveries::record_outcomes(c, &chunk)).await {
                Ok(_) => {
                    // Only now may a claim of these rows be sent again: before the
                    // outcome is on disk, a lapsed lease would look like work to redo.
                    if let Ok(mut in_flight) = dispatcher.inner.in_flight.lock() {
                        for u in &updates {
                            in_flight.remove(&u.delivery_id);
                        }
                    }
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
        let (token, until, limit) =
            (dispatcher.token().to_owned(), dispatcher.lease_until(now), dispatcher.config().claim_batch);
        let claimed = store
            .read(move |c| {
                let rows = deliveries::claim_due(c, now, until, &token, limit)?;
                let claimed = rows.len();
                Ok((claimed, load_jobs(c, rows)?))
            })
            .await;
        let full = match claimed {
            Ok((claimed, jobs)) => {
                dispatcher.hand_over(jobs);
                i64::try_from(claimed).unwrap_or(i64::MAX) >= limit
            }
            Err(e) => {
                tracing::error!(error = %e, "claiming due deliveries failed");
                false
            }
        };
        drop(claiming);
        if full {
            continue;
        }
        let poll = dispatcher.config().poll_interval;
        let next = store.read(deliveries::next_due).await.ok().flatten();
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
        let (token, until) = (dispatcher.token().to_owned(), dispatcher.lease_until(now));
        if let Err(e) = store.write(move |c| deliveries::renew_leases(c, &token, until)).await {
            tracing::warn!(error = %e, "renewing delivery leases failed");
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

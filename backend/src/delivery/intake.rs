//! Accepting a fire: find the target, render the message, resolve recipients,
//! store the notification with one delivery row per recipient (leased to this
//! instance), and hand those rows to the dispatcher once committed. The dry run
//! is the same plan without the storing.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDateTime;
use rand::RngCore;
use tocsin_types::{DryRunResponse, FireResponse, PlannedRecipient, RenderedMessage, SkippedContact, SmsPreview};

use super::dispatcher::{Dispatcher, Job, MessageContext};
use crate::domain::lifecycle::{DeliveryKind, DeliveryStatus};
use crate::domain::plan::{self, Origin, Resolution, Target};
use crate::domain::render::{self, Escaping, RenderError};
use crate::domain::sms;
use crate::store::deliveries::{self, DeliveryRow, NewDelivery};
use crate::store::idempotency::{self, StoredResponse};
use crate::store::notifications::{self, NewNotification, NotificationRow};
use diesel::Connection;

use crate::store::{contacts, directory, events, from_db_time, groups, now, DbConnection, Store, StoreError};

/// What is being fired.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FireTarget {
    Event(String),
    Contact(String),
    Group(String),
}

/// A fire as the HTTP layer hands it over, already authenticated.
#[derive(Debug, Clone)]
pub struct FireCommand {
    pub target: FireTarget,
    /// Template variables (events only).
    pub args: serde_json::Map<String, serde_json::Value>,
    pub dedup_key: Option<String>,
    /// The message of a direct notify (contact or group).
    pub message: String,
    pub subject: String,
    /// `operator:<name>` or `key:<prefix>`.
    pub raised_by: String,
    pub idempotency: Option<IdempotencyKey>,
}

/// An `Idempotency-Key` with the caller it is scoped to and a hash of the request.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    pub caller: String,
    pub key: String,
    pub request_hash: String,
}

/// Why a fire was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum FireError {
    #[error("{kind} '{slug}' not found")]
    NotFound { kind: &'static str, slug: String },
    #[error("{kind} '{slug}' is disabled")]
    Disabled { kind: &'static str, slug: String, name: String },
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error("Idempotency-Key '{0}' was already used with a different request")]
    IdempotencyMismatch(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a fire produced.
#[derive(Debug, Clone, PartialEq)]
pub enum Accepted {
    /// A new notification (201).
    Created(FireResponse),
    /// Attached to an open notification with the same dedup key (200).
    Attached(FireResponse),
    /// A retry with the same `Idempotency-Key`: the first answer, as it was.
    Replayed { status: u16, body: String },
}

/// Everything the plan decided, before anything is stored.
pub struct Prepared {
    plan: Arc<Plan>,
    subject: String,
    body: String,
    sms_text: String,
}

/// What a fire's plan depends on apart from its arguments: the target as
/// stored and whom it reaches. The same for every fire at the same target until
/// the directory changes, so [`PlanCache`] can keep it.
#[derive(Debug, Clone)]
pub struct Plan {
    event_id: Option<i64>,
    origin: Origin,
    severity: String,
    /// An event's templates; a direct notify brings its own message.
    templates: Option<EventTemplates>,
    resolution: Resolution,
    settings: HashMap<i64, String>,
    /// The skipped contacts as answered and as stored (JSON): the same for every
    /// fire of this plan, so worked out once.
    skipped: Vec<SkippedContact>,
    skipped_json: String,
    /// Each recipient's path as text, in recipient order.
    paths: Vec<String>,
}

#[derive(Debug, Clone)]
struct EventTemplates {
    subject: String,
    body: String,
    sms: String,
    escaping: Escaping,
}

/// Reads the target and the part of the directory it reaches, and resolves
/// the recipients.
fn load_plan(conn: &mut DbConnection, target: &FireTarget) -> Result<Plan, FireError> {
    let (event_id, origin, targets, severity, templates) = match target {
        FireTarget::Event(slug) => {
            let event =
                events::find(conn, slug)?.ok_or_else(|| FireError::NotFound { kind: "event", slug: slug.clone() })?;
            if !event.enabled {
                return Err(FireError::Disabled { kind: "event", slug: event.slug, name: event.name });
            }
            let targets = directory::event_targets(conn, event.id)?;
            let escaping = if event.escaping == "html" { Escaping::Html } else { Escaping::None };
            let sms = if event.sms_template.is_empty() { event.body_template.clone() } else { event.sms_template };
            let templates =
                EventTemplates { subject: event.subject_template, body: event.body_template, sms, escaping };
            (Some(event.id), Origin { kind: "event", slug: event.slug }, targets, event.severity, Some(templates))
        }
        FireTarget::Contact(slug) => {
            let contact = contacts::find(conn, slug)?
                .ok_or_else(|| FireError::NotFound { kind: "contact", slug: slug.clone() })?;
            if !contact.enabled {
                return Err(FireError::Disabled { kind: "contact", slug: contact.slug, name: contact.name });
            }
            let origin = Origin { kind: "contact", slug: contact.slug };
            (None, origin, vec![Target::Contact(contact.id)], "warning".into(), None)
        }
        FireTarget::Group(slug) => {
            let group =
                groups::find(conn, slug)?.ok_or_else(|| FireError::NotFound { kind: "group", slug: slug.clone() })?;
            if !group.enabled {
                return Err(FireError::Disabled { kind: "group", slug: group.slug, name: group.name });
            }
            (None, Origin { kind: "group", slug: group.slug }, vec![Target::Group(group.id)], "warning".into(), None)
        }
    };
    let (snapshot, settings) = directory::snapshot(conn, &targets)?;
    let resolution = plan::resolve(&origin, &targets, &snapshot);
    let skipped = skipped(&resolution);
    let skipped_json = serde_json::to_string(&skipped).unwrap_or_else(|_| "[]".into());
    let paths = resolution.recipients.iter().map(|r| plan::path_text(&r.path)).collect();
    Ok(Plan { event_id, origin, severity, templates, resolution, settings, skipped, skipped_json, paths })
}

/// Plans of the targets fired lately, each with the directory version it was
/// read at. A fire then costs one query to learn the version instead of a read
/// of the target, its groups, contacts and destinations. The version lives in
/// the database and every directory write moves it on (triggers), so a change
/// made through any instance is seen by the next fire everywhere.
#[derive(Default)]
pub struct PlanCache {
    entries: std::sync::Mutex<HashMap<FireTarget, (i64, Arc<Plan>)>>,
}

/// Targets a cache keeps before it starts again from empty.
const PLAN_CACHE_ENTRIES: usize = 1024;

impl PlanCache {
    fn plan(&self, conn: &mut DbConnection, target: &FireTarget) -> Result<Arc<Plan>, FireError> {
        // Read before the plan: a plan is never older than the version it is
        // kept under (a change in between only makes the next fire read again).
        let version = directory::version(conn)?;
        let cached = self.entries.lock().ok().and_then(|entries| entries.get(target).cloned());
        if let Some((at, plan)) = cached {
            if at == version {
                return Ok(plan);
            }
        }
        let plan = Arc::new(load_plan(conn, target)?);
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= PLAN_CACHE_ENTRIES && !entries.contains_key(target) {
                entries.clear();
            }
            entries.insert(target.clone(), (version, plan.clone()));
        }
        Ok(plan)
    }
}

/// The plan of `cmd` (from `cache` when it still holds) with its message rendered.
fn prepare(conn: &mut DbConnection, cmd: &FireCommand, cache: Option<&PlanCache>) -> Result<Prepared, FireError> {
    let plan = match cache {
        Some(cache) => cache.plan(conn, &cmd.target)?,
        None => Arc::new(load_plan(conn, &cmd.target)?),
    };
    let (subject, body, sms_text) = match &plan.templates {
        Some(t) => (
            render::render("templates.subject", &t.subject, &cmd.args, t.escaping)?,
            render::render("templates.body", &t.body, &cmd.args, t.escaping)?,
            render::render("templates.sms", &t.sms, &cmd.args, t.escaping)?,
        ),
        None => (cmd.subject.clone(), cmd.message.clone(), cmd.message.clone()),
    };
    Ok(Prepared { plan, subject, body, sms_text })
}

fn skipped(resolution: &Resolution) -> Vec<SkippedContact> {
    resolution
        .skipped
        .iter()
        .map(|s| SkippedContact {
            contact: s.contact_slug.clone(),
            reason: s.reason.as_str().into(),
            path: plan::path_text(&s.path),
        })
        .collect()
}

/// The plan of a fire, storing and sending nothing.
pub async fn dry_run(store: &Store, cmd: FireCommand) -> Result<DryRunResponse, FireError> {
    store
        .read(move |conn| {
            let p = match prepare(conn, &cmd, None) {
                Ok(p) => p,
                Err(e) => return Ok(Err(e)),
            };
            let would_attach_to = match (p.plan.event_id, &cmd.dedup_key) {
                (Some(event_id), Some(key)) => {
                    notifications::find_open_duplicate(conn, event_id, key)?.map(|n| n.public_id)
                }
                _ => None,
            };
            let info = sms::analyse(&p.sms_text);
            Ok(Ok(DryRunResponse {
                dry_run: true,
                skipped: p.plan.skipped.clone(),
                recipients: p
                    .plan
                    .resolution
                    .recipients
                    .iter()
                    .zip(&p.plan.paths)
                    .map(|(r, path)| PlannedRecipient {
                        contact: r.contact_slug.clone(),
                        destination_id: r.destination_id,
                        medium: r.medium.as_str().into(),
                        address: r.address.clone(),
                        path: path.clone(),
                    })
                    .collect(),
                rendered: RenderedMessage {
                    subject: p.subject,
                    body: p.body,
                    sms: SmsPreview {
                        text: p.sms_text,
                        encoding: info.encoding.as_str().into(),
                        segments: i64::try_from(info.segments).unwrap_or(i64::MAX),
                    },
                },
                would_attach_to,
            }))
        })
        .await?
}

/// What storing a fire needs to know about the dispatcher that will send it.
#[derive(Debug, Clone)]
pub struct FireContext {
    token: String,
    lease: chrono::Duration,
    max_age: HashMap<&'static str, chrono::Duration>,
}

impl FireContext {
    pub fn of(dispatcher: &Dispatcher) -> Self {
        let max_age = crate::domain::media::Medium::ALL
            .iter()
            .map(|m| {
                let age = chrono::Duration::from_std(dispatcher.config().retry_for(*m).max_age);
                (m.as_str(), age.unwrap_or(chrono::Duration::days(1)))
            })
            .collect();
        Self { token: dispatcher.token().to_owned(), lease: dispatcher.lease(), max_age }
    }

    /// A delivery row along `route`, leased to this instance from `at`, that
    /// expires after its medium's maximum age.
    fn row(&self, at: NaiveDateTime, notification_id: i64, route: Route, replay_of: Option<i64>) -> NewDelivery {
        let max_age = self.max_age.get(route.medium.as_str()).copied();
        LeaseTerms { at, until: at + self.lease, token: &self.token }.row(notification_id, route, max_age, replay_of)
    }
}

/// What a stored fire gives back: the answer, and the deliveries to send once
/// the transaction holding them is committed.
pub type Stored = (Accepted, Vec<Job>);

/// Stores one planned fire inside the caller's transaction. A refusal is the
/// inner `Err`; the outer one is a storage failure, which rolls this fire back.
fn store_fire(
    conn: &mut DbConnection,
    cmd: &FireCommand,
    p: &Prepared,
    ctx: &FireContext,
) -> Result<Result<Stored, FireError>, StoreError> {
    if let (Some(event_id), Some(key)) = (p.plan.event_id, &cmd.dedup_key) {
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

/// Whether a fire can be stored without reading anything first: no dedup key
/// to look up and no idempotency record to write. Most fires are like this.
fn is_plain(cmd: &FireCommand) -> bool {
    cmd.dedup_key.is_none() && cmd.idempotency.is_none()
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

/// The notification row of a planned fire.
fn new_notification(cmd: &FireCommand, p: &Prepared, at: NaiveDateTime) -> NewNotification {
    NewNotification {
        public_id: public_id(),
        event_id: p.plan.event_id,
        target_kind: p.plan.origin.kind.into(),
        target_slug: p.plan.origin.slug.clone(),
        severity: p.plan.severity.clone(),
        subject: p.subject.clone(),
        body: p.body.clone(),
        sms_text: p.sms_text.clone(),
        args: serde_json::Value::Object(cmd.args.clone()).to_string(),
        skipped: p.plan.skipped_json.clone(),
        dedup_key: cmd.dedup_key.clone(),
        raised_by: cmd.raised_by.clone(),
        created_at: at,
    }
}

/// One delivery row per planned recipient, leased to this instance.
fn delivery_rows(notification_id: i64, p: &Prepared, ctx: &FireContext, at: NaiveDateTime) -> Vec<NewDelivery> {
    p.plan
        .resolution
        .recipients
        .iter()
        .zip(&p.plan.paths)
        .map(|(r, path)| ctx.row(at, notification_id, Route::of_recipient(r, path, &p.plan.settings), None))
        .collect()
}

/// The answer to a new notification and the jobs for its deliveries.
fn created(row: NotificationRow, p: &Prepared, inserted: Vec<DeliveryRow>) -> (FireResponse, Vec<Job>) {
    let response = FireResponse {
        notification_id: row.public_id.clone(),
        deliveries: i64::try_from(inserted.len()).unwrap_or(i64::MAX),
        skipped: p.plan.skipped.clone(),
        attached: false,
    };
    let context = Arc::new(MessageContext {
        notification_pk: row.id,
        notification_id: row.public_id,
        event: p.plan.event_id.map(|_| p.plan.origin.slug.clone()),
        severity: row.severity,
        subject: row.subject,
        body: row.body,
        sms_text: row.sms_text,
        created_at: from_db_time(row.created_at),
    });
    let jobs = inserted.into_iter().map(|row| Job { row, context: context.clone() }).collect();
    (response, jobs)
}

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
fn store_batch(
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

/// The stored first answer to this idempotency key, if there is one; a key
/// reused with another request is refused.
async fn replay_stored(store: &Store, key: Option<&IdempotencyKey>) -> Result<Option<Accepted>, FireError> {
    let Some(key) = key else { return Ok(None) };
    let (caller, name) = (key.caller.clone(), key.key.clone());
    match store.read(move |c| idempotency::find(c, &caller, &name, now())).await? {
        Some(stored) if stored.request_hash != key.request_hash => Err(FireError::IdempotencyMismatch(key.key.clone())),
        Some(stored) => Ok(Some(Accepted::Replayed { status: stored.status, body: stored.body })),
        None => Ok(None),
    }
}

/// Keeps the answer for retries of the same `Idempotency-Key`, for 24 hours.
fn remember(
    conn: &mut DbConnection,
    cmd: &FireCommand,
    status: u16,
    response: &FireResponse,
) -> Result<(), StoreError> {
    let Some(key) = &cmd.idempotency else { return Ok(()) };
    let body = serde_json::to_string(response).unwrap_or_default();
    let stored = StoredResponse { request_hash: key.request_hash.clone(), status, body };
    let at = now();
    idempotency::insert(conn, &key.caller, &key.key, &stored, at, at + chrono::Duration::hours(24))
}

/// A delivery row inserted already leased to this instance, in `sending`: the
/// dispatcher gets it in memory, and only the outcome is written afterwards.
/// Where one delivery goes.
struct Route {
    contact_id: Option<i64>,
    destination_id: Option<i64>,
    medium: String,
    address: String,
    path: String,
    payload: String,
}

impl Route {
    fn of_recipient(r: &plan::Recipient, path: &str, settings: &HashMap<i64, String>) -> Route {
        Route {
            contact_id: Some(r.contact_id),
            destination_id: Some(r.destination_id),
            medium: r.medium.as_str().into(),
            address: r.address.clone(),
            path: path.to_owned(),
            payload: settings.get(&r.destination_id).cloned().unwrap_or_else(|| "{}".into()),
        }
    }
}

/// How every row this instance inserts starts: already `sending`, leased to
/// this instance, first attempt now — the fast path that needs no claim.
struct LeaseTerms<'a> {
    at: NaiveDateTime,
    until: NaiveDateTime,
    token: &'a str,
}

impl LeaseTerms<'_> {
    fn row(
        &self,
        notification_id: i64,
        route: Route,
        max_age: Option<chrono::Duration>,
        replay_of: Option<i64>,
    ) -> NewDelivery {
        let max_age = max_age.unwrap_or(chrono::Duration::days(1));
        NewDelivery {
            notification_id,
            contact_id: route.contact_id,
            destination_id: route.destination_id,
            medium: route.medium,
            address: route.address,
            path: route.path,
            payload: route.payload,
            status: DeliveryStatus::Sending,
            attempts: 1,
            due_at: self.at,
            expires_at: self.at + max_age,
            lease_until: Some(self.until),
            lease_token: Some(self.token.to_owned()),
            replay_of,
            queued_at: self.at,
            sending_at: Some(self.at),
            kind: DeliveryKind::Page,
        }
    }
}

/// 32 lowercase hex digits, as RedFlash's notification ids.
fn public_id() -> String {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Sends a failed or expired delivery again, as a new delivery that points at
/// the old one (`replay_of`); the old one keeps its final state.
pub async fn replay(
    store: &Store,
    dispatcher: &Dispatcher,
    delivery_id: i64,
    actor: String,
) -> Result<(String, i64), FireError> {
    let ctx = FireContext::of(dispatcher);
    let (public_id, job) = store
        .write(move |conn| {
            let old = deliveries::get(conn, delivery_id)?;
            if !matches!(old.status, DeliveryStatus::Failed | DeliveryStatus::Expired) {
                return Err(StoreError::Conflict(format!(
                    "delivery {delivery_id} is {}; only failed or expired deliveries can be replayed",
                    old.status
                )));
            }
            let at = now();
            let route = Route {
                contact_id: old.contact_id,
                destination_id: old.destination_id,
                medium: old.medium.clone(),
                address: old.address.clone(),
                path: old.path.clone(),
                payload: old.payload.clone(),
            };
            let row = ctx.row(at, old.notification_id, route, Some(old.id));
            let inserted = deliveries::insert_many(conn, &[row])?;
            crate::store::timeline::add(conn, old.notification_id, Some(old.id), "replayed", &format!("by {actor}"))?;
            let detail = serde_json::json!({"new_delivery": inserted.first().map(|r| r.id)});
            crate::store::audit::record(conn, &actor, "delivery.replay", "delivery", &old.id.to_string(), detail)?;
            let jobs = super::dispatcher::load_jobs(conn, inserted)?;
            let public_id = jobs.first().map(|j| j.context.notification_id.clone()).unwrap_or_default();
            Ok((public_id, jobs))
        })
        .await?;
    let new_id = job.first().map(|j| j.row.id).unwrap_or_default();
    dispatcher.hand_over(job);
    Ok((public_id, new_id))
}

/// Sends a test message to one destination — how a user checks a new phone
/// number before the night it matters. It is a notification like any other, so
/// its outcome shows in the same place.
pub async fn test_destination(
    store: &Store,
    dispatcher: &Dispatcher,
    destination_id: i64,
    actor: String,
) -> Result<FireResponse, FireError> {
    let ctx = FireContext::of(dispatcher);
    let (response, jobs) = store
        .write(move |conn| {
            let (dest, contact_slug) = crate::store::destinations::get(conn, destination_id)?;
            let at = now();
            // The body is shown to every reader of the notification and sent
            // over the channel itself: it names the destination by id, never
            // by its address, which may be a secret (a Slack or Teams URL).
            let text = format!(
                "Tocsin test message for {contact_slug} ({} destination {}), sent by {actor}.",
                dest.medium, dest.id
            );
            let row = notifications::insert(
                conn,
                &NewNotification {
                    public_id: public_id(),
                    event_id: None,
                    target_kind: "destination".into(),
                    target_slug: dest.id.to_string(),
                    severity: "info".into(),
                    subject: "Tocsin test message".into(),
                    body: text.clone(),
                    sms_text: text,
                    args: "{}".into(),
                    skipped: "[]".into(),
                    dedup_key: None,
                    raised_by: actor.clone(),
                    created_at: at,
                },
            )?;
            let route = Route {
                contact_id: Some(dest.contact_id),
                destination_id: Some(dest.id),
                medium: dest.medium.clone(),
                address: dest.address.clone(),
                path: format!("test → contact {contact_slug} → {} {}", dest.medium, dest.address),
                payload: dest.settings.clone(),
            };
            let new_row = ctx.row(at, row.id, route, None);
            let inserted = deliveries::insert_many(conn, &[new_row])?;
            let detail = serde_json::json!({"notification": row.public_id});
            crate::store::audit::record(conn, &actor, "destination.test", "destination", &dest.id.to_string(), detail)?;
            let jobs = super::dispatcher::load_jobs(conn, inserted)?;
            let response =
                FireResponse { notification_id: row.public_id, deliveries: 1, skipped: vec![], attached: false };
            Ok((response, jobs))
        })
        .await?;
    dispatcher.hand_over(jobs);
    Ok(response)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::store::contacts::NewContactRow;
    use crate::store::destinations::NewDestinationRow;
    use crate::store::{run_migrations, write_transaction, DatabaseUrl};
    use diesel::prelude::*;

    fn contact_fire(conn: &mut DbConnection, slug: &str) -> (FireCommand, Prepared) {
        let at = now();
        let contact = contacts::insert(
            conn,
            &NewContactRow {
                slug: slug.into(),
                name: slug.into(),
                enabled: true,
                timezone: "UTC".into(),
                availability: "always".into(),
                operator_id: None,
                created_at: at,
                updated_at: at,
            },
        )
        .unwrap();
        crate::store::destinations::insert(
            conn,
            &NewDestinationRow {
                contact_id: contact.id,
                medium: "inbox".into(),
                label: String::new(),
                settings: r#"{"operator":"admin"}"#.into(),
                address: "admin".into(),
                enabled: true,
                created_at: at,
                updated_at: at,
            },
        )
        .unwrap();
        let cmd = FireCommand {
            target: FireTarget::Contact(slug.into()),
            args: serde_json::Map::new(),
            dedup_key: None,
            message: format!("message for {slug}"),
            subject: String::new(),
            raised_by: "operator:admin".into(),
            idempotency: None,
        };
        let prepared = prepare(conn, &cmd, None).unwrap();
        (cmd, prepared)
    }

    fn context() -> FireContext {
        FireContext { token: "test".into(), lease: chrono::Duration::minutes(1), max_age: HashMap::new() }
    }

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
                assert_eq!(n.body, cmd.message, "each answer names its own notification");
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

    #[test]
    fn a_delivery_row_expires_after_its_own_mediums_maximum_age() {
        let ctx = FireContext {
            token: "test".into(),
            lease: chrono::Duration::minutes(1),
            max_age: HashMap::from([("sms", chrono::Duration::hours(2)), ("webhook", chrono::Duration::hours(5))]),
        };
        let at = now();
        let route = |medium: &str| Route {
            contact_id: None,
            destination_id: None,
            medium: medium.into(),
            address: "a".into(),
            path: "p".into(),
            payload: "{}".into(),
        };
        let sms = ctx.row(at, 1, route("sms"), None);
        assert_eq!(sms.expires_at, at + chrono::Duration::hours(2));
        assert_eq!(
            (sms.lease_until, sms.lease_token.as_deref()),
            (Some(at + chrono::Duration::minutes(1)), Some("test"))
        );
        assert_eq!(ctx.row(at, 1, route("webhook"), Some(7)).expires_at, at + chrono::Duration::hours(5));
        assert_eq!(ctx.row(at, 1, route("inbox"), None).expires_at, at + chrono::Duration::days(1), "the default");
    }

    #[test]
    fn a_kept_plan_is_used_until_the_directory_changes() {
        use crate::store::schema::contacts as contact_rows;
        let dir = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::parse(&dir.path().join("t.db").display().to_string()).unwrap();
        run_migrations(&url, |conn| {
            let (cmd, _) = contact_fire(conn, "ana");
            let cache = PlanCache::default();
            let first = cache.plan(conn, &cmd.target).unwrap();
            assert!(Arc::ptr_eq(&first, &cache.plan(conn, &cmd.target).unwrap()), "kept");
            diesel::update(contact_rows::table).set(contact_rows::enabled.eq(false)).execute(conn).unwrap();
            let refused = cache.plan(conn, &cmd.target);
            assert!(matches!(refused, Err(FireError::Disabled { .. })), "read again after the change");
            Ok(())
        })
        .unwrap();
    }
}

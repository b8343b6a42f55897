//! The outbox. A delivery row is the unit of work: dispatchers lease rows,
//! send, and record the outcome only while they still hold the lease, so a
//! crash at any moment loses nothing — the lease expires and the row is claimed
//! again.
//!
//! Pages of a notification that is no longer open are never claimed, and a
//! page whose try failed after its notification was acknowledged ends
//! `cancelled` instead of going back to the queue; notices are exempt.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};
use tocsin_types::TimelineEntry;

use super::schema::{deliveries, notifications};
use super::{from_db_time, DbConnection, StoreError};
use crate::domain::lifecycle::{DeliveryKind, DeliveryStatus, NotificationState};

#[derive(Queryable, QueryableByName, Clone, Debug, PartialEq)]
#[diesel(table_name = deliveries)]
pub struct DeliveryRow {
    pub id: i64,
    pub notification_id: i64,
    pub contact_id: Option<i64>,
    pub destination_id: Option<i64>,
    pub medium: String,
    pub address: String,
    pub path: String,
    pub payload: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub due_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub lease_until: Option<NaiveDateTime>,
    pub lease_token: Option<String>,
    pub provider_message_id: Option<String>,
    pub last_error: Option<String>,
    pub replay_of: Option<i64>,
    pub queued_at: NaiveDateTime,
    pub sending_at: Option<NaiveDateTime>,
    pub sent_at: Option<NaiveDateTime>,
    pub delivered_at: Option<NaiveDateTime>,
    pub finished_at: Option<NaiveDateTime>,
    pub kind: DeliveryKind,
    /// The provider that took the message (SMS), once it did.
    pub provider: Option<String>,
}

impl DeliveryRow {
    /// The routine steps, kept as columns rather than timeline rows so that the
    /// common path writes one row.
    pub fn routine_timeline(&self) -> Vec<TimelineEntry> {
        use DeliveryStatus::*;
        let mut out = vec![entry(self.queued_at, Queued.as_str(), "")];
        if let Some(at) = self.sending_at {
            out.push(entry(at, Sending.as_str(), ""));
        }
        if let Some(at) = self.sent_at {
            out.push(entry(at, Sent.as_str(), self.provider_message_id.as_deref().unwrap_or("")));
        }
        if let Some(at) = self.delivered_at {
            out.push(entry(at, Delivered.as_str(), ""));
        }
        if let (Some(at), true) = (self.finished_at, matches!(self.status, Failed | Expired | Cancelled)) {
            out.push(entry(at, self.status.as_str(), self.last_error.as_deref().unwrap_or("")));
        }
        out
    }
}

fn entry(at: NaiveDateTime, kind: &str, detail: &str) -> TimelineEntry {
    TimelineEntry { at: from_db_time(at), kind: kind.into(), detail: detail.into() }
}

/// `None` is written as NULL, not as the column's default (none of the optional
/// columns has one): that lets diesel insert many rows in one statement on
/// SQLite too, where it would otherwise send a statement per row.
#[derive(Insertable, Debug, Clone)]
#[diesel(table_name = deliveries, treat_none_as_default_value = false)]
pub struct NewDelivery {
    pub notification_id: i64,
    pub contact_id: Option<i64>,
    pub destination_id: Option<i64>,
    pub medium: String,
    pub address: String,
    pub path: String,
    pub payload: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub due_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub lease_until: Option<NaiveDateTime>,
    pub lease_token: Option<String>,
    pub replay_of: Option<i64>,
    pub queued_at: NaiveDateTime,
    pub sending_at: Option<NaiveDateTime>,
    pub kind: DeliveryKind,
}

/// Inserts the rows in one statement per 1,000, and gives them back as stored.
///
/// Only the ids come back from the database: everything else is what was
/// inserted, and reading 22 columns of 10,000 rows back (six timestamps as
/// text on SQLite) would be a sizeable part of a large fan-out's answer time.
pub fn insert_many(conn: &mut DbConnection, rows: &[NewDelivery]) -> Result<Vec<DeliveryRow>, StoreError> {
    let mut out = Vec::with_capacity(rows.len());
    // SQLite allows at most 32766 bound parameters per statement.
    for chunk in rows.chunks(1000) {
        let mut ids: Vec<i64> = on_concrete!(conn, |c| diesel::insert_into(deliveries::table)
            .values(chunk)
            .returning(deliveries::id)
            .get_results(c))?;
        if ids.len() != chunk.len() {
            return Err(StoreError::Unavailable(format!(
                "{} deliveries inserted, {} ids returned",
                chunk.len(),
                ids.len()
            )));
        }
        // One statement takes its ids in the order of its rows (SQLite's next
        // rowid, PostgreSQL's sequence), but neither promises to list them in
        // that order: sorted, they line up with the rows.
        ids.sort_unstable();
        out.extend(ids.into_iter().zip(chunk).map(|(id, row)| row.clone().stored_as(id)));
    }
    Ok(out)
}

impl NewDelivery {
    /// The row as the database holds it once inserted with `id`.
    fn stored_as(self, id: i64) -> DeliveryRow {
        DeliveryRow {
            id,
            notification_id: self.notification_id,
            contact_id: self.contact_id,
            destination_id: self.destination_id,
            medium: self.medium,
            address: self.address,
            path: self.path,
            payload: self.payload,
            status: self.status,
            attempts: self.attempts,
            due_at: self.due_at,
            expires_at: self.expires_at,
            lease_until: self.lease_until,
            lease_token: self.lease_token,
            provider_message_id: None,
            last_error: None,
            replay_of: self.replay_of,
            queued_at: self.queued_at,
            sending_at: self.sending_at,
            sent_at: None,
            delivered_at: None,
            finished_at: None,
            kind: self.kind,
            provider: None,
        }
    }
}

pub fn get(conn: &mut DbConnection, id: i64) -> Result<DeliveryRow, StoreError> {
    deliveries::table
        .find(id)
        .first::<DeliveryRow>(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("delivery {id}")))
}

/// Leases up to `limit` due rows (queued, or sending with an expired lease) to
/// `token` until `lease_until`, counting an attempt, of the `media` the
/// dispatcher has room for (medium names: this crate's own words, never
/// input). Pages of a notification
/// that is no longer open are left alone (acknowledge cancels the queued ones;
/// this covers rows whose lease lapsed). PostgreSQL skips rows other instances
/// hold; SQLite's write lock (`BEGIN IMMEDIATE`) serialises claimers.
pub fn claim_due(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    token: &str,
    media: &[&'static str],
    limit: i64,
) -> Result<Vec<DeliveryRow>, StoreError> {
    if media.is_empty() {
        return Ok(Vec::new());
    }
    let media = media.iter().map(|m| format!("'{m}'")).collect::<Vec<_>>().join(", ");
    let lock = match conn {
        DbConnection::Postgresql(_) => "FOR UPDATE OF d SKIP LOCKED",
        DbConnection::Sqlite(_) => "",
    };
    let (queued, sending) = (DeliveryStatus::Queued.as_str(), DeliveryStatus::Sending.as_str());
    let (notice, open) = (DeliveryKind::Notice.as_str(), NotificationState::Open.as_str());
    let sql = format!(
        "UPDATE deliveries SET lease_until = $1, lease_token = $2, status = '{sending}', \
           sending_at = COALESCE(sending_at, $3), attempts = attempts + 1 \
         WHERE id IN (SELECT d.id FROM deliveries d \
           WHERE d.status IN ('{queued}', '{sending}') AND d.due_at <= $3 AND d.medium IN ({media}) \
             AND (d.lease_until IS NULL OR d.lease_until < $3) \
             AND (d.kind = '{notice}' OR EXISTS (SELECT 1 FROM notifications n \
                  WHERE n.id = d.notification_id AND n.state = '{open}')) \
           ORDER BY d.due_at, d.id LIMIT $4 {lock}) \
         RETURNING *"
    );
    let rows = super::write_transaction(conn, |c| {
        Ok(diesel::sql_query(sql)
            .bind::<Timestamp, _>(lease_until)
            .bind::<Text, _>(token)
            .bind::<Timestamp, _>(now)
            .bind::<BigInt, _>(limit)
            .load::<DeliveryRow>(c)?)
    })?;
    Ok(rows)
}

/// Rows per statement that lists ids: well under SQLite's 32,766 and
/// PostgreSQL's 65,535 bound parameters.
const ID_CHUNK: usize = 1000;

/// Extends the leases of these rows, each only while it is still leased to
/// `token` and not expired (an expired one may already belong to someone
/// else). Only the rows an instance holds in memory are renewed: a row leased
/// to it that it no longer works on (a lost hand-over) is left to expire and
/// be claimed again, instead of being kept leased for ever.
pub fn renew_leases(
    conn: &mut DbConnection,
    token: &str,
    ids: &[i64],
    until: NaiveDateTime,
) -> Result<usize, StoreError> {
    let now = super::now();
    let mut renewed = 0;
    for chunk in ids.chunks(ID_CHUNK) {
        renewed += diesel::update(
            deliveries::table
                .filter(deliveries::id.eq_any(chunk))
                .filter(deliveries::lease_token.eq(token))
                .filter(deliveries::status.eq(DeliveryStatus::Sending.as_str()))
                .filter(deliveries::lease_until.ge(now)),
        )
        .set(deliveries::lease_until.eq(Some(until)))
        .execute(conn)?;
    }
    Ok(renewed)
}

/// Gives these rows back to the queue, due at once, if they are still leased
/// to `token`: what the claimer does with rows whose jobs it could not load.
pub fn release_rows(conn: &mut DbConnection, token: &str, ids: &[i64]) -> Result<usize, StoreError> {
    let mut released = 0;
    for chunk in ids.chunks(ID_CHUNK) {
        released += requeue(conn, token, Some(chunk))?;
    }
    if released > 0 {
        announce_claimable(conn)?;
    }
    Ok(released)
}

/// Puts rows still leased to `token` and sending (these ids, or all of them)
/// back in the queue, due as they were and unleased.
fn requeue(conn: &mut DbConnection, token: &str, ids: Option<&[i64]>) -> Result<usize, StoreError> {
    let leased = deliveries::table
        .filter(deliveries::lease_token.eq(token))
        .filter(deliveries::status.eq(DeliveryStatus::Sending.as_str()));
    let queued = (
        deliveries::status.eq(DeliveryStatus::Queued.as_str()),
        deliveries::lease_until.eq(None::<NaiveDateTime>),
        deliveries::lease_token.eq(None::<String>),
    );
    Ok(match ids {
        Some(ids) => diesel::update(leased.filter(deliveries::id.eq_any(ids))).set(queued).execute(conn)?,
        None => diesel::update(leased).set(queued).execute(conn)?,
    })
}

/// Deliveries not yet final by (status, medium), and when the oldest due
/// queued one fell due.
#[allow(clippy::type_complexity)]
pub fn queue_depth(conn: &mut DbConnection) -> Result<(Vec<(String, String, i64)>, Option<NaiveDateTime>), StoreError> {
    let depth = deliveries::table
        .filter(deliveries::status.eq_any(DeliveryStatus::OPEN.map(DeliveryStatus::as_str)))
        .group_by((deliveries::status, deliveries::medium))
        .select((deliveries::status, deliveries::medium, diesel::dsl::count_star()))
        .load::<(String, String, i64)>(conn)?;
    let oldest = deliveries::table
        .filter(deliveries::status.eq(DeliveryStatus::Queued.as_str()))
        .filter(deliveries::due_at.le(super::now()))
        .select(diesel::dsl::min(deliveries::due_at))
        .first::<Option<NaiveDateTime>>(conn)?;
    Ok((depth, oldest))
}

/// Gives back every row leased to `token`, due at once: what a stopping
/// instance does so that another (or its successor) need not wait for leases.
pub fn release_leases(conn: &mut DbConnection, token: &str) -> Result<usize, StoreError> {
    let released = requeue(conn, token, None)?;
    if released > 0 {
        announce_claimable(conn)?;
    }
    Ok(released)
}

/// The channel every instance LISTENs on (PostgreSQL) to hear that deliveries
/// became claimable by anyone, instead of finding out at its next poll.
pub const QUEUE_CHANNEL: &str = "tocsin_queue";

/// Wakes the other instances sharing this database. PostgreSQL delivers the
/// notice when the surrounding transaction commits, so nobody looks too early;
/// SQLite has a single process, which wakes itself in memory.
pub fn announce_claimable(conn: &mut DbConnection) -> Result<(), StoreError> {
    if let DbConnection::Postgresql(pg) = conn {
        diesel::connection::SimpleConnection::batch_execute(pg, &format!("NOTIFY {QUEUE_CHANNEL}"))?;
    }
    Ok(())
}

/// When the next row becomes claimable: the earliest due queued row or the
/// earliest expiring lease, for sleeping until then.
pub fn next_due(conn: &mut DbConnection) -> Result<Option<NaiveDateTime>, StoreError> {
    let queued = deliveries::table
        .filter(deliveries::status.eq(DeliveryStatus::Queued.as_str()))
        .select(diesel::dsl::min(deliveries::due_at))
        .first::<Option<NaiveDateTime>>(conn)?;
    let leased = deliveries::table
        .filter(deliveries::status.eq(DeliveryStatus::Sending.as_str()))
        .select(diesel::dsl::min(deliveries::lease_until))
        .first::<Option<NaiveDateTime>>(conn)?;
    Ok(match (queued, leased) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    })
}

/// Rows per multi-row update: two bound values each, well under SQLite's
/// 32,766 and PostgreSQL's 65,535 parameters.
const DELIVERED_CHUNK: usize = 500;

/// Marks these rows delivered at their times, each only if still leased to
/// `token` and sending, with one `UPDATE … FROM (VALUES …)` (both backends name
/// the VALUES columns column1, column2).
fn record_delivered(conn: &mut DbConnection, token: &str, rows: &[(i64, NaiveDateTime)]) -> Result<usize, StoreError> {
    let postgres = matches!(conn, DbConnection::Postgresql(_));
    let placeholder = |i: usize| if postgres { format!("${i}") } else { "?".to_owned() };
    let values: Vec<String> =
        (0..rows.len()).map(|i| format!("({}, {})", placeholder(2 * i + 1), placeholder(2 * i + 2))).collect();
    let sql = format!(
        "UPDATE deliveries SET status = '{delivered}', delivered_at = v.column2, finished_at = v.column2, \
         lease_until = NULL, lease_token = NULL \
         FROM (VALUES {}) AS v \
         WHERE deliveries.id = v.column1 AND deliveries.lease_token = {} AND deliveries.status = '{sending}'",
        values.join(", "),
        placeholder(2 * rows.len() + 1),
        delivered = DeliveryStatus::Delivered.as_str(),
        sending = DeliveryStatus::Sending.as_str(),
    );
    Ok(on_concrete!(conn, |c| {
        let mut query = diesel::sql_query(sql.as_str()).into_boxed();
        for (id, at) in rows {
            query = query.bind::<BigInt, _>(*id).bind::<Timestamp, _>(*at);
        }
        query.bind::<Text, _>(token).execute(c)?
    }))
}

/// The result of one attempt, to be written while the lease is held.
#[derive(Debug, Clone, PartialEq)]
pub enum AttemptResult {
    Delivered {
        provider_id: Option<String>,
        detail: String,
    },
    /// `via`: the provider that took it (SMS), whose receipts may move it on.
    Sent {
        provider_id: Option<String>,
        detail: String,
        via: Option<&'static str>,
    },
    Retry {
        due_at: NaiveDateTime,
        error: String,
    },
    Failed {
        error: String,
    },
    Expired {
        error: String,
    },
}

/// One outcome to record.
#[derive(Debug, Clone, PartialEq)]
pub struct OutcomeUpdate {
    pub delivery_id: i64,
    pub notification_id: i64,
    pub kind: DeliveryKind,
    pub lease_token: String,
    pub at: NaiveDateTime,
    pub result: AttemptResult,
}

/// What [`record_outcomes`] wrote.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Recorded {
    /// Outcomes written (the others had lost their lease).
    pub written: usize,
    /// Deliveries that became `sent`: receipts that came early may now apply
    /// (`receipts::apply_waiting`).
    pub sent: Vec<i64>,
}

/// Writes outcomes, each only if the row is still leased to the same token (a
/// dispatcher whose lease expired must not overwrite whoever took the row over).
/// The caller runs this in one transaction for a batch, so many outcomes share
/// a commit.
pub fn record_outcomes(conn: &mut DbConnection, updates: &[OutcomeUpdate]) -> Result<Recorded, StoreError> {
    // The common outcome (delivered, nothing more to keep) goes in one statement
    // per token and chunk: on PostgreSQL a statement per row is a round trip per
    // row, and the longer outcomes wait, the more a crash sends twice.
    let (plain, mut others): (Vec<&OutcomeUpdate>, Vec<&OutcomeUpdate>) =
        updates.iter().partition(|u| matches!(u.result, AttemptResult::Delivered { provider_id: None, .. }));
    let mut recorded = Recorded::default();
    let mut by_token: std::collections::BTreeMap<&str, Vec<(i64, NaiveDateTime)>> = Default::default();
    for u in plain {
        by_token.entry(u.lease_token.as_str()).or_default().push((u.delivery_id, u.at));
    }
    for (token, rows) in by_token {
        for chunk in rows.chunks(DELIVERED_CHUNK) {
            recorded.written += record_delivered(conn, token, chunk)?;
        }
    }
    // Retries lock their notification rows, in id order so that two
    // instances' recorders cannot wait on each other.
    others.sort_by_key(|u| (u.notification_id, u.delivery_id));
    for u in others {
        let n = record_one(conn, u)?;
        if n == 1 && matches!(u.result, AttemptResult::Sent { .. }) {
            recorded.sent.push(u.delivery_id);
        }
        recorded.written += n;
    }
    Ok(recorded)
}

fn record_one(conn: &mut DbConnection, u: &OutcomeUpdate) -> Result<usize, StoreError> {
    let sending = DeliveryStatus::Sending.as_str();
    let target = deliveries::table
        .find(u.delivery_id)
        .filter(deliveries::lease_token.eq(&u.lease_token))
        .filter(deliveries::status.eq(sending));
    let no_lease = (deliveries::lease_until.eq(None::<NaiveDateTime>), deliveries::lease_token.eq(None::<String>));
    let n = match &u.result {
        AttemptResult::Delivered { provider_id, .. } => diesel::update(target)
            .set((
                deliveries::status.eq(DeliveryStatus::Delivered.as_str()),
                deliveries::delivered_at.eq(Some(u.at)),
                deliveries::finished_at.eq(Some(u.at)),
                deliveries::provider_message_id.eq(provider_id),
                no_lease,
            ))
            .execute(conn)?,
        AttemptResult::Sent { provider_id, via, .. } => diesel::update(target)
            .set((
                deliveries::status.eq(DeliveryStatus::Sent.as_str()),
                deliveries::sent_at.eq(Some(u.at)),
                deliveries::provider_message_id.eq(provider_id),
                deliveries::provider.eq(via),
                no_lease,
            ))
            .execute(conn)?,
        AttemptResult::Retry { due_at, error } => {
            if u.kind == DeliveryKind::Page && !takes_pages(conn, u.notification_id)? {
                // Acknowledged or resolved while this try was in flight: no
                // further try.
                let n = diesel::update(target)
                    .set((
                        deliveries::status.eq(DeliveryStatus::Cancelled.as_str()),
                        deliveries::last_error
                            .eq(Some(format!("{error}; not retried: the notification is no longer open"))),
                        deliveries::finished_at.eq(Some(u.at)),
                        no_lease,
                    ))
                    .execute(conn)?;
                return Ok(n);
            }
            let n = diesel::update(target)
                .set((
                    deliveries::status.eq(DeliveryStatus::Queued.as_str()),
                    deliveries::due_at.eq(due_at),
                    deliveries::last_error.eq(Some(error)),
                    no_lease,
                ))
                .execute(conn)?;
            if n > 0 {
                let detail = format!("{error}; next try at {}", due_at.format("%Y-%m-%d %H:%M:%S%.3f UTC"));
                super::timeline::add(conn, u.notification_id, Some(u.delivery_id), "retry", &detail)?;
            }
            n
        }
        AttemptResult::Failed { error } | AttemptResult::Expired { error } => {
            let status = if matches!(u.result, AttemptResult::Failed { .. }) {
                DeliveryStatus::Failed
            } else {
                DeliveryStatus::Expired
            };
            diesel::update(target)
                .set((
                    deliveries::status.eq(status.as_str()),
                    deliveries::last_error.eq(Some(error)),
                    deliveries::finished_at.eq(Some(u.at)),
                    no_lease,
                ))
                .execute(conn)?
        }
    };
    Ok(n)
}

/// Whether the notification still takes pages, read with its row locked on
/// PostgreSQL: an acknowledge, which updates that row first, then either
/// waits for this transaction (and cancels the row it put back in the queue)
/// or has committed before (and this reads its state). SQLite runs one
/// writer at a time.
fn takes_pages(conn: &mut DbConnection, notification_id: i64) -> Result<bool, StoreError> {
    let query = notifications::table.find(notification_id).select(notifications::state);
    let state: Option<String> = match conn {
        DbConnection::Postgresql(pg) => query.for_update().first(pg).optional()?,
        DbConnection::Sqlite(lite) => query.first(lite).optional()?,
    };
    Ok(state.as_deref().and_then(NotificationState::parse).is_some_and(NotificationState::takes_pages))
}

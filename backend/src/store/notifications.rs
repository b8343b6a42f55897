//! Notifications (one firing each) with their deliveries and timeline.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use tocsin_types::{Delivery, Notification, NotificationQuery, Page, SkippedContact, TimelineEntry};

use super::deliveries::DeliveryRow;
use super::schema::{contacts, deliveries, events, notifications, timeline_entries};
use super::{from_db_time, now, paging, timeline, to_db_time, DbConnection, StoreError};
use crate::domain::lifecycle::{DeliveryKind, DeliveryStatus, NotificationState};

#[derive(Queryable, Clone, Debug)]
pub struct NotificationRow {
    pub id: i64,
    pub public_id: String,
    pub event_id: Option<i64>,
    pub target_kind: String,
    pub target_slug: String,
    pub severity: String,
    pub subject: String,
    pub body: String,
    pub sms_text: String,
    pub args: String,
    pub skipped: String,
    pub dedup_key: Option<String>,
    pub state: NotificationState,
    pub raised_by: String,
    pub created_at: NaiveDateTime,
    pub acknowledged_at: Option<NaiveDateTime>,
    pub acknowledged_by: Option<String>,
    pub resolved_at: Option<NaiveDateTime>,
    pub resolved_by: Option<String>,
}

/// `None` is written as NULL, not as the column's default (none of the optional
/// columns has one): that lets diesel insert many rows in one statement on
/// SQLite too, where it would otherwise send a statement per row.
#[derive(Insertable, Debug, Clone)]
#[diesel(table_name = notifications, treat_none_as_default_value = false)]
pub struct NewNotification {
    pub public_id: String,
    pub event_id: Option<i64>,
    pub target_kind: String,
    pub target_slug: String,
    pub severity: String,
    pub subject: String,
    pub body: String,
    pub sms_text: String,
    pub args: String,
    pub skipped: String,
    pub dedup_key: Option<String>,
    pub raised_by: String,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, n: &NewNotification) -> Result<NotificationRow, StoreError> {
    Ok(diesel::insert_into(notifications::table).values(n).get_result::<NotificationRow>(conn)?)
}

/// Inserts the rows with one statement per chunk. The rows come back in no
/// promised order: callers match them by `public_id`.
pub fn insert_many(conn: &mut DbConnection, rows: &[NewNotification]) -> Result<Vec<NotificationRow>, StoreError> {
    let mut out = Vec::with_capacity(rows.len());
    // 13 columns a row; SQLite allows at most 32766 bound parameters.
    for chunk in rows.chunks(1000) {
        let inserted: Vec<NotificationRow> =
            on_concrete!(conn, |c| diesel::insert_into(notifications::table).values(chunk).get_results(c))?;
        out.extend(inserted);
    }
    Ok(out)
}

/// The open notification of this event with this dedup key, if any.
pub fn find_open_duplicate(
    conn: &mut DbConnection,
    event_id: i64,
    dedup_key: &str,
) -> Result<Option<NotificationRow>, StoreError> {
    Ok(notifications::table
        .filter(notifications::event_id.eq(event_id))
        .filter(notifications::dedup_key.eq(dedup_key))
        .filter(notifications::state.eq(NotificationState::Open.as_str()))
        .order(notifications::id.desc())
        .first::<NotificationRow>(conn)
        .optional()?)
}

pub fn get(conn: &mut DbConnection, public_id: &str) -> Result<NotificationRow, StoreError> {
    notifications::table
        .filter(notifications::public_id.eq(public_id))
        .first::<NotificationRow>(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("notification {public_id}")))
}

/// Moves an open notification to `acknowledged` or `resolved` (an acknowledged
/// one may still be resolved) and cancels, in one statement, its pages that
/// are still queued (later escalation steps, retries waiting for their time).
/// The notification's row is updated first, so on PostgreSQL it stays locked
/// until the commit: a recorder putting a failed page back in the queue
/// meanwhile waits, then sees the new state (see `deliveries::record_outcomes`).
/// Notices are left to go. Returns false when the notification was already in
/// that state or beyond.
pub fn transition(
    conn: &mut DbConnection,
    row: &NotificationRow,
    to: NotificationState,
    actor: &str,
) -> Result<bool, StoreError> {
    let at = now();
    let from: Vec<&str> = to.reachable_from().iter().map(|s| s.as_str()).collect();
    let target = notifications::table.find(row.id).filter(notifications::state.eq_any(from));
    let changed = match to {
        NotificationState::Resolved => diesel::update(target)
            .set((
                notifications::state.eq(to.as_str()),
                notifications::resolved_at.eq(Some(at)),
                notifications::resolved_by.eq(Some(actor)),
            ))
            .execute(conn)?,
        NotificationState::Acknowledged => diesel::update(target)
            .set((
                notifications::state.eq(to.as_str()),
                notifications::acknowledged_at.eq(Some(at)),
                notifications::acknowledged_by.eq(Some(actor)),
            ))
            .execute(conn)?,
        NotificationState::Open => 0,
    };
    if changed == 0 {
        return Ok(false);
    }
    let cancelled = diesel::update(
        deliveries::table
            .filter(deliveries::notification_id.eq(row.id))
            .filter(deliveries::status.eq(DeliveryStatus::Queued.as_str()))
            .filter(deliveries::kind.eq(DeliveryKind::Page.as_str())),
    )
    .set((
        deliveries::status.eq(DeliveryStatus::Cancelled.as_str()),
        deliveries::finished_at.eq(Some(at)),
        deliveries::lease_until.eq(None::<NaiveDateTime>),
        deliveries::lease_token.eq(None::<String>),
    ))
    .execute(conn)?;
    let detail = if cancelled > 0 {
        format!("by {actor}; {cancelled} queued deliveries cancelled")
    } else {
        format!("by {actor}")
    };
    timeline::add(conn, row.id, None, to.as_str(), &detail)?;
    Ok(true)
}

pub fn list(conn: &mut DbConnection, query: &NotificationQuery) -> Result<Page<Notification>, StoreError> {
    let (limit, offset) = paging(query.limit, query.offset);
    let event_id = match &query.event {
        Some(slug) => match super::events::find(conn, slug)? {
            Some(e) => Some(e.id),
            None => return Ok(Page { items: vec![], total: 0, limit, offset }),
        },
        None => None,
    };
    let filtered = || {
        let mut q = notifications::table.into_boxed();
        if let Some(state) = &query.state {
            q = q.filter(notifications::state.eq(state.clone()));
        }
        if let Some(id) = event_id {
            q = q.filter(notifications::event_id.eq(id));
        }
        if let Some(since) = query.since {
            q = q.filter(notifications::created_at.ge(to_db_time(since)));
        }
        if let Some(until) = query.until {
            q = q.filter(notifications::created_at.lt(to_db_time(until)));
        }
        q
    };
    let total = filtered().count().get_result::<i64>(conn)?;
    let rows = filtered().order(notifications::id.desc()).limit(limit).offset(offset).load::<NotificationRow>(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut counts = status_counts(conn, &ids)?;
    let slugs = event_slugs(conn, &rows)?;
    let items = rows
        .into_iter()
        .map(|r| {
            let c = counts.remove(&r.id).unwrap_or_default();
            to_dto(r, &slugs, c, Vec::new(), Vec::new())
        })
        .collect();
    Ok(Page { items, total, limit, offset })
}

/// One notification with every delivery and both timelines.
pub fn load(conn: &mut DbConnection, row: NotificationRow) -> Result<Notification, StoreError> {
    let rows = deliveries::table
        .left_join(contacts::table)
        .filter(deliveries::notification_id.eq(row.id))
        .order(deliveries::id.asc())
        .select((deliveries::all_columns, contacts::slug.nullable()))
        .load::<(DeliveryRow, Option<String>)>(conn)?;
    let entries = timeline_entries::table
        .filter(timeline_entries::notification_id.eq(row.id))
        .order((timeline_entries::at.asc(), timeline_entries::id.asc()))
        .select((timeline_entries::delivery_id, timeline_entries::at, timeline_entries::kind, timeline_entries::detail))
        .load::<(Option<i64>, NaiveDateTime, String, String)>(conn)?;
    let mut per_delivery: HashMap<i64, Vec<TimelineEntry>> = HashMap::new();
    let mut own = Vec::new();
    for (delivery_id, at, kind, detail) in entries {
        let entry = TimelineEntry { at: from_db_time(at), kind, detail };
        match delivery_id {
            Some(id) => per_delivery.entry(id).or_default().push(entry),
            None => own.push(entry),
        }
    }
    let mut counts = BTreeMap::new();
    let deliveries = rows
        .into_iter()
        .map(|(d, contact)| {
            *counts.entry(d.status.as_str().to_owned()).or_insert(0) += 1;
            let extra = per_delivery.remove(&d.id).unwrap_or_default();
            delivery_dto(d, contact, extra)
        })
        .collect();
    let slugs = event_slugs(conn, std::slice::from_ref(&row))?;
    Ok(to_dto(row, &slugs, counts, deliveries, own))
}

fn delivery_dto(d: DeliveryRow, contact: Option<String>, extra: Vec<TimelineEntry>) -> Delivery {
    let mut timeline = d.routine_timeline();
    timeline.extend(extra);
    timeline.sort_by_key(|e| e.at);
    Delivery {
        id: d.id,
        contact,
        destination_id: d.destination_id,
        medium: d.medium,
        address: d.address,
        path: d.path,
        status: d.status.as_str().to_owned(),
        attempts: d.attempts,
        due_at: from_db_time(d.due_at),
        provider_message_id: d.provider_message_id,
        last_error: d.last_error,
        replay_of: d.replay_of,
        kind: d.kind.as_str().to_owned(),
        provider: d.provider,
        timeline,
    }
}

fn status_counts(conn: &mut DbConnection, ids: &[i64]) -> Result<HashMap<i64, BTreeMap<String, i64>>, StoreError> {
    let mut out: HashMap<i64, BTreeMap<String, i64>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let rows = deliveries::table
        .filter(deliveries::notification_id.eq_any(ids))
        .group_by((deliveries::notification_id, deliveries::status))
        .select((deliveries::notification_id, deliveries::status, diesel::dsl::count_star()))
        .load::<(i64, String, i64)>(conn)?;
    for (id, status, n) in rows {
        out.entry(id).or_default().insert(status, n);
    }
    Ok(out)
}

fn event_slugs(conn: &mut DbConnection, rows: &[NotificationRow]) -> Result<HashMap<i64, String>, StoreError> {
    let ids: Vec<i64> = rows.iter().filter_map(|r| r.event_id).collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(events::table
        .filter(events::id.eq_any(&ids))
        .select((events::id, events::slug))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect())
}

fn to_dto(
    r: NotificationRow,
    event_slugs: &HashMap<i64, String>,
    counts: BTreeMap<String, i64>,
    deliveries: Vec<Delivery>,
    timeline: Vec<TimelineEntry>,
) -> Notification {
    Notification {
        event: r.event_id.and_then(|id| event_slugs.get(&id).cloned()),
        id: r.public_id,
        target_kind: r.target_kind,
        target: r.target_slug,
        severity: r.severity,
        subject: r.subject,
        body: r.body,
        sms_text: r.sms_text,
        args: serde_json::from_str(&r.args).unwrap_or(serde_json::Value::Null),
        dedup_key: r.dedup_key,
        state: r.state.as_str().to_owned(),
        raised_by: r.raised_by,
        created_at: from_db_time(r.created_at),
        acknowledged_at: r.acknowledged_at.map(from_db_time),
        acknowledged_by: r.acknowledged_by,
        resolved_at: r.resolved_at.map(from_db_time),
        resolved_by: r.resolved_by,
        skipped: serde_json::from_str::<Vec<SkippedContact>>(&r.skipped).unwrap_or_default(),
        counts,
        deliveries,
        timeline,
    }
}

/// Deletes up to `batch` resolved notifications resolved before `before`, with
/// their deliveries and timelines (by cascade). Small batches keep each
/// transaction short next to live traffic. Returns how many went.
pub fn purge_resolved(conn: &mut DbConnection, before: NaiveDateTime, batch: i64) -> Result<usize, StoreError> {
    let ids: Vec<i64> = notifications::table
        .filter(notifications::state.eq(NotificationState::Resolved.as_str()))
        .filter(notifications::resolved_at.lt(before))
        .order(notifications::id.asc())
        .limit(batch)
        .select(notifications::id)
        .load(conn)?;
    if ids.is_empty() {
        return Ok(0);
    }
    Ok(diesel::delete(notifications::table.filter(notifications::id.eq_any(&ids))).execute(conn)?)
}

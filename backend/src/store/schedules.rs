//! Duty schedules. Windows and exceptions are kept as JSON text: windows in
//! OpenNMS's notation as written back by [`Window`], exceptions in the API's
//! shape.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use chrono_tz::Tz;
use diesel::prelude::*;
use tocsin_types::{ListQuery, Page, Schedule, ScheduleException};

use crate::domain::inputs::schedules::{ExceptionInput, ScheduleDraft, SchedulePatch};
use crate::domain::schedule::{self, Exception, Window};

use super::schema::{contact_groups, contacts, schedules};
use super::{contains_pattern, from_db_time, lower, now, paging, DbConnection, StoreError};

#[derive(Queryable, Clone)]
pub struct ScheduleRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub timezone: String,
    pub windows: String,
    pub exceptions: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = schedules)]
struct NewScheduleRow<'a> {
    slug: &'a str,
    name: &'a str,
    timezone: &'a str,
    windows: String,
    exceptions: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// `None` leaves a column as it is.
#[derive(AsChangeset)]
#[diesel(table_name = schedules)]
struct ScheduleChanges<'a> {
    slug: Option<&'a str>,
    name: Option<&'a str>,
    timezone: Option<&'a str>,
    windows: Option<String>,
    exceptions: Option<String>,
    updated_at: NaiveDateTime,
}

fn windows_json(windows: &[Window]) -> String {
    let written: Vec<String> = windows.iter().map(ToString::to_string).collect();
    serde_json::to_string(&written).unwrap_or_else(|_| "[]".into())
}

fn exceptions_json(exceptions: &[ExceptionInput]) -> String {
    let written: Vec<ScheduleException> = exceptions
        .iter()
        .map(|e| ScheduleException {
            from: e.exception.from,
            to: e.exception.to,
            on_duty: e.exception.on_duty,
            note: e.note.clone(),
        })
        .collect();
    serde_json::to_string(&written).unwrap_or_else(|_| "[]".into())
}

fn conflict(slug: &str) -> impl Fn(diesel::result::Error) -> StoreError + '_ {
    StoreError::conflict_on(move || format!("a schedule with slug '{slug}' already exists (slugs ignore case)"))
}

pub fn insert(conn: &mut DbConnection, draft: &ScheduleDraft) -> Result<ScheduleRow, StoreError> {
    let at = now();
    let row = NewScheduleRow {
        slug: draft.slug.as_str(),
        name: &draft.name,
        timezone: draft.zone.name(),
        windows: windows_json(&draft.windows),
        exceptions: exceptions_json(&draft.exceptions),
        created_at: at,
        updated_at: at,
    };
    diesel::insert_into(schedules::table).values(&row).get_result::<ScheduleRow>(conn).map_err(conflict(row.slug))
}

pub fn find(conn: &mut DbConnection, slug: &str) -> Result<Option<ScheduleRow>, StoreError> {
    Ok(schedules::table.filter(lower(schedules::slug).eq(slug.to_lowercase())).first::<ScheduleRow>(conn).optional()?)
}

pub fn get(conn: &mut DbConnection, slug: &str) -> Result<ScheduleRow, StoreError> {
    find(conn, slug)?.ok_or_else(|| StoreError::NotFound(format!("schedule '{slug}'")))
}

/// The schedule a link names, for a contact or group: `field` is the request
/// field, so an unknown slug is a 422 naming it.
pub fn existing(conn: &mut DbConnection, field: &str, slug: &str) -> Result<i64, StoreError> {
    match find(conn, slug)? {
        Some(row) => Ok(row.id),
        None => {
            Err(StoreError::Invalid(crate::domain::ValidationError::new(field, format!("unknown schedule '{slug}'"))))
        }
    }
}

pub fn update(conn: &mut DbConnection, id: i64, patch: &SchedulePatch) -> Result<ScheduleRow, StoreError> {
    let changes = ScheduleChanges {
        slug: patch.slug.as_ref().map(|s| s.as_str()),
        name: patch.name.as_deref(),
        timezone: patch.zone.as_ref().map(|z| z.name()),
        windows: patch.windows.as_deref().map(windows_json),
        exceptions: patch.exceptions.as_deref().map(exceptions_json),
        updated_at: now(),
    };
    let slug = changes.slug.unwrap_or_default();
    diesel::update(schedules::table.find(id)).set(&changes).get_result::<ScheduleRow>(conn).map_err(conflict(slug))
}

/// Refused with [`StoreError::InUse`] while a contact or group uses it.
pub fn delete(conn: &mut DbConnection, row: &ScheduleRow) -> Result<(), StoreError> {
    let used_by = used_by(conn, row.id)?;
    if !used_by.is_empty() {
        return Err(StoreError::InUse { what: format!("schedule '{}'", row.slug), used_by });
    }
    diesel::delete(schedules::table.find(row.id)).execute(conn)?;
    Ok(())
}

/// What refers to the schedule, e.g. `["contact ana", "group ops"]`.
pub fn used_by(conn: &mut DbConnection, id: i64) -> Result<Vec<String>, StoreError> {
    let contacts = contacts::table
        .filter(contacts::schedule_id.eq(id))
        .order(contacts::slug.asc())
        .select(contacts::slug)
        .load::<String>(conn)?;
    let groups = contact_groups::table
        .filter(contact_groups::schedule_id.eq(id))
        .order(contact_groups::slug.asc())
        .select(contact_groups::slug)
        .load::<String>(conn)?;
    Ok(contacts.iter().map(|s| format!("contact {s}")).chain(groups.iter().map(|s| format!("group {s}"))).collect())
}

/// Slugs by id, for showing which schedule a contact or group has.
pub fn slugs(conn: &mut DbConnection, ids: &[i64]) -> Result<HashMap<i64, String>, StoreError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(schedules::table
        .filter(schedules::id.eq_any(ids))
        .select((schedules::id, schedules::slug))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect())
}

/// The schedules with these ids, ready to evaluate.
pub fn evaluable(conn: &mut DbConnection, ids: &[i64]) -> Result<HashMap<i64, schedule::Schedule>, StoreError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = schedules::table.filter(schedules::id.eq_any(ids)).load::<ScheduleRow>(conn)?;
    Ok(rows.iter().map(|r| (r.id, r.evaluable())).collect())
}

impl ScheduleRow {
    fn stored_windows(&self) -> Vec<String> {
        serde_json::from_str(&self.windows).unwrap_or_default()
    }

    fn stored_exceptions(&self) -> Vec<ScheduleException> {
        serde_json::from_str(&self.exceptions).unwrap_or_default()
    }

    /// The schedule as evaluation sees it. Rows were validated on the way in;
    /// a zone the time zone database no longer knows reads as UTC.
    pub fn evaluable(&self) -> schedule::Schedule {
        schedule::Schedule {
            zone: self.timezone.parse::<Tz>().unwrap_or(Tz::UTC),
            windows: self.stored_windows().iter().filter_map(|w| Window::parse(w).ok()).collect(),
            exceptions: self
                .stored_exceptions()
                .into_iter()
                .map(|e| Exception { from: e.from, to: e.to, on_duty: e.on_duty })
                .collect(),
        }
    }

    pub fn to_dto(&self) -> Schedule {
        Schedule {
            id: self.id,
            slug: self.slug.clone(),
            name: self.name.clone(),
            timezone: self.timezone.clone(),
            windows: self.stored_windows(),
            exceptions: self.stored_exceptions(),
            created_at: from_db_time(self.created_at),
            updated_at: from_db_time(self.updated_at),
        }
    }
}

pub fn list(conn: &mut DbConnection, query: &ListQuery) -> Result<Page<Schedule>, StoreError> {
    let (limit, offset) = paging(query.limit, query.offset);
    let filtered = || {
        let mut q = schedules::table.into_boxed();
        if let Some(text) = query.q.as_deref().filter(|t| !t.is_empty()) {
            let pattern = contains_pattern(text);
            q = q.filter(
                lower(schedules::slug)
                    .like(pattern.clone())
                    .escape('\\')
                    .or(lower(schedules::name).like(pattern).escape('\\')),
            );
        }
        q
    };
    let total = filtered().count().get_result::<i64>(conn)?;
    let rows = filtered().order(lower(schedules::slug).asc()).limit(limit).offset(offset).load::<ScheduleRow>(conn)?;
    Ok(Page { items: rows.iter().map(ScheduleRow::to_dto).collect(), total, limit, offset })
}

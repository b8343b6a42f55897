//! Contacts, read with their destinations.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use tocsin_types::{Availability, Contact, ListQuery, Page};

use crate::domain::inputs::contacts::{ContactDraft, ContactPatch};

use super::destinations::{self, DestinationRow};
use super::schema::{contacts, operators};
use super::{contains_pattern, from_db_time, lower, now, paging, DbConnection, StoreError};

#[derive(Queryable, Clone)]
pub struct ContactRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub enabled: bool,
    pub timezone: String,
    pub availability: String,
    pub operator_id: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub schedule_id: Option<i64>,
}

pub fn availability_str(a: Availability) -> &'static str {
    match a {
        Availability::Always => "always",
        Availability::BusinessHours => "business_hours",
    }
}

fn parse_availability(raw: &str) -> Availability {
    if raw == "business_hours" {
        Availability::BusinessHours
    } else {
        Availability::Always
    }
}

#[derive(Insertable)]
#[diesel(table_name = contacts)]
struct NewContactRow<'a> {
    slug: &'a str,
    name: &'a str,
    enabled: bool,
    timezone: &'a str,
    availability: &'static str,
    operator_id: Option<i64>,
    schedule_id: Option<i64>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// `None` leaves a column as it is.
#[derive(AsChangeset)]
#[diesel(table_name = contacts)]
struct ContactChanges<'a> {
    slug: Option<&'a str>,
    name: Option<&'a str>,
    enabled: Option<bool>,
    timezone: Option<&'a str>,
    availability: Option<&'static str>,
    operator_id: Option<Option<i64>>,
    schedule_id: Option<Option<i64>>,
    updated_at: NaiveDateTime,
}

fn conflict(slug: &str) -> impl Fn(diesel::result::Error) -> StoreError + '_ {
    StoreError::conflict_on(move || format!("a contact with slug '{slug}' already exists (slugs ignore case)"))
}

/// The records a contact links to, by id, checked by the caller. In a patch,
/// `None` leaves a link as it is and `Some(None)` removes it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Links<T> {
    pub operator_id: T,
    pub schedule_id: T,
}

pub fn insert(
    conn: &mut DbConnection,
    draft: &ContactDraft,
    links: Links<Option<i64>>,
) -> Result<ContactRow, StoreError> {
    let at = now();
    let row = NewContactRow {
        slug: draft.slug.as_str(),
        name: &draft.name,
        enabled: draft.enabled,
        timezone: &draft.timezone,
        availability: availability_str(draft.availability),
        operator_id: links.operator_id,
        schedule_id: links.schedule_id,
        created_at: at,
        updated_at: at,
    };
    diesel::insert_into(contacts::table).values(&row).get_result::<ContactRow>(conn).map_err(conflict(row.slug))
}

pub fn find(conn: &mut DbConnection, slug: &str) -> Result<Option<ContactRow>, StoreError> {
    Ok(contacts::table.filter(lower(contacts::slug).eq(slug.to_lowercase())).first::<ContactRow>(conn).optional()?)
}

pub fn get(conn: &mut DbConnection, slug: &str) -> Result<ContactRow, StoreError> {
    find(conn, slug)?.ok_or_else(|| StoreError::NotFound(format!("contact '{slug}'")))
}

pub fn update(
    conn: &mut DbConnection,
    id: i64,
    patch: &ContactPatch,
    links: Links<Option<Option<i64>>>,
) -> Result<ContactRow, StoreError> {
    let changes = ContactChanges {
        slug: patch.slug.as_ref().map(|s| s.as_str()),
        name: patch.name.as_deref(),
        enabled: patch.enabled,
        timezone: patch.timezone.as_deref(),
        availability: patch.availability.map(availability_str),
        operator_id: links.operator_id,
        schedule_id: links.schedule_id,
        updated_at: now(),
    };
    let slug = changes.slug.unwrap_or_default();
    diesel::update(contacts::table.find(id)).set(&changes).get_result::<ContactRow>(conn).map_err(conflict(slug))
}

pub fn delete(conn: &mut DbConnection, id: i64) -> Result<(), StoreError> {
    diesel::delete(contacts::table.find(id)).execute(conn)?;
    Ok(())
}

/// The contacts with these slugs (any case), in the order given; the first
/// unknown slug is an error naming it.
pub fn resolve_slugs(conn: &mut DbConnection, field: &str, slugs: &[String]) -> Result<Vec<ContactRow>, StoreError> {
    let keys: Vec<String> = slugs.iter().map(|s| s.to_lowercase()).collect();
    let rows = contacts::table.filter(lower(contacts::slug).eq_any(&keys)).load::<ContactRow>(conn)?;
    let by_key: HashMap<String, ContactRow> = rows.into_iter().map(|r| (r.slug.to_lowercase(), r)).collect();
    slugs
        .iter()
        .zip(&keys)
        .map(|(slug, key)| {
            by_key.get(key).cloned().ok_or_else(|| {
                StoreError::Invalid(crate::domain::ValidationError::new(field, format!("unknown contact '{slug}'")))
            })
        })
        .collect()
}

/// One contact with its destinations, as the API shows it.
pub fn load(conn: &mut DbConnection, row: ContactRow) -> Result<Contact, StoreError> {
    let mut page = assemble(conn, vec![row])?;
    page.pop().ok_or_else(|| StoreError::NotFound("contact".into()))
}

pub fn list(conn: &mut DbConnection, query: &ListQuery) -> Result<Page<Contact>, StoreError> {
    let (limit, offset) = paging(query.limit, query.offset);
    let filtered = || {
        let mut q = contacts::table.into_boxed();
        if let Some(text) = query.q.as_deref().filter(|t| !t.is_empty()) {
            let pattern = contains_pattern(text);
            q = q.filter(
                lower(contacts::slug)
                    .like(pattern.clone())
                    .escape('\\')
                    .or(lower(contacts::name).like(pattern).escape('\\')),
            );
        }
        if let Some(enabled) = query.enabled {
            q = q.filter(contacts::enabled.eq(enabled));
        }
        q
    };
    let total = filtered().count().get_result::<i64>(conn)?;
    let rows = filtered().order(lower(contacts::slug).asc()).limit(limit).offset(offset).load::<ContactRow>(conn)?;
    Ok(Page { items: assemble(conn, rows)?, total, limit, offset })
}

/// Attaches destinations and operator names with one query each, not one per contact.
fn assemble(conn: &mut DbConnection, rows: Vec<ContactRow>) -> Result<Vec<Contact>, StoreError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut dests: HashMap<i64, Vec<DestinationRow>> = HashMap::new();
    for d in destinations::for_contacts(conn, &ids)? {
        dests.entry(d.contact_id).or_default().push(d);
    }
    let operator_ids: Vec<i64> = rows.iter().filter_map(|r| r.operator_id).collect();
    let names: HashMap<i64, String> = if operator_ids.is_empty() {
        HashMap::new()
    } else {
        operators::table
            .filter(operators::id.eq_any(&operator_ids))
            .select((operators::id, operators::username))
            .load::<(i64, String)>(conn)?
            .into_iter()
            .collect()
    };
    let schedule_ids: Vec<i64> = rows.iter().filter_map(|r| r.schedule_id).collect();
    let schedules = super::schedules::slugs(conn, &schedule_ids)?;
    Ok(rows
        .into_iter()
        .map(|r| Contact {
            schedule: r.schedule_id.and_then(|id| schedules.get(&id).cloned()),
            destinations: dests.remove(&r.id).unwrap_or_default().iter().map(|d| d.to_dto(&r.slug)).collect(),
            operator: r.operator_id.and_then(|id| names.get(&id).cloned()),
            id: r.id,
            availability: parse_availability(&r.availability),
            slug: r.slug,
            name: r.name,
            enabled: r.enabled,
            timezone: r.timezone,
            created_at: from_db_time(r.created_at),
            updated_at: from_db_time(r.updated_at),
        })
        .collect())
}

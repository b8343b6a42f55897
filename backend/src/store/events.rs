//! Events with their targets and templates.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use tocsin_types::{Escaping, Event, EventTargets, EventTemplates, ListQuery, Page, Severity};

use crate::domain::inputs::events::{EventDraft, EventPatch};

use super::schema::{contact_groups, contacts, event_targets, events};
use super::{contains_pattern, from_db_time, lower, now, paging, DbConnection, StoreError};

#[derive(Queryable, Clone)]
pub struct EventRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub enabled: bool,
    pub severity: String,
    pub subject_template: String,
    pub body_template: String,
    pub sms_template: String,
    pub escaping: String,
    pub uei: Option<String>,
    pub uei_is_regex: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Inserted with every column set, or applied with `None` left as it is.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = events)]
struct EventChanges<'a> {
    slug: Option<&'a str>,
    name: Option<&'a str>,
    description: Option<&'a str>,
    enabled: Option<bool>,
    severity: Option<&'static str>,
    subject_template: Option<&'a str>,
    body_template: Option<&'a str>,
    sms_template: Option<&'a str>,
    escaping: Option<&'static str>,
    uei: Option<Option<&'a str>>,
    created_at: Option<NaiveDateTime>,
    updated_at: Option<NaiveDateTime>,
}

pub fn severity_str(s: Severity) -> &'static str {
    match s {
        Severity::Info => "info",
        Severity::Warning => "warning",
        Severity::Minor => "minor",
        Severity::Major => "major",
        Severity::Critical => "critical",
    }
}

fn parse_severity(raw: &str) -> Severity {
    match raw {
        "info" => Severity::Info,
        "minor" => Severity::Minor,
        "major" => Severity::Major,
        "critical" => Severity::Critical,
        _ => Severity::Warning,
    }
}

pub fn escaping_str(e: Escaping) -> &'static str {
    match e {
        Escaping::None => "none",
        Escaping::Html => "html",
    }
}

fn conflict(slug: &str) -> impl Fn(diesel::result::Error) -> StoreError + '_ {
    StoreError::conflict_on(move || format!("an event with slug '{slug}' already exists (slugs ignore case)"))
}

/// The event without its targets (see [`set_targets`]).
pub fn insert(conn: &mut DbConnection, draft: &EventDraft) -> Result<EventRow, StoreError> {
    let at = now();
    let row = EventChanges {
        slug: Some(draft.slug.as_str()),
        name: Some(&draft.name),
        description: Some(&draft.description),
        enabled: Some(draft.enabled),
        severity: Some(severity_str(draft.severity)),
        subject_template: Some(&draft.templates.subject),
        body_template: Some(&draft.templates.body),
        sms_template: Some(&draft.templates.sms),
        escaping: Some(escaping_str(draft.escaping)),
        uei: Some(draft.uei.as_deref()),
        created_at: Some(at),
        updated_at: Some(at),
    };
    diesel::insert_into(events::table).values(&row).get_result::<EventRow>(conn).map_err(conflict(draft.slug.as_str()))
}

pub fn find(conn: &mut DbConnection, slug: &str) -> Result<Option<EventRow>, StoreError> {
    Ok(events::table.filter(lower(events::slug).eq(slug.to_lowercase())).first::<EventRow>(conn).optional()?)
}

pub fn get(conn: &mut DbConnection, slug: &str) -> Result<EventRow, StoreError> {
    find(conn, slug)?.ok_or_else(|| StoreError::NotFound(format!("event '{slug}'")))
}

/// The event's own fields; targets are set with [`set_targets`].
pub fn update(conn: &mut DbConnection, id: i64, patch: &EventPatch) -> Result<EventRow, StoreError> {
    let templates = patch.templates.as_ref();
    let changes = EventChanges {
        slug: patch.slug.as_ref().map(|s| s.as_str()),
        name: patch.name.as_deref(),
        description: patch.description.as_deref(),
        enabled: patch.enabled,
        severity: patch.severity.map(severity_str),
        subject_template: templates.map(|t| t.subject.as_str()),
        body_template: templates.map(|t| t.body.as_str()),
        sms_template: templates.map(|t| t.sms.as_str()),
        escaping: patch.escaping.map(escaping_str),
        uei: patch.uei.as_ref().map(|u| u.as_deref()),
        created_at: None,
        updated_at: Some(now()),
    };
    let slug = changes.slug.unwrap_or_default();
    diesel::update(events::table.find(id)).set(&changes).get_result::<EventRow>(conn).map_err(conflict(slug))
}

pub fn delete(conn: &mut DbConnection, id: i64) -> Result<(), StoreError> {
    diesel::delete(events::table.find(id)).execute(conn)?;
    Ok(())
}

/// Replaces the targets: contacts first, then groups, each in the order given.
pub fn set_targets(
    conn: &mut DbConnection,
    event_id: i64,
    contact_ids: &[i64],
    group_ids: &[i64],
) -> Result<(), StoreError> {
    diesel::delete(event_targets::table.filter(event_targets::event_id.eq(event_id))).execute(conn)?;
    let targets = contact_ids.iter().map(|&c| (Some(c), None)).chain(group_ids.iter().map(|&g| (None, Some(g))));
    let rows: Vec<_> = targets
        .enumerate()
        .map(|(i, (contact, group))| {
            (
                event_targets::event_id.eq(event_id),
                event_targets::position.eq(i32::try_from(i).unwrap_or(i32::MAX)),
                event_targets::contact_id.eq(contact),
                event_targets::group_id.eq(group),
            )
        })
        .collect();
    if !rows.is_empty() {
        on_concrete!(conn, |c| diesel::insert_into(event_targets::table).values(&rows).execute(c))?;
    }
    Ok(())
}

pub fn load(conn: &mut DbConnection, row: EventRow) -> Result<Event, StoreError> {
    let mut all = assemble(conn, vec![row])?;
    all.pop().ok_or_else(|| StoreError::NotFound("event".into()))
}

pub fn list(conn: &mut DbConnection, query: &ListQuery) -> Result<Page<Event>, StoreError> {
    let (limit, offset) = paging(query.limit, query.offset);
    let filtered = || {
        let mut q = events::table.into_boxed();
        if let Some(text) = query.q.as_deref().filter(|t| !t.is_empty()) {
            let pattern = contains_pattern(text);
            q = q.filter(
                lower(events::slug)
                    .like(pattern.clone())
                    .escape('\\')
                    .or(lower(events::name).like(pattern).escape('\\')),
            );
        }
        if let Some(enabled) = query.enabled {
            q = q.filter(events::enabled.eq(enabled));
        }
        q
    };
    let total = filtered().count().get_result::<i64>(conn)?;
    let rows = filtered().order(lower(events::slug).asc()).limit(limit).offset(offset).load::<EventRow>(conn)?;
    Ok(Page { items: assemble(conn, rows)?, total, limit, offset })
}

fn assemble(conn: &mut DbConnection, rows: Vec<EventRow>) -> Result<Vec<Event>, StoreError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut targets: HashMap<i64, EventTargets> = HashMap::new();
    if !ids.is_empty() {
        let contact_targets = event_targets::table
            .inner_join(contacts::table)
            .filter(event_targets::event_id.eq_any(&ids))
            .order(event_targets::position.asc())
            .select((event_targets::event_id, contacts::slug))
            .load::<(i64, String)>(conn)?;
        for (event_id, slug) in contact_targets {
            targets.entry(event_id).or_default().contacts.push(slug);
        }
        let group_targets = event_targets::table
            .inner_join(contact_groups::table)
            .filter(event_targets::event_id.eq_any(&ids))
            .order(event_targets::position.asc())
            .select((event_targets::event_id, contact_groups::slug))
            .load::<(i64, String)>(conn)?;
        for (event_id, slug) in group_targets {
            targets.entry(event_id).or_default().groups.push(slug);
        }
    }
    Ok(rows
        .into_iter()
        .map(|r| Event {
            targets: targets.remove(&r.id).unwrap_or_default(),
            templates: EventTemplates { subject: r.subject_template, body: r.body_template, sms: r.sms_template },
            severity: parse_severity(&r.severity),
            escape: if r.escaping == "html" { Escaping::Html } else { Escaping::None },
            id: r.id,
            slug: r.slug,
            name: r.name,
            description: r.description,
            enabled: r.enabled,
            uei: r.uei,
            created_at: from_db_time(r.created_at),
            updated_at: from_db_time(r.updated_at),
        })
        .collect())
}

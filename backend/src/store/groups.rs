//! Groups and their ordered members.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use tocsin_types::{Group, GroupMember, ListQuery, Page};

use crate::domain::inputs::groups::{GroupDraft, GroupPatch};

use super::contacts::ContactRow;
use super::schema::{contact_groups, contacts, group_members};
use super::{contains_pattern, from_db_time, lower, now, paging, DbConnection, StoreError};

#[derive(Queryable, Clone)]
pub struct GroupRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub enabled: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub schedule_id: Option<i64>,
}

#[derive(Insertable)]
#[diesel(table_name = contact_groups)]
struct NewGroupRow<'a> {
    slug: &'a str,
    name: &'a str,
    description: &'a str,
    enabled: bool,
    schedule_id: Option<i64>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// `None` leaves a column as it is.
#[derive(Default, AsChangeset)]
#[diesel(table_name = contact_groups)]
struct GroupChanges<'a> {
    slug: Option<&'a str>,
    name: Option<&'a str>,
    description: Option<&'a str>,
    enabled: Option<bool>,
    schedule_id: Option<Option<i64>>,
    updated_at: Option<NaiveDateTime>,
}

fn conflict(slug: &str) -> impl Fn(diesel::result::Error) -> StoreError + '_ {
    StoreError::conflict_on(move || format!("a group with slug '{slug}' already exists (slugs ignore case)"))
}

/// The group without its members (see [`set_members`]); `schedule_id` is
/// checked by the caller.
pub fn insert(conn: &mut DbConnection, draft: &GroupDraft, schedule_id: Option<i64>) -> Result<GroupRow, StoreError> {
    let at = now();
    let row = NewGroupRow {
        slug: draft.slug.as_str(),
        name: &draft.name,
        description: &draft.description,
        enabled: draft.enabled,
        schedule_id,
        created_at: at,
        updated_at: at,
    };
    diesel::insert_into(contact_groups::table).values(&row).get_result::<GroupRow>(conn).map_err(conflict(row.slug))
}

pub fn find(conn: &mut DbConnection, slug: &str) -> Result<Option<GroupRow>, StoreError> {
    Ok(contact_groups::table
        .filter(lower(contact_groups::slug).eq(slug.to_lowercase()))
        .first::<GroupRow>(conn)
        .optional()?)
}

pub fn get(conn: &mut DbConnection, slug: &str) -> Result<GroupRow, StoreError> {
    find(conn, slug)?.ok_or_else(|| StoreError::NotFound(format!("group '{slug}'")))
}

/// The group's own fields; members are set with [`set_members`].
/// `schedule_id`: `None` leaves it, `Some(None)` removes it.
pub fn update(
    conn: &mut DbConnection,
    id: i64,
    patch: &GroupPatch,
    schedule_id: Option<Option<i64>>,
) -> Result<GroupRow, StoreError> {
    let changes = GroupChanges {
        slug: patch.slug.as_ref().map(|s| s.as_str()),
        name: patch.name.as_deref(),
        description: patch.description.as_deref(),
        enabled: patch.enabled,
        schedule_id,
        updated_at: None,
    };
    set(conn, id, changes)
}

fn set(conn: &mut DbConnection, id: i64, mut changes: GroupChanges<'_>) -> Result<GroupRow, StoreError> {
    changes.updated_at = Some(now());
    let slug = changes.slug.unwrap_or_default();
    diesel::update(contact_groups::table.find(id)).set(&changes).get_result::<GroupRow>(conn).map_err(conflict(slug))
}

/// Bumps `updated_at` when only the members changed.
pub fn touch(conn: &mut DbConnection, id: i64) -> Result<GroupRow, StoreError> {
    set(conn, id, GroupChanges::default())
}

pub fn delete(conn: &mut DbConnection, id: i64) -> Result<(), StoreError> {
    diesel::delete(contact_groups::table.find(id)).execute(conn)?;
    Ok(())
}

/// The member contacts in order.
pub fn members(conn: &mut DbConnection, group_id: i64) -> Result<Vec<ContactRow>, StoreError> {
    Ok(group_members::table
        .inner_join(contacts::table)
        .filter(group_members::group_id.eq(group_id))
        .order(group_members::position.asc())
        .select(contacts::all_columns)
        .load::<ContactRow>(conn)?)
}

/// Replaces the member list with these contacts, in this order.
pub fn set_members(conn: &mut DbConnection, group_id: i64, members: &[ContactRow]) -> Result<(), StoreError> {
    let mut seen = std::collections::HashSet::new();
    if let Some(dup) = members.iter().find(|c| !seen.insert(c.id)) {
        return Err(StoreError::Invalid(crate::domain::ValidationError::new(
            "members",
            format!("contact '{}' is listed twice", dup.slug),
        )));
    }
    diesel::delete(group_members::table.filter(group_members::group_id.eq(group_id))).execute(conn)?;
    let rows: Vec<_> = members
        .iter()
        .enumerate()
        .map(|(i, c)| {
            (
                group_members::group_id.eq(group_id),
                group_members::contact_id.eq(c.id),
                group_members::position.eq(i32::try_from(i).unwrap_or(i32::MAX)),
            )
        })
        .collect();
    if !rows.is_empty() {
        on_concrete!(conn, |c| diesel::insert_into(group_members::table).values(&rows).execute(c))?;
    }
    Ok(())
}

pub fn load(conn: &mut DbConnection, row: GroupRow) -> Result<Group, StoreError> {
    let mut groups = assemble(conn, vec![row])?;
    groups.pop().ok_or_else(|| StoreError::NotFound("group".into()))
}

pub fn list(conn: &mut DbConnection, query: &ListQuery) -> Result<Page<Group>, StoreError> {
    let (limit, offset) = paging(query.limit, query.offset);
    let filtered = || {
        let mut q = contact_groups::table.into_boxed();
        if let Some(text) = query.q.as_deref().filter(|t| !t.is_empty()) {
            let pattern = contains_pattern(text);
            q = q.filter(
                lower(contact_groups::slug)
                    .like(pattern.clone())
                    .escape('\\')
                    .or(lower(contact_groups::name).like(pattern).escape('\\')),
            );
        }
        if let Some(enabled) = query.enabled {
            q = q.filter(contact_groups::enabled.eq(enabled));
        }
        q
    };
    let total = filtered().count().get_result::<i64>(conn)?;
    let rows =
        filtered().order(lower(contact_groups::slug).asc()).limit(limit).offset(offset).load::<GroupRow>(conn)?;
    Ok(Page { items: assemble(conn, rows)?, total, limit, offset })
}

fn assemble(conn: &mut DbConnection, rows: Vec<GroupRow>) -> Result<Vec<Group>, StoreError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut members: HashMap<i64, Vec<GroupMember>> = HashMap::new();
    if !ids.is_empty() {
        let found = group_members::table
            .inner_join(contacts::table)
            .filter(group_members::group_id.eq_any(&ids))
            .order((group_members::group_id.asc(), group_members::position.asc()))
            .select((group_members::group_id, contacts::slug, contacts::name, contacts::enabled))
            .load::<(i64, String, String, bool)>(conn)?;
        for (group_id, slug, name, enabled) in found {
            members.entry(group_id).or_default().push(GroupMember { slug, name, enabled });
        }
    }
    let schedule_ids: Vec<i64> = rows.iter().filter_map(|r| r.schedule_id).collect();
    let schedules = super::schedules::slugs(conn, &schedule_ids)?;
    Ok(rows
        .into_iter()
        .map(|r| Group {
            schedule: r.schedule_id.and_then(|id| schedules.get(&id).cloned()),
            members: members.remove(&r.id).unwrap_or_default(),
            id: r.id,
            slug: r.slug,
            name: r.name,
            description: r.description,
            enabled: r.enabled,
            created_at: from_db_time(r.created_at),
            updated_at: from_db_time(r.updated_at),
        })
        .collect())
}

/// The groups with these slugs (any case), in the order given.
pub fn resolve_slugs(conn: &mut DbConnection, field: &str, slugs: &[String]) -> Result<Vec<GroupRow>, StoreError> {
    let keys: Vec<String> = slugs.iter().map(|s| s.to_lowercase()).collect();
    let rows = contact_groups::table.filter(lower(contact_groups::slug).eq_any(&keys)).load::<GroupRow>(conn)?;
    let by_key: HashMap<String, GroupRow> = rows.into_iter().map(|r| (r.slug.to_lowercase(), r)).collect();
    slugs
        .iter()
        .zip(&keys)
        .map(|(slug, key)| {
            by_key.get(key).cloned().ok_or_else(|| {
                StoreError::Invalid(crate::domain::ValidationError::new(field, format!("unknown group '{slug}'")))
            })
        })
        .collect()
}

//! The part of the directory a fire touches, read into the plain snapshot that
//! recipient resolution works on.

use std::collections::HashMap;

use diesel::prelude::*;

use super::schema::{contact_groups, contacts, destinations, directory_version, event_targets, group_members};
use super::{DbConnection, StoreError};
use crate::domain::media::Medium;
use crate::domain::plan::{ContactInfo, DestinationInfo, DirectorySnapshot, GroupInfo, Target};

/// The tables a fire's plan is read from. Each moves `directory_version` on
/// every insert, update and delete (triggers, on both backends), which is what
/// lets a plan be cached until the version moves: a new table that feeds plans
/// is added here and gets its triggers in the migration that creates it.
pub const PLAN_TABLES: &[&str] =
    &["events", "event_targets", "contacts", "destinations", "contact_groups", "group_members", "schedules"];

/// The directory's version: it changes whenever anything a fire reads from
/// the directory does (see the `directory_version` migration).
pub fn version(conn: &mut DbConnection) -> Result<i64, StoreError> {
    Ok(directory_version::table.select(directory_version::version).first::<i64>(conn)?)
}

/// The targets of an event, in their order.
pub fn event_targets(conn: &mut DbConnection, event_id: i64) -> Result<Vec<Target>, StoreError> {
    let rows = event_targets::table
        .filter(event_targets::event_id.eq(event_id))
        .order(event_targets::position.asc())
        .select((event_targets::contact_id, event_targets::group_id))
        .load::<(Option<i64>, Option<i64>)>(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(contact, group)| contact.map(Target::Contact).or(group.map(Target::Group)))
        .collect())
}

/// Reads the groups, contacts and destinations reachable from `targets`, with
/// each destination's stored settings (what its channel needs to send).
pub fn snapshot(
    conn: &mut DbConnection,
    targets: &[Target],
) -> Result<(DirectorySnapshot, HashMap<i64, String>), StoreError> {
    let group_ids: Vec<i64> =
        targets.iter().filter_map(|t| if let Target::Group(g) = t { Some(*g) } else { None }).collect();
    let mut contact_ids: Vec<i64> =
        targets.iter().filter_map(|t| if let Target::Contact(c) = t { Some(*c) } else { None }).collect();

    let mut groups: HashMap<i64, GroupInfo> = HashMap::new();
    if !group_ids.is_empty() {
        let rows = contact_groups::table
            .filter(contact_groups::id.eq_any(&group_ids))
            .select((contact_groups::id, contact_groups::slug, contact_groups::enabled))
            .load::<(i64, String, bool)>(conn)?;
        for (id, slug, enabled) in rows {
            groups.insert(id, GroupInfo { id, slug, enabled, members: Vec::new() });
        }
        let members = group_members::table
            .filter(group_members::group_id.eq_any(&group_ids))
            .order((group_members::group_id.asc(), group_members::position.asc()))
            .select((group_members::group_id, group_members::contact_id))
            .load::<(i64, i64)>(conn)?;
        for (group_id, contact_id) in members {
            if let Some(g) = groups.get_mut(&group_id) {
                g.members.push(contact_id);
            }
            contact_ids.push(contact_id);
        }
    }
    contact_ids.sort_unstable();
    contact_ids.dedup();

    let mut snapshot = DirectorySnapshot { groups, ..DirectorySnapshot::default() };
    let mut settings = HashMap::new();
    if contact_ids.is_empty() {
        return Ok((snapshot, settings));
    }
    let rows = contacts::table
        .filter(contacts::id.eq_any(&contact_ids))
        .select((contacts::id, contacts::slug, contacts::name, contacts::enabled))
        .load::<(i64, String, String, bool)>(conn)?;
    for (id, slug, name, enabled) in rows {
        snapshot.contacts.insert(id, ContactInfo { id, slug, name, enabled });
    }
    let rows = destinations::table
        .filter(destinations::contact_id.eq_any(&contact_ids))
        .order(destinations::id.asc())
        .select((
            destinations::id,
            destinations::contact_id,
            destinations::medium,
            destinations::address,
            destinations::enabled,
            destinations::settings,
        ))
        .load::<(i64, i64, String, String, bool, String)>(conn)?;
    for (id, contact_id, medium, address, enabled, stored) in rows {
        settings.insert(id, stored);
        // A medium this version does not know (a newer instance wrote it) is skipped.
        if let Ok(medium) = Medium::parse(&medium) {
            snapshot.destinations.push(DestinationInfo { id, contact_id, medium, address, enabled });
        }
    }
    Ok((snapshot, settings))
}

//! Writes a RedFlash import plan into the directory. Whatever already exists
//! (same slug, or same key) is left alone, so running an import twice changes
//! nothing.

use chrono::NaiveDateTime;
use tocsin_types::Scope;

use super::api_keys::{self, NewKey};
use super::contacts::{self, NewContactRow};
use super::destinations::{self, NewDestinationRow};
use super::events::{self, EventChanges};
use super::groups::{self, NewGroupRow};
use super::{audit, now, DbConnection, StoreError};
use crate::domain::credentials::{api_key_prefix, hash_api_key};
use crate::domain::redflash_import::ImportPlan;

const ACTOR: &str = "import:redflash";

/// What an import did, per kind: (created, already there).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub contacts: (usize, usize),
    pub destinations: usize,
    pub groups: (usize, usize),
    pub api_keys: (usize, usize),
    pub events: (usize, usize),
}

/// Applies the plan in the caller's transaction.
pub fn apply(conn: &mut DbConnection, plan: &ImportPlan) -> Result<ImportReport, StoreError> {
    let mut report = ImportReport::default();
    let at = now();
    for c in &plan.contacts {
        if contacts::find(conn, &c.slug)?.is_some() {
            report.contacts.1 += 1;
            continue;
        }
        let row = contacts::insert(
            conn,
            &NewContactRow {
                slug: c.slug.clone(),
                name: c.name.clone(),
                enabled: c.enabled,
                timezone: "UTC".into(),
                availability: "always".into(),
                operator_id: None,
                created_at: at,
                updated_at: at,
            },
        )?;
        for d in &c.destinations {
            destinations::insert(
                conn,
                &NewDestinationRow {
                    contact_id: row.id,
                    medium: d.medium.as_str().into(),
                    label: format!("redflash endpoint {}", d.legacy_pk),
                    settings: d.settings.to_string(),
                    address: d.address.clone(),
                    enabled: d.enabled,
                    created_at: at,
                    updated_at: at,
                },
            )?;
            report.destinations += 1;
        }
        audit::record(conn, ACTOR, "contact.create", "contact", &row.slug, serde_json::json!({"name": row.name}))?;
        report.contacts.0 += 1;
    }
    for g in &plan.groups {
        if groups::find(conn, &g.slug)?.is_some() {
            report.groups.1 += 1;
            continue;
        }
        let row = groups::insert(
            conn,
            &NewGroupRow {
                slug: g.slug.clone(),
                name: g.name.clone(),
                description: String::new(),
                enabled: g.enabled,
                created_at: at,
                updated_at: at,
            },
        )?;
        let members = contacts::resolve_slugs(conn, "members", &g.members)?;
        groups::set_members(conn, row.id, &members)?;
        audit::record(conn, ACTOR, "group.create", "group", &row.slug, serde_json::json!({"members": g.members}))?;
        report.groups.0 += 1;
    }
    for k in &plan.api_keys {
        let hash = hash_api_key(&k.secret);
        let prefix = api_key_prefix(&k.secret);
        if api_keys::by_prefix(conn, &prefix)?.iter().any(|row| row.secret_hash == hash) {
            report.api_keys.1 += 1;
            continue;
        }
        let scopes: &[Scope] = if k.admin { &[Scope::Send, Scope::Read] } else { &[Scope::Send] };
        let row = api_keys::insert(
            conn,
            &NewKey { name: &k.name, prefix: &prefix, secret_hash: &hash, scopes, expires_at: None, created_by: ACTOR },
        )?;
        if !k.enabled {
            api_keys::revoke(conn, row.id)?;
        }
        audit::record(conn, ACTOR, "api_key.create", "api_key", &row.prefix, serde_json::json!({"name": row.name}))?;
        report.api_keys.0 += 1;
    }
    for e in &plan.events {
        if events::find(conn, &e.slug)?.is_some() {
            report.events.1 += 1;
            continue;
        }
        let row = events::insert(conn, event_row(e, at))?;
        let contact_ids: Vec<i64> =
            contacts::resolve_slugs(conn, "contacts", &e.contacts)?.iter().map(|c| c.id).collect();
        let group_ids: Vec<i64> = groups::resolve_slugs(conn, "groups", &e.groups)?.iter().map(|g| g.id).collect();
        events::set_targets(conn, row.id, &contact_ids, &group_ids)?;
        audit::record(conn, ACTOR, "event.create", "event", &row.slug, serde_json::json!({"name": row.name}))?;
        report.events.0 += 1;
    }
    Ok(report)
}

/// Imported events keep RedFlash's behaviour: HTML escaping, the message as body
/// and SMS text, no subject.
fn event_row(e: &crate::domain::redflash_import::ImportEvent, at: NaiveDateTime) -> EventChanges {
    EventChanges {
        slug: Some(e.slug.clone()),
        name: Some(e.name.clone()),
        description: Some(e.description.clone()),
        enabled: Some(e.enabled),
        severity: Some("warning".into()),
        subject_template: Some(String::new()),
        body_template: Some(e.body_template.clone()),
        sms_template: Some(String::new()),
        escaping: Some("html".into()),
        uei: Some(None),
        created_at: Some(at),
        updated_at: Some(at),
    }
}

//! Writes a RedFlash import plan into the directory. Whatever already exists
//! (same slug, or same key) is left alone, so running an import twice changes
//! nothing.

use tocsin_types::{Availability, Escaping, EventTargets, EventTemplates, Scope, Severity};

use super::api_keys::{self, NewKey};
use super::destinations::{self, NewDestinationRow};
use super::{audit, contacts, events, groups, now, DbConnection, StoreError};
use crate::domain::audit::{Actor, AuditAction};
use crate::domain::credentials::{api_key_prefix, hash_api_key};
use crate::domain::inputs::contacts::ContactDraft;
use crate::domain::inputs::events::EventDraft;
use crate::domain::inputs::groups::GroupDraft;
use crate::domain::inputs::Link;
use crate::domain::redflash_import::{ImportEvent, ImportPlan};
use crate::domain::slug::Slug;

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
    let actor = Actor::import("redflash");
    let at = now();
    for c in &plan.contacts {
        if contacts::find(conn, &c.slug)?.is_some() {
            report.contacts.1 += 1;
            continue;
        }
        let draft = ContactDraft {
            slug: Slug::parse("slug", &c.slug)?,
            name: c.name.clone(),
            enabled: c.enabled,
            timezone: "UTC".into(),
            availability: Availability::Always,
            operator: Link::Keep,
            schedule: Link::Keep,
        };
        let row = contacts::insert(conn, &draft, contacts::Links::default())?;
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
        audit::record(conn, &actor, AuditAction::ContactCreate, &row.slug, serde_json::json!({"name": row.name}))?;
        report.contacts.0 += 1;
    }
    for g in &plan.groups {
        if groups::find(conn, &g.slug)?.is_some() {
            report.groups.1 += 1;
            continue;
        }
        let draft = GroupDraft {
            slug: Slug::parse("slug", &g.slug)?,
            name: g.name.clone(),
            description: String::new(),
            enabled: g.enabled,
            schedule: Link::Keep,
            members: g.members.clone(),
        };
        let row = groups::insert(conn, &draft, None)?;
        let members = contacts::resolve_slugs(conn, "members", &g.members)?;
        groups::set_members(conn, row.id, &members)?;
        audit::record(conn, &actor, AuditAction::GroupCreate, &row.slug, serde_json::json!({"members": g.members}))?;
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
            &NewKey {
                name: &k.name,
                prefix: &prefix,
                secret_hash: &hash,
                scopes,
                expires_at: None,
                created_by: actor.as_str(),
            },
        )?;
        if !k.enabled {
            api_keys::revoke(conn, row.id)?;
        }
        audit::record(conn, &actor, AuditAction::ApiKeyCreate, &row.prefix, serde_json::json!({"name": row.name}))?;
        report.api_keys.0 += 1;
    }
    for e in &plan.events {
        if events::find(conn, &e.slug)?.is_some() {
            report.events.1 += 1;
            continue;
        }
        let row = events::insert(conn, &event_draft(e)?)?;
        let contact_ids: Vec<i64> =
            contacts::resolve_slugs(conn, "contacts", &e.contacts)?.iter().map(|c| c.id).collect();
        let group_ids: Vec<i64> = groups::resolve_slugs(conn, "groups", &e.groups)?.iter().map(|g| g.id).collect();
        events::set_targets(conn, row.id, &contact_ids, &group_ids)?;
        audit::record(conn, &actor, AuditAction::EventCreate, &row.slug, serde_json::json!({"name": row.name}))?;
        report.events.0 += 1;
    }
    Ok(report)
}

/// Imported events keep RedFlash's behaviour: HTML escaping, the message as body
/// and SMS text, no subject.
fn event_draft(e: &ImportEvent) -> Result<EventDraft, StoreError> {
    Ok(EventDraft {
        slug: Slug::parse("slug", &e.slug)?,
        name: e.name.clone(),
        description: e.description.clone(),
        enabled: e.enabled,
        severity: Severity::Warning,
        templates: EventTemplates { subject: String::new(), body: e.body_template.clone(), sms: String::new() },
        escaping: Escaping::Html,
        uei: None,
        targets: EventTargets { contacts: e.contacts.clone(), groups: e.groups.clone() },
        detail: serde_json::Value::Null,
    })
}

//! Adding, changing, switching and deleting a contact's destinations.

use tocsin_types::Destination;

use super::existing_operator;
use crate::domain::audit::{Actor, AuditAction};
use crate::domain::inputs::destinations::{revalidate, DestinationDraft, DestinationPatch};
use crate::domain::media::{Medium, ValidatedSettings};
use crate::store::destinations::{self, DestinationChanges, DestinationRow};
use crate::store::{audit, contacts, DbConnection, Store, StoreError};

/// Adds a destination to the contact `slug`.
pub async fn create(
    store: &Store,
    actor: Actor,
    slug: String,
    draft: DestinationDraft,
) -> Result<Destination, StoreError> {
    store
        .write(move |c| {
            let contact = contacts::get(c, &slug)?;
            check_inbox_operator(c, &draft.settings)?;
            let created = destinations::insert_draft(c, contact.id, &draft)?;
            record(c, &actor, AuditAction::DestinationCreate, &created, &contact.slug)?;
            Ok(created.to_dto(&contact.slug))
        })
        .await
}

/// Settings, when given, replace the old ones whole; a webhook secret left
/// out is kept.
pub async fn update(store: &Store, actor: Actor, id: i64, patch: DestinationPatch) -> Result<Destination, StoreError> {
    change(store, actor, id, patch, AuditAction::DestinationUpdate).await
}

/// Turns a destination on or off (how one channel of someone on leave is
/// silenced); the destination is kept.
pub async fn switch(store: &Store, actor: Actor, id: i64, enabled: bool) -> Result<Destination, StoreError> {
    let action = if enabled { AuditAction::DestinationEnable } else { AuditAction::DestinationDisable };
    change(store, actor, id, DestinationPatch::switch(enabled), action).await
}

async fn change(
    store: &Store,
    actor: Actor,
    id: i64,
    patch: DestinationPatch,
    action: AuditAction,
) -> Result<Destination, StoreError> {
    store
        .write(move |c| {
            let (current, slug) = destinations::get(c, id)?;
            let mut changes = DestinationChanges { label: patch.label, enabled: patch.enabled, ..Default::default() };
            if let Some(settings) = patch.settings {
                let medium = Medium::parse(&current.medium)?;
                let validated = revalidate(medium, &current.settings_value(), settings)?;
                check_inbox_operator(c, &validated)?;
                changes.settings = Some(validated.settings.to_string());
                changes.address = Some(validated.address);
            }
            let updated = destinations::update(c, id, changes)?;
            record(c, &actor, action, &updated, &slug)?;
            Ok(updated.to_dto(&slug))
        })
        .await
}

pub async fn delete(store: &Store, actor: Actor, id: i64) -> Result<(), StoreError> {
    store
        .write(move |c| {
            let (current, slug) = destinations::get(c, id)?;
            destinations::delete(c, id)?;
            record(c, &actor, AuditAction::DestinationDelete, &current, &slug)
        })
        .await
}

fn check_inbox_operator(c: &mut DbConnection, validated: &ValidatedSettings) -> Result<(), StoreError> {
    match &validated.inbox_operator {
        Some(username) => existing_operator(c, "settings.operator", username).map(|_| ()),
        None => Ok(()),
    }
}

fn record(
    c: &mut DbConnection,
    actor: &Actor,
    action: AuditAction,
    d: &DestinationRow,
    contact: &str,
) -> Result<(), StoreError> {
    let detail =
        serde_json::json!({"contact": contact, "medium": d.medium, "address": d.address, "enabled": d.enabled});
    audit::record(c, actor, action, &d.id.to_string(), detail)
}

//! Creating, changing and deleting events.

use tocsin_types::{Event, EventTargets};

use crate::domain::audit::{Actor, AuditAction};
use crate::domain::inputs::events::{EventDraft, EventPatch};
use crate::domain::ValidationError;
use crate::store::{audit, contacts, events, groups, DbConnection, Store, StoreError};

pub async fn create(store: &Store, actor: Actor, draft: EventDraft) -> Result<Event, StoreError> {
    store
        .write(move |c| {
            let created = events::insert(c, &draft)?;
            set_targets(c, created.id, &draft.targets)?;
            audit::record(c, &actor, AuditAction::EventCreate, &created.slug, draft.detail)?;
            events::load(c, created)
        })
        .await
}

/// `targets` and `templates`, when given, replace the old ones whole.
pub async fn update(store: &Store, actor: Actor, slug: String, patch: EventPatch) -> Result<Event, StoreError> {
    store
        .write(move |c| {
            let current = events::get(c, &slug)?;
            let updated = events::update(c, current.id, &patch)?;
            if let Some(targets) = &patch.targets {
                set_targets(c, current.id, targets)?;
            }
            audit::record(c, &actor, AuditAction::EventUpdate, &updated.slug, patch.detail)?;
            events::load(c, updated)
        })
        .await
}

/// Deletes the event; its past notifications are kept.
pub async fn delete(store: &Store, actor: Actor, slug: String) -> Result<(), StoreError> {
    store
        .write(move |c| {
            let current = events::get(c, &slug)?;
            events::delete(c, current.id)?;
            let detail = serde_json::json!({"name": current.name});
            audit::record(c, &actor, AuditAction::EventDelete, &current.slug, detail)
        })
        .await
}

fn set_targets(c: &mut DbConnection, event_id: i64, targets: &EventTargets) -> Result<(), StoreError> {
    let contact_ids: Vec<i64> =
        contacts::resolve_slugs(c, "targets.contacts", &targets.contacts)?.iter().map(|r| r.id).collect();
    let group_ids: Vec<i64> =
        groups::resolve_slugs(c, "targets.groups", &targets.groups)?.iter().map(|r| r.id).collect();
    if has_duplicates(&contact_ids) || has_duplicates(&group_ids) {
        return Err(ValidationError::new("targets", "a target is listed twice").into());
    }
    events::set_targets(c, event_id, &contact_ids, &group_ids)
}

fn has_duplicates(ids: &[i64]) -> bool {
    let mut seen = std::collections::HashSet::new();
    !ids.iter().all(|id| seen.insert(id))
}

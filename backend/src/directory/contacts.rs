//! Creating, changing and deleting contacts.

use tocsin_types::Contact;

use super::{existing_operator, resolve_link, schedule_link};
use crate::domain::audit::{Actor, AuditAction};
use crate::domain::inputs::contacts::{ContactDraft, ContactPatch};
use crate::domain::inputs::Link;
use crate::store::contacts::Links;
use crate::store::{audit, contacts, DbConnection, Store, StoreError};

pub async fn create(store: &Store, actor: Actor, draft: ContactDraft) -> Result<Contact, StoreError> {
    store
        .write(move |c| {
            let links = Links {
                operator_id: operator_link(c, &draft.operator)?.flatten(),
                schedule_id: schedule_link(c, &draft.schedule)?.flatten(),
            };
            let created = contacts::insert(c, &draft, links)?;
            let detail = serde_json::json!({"name": created.name});
            audit::record(c, &actor, AuditAction::ContactCreate, &created.slug, detail)?;
            contacts::load(c, created)
        })
        .await
}

pub async fn update(store: &Store, actor: Actor, slug: String, patch: ContactPatch) -> Result<Contact, StoreError> {
    store
        .write(move |c| {
            let current = contacts::get(c, &slug)?;
            let links = Links {
                operator_id: operator_link(c, &patch.operator)?,
                schedule_id: schedule_link(c, &patch.schedule)?,
            };
            let updated = contacts::update(c, current.id, &patch, links)?;
            audit::record(c, &actor, AuditAction::ContactUpdate, &updated.slug, patch.detail)?;
            contacts::load(c, updated)
        })
        .await
}

/// Deletes the contact and its destinations.
pub async fn delete(store: &Store, actor: Actor, slug: String) -> Result<(), StoreError> {
    store
        .write(move |c| {
            let current = contacts::get(c, &slug)?;
            contacts::delete(c, current.id)?;
            let detail = serde_json::json!({"name": current.name});
            audit::record(c, &actor, AuditAction::ContactDelete, &current.slug, detail)
        })
        .await
}

/// The operator account given as `operator`.
fn operator_link(c: &mut DbConnection, link: &Link) -> Result<Option<Option<i64>>, StoreError> {
    resolve_link(c, link, |c, name| existing_operator(c, "operator", name))
}

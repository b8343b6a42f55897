//! Creating, changing and deleting contacts.

use tocsin_types::Contact;

use super::existing_operator;
use crate::domain::audit::{Actor, AuditAction};
use crate::domain::inputs::contacts::{ContactDraft, ContactPatch, OperatorLink};
use crate::store::{audit, contacts, DbConnection, Store, StoreError};

pub async fn create(store: &Store, actor: Actor, draft: ContactDraft) -> Result<Contact, StoreError> {
    store
        .write(move |c| {
            let operator_id = link(c, &draft.operator)?.flatten();
            let created = contacts::insert(c, &draft, operator_id)?;
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
            let operator_id = link(c, &patch.operator)?;
            let updated = contacts::update(c, current.id, &patch, operator_id)?;
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

/// The account to link: `None` = leave as is, `Some(None)` = unlink,
/// `Some(Some(id))` = that existing account.
fn link(c: &mut DbConnection, operator: &OperatorLink) -> Result<Option<Option<i64>>, StoreError> {
    match operator {
        OperatorLink::Keep => Ok(None),
        OperatorLink::Unlink => Ok(Some(None)),
        OperatorLink::To(name) => existing_operator(c, "operator", name).map(|id| Some(Some(id))),
    }
}

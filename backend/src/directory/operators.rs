//! Creating, changing and deleting operator accounts, always leaving one
//! enabled admin.

use tocsin_types::{Operator, Role};

use crate::domain::audit::{Actor, AuditAction};
use crate::domain::credentials::hash_password;
use crate::domain::inputs::operators::{OperatorDraft, OperatorPatch};
use crate::store::operators::{self, role_str, OperatorChanges, OperatorRow};
use crate::store::{audit, DbConnection, Store, StoreError};

pub async fn create(store: &Store, actor: Actor, draft: OperatorDraft) -> Result<Operator, StoreError> {
    let hash = hashed(draft.password.clone()).await?;
    store
        .write(move |c| {
            let row = operators::insert(c, &draft.username, &hash, draft.role, draft.enabled)?;
            let detail = serde_json::json!({"role": row.role});
            audit::record(c, &actor, AuditAction::OperatorCreate, &row.username, detail)?;
            Ok(row.to_dto())
        })
        .await
}

/// A new password or disabling the account ends its sessions (see
/// `store::operators::update`).
pub async fn update(
    store: &Store,
    actor: Actor,
    username: String,
    patch: OperatorPatch,
) -> Result<Operator, StoreError> {
    let password_hash = match patch.password {
        Some(password) => Some(hashed(password).await?),
        None => None,
    };
    let detail =
        serde_json::json!({"role": patch.role, "enabled": patch.enabled, "password_changed": password_hash.is_some()});
    let changes = OperatorChanges {
        role: patch.role.map(|r| role_str(r).into()),
        enabled: patch.enabled,
        password_hash,
        updated_at: None,
    };
    store
        .write(move |c| {
            let current = operators::get_by_username(c, &username)?;
            let stays_admin =
                patch.role.unwrap_or(current.role()) == Role::Admin && patch.enabled.unwrap_or(current.enabled);
            if !stays_admin {
                keep_an_admin(c, &current)?;
            }
            let updated = operators::update(c, current.id, changes)?;
            audit::record(c, &actor, AuditAction::OperatorUpdate, &updated.username, detail)?;
            Ok(updated.to_dto())
        })
        .await
}

pub async fn delete(store: &Store, actor: Actor, username: String) -> Result<(), StoreError> {
    store
        .write(move |c| {
            let current = operators::get_by_username(c, &username)?;
            keep_an_admin(c, &current)?;
            operators::delete(c, current.id)?;
            audit::record(c, &actor, AuditAction::OperatorDelete, &current.username, serde_json::json!({}))
        })
        .await
}

/// An operator's own new password, already checked against the current one.
pub async fn set_password(store: &Store, actor: Actor, id: i64, new_hash: String) -> Result<(), StoreError> {
    store
        .write(move |c| {
            let updated =
                operators::update(c, id, OperatorChanges { password_hash: Some(new_hash), ..Default::default() })?;
            audit::record(c, &actor, AuditAction::OperatorPassword, &updated.username, serde_json::json!({}))
        })
        .await
}

/// Hashing is slow on purpose, so it runs off the request threads.
async fn hashed(password: String) -> Result<String, StoreError> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| StoreError::Internal(format!("password hashing stopped: {e}")))?
        .map_err(|e| StoreError::Internal(format!("password hashing failed: {e}")))
}

/// Refuses a change that would remove `current` from the enabled admins when it
/// is the last one: nobody could manage the server any more. Called inside the
/// write transaction that makes the change, which holds the enabled admins
/// locked from here to its commit, so that two requests removing two different
/// admins cannot both go through.
fn keep_an_admin(c: &mut DbConnection, current: &OperatorRow) -> Result<(), StoreError> {
    let admins = operators::lock_enabled_admins(c)?;
    if admins.contains(&current.id) && admins.len() <= 1 {
        return Err(StoreError::Conflict(format!("'{}' is the last enabled admin", current.username)));
    }
    Ok(())
}

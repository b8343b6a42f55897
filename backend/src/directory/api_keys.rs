//! Creating and revoking API keys. The secret is returned once, at creation;
//! only its hash is stored.

use tocsin_types::{ApiKey, CreatedApiKey};

use crate::domain::audit::{Actor, AuditAction};
use crate::domain::credentials::{generate_api_key, hash_api_key};
use crate::domain::inputs::api_keys::ApiKeyDraft;
use crate::store::api_keys::{self, NewKey};
use crate::store::{audit, from_db_time, Store, StoreError};

pub async fn create(store: &Store, actor: Actor, draft: ApiKeyDraft) -> Result<CreatedApiKey, StoreError> {
    let (secret, prefix) = generate_api_key();
    let hash = hash_api_key(&secret);
    let row = store
        .write(move |c| {
            let key = NewKey {
                name: &draft.name,
                prefix: &prefix,
                secret_hash: &hash,
                scopes: &draft.scopes,
                expires_at: draft.expires_at,
                created_by: actor.as_str(),
            };
            let row = api_keys::insert(c, &key)?;
            let detail = serde_json::json!({"name": row.name, "scopes": row.scopes()});
            audit::record(c, &actor, AuditAction::ApiKeyCreate, &row.prefix, detail)?;
            Ok(row)
        })
        .await?;
    Ok(CreatedApiKey {
        id: row.id,
        scopes: row.scopes(),
        expires_at: row.expires_at.map(from_db_time),
        name: row.name,
        prefix: row.prefix,
        secret,
    })
}

pub async fn revoke(store: &Store, actor: Actor, id: i64) -> Result<ApiKey, StoreError> {
    store
        .write(move |c| {
            let row = api_keys::revoke(c, id)?;
            let detail = serde_json::json!({"name": row.name});
            audit::record(c, &actor, AuditAction::ApiKeyRevoke, &row.prefix, detail)?;
            Ok(row.to_dto())
        })
        .await
}

//! `/api/v1/api-keys`: keys for scripts and monitoring systems. The secret is
//! shown once, at creation; only its hash is kept.

use actix_web::web::{Data, Json, Path};
use actix_web::{delete, get, post, HttpResponse};
use tocsin_types::{ApiKey, CreatedApiKey, ErrorBody, NewApiKey};

use crate::domain::credentials::{generate_api_key, hash_api_key};
use crate::domain::names::display_name;
use crate::domain::ValidationError;
use crate::store::api_keys::{self, NewKey};
use crate::store::audit;

use super::auth::{Admin, Authorized};
use super::error::ApiError;
use super::state::AppState;

/// List API keys.
///
/// Never shows a secret, only its prefix.
#[utoipa::path(
    tag = "api-keys", operation_id = "list_api_keys",
    security(("bearer" = ["admin"])),
    responses((status = 200, description = "Every key, revoked ones too", body = Vec<ApiKey>))
)]
#[get("/api-keys")]
pub async fn list_api_keys(_auth: Authorized<Admin>, state: Data<AppState>) -> Result<Json<Vec<ApiKey>>, ApiError> {
    Ok(Json(state.store.read(api_keys::list).await?))
}

/// Create an API key.
///
/// The answer holds the secret: the only time it is shown.
#[utoipa::path(
    tag = "api-keys", operation_id = "create_api_key", request_body = NewApiKey,
    security(("bearer" = ["admin"])),
    responses((status = 201, description = "Created; keep the secret now", body = CreatedApiKey))
)]
#[post("/api-keys")]
pub async fn create_api_key(
    auth: Authorized<Admin>,
    state: Data<AppState>,
    body: Json<NewApiKey>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    let name = display_name("name", &input.name)?;
    if input.scopes.is_empty() {
        return Err(ValidationError::new("scopes", "give at least one of read, send, admin").into());
    }
    if input.expires_at.is_some_and(|e| e <= chrono::Utc::now()) {
        return Err(ValidationError::new("expires_at", "must be in the future").into());
    }
    let (secret, prefix) = generate_api_key();
    let hash = hash_api_key(&secret);
    let actor = auth.actor();
    let row = state
        .store
        .write(move |c| {
            let key = NewKey {
                name: &name,
                prefix: &prefix,
                secret_hash: &hash,
                scopes: &input.scopes,
                expires_at: input.expires_at,
                created_by: &actor,
            };
            let row = api_keys::insert(c, &key)?;
            let detail = serde_json::json!({"name": row.name, "scopes": row.scopes()});
            audit::record(c, &actor, "api_key.create", "api_key", &row.prefix, detail)?;
            Ok(row)
        })
        .await?;
    Ok(HttpResponse::Created().json(CreatedApiKey {
        id: row.id,
        scopes: row.scopes(),
        expires_at: row.expires_at.map(crate::store::from_db_time),
        name: row.name,
        prefix: row.prefix,
        secret,
    }))
}

/// Revoke an API key.
///
/// It stops working at once; it stays listed as disabled.
#[utoipa::path(
    tag = "api-keys", operation_id = "revoke_api_key", params(("id" = i64, Path, description = "Key id")),
    security(("bearer" = ["admin"])),
    responses(
        (status = 200, description = "Revoked", body = ApiKey),
        (status = 404, description = "No such key", body = ErrorBody),
    )
)]
#[delete("/api-keys/{id}")]
pub async fn revoke_api_key(
    auth: Authorized<Admin>,
    state: Data<AppState>,
    id: Path<i64>,
) -> Result<Json<ApiKey>, ApiError> {
    let (id, actor) = (id.into_inner(), auth.actor());
    let row = state
        .store
        .write(move |c| {
            let row = api_keys::revoke(c, id)?;
            audit::record(c, &actor, "api_key.revoke", "api_key", &row.prefix, serde_json::json!({"name": row.name}))?;
            Ok(row)
        })
        .await?;
    Ok(Json(row.to_dto()))
}

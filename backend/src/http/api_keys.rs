//! `/api/v1/api-keys`: keys for scripts and monitoring systems. The secret is
//! shown once, at creation; only its hash is kept.

use actix_web::web::{Data, Json, Path};
use actix_web::{delete, get, post, HttpResponse};
use tocsin_types::{ApiKey, CreatedApiKey, ErrorBody, NewApiKey};

use crate::directory;
use crate::domain::inputs::api_keys::ApiKeyDraft;
use crate::store::api_keys;

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
    let draft = ApiKeyDraft::parse(body.into_inner(), chrono::Utc::now())?;
    Ok(HttpResponse::Created().json(directory::api_keys::create(&state.store, auth.actor(), draft).await?))
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
    Ok(Json(directory::api_keys::revoke(&state.store, auth.actor(), id.into_inner()).await?))
}

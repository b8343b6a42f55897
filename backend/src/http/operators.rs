//! `/api/v1/operators`: accounts for the web app (admins only).

use actix_web::web::{Data, Json, Path};
use actix_web::{delete, get, patch, post, HttpResponse};
use tocsin_types::{ErrorBody, NewOperator, Operator, OperatorUpdate};

use crate::directory;
use crate::domain::inputs::operators::{OperatorDraft, OperatorPatch};
use crate::store::operators;

use super::auth::{Admin, Authorized};
use super::error::ApiError;
use super::state::AppState;

/// List operators.
#[utoipa::path(
    tag = "operators", operation_id = "list_operators",
    security(("bearer" = ["admin"])),
    responses((status = 200, description = "Every operator", body = Vec<Operator>))
)]
#[get("/operators")]
pub async fn list_operators(_auth: Authorized<Admin>, state: Data<AppState>) -> Result<Json<Vec<Operator>>, ApiError> {
    Ok(Json(state.store.read(operators::list).await?))
}

/// Create an operator.
#[utoipa::path(
    tag = "operators", operation_id = "create_operator", request_body = NewOperator,
    security(("bearer" = ["admin"])),
    responses(
        (status = 201, description = "Created", body = Operator),
        (status = 409, description = "The username is taken", body = ErrorBody),
    )
)]
#[post("/operators")]
pub async fn create_operator(
    auth: Authorized<Admin>,
    state: Data<AppState>,
    body: Json<NewOperator>,
) -> Result<HttpResponse, ApiError> {
    let draft = OperatorDraft::parse(body.into_inner())?;
    let created = directory::operators::create(&state.store, auth.actor(), draft).await?;
    Ok(HttpResponse::Created().json(created))
}

/// Get an operator.
#[utoipa::path(
    tag = "operators", operation_id = "get_operator", params(("username" = String, Path, description = "Username (any case)")),
    security(("bearer" = ["admin"])),
    responses(
        (status = 200, description = "The operator", body = Operator),
        (status = 404, description = "No such operator", body = ErrorBody),
    )
)]
#[get("/operators/{username}")]
pub async fn get_operator(
    _auth: Authorized<Admin>,
    state: Data<AppState>,
    name: Path<String>,
) -> Result<Json<Operator>, ApiError> {
    let name = name.into_inner();
    Ok(Json(state.store.read(move |c| operators::get_by_username(c, &name)).await?.to_dto()))
}

/// Update an operator.
///
/// Role, enabled flag, or a new password. The last enabled admin cannot be
/// demoted or disabled.
#[utoipa::path(
    tag = "operators", operation_id = "update_operator", request_body = OperatorUpdate,
    params(("username" = String, Path, description = "Username (any case)")),
    security(("bearer" = ["admin"])),
    responses(
        (status = 200, description = "Updated", body = Operator),
        (status = 404, description = "No such operator", body = ErrorBody),
        (status = 409, description = "It would leave no enabled admin", body = ErrorBody),
    )
)]
#[patch("/operators/{username}")]
pub async fn update_operator(
    auth: Authorized<Admin>,
    state: Data<AppState>,
    name: Path<String>,
    body: Json<OperatorUpdate>,
) -> Result<Json<Operator>, ApiError> {
    let patch = OperatorPatch::parse(body.into_inner())?;
    Ok(Json(directory::operators::update(&state.store, auth.actor(), name.into_inner(), patch).await?))
}

/// Delete an operator.
///
/// The last enabled admin cannot be deleted.
#[utoipa::path(
    tag = "operators", operation_id = "delete_operator", params(("username" = String, Path, description = "Username (any case)")),
    security(("bearer" = ["admin"])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such operator", body = ErrorBody),
        (status = 409, description = "It is the last enabled admin", body = ErrorBody),
    )
)]
#[delete("/operators/{username}")]
pub async fn delete_operator(
    auth: Authorized<Admin>,
    state: Data<AppState>,
    name: Path<String>,
) -> Result<HttpResponse, ApiError> {
    directory::operators::delete(&state.store, auth.actor(), name.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

//! `/api/v1/operators`: accounts for the web app (admins only).

use actix_web::web::{self, Data, Json, Path};
use actix_web::{delete, get, patch, post, HttpResponse};
use tocsin_types::{ErrorBody, NewOperator, Operator, OperatorUpdate, Role};

use crate::domain::credentials::{check_password_policy, hash_password};
use crate::domain::names::username;
use crate::store::operators::{self, role_str, OperatorChanges, OperatorRow};
use crate::store::{audit, DbConnection, StoreError};

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
    let input = body.into_inner();
    let name = username("username", &input.username)?;
    check_password_policy("password", &input.password)?;
    let password = input.password;
    let hash =
        web::block(move || hash_password(&password)).await.map_err(ApiError::internal)?.map_err(ApiError::internal)?;
    let actor = auth.actor();
    let created = state
        .store
        .write(move |c| {
            let row = operators::insert(c, &name, &hash, input.role, input.enabled.unwrap_or(true))?;
            audit::record(
                c,
                &actor,
                "operator.create",
                "operator",
                &row.username,
                serde_json::json!({"role": row.role}),
            )?;
            Ok(row.to_dto())
        })
        .await?;
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
    let input = body.into_inner();
    let password_hash = match input.password {
        Some(password) => {
            check_password_policy("password", &password)?;
            Some(
                web::block(move || hash_password(&password))
                    .await
                    .map_err(ApiError::internal)?
                    .map_err(ApiError::internal)?,
            )
        }
        None => None,
    };
    let detail =
        serde_json::json!({"role": input.role, "enabled": input.enabled, "password_changed": password_hash.is_some()});
    let changes = OperatorChanges {
        role: input.role.map(|r| role_str(r).into()),
        enabled: input.enabled,
        password_hash,
        updated_at: None,
    };
    let (name, actor) = (name.into_inner(), auth.actor());
    let updated = state
        .store
        .write(move |c| {
            let current = operators::get_by_username(c, &name)?;
            let stays_admin =
                input.role.unwrap_or(current.role()) == Role::Admin && input.enabled.unwrap_or(current.enabled);
            if !stays_admin {
                keep_an_admin(c, &current)?;
            }
            let updated = operators::update(c, current.id, changes)?;
            audit::record(c, &actor, "operator.update", "operator", &updated.username, detail)?;
            Ok(updated.to_dto())
        })
        .await?;
    Ok(Json(updated))
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
    let (name, actor) = (name.into_inner(), auth.actor());
    state
        .store
        .write(move |c| {
            let current = operators::get_by_username(c, &name)?;
            keep_an_admin(c, &current)?;
            operators::delete(c, current.id)?;
            audit::record(c, &actor, "operator.delete", "operator", &current.username, serde_json::json!({}))
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
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

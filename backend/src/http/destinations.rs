//! Destinations: each way to reach a contact, created under the contact and then
//! addressed by id.

use actix_web::web::{Data, Json, Path};
use actix_web::{delete, get, patch, post, HttpResponse};
use tocsin_types::{Destination, DestinationUpdate, ErrorBody, NewDestination};

use crate::directory;
use crate::domain::inputs::destinations::{DestinationDraft, DestinationPatch};
use crate::store::{contacts, destinations};

use super::auth::{Authorized, DirectoryWrite, Read};
use super::error::ApiError;
use super::state::AppState;

/// List a contact's destinations.
#[utoipa::path(
    tag = "destinations", operation_id = "list_destinations",
    params(("slug" = String, Path, description = "Contact slug (any case)")),
    security(("bearer" = ["read"])),
    responses(
        (status = 200, description = "The contact's destinations", body = Vec<Destination>),
        (status = 404, description = "No such contact", body = ErrorBody),
    )
)]
#[get("/contacts/{slug}/destinations")]
pub async fn list_destinations(
    auth: Authorized<Read>,
    state: Data<AppState>,
    slug: Path<String>,
) -> Result<Json<Vec<Destination>>, ApiError> {
    let slug = slug.into_inner();
    let contact = state.store.read(move |c| contacts::get(c, &slug).and_then(|row| contacts::load(c, row))).await?;
    Ok(Json(auth.shown(contact.destinations)))
}

/// Add a destination to a contact.
///
/// Settings are validated per medium (see `GET /api/v1/media`); phone numbers are
/// stored in E.164.
#[utoipa::path(
    tag = "destinations", operation_id = "create_destination", request_body = NewDestination,
    params(("slug" = String, Path, description = "Contact slug (any case)")),
    security(("bearer" = ["admin"])),
    responses(
        (status = 201, description = "Created", body = Destination),
        (status = 404, description = "No such contact", body = ErrorBody),
    )
)]
#[post("/contacts/{slug}/destinations")]
pub async fn create_destination(
    auth: Authorized<DirectoryWrite>,
    state: Data<AppState>,
    slug: Path<String>,
    body: Json<NewDestination>,
) -> Result<HttpResponse, ApiError> {
    let draft = DestinationDraft::parse(body.into_inner())?;
    let created = directory::destinations::create(&state.store, auth.actor(), slug.into_inner(), draft).await?;
    Ok(HttpResponse::Created().json(created))
}

/// Get a destination.
#[utoipa::path(
    tag = "destinations", operation_id = "get_destination", params(("id" = i64, Path, description = "Destination id")),
    security(("bearer" = ["read"])),
    responses(
        (status = 200, description = "The destination", body = Destination),
        (status = 404, description = "No such destination", body = ErrorBody),
    )
)]
#[get("/destinations/{id}")]
pub async fn get_destination(
    auth: Authorized<Read>,
    state: Data<AppState>,
    id: Path<i64>,
) -> Result<Json<Destination>, ApiError> {
    let id = id.into_inner();
    let (row, slug) = state.store.read(move |c| destinations::get(c, id)).await?;
    Ok(Json(auth.shown(row.to_dto(&slug))))
}

/// Update a destination.
///
/// Settings, when given, replace the old ones as a whole and are validated for
/// the destination's medium; a webhook `secret` left out is kept.
#[utoipa::path(
    tag = "destinations", operation_id = "update_destination", request_body = DestinationUpdate,
    params(("id" = i64, Path, description = "Destination id")),
    security(("bearer" = ["admin"])),
    responses(
        (status = 200, description = "Updated", body = Destination),
        (status = 404, description = "No such destination", body = ErrorBody),
    )
)]
#[patch("/destinations/{id}")]
pub async fn update_destination(
    auth: Authorized<DirectoryWrite>,
    state: Data<AppState>,
    id: Path<i64>,
    body: Json<DestinationUpdate>,
) -> Result<Json<Destination>, ApiError> {
    let patch = DestinationPatch::parse(body.into_inner())?;
    Ok(Json(directory::destinations::update(&state.store, auth.actor(), id.into_inner(), patch).await?))
}

/// Delete a destination.
#[utoipa::path(
    tag = "destinations", operation_id = "delete_destination", params(("id" = i64, Path, description = "Destination id")),
    security(("bearer" = ["admin"])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such destination", body = ErrorBody),
    )
)]
#[delete("/destinations/{id}")]
pub async fn delete_destination(
    auth: Authorized<DirectoryWrite>,
    state: Data<AppState>,
    id: Path<i64>,
) -> Result<HttpResponse, ApiError> {
    directory::destinations::delete(&state.store, auth.actor(), id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Enable a destination.
#[utoipa::path(
    tag = "destinations", operation_id = "enable_destination", params(("id" = i64, Path, description = "Destination id")),
    security(("bearer" = ["admin"])),
    responses(
        (status = 200, description = "Enabled", body = Destination),
        (status = 404, description = "No such destination", body = ErrorBody),
    )
)]
#[post("/destinations/{id}/enable")]
pub async fn enable_destination(
    auth: Authorized<DirectoryWrite>,
    state: Data<AppState>,
    id: Path<i64>,
) -> Result<Json<Destination>, ApiError> {
    Ok(Json(directory::destinations::switch(&state.store, auth.actor(), id.into_inner(), true).await?))
}

/// Disable a destination.
///
/// The way to silence one channel of someone on leave; the destination is kept.
#[utoipa::path(
    tag = "destinations", operation_id = "disable_destination", params(("id" = i64, Path, description = "Destination id")),
    security(("bearer" = ["admin"])),
    responses(
        (status = 200, description = "Disabled", body = Destination),
        (status = 404, description = "No such destination", body = ErrorBody),
    )
)]
#[post("/destinations/{id}/disable")]
pub async fn disable_destination(
    auth: Authorized<DirectoryWrite>,
    state: Data<AppState>,
    id: Path<i64>,
) -> Result<Json<Destination>, ApiError> {
    Ok(Json(directory::destinations::switch(&state.store, auth.actor(), id.into_inner(), false).await?))
}

//! Destinations: each way to reach a contact, created under the contact and then
//! addressed by id.

use actix_web::web::{Data, Json, Path};
use actix_web::{delete, get, patch, post, HttpResponse};
use tocsin_types::{Destination, DestinationUpdate, ErrorBody, NewDestination};

use crate::domain::media::{Medium, ValidatedSettings};
use crate::domain::names::free_text;
use crate::domain::ValidationError;
use crate::store::destinations::{self, DestinationChanges, DestinationRow, NewDestinationRow};
use crate::store::{audit, contacts, now, operators, DbConnection, StoreError};

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
    let input = body.into_inner();
    let medium = Medium::parse(&input.medium)?;
    let validated = medium.validate_settings(&input.settings)?;
    let label = free_text("label", input.label.as_deref().unwrap_or(""), 100)?;
    let (slug, actor) = (slug.into_inner(), auth.actor());
    let created = state
        .store
        .write(move |c| {
            let contact = contacts::get(c, &slug)?;
            check_inbox_operator(c, &validated)?;
            let at = now();
            let row = NewDestinationRow {
                contact_id: contact.id,
                medium: medium.as_str().into(),
                label,
                settings: validated.settings.to_string(),
                address: validated.address,
                enabled: input.enabled.unwrap_or(true),
                created_at: at,
                updated_at: at,
            };
            let created = destinations::insert(c, &row)?;
            audit_destination(c, &actor, "destination.create", &created, &contact.slug)?;
            Ok(created.to_dto(&contact.slug))
        })
        .await?;
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
    let input = body.into_inner();
    let label = input.label.as_deref().map(|l| free_text("label", l, 100)).transpose()?;
    let (id, actor) = (id.into_inner(), auth.actor());
    let updated = state
        .store
        .write(move |c| {
            let (current, slug) = destinations::get(c, id)?;
            let mut changes = DestinationChanges { label, enabled: input.enabled, ..Default::default() };
            if let Some(settings) = input.settings {
                let validated = revalidate(&current, settings)?;
                check_inbox_operator(c, &validated)?;
                changes.settings = Some(validated.settings.to_string());
                changes.address = Some(validated.address);
            }
            let updated = destinations::update(c, id, changes)?;
            audit_destination(c, &actor, "destination.update", &updated, &slug)?;
            Ok(updated.to_dto(&slug))
        })
        .await?;
    Ok(Json(updated))
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
    let (id, actor) = (id.into_inner(), auth.actor());
    state
        .store
        .write(move |c| {
            let (current, slug) = destinations::get(c, id)?;
            destinations::delete(c, id)?;
            audit_destination(c, &actor, "destination.delete", &current, &slug)
        })
        .await?;
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
    switch(&state, auth.actor(), id.into_inner(), true).await.map(Json)
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
    switch(&state, auth.actor(), id.into_inner(), false).await.map(Json)
}

async fn switch(state: &AppState, actor: String, id: i64, enabled: bool) -> Result<Destination, ApiError> {
    let action = if enabled { "destination.enable" } else { "destination.disable" };
    Ok(state
        .store
        .write(move |c| {
            let (_, slug) = destinations::get(c, id)?;
            let updated =
                destinations::update(c, id, DestinationChanges { enabled: Some(enabled), ..Default::default() })?;
            audit_destination(c, &actor, action, &updated, &slug)?;
            Ok(updated.to_dto(&slug))
        })
        .await?)
}

/// Validates new settings for the destination's medium, keeping a stored webhook
/// secret the caller did not resend (it is never shown, so it cannot be echoed).
fn revalidate(current: &DestinationRow, mut settings: serde_json::Value) -> Result<ValidatedSettings, StoreError> {
    let medium = Medium::parse(&current.medium)?;
    if let (Some(new), Some(secret)) = (settings.as_object_mut(), current.settings_value().get("secret")) {
        if !new.contains_key("secret") {
            new.insert("secret".into(), secret.clone());
        }
    }
    Ok(medium.validate_settings(&settings)?)
}

fn check_inbox_operator(c: &mut DbConnection, validated: &ValidatedSettings) -> Result<(), StoreError> {
    if let Some(username) = &validated.inbox_operator {
        if operators::find_by_username(c, username)?.is_none() {
            return Err(ValidationError::new("settings.operator", format!("unknown operator '{username}'")).into());
        }
    }
    Ok(())
}

fn audit_destination(
    c: &mut DbConnection,
    actor: &str,
    action: &str,
    d: &DestinationRow,
    contact: &str,
) -> Result<(), StoreError> {
    let detail =
        serde_json::json!({"contact": contact, "medium": d.medium, "address": d.address, "enabled": d.enabled});
    audit::record(c, actor, action, "destination", &d.id.to_string(), detail)
}

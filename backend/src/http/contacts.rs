//! `/api/v1/contacts`: the people and team mailboxes Tocsin reaches.

use actix_web::web::{Data, Json, Path, Query};
use actix_web::{delete, get, patch, post, HttpResponse};
use tocsin_types::{Contact, ContactUpdate, ErrorBody, ListQuery, NewContact, Page};

use crate::directory;
use crate::domain::inputs::contacts::{ContactDraft, ContactPatch};
use crate::store::contacts;

use super::auth::{Authorized, DirectoryWrite, Read};
use super::error::ApiError;
use super::state::AppState;

/// List contacts.
///
/// Sorted by slug; `q` searches slugs and names.
#[utoipa::path(
    tag = "contacts", operation_id = "list_contacts", params(ListQuery),
    security(("bearer" = ["read"])),
    responses((status = 200, description = "A page of contacts", body = Page<Contact>))
)]
#[get("/contacts")]
pub async fn list_contacts(
    auth: Authorized<Read>,
    state: Data<AppState>,
    query: Query<ListQuery>,
) -> Result<Json<Page<Contact>>, ApiError> {
    let query = query.into_inner();
    Ok(Json(auth.shown(state.store.read(move |c| contacts::list(c, &query)).await?)))
}

/// Create a contact.
#[utoipa::path(
    tag = "contacts", operation_id = "create_contact", request_body = NewContact,
    security(("bearer" = ["admin"])),
    responses(
        (status = 201, description = "Created", body = Contact),
        (status = 409, description = "The slug is taken", body = ErrorBody),
    )
)]
#[post("/contacts")]
pub async fn create_contact(
    auth: Authorized<DirectoryWrite>,
    state: Data<AppState>,
    body: Json<NewContact>,
) -> Result<HttpResponse, ApiError> {
    let draft = ContactDraft::parse(body.into_inner())?;
    let contact = directory::contacts::create(&state.store, auth.actor(), draft).await?;
    Ok(HttpResponse::Created().json(contact))
}

/// Get a contact with its destinations.
#[utoipa::path(
    tag = "contacts", operation_id = "get_contact", params(("slug" = String, Path, description = "Contact slug (any case)")),
    security(("bearer" = ["read"])),
    responses(
        (status = 200, description = "The contact", body = Contact),
        (status = 404, description = "No such contact", body = ErrorBody),
    )
)]
#[get("/contacts/{slug}")]
pub async fn get_contact(
    auth: Authorized<Read>,
    state: Data<AppState>,
    slug: Path<String>,
) -> Result<Json<Contact>, ApiError> {
    let slug = slug.into_inner();
    let contact = state.store.read(move |c| contacts::get(c, &slug).and_then(|row| contacts::load(c, row))).await?;
    Ok(Json(auth.shown(contact)))
}

/// Update a contact.
///
/// Only the fields present change.
#[utoipa::path(
    tag = "contacts", operation_id = "update_contact", request_body = ContactUpdate,
    params(("slug" = String, Path, description = "Contact slug (any case)")),
    security(("bearer" = ["admin"])),
    responses(
        (status = 200, description = "Updated", body = Contact),
        (status = 404, description = "No such contact", body = ErrorBody),
        (status = 409, description = "The new slug is taken", body = ErrorBody),
    )
)]
#[patch("/contacts/{slug}")]
pub async fn update_contact(
    auth: Authorized<DirectoryWrite>,
    state: Data<AppState>,
    slug: Path<String>,
    body: Json<ContactUpdate>,
) -> Result<Json<Contact>, ApiError> {
    let patch = ContactPatch::parse(body.into_inner())?;
    Ok(Json(directory::contacts::update(&state.store, auth.actor(), slug.into_inner(), patch).await?))
}

/// Delete a contact and its destinations.
#[utoipa::path(
    tag = "contacts", operation_id = "delete_contact", params(("slug" = String, Path, description = "Contact slug (any case)")),
    security(("bearer" = ["admin"])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such contact", body = ErrorBody),
    )
)]
#[delete("/contacts/{slug}")]
pub async fn delete_contact(
    auth: Authorized<DirectoryWrite>,
    state: Data<AppState>,
    slug: Path<String>,
) -> Result<HttpResponse, ApiError> {
    directory::contacts::delete(&state.store, auth.actor(), slug.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

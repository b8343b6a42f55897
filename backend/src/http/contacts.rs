//! `/api/v1/contacts`: the people and team mailboxes Tocsin reaches.

use actix_web::web::{Data, Json, Path, Query};
use actix_web::{delete, get, patch, post, HttpResponse};
use tocsin_types::{Contact, ContactUpdate, ErrorBody, ListQuery, NewContact, Page};

use crate::domain::names::{display_name, timezone};
use crate::domain::slug::Slug;
use crate::domain::ValidationError;
use crate::store::contacts::{self, availability_str, ContactChanges, NewContactRow};
use crate::store::{audit, now, operators, DbConnection, StoreError};

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
    let input = body.into_inner();
    let slug = Slug::parse("slug", &input.slug)?;
    let name = display_name("name", &input.name)?;
    let tz = timezone("timezone", input.timezone.as_deref().unwrap_or("UTC"))?;
    let actor = auth.actor();
    let contact = state
        .store
        .write(move |c| {
            let at = now();
            let row = NewContactRow {
                slug: slug.into_inner(),
                name,
                enabled: input.enabled.unwrap_or(true),
                timezone: tz,
                availability: availability_str(input.availability.unwrap_or_default()).into(),
                operator_id: operator_id(c, input.operator.as_deref())?.flatten(),
                created_at: at,
                updated_at: at,
            };
            let created = contacts::insert(c, &row)?;
            audit::record(
                c,
                &actor,
                "contact.create",
                "contact",
                &created.slug,
                serde_json::json!({"name": created.name}),
            )?;
            contacts::load(c, created)
        })
        .await?;
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
    let input = body.into_inner();
    let detail = serde_json::to_value(&input).unwrap_or_default();
    let mut changes = ContactChanges {
        slug: input.slug.as_deref().map(|s| Slug::parse("slug", s)).transpose()?.map(Slug::into_inner),
        name: input.name.as_deref().map(|n| display_name("name", n)).transpose()?,
        enabled: input.enabled,
        timezone: input.timezone.as_deref().map(|t| timezone("timezone", t)).transpose()?,
        availability: input.availability.map(|a| availability_str(a).to_owned()),
        ..ContactChanges::default()
    };
    let (slug, actor) = (slug.into_inner(), auth.actor());
    let contact = state
        .store
        .write(move |c| {
            let current = contacts::get(c, &slug)?;
            changes.operator_id = operator_id(c, input.operator.as_deref())?;
            let updated = contacts::update(c, current.id, changes)?;
            audit::record(c, &actor, "contact.update", "contact", &updated.slug, detail)?;
            contacts::load(c, updated)
        })
        .await?;
    Ok(Json(contact))
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
    let (slug, actor) = (slug.into_inner(), auth.actor());
    state
        .store
        .write(move |c| {
            let current = contacts::get(c, &slug)?;
            contacts::delete(c, current.id)?;
            audit::record(
                c,
                &actor,
                "contact.delete",
                "contact",
                &current.slug,
                serde_json::json!({"name": current.name}),
            )
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The operator account to link: `None` = leave as is, `Some(None)` = unlink
/// (`""`), `Some(Some(id))` = link to that existing account.
fn operator_id(c: &mut DbConnection, username: Option<&str>) -> Result<Option<Option<i64>>, StoreError> {
    match username {
        None => Ok(None),
        Some("") => Ok(Some(None)),
        Some(name) => match operators::find_by_username(c, name)? {
            Some(op) => Ok(Some(Some(op.id))),
            None => Err(ValidationError::new("operator", format!("unknown operator '{name}'")).into()),
        },
    }
}

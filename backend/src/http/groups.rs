//! `/api/v1/groups`: ordered lists of contacts.

use actix_web::web::{Data, Json, Path, Query};
use actix_web::{delete, get, patch, post, put, HttpResponse};
use tocsin_types::{AddMember, ErrorBody, Group, GroupMembers, GroupUpdate, ListQuery, MoveMember, NewGroup, Page};

use crate::directory;
use crate::domain::inputs::groups::{GroupDraft, GroupPatch, MemberEdit};
use crate::store::groups;

use super::auth::{Authorized, DirectoryWrite, Read};
use super::error::ApiError;
use super::state::AppState;

/// List groups.
#[utoipa::path(
    tag = "groups", operation_id = "list_groups", params(ListQuery),
    security(("bearer" = ["read"])),
    responses((status = 200, description = "A page of groups", body = Page<Group>))
)]
#[get("/groups")]
pub async fn list_groups(
    _auth: Authorized<Read>,
    state: Data<AppState>,
    query: Query<ListQuery>,
) -> Result<Json<Page<Group>>, ApiError> {
    let query = query.into_inner();
    Ok(Json(state.store.read(move |c| groups::list(c, &query)).await?))
}

/// Create a group.
#[utoipa::path(
    tag = "groups", operation_id = "create_group", request_body = NewGroup,
    security(("bearer" = ["admin"])),
    responses(
        (status = 201, description = "Created", body = Group),
        (status = 409, description = "The slug is taken", body = ErrorBody),
    )
)]
#[post("/groups")]
pub async fn create_group(
    auth: Authorized<DirectoryWrite>,
    state: Data<AppState>,
    body: Json<NewGroup>,
) -> Result<HttpResponse, ApiError> {
    let draft = GroupDraft::parse(body.into_inner())?;
    let group = directory::groups::create(&state.store, auth.actor(), draft).await?;
    Ok(HttpResponse::Created().json(group))
}

/// Get a group with its members in order.
#[utoipa::path(
    tag = "groups", operation_id = "get_group", params(("slug" = String, Path, description = "Group slug (any case)")),
    security(("bearer" = ["read"])),
    responses(
        (status = 200, description = "The group", body = Group),
        (status = 404, description = "No such group", body = ErrorBody),
    )
)]
#[get("/groups/{slug}")]
pub async fn get_group(
    _auth: Authorized<Read>,
    state: Data<AppState>,
    slug: Path<String>,
) -> Result<Json<Group>, ApiError> {
    let slug = slug.into_inner();
    Ok(Json(state.store.read(move |c| groups::get(c, &slug).and_then(|g| groups::load(c, g))).await?))
}

/// Update a group.
///
/// Only the fields present change; `members`, when present, replaces the list.
#[utoipa::path(
    tag = "groups", operation_id = "update_group", request_body = GroupUpdate,
    params(("slug" = String, Path, description = "Group slug (any case)")),
    security(("bearer" = ["admin"])),
    responses(
        (status = 200, description = "Updated", body = Group),
        (status = 404, description = "No such group", body = ErrorBody),
        (status = 409, description = "The new slug is taken", body = ErrorBody),
    )
)]
#[patch("/groups/{slug}")]
pub async fn update_group(
    auth: Authorized<DirectoryWrite>,
    state: Data<AppState>,
    slug: Path<String>,
    body: Json<GroupUpdate>,
) -> Result<Json<Group>, ApiError> {
    let patch = GroupPatch::parse(body.into_inner())?;
    Ok(Json(directory::groups::update(&state.store, auth.actor(), slug.into_inner(), patch).await?))
}

/// Delete a group.
///
/// Its members stay in the directory.
#[utoipa::path(
    tag = "groups", operation_id = "delete_group", params(("slug" = String, Path, description = "Group slug (any case)")),
    security(("bearer" = ["admin"])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such group", body = ErrorBody),
    )
)]
#[delete("/groups/{slug}")]
pub async fn delete_group(
    auth: Authorized<DirectoryWrite>,
    state: Data<AppState>,
    slug: Path<String>,
) -> Result<HttpResponse, ApiError> {
    directory::groups::delete(&state.store, auth.actor(), slug.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Set the whole member list, in order.
#[utoipa::path(
    tag = "groups", operation_id = "set_group_members", request_body = GroupMembers,
    params(("slug" = String, Path, description = "Group slug (any case)")),
    security(("bearer" = ["admin"])),
    responses(
        (status = 200, description = "The group with its new members", body = Group),
        (status = 404, description = "No such group", body = ErrorBody),
    )
)]
#[put("/groups/{slug}/members")]
pub async fn set_group_members(
    auth: Authorized<DirectoryWrite>,
    state: Data<AppState>,
    slug: Path<String>,
    body: Json<GroupMembers>,
) -> Result<Json<Group>, ApiError> {
    let edit = MemberEdit::Set(body.into_inner().members);
    Ok(Json(directory::groups::edit_members(&state.store, auth.actor(), slug.into_inner(), edit).await?))
}

/// Add a member.
///
/// At `position` (0-based), or at the end.
#[utoipa::path(
    tag = "groups", operation_id = "add_group_member", request_body = AddMember,
    params(("slug" = String, Path, description = "Group slug (any case)")),
    security(("bearer" = ["admin"])),
    responses(
        (status = 200, description = "The group with its new members", body = Group),
        (status = 404, description = "No such group", body = ErrorBody),
        (status = 409, description = "Already a member", body = ErrorBody),
    )
)]
#[post("/groups/{slug}/members")]
pub async fn add_group_member(
    auth: Authorized<DirectoryWrite>,
    state: Data<AppState>,
    slug: Path<String>,
    body: Json<AddMember>,
) -> Result<Json<Group>, ApiError> {
    let AddMember { contact, position } = body.into_inner();
    let edit = MemberEdit::Add { contact, position };
    Ok(Json(directory::groups::edit_members(&state.store, auth.actor(), slug.into_inner(), edit).await?))
}

/// Remove a member.
#[utoipa::path(
    tag = "groups", operation_id = "remove_group_member",
    params(("slug" = String, Path, description = "Group slug (any case)"), ("contact" = String, Path, description = "Member's contact slug")),
    security(("bearer" = ["admin"])),
    responses(
        (status = 200, description = "The group without that member", body = Group),
        (status = 404, description = "No such group or member", body = ErrorBody),
    )
)]
#[delete("/groups/{slug}/members/{contact}")]
pub async fn remove_group_member(
    auth: Authorized<DirectoryWrite>,
    state: Data<AppState>,
    path: Path<(String, String)>,
) -> Result<Json<Group>, ApiError> {
    let (slug, contact) = path.into_inner();
    let edit = MemberEdit::Remove { contact };
    Ok(Json(directory::groups::edit_members(&state.store, auth.actor(), slug, edit).await?))
}

/// Move a member to another place in the order.
#[utoipa::path(
    tag = "groups", operation_id = "move_group_member", request_body = MoveMember,
    params(("slug" = String, Path, description = "Group slug (any case)"), ("contact" = String, Path, description = "Member's contact slug")),
    security(("bearer" = ["admin"])),
    responses(
        (status = 200, description = "The group in its new order", body = Group),
        (status = 404, description = "No such group or member", body = ErrorBody),
    )
)]
#[post("/groups/{slug}/members/{contact}/move")]
pub async fn move_group_member(
    auth: Authorized<DirectoryWrite>,
    state: Data<AppState>,
    path: Path<(String, String)>,
    body: Json<MoveMember>,
) -> Result<Json<Group>, ApiError> {
    let (slug, contact) = path.into_inner();
    let edit = MemberEdit::Move { contact, position: body.into_inner().position };
    Ok(Json(directory::groups::edit_members(&state.store, auth.actor(), slug, edit).await?))
}

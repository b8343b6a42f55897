//! `/api/v1/groups`: ordered lists of contacts.

use actix_web::web::{Data, Json, Path, Query};
use actix_web::{delete, get, patch, post, put, HttpResponse};
use tocsin_types::{AddMember, ErrorBody, Group, GroupMembers, GroupUpdate, ListQuery, MoveMember, NewGroup, Page};

use crate::domain::names::{display_name, free_text};
use crate::domain::slug::Slug;
use crate::store::groups::{self, GroupChanges, GroupRow, NewGroupRow};
use crate::store::{audit, contacts, now, DbConnection, StoreError};

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
    let input = body.into_inner();
    let slug = Slug::parse("slug", &input.slug)?;
    let name = display_name("name", &input.name)?;
    let description = free_text("description", input.description.as_deref().unwrap_or(""), 2000)?;
    let actor = auth.actor();
    let group = state
        .store
        .write(move |c| {
            let at = now();
            let row = NewGroupRow {
                slug: slug.into_inner(),
                name,
                description,
                enabled: input.enabled.unwrap_or(true),
                created_at: at,
                updated_at: at,
            };
            let created = groups::insert(c, &row)?;
            let members = contacts::resolve_slugs(c, "members", &input.members)?;
            groups::set_members(c, created.id, &members)?;
            finish(c, &actor, "group.create", created, serde_json::json!({"name": row.name, "members": input.members}))
        })
        .await?;
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
    let input = body.into_inner();
    let detail = serde_json::to_value(&input).unwrap_or_default();
    let changes = GroupChanges {
        slug: input.slug.as_deref().map(|s| Slug::parse("slug", s)).transpose()?.map(Slug::into_inner),
        name: input.name.as_deref().map(|n| display_name("name", n)).transpose()?,
        description: input.description.as_deref().map(|d| free_text("description", d, 2000)).transpose()?,
        enabled: input.enabled,
        updated_at: None,
    };
    let (slug, actor) = (slug.into_inner(), auth.actor());
    let group = state
        .store
        .write(move |c| {
            let current = groups::get(c, &slug)?;
            let updated = groups::update(c, current.id, changes)?;
            if let Some(members) = &input.members {
                let members = contacts::resolve_slugs(c, "members", members)?;
                groups::set_members(c, current.id, &members)?;
            }
            finish(c, &actor, "group.update", updated, detail)
        })
        .await?;
    Ok(Json(group))
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
    let (slug, actor) = (slug.into_inner(), auth.actor());
    state
        .store
        .write(move |c| {
            let current = groups::get(c, &slug)?;
            groups::delete(c, current.id)?;
            audit::record(c, &actor, "group.delete", "group", &current.slug, serde_json::json!({"name": current.name}))
        })
        .await?;
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
    let members = body.into_inner().members;
    let (slug, actor) = (slug.into_inner(), auth.actor());
    edit_members(&state, slug, actor, "group.members.set", move |c, _current| {
        contacts::resolve_slugs(c, "members", &members)
    })
    .await
    .map(Json)
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
    let input = body.into_inner();
    let (slug, actor) = (slug.into_inner(), auth.actor());
    edit_members(&state, slug, actor, "group.members.add", move |c, mut members| {
        let contact = contacts::get(c, &input.contact).map_err(|_| unknown_contact(&input.contact))?;
        if members.iter().any(|m| m.id == contact.id) {
            return Err(StoreError::Conflict(format!("'{}' is already a member", contact.slug)));
        }
        let at = clamp_position(input.position, members.len());
        members.insert(at, contact);
        Ok(members)
    })
    .await
    .map(Json)
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
    let ((slug, contact), actor) = (path.into_inner(), auth.actor());
    edit_members(&state, slug, actor, "group.members.remove", move |_, mut members| {
        let index = member_index(&members, &contact)?;
        members.remove(index);
        Ok(members)
    })
    .await
    .map(Json)
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
    let ((slug, contact), actor) = (path.into_inner(), auth.actor());
    let position = body.into_inner().position;
    edit_members(&state, slug, actor, "group.members.move", move |_, mut members| {
        let from = member_index(&members, &contact)?;
        let moved = members.remove(from);
        let to = clamp_position(Some(position), members.len());
        members.insert(to, moved);
        Ok(members)
    })
    .await
    .map(Json)
}

/// Reads the members, lets `edit` produce the new list, stores and audits it.
async fn edit_members<F>(
    state: &AppState,
    slug: String,
    actor: String,
    action: &'static str,
    edit: F,
) -> Result<Group, ApiError>
where
    F: FnOnce(&mut DbConnection, Vec<contacts::ContactRow>) -> Result<Vec<contacts::ContactRow>, StoreError>
        + Send
        + 'static,
{
    Ok(state
        .store
        .write(move |c| {
            let group = groups::get(c, &slug)?;
            let current = groups::members(c, group.id)?;
            let members = edit(c, current)?;
            groups::set_members(c, group.id, &members)?;
            let slugs: Vec<&str> = members.iter().map(|m| m.slug.as_str()).collect();
            let updated = groups::touch(c, group.id)?;
            finish(c, &actor, action, updated, serde_json::json!({"members": slugs}))
        })
        .await?)
}

fn finish(
    c: &mut DbConnection,
    actor: &str,
    action: &str,
    group: GroupRow,
    detail: serde_json::Value,
) -> Result<Group, StoreError> {
    audit::record(c, actor, action, "group", &group.slug, detail)?;
    groups::load(c, group)
}

fn member_index(members: &[contacts::ContactRow], contact: &str) -> Result<usize, StoreError> {
    members
        .iter()
        .position(|m| m.slug.eq_ignore_ascii_case(contact))
        .ok_or_else(|| StoreError::NotFound(format!("member '{contact}'")))
}

fn unknown_contact(slug: &str) -> StoreError {
    crate::domain::ValidationError::new("contact", format!("unknown contact '{slug}'")).into()
}

/// A 0-based insertion point; negative or missing means the end.
fn clamp_position(position: Option<i64>, len: usize) -> usize {
    match position {
        Some(p) if p >= 0 => usize::try_from(p).unwrap_or(len).min(len),
        _ => len,
    }
}

#[cfg(test)]
mod tests {
    use super::clamp_position;

    #[test]
    fn positions_are_clamped_to_the_list() {
        assert_eq!(clamp_position(None, 3), 3);
        assert_eq!(clamp_position(Some(0), 3), 0);
        assert_eq!(clamp_position(Some(99), 3), 3);
        assert_eq!(clamp_position(Some(-1), 3), 3);
    }
}

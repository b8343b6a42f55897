//! Creating, changing and deleting groups, and editing their member lists.

use tocsin_types::Group;

use super::schedule_link;
use crate::domain::audit::{Actor, AuditAction};
use crate::domain::inputs::groups::{clamp_position, GroupDraft, GroupPatch, MemberEdit};
use crate::domain::ValidationError;
use crate::store::contacts::{self, ContactRow};
use crate::store::groups::{self, GroupRow};
use crate::store::{audit, DbConnection, Store, StoreError};

pub async fn create(store: &Store, actor: Actor, draft: GroupDraft) -> Result<Group, StoreError> {
    store
        .write(move |c| {
            let schedule_id = schedule_link(c, &draft.schedule)?.flatten();
            let created = groups::insert(c, &draft, schedule_id)?;
            let members = contacts::resolve_slugs(c, "members", &draft.members)?;
            groups::set_members(c, created.id, &members)?;
            let detail = serde_json::json!({"name": draft.name, "members": draft.members});
            finish(c, &actor, AuditAction::GroupCreate, created, detail)
        })
        .await
}

pub async fn update(store: &Store, actor: Actor, slug: String, patch: GroupPatch) -> Result<Group, StoreError> {
    store
        .write(move |c| {
            let current = groups::get(c, &slug)?;
            let schedule_id = schedule_link(c, &patch.schedule)?;
            let updated = groups::update(c, current.id, &patch, schedule_id)?;
            if let Some(members) = &patch.members {
                let members = contacts::resolve_slugs(c, "members", members)?;
                groups::set_members(c, current.id, &members)?;
            }
            finish(c, &actor, AuditAction::GroupUpdate, updated, patch.detail)
        })
        .await
}

/// Deletes the group; its members stay in the directory.
pub async fn delete(store: &Store, actor: Actor, slug: String) -> Result<(), StoreError> {
    store
        .write(move |c| {
            let current = groups::get(c, &slug)?;
            groups::delete(c, current.id)?;
            let detail = serde_json::json!({"name": current.name});
            audit::record(c, &actor, AuditAction::GroupDelete, &current.slug, detail)
        })
        .await
}

/// Applies `edit` to the member list as stored, in one transaction.
pub async fn edit_members(store: &Store, actor: Actor, slug: String, edit: MemberEdit) -> Result<Group, StoreError> {
    store
        .write(move |c| {
            let group = groups::get(c, &slug)?;
            let current = groups::members(c, group.id)?;
            let action = match &edit {
                MemberEdit::Set(_) => AuditAction::GroupMembersSet,
                MemberEdit::Add { .. } => AuditAction::GroupMembersAdd,
                MemberEdit::Remove { .. } => AuditAction::GroupMembersRemove,
                MemberEdit::Move { .. } => AuditAction::GroupMembersMove,
            };
            let members = edited(c, current, edit)?;
            groups::set_members(c, group.id, &members)?;
            let slugs: Vec<&str> = members.iter().map(|m| m.slug.as_str()).collect();
            let detail = serde_json::json!({"members": slugs});
            let updated = groups::touch(c, group.id)?;
            finish(c, &actor, action, updated, detail)
        })
        .await
}

fn edited(c: &mut DbConnection, mut members: Vec<ContactRow>, edit: MemberEdit) -> Result<Vec<ContactRow>, StoreError> {
    match edit {
        MemberEdit::Set(slugs) => contacts::resolve_slugs(c, "members", &slugs),
        MemberEdit::Add { contact, position } => {
            let row = contacts::find(c, &contact)?
                .ok_or_else(|| ValidationError::new("contact", format!("unknown contact '{contact}'")))?;
            if members.iter().any(|m| m.id == row.id) {
                return Err(StoreError::Conflict(format!("'{}' is already a member", row.slug)));
            }
            let at = clamp_position(position, members.len());
            members.insert(at, row);
            Ok(members)
        }
        MemberEdit::Remove { contact } => {
            let index = member_index(&members, &contact)?;
            members.remove(index);
            Ok(members)
        }
        MemberEdit::Move { contact, position } => {
            let from = member_index(&members, &contact)?;
            let moved = members.remove(from);
            let to = clamp_position(Some(position), members.len());
            members.insert(to, moved);
            Ok(members)
        }
    }
}

fn finish(
    c: &mut DbConnection,
    actor: &Actor,
    action: AuditAction,
    group: GroupRow,
    detail: serde_json::Value,
) -> Result<Group, StoreError> {
    audit::record(c, actor, action, &group.slug, detail)?;
    groups::load(c, group)
}

fn member_index(members: &[ContactRow], contact: &str) -> Result<usize, StoreError> {
    members
        .iter()
        .position(|m| m.slug.eq_ignore_ascii_case(contact))
        .ok_or_else(|| StoreError::NotFound(format!("member '{contact}'")))
}

//! Creating, changing and deleting duty schedules.

use tocsin_types::Schedule;

use crate::domain::audit::{Actor, AuditAction};
use crate::domain::inputs::schedules::{ScheduleDraft, SchedulePatch};
use crate::store::{audit, schedules, Store, StoreError};

pub async fn create(store: &Store, actor: Actor, draft: ScheduleDraft) -> Result<Schedule, StoreError> {
    store
        .write(move |c| {
            let created = schedules::insert(c, &draft)?;
            let detail = serde_json::json!({"name": created.name, "timezone": created.timezone});
            audit::record(c, &actor, AuditAction::ScheduleCreate, &created.slug, detail)?;
            Ok(created.to_dto())
        })
        .await
}

pub async fn update(store: &Store, actor: Actor, slug: String, patch: SchedulePatch) -> Result<Schedule, StoreError> {
    store
        .write(move |c| {
            let current = schedules::get(c, &slug)?;
            let updated = schedules::update(c, current.id, &patch)?;
            audit::record(c, &actor, AuditAction::ScheduleUpdate, &updated.slug, patch.detail)?;
            Ok(updated.to_dto())
        })
        .await
}

/// Refused (409, listing them) while contacts or groups use the schedule.
pub async fn delete(store: &Store, actor: Actor, slug: String) -> Result<(), StoreError> {
    store
        .write(move |c| {
            let current = schedules::get(c, &slug)?;
            schedules::delete(c, &current)?;
            let detail = serde_json::json!({"name": current.name});
            audit::record(c, &actor, AuditAction::ScheduleDelete, &current.slug, detail)
        })
        .await
}

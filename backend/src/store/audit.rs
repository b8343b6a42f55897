//! The audit log: append-only, written in the same transaction as the change.

use diesel::prelude::*;
use tocsin_types::{AuditEntry, AuditQuery, Page};

use crate::domain::audit::{Actor, AuditAction};

use super::schema::audit_log;
use super::{from_db_time, now, paging, DbConnection, StoreError};

#[derive(Queryable)]
struct AuditRow {
    id: i64,
    at: chrono::NaiveDateTime,
    actor: String,
    action: String,
    target_kind: String,
    target: String,
    detail: String,
}

/// Records one change; `target` names the thing changed, of the action's
/// kind. `detail` must never carry a secret.
pub fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    action: AuditAction,
    target: &str,
    detail: serde_json::Value,
) -> Result<(), StoreError> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::at.eq(now()),
            audit_log::actor.eq(actor.as_str()),
            audit_log::action.eq(action.as_str()),
            audit_log::target_kind.eq(action.target_kind()),
            audit_log::target.eq(target),
            audit_log::detail.eq(detail.to_string()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Newest first.
pub fn list(conn: &mut DbConnection, query: &AuditQuery) -> Result<Page<AuditEntry>, StoreError> {
    let (limit, offset) = paging(query.limit, query.offset);
    let filtered = || {
        let mut q = audit_log::table.into_boxed();
        if let Some(kind) = &query.target_kind {
            q = q.filter(audit_log::target_kind.eq(kind.clone()));
        }
        if let Some(actor) = &query.actor {
            q = q.filter(audit_log::actor.eq(actor.clone()));
        }
        q
    };
    let total = filtered().count().get_result::<i64>(conn)?;
    let rows = filtered().order(audit_log::id.desc()).limit(limit).offset(offset).load::<AuditRow>(conn)?;
    let items = rows
        .into_iter()
        .map(|r| AuditEntry {
            id: r.id,
            at: from_db_time(r.at),
            actor: r.actor,
            action: r.action,
            target_kind: r.target_kind,
            target: r.target,
            detail: serde_json::from_str(&r.detail).unwrap_or(serde_json::Value::Null),
        })
        .collect();
    Ok(Page { items, total, limit, offset })
}

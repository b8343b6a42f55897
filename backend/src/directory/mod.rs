//! The directory's service layer: every change to contacts, destinations,
//! groups, events, operators and API keys goes through a function here. Each
//! takes validated input (`domain::inputs`) and the [`Actor`] making the
//! change, makes it in one transaction and writes its audit entry
//! ([`AuditAction`]) in that same transaction, so a change and its record
//! cannot part. An HTTP handler only extracts, calls and responds; a new
//! directory resource is a module here, one in `domain::inputs` and one in
//! `store`.
//!
//! [`Actor`]: crate::domain::audit::Actor
//! [`AuditAction`]: crate::domain::audit::AuditAction

pub mod api_keys;
pub mod contacts;
pub mod destinations;
pub mod events;
pub mod groups;
pub mod operators;
pub mod schedules;

use crate::domain::inputs::Link;
use crate::domain::ValidationError;
use crate::store::{operators as operator_accounts, schedules as schedule_rows, DbConnection, StoreError};

/// Checks an operator account exists; `field` names where it was given.
fn existing_operator(c: &mut DbConnection, field: &str, username: &str) -> Result<i64, StoreError> {
    match operator_accounts::find_by_username(c, username)? {
        Some(op) => Ok(op.id),
        None => Err(ValidationError::new(field, format!("unknown operator '{username}'")).into()),
    }
}

/// Resolves a link to another record with `find` (which names `field` when
/// the record is unknown): `None` = leave as is, `Some(None)` = remove,
/// `Some(Some(id))` = that record.
fn resolve_link(
    c: &mut DbConnection,
    link: &Link,
    find: impl FnOnce(&mut DbConnection, &str) -> Result<i64, StoreError>,
) -> Result<Option<Option<i64>>, StoreError> {
    match link {
        Link::Keep => Ok(None),
        Link::Unlink => Ok(Some(None)),
        Link::To(name) => find(c, name).map(|id| Some(Some(id))),
    }
}

/// A schedule link given as `schedule`.
fn schedule_link(c: &mut DbConnection, link: &Link) -> Result<Option<Option<i64>>, StoreError> {
    resolve_link(c, link, |c, slug| schedule_rows::existing(c, "schedule", slug))
}

//! Appending to timelines: a leaf of the store that every writer (fires,
//! outcomes, receipts, acknowledge) uses, so none of them imports another for
//! it.

use diesel::prelude::*;

use super::schema::timeline_entries;
use super::{now, DbConnection, StoreError};

/// Appends an entry to a notification's own timeline (or a delivery's).
pub fn add(
    conn: &mut DbConnection,
    notification_id: i64,
    delivery_id: Option<i64>,
    kind: &str,
    detail: &str,
) -> Result<(), StoreError> {
    diesel::insert_into(timeline_entries::table)
        .values((
            timeline_entries::notification_id.eq(notification_id),
            timeline_entries::delivery_id.eq(delivery_id),
            timeline_entries::at.eq(now()),
            timeline_entries::kind.eq(kind),
            timeline_entries::detail.eq(detail),
        ))
        .execute(conn)?;
    Ok(())
}

//! Instance-wide values kept in the database, shared by every instance.

use diesel::prelude::*;

use super::schema::instance_settings;
use super::{now, DbConnection, StoreError};

/// Returns the stored value of `name`, storing `make()` first if there is none.
/// Concurrent callers all get the value of whoever stored it first.
pub fn get_or_init(conn: &mut DbConnection, name: &str, make: impl FnOnce() -> String) -> Result<String, StoreError> {
    if let Some(v) = get(conn, name)? {
        return Ok(v);
    }
    diesel::insert_into(instance_settings::table)
        .values((
            instance_settings::name.eq(name),
            instance_settings::value.eq(make()),
            instance_settings::updated_at.eq(now()),
        ))
        .execute(conn)
        .or_else(|e| match e {
            // Someone else stored it first: theirs wins.
            diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _) => Ok(0),
            other => Err(other),
        })?;
    get(conn, name)?.ok_or_else(|| StoreError::NotFound(format!("instance setting {name}")))
}

fn get(conn: &mut DbConnection, name: &str) -> Result<Option<String>, StoreError> {
    Ok(instance_settings::table.find(name).select(instance_settings::value).first::<String>(conn).optional()?)
}

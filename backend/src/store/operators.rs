//! Operator accounts.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use tocsin_types::{Operator, Role};

use super::schema::operators;
use super::{from_db_time, lower, now, DbConnection, StoreError};

#[derive(Queryable, Clone)]
pub struct OperatorRow {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    pub role: String,
    pub enabled: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Sessions issued before the last password change or disabling carry an
    /// older epoch and are refused.
    pub session_epoch: i64,
}

impl OperatorRow {
    pub fn role(&self) -> Role {
        parse_role(&self.role)
    }

    pub fn to_dto(&self) -> Operator {
        Operator {
            id: self.id,
            username: self.username.clone(),
            role: self.role(),
            enabled: self.enabled,
            created_at: from_db_time(self.created_at),
            updated_at: from_db_time(self.updated_at),
        }
    }
}

pub fn role_str(role: Role) -> &'static str {
    match role {
        Role::Viewer => "viewer",
        Role::Operator => "operator",
        Role::Admin => "admin",
    }
}

/// Unknown text falls back to the least privilege.
fn parse_role(raw: &str) -> Role {
    match raw {
        "admin" => Role::Admin,
        "operator" => Role::Operator,
        _ => Role::Viewer,
    }
}

pub fn count(conn: &mut DbConnection) -> Result<i64, StoreError> {
    Ok(operators::table.count().get_result(conn)?)
}

pub fn find_by_username(conn: &mut DbConnection, username: &str) -> Result<Option<OperatorRow>, StoreError> {
    Ok(operators::table
        .filter(lower(operators::username).eq(username.to_lowercase()))
        .first::<OperatorRow>(conn)
        .optional()?)
}

pub fn get_by_username(conn: &mut DbConnection, username: &str) -> Result<OperatorRow, StoreError> {
    find_by_username(conn, username)?.ok_or_else(|| StoreError::NotFound(format!("operator '{username}'")))
}

pub fn find_by_id(conn: &mut DbConnection, id: i64) -> Result<Option<OperatorRow>, StoreError> {
    Ok(operators::table.find(id).first::<OperatorRow>(conn).optional()?)
}

pub fn list(conn: &mut DbConnection) -> Result<Vec<Operator>, StoreError> {
    let rows = operators::table.order(operators::username.asc()).load::<OperatorRow>(conn)?;
    Ok(rows.iter().map(OperatorRow::to_dto).collect())
}

pub fn insert(
    conn: &mut DbConnection,
    username: &str,
    password_hash: &str,
    role: Role,
    enabled: bool,
) -> Result<OperatorRow, StoreError> {
    let at = now();
    diesel::insert_into(operators::table)
        .values((
            operators::username.eq(username),
            operators::password_hash.eq(password_hash),
            operators::role.eq(role_str(role)),
            operators::enabled.eq(enabled),
            operators::created_at.eq(at),
            operators::updated_at.eq(at),
        ))
        .get_result::<OperatorRow>(conn)
        .map_err(StoreError::conflict_on(|| format!("an operator named '{username}' already exists")))
}

/// Changes to an operator; `None` leaves a column as it is.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = operators)]
pub struct OperatorChanges {
    pub role: Option<String>,
    pub enabled: Option<bool>,
    pub password_hash: Option<String>,
    pub updated_at: Option<NaiveDateTime>,
}

/// Applies the changes; a new password or disabling the account also ends
/// every session issued so far (the epoch moves on).
pub fn update(conn: &mut DbConnection, id: i64, mut changes: OperatorChanges) -> Result<OperatorRow, StoreError> {
    changes.updated_at = Some(now());
    let ends_sessions = changes.password_hash.is_some() || changes.enabled == Some(false);
    let row = diesel::update(operators::table.find(id)).set(&changes).get_result::<OperatorRow>(conn)?;
    if !ends_sessions {
        return Ok(row);
    }
    Ok(diesel::update(operators::table.find(id))
        .set(operators::session_epoch.eq(operators::session_epoch + 1))
        .get_result::<OperatorRow>(conn)?)
}

pub fn delete(conn: &mut DbConnection, id: i64) -> Result<(), StoreError> {
    diesel::delete(operators::table.find(id)).execute(conn)?;
    Ok(())
}

/// The ids of the enabled admins, locked until the end of the caller's write
/// transaction: a change that would remove the last one checks this list, and
/// two such changes racing must be decided one after the other. PostgreSQL
/// locks the rows (`FOR UPDATE`; a transaction that waited re-reads them and
/// sees the other's change, so it no longer counts an admin just disabled).
/// SQLite needs nothing more: its write transactions (`BEGIN IMMEDIATE`, see
/// [`super::write_transaction`]) already run one at a time.
pub fn lock_enabled_admins(conn: &mut DbConnection) -> Result<Vec<i64>, StoreError> {
    let enabled = operators::table
        .filter(operators::role.eq("admin"))
        .filter(operators::enabled.eq(true))
        .order(operators::id.asc())
        .select(operators::id);
    Ok(match conn {
        DbConnection::Postgresql(pg) => enabled.for_update().load(pg)?,
        DbConnection::Sqlite(sqlite) => enabled.load(sqlite)?,
    })
}

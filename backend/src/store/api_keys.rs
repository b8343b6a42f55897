//! API keys: only a SHA-256 hash of the secret and a lookup prefix are stored.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use tocsin_types::{ApiKey, Scope};

use super::schema::api_keys;
use super::{from_db_time, now, to_db_time, DbConnection, StoreError};

#[derive(Queryable, Clone)]
pub struct ApiKeyRow {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub secret_hash: String,
    pub scopes: String,
    pub enabled: bool,
    pub expires_at: Option<NaiveDateTime>,
    pub last_used_at: Option<NaiveDateTime>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

impl ApiKeyRow {
    pub fn scopes(&self) -> Vec<Scope> {
        parse_scopes(&self.scopes)
    }

    /// Enabled and not past its expiry.
    pub fn is_usable(&self, at: NaiveDateTime) -> bool {
        self.enabled && self.expires_at.is_none_or(|e| e > at)
    }

    pub fn to_dto(&self) -> ApiKey {
        ApiKey {
            id: self.id,
            name: self.name.clone(),
            prefix: self.prefix.clone(),
            scopes: self.scopes(),
            enabled: self.enabled,
            expires_at: self.expires_at.map(from_db_time),
            last_used_at: self.last_used_at.map(from_db_time),
            created_by: self.created_by.clone(),
            created_at: from_db_time(self.created_at),
        }
    }
}

pub fn scopes_str(scopes: &[Scope]) -> String {
    let mut names: Vec<&str> = scopes
        .iter()
        .map(|s| match s {
            Scope::Read => "read",
            Scope::Send => "send",
            Scope::Admin => "admin",
        })
        .collect();
    names.sort_unstable();
    names.dedup();
    names.join(",")
}

fn parse_scopes(raw: &str) -> Vec<Scope> {
    raw.split(',')
        .filter_map(|s| match s {
            "read" => Some(Scope::Read),
            "send" => Some(Scope::Send),
            "admin" => Some(Scope::Admin),
            _ => None,
        })
        .collect()
}

/// A key to store.
pub struct NewKey<'a> {
    pub name: &'a str,
    pub prefix: &'a str,
    pub secret_hash: &'a str,
    pub scopes: &'a [Scope],
    pub expires_at: Option<chrono::DateTime<Utc>>,
    pub created_by: &'a str,
}

pub fn insert(conn: &mut DbConnection, key: &NewKey<'_>) -> Result<ApiKeyRow, StoreError> {
    diesel::insert_into(api_keys::table)
        .values((
            api_keys::name.eq(key.name),
            api_keys::prefix.eq(key.prefix),
            api_keys::secret_hash.eq(key.secret_hash),
            api_keys::scopes.eq(scopes_str(key.scopes)),
            api_keys::enabled.eq(true),
            api_keys::expires_at.eq(key.expires_at.map(to_db_time)),
            api_keys::created_by.eq(key.created_by),
            api_keys::created_at.eq(now()),
        ))
        .get_result::<ApiKeyRow>(conn)
        .map_err(StoreError::conflict_on(|| "this key already exists".to_owned()))
}

/// Keys sharing a lookup prefix (almost always one).
pub fn by_prefix(conn: &mut DbConnection, prefix: &str) -> Result<Vec<ApiKeyRow>, StoreError> {
    Ok(api_keys::table.filter(api_keys::prefix.eq(prefix)).load::<ApiKeyRow>(conn)?)
}

pub fn list(conn: &mut DbConnection) -> Result<Vec<ApiKey>, StoreError> {
    let rows = api_keys::table.order(api_keys::id.asc()).load::<ApiKeyRow>(conn)?;
    Ok(rows.iter().map(ApiKeyRow::to_dto).collect())
}

pub fn get(conn: &mut DbConnection, id: i64) -> Result<ApiKeyRow, StoreError> {
    api_keys::table
        .find(id)
        .first::<ApiKeyRow>(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("API key {id}")))
}

/// Revoking keeps the row (the audit log and "last used" stay meaningful).
pub fn revoke(conn: &mut DbConnection, id: i64) -> Result<ApiKeyRow, StoreError> {
    let at = now();
    diesel::update(api_keys::table.find(id))
        .set((api_keys::enabled.eq(false), api_keys::revoked_at.eq(Some(at))))
        .get_result::<ApiKeyRow>(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("API key {id}")))
}

/// Records use, at most once a minute per key so that busy keys do not turn
/// every request into a write.
pub fn touch(conn: &mut DbConnection, id: i64, at: NaiveDateTime) -> Result<(), StoreError> {
    let a_minute_ago = at - chrono::Duration::minutes(1);
    diesel::update(
        api_keys::table.find(id).filter(api_keys::last_used_at.is_null().or(api_keys::last_used_at.lt(a_minute_ago))),
    )
    .set(api_keys::last_used_at.eq(Some(at)))
    .execute(conn)?;
    Ok(())
}

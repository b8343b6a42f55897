//! Idempotency records: the first response to a request carrying an
//! `Idempotency-Key`, replayed to retries of it for 24 hours.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::idempotency_records;
use super::{DbConnection, StoreError};

/// A stored first response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub request_hash: String,
    pub status: u16,
    pub body: String,
}

/// The live record of `key` for `caller`, if any.
pub fn find(
    conn: &mut DbConnection,
    caller: &str,
    key: &str,
    now: NaiveDateTime,
) -> Result<Option<StoredResponse>, StoreError> {
    let row = idempotency_records::table
        .filter(idempotency_records::caller.eq(caller))
        .filter(idempotency_records::idempotency_key.eq(key))
        .filter(idempotency_records::expires_at.gt(now))
        .select((
            idempotency_records::request_hash,
            idempotency_records::response_status,
            idempotency_records::response_body,
        ))
        .first::<(String, i32, String)>(conn)
        .optional()?;
    Ok(row.map(|(request_hash, status, body)| StoredResponse {
        request_hash,
        status: u16::try_from(status).unwrap_or(500),
        body,
    }))
}

/// Stores the first response, replacing an expired record of the same key.
pub fn insert(
    conn: &mut DbConnection,
    caller: &str,
    key: &str,
    response: &StoredResponse,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> Result<(), StoreError> {
    diesel::delete(
        idempotency_records::table
            .filter(idempotency_records::caller.eq(caller))
            .filter(idempotency_records::idempotency_key.eq(key))
            .filter(idempotency_records::expires_at.le(now)),
    )
    .execute(conn)?;
    diesel::insert_into(idempotency_records::table)
        .values((
            idempotency_records::caller.eq(caller),
            idempotency_records::idempotency_key.eq(key),
            idempotency_records::request_hash.eq(&response.request_hash),
            idempotency_records::response_status.eq(i32::from(response.status)),
            idempotency_records::response_body.eq(&response.body),
            idempotency_records::created_at.eq(now),
            idempotency_records::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .map_err(StoreError::conflict_on(|| {
            format!("a request with Idempotency-Key '{key}' is already being processed")
        }))?;
    Ok(())
}

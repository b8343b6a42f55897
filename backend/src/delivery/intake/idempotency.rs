//! `Idempotency-Key`: the first answer to a key is kept for 24 hours with a
//! hash of its request, and a retry gets that answer back instead of a second
//! notification.

use tocsin_types::FireResponse;

use super::command::{Accepted, FireCommand, FireError, IdempotencyKey};
use crate::store::idempotency::{self, StoredResponse};
use crate::store::{now, DbConnection, Store, StoreError};

/// How long an answer is kept for retries.
const KEPT_FOR: chrono::Duration = chrono::Duration::hours(24);

/// The stored first answer to this idempotency key, if there is one; a key
/// reused with another request is refused.
pub(super) async fn replay_stored(store: &Store, key: Option<&IdempotencyKey>) -> Result<Option<Accepted>, FireError> {
    let Some(key) = key else { return Ok(None) };
    let (caller, name) = (key.caller.clone(), key.key.clone());
    match store.read(move |c| idempotency::find(c, &caller, &name, now())).await? {
        Some(stored) if stored.request_hash != key.request_hash => Err(FireError::IdempotencyMismatch(key.key.clone())),
        Some(stored) => Ok(Some(Accepted::Replayed { status: stored.status, body: stored.body })),
        None => Ok(None),
    }
}

/// Keeps the answer for retries of the same `Idempotency-Key`, inside the
/// transaction that stores the fire: the answer exists exactly when the fire does.
pub(super) fn remember(
    conn: &mut DbConnection,
    cmd: &FireCommand,
    status: u16,
    response: &FireResponse,
) -> Result<(), StoreError> {
    let Some(key) = &cmd.idempotency else { return Ok(()) };
    let body = serde_json::to_string(response).unwrap_or_default();
    let stored = StoredResponse { request_hash: key.request_hash.clone(), status, body };
    let at = now();
    idempotency::insert(conn, &key.caller, &key.key, &stored, at, at + KEPT_FOR)
}

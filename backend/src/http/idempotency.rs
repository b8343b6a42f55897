//! The `Idempotency-Key` request header, as an extractor: checked when the
//! request is read, then scoped to its caller and request by the handler.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::error::ApiError;
use crate::delivery::intake::IdempotencyKey;

/// The header's name.
pub const HEADER: &str = "Idempotency-Key";

/// The longest key, in bytes.
const MAX_KEY_BYTES: usize = 255;

/// A request's `Idempotency-Key`, if it sent one: 1 to 255 visible ASCII
/// characters, or the request is refused with 400.
#[derive(Debug)]
pub struct Idempotency {
    key: Option<String>,
    /// What identifies the request besides its body: path (any case) and query.
    target: String,
}

impl Idempotency {
    fn read(req: &HttpRequest) -> Result<Self, ApiError> {
        let target = format!("{}\n{}", req.path().to_ascii_lowercase(), req.query_string());
        let Some(value) = req.headers().get(HEADER) else { return Ok(Self { key: None, target }) };
        let key = value
            .to_str()
            .ok()
            .filter(|k| !k.is_empty() && k.len() <= MAX_KEY_BYTES && k.bytes().all(|b| (0x21..=0x7e).contains(&b)))
            .ok_or_else(|| ApiError::bad_request("Idempotency-Key must be 1 to 255 visible ASCII characters"))?;
        Ok(Self { key: Some(key.to_owned()), target })
    }

    /// The key scoped to `caller`, with a hash of the request (path, query and
    /// `body`) so that a key reused for another request is recognised.
    pub fn scoped(self, caller: &str, body: &impl Serialize) -> Option<IdempotencyKey> {
        let key = self.key?;
        let mut hasher = Sha256::new();
        hasher.update(self.target.as_bytes());
        hasher.update(b"\n");
        hasher.update(serde_json::to_string(body).unwrap_or_default().as_bytes());
        Some(IdempotencyKey { caller: caller.to_owned(), key, request_hash: hex::encode(hasher.finalize()) })
    }
}

impl FromRequest for Idempotency {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Self::read(req))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    fn read(req: TestRequest) -> Result<Idempotency, ApiError> {
        Idempotency::read(&req.to_http_request())
    }

    #[test]
    fn a_key_is_one_to_255_visible_ascii_characters() {
        for bad in ["", "has space", "tab\there", &"k".repeat(256)] {
            let req = TestRequest::post().uri("/x").insert_header((HEADER, bad));
            assert!(read(req).is_err(), "{bad:?} is refused");
        }
        let req = TestRequest::post().uri("/x").insert_header((HEADER, "k".repeat(255)));
        assert!(read(req).unwrap().key.is_some());
        assert!(read(TestRequest::post().uri("/x")).unwrap().scoped("a", &1).is_none(), "no header, no key");
    }

    #[test]
    fn the_hash_tells_requests_apart_but_not_the_paths_case() {
        let hash = |uri: &str, caller: &str, body: &str| {
            let req = TestRequest::post().uri(uri).insert_header((HEADER, "retry-1"));
            read(req).unwrap().scoped(caller, &body).unwrap()
        };
        let first = hash("/api/v1/events/Disk/fire", "key:ab", "b");
        assert_eq!(first.request_hash, hash("/api/v1/events/disk/fire", "key:ab", "b").request_hash);
        assert_eq!((first.caller.as_str(), first.key.as_str()), ("key:ab", "retry-1"));
        for other in [
            hash("/api/v1/events/disk/fire?dry_run=false", "key:ab", "b"),
            hash("/api/v1/events/cpu/fire", "key:ab", "b"),
            hash("/api/v1/events/disk/fire", "key:ab", "c"),
        ] {
            assert_ne!(first.request_hash, other.request_hash);
        }
    }
}

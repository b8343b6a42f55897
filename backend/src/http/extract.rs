//! How malformed input is answered: bodies, paths and queries that do not parse
//! become 4xx errors in the API's shape, never a 500 or actix's plain text.

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::{web, HttpRequest};

use super::error::{ApiError, ErrorKind};

pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default().limit(limit).error_handler(move |err, _req| json_error(err, limit).into())
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err: PathError, _req: &HttpRequest| {
        ApiError::bad_request(format!("invalid path: {err}")).into()
    })
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err: QueryPayloadError, _req: &HttpRequest| {
        let detail = match &err {
            QueryPayloadError::Deserialize(e) => e.to_string(),
            other => other.to_string(),
        };
        ApiError::bad_request(format!("invalid query string: {detail}")).into()
    })
}

fn json_error(err: JsonPayloadError, limit: usize) -> ApiError {
    match err {
        JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
            ApiError::new(ErrorKind::PayloadTooLarge, format!("the body is larger than {limit} bytes"))
        }
        JsonPayloadError::ContentType => {
            ApiError::new(ErrorKind::UnsupportedMediaType, "the body must be JSON (Content-Type: application/json)")
        }
        JsonPayloadError::Deserialize(e) => match e.classify() {
            // Well-formed JSON that does not fit the operation: wrong types,
            // unknown or missing fields.
            serde_json::error::Category::Data => ApiError::new(ErrorKind::Validation, format!("invalid body: {e}")),
            _ => ApiError::bad_request(format!("malformed JSON: {e}")),
        },
        other => ApiError::bad_request(format!("unreadable body: {other}")),
    }
}

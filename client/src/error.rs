//! The one error type of the client. Every failed call ends up here: an answer
//! from the server with an error status (its body decoded once, here), no
//! answer at all, or an answer that is not what the API documents.

use std::fmt;

use serde::Deserialize;
use tocsin_types::ErrorBody;

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The server answered with an error status.
    #[error("{0}")]
    Api(ApiError),
    /// No answer within the client's timeout.
    #[error("the server did not answer in time")]
    Timeout,
    /// No answer at all: the connection was refused or broke, the name did not
    /// resolve, TLS failed.
    #[error("cannot reach the server: {0}")]
    Transport(String),
    /// A success status whose body is not what the API documents.
    #[error("unexpected answer (HTTP {status}): {message}")]
    Decode {
        /// The status of the answer.
        status: u16,
        /// What did not fit.
        message: String,
    },
    /// The request could not be built (an invalid base URL or header value);
    /// nothing was sent.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
}

impl Error {
    /// The HTTP status, when the server answered with an error.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(e) => Some(e.status),
            _ => None,
        }
    }

    /// The machine code of the server's error body (`not_found`,
    /// `validation_failed`, …), when the server answered with an error.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Api(e) => Some(&e.body.error),
            _ => None,
        }
    }

    /// The server's error answer, if that is what this is.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) => Some(e),
            _ => None,
        }
    }

    /// Whether the same request may succeed later without any change: no
    /// answer, or a status that says the server is busy or briefly away.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Timeout | Error::Transport(_) => true,
            Error::Api(e) => matches!(e.status, 429 | 502 | 503 | 504),
            Error::Decode { .. } | Error::InvalidRequest(_) => false,
        }
    }

    pub(crate) fn decode(status: u16, message: impl fmt::Display) -> Self {
        Error::Decode { status, message: message.to_string() }
    }
}

/// The error answer of the server: its status and the body `{"error",
/// "message", "details"}`.
///
/// Answers without that body (the RedFlash routes answer `{"message"}`, a
/// proxy may answer HTML) still get a machine code, derived from the status,
/// and the text of the answer as message, so callers can always branch on
/// [`ApiError::code`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{} (HTTP {status}, {})", body.message, body.error)]
pub struct ApiError {
    /// The HTTP status.
    pub status: u16,
    /// The decoded body.
    pub body: ErrorBody,
}

impl ApiError {
    /// The machine code, e.g. `not_found` or `validation_failed`.
    pub fn code(&self) -> &str {
        &self.body.error
    }

    /// What went wrong, for people.
    pub fn message(&self) -> &str {
        &self.body.message
    }

    /// Structured details, e.g. `{"field": "settings.phone"}` for a validation error.
    pub fn details(&self) -> Option<&serde_json::Value> {
        self.body.details.as_ref()
    }

    /// Decodes an error answer, whatever its body.
    pub(crate) fn from_answer(status: u16, text: &str) -> Self {
        #[derive(Deserialize)]
        struct MessageOnly {
            message: String,
        }
        if let Ok(body) = serde_json::from_str::<ErrorBody>(text) {
            return ApiError { status, body };
        }
        let message = match serde_json::from_str::<MessageOnly>(text) {
            Ok(m) => m.message,
            Err(_) if text.trim().is_empty() => format!("HTTP {status}"),
            Err(_) => shorten(text.trim(), 300),
        };
        ApiError { status, body: ErrorBody { error: code_for_status(status).into(), message, details: None } }
    }
}

/// The API's machine code for a status, for answers that carry none.
fn code_for_status(status: u16) -> &'static str {
    match status {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        409 => "conflict",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        422 => "validation_failed",
        429 => "rate_limited",
        502..=504 => "unavailable",
        _ if status >= 500 => "internal",
        _ => "bad_request",
    }
}

fn shorten(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn the_api_error_body_is_kept_as_it_is() {
        let e = ApiError::from_answer(
            422,
            r#"{"error":"validation_failed","message":"message: must not be empty","details":{"field":"message"}}"#,
        );
        assert_eq!(e.status, 422);
        assert_eq!(e.code(), "validation_failed");
        assert_eq!(e.message(), "message: must not be empty");
        assert_eq!(e.details(), Some(&serde_json::json!({"field": "message"})));
    }

    #[test]
    fn a_redflash_answer_gets_a_code_from_its_status() {
        let e = ApiError::from_answer(404, r#"{"message": "ghost not found"}"#);
        assert_eq!((e.code(), e.message()), ("not_found", "ghost not found"));
        let e = ApiError::from_answer(500, r#"{"message": "Empty message"}"#);
        assert_eq!(e.code(), "internal");
    }

    #[test]
    fn a_body_that_is_not_json_becomes_the_message() {
        let e = ApiError::from_answer(502, "<html>Bad Gateway</html>");
        assert_eq!((e.code(), e.message()), ("unavailable", "<html>Bad Gateway</html>"));
        assert_eq!(ApiError::from_answer(503, "").message(), "HTTP 503");
        let long = "x".repeat(1000);
        assert_eq!(ApiError::from_answer(500, &long).message().chars().count(), 301);
    }

    #[test]
    fn only_busy_or_missing_answers_are_transient() {
        let api = |status| Error::Api(ApiError::from_answer(status, ""));
        assert!(api(503).is_transient());
        assert!(api(429).is_transient());
        assert!(!api(500).is_transient());
        assert!(!api(404).is_transient());
        assert!(Error::Timeout.is_transient());
        assert!(!Error::decode(200, "bad json").is_transient());
    }
}

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The one error body of `/api/v1`: a machine code, a sentence for people, and
/// optional details (e.g. the field that was wrong).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"error": "validation_failed", "message": "settings.phone: must start with + and the country code", "details": {"field": "settings.phone"}}))]
pub struct ErrorBody {
    /// Machine-readable code: `bad_request`, `unauthorized`, `forbidden`, `not_found`,
    /// `method_not_allowed`, `conflict`, `payload_too_large`, `unsupported_media_type`,
    /// `validation_failed`, `rate_limited`, `internal`, `unavailable`.
    pub error: String,
    /// What went wrong, for people.
    pub message: String,
    /// Extra structured information, when there is any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Object, required = false)]
    pub details: Option<serde_json::Value>,
}

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use chrono::{DateTime, Utc};

/// One recorded change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 3, "at": "2026-11-23T08:00:00Z", "actor": "operator:admin", "action": "contact.create", "target_kind": "contact", "target": "ana", "detail": {"name": "Ana Lima"}}))]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// `operator:<username>` or `key:<prefix>`.
    pub actor: String,
    /// `<kind>.<verb>`, e.g. `contact.update`.
    pub action: String,
    pub target_kind: String,
    pub target: String,
    /// What changed (secrets never appear here).
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

/// Filters of the audit log.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<i64>,
    /// How many entries to skip (default 0).
    pub offset: Option<i64>,
    /// Only this kind of target (`contact`, `destination`, `group`, `event`, `api_key`, `operator`).
    pub target_kind: Option<String>,
    /// Only changes by this actor, e.g. `operator:admin`.
    pub actor: Option<String>,
}

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use chrono::{DateTime, Utc};

/// What an operator account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads everything an operator sees.
    Viewer,
    /// Also fires, acknowledges and edits the directory.
    Operator,
    /// Also manages API keys, operators and settings.
    Admin,
}

/// What an API key may do; `admin` implies the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Read,
    Send,
    Admin,
}

/// Operator login.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"username": "admin", "password": "correct horse battery staple"}))]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// A session token for the `Authorization: Bearer` header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"token": "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9…", "expires_at": "2026-11-23T20:00:00Z", "role": "admin", "username": "admin"}))]
pub struct Session {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub role: Role,
    pub username: String,
}

/// Who the caller is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"kind": "operator", "name": "admin", "role": "admin", "scopes": []}))]
pub struct Me {
    /// `operator` or `api_key`.
    pub kind: String,
    /// Username, or the key's name.
    pub name: String,
    /// The operator's role (operators only).
    pub role: Option<Role>,
    /// The key's scopes (API keys only).
    pub scopes: Vec<Scope>,
}

/// An operator account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 2, "username": "ana", "role": "operator", "enabled": true, "created_at": "2026-11-23T08:00:00Z", "updated_at": "2026-11-23T08:00:00Z"}))]
pub struct Operator {
    pub id: i64,
    pub username: String,
    pub role: Role,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new operator account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"username": "ana", "password": "a long passphrase", "role": "operator"}))]
pub struct NewOperator {
    pub username: String,
    /// At least 10 characters.
    pub password: String,
    pub role: Role,
    /// Default `true`.
    pub enabled: Option<bool>,
}

/// Changes to an operator account (admins only); absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"role": "viewer"}))]
pub struct OperatorUpdate {
    pub role: Option<Role>,
    pub enabled: Option<bool>,
    /// Sets a new password.
    pub password: Option<String>,
}

/// Change one's own password.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"current_password": "old passphrase", "new_password": "a new long passphrase"}))]
pub struct PasswordChange {
    pub current_password: String,
    /// At least 10 characters.
    pub new_password: String,
}

/// An API key as listed: never its secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 4, "name": "nagios", "prefix": "tsk_4fK9aQ2z", "scopes": ["send"], "enabled": true, "expires_at": null, "last_used_at": null, "created_by": "operator:admin", "created_at": "2026-11-23T08:00:00Z"}))]
pub struct ApiKey {
    pub id: i64,
    pub name: String,
    /// The first characters of the secret, to recognise the key.
    pub prefix: String,
    pub scopes: Vec<Scope>,
    /// `false` once revoked.
    pub enabled: bool,
    pub expires_at: Option<DateTime<Utc>>,
    /// Updated at most once a minute.
    pub last_used_at: Option<DateTime<Utc>>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

/// A new API key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "nagios", "scopes": ["send"]}))]
pub struct NewApiKey {
    pub name: String,
    pub scopes: Vec<Scope>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// A created API key: the only time its secret is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 4, "name": "nagios", "prefix": "tsk_4fK9aQ2z", "secret": "tsk_4fK9aQ2zR8mW1xV7cB3nL6pT0yH5jD2s", "scopes": ["send"], "expires_at": null}))]
pub struct CreatedApiKey {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    /// Use as `Authorization: Bearer <secret>` or RedFlash `api_key`. Shown once.
    pub secret: String,
    pub scopes: Vec<Scope>,
    pub expires_at: Option<DateTime<Utc>>,
}

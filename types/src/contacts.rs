use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use chrono::{DateTime, Utc};

/// When a contact may be reached.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    /// Day and night.
    #[default]
    Always,
    /// Only during business hours in the contact's time zone.
    BusinessHours,
}

/// A person or a team mailbox that can be reached.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 1, "slug": "ana", "name": "Ana Lima", "enabled": true, "timezone": "Europe/Lisbon", "availability": "always", "operator": null, "schedule": null, "destinations": [], "created_at": "2026-11-23T08:00:00Z", "updated_at": "2026-11-23T08:00:00Z"}))]
pub struct Contact {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub enabled: bool,
    /// IANA time zone name.
    pub timezone: String,
    pub availability: Availability,
    /// The operator account linked to this contact, if any.
    pub operator: Option<String>,
    /// Slug of the duty schedule; `null` = always on duty (within `availability`).
    pub schedule: Option<String>,
    /// Every way to reach this contact.
    pub destinations: Vec<Destination>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new contact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"slug": "ana", "name": "Ana Lima", "timezone": "Europe/Lisbon"}))]
pub struct NewContact {
    /// Letters, digits, `-` and `_`; unique without regard to case.
    pub slug: String,
    pub name: String,
    /// Default `true`.
    pub enabled: Option<bool>,
    /// IANA time zone name, default `UTC`.
    pub timezone: Option<String>,
    /// Default `always`.
    pub availability: Option<Availability>,
    /// Username of the operator account this contact is.
    pub operator: Option<String>,
    /// Slug of a duty schedule; default none (always on duty).
    pub schedule: Option<String>,
}

/// Changes to a contact; absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Ana Lima-Santos", "enabled": false}))]
pub struct ContactUpdate {
    pub slug: Option<String>,
    pub name: Option<String>,
    pub enabled: Option<bool>,
    pub timezone: Option<String>,
    pub availability: Option<Availability>,
    /// Username of the linked operator account; `""` unlinks it.
    pub operator: Option<String>,
    /// Slug of the duty schedule; `""` removes it.
    pub schedule: Option<String>,
}

/// One way to reach one contact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 7, "contact": "ana", "medium": "sms", "label": "mobile", "settings": {"phone": "+447700900123"}, "address": "+447700900123", "enabled": true, "phone_valid": true, "created_at": "2026-11-23T08:00:00Z", "updated_at": "2026-11-23T08:00:00Z"}))]
pub struct Destination {
    pub id: i64,
    /// Slug of the contact it belongs to.
    pub contact: String,
    /// One of the media listed by `GET /api/v1/media`.
    pub medium: String,
    pub label: String,
    /// Settings of the medium; secrets are never returned (`secret_set` says whether one is stored).
    /// A secret `url` is redacted like `address`.
    #[schema(value_type = Object)]
    pub settings: serde_json::Value,
    /// Where messages go: the phone number, email address, URL or account. A
    /// secret URL (Slack, Teams, or any with credentials or a query string) is
    /// shown as `https://hooks.slack.com/…/****` to callers who may not edit
    /// destinations.
    pub address: String,
    pub enabled: bool,
    /// For SMS: whether the number is in a known range (it is always at least possible).
    pub phone_valid: Option<bool>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new destination for a contact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"medium": "sms", "label": "mobile", "settings": {"phone": "+44 7700 900123"}}))]
pub struct NewDestination {
    pub medium: String,
    /// Default empty.
    pub label: Option<String>,
    /// Per medium, see `GET /api/v1/media`.
    #[schema(value_type = Object)]
    pub settings: serde_json::Value,
    /// Default `true`.
    pub enabled: Option<bool>,
}

/// Changes to a destination; absent fields stay as they are. Settings are replaced
/// as a whole, except a webhook `secret` left out, which is kept.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"label": "work phone"}))]
pub struct DestinationUpdate {
    pub label: Option<String>,
    /// Per medium, see `GET /api/v1/media`.
    #[schema(value_type = Option<Object>)]
    pub settings: Option<serde_json::Value>,
    pub enabled: Option<bool>,
}

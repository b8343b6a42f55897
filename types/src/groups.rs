use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use chrono::{DateTime, Utc};

/// A contact as a member of a group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct GroupMember {
    pub slug: String,
    pub name: String,
    pub enabled: bool,
}

/// An ordered list of contacts reached together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 1, "slug": "ops", "name": "Operations", "description": "", "enabled": true, "schedule": null, "members": [{"slug": "ana", "name": "Ana Lima", "enabled": true}], "created_at": "2026-11-23T08:00:00Z", "updated_at": "2026-11-23T08:00:00Z"}))]
pub struct Group {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub enabled: bool,
    /// Slug of the group's duty schedule; `null` = always on duty.
    pub schedule: Option<String>,
    /// Members in order (order matters for escalation).
    pub members: Vec<GroupMember>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"slug": "ops", "name": "Operations", "members": ["ana", "bob"]}))]
pub struct NewGroup {
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    /// Default `true`.
    pub enabled: Option<bool>,
    /// Slug of a duty schedule; default none (always on duty).
    pub schedule: Option<String>,
    /// Contact slugs, in order; default none.
    #[serde(default)]
    pub members: Vec<String>,
}

/// Changes to a group; absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"enabled": false}))]
pub struct GroupUpdate {
    pub slug: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
    /// Slug of the duty schedule; `""` removes it.
    pub schedule: Option<String>,
    /// When present, replaces the whole member list (in this order).
    pub members: Option<Vec<String>>,
}

/// The whole member list of a group, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"members": ["bob", "ana"]}))]
pub struct GroupMembers {
    pub members: Vec<String>,
}

/// A contact to add to a group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"contact": "ana", "position": 0}))]
pub struct AddMember {
    /// Contact slug.
    pub contact: String,
    /// 0-based place in the list; default at the end.
    pub position: Option<i64>,
}

/// Where to move a member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"position": 0}))]
pub struct MoveMember {
    /// 0-based place in the list; past the end means last.
    pub position: i64,
}

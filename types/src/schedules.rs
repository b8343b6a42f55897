use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use chrono::{DateTime, Utc};

/// Off or on duty whatever the windows say, from `from` (included) to `to`
/// (excluded): a holiday, leave, an extra shift.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"from": "2026-12-24T00:00:00Z", "to": "2026-12-27T00:00:00Z", "on_duty": false, "note": "Christmas"}))]
pub struct ScheduleException {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Default `false` (off duty).
    #[serde(default)]
    pub on_duty: bool,
    /// Default empty.
    #[serde(default)]
    pub note: String,
}

/// When someone takes notifications: weekly windows in a time zone, plus
/// dated exceptions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 1, "slug": "office", "name": "Office hours", "timezone": "Europe/Paris", "windows": ["MoTuWeThFr0900-1700"], "exceptions": [], "created_at": "2026-12-07T08:00:00Z", "updated_at": "2026-12-07T08:00:00Z"}))]
pub struct Schedule {
    pub id: i64,
    pub slug: String,
    pub name: String,
    /// IANA time zone the windows are read in.
    pub timezone: String,
    /// Weekly windows, OR'ed, as OpenNMS writes them (`MoTuWeThFr0900-1700`,
    /// both ends included; `Fr2200-0600` runs overnight).
    pub windows: Vec<String>,
    /// Where exceptions overlap, the one listed last wins.
    pub exceptions: Vec<ScheduleException>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"slug": "office", "name": "Office hours", "timezone": "Europe/Paris", "windows": ["MoTuWeThFr0900-1700"]}))]
pub struct NewSchedule {
    pub slug: String,
    pub name: String,
    /// IANA time zone name, e.g. `Europe/Paris`.
    pub timezone: String,
    /// Default none: off duty except in exceptions.
    #[serde(default)]
    pub windows: Vec<String>,
    #[serde(default)]
    pub exceptions: Vec<ScheduleException>,
}

/// Changes to a schedule; absent fields stay as they are, lists are replaced
/// whole.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"windows": ["MoTuWeThFr0800-1800"]}))]
pub struct ScheduleUpdate {
    pub slug: Option<String>,
    pub name: Option<String>,
    pub timezone: Option<String>,
    pub windows: Option<Vec<String>>,
    pub exceptions: Option<Vec<ScheduleException>>,
}

/// A stretch of duty, `from` included, `to` excluded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DutySpan {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// A schedule's duty over a range of time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"schedule": "office", "from": "2026-12-07T00:00:00Z", "to": "2026-12-08T00:00:00Z", "on_duty_at_from": false, "spans": [{"from": "2026-12-07T08:00:00Z", "to": "2026-12-07T16:01:00Z"}], "next_on_duty": "2026-12-07T08:00:00Z"}))]
pub struct ScheduleDuty {
    pub schedule: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Whether the schedule is on duty at `from`.
    pub on_duty_at_from: bool,
    /// The stretches of duty within the range, in order.
    pub spans: Vec<DutySpan>,
    /// The first instant at or after `from` that is on duty; `null` if never.
    pub next_on_duty: Option<DateTime<Utc>>,
}

/// The range of time to show duty for.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DutyRange {
    /// RFC 3339; default now.
    pub from: Option<DateTime<Utc>>,
    /// RFC 3339; default 7 days after `from`, at most 92 days after it.
    pub to: Option<DateTime<Utc>>,
}

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Fire an event: its templates are rendered with `args`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"args": {"host": "db1", "mount": "/var", "percent": 97}, "dedup_key": "db1:/var"}))]
pub struct FireRequest {
    /// Template variables.
    #[serde(default)]
    pub args: serde_json::Map<String, serde_json::Value>,
    /// While a notification of this event with the same key is open, a new fire
    /// attaches to it instead of paging everyone again.
    pub dedup_key: Option<String>,
}

/// Send a message straight to a contact or a group.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"message": "db1 is down", "subject": "Outage"}))]
pub struct NotifyRequest {
    pub message: String,
    pub subject: Option<String>,
}

/// A contact that was not sent to, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"contact": "bob", "reason": "destination_disabled", "path": "event disk-full → group ops → contact bob → sms +447700900123"}))]
pub struct SkippedContact {
    pub contact: String,
    /// `contact_disabled`, `group_disabled`, `destination_disabled`, `no_destination`, `duplicate`.
    pub reason: String,
    /// How the contact was reached: `event disk-full → group ops → contact bob`.
    pub path: String,
}

/// A fire or notify that was accepted: stored, with every delivery queued.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"notification_id": "4f9c2a1b7e3d4c5a8b6f0e1d2c3b4a59", "deliveries": 2, "skipped": [], "attached": false}))]
pub struct FireResponse {
    /// 32 lowercase hex.
    pub notification_id: String,
    /// How many deliveries were queued (0 when attached to an open notification).
    pub deliveries: i64,
    pub skipped: Vec<SkippedContact>,
    /// True when the dedup key matched an open notification, which was reused.
    pub attached: bool,
}

/// The 200 answer of a fire: attached to an open notification (`attached` is
/// true), or with `?dry_run=true` the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
#[schema(example = json!({"notification_id": "4f9c2a1b7e3d4c5a8b6f0e1d2c3b4a59", "deliveries": 0, "skipped": [], "attached": true}))]
pub enum FireOutcome {
    Attached(FireResponse),
    DryRun(DryRunResponse),
}

/// An SMS text with how it will be sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SmsPreview {
    pub text: String,
    /// `gsm7` or `ucs2`.
    pub encoding: String,
    pub segments: i64,
}

/// The rendered message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RenderedMessage {
    pub subject: String,
    pub body: String,
    pub sms: SmsPreview,
}

/// One delivery a fire would make.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PlannedRecipient {
    pub contact: String,
    pub destination_id: i64,
    pub medium: String,
    /// A secret URL is redacted as in `Destination.address`, here and in `path`.
    pub address: String,
    pub path: String,
}

/// What a fire would do, stored and sent nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"dry_run": true, "rendered": {"subject": "Disk full on db1", "body": "db1: /var is 97% full", "sms": {"text": "db1 disk 97%", "encoding": "gsm7", "segments": 1}}, "recipients": [{"contact": "ana", "destination_id": 7, "medium": "sms", "address": "+447700900123", "path": "event disk-full → group ops → contact ana → sms +447700900123"}], "skipped": [], "would_attach_to": null}))]
pub struct DryRunResponse {
    pub dry_run: bool,
    pub rendered: RenderedMessage,
    pub recipients: Vec<PlannedRecipient>,
    pub skipped: Vec<SkippedContact>,
    /// The open notification a real fire would attach to (same event and dedup key).
    pub would_attach_to: Option<String>,
}

/// One step in the life of a delivery or notification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TimelineEntry {
    pub at: DateTime<Utc>,
    /// `queued`, `sending`, `sent`, `delivered`, `error`, `retry`, `receipt`, `failed`, `expired`, `cancelled`, `read`, `acknowledged`, `resolved`…
    pub kind: String,
    pub detail: String,
}

/// One message to one destination.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Delivery {
    pub id: i64,
    pub contact: Option<String>,
    pub destination_id: Option<i64>,
    pub medium: String,
    /// A secret URL is redacted as in `Destination.address`, here, in `path`
    /// and in the timeline.
    pub address: String,
    pub path: String,
    /// `queued`, `sending`, `sent`, `delivered`, `failed`, `expired`, `cancelled`.
    pub status: String,
    pub attempts: i32,
    pub due_at: DateTime<Utc>,
    pub provider_message_id: Option<String>,
    pub last_error: Option<String>,
    /// The failed delivery this one replays.
    pub replay_of: Option<i64>,
    /// `page` (escalates; acknowledge and resolve stop it) or `notice` (sent
    /// whatever the notification's state).
    #[serde(default = "page")]
    pub kind: String,
    /// The provider that took the message (an SMS gateway), once one did: only
    /// its receipts move the delivery on.
    #[serde(default)]
    pub provider: Option<String>,
    pub timeline: Vec<TimelineEntry>,
}

fn page() -> String {
    "page".to_owned()
}

/// One firing, with who it reached.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "1c2e86001ca247c41b89b1754be2cc2d", "event": "disk-full", "target_kind": "event", "target": "disk-full",
    "severity": "warning", "subject": "Disk full on db1", "body": "db1: /var is 97% full", "sms_text": "db1: /var is 97% full",
    "args": {"host": "db1", "mount": "/var", "percent": 97}, "dedup_key": null, "state": "acknowledged",
    "raised_by": "operator:admin", "created_at": "2026-11-23T08:00:00Z",
    "acknowledged_at": "2026-11-23T08:02:10Z", "acknowledged_by": "operator:admin", "resolved_at": null, "resolved_by": null,
    "skipped": [], "counts": {"delivered": 1},
    "deliveries": [{
        "id": 1, "contact": "me", "destination_id": 1, "medium": "inbox", "address": "admin",
        "path": "event disk-full → contact me → inbox admin", "status": "delivered", "attempts": 1,
        "due_at": "2026-11-23T08:00:00Z", "provider_message_id": null, "last_error": null, "replay_of": null,
        "kind": "page", "provider": null,
        "timeline": [
            {"at": "2026-11-23T08:00:00Z", "kind": "queued", "detail": ""},
            {"at": "2026-11-23T08:00:00Z", "kind": "delivered", "detail": ""}
        ]
    }],
    "timeline": [{"at": "2026-11-23T08:02:10Z", "kind": "acknowledged", "detail": "by operator:admin"}]
}))]
pub struct Notification {
    /// 32 lowercase hex.
    pub id: String,
    pub event: Option<String>,
    /// `event`, `contact` or `group`.
    pub target_kind: String,
    pub target: String,
    pub severity: String,
    pub subject: String,
    pub body: String,
    pub sms_text: String,
    /// The template variables it was fired with.
    #[schema(value_type = Object)]
    pub args: serde_json::Value,
    pub dedup_key: Option<String>,
    /// `open`, `acknowledged`, `resolved`.
    pub state: String,
    /// `operator:<name>` or `key:<prefix>`.
    pub raised_by: String,
    pub created_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub resolved_by: Option<String>,
    pub skipped: Vec<SkippedContact>,
    /// Deliveries per status.
    pub counts: std::collections::BTreeMap<String, i64>,
    /// Every delivery with its timeline (only when reading one notification).
    pub deliveries: Vec<Delivery>,
    /// Notification-level timeline: acknowledged, resolved, attached fires.
    pub timeline: Vec<TimelineEntry>,
}

/// Filters of the notification list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NotificationQuery {
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<i64>,
    /// How many to skip (default 0).
    pub offset: Option<i64>,
    /// `open`, `acknowledged` or `resolved`.
    pub state: Option<String>,
    /// Event slug.
    pub event: Option<String>,
    /// Only notifications created at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only notifications created before this time.
    pub until: Option<DateTime<Utc>>,
}

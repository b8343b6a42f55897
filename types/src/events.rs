use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use chrono::{DateTime, Utc};

/// How bad it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    #[default]
    Warning,
    Minor,
    Major,
    Critical,
}

/// How argument values are escaped when rendered into the templates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Escaping {
    /// Values are inserted as they are.
    #[default]
    None,
    /// `& < > " '` become entities, as RedFlash did.
    Html,
}

/// Who an event reaches.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventTargets {
    /// Contact slugs.
    #[serde(default)]
    pub contacts: Vec<String>,
    /// Group slugs.
    #[serde(default)]
    pub groups: Vec<String>,
}

/// The message templates of an event (minijinja syntax, arguments as variables).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventTemplates {
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub body: String,
    /// Short text for SMS; the body is used when empty.
    #[serde(default)]
    pub sms: String,
}

/// A named, reusable notification definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 1, "slug": "disk-full", "name": "Disk full", "description": "", "enabled": true, "severity": "major", "targets": {"contacts": [], "groups": ["ops"]}, "templates": {"subject": "Disk full on {{ host }}", "body": "{{ host }}: {{ mount }} is {{ percent }}% full", "sms": "{{ host }} disk {{ percent }}%"}, "escape": "none", "uei": null, "created_at": "2026-11-23T08:00:00Z", "updated_at": "2026-11-23T08:00:00Z"}))]
pub struct Event {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub enabled: bool,
    pub severity: Severity,
    pub targets: EventTargets,
    pub templates: EventTemplates,
    pub escape: Escaping,
    /// Event identifier matched by generic ingest, if any.
    pub uei: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"slug": "disk-full", "name": "Disk full", "severity": "major", "targets": {"groups": ["ops"]}, "templates": {"subject": "Disk full on {{ host }}", "body": "{{ host }}: {{ mount }} is {{ percent }}% full", "sms": "{{ host }} disk {{ percent }}%"}}))]
pub struct NewEvent {
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    /// Default `true`.
    pub enabled: Option<bool>,
    /// Default `warning`.
    pub severity: Option<Severity>,
    #[serde(default)]
    pub targets: EventTargets,
    #[serde(default)]
    pub templates: EventTemplates,
    /// Default `none`.
    pub escape: Option<Escaping>,
    pub uei: Option<String>,
}

/// Changes to an event; absent fields stay as they are, `targets` and `templates`
/// are replaced as a whole when present.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"enabled": false}))]
pub struct EventUpdate {
    pub slug: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
    pub severity: Option<Severity>,
    pub targets: Option<EventTargets>,
    pub templates: Option<EventTemplates>,
    pub escape: Option<Escaping>,
    /// `""` removes the UEI.
    pub uei: Option<String>,
}

/// The variables an event's templates use: what a fire's `args` should hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"variables": ["host", "mount", "percent"]}))]
pub struct EventVariables {
    /// Top-level names used by the subject, body and SMS templates, sorted,
    /// each once. Loop variables and the sandbox's functions are left out.
    pub variables: Vec<String>,
}

/// Templates to try before saving them, with sample arguments.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"templates": {"subject": "Disk full on {{ host }}", "body": "{{ host }}: {{ mount }} is {{ percent }}% full"}, "escape": "none", "args": {"host": "db1", "mount": "/var", "percent": 97}}))]
pub struct TemplatePreviewRequest {
    #[serde(default)]
    pub templates: EventTemplates,
    /// Default `none`.
    pub escape: Option<Escaping>,
    /// Sample values for the variables.
    #[serde(default)]
    pub args: serde_json::Map<String, serde_json::Value>,
}

/// What is wrong with one template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TemplateProblem {
    /// `templates.subject`, `templates.body` or `templates.sms`.
    pub field: String,
    /// What the engine says, with the line where it knows it.
    pub message: String,
}

/// How templates render with sample arguments, or what is wrong with them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"rendered": {"subject": "Disk full on db1", "body": "db1: /var is 97% full", "sms": {"text": "db1: /var is 97% full", "encoding": "gsm7", "segments": 1}}, "variables": ["host", "mount", "percent"], "errors": []}))]
pub struct TemplatePreview {
    /// The message, when every template renders (`null` otherwise).
    pub rendered: Option<crate::RenderedMessage>,
    /// Variables the templates use (of those that compile), sorted, each once.
    pub variables: Vec<String>,
    /// One entry per template that does not compile or render.
    pub errors: Vec<TemplateProblem>,
}

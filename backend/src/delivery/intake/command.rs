//! What a fire carries into the fire path, whoever sent it: every ingest
//! adapter (`crate::ingest`) turns its request into one [`FireCommand`].

use tocsin_types::FireResponse;

use crate::domain::audit::Actor;
use crate::domain::render::RenderError;
use crate::store::StoreError;

/// What is being fired. Also the key a plan is kept under.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FireTarget {
    Event(String),
    Contact(String),
    Group(String),
}

/// What a fire brings besides its target.
#[derive(Debug, Clone)]
pub enum FireContent {
    /// An event's template arguments, and the key that makes a repeat attach to
    /// the event's open notification instead of paging again.
    Event { args: serde_json::Map<String, serde_json::Value>, dedup_key: Option<String> },
    /// A message the caller wrote, sent as it is to a contact or a group.
    Direct { subject: String, message: String },
}

/// A fire as an ingest adapter hands it over, already authenticated.
#[derive(Debug, Clone)]
pub struct FireCommand {
    pub target: FireTarget,
    pub content: FireContent,
    pub raised_by: Actor,
    pub idempotency: Option<IdempotencyKey>,
}

impl FireCommand {
    /// Fires the event `slug` with template arguments.
    pub fn event(
        slug: String,
        args: serde_json::Map<String, serde_json::Value>,
        dedup_key: Option<String>,
        raised_by: Actor,
    ) -> Self {
        Self {
            target: FireTarget::Event(slug),
            content: FireContent::Event { args, dedup_key },
            raised_by,
            idempotency: None,
        }
    }

    /// Sends `message` to a contact or a group (`to` is never an event: an
    /// event renders its own templates).
    pub fn direct(to: FireTarget, subject: String, message: String, raised_by: Actor) -> Self {
        Self { target: to, content: FireContent::Direct { subject, message }, raised_by, idempotency: None }
    }

    /// The same fire, made safe to retry under `key`.
    pub fn with_idempotency(self, key: Option<IdempotencyKey>) -> Self {
        Self { idempotency: key, ..self }
    }

    pub fn dedup_key(&self) -> Option<&str> {
        match &self.content {
            FireContent::Event { dedup_key, .. } => dedup_key.as_deref(),
            FireContent::Direct { .. } => None,
        }
    }

    /// The template arguments as stored with the notification (`{}` for a
    /// direct message).
    pub fn args_json(&self) -> String {
        match &self.content {
            FireContent::Event { args, .. } => serde_json::to_string(args).unwrap_or_else(|_| "{}".into()),
            FireContent::Direct { .. } => "{}".into(),
        }
    }
}

/// An `Idempotency-Key` with the caller it is scoped to and a hash of the request.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    pub caller: String,
    pub key: String,
    pub request_hash: String,
}

/// Why a fire was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum FireError {
    #[error("{kind} '{slug}' not found")]
    NotFound { kind: &'static str, slug: String },
    #[error("{kind} '{slug}' is disabled")]
    Disabled { kind: &'static str, slug: String, name: String },
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error("Idempotency-Key '{0}' was already used with a different request")]
    IdempotencyMismatch(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a fire produced.
#[derive(Debug, Clone, PartialEq)]
pub enum Accepted {
    /// A new notification (201).
    Created(FireResponse),
    /// Attached to an open notification with the same dedup key (200).
    Attached(FireResponse),
    /// A retry with the same `Idempotency-Key`: the first answer, as it was.
    Replayed { status: u16, body: String },
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn only_an_event_fire_has_a_dedup_key_and_arguments() {
        let mut args = serde_json::Map::new();
        args.insert("host".into(), "db1".into());
        let event = FireCommand::event("disk".into(), args, Some("k".into()), Actor::operator("admin"));
        assert_eq!((event.dedup_key(), event.args_json().as_str()), (Some("k"), r#"{"host":"db1"}"#));
        let direct =
            FireCommand::direct(FireTarget::Contact("ana".into()), String::new(), "hi".into(), Actor::api_key("ab"));
        assert_eq!((direct.dedup_key(), direct.args_json().as_str()), (None, "{}"));
    }
}

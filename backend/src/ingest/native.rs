//! Tocsin's own fire API: a JSON body per target kind.

use tocsin_types::{FireRequest, NotifyRequest};

use crate::delivery::intake::{FireCommand, FireTarget};
use crate::domain::audit::Actor;
use crate::domain::ValidationError;

/// The longest direct message, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024;
/// The longest dedup key, in bytes.
pub const MAX_DEDUP_KEY_BYTES: usize = 255;

/// `POST /api/v1/events/{slug}/fire`.
pub fn event(slug: String, body: FireRequest, raised_by: Actor) -> Result<FireCommand, ValidationError> {
    if let Some(key) = &body.dedup_key {
        if key.is_empty() || key.len() > MAX_DEDUP_KEY_BYTES {
            return Err(ValidationError::new("dedup_key", "must be 1 to 255 characters"));
        }
    }
    Ok(FireCommand::event(slug, body.args, body.dedup_key, raised_by))
}

/// `POST /api/v1/contacts/{slug}/notify` and `/api/v1/groups/{slug}/notify`.
pub fn notify(to: FireTarget, body: NotifyRequest, raised_by: Actor) -> Result<FireCommand, ValidationError> {
    if body.message.trim().is_empty() {
        return Err(ValidationError::new("message", "must not be empty"));
    }
    if body.message.len() > MAX_MESSAGE_BYTES {
        return Err(ValidationError::new("message", "must be at most 16384 bytes"));
    }
    Ok(FireCommand::direct(to, body.subject.unwrap_or_default(), body.message, raised_by))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::delivery::intake::FireContent;

    #[test]
    fn an_event_fire_carries_its_arguments_and_dedup_key() {
        let body: FireRequest = serde_json::from_str(r#"{"args":{"host":"db1"},"dedup_key":"db1"}"#).unwrap();
        let cmd = event("disk".into(), body, Actor::api_key("ab")).unwrap();
        assert_eq!(cmd.target, FireTarget::Event("disk".into()));
        assert_eq!((cmd.dedup_key(), cmd.args_json().as_str()), (Some("db1"), r#"{"host":"db1"}"#));
    }

    #[test]
    fn a_dedup_key_must_be_1_to_255_characters() {
        for key in [String::new(), "k".repeat(256)] {
            let body = FireRequest { dedup_key: Some(key), ..FireRequest::default() };
            assert_eq!(event("disk".into(), body, Actor::api_key("ab")).unwrap_err().field, "dedup_key");
        }
    }

    #[test]
    fn a_direct_message_must_have_text_and_fit() {
        let to = || FireTarget::Group("ops".into());
        for text in ["  ".to_owned(), "x".repeat(MAX_MESSAGE_BYTES + 1)] {
            let body = NotifyRequest { message: text, subject: None };
            assert_eq!(notify(to(), body, Actor::api_key("ab")).unwrap_err().field, "message");
        }
        let body = NotifyRequest { message: "db1 down".into(), subject: Some("Down".into()) };
        let cmd = notify(to(), body, Actor::api_key("ab")).unwrap();
        assert!(
            matches!(&cmd.content, FireContent::Direct { subject, message } if subject == "Down" && message == "db1 down")
        );
    }
}

//! Reading providers' answers: what every provider file shares.

use serde_json::Value;

use crate::delivery::message::Outcome;
use crate::delivery::outbound::HttpReply;

/// Longest excerpt of a provider's answer kept in an error message.
const EXCERPT_CHARS: usize = 200;

pub(super) fn is_success(reply: &HttpReply) -> bool {
    (200..=299).contains(&reply.status)
}

/// A success status with a body we cannot read: the message may or may not
/// have been taken. Retrying risks a duplicate, failing risks a lost alert;
/// for alerts the duplicate is the lesser evil.
pub(super) fn unexpected(reply: &HttpReply) -> Outcome {
    Outcome::Retry {
        error: format!("HTTP {} with an unexpected answer: {}", reply.status, excerpt(&reply.body)),
        after: None,
    }
}

/// A string or number field of a JSON object, as text.
pub(super) fn scalar(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A top-level string or number field of a JSON body, if not empty.
pub(super) fn json_str(body: &str, field: &str) -> Option<String> {
    let value: Value = serde_json::from_str(body).ok()?;
    scalar(value.get(field)).filter(|s| !s.is_empty())
}

/// Whitespace runs as one space.
pub(super) fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The start of `text`, collapsed, so a provider's long page does not bloat a delivery's history.
pub(super) fn excerpt(text: &str) -> String {
    let collapsed = collapse(text);
    let mut short: String = collapsed.chars().take(EXCERPT_CHARS).collect();
    if short.len() < collapsed.len() {
        short.push('…');
    }
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_collapsed_and_cut() {
        assert_eq!(excerpt(" a \n b "), "a b");
        assert_eq!(excerpt(&"é".repeat(300)), format!("{}…", "é".repeat(EXCERPT_CHARS)));
    }

    #[test]
    fn json_fields_are_read_as_text_when_strings_or_numbers() {
        assert_eq!(json_str(r#"{"id": 12}"#, "id").as_deref(), Some("12"));
        assert_eq!(json_str(r#"{"id": ""}"#, "id"), None);
        assert_eq!(json_str(r#"{"id": true}"#, "id"), None);
        assert_eq!(json_str("not json", "id"), None);
    }
}

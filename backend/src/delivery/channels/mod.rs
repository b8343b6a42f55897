//! The channels, one file per medium (or family of media), the [`Channel`]
//! trait they implement, the registry that lists them, and the mapping of
//! HTTP answers to delivery outcomes they share.

pub mod chat;
pub mod email;
pub mod inbox;
pub mod registry;
pub mod sms;
pub mod webhook;

use futures_util::future::BoxFuture;

use super::message::{Outcome, OutgoingMessage};
use super::outbound::{HttpReply, OutboundError};

/// Sends messages of the media it is registered for (`registry.rs`); the
/// registry routes only those to it, so a channel need not check the medium.
pub trait Channel: Send + Sync {
    fn send<'a>(&'a self, msg: &'a OutgoingMessage) -> BoxFuture<'a, Outcome>;
}

/// Longest excerpt of a receiver's response body kept in an error message.
const EXCERPT_CHARS: usize = 200;

/// 2xx → Delivered; 408, 425, 429, 5xx → Retry (with Retry-After seconds if given); other statuses (incl. 3xx) → Failed; connect/timeout errors → Retry; a refused address or invalid URL → Failed.
pub fn classify(reply: Result<&HttpReply, &OutboundError>) -> Outcome {
    match reply {
        Ok(reply) => match reply.status {
            200..=299 => Outcome::Delivered { provider_id: None, detail: format!("HTTP {}", reply.status) },
            408 | 425 | 429 | 500..=599 => Outcome::Retry { error: http_error(reply), after: reply.retry_after },
            // Redirects are not followed (the target would be unchecked), so
            // a 3xx can only be fixed by correcting the URL.
            _ => Outcome::Failed { error: http_error(reply) },
        },
        Err(
            err @ (OutboundError::Refused(_)
            | OutboundError::InvalidUrl(_)
            | OutboundError::InvalidRequest(_)
            | OutboundError::Client(_)),
        ) => Outcome::Failed { error: err.to_string() },
        Err(err @ (OutboundError::Timeout(_) | OutboundError::Connect(_) | OutboundError::Transport(_))) => {
            Outcome::Retry { error: err.to_string(), after: None }
        }
    }
}

/// "HTTP 404: <start of the body>", so operators see the receiver's reason
/// (Slack, for one, answers `invalid_token` or `channel_not_found`).
fn http_error(reply: &HttpReply) -> String {
    let collapsed = reply.body.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.is_empty() {
        return format!("HTTP {}", reply.status);
    }
    let mut excerpt: String = collapsed.chars().take(EXCERPT_CHARS).collect();
    if excerpt.len() < collapsed.len() {
        excerpt.push('…');
    }
    format!("HTTP {}: {excerpt}", reply.status)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
pub(crate) mod tests {
    use std::time::Duration;

    use chrono::{TimeZone, Utc};
    use serde_json::Value;

    use super::*;
    use crate::delivery::message::OutgoingMessage;
    use crate::delivery::outbound::{OutboundClient, OutboundPolicy};
    use crate::domain::media::Medium;

    /// A client that may reach the loopback fakes.
    pub(crate) fn loopback_client(timeout: Duration) -> OutboundClient {
        let policy = OutboundPolicy::parse(&["127.0.0.0/8".to_owned()]).unwrap();
        OutboundClient::new(policy, timeout).unwrap()
    }

    /// A typical message for `medium` to `address`.
    pub(crate) fn message(medium: Medium, address: &str, settings: Value) -> OutgoingMessage {
        OutgoingMessage {
            delivery_id: 42,
            notification_id: "0123456789abcdef0123456789abcdef".to_owned(),
            medium,
            address: address.to_owned(),
            settings,
            event: Some("disk.full".to_owned()),
            severity: "critical".to_owned(),
            subject: "Disk full".to_owned(),
            body: "db-1: /var is 98% full".to_owned(),
            sms_text: "db-1 disk full".to_owned(),
            attempt: 1,
            created_at: Utc.with_ymd_and_hms(2025, 3, 4, 5, 6, 7).unwrap(),
        }
    }

    fn reply(status: u16, retry_after: Option<u64>, body: &str) -> HttpReply {
        HttpReply { status, retry_after: retry_after.map(Duration::from_secs), body: body.to_owned() }
    }

    #[test]
    fn success_statuses_are_delivered_with_the_status_as_detail() {
        for status in [200, 201, 202, 204, 299] {
            assert_eq!(
                classify(Ok(&reply(status, None, "ok"))),
                Outcome::Delivered { provider_id: None, detail: format!("HTTP {status}") }
            );
        }
    }

    #[test]
    fn transient_statuses_are_retried_after_the_receivers_delay() {
        for status in [408, 425, 429, 500, 502, 503, 504, 599] {
            assert_eq!(
                classify(Ok(&reply(status, Some(7), ""))),
                Outcome::Retry { error: format!("HTTP {status}"), after: Some(Duration::from_secs(7)) }
            );
        }
        assert_eq!(
            classify(Ok(&reply(503, None, "down  for\nmaintenance"))),
            Outcome::Retry { error: "HTTP 503: down for maintenance".to_owned(), after: None }
        );
    }

    #[test]
    fn other_statuses_fail_for_good() {
        for status in [300, 301, 302, 304, 400, 401, 403, 404, 405, 410, 413, 422, 600] {
            assert!(matches!(classify(Ok(&reply(status, Some(7), ""))), Outcome::Failed { .. }), "{status}");
        }
        assert_eq!(
            classify(Ok(&reply(404, None, "channel_not_found"))),
            Outcome::Failed { error: "HTTP 404: channel_not_found".to_owned() }
        );
    }

    #[test]
    fn long_response_bodies_are_cut_in_error_messages() {
        let Outcome::Failed { error } = classify(Ok(&reply(400, None, &"é".repeat(1000)))) else { panic!() };
        assert_eq!(error, format!("HTTP 400: {}…", "é".repeat(EXCERPT_CHARS)));
    }

    #[test]
    fn transport_errors_are_retried_and_refusals_fail() {
        for err in [
            OutboundError::Timeout("t".into()),
            OutboundError::Connect("c".into()),
            OutboundError::Transport("x".into()),
        ] {
            assert_eq!(classify(Err(&err)), Outcome::Retry { error: err.to_string(), after: None });
        }
        for err in [
            OutboundError::Refused("127.0.0.1".into()),
            OutboundError::InvalidUrl("u".into()),
            OutboundError::InvalidRequest("r".into()),
            OutboundError::Client("c".into()),
        ] {
            assert_eq!(classify(Err(&err)), Outcome::Failed { error: err.to_string() });
        }
    }
}

//! Chat incoming webhooks: Slack, and Microsoft Teams through a Workflows
//! ("Post to a channel when a webhook request is received") URL.

use serde_json::{json, Value};

use super::classify;
use crate::delivery::message::{Outcome, OutgoingMessage};
use crate::delivery::outbound::OutboundClient;
use crate::domain::media::Medium;

/// Delivers [`Medium::Slack`] and [`Medium::Teams`] messages.
#[derive(Debug, Clone)]
pub struct ChatChannel {
    client: OutboundClient,
}

impl ChatChannel {
    /// A channel sending through `client`, which enforces the outbound policy.
    pub fn new(client: OutboundClient) -> Self {
        Self { client }
    }

    /// POSTs `msg` to its webhook URL (`msg.address`) in the medium's format.
    pub async fn send(&self, msg: &OutgoingMessage) -> Outcome {
        let payload = match msg.medium {
            Medium::Slack => slack_payload(&msg.subject, &msg.body),
            Medium::Teams => teams_payload(&msg.subject, &msg.body),
            other => return Outcome::Failed { error: format!("the chat channel cannot deliver {other} messages") },
        };
        // Serialising a `Value` cannot fail; the bytes are those of `to_string`.
        let body = payload.to_string().into_bytes();
        classify(self.client.post(&msg.address, &[], "application/json", body).await.as_ref())
    }
}

/// `{"text": "*subject*\nbody"}`, subject line omitted when empty.
fn slack_payload(subject: &str, body: &str) -> Value {
    let text = if subject.trim().is_empty() {
        slack_escape(body)
    } else {
        format!("*{}*\n{}", slack_escape(subject), slack_escape(body))
    };
    json!({ "text": text })
}

/// Slack reads `<...>` as links and mentions (`<!channel>`), so the three
/// control characters it documents are escaped; notification text is shown
/// as written and cannot ping a whole channel.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// A message with one Adaptive Card: bold subject (omitted when empty), then the body.
fn teams_payload(subject: &str, body: &str) -> Value {
    let mut blocks = Vec::with_capacity(2);
    if !subject.trim().is_empty() {
        blocks.push(json!({"type": "TextBlock", "text": subject, "weight": "Bolder", "size": "Medium", "wrap": true}));
    }
    blocks.push(json!({"type": "TextBlock", "text": body, "wrap": true}));
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": blocks
            }
        }]
    })
}

impl crate::delivery::channels::Channel for ChatChannel {
    fn send<'a>(&'a self, msg: &'a OutgoingMessage) -> futures_util::future::BoxFuture<'a, Outcome> {
        Box::pin(ChatChannel::send(self, msg))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::delivery::channels::tests::{loopback_client, message};
    use crate::delivery::fake_http::{FakeServer, Reply};
    use crate::delivery::outbound::OutboundPolicy;

    fn channel() -> ChatChannel {
        ChatChannel::new(loopback_client(Duration::from_secs(10)))
    }

    fn sent_json(server: &FakeServer) -> Value {
        let requests = server.requests();
        assert_eq!(requests.len(), 1);
        let request = &requests[0];
        assert_eq!(request.method, "POST");
        assert_eq!(request.header("content-type"), Some("application/json"));
        serde_json::from_slice(&request.body).unwrap()
    }

    #[tokio::test]
    async fn slack_gets_a_bold_subject_line_above_the_body() {
        let server = FakeServer::start(Reply::status(200).body("ok")).await;
        let msg = message(Medium::Slack, &server.url("/services/T0/B0/xyz"), json!({}));
        assert_eq!(channel().send(&msg).await, Outcome::Delivered { provider_id: None, detail: "HTTP 200".to_owned() });
        assert_eq!(server.requests()[0].path, "/services/T0/B0/xyz");
        assert_eq!(sent_json(&server), json!({"text": "*Disk full*\ndb-1: /var is 98% full"}));
    }

    #[tokio::test]
    async fn slack_gets_only_the_body_when_the_subject_is_empty_and_markup_is_escaped() {
        let server = FakeServer::start(Reply::status(200)).await;
        let mut msg = message(Medium::Slack, &server.url("/"), json!({}));
        msg.subject = String::new();
        msg.body = "<!channel> a & b > c".to_owned();
        channel().send(&msg).await;
        assert_eq!(sent_json(&server), json!({"text": "&lt;!channel&gt; a &amp; b &gt; c"}));
    }

    #[tokio::test]
    async fn teams_gets_an_adaptive_card_and_accepted_counts_as_delivered() {
        let server = FakeServer::start(Reply::status(202)).await;
        let msg = message(Medium::Teams, &server.url("/workflows/abc?sig=s"), json!({}));
        assert_eq!(channel().send(&msg).await, Outcome::Delivered { provider_id: None, detail: "HTTP 202".to_owned() });
        assert_eq!(server.requests()[0].path, "/workflows/abc?sig=s");
        assert_eq!(
            sent_json(&server),
            json!({
                "type": "message",
                "attachments": [{
                    "contentType": "application/vnd.microsoft.card.adaptive",
                    "contentUrl": null,
                    "content": {
                        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                        "type": "AdaptiveCard",
                        "version": "1.4",
                        "body": [
                            {"type": "TextBlock", "text": "Disk full", "weight": "Bolder", "size": "Medium", "wrap": true},
                            {"type": "TextBlock", "text": "db-1: /var is 98% full", "wrap": true}
                        ]
                    }
                }]
            })
        );
    }

    #[tokio::test]
    async fn teams_gets_only_the_body_block_when_the_subject_is_empty() {
        let server = FakeServer::start(Reply::status(202)).await;
        let mut msg = message(Medium::Teams, &server.url("/"), json!({}));
        msg.subject = String::new();
        channel().send(&msg).await;
        assert_eq!(
            sent_json(&server)["attachments"][0]["content"]["body"],
            json!([{"type": "TextBlock", "text": "db-1: /var is 98% full", "wrap": true}])
        );
    }

    #[tokio::test]
    async fn chat_answers_are_classified_like_webhooks() {
        let cases = [
            (Reply::status(500), Outcome::Retry { error: "HTTP 500".to_owned(), after: None }),
            (
                Reply::status(429).header("retry-after", "7"),
                Outcome::Retry { error: "HTTP 429".to_owned(), after: Some(Duration::from_secs(7)) },
            ),
            (
                Reply::status(400).body("invalid_payload"),
                Outcome::Failed { error: "HTTP 400: invalid_payload".to_owned() },
            ),
            (
                Reply::status(410).body("channel_is_archived"),
                Outcome::Failed { error: "HTTP 410: channel_is_archived".to_owned() },
            ),
        ];
        for (reply, expected) in cases {
            let server = FakeServer::start(reply).await;
            for medium in [Medium::Slack, Medium::Teams] {
                assert_eq!(channel().send(&message(medium, &server.url("/"), json!({}))).await, expected, "{medium}");
            }
        }
    }

    #[tokio::test]
    async fn a_chat_receiver_that_never_answers_is_retried() {
        let server = FakeServer::start(Reply::Stall).await;
        let channel = ChatChannel::new(loopback_client(Duration::from_millis(300)));
        let outcome = channel.send(&message(Medium::Teams, &server.url("/"), json!({}))).await;
        assert!(
            matches!(&outcome, Outcome::Retry { error, after: None } if error.starts_with("timed out")),
            "{outcome:?}"
        );
    }

    #[tokio::test]
    async fn a_refused_chat_address_fails_without_a_request() {
        let server = FakeServer::start(Reply::status(200)).await;
        let client = OutboundClient::new(OutboundPolicy::default(), Duration::from_secs(10)).unwrap();
        let outcome = ChatChannel::new(client).send(&message(Medium::Slack, &server.url("/"), json!({}))).await;
        assert!(
            matches!(&outcome, Outcome::Failed { error } if error.starts_with("refused destination address")),
            "{outcome:?}"
        );
        assert_eq!(server.requests().len(), 0);
    }

    #[tokio::test]
    async fn other_media_are_not_sent_by_the_chat_channel() {
        let server = FakeServer::start(Reply::status(200)).await;
        for medium in [Medium::Webhook, Medium::Email, Medium::Sms, Medium::Inbox] {
            let outcome = channel().send(&message(medium, &server.url("/"), json!({}))).await;
            assert!(matches!(outcome, Outcome::Failed { .. }), "{medium}");
        }
        assert_eq!(server.requests().len(), 0);
    }
}

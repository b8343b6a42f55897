//! Generic webhooks: Tocsin's JSON payload signed per Standard Webhooks
//! (<https://www.standardwebhooks.com/>), or the legacy RedFlash form post.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use chrono::{SecondsFormat, Utc};
use hmac::{Hmac, Mac};
use serde::Serialize;
use serde_json::Value;
use sha2::Sha256;
use url::Url;

use super::classify;
use crate::delivery::message::{Outcome, OutgoingMessage};
use crate::delivery::outbound::{OutboundClient, OutboundError};

const SECRET_PREFIX: &str = "whsec_";

/// Delivers [`Medium::Webhook`](crate::domain::media::Medium::Webhook) messages.
#[derive(Debug, Clone)]
pub struct WebhookChannel {
    client: OutboundClient,
}

/// Payload layouts a webhook destination can choose with `settings.format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    RedFlash,
}

/// The settings `send` uses, read leniently enough for rows stored before
/// validation filled in the default format.
struct Settings<'a> {
    format: Format,
    secret: Option<&'a str>,
}

impl<'a> Settings<'a> {
    fn read(settings: &'a Value) -> Result<Self, String> {
        let format = match settings.get("format") {
            None | Some(Value::Null) => Format::Json,
            Some(Value::String(f)) if f == "json" => Format::Json,
            Some(Value::String(f)) if f == "redflash" => Format::RedFlash,
            Some(other) => return Err(format!("invalid webhook settings: unknown format {other}")),
        };
        let secret = match settings.get("secret") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.is_empty() => None,
            Some(Value::String(s)) => Some(s.as_str()),
            Some(_) => return Err("invalid webhook settings: secret must be a string".to_owned()),
        };
        Ok(Self { format, secret })
    }
}

/// Tocsin's JSON webhook body; field order is part of the documented format.
#[derive(Serialize)]
struct JsonPayload<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    notification_id: &'a str,
    delivery_id: i64,
    event: Option<&'a str>,
    severity: &'a str,
    subject: &'a str,
    body: &'a str,
    created_at: String,
}

impl WebhookChannel {
    /// A channel sending through `client`, which enforces the outbound policy.
    pub fn new(client: OutboundClient) -> Self {
        Self { client }
    }

    /// POSTs `msg` to its destination's URL (`msg.address`) in the configured
    /// format; signs it when the destination has a secret.
    pub async fn send(&self, msg: &OutgoingMessage) -> Outcome {
        let settings = match Settings::read(&msg.settings) {
            Ok(settings) => settings,
            Err(error) => return Outcome::Failed { error },
        };
        let prepared = match settings.format {
            Format::Json => json_request(msg),
            Format::RedFlash => redflash_request(msg),
        };
        let (url, content_type, body) = match prepared {
            Ok(prepared) => prepared,
            Err(err) => return classify(Err(&err)),
        };

        // The id is derived from the delivery, not the attempt, so receivers
        // can drop a retry of a message they already processed.
        let id = format!("dlv_{}", msg.delivery_id);
        let timestamp = Utc::now().timestamp();
        let mut headers = vec![("webhook-id", id.clone()), ("webhook-timestamp", timestamp.to_string())];
        if let Some(secret) = settings.secret {
            match sign(secret, &id, timestamp, &body) {
                Ok(signature) => headers.push(("webhook-signature", signature)),
                Err(error) => return Outcome::Failed { error: format!("invalid webhook settings: {error}") },
            }
        }
        classify(self.client.post(&url, &headers, content_type, body).await.as_ref())
    }
}

fn json_request(msg: &OutgoingMessage) -> Result<(String, &'static str, Vec<u8>), OutboundError> {
    let payload = JsonPayload {
        kind: "notification",
        notification_id: &msg.notification_id,
        delivery_id: msg.delivery_id,
        event: msg.event.as_deref(),
        severity: &msg.severity,
        subject: &msg.subject,
        body: &msg.body,
        created_at: msg.created_at.to_rfc3339_opts(SecondsFormat::AutoSi, true),
    };
    let body = serde_json::to_vec(&payload).map_err(|err| OutboundError::InvalidRequest(err.to_string()))?;
    Ok((msg.address.clone(), "application/json", body))
}

/// RedFlash receivers expect `<base URL>/<notification id>` and a form body.
fn redflash_request(msg: &OutgoingMessage) -> Result<(String, &'static str, Vec<u8>), OutboundError> {
    // Joined as a URL rather than as text so a query string stays after the path.
    let mut url = Url::parse(&msg.address).map_err(|err| OutboundError::InvalidUrl(err.to_string()))?;
    let path = format!("{}/{}", url.path().trim_end_matches('/'), msg.notification_id);
    url.set_path(&path);
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("notification_id", &msg.notification_id)
        .append_pair("message", &msg.body)
        .finish();
    Ok((url.into(), "application/x-www-form-urlencoded", body.into_bytes()))
}

/// Standard Webhooks signature of a payload: "v1,<base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}"))>"; the key is the base64-decoded part after "whsec_" when the secret has that prefix, else the secret's UTF-8 bytes.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Result<String, String> {
    let key = match secret.strip_prefix(SECRET_PREFIX) {
        // The decoder's message is left out: it would quote part of the secret.
        Some(encoded) => BASE64
            .decode(encoded)
            .map_err(|_| format!("the secret starts with {SECRET_PREFIX:?} but the rest is not valid base64"))?,
        None => secret.as_bytes().to_vec(),
    };
    if key.is_empty() {
        return Err("the signing secret is empty".to_owned());
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|err| err.to_string())?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(format!("v1,{}", BASE64.encode(mac.finalize().into_bytes())))
}

impl crate::delivery::channels::Channel for WebhookChannel {
    fn send<'a>(&'a self, msg: &'a OutgoingMessage) -> futures_util::future::BoxFuture<'a, Outcome> {
        Box::pin(WebhookChannel::send(self, msg))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::*;
    use crate::delivery::channels::tests::{loopback_client, message};
    use crate::delivery::fake_http::{FakeServer, Reply};
    use crate::delivery::outbound::OutboundPolicy;
    use crate::domain::media::Medium;

    const PATIENT: Duration = Duration::from_secs(10);
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    fn channel() -> WebhookChannel {
        WebhookChannel::new(loopback_client(PATIENT))
    }

    fn webhook(server: &FakeServer, path: &str, settings: Value) -> OutgoingMessage {
        message(Medium::Webhook, &server.url(path), settings)
    }

    #[test]
    fn sign_matches_the_standard_webhooks_reference_vector() {
        let signature = sign(SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, br#"{"test": 2432232314}"#);
        assert_eq!(signature.unwrap(), "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn sign_uses_a_secret_without_the_prefix_as_raw_bytes() {
        let raw = sign("plain-secret-of-20chr", "dlv_1", 1, b"{}").unwrap();
        let prefixed = sign(&format!("whsec_{}", BASE64.encode("plain-secret-of-20chr")), "dlv_1", 1, b"{}").unwrap();
        assert_eq!(raw, prefixed);
        assert_ne!(raw, sign("plain-secret-of-20chX", "dlv_1", 1, b"{}").unwrap());
    }

    #[test]
    fn sign_rejects_a_prefixed_secret_that_is_not_base64_without_quoting_it() {
        let err = sign("whsec_not*base64!", "dlv_1", 1, b"{}").unwrap_err();
        assert!(err.contains("not valid base64") && !err.contains("not*base64"), "{err}");
        assert!(sign("whsec_", "dlv_1", 1, b"{}").is_err());
    }

    #[tokio::test]
    async fn the_json_format_posts_the_documented_payload_and_headers() {
        let server = FakeServer::start(Reply::status(200)).await;
        let msg = webhook(&server, "/hooks/tocsin?k=v", json!({"url": "ignored", "format": "json"}));
        let before = Utc::now().timestamp();
        let outcome = channel().send(&msg).await;
        let after = Utc::now().timestamp();
        assert_eq!(outcome, Outcome::Delivered { provider_id: None, detail: "HTTP 200".to_owned() });

        let requests = server.requests();
        assert_eq!(requests.len(), 1);
        let request = &requests[0];
        assert_eq!((request.method.as_str(), request.path.as_str()), ("POST", "/hooks/tocsin?k=v"));
        assert_eq!(request.header("content-type"), Some("application/json"));
        assert_eq!(request.header("webhook-id"), Some("dlv_42"));
        let timestamp: i64 = request.header("webhook-timestamp").unwrap().parse().unwrap();
        assert!((before..=after).contains(&timestamp), "{timestamp}");
        assert_eq!(request.header("webhook-signature"), None);
        assert_eq!(
            request.body_text(),
            r#"{"type":"notification","notification_id":"0123456789abcdef0123456789abcdef","delivery_id":42,"event":"disk.full","severity":"critical","subject":"Disk full","body":"db-1: /var is 98% full","created_at":"2025-03-04T05:06:07Z"}"#
        );
    }

    #[tokio::test]
    async fn the_json_format_is_the_default_and_sends_a_missing_event_as_null() {
        let server = FakeServer::start(Reply::status(204)).await;
        let mut msg = webhook(&server, "/", json!({}));
        msg.event = None;
        assert!(matches!(channel().send(&msg).await, Outcome::Delivered { .. }));
        let body: Value = serde_json::from_slice(&server.requests()[0].body).unwrap();
        assert_eq!(body["event"], Value::Null);
        assert_eq!(body["type"], "notification");
    }

    #[tokio::test]
    async fn a_signed_payload_verifies_by_recomputing_the_signature() {
        let server = FakeServer::start(Reply::status(200)).await;
        let msg = webhook(&server, "/", json!({"format": "json", "secret": SECRET}));
        assert!(matches!(channel().send(&msg).await, Outcome::Delivered { .. }));

        // Verify as a receiver would, from nothing but what arrived.
        let request = &server.requests()[0];
        let id = request.header("webhook-id").unwrap();
        let timestamp = request.header("webhook-timestamp").unwrap();
        let key = BASE64.decode(SECRET.strip_prefix("whsec_").unwrap()).unwrap();
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
        mac.update(format!("{id}.{timestamp}.").as_bytes());
        mac.update(&request.body);
        let expected = format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()));
        assert_eq!(request.header("webhook-signature"), Some(expected.as_str()));
    }

    #[tokio::test]
    async fn every_attempt_of_a_delivery_carries_the_same_webhook_id() {
        let server = FakeServer::start(Reply::status(503)).await;
        let mut msg = webhook(&server, "/", json!({"secret": "a-plain-secret-123"}));
        assert!(matches!(channel().send(&msg).await, Outcome::Retry { .. }));
        msg.attempt = 2;
        assert!(matches!(channel().send(&msg).await, Outcome::Retry { .. }));
        let ids: Vec<String> = server.requests().iter().map(|r| r.header("webhook-id").unwrap().to_owned()).collect();
        assert_eq!(ids, ["dlv_42", "dlv_42"]);
    }

    #[tokio::test]
    async fn the_redflash_format_posts_a_form_to_the_notification_path() {
        let server = FakeServer::start(Reply::status(200)).await;
        let mut msg = webhook(&server, "/alerts/", json!({"format": "redflash"}));
        msg.body = "Disk 98% full & rising\nsee https://x.example/?a=b".to_owned();
        assert_eq!(channel().send(&msg).await, Outcome::Delivered { provider_id: None, detail: "HTTP 200".to_owned() });

        let request = &server.requests()[0];
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, "/alerts/0123456789abcdef0123456789abcdef");
        assert_eq!(request.header("content-type"), Some("application/x-www-form-urlencoded"));
        assert_eq!(
            request.body_text(),
            "notification_id=0123456789abcdef0123456789abcdef\
             &message=Disk+98%25+full+%26+rising%0Asee+https%3A%2F%2Fx.example%2F%3Fa%3Db"
        );
        let pairs: Vec<(String, String)> =
            url::form_urlencoded::parse(&request.body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        assert_eq!(pairs[1], ("message".to_owned(), msg.body.clone()));
    }

    #[tokio::test]
    async fn a_redflash_address_at_the_root_gets_the_id_as_its_only_segment() {
        let server = FakeServer::start(Reply::status(200)).await;
        let msg = webhook(&server, "", json!({"format": "redflash"}));
        channel().send(&msg).await;
        assert_eq!(server.requests()[0].path, "/0123456789abcdef0123456789abcdef");
    }

    #[tokio::test]
    async fn a_redflash_payload_is_signed_too_when_a_secret_is_set() {
        let server = FakeServer::start(Reply::status(200)).await;
        let msg = webhook(&server, "/rf", json!({"format": "redflash", "secret": SECRET}));
        channel().send(&msg).await;
        let request = &server.requests()[0];
        let timestamp: i64 = request.header("webhook-timestamp").unwrap().parse().unwrap();
        let expected = sign(SECRET, "dlv_42", timestamp, &request.body).unwrap();
        assert_eq!(request.header("webhook-signature"), Some(expected.as_str()));
    }

    #[tokio::test]
    async fn a_server_error_is_retried() {
        let server = FakeServer::start(Reply::status(500).body("boom")).await;
        let msg = webhook(&server, "/", json!({}));
        assert_eq!(channel().send(&msg).await, Outcome::Retry { error: "HTTP 500: boom".to_owned(), after: None });
    }

    #[tokio::test]
    async fn too_many_requests_is_retried_after_the_receivers_delay() {
        let server = FakeServer::start(Reply::status(429).header("Retry-After", "7")).await;
        let msg = webhook(&server, "/", json!({}));
        assert_eq!(
            channel().send(&msg).await,
            Outcome::Retry { error: "HTTP 429".to_owned(), after: Some(Duration::from_secs(7)) }
        );
    }

    #[tokio::test]
    async fn bad_request_and_gone_fail_for_good() {
        for status in [400, 410] {
            let server = FakeServer::start(Reply::status(status)).await;
            let msg = webhook(&server, "/", json!({}));
            assert_eq!(channel().send(&msg).await, Outcome::Failed { error: format!("HTTP {status}") });
        }
    }

    #[tokio::test]
    async fn a_receiver_that_never_answers_is_retried() {
        let server = FakeServer::start(Reply::Stall).await;
        let msg = webhook(&server, "/", json!({}));
        let channel = WebhookChannel::new(loopback_client(Duration::from_millis(300)));
        let outcome = channel.send(&msg).await;
        assert!(
            matches!(&outcome, Outcome::Retry { error, after: None } if error.starts_with("timed out")),
            "{outcome:?}"
        );
    }

    #[tokio::test]
    async fn a_refused_address_fails_without_a_request() {
        let server = FakeServer::start(Reply::status(200)).await;
        let msg = webhook(&server, "/", json!({}));
        let channel = WebhookChannel::new(OutboundClient::new(OutboundPolicy::default(), PATIENT).unwrap());
        let outcome = channel.send(&msg).await;
        assert!(
            matches!(&outcome, Outcome::Failed { error } if error.contains("refused destination address 127.0.0.1")),
            "{outcome:?}"
        );
        assert_eq!(server.requests().len(), 0);
    }

    #[tokio::test]
    async fn unusable_settings_fail_without_a_request() {
        let server = FakeServer::start(Reply::status(200)).await;
        for (settings, expected) in [
            (json!({"format": "xml"}), "unknown format \"xml\""),
            (json!({"format": 1}), "unknown format 1"),
            (json!({"secret": 5}), "secret must be a string"),
            (json!({"secret": "whsec_%%%"}), "not valid base64"),
        ] {
            let outcome = channel().send(&webhook(&server, "/", settings)).await;
            assert!(matches!(&outcome, Outcome::Failed { error } if error.contains(expected)), "{outcome:?}");
        }
        assert_eq!(server.requests().len(), 0);
    }
}

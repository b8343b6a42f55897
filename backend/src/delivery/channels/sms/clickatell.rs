//! Clickatell Platform (One API): JSON posted to `/messages` with the bare API
//! key in `Authorization`; callbacks on `/ack/` (unsigned: Clickatell does not
//! sign them, so only our signed reference or its own id can match one).

use std::collections::BTreeMap;

use chrono::DateTime;
use futures_util::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::answer::{excerpt, is_success, scalar, unexpected};
use super::{Gateway, Number, Setup, SmsProvider, Tools, JSON};
use crate::delivery::channels::classify;
use crate::delivery::message::{Outcome, OutgoingMessage};
use crate::delivery::outbound::HttpReply;
use crate::domain::lifecycle::{delivery_reference, is_our_reference};
use crate::domain::receipts::{field, shorten, Receipt, ReceiptMatch, ReceiptStatus};

/// Timestamps after this many seconds since the epoch (year 5138) are taken to
/// be milliseconds: Clickatell's older callbacks send seconds, the Platform
/// API's milliseconds.
const MILLISECONDS_FROM: i64 = 100_000_000_000;

/// Clickatell Platform API settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct ClickatellSettings {
    /// API base URL (default `https://platform.clickatell.com`).
    pub base_url: String,
    /// The integration's API key; never serialized or printed.
    #[serde(skip_serializing)]
    pub api_key: SecretString,
}

impl Default for ClickatellSettings {
    fn default() -> Self {
        Self { base_url: "https://platform.clickatell.com".to_owned(), api_key: SecretString::default() }
    }
}

/// Clickatell, ready to send.
pub(super) struct Clickatell {
    url: String,
    api_key: SecretString,
}

impl Clickatell {
    pub(super) fn prepare(settings: &ClickatellSettings, setup: &Setup) -> Result<Self, String> {
        Ok(Self {
            url: setup.endpoint(&settings.base_url, "/messages")?,
            api_key: setup.required("api_key", settings.api_key.expose_secret())?.into(),
        })
    }

    async fn post(&self, tools: &Tools, msg: &OutgoingMessage, number: &Number<'_>) -> Outcome {
        let payload = serde_json::json!({
            "content": msg.sms_text,
            "to": [number.digits],
            "clientMessageId": delivery_reference(&tools.keyring, msg.delivery_id),
        });
        let body = payload.to_string().into_bytes();
        // Clickatell takes the bare key, without a scheme, in Authorization.
        let headers = [("authorization", self.api_key.expose_secret().to_owned()), ("accept", JSON.to_owned())];
        match tools.outbound.post(&self.url, &headers, JSON, body).await {
            Ok(reply) if is_success(&reply) => outcome(&reply),
            Ok(reply) => error(&reply),
            Err(err) => classify(Err(&err)),
        }
    }
}

impl Gateway for Clickatell {
    fn provider(&self) -> SmsProvider {
        SmsProvider::Clickatell
    }

    fn send<'a>(
        &'a self,
        tools: &'a Tools,
        msg: &'a OutgoingMessage,
        number: &'a Number<'a>,
    ) -> BoxFuture<'a, Outcome> {
        Box::pin(self.post(tools, msg, number))
    }
}

/// A 2xx from Clickatell lists each recipient as accepted or not.
fn outcome(reply: &HttpReply) -> Outcome {
    let body: Option<Value> = serde_json::from_str(&reply.body).ok();
    let Some(first) = body.as_ref().and_then(|b| b.get("messages")).and_then(Value::as_array).and_then(|m| m.first())
    else {
        return unexpected(reply);
    };
    let id = scalar(first.get("apiMessageId")).filter(|id| !id.is_empty());
    match (first.get("accepted").and_then(Value::as_bool), id) {
        (Some(true), Some(id)) => Outcome::Sent {
            provider_id: Some(id.clone()),
            detail: format!("clickatell accepted, apiMessageId {id}"),
            via: None,
        },
        (Some(false), _) => Outcome::Failed { error: reason(first) },
        _ => unexpected(reply),
    }
}

/// Clickatell's error bodies have `errorCode`, `error` and `errorDescription`
/// at the top level (or per message).
fn error(reply: &HttpReply) -> Outcome {
    let body: Option<Value> = serde_json::from_str(&reply.body).ok();
    let holder = body.as_ref().and_then(|b| {
        if b.get("error").is_some_and(|e| !e.is_null()) {
            Some(b)
        } else {
            b.get("messages").and_then(Value::as_array).and_then(|m| m.first())
        }
    });
    let Some(holder) = holder else {
        return classify(Ok(reply));
    };
    let error = format!("HTTP {}: {}", reply.status, reason(holder));
    match classify(Ok(reply)) {
        Outcome::Retry { after, .. } => Outcome::Retry { error, after },
        _ => Outcome::Failed { error },
    }
}

fn reason(holder: &Value) -> String {
    let code = scalar(holder.get("errorCode"));
    let error = scalar(holder.get("error")).filter(|t| !t.is_empty());
    let description = scalar(holder.get("errorDescription")).filter(|t| !t.is_empty());
    let text = match (error, description) {
        (Some(error), Some(description)) if error != description => format!("{error} ({description})"),
        (Some(text), _) | (None, Some(text)) => text,
        (None, None) => String::new(),
    };
    match (code, text.is_empty()) {
        (Some(code), false) => format!("error {code}: {}", excerpt(&text)),
        (Some(code), true) => format!("error {code}"),
        (None, false) => excerpt(&text),
        (None, true) => "not accepted".to_owned(),
    }
}

/// Clickatell callback: apiMsgId, status (001…012), timestamp (unix seconds), charge. 004 → Delivered; 003/008/002/011 → Sent; 010 → Expired; 006 → Cancelled; 005/007/009/012 → Failed; 001 → Unknown.
///
/// Also reads the Platform API's callback (`messageId`, numeric `statusCode`,
/// `clientMessageId`, `timestamp` in milliseconds), since that is the API the
/// channel sends through; our reference in `clientMessageId` (or the older
/// `cliMsgId`) is preferred for matching. 014 (maximum MT limit exceeded)
/// fails too; other codes are `Unknown`.
pub fn parse_receipt(fields: &BTreeMap<String, String>) -> Option<Receipt> {
    let matches = match field(fields, "clientMessageId")
        .or_else(|| field(fields, "cliMsgId"))
        .filter(|r| is_our_reference(r))
    {
        Some(reference) => ReceiptMatch::Reference(shorten(reference)),
        None => ReceiptMatch::ProviderId(field(fields, "apiMsgId").or_else(|| field(fields, "messageId"))?.to_owned()),
    };
    // The Platform API's `status` is a word; its number is `statusCode`.
    let text = field(fields, "statusCode").or_else(|| field(fields, "status"))?;
    if text.len() > 3 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let code: u16 = text.parse().ok()?;
    let (status, meaning) = match code {
        1 => (ReceiptStatus::Unknown, "message unknown"),
        2 => (ReceiptStatus::Sent, "message queued"),
        3 => (ReceiptStatus::Sent, "delivered to gateway"),
        4 => (ReceiptStatus::Delivered, "received by recipient"),
        5 => (ReceiptStatus::Failed, "error with message"),
        6 => (ReceiptStatus::Cancelled, "user cancelled message delivery"),
        7 => (ReceiptStatus::Failed, "error delivering message"),
        8 => (ReceiptStatus::Sent, "message received by gateway"),
        9 => (ReceiptStatus::Failed, "routing error"),
        10 => (ReceiptStatus::Expired, "message expired"),
        11 => (ReceiptStatus::Sent, "message queued for later delivery"),
        12 => (ReceiptStatus::Failed, "out of credit"),
        14 => (ReceiptStatus::Failed, "maximum MT limit exceeded"),
        _ => (ReceiptStatus::Unknown, "unlisted status"),
    };
    let at = field(fields, "timestamp").and_then(|text| text.parse::<i64>().ok()).and_then(|stamp| {
        if stamp >= MILLISECONDS_FROM {
            DateTime::from_timestamp_millis(stamp)
        } else {
            DateTime::from_timestamp(stamp, 0)
        }
    });
    Some(Receipt { provider: "clickatell", matches, status, detail: format!("status {code:03}: {meaning}"), at })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use serde_json::{json, Value};

    use super::super::parse_ack;
    use super::super::test_support::*;
    use super::super::SmsProvider;
    use super::*;
    use crate::delivery::fake_http::{FakeServer, Reply};
    use crate::domain::receipts::fields_from_json;
    use chrono::{TimeZone, Utc};

    #[tokio::test]
    async fn clickatell_gets_the_api_key_header_and_a_json_body() {
        let body = r#"{"messages":[{"apiMessageId":"1d1a2b3c4d5e","accepted":true,"to":"447700900123","errorCode":null,"error":null,"errorDescription":null}],"errorCode":null,"error":null,"errorDescription":null}"#;
        let server = FakeServer::start(Reply::status(202).body(body)).await;
        let outcome = channel(&settings(SmsProvider::Clickatell, &server.url(""))).send(&sms()).await;
        assert_eq!(
            outcome,
            Outcome::Sent {
                provider_id: Some("1d1a2b3c4d5e".to_owned()),
                detail: "clickatell accepted, apiMessageId 1d1a2b3c4d5e".to_owned(),
                via: Some("clickatell"),
            }
        );
        let request = one_request(&server).await;
        assert_eq!((request.method.as_str(), request.path.as_str()), ("POST", "/messages"));
        assert_eq!(request.header("authorization"), Some("hunter2-clickatell"));
        assert_eq!(request.header("content-type"), Some(JSON));
        let payload: Value = serde_json::from_slice(&request.body).unwrap();
        assert_eq!(
            payload,
            json!({"content": "db-1 disk full", "to": ["447700900123"], "clientMessageId": reference_42()})
        );
    }

    #[tokio::test]
    async fn a_recipient_clickatell_did_not_accept_fails_with_its_error() {
        let body = r#"{"messages":[{"apiMessageId":"","accepted":false,"to":"447700900123","errorCode":105,"error":"Invalid destination address.","errorDescription":"The destination address you entered is not a valid phone number."}]}"#;
        let server = FakeServer::start(Reply::status(202).body(body)).await;
        let outcome = channel(&settings(SmsProvider::Clickatell, &server.url(""))).send(&sms()).await;
        assert_eq!(
            outcome,
            Outcome::Failed {
                error:
                    "clickatell: error 105: Invalid destination address. (The destination address you entered is not a \
                        valid phone number.)"
                        .to_owned()
            }
        );
    }

    #[tokio::test]
    async fn clickatell_http_errors_are_classified() {
        let body =
            r#"{"messages":[],"errorCode":1,"error":"Invalid or missing Integration API Key","errorDescription":null}"#;
        let server = FakeServer::start(Reply::status(401).body(body)).await;
        let outcome = channel(&settings(SmsProvider::Clickatell, &server.url(""))).send(&sms()).await;
        assert_eq!(
            outcome,
            Outcome::Failed {
                error: "clickatell: HTTP 401: error 1: Invalid or missing Integration API Key".to_owned()
            }
        );
        assert_no_secret(&outcome);

        let server = FakeServer::start(Reply::status(503)).await;
        let outcome = channel(&settings(SmsProvider::Clickatell, &server.url(""))).send(&sms()).await;
        assert_eq!(outcome, Outcome::Retry { error: "clickatell: HTTP 503".to_owned(), after: None });
    }

    #[test]
    fn every_clickatell_status_code_maps_as_documented() {
        let table = [
            ("001", ReceiptStatus::Unknown),
            ("002", ReceiptStatus::Sent),
            ("003", ReceiptStatus::Sent),
            ("004", ReceiptStatus::Delivered),
            ("005", ReceiptStatus::Failed),
            ("006", ReceiptStatus::Cancelled),
            ("007", ReceiptStatus::Failed),
            ("008", ReceiptStatus::Sent),
            ("009", ReceiptStatus::Failed),
            ("010", ReceiptStatus::Expired),
            ("011", ReceiptStatus::Sent),
            ("012", ReceiptStatus::Failed),
            ("014", ReceiptStatus::Failed),
            ("013", ReceiptStatus::Unknown),
        ];
        for (code, expected) in table {
            let map = fields(&[
                ("apiMsgId", "996f364775e24b8432f45d77da8eca47"),
                ("status", code),
                ("timestamp", "1218007814"),
            ]);
            let receipt = parse_receipt(&map).unwrap();
            assert_eq!(receipt.status, expected, "{code}");
            assert!(receipt.detail.starts_with(&format!("status {code}: ")), "{}", receipt.detail);
            assert_eq!(receipt.matches, ReceiptMatch::ProviderId("996f364775e24b8432f45d77da8eca47".to_owned()));
            assert_eq!(receipt.at, Some(Utc.timestamp_opt(1_218_007_814, 0).unwrap()));
            // Unpadded codes mean the same.
            let short = code.trim_start_matches('0');
            let map = fields(&[("apiMsgId", "a"), ("status", short)]);
            assert_eq!(parse_receipt(&map).unwrap().status, expected, "{short}");
        }
        let receipt = parse_receipt(&fields(&[("apiMsgId", "a"), ("status", "004")])).unwrap();
        assert_eq!(receipt.detail, "status 004: received by recipient");
    }

    #[test]
    fn a_clickatell_platform_callback_matches_our_client_message_id() {
        let body = br#"{"integrationName":"Tocsin","messageId":"1d1a2b3c","requestId":"r1","clientMessageId":"tocsin-42","to":"447700900123","from":"","statusCode":4,"status":"RECEIVED_BY_RECIPIENT","statusDescription":"Received by recipient","timestamp":1506607698000}"#;
        let map = fields_from_json(body).unwrap();
        let receipt = parse_ack(&map).unwrap();
        assert_eq!(
            receipt,
            Receipt {
                provider: "clickatell",
                matches: ReceiptMatch::Reference("tocsin-42".to_owned()),
                status: ReceiptStatus::Delivered,
                detail: "status 004: received by recipient".to_owned(),
                at: Some(Utc.timestamp_opt(1_506_607_698, 0).unwrap()),
            }
        );
        let map = fields(&[("apiMsgId", "a"), ("cliMsgId", "tocsin-7"), ("status", "010")]);
        assert_eq!(parse_receipt(&map).unwrap().matches, ReceiptMatch::Reference("tocsin-7".to_owned()));
    }

    #[test]
    fn malformed_clickatell_callbacks_are_none() {
        let cases = [
            fields(&[]),
            fields(&[("status", "004")]),
            fields(&[("apiMsgId", "a")]),
            fields(&[("apiMsgId", "a"), ("status", "abc")]),
            fields(&[("apiMsgId", "a"), ("status", "0004")]),
            fields(&[("apiMsgId", "a"), ("status", "-4")]),
            fields(&[("apiMsgId", "a"), ("status", "RECEIVED_BY_RECIPIENT")]),
        ];
        for map in cases {
            assert_eq!(parse_receipt(&map), None, "{map:?}");
        }
        let map = fields(&[("apiMsgId", "a"), ("status", "004"), ("timestamp", "never")]);
        assert_eq!(parse_receipt(&map).unwrap().at, None);
        let map = fields(&[("apiMsgId", "a"), ("status", "004"), ("timestamp", &i64::MAX.to_string())]);
        assert_eq!(parse_receipt(&map).unwrap().at, None);
    }
}

//! Twilio Programmable Messaging: a form post to the account's `Messages.json`
//! with basic auth; status callbacks on `/api/v1/receipts/twilio`, always
//! signed with the account's auth token (`X-Twilio-Signature`).

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use futures_util::future::BoxFuture;
use hmac::Hmac;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha1::Sha1;
use url::form_urlencoded;

use super::answer::{excerpt, is_success, json_str, scalar, unexpected};
use super::{Gateway, Number, Setup, SmsProvider, Tools, FORM, JSON};
use crate::delivery::channels::classify;
use crate::delivery::message::{Outcome, OutgoingMessage};
use crate::delivery::outbound::HttpReply;
use crate::domain::lifecycle::delivery_reference;
use crate::domain::receipts::{field, hmac_matches, shorten, Receipt, ReceiptMatch, ReceiptStatus};

/// Path of the Twilio status callback endpoint.
pub const RECEIPT_PATH: &str = "/api/v1/receipts/twilio";

/// Twilio Messages API settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct TwilioSettings {
    /// API base URL (default `https://api.twilio.com`).
    pub base_url: String,
    /// Account SID (`AC…`).
    pub account_sid: String,
    /// Auth token, also the key of the status callbacks' signatures; never serialized or printed.
    #[serde(skip_serializing)]
    pub auth_token: SecretString,
    /// A Twilio number or alphanumeric sender, or a Messaging Service SID (`MG…`);
    /// empty means the common `sender`.
    pub from: String,
}

impl Default for TwilioSettings {
    fn default() -> Self {
        Self {
            base_url: "https://api.twilio.com".to_owned(),
            account_sid: String::new(),
            auth_token: SecretString::default(),
            from: String::new(),
        }
    }
}

/// Twilio, ready to send.
pub(super) struct Twilio {
    url: String,
    /// The whole `Basic …` header value.
    authorization: SecretString,
    from: TwilioFrom,
    callback: Option<String>,
}

/// Twilio takes either a sender or a Messaging Service, in different fields.
enum TwilioFrom {
    Sender(String),
    MessagingService(String),
}

impl Twilio {
    pub(super) fn prepare(settings: &TwilioSettings, setup: &Setup) -> Result<Self, String> {
        let sid = setup.required("account_sid", &settings.account_sid)?;
        // The SID becomes part of the URL path.
        if !sid.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err("sms.twilio.account_sid must be letters and digits (AC…)".to_owned());
        }
        let token = setup.required("auth_token", settings.auth_token.expose_secret())?;
        let from = match settings.from.trim() {
            "" => TwilioFrom::Sender(setup.sender()?),
            sid if is_messaging_service(sid) => TwilioFrom::MessagingService(sid.to_owned()),
            from => TwilioFrom::Sender(from.to_owned()),
        };
        Ok(Self {
            url: setup.endpoint(&settings.base_url, &format!("/2010-04-01/Accounts/{sid}/Messages.json"))?,
            authorization: format!("Basic {}", BASE64.encode(format!("{sid}:{token}"))).into(),
            from,
            callback: setup.callback(RECEIPT_PATH),
        })
    }

    async fn post(&self, tools: &Tools, msg: &OutgoingMessage, number: &Number<'_>) -> Outcome {
        let body = {
            let mut form = form_urlencoded::Serializer::new(String::new());
            form.append_pair("To", number.e164);
            match &self.from {
                TwilioFrom::Sender(sender) => form.append_pair("From", sender),
                TwilioFrom::MessagingService(sid) => form.append_pair("MessagingServiceSid", sid),
            };
            form.append_pair("Body", &msg.sms_text);
            if let Some(callback) = &self.callback {
                // The reference rides in the callback URL, which Twilio signs.
                let reference = delivery_reference(&tools.keyring, msg.delivery_id);
                form.append_pair("StatusCallback", &format!("{callback}?ref={reference}"));
            }
            form.finish().into_bytes()
        };
        let headers = [("authorization", self.authorization.expose_secret().to_owned()), ("accept", JSON.to_owned())];
        match tools.outbound.post(&self.url, &headers, FORM, body).await {
            Ok(reply) if is_success(&reply) => match json_str(&reply.body, "sid") {
                Some(sid) => {
                    let status = json_str(&reply.body, "status").unwrap_or_else(|| "accepted".to_owned());
                    Outcome::Sent {
                        provider_id: Some(sid.clone()),
                        detail: format!("twilio {status}, sid {sid}"),
                        via: None,
                    }
                }
                None => unexpected(&reply),
            },
            Ok(reply) => error(&reply),
            Err(err) => classify(Err(&err)),
        }
    }
}

impl Gateway for Twilio {
    fn provider(&self) -> SmsProvider {
        SmsProvider::Twilio
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

/// Twilio Messaging Service SIDs are "MG" and 32 hex digits.
fn is_messaging_service(from: &str) -> bool {
    from.len() == 34 && from.starts_with("MG") && from[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// Twilio refusals carry `{"code": 21211, "message": "..."}`; 429 and 5xx
/// are retried like any HTTP receiver's, other 4xx fail.
fn error(reply: &HttpReply) -> Outcome {
    let body: Option<Value> = serde_json::from_str(&reply.body).ok();
    let code = body.as_ref().and_then(|b| scalar(b.get("code")));
    let message = body.as_ref().and_then(|b| scalar(b.get("message")));
    let Some(code) = code else {
        return classify(Ok(reply));
    };
    let error = format!("HTTP {}: error {code}: {}", reply.status, excerpt(message.as_deref().unwrap_or_default()))
        .trim_end_matches([':', ' '])
        .to_owned();
    match classify(Ok(reply)) {
        Outcome::Retry { after, .. } => Outcome::Retry { error, after },
        _ => Outcome::Failed { error },
    }
}

/// Twilio status callback: MessageSid, MessageStatus (queued, sending, sent, delivered, undelivered, failed, read, canceled), ErrorCode.
///
/// `read` counts as delivered (it comes after delivery); `accepted` and
/// `scheduled` as still on the way; other values are `Unknown`. Twilio sends
/// no time, so `at` is `None`. `reference` is the `ref` Tocsin put in the
/// message's `StatusCallback` URL, when it did.
pub fn parse_receipt(fields: &BTreeMap<String, String>, reference: Option<&str>) -> Option<Receipt> {
    let sid = field(fields, "MessageSid").or_else(|| field(fields, "SmsSid"))?;
    let text = field(fields, "MessageStatus").or_else(|| field(fields, "SmsStatus"))?.to_ascii_lowercase();
    let status = match text.as_str() {
        "delivered" | "read" => ReceiptStatus::Delivered,
        "queued" | "accepted" | "scheduled" | "sending" | "sent" => ReceiptStatus::Sent,
        "undelivered" | "failed" => ReceiptStatus::Failed,
        "canceled" => ReceiptStatus::Cancelled,
        _ => ReceiptStatus::Unknown,
    };
    let mut detail = shorten(&text);
    if let Some(code) = field(fields, "ErrorCode") {
        detail = format!("{detail}, error {}", shorten(code));
    }
    let matches = match reference.map(str::trim).filter(|r| !r.is_empty()) {
        Some(reference) => ReceiptMatch::Reference(shorten(reference)),
        None => ReceiptMatch::ProviderId(sid.to_owned()),
    };
    Some(Receipt { provider: "twilio", matches, status, detail, at: None })
}

/// X-Twilio-Signature check: base64(HMAC-SHA1(auth_token, full URL + each POST param name+value sorted by name)), constant-time compare.
///
/// `url` must be exactly the URL Twilio requested, query string included (the
/// configured public URL plus the callback path, not what a proxy forwarded).
/// An empty auth token never validates.
pub fn signature_valid(auth_token: &str, url: &str, params: &BTreeMap<String, String>, signature: &str) -> bool {
    if auth_token.is_empty() {
        return false;
    }
    let Ok(tag) = BASE64.decode(signature.trim()) else {
        return false;
    };
    // BTreeMap iterates in byte order of the names: Twilio's case-sensitive sort.
    let mut signed = url.as_bytes().to_vec();
    for (name, value) in params {
        signed.extend_from_slice(name.as_bytes());
        signed.extend_from_slice(value.as_bytes());
    }
    hmac_matches::<Hmac<Sha1>>(auth_token.as_bytes(), &signed, &tag)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::collections::BTreeMap;
    use std::time::Duration;

    use super::super::test_support::*;
    use super::super::SmsProvider;
    use super::*;
    use crate::delivery::fake_http::{FakeServer, Reply};
    use crate::domain::keyring::Keyring;
    use crate::domain::receipts::ReceiptTarget;

    #[tokio::test]
    async fn twilio_gets_basic_auth_and_a_form_with_the_status_callback() {
        let body = r#"{"sid":"SM0123456789abcdef0123456789abcdef","status":"queued","to":"+447700900123"}"#;
        let server = FakeServer::start(Reply::status(201).body(body)).await;
        let outcome = channel(&settings(SmsProvider::Twilio, &server.url(""))).send(&sms()).await;
        assert_eq!(
            outcome,
            Outcome::Sent {
                provider_id: Some("SM0123456789abcdef0123456789abcdef".to_owned()),
                detail: "twilio queued, sid SM0123456789abcdef0123456789abcdef".to_owned(),
                via: Some("twilio"),
            }
        );
        let request = one_request(&server).await;
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, format!("/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"));
        let expected_auth = format!("Basic {}", BASE64.encode(format!("{TWILIO_SID}:hunter2-twilio")));
        assert_eq!(request.header("authorization"), Some(expected_auth.as_str()));
        let fields = form(&request);
        assert_eq!(fields.len(), 4, "{fields:?}");
        assert_eq!(fields["To"], "+447700900123");
        assert_eq!(fields["From"], "+15005550006");
        assert_eq!(fields["Body"], "db-1 disk full");
        assert_eq!(
            fields["StatusCallback"],
            format!("https://tocsin.example.com/api/v1/receipts/twilio?ref={}", reference_42())
        );
    }

    #[tokio::test]
    async fn twilio_uses_a_messaging_service_or_the_common_sender_when_so_configured() {
        let body = r#"{"sid":"SM1","status":"accepted"}"#;
        let server = FakeServer::start(Reply::status(201).body(body)).await;
        let mut settings = settings(SmsProvider::Twilio, &server.url(""));
        settings.twilio.from = "MG0123456789abcdef0123456789abcdef".to_owned();
        assert!(matches!(channel(&settings).send(&sms()).await, Outcome::Sent { .. }));
        let fields = form(&one_request(&server).await);
        assert_eq!(fields["MessagingServiceSid"], "MG0123456789abcdef0123456789abcdef");
        assert!(!fields.contains_key("From"));

        let server = FakeServer::start(Reply::status(201).body(body)).await;
        settings.twilio.base_url = server.url("");
        settings.twilio.from = String::new();
        assert!(matches!(channel(&settings).send(&sms()).await, Outcome::Sent { .. }));
        assert_eq!(form(&one_request(&server).await)["From"], "Tocsin");
    }

    #[tokio::test]
    async fn twilio_rejections_fail_with_the_twilio_error_code() {
        let body = r#"{"code":21211,"message":"The 'To' number +447700900123 is not a valid phone number.","more_info":"https://www.twilio.com/docs/errors/21211","status":400}"#;
        let server = FakeServer::start(Reply::status(400).body(body)).await;
        let outcome = channel(&settings(SmsProvider::Twilio, &server.url(""))).send(&sms()).await;
        assert_eq!(
            outcome,
            Outcome::Failed {
                error: "twilio: HTTP 400: error 21211: The 'To' number +447700900123 is not a valid phone number."
                    .to_owned()
            }
        );

        let body = r#"{"code":20003,"message":"Authenticate","status":401}"#;
        let server = FakeServer::start(Reply::status(401).body(body)).await;
        let outcome = channel(&settings(SmsProvider::Twilio, &server.url(""))).send(&sms()).await;
        assert_eq!(outcome, Outcome::Failed { error: "twilio: HTTP 401: error 20003: Authenticate".to_owned() });
        assert_no_secret(&outcome);
    }

    #[tokio::test]
    async fn twilio_rate_limits_and_server_errors_are_retried() {
        let body = r#"{"code":20429,"message":"Too Many Requests","status":429}"#;
        let server = FakeServer::start(Reply::status(429).header("retry-after", "5").body(body)).await;
        let outcome = channel(&settings(SmsProvider::Twilio, &server.url(""))).send(&sms()).await;
        assert_eq!(
            outcome,
            Outcome::Retry {
                error: "twilio: HTTP 429: error 20429: Too Many Requests".to_owned(),
                after: Some(Duration::from_secs(5))
            }
        );

        let server = FakeServer::start(Reply::status(502).body("Bad Gateway")).await;
        let outcome = channel(&settings(SmsProvider::Twilio, &server.url(""))).send(&sms()).await;
        assert_eq!(outcome, Outcome::Retry { error: "twilio: HTTP 502: Bad Gateway".to_owned(), after: None });
    }

    #[test]
    fn every_twilio_message_status_maps_to_a_receipt_status() {
        let table = [
            ("queued", ReceiptStatus::Sent),
            ("accepted", ReceiptStatus::Sent),
            ("scheduled", ReceiptStatus::Sent),
            ("sending", ReceiptStatus::Sent),
            ("sent", ReceiptStatus::Sent),
            ("delivered", ReceiptStatus::Delivered),
            ("read", ReceiptStatus::Delivered),
            ("undelivered", ReceiptStatus::Failed),
            ("failed", ReceiptStatus::Failed),
            ("canceled", ReceiptStatus::Cancelled),
            ("receiving", ReceiptStatus::Unknown),
        ];
        for (text, expected) in table {
            let map =
                fields(&[("MessageSid", "SM1"), ("MessageStatus", text), ("AccountSid", "AC1"), ("ErrorCode", "")]);
            let receipt = parse_receipt(&map, None).unwrap();
            assert_eq!(
                receipt,
                Receipt {
                    provider: "twilio",
                    matches: ReceiptMatch::ProviderId("SM1".to_owned()),
                    status: expected,
                    detail: text.to_owned(),
                    at: None
                }
            );
        }
    }

    #[test]
    fn a_twilio_error_code_is_part_of_the_detail() {
        let map = fields(&[("MessageSid", "SM1"), ("MessageStatus", "undelivered"), ("ErrorCode", "30003")]);
        let receipt = parse_receipt(&map, None).unwrap();
        assert_eq!((receipt.status, receipt.detail.as_str()), (ReceiptStatus::Failed, "undelivered, error 30003"));
        // The older SmsSid/SmsStatus names are accepted too.
        let map = fields(&[("SmsSid", "SM2"), ("SmsStatus", "delivered")]);
        assert_eq!(parse_receipt(&map, None).unwrap().matches, ReceiptMatch::ProviderId("SM2".to_owned()));
    }

    #[test]
    fn malformed_twilio_callbacks_are_none() {
        for map in [
            fields(&[]),
            fields(&[("MessageSid", "SM1")]),
            fields(&[("MessageStatus", "delivered")]),
            fields(&[("MessageSid", " "), ("MessageStatus", "delivered")]),
        ] {
            assert_eq!(parse_receipt(&map, None), None, "{map:?}");
        }
    }

    fn twilio_example() -> BTreeMap<String, String> {
        fields(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+12349013030"),
            ("Digits", "1234"),
            ("From", "+12349013030"),
            ("To", "+18005551212"),
        ])
    }

    const TWILIO_URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";

    #[test]
    fn twilios_documented_signature_examples_validate() {
        assert!(signature_valid("12345", TWILIO_URL, &twilio_example(), "0/KCTR6DLpKmkAf8muzZqo1nDgQ="));
        let mut newer = twilio_example();
        newer.insert("Caller".to_owned(), "+14158675310".to_owned());
        newer.insert("From".to_owned(), "+14158675310".to_owned());
        assert!(signature_valid("12345", TWILIO_URL, &newer, "GvWf1cFY/Q7PnoempGyD5oXAezc="));
    }

    #[test]
    fn a_twilio_signature_fails_for_any_change_or_garbage() {
        let good = "0/KCTR6DLpKmkAf8muzZqo1nDgQ=";
        assert!(!signature_valid("12346", TWILIO_URL, &twilio_example(), good));
        assert!(!signature_valid("12345", "https://mycompany.com/myapp.php?foo=1&bar=3", &twilio_example(), good));
        let mut changed = twilio_example();
        changed.insert("Digits".to_owned(), "1235".to_owned());
        assert!(!signature_valid("12345", TWILIO_URL, &changed, good));
        let mut extra = twilio_example();
        extra.insert("MessageStatus".to_owned(), "delivered".to_owned());
        assert!(!signature_valid("12345", TWILIO_URL, &extra, good));
        for bad in ["", "not base64!", "0/KCTR6DLpKmkAf8muzZqo1nDg", "AAAA"] {
            assert!(!signature_valid("12345", TWILIO_URL, &twilio_example(), bad), "{bad:?}");
        }
        assert!(!signature_valid("", TWILIO_URL, &twilio_example(), good));
    }

    #[test]
    fn a_twilio_receipt_is_matched_by_the_reference_in_its_callback_url() {
        let ring = Keyring::new(b"master");
        let good = crate::domain::lifecycle::delivery_reference(&ring, 9);
        let map = fields(&[("MessageSid", "SM1"), ("MessageStatus", "delivered")]);
        assert_eq!(parse_receipt(&map, Some(&good)).unwrap().target(&ring), Some(ReceiptTarget::Delivery(9)));
        assert_eq!(parse_receipt(&map, Some("tocsin-9-x")).unwrap().target(&ring), None);
        assert_eq!(parse_receipt(&map, None).unwrap().target(&ring), Some(ReceiptTarget::ProviderId("SM1".to_owned())));
    }
}

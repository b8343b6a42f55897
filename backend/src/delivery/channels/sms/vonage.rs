//! Vonage (formerly Nexmo) SMS API: a form post to `/sms/json`, answered
//! per message part; delivery receipts on `/ack/` or `/api/v1/receipts/vonage`,
//! signed when the account has a signature secret.

use std::collections::BTreeMap;

use futures_util::future::BoxFuture;
use hmac::Hmac;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha1::Sha1;
use sha2::{Sha256, Sha512};
use url::form_urlencoded;

use super::answer::{collapse, is_success, scalar, unexpected};
use super::{Gateway, Number, Setup, SmsProvider, Tools, FORM, JSON};
use crate::delivery::channels::classify;
use crate::delivery::message::{Outcome, OutgoingMessage};
use crate::delivery::outbound::HttpReply;
use crate::domain::lifecycle::{delivery_reference, is_our_reference};
use crate::domain::receipts::{decode_hex, field, hmac_matches, shorten, Receipt, ReceiptMatch, ReceiptStatus};
use crate::domain::sms::{analyse, SmsEncoding};

/// Path of the receipt endpoint Vonage is told to call (RedFlash's, shared with Clickatell).
const ACK_PATH: &str = "/ack/";

/// Vonage SMS API settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct VonageSettings {
    /// API base URL (default `https://rest.nexmo.com`).
    pub base_url: String,
    /// Account API key.
    pub api_key: String,
    /// Account API secret; never serialized or printed.
    #[serde(skip_serializing)]
    pub api_secret: SecretString,
    /// Signature secret for signed receipts; when set, unsigned receipts are refused.
    #[serde(skip_serializing)]
    pub signature_secret: Option<SecretString>,
}

impl Default for VonageSettings {
    fn default() -> Self {
        Self {
            base_url: "https://rest.nexmo.com".to_owned(),
            api_key: String::new(),
            api_secret: SecretString::default(),
            signature_secret: None,
        }
    }
}

/// Vonage, ready to send.
pub(super) struct Vonage {
    url: String,
    api_key: String,
    api_secret: SecretString,
    from: String,
    callback: Option<String>,
}

impl Vonage {
    pub(super) fn prepare(settings: &VonageSettings, setup: &Setup) -> Result<Self, String> {
        Ok(Self {
            url: setup.endpoint(&settings.base_url, "/sms/json")?,
            api_key: setup.required("api_key", &settings.api_key)?,
            api_secret: setup.required("api_secret", settings.api_secret.expose_secret())?.into(),
            from: setup.sender()?,
            callback: setup.callback(ACK_PATH),
        })
    }

    async fn post(&self, tools: &Tools, msg: &OutgoingMessage, number: &Number<'_>) -> Outcome {
        // Built in a block: the serializer is not `Send` and must not live across the await.
        let body = {
            let mut form = form_urlencoded::Serializer::new(String::new());
            form.append_pair("api_key", &self.api_key)
                .append_pair("api_secret", self.api_secret.expose_secret())
                .append_pair("from", &self.from)
                .append_pair("to", number.digits)
                .append_pair("text", &msg.sms_text);
            // Vonage sends "text" as GSM-7 and mangles anything outside it.
            if analyse(&msg.sms_text).encoding == SmsEncoding::Ucs2 {
                form.append_pair("type", "unicode");
            }
            form.append_pair("client-ref", &delivery_reference(&tools.keyring, msg.delivery_id));
            if let Some(callback) = &self.callback {
                form.append_pair("callback", callback);
            }
            form.finish().into_bytes()
        };
        let headers = [("accept", JSON.to_owned())];
        match tools.outbound.post(&self.url, &headers, FORM, body).await {
            Ok(reply) if is_success(&reply) => outcome(&reply),
            reply => classify(reply.as_ref()),
        }
    }
}

impl Gateway for Vonage {
    fn provider(&self) -> SmsProvider {
        SmsProvider::Vonage
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

/// Vonage answers 200 for everything and reports per message part; the first
/// part that was not accepted decides. Statuses 1 (throttled), 5 (internal
/// error) and 10 (too many binds) are worth a retry; the rest (missing or
/// invalid parameters, bad credentials, barred number or account, quota...) are not.
fn outcome(reply: &HttpReply) -> Outcome {
    let Some(parts) = serde_json::from_str::<Value>(&reply.body)
        .ok()
        .and_then(|body| body.get("messages").and_then(Value::as_array).cloned())
        .filter(|parts| !parts.is_empty())
    else {
        return unexpected(reply);
    };
    let refused = parts.iter().find(|part| scalar(part.get("status")).as_deref() != Some("0"));
    if let Some(part) = refused {
        let Some(status) = scalar(part.get("status")) else {
            return unexpected(reply);
        };
        let text = scalar(part.get("error-text")).unwrap_or_default();
        let error = format!("status {status}: {}", collapse(&text)).trim_end_matches([':', ' ']).to_owned();
        return match status.as_str() {
            "1" | "5" | "10" => Outcome::Retry { error, after: None },
            _ => Outcome::Failed { error },
        };
    }
    match scalar(parts[0].get("message-id")) {
        Some(id) => {
            let detail = match parts.len() {
                1 => format!("vonage accepted, message-id {id}"),
                n => format!("vonage accepted {n} parts, first message-id {id}"),
            };
            Outcome::Sent { provider_id: Some(id), detail, via: None }
        }
        None => unexpected(reply),
    }
}

/// Vonage/Nexmo DLR fields (query string or form): client-ref, err-code, status, messageId, msisdn, to, network-code, price, scts, message-timestamp ("YYYY-MM-DD HH:MM:SS" UTC).
///
/// `status` decides when present (an unrecognised value is `Unknown`), with
/// the err-code as the reason; without it err-code 0 is delivered, 1 unknown
/// and any other code failed. `None` without an id to match, without both
/// status and err-code, or with an err-code that is not a number.
pub fn parse_receipt(fields: &BTreeMap<String, String>) -> Option<Receipt> {
    let matches = match field(fields, "client-ref").filter(|r| is_our_reference(r)) {
        Some(reference) => ReceiptMatch::Reference(shorten(reference)),
        None => {
            ReceiptMatch::ProviderId(field(fields, "messageId").or_else(|| field(fields, "message-id"))?.to_owned())
        }
    };
    let code = match field(fields, "err-code") {
        Some(text) if text.bytes().all(|b| b.is_ascii_digit()) => Some(text.parse::<u32>().ok()?),
        Some(_) => return None,
        None => None,
    };
    let status_text = field(fields, "status").map(str::to_ascii_lowercase);
    let status = match (status_text.as_deref(), code) {
        (Some("delivered"), _) => ReceiptStatus::Delivered,
        (Some("expired"), _) => ReceiptStatus::Expired,
        (Some("failed" | "rejected"), _) => ReceiptStatus::Failed,
        (Some("accepted" | "buffered"), _) => ReceiptStatus::Sent,
        (Some(_), _) => ReceiptStatus::Unknown,
        (None, Some(0)) => ReceiptStatus::Delivered,
        (None, Some(1)) => ReceiptStatus::Unknown,
        (None, Some(_)) => ReceiptStatus::Failed,
        (None, None) => return None,
    };
    let reason = code.map(|code| format!("err-code {code}: {}", error_meaning(code)));
    let detail = match (status_text, reason) {
        (Some(text), Some(reason)) if status == ReceiptStatus::Unknown && text != "unknown" => {
            format!("status {}, {reason}", shorten(&text))
        }
        (_, Some(reason)) => reason,
        (Some(text), None) => format!("status {}", shorten(&text)),
        (None, None) => String::new(),
    };
    let at = field(fields, "message-timestamp")
        .and_then(|text| chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").ok())
        .or_else(|| {
            field(fields, "scts").and_then(|text| chrono::NaiveDateTime::parse_from_str(text, "%y%m%d%H%M").ok())
        })
        .map(|naive| naive.and_utc());
    Some(Receipt { provider: "vonage", matches, status, detail, at })
}

/// Vonage's DLR err-code meanings.
fn error_meaning(code: u32) -> &'static str {
    match code {
        0 => "delivered",
        1 => "unknown",
        2 => "absent subscriber – temporary",
        3 => "absent subscriber – permanent",
        4 => "call barred by user",
        5 => "portability error",
        6 => "anti-spam rejection",
        7 => "handset busy",
        8 => "network error",
        9 => "illegal number",
        10 => "invalid message",
        11 => "unroutable",
        99 => "general error",
        _ => "unlisted error code",
    }
}

/// Vonage signed callbacks: the `sig` parameter is an HMAC, keyed with the
/// account's signature secret, of `"&name=value"` for every other parameter in
/// name order, with `&` and `=` in values replaced by `_` — Vonage's documented
/// scheme (as in its SDKs' `check_signature`). The hash is told by the
/// signature's length: HMAC-SHA1, HMAC-SHA256 (recommended: choose it in the
/// Vonage dashboard) or HMAC-SHA512, hex in either case, compared in constant
/// time.
///
/// The MD5 methods (`md5hash`, Vonage's default, and HMAC-MD5) are not
/// supported: they would need an MD5 implementation this crate does not carry,
/// so such signatures never validate.
pub fn signature_valid(signature_secret: &str, params: &BTreeMap<String, String>) -> bool {
    if signature_secret.is_empty() {
        return false;
    }
    let Some(tag) = params.get("sig").and_then(|sig| decode_hex(sig.trim())) else {
        return false;
    };
    let mut signed = String::new();
    for (name, value) in params.iter().filter(|(name, _)| name.as_str() != "sig") {
        signed.push('&');
        signed.push_str(name);
        signed.push('=');
        signed.push_str(&value.replace(['&', '='], "_"));
    }
    let (key, signed) = (signature_secret.as_bytes(), signed.as_bytes());
    match tag.len() {
        20 => hmac_matches::<Hmac<Sha1>>(key, signed, &tag),
        32 => hmac_matches::<Hmac<Sha256>>(key, signed, &tag),
        64 => hmac_matches::<Hmac<Sha512>>(key, signed, &tag),
        _ => false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::collections::BTreeMap;
    use std::time::Duration;

    use serde_json::json;

    use super::super::parse_ack;
    use super::super::test_support::*;
    use super::super::{SmsProvider, JSON};
    use super::*;
    use crate::delivery::fake_http::{FakeServer, Reply};
    use crate::domain::keyring::Keyring;
    use crate::domain::receipts::ReceiptTarget;
    use chrono::{TimeZone, Utc};

    #[tokio::test]
    async fn vonage_gets_a_form_post_with_credentials_reference_and_callback() {
        let server = FakeServer::start(Reply::status(200).header("content-type", JSON).body(VONAGE_OK)).await;
        let outcome = channel(&settings(SmsProvider::Vonage, &server.url(""))).send(&sms()).await;
        assert_eq!(
            outcome,
            Outcome::Sent {
                provider_id: Some("0A0000000123ABCD1".to_owned()),
                detail: "vonage accepted, message-id 0A0000000123ABCD1".to_owned(),
                via: Some("vonage"),
            }
        );
        let request = one_request(&server).await;
        assert_eq!((request.method.as_str(), request.path.as_str()), ("POST", "/sms/json"));
        assert_eq!(request.header("authorization"), None);
        let expected: BTreeMap<String, String> = [
            ("api_key", "vkey"),
            ("api_secret", "hunter2-vonage"),
            ("from", "Tocsin"),
            ("to", "447700900123"),
            ("text", "db-1 disk full"),
            ("client-ref", &reference_42()),
            ("callback", "https://tocsin.example.com/ack/"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(form(&request), expected);
    }

    #[tokio::test]
    async fn vonage_is_told_to_send_unicode_when_the_text_is_not_gsm7() {
        let server = FakeServer::start(Reply::status(200).body(VONAGE_OK)).await;
        let mut settings = settings(SmsProvider::Vonage, &server.url(""));
        settings.public_url = String::new();
        let mut msg = sms();
        msg.sms_text = "Łódź: disk full 🔥".to_owned();
        assert!(matches!(channel(&settings).send(&msg).await, Outcome::Sent { .. }));
        let fields = form(&one_request(&server).await);
        assert_eq!(fields.get("type").map(String::as_str), Some("unicode"));
        assert_eq!(fields.get("text").map(String::as_str), Some("Łódź: disk full 🔥"));
        assert_eq!(fields.get("callback"), None, "no public URL, no callback");
    }

    #[tokio::test]
    async fn vonage_refusals_fail_with_the_error_text() {
        for (status, text) in [
            ("2", "Missing to param"),
            ("3", "Invalid to param"),
            ("4", "Bad Credentials"),
            ("6", "Unroutable message - rejected"),
            ("7", "Number barred"),
            ("8", "Partner account barred"),
            ("9", "Partner quota exceeded"),
            ("15", "Illegal Sender Address - rejected"),
            ("29", "Non White-listed Destination - rejected"),
        ] {
            let body = json!({"message-count": "1", "messages": [{"status": status, "error-text": text}]}).to_string();
            let server = FakeServer::start(Reply::status(200).body(body)).await;
            let outcome = channel(&settings(SmsProvider::Vonage, &server.url(""))).send(&sms()).await;
            assert_eq!(outcome, Outcome::Failed { error: format!("vonage: status {status}: {text}") });
            assert_no_secret(&outcome);
        }
    }

    #[tokio::test]
    async fn vonage_throttling_and_internal_errors_are_retried() {
        for (status, text) in [
            ("1", "Throughput Rate Exceeded - please wait [ 1000 ] and retry"),
            ("5", "Internal Error"),
            ("10", "Too many existing binds"),
        ] {
            let body = json!({"message-count": "1", "messages": [{"status": status, "error-text": text}]}).to_string();
            let server = FakeServer::start(Reply::status(200).body(body)).await;
            let outcome = channel(&settings(SmsProvider::Vonage, &server.url(""))).send(&sms()).await;
            assert_eq!(outcome, Outcome::Retry { error: format!("vonage: status {status}: {text}"), after: None });
        }
    }

    #[tokio::test]
    async fn a_refused_part_of_a_long_vonage_message_decides() {
        let body = json!({"message-count": "2", "messages": [
            {"status": "0", "message-id": "A1"},
            {"status": "9", "error-text": "Partner quota exceeded"}
        ]})
        .to_string();
        let server = FakeServer::start(Reply::status(200).body(body)).await;
        let outcome = channel(&settings(SmsProvider::Vonage, &server.url(""))).send(&sms()).await;
        assert_eq!(outcome, Outcome::Failed { error: "vonage: status 9: Partner quota exceeded".to_owned() });

        let body = json!({"message-count": "2", "messages": [
            {"status": "0", "message-id": "A1"},
            {"status": "0", "message-id": "A2"}
        ]});
        let server = FakeServer::start(Reply::status(200).body(body.to_string())).await;
        let outcome = channel(&settings(SmsProvider::Vonage, &server.url(""))).send(&sms()).await;
        assert_eq!(
            outcome,
            Outcome::Sent {
                provider_id: Some("A1".to_owned()),
                detail: "vonage accepted 2 parts, first message-id A1".to_owned(),
                via: Some("vonage"),
            }
        );
    }

    #[tokio::test]
    async fn vonage_http_errors_and_unreadable_answers_are_classified() {
        let server = FakeServer::start(Reply::status(503).header("retry-after", "30")).await;
        let outcome = channel(&settings(SmsProvider::Vonage, &server.url(""))).send(&sms()).await;
        assert_eq!(
            outcome,
            Outcome::Retry { error: "vonage: HTTP 503".to_owned(), after: Some(Duration::from_secs(30)) }
        );

        let server = FakeServer::start(Reply::status(401).body("unauthorized")).await;
        let outcome = channel(&settings(SmsProvider::Vonage, &server.url(""))).send(&sms()).await;
        assert_eq!(outcome, Outcome::Failed { error: "vonage: HTTP 401: unauthorized".to_owned() });

        let server = FakeServer::start(Reply::status(200).body("<html>maintenance</html>")).await;
        let outcome = channel(&settings(SmsProvider::Vonage, &server.url(""))).send(&sms()).await;
        let Outcome::Retry { error, .. } = outcome else { panic!("{outcome:?}") };
        assert!(error.starts_with("vonage: HTTP 200 with an unexpected answer"), "{error}");
    }

    fn vonage_dlr(extra: &[(&str, &str)]) -> BTreeMap<String, String> {
        let mut map = fields(&[
            ("msisdn", "447700900123"),
            ("to", "Tocsin"),
            ("network-code", "23410"),
            ("messageId", "0A0000000123ABCD1"),
            ("price", "0.03330000"),
            ("scts", "2001011400"),
            ("message-timestamp", "2020-01-01 12:00:00"),
        ]);
        map.extend(fields(extra));
        map
    }

    #[test]
    fn a_vonage_delivered_receipt_with_our_reference_matches_the_delivery() {
        let receipt =
            parse_receipt(&vonage_dlr(&[("client-ref", "tocsin-42"), ("status", "delivered"), ("err-code", "0")]));
        assert_eq!(
            receipt,
            Some(Receipt {
                provider: "vonage",
                matches: ReceiptMatch::Reference("tocsin-42".to_owned()),
                status: ReceiptStatus::Delivered,
                detail: "err-code 0: delivered".to_owned(),
                at: Some(Utc.with_ymd_and_hms(2020, 1, 1, 12, 0, 0).unwrap()),
            })
        );
    }

    #[test]
    fn a_vonage_receipt_without_our_reference_matches_the_message_id() {
        for client_ref in [None, Some(""), Some("someone-else")] {
            let mut map = vonage_dlr(&[("status", "delivered"), ("err-code", "0")]);
            if let Some(client_ref) = client_ref {
                map.insert("client-ref".to_owned(), client_ref.to_owned());
            }
            let receipt = parse_receipt(&map).unwrap();
            assert_eq!(receipt.matches, ReceiptMatch::ProviderId("0A0000000123ABCD1".to_owned()), "{client_ref:?}");
        }
    }

    #[test]
    fn every_vonage_err_code_without_a_status_maps_by_the_code() {
        let table = [
            ("0", ReceiptStatus::Delivered, "delivered"),
            ("1", ReceiptStatus::Unknown, "unknown"),
            ("2", ReceiptStatus::Failed, "absent subscriber – temporary"),
            ("3", ReceiptStatus::Failed, "absent subscriber – permanent"),
            ("4", ReceiptStatus::Failed, "call barred by user"),
            ("5", ReceiptStatus::Failed, "portability error"),
            ("6", ReceiptStatus::Failed, "anti-spam rejection"),
            ("7", ReceiptStatus::Failed, "handset busy"),
            ("8", ReceiptStatus::Failed, "network error"),
            ("9", ReceiptStatus::Failed, "illegal number"),
            ("10", ReceiptStatus::Failed, "invalid message"),
            ("11", ReceiptStatus::Failed, "unroutable"),
            ("99", ReceiptStatus::Failed, "general error"),
            ("42", ReceiptStatus::Failed, "unlisted error code"),
        ];
        for (code, status, meaning) in table {
            let receipt = parse_receipt(&vonage_dlr(&[("err-code", code)])).unwrap();
            assert_eq!(receipt.status, status, "{code}");
            assert_eq!(receipt.detail, format!("err-code {code}: {meaning}"));
        }
    }

    #[test]
    fn a_vonage_status_decides_over_the_err_code() {
        let table = [
            ("delivered", "0", ReceiptStatus::Delivered),
            ("expired", "2", ReceiptStatus::Expired),
            ("failed", "9", ReceiptStatus::Failed),
            ("rejected", "6", ReceiptStatus::Failed),
            ("accepted", "0", ReceiptStatus::Sent),
            ("buffered", "7", ReceiptStatus::Sent),
            ("unknown", "1", ReceiptStatus::Unknown),
            ("DELIVERED", "0", ReceiptStatus::Delivered),
        ];
        for (status, code, expected) in table {
            let receipt = parse_receipt(&vonage_dlr(&[("status", status), ("err-code", code)])).unwrap();
            assert_eq!(receipt.status, expected, "{status}");
            assert!(receipt.detail.starts_with(&format!("err-code {code}: ")), "{}", receipt.detail);
        }
        let receipt = parse_receipt(&vonage_dlr(&[("status", "expired"), ("err-code", "2")])).unwrap();
        assert_eq!(receipt.detail, "err-code 2: absent subscriber – temporary");
    }

    #[test]
    fn an_unrecognised_vonage_status_is_unknown_and_named_in_the_detail() {
        let receipt = parse_receipt(&vonage_dlr(&[("status", "teleported"), ("err-code", "0")])).unwrap();
        assert_eq!(receipt.status, ReceiptStatus::Unknown);
        assert_eq!(receipt.detail, "status teleported, err-code 0: delivered");
        let receipt = parse_receipt(&vonage_dlr(&[("status", "failed")])).unwrap();
        assert_eq!((receipt.status, receipt.detail.as_str()), (ReceiptStatus::Failed, "status failed"));
    }

    #[test]
    fn the_vonage_time_falls_back_to_scts_and_a_bad_time_is_left_out() {
        let mut map = vonage_dlr(&[("err-code", "0")]);
        map.remove("message-timestamp");
        assert_eq!(parse_receipt(&map).unwrap().at, Some(Utc.with_ymd_and_hms(2020, 1, 1, 14, 0, 0).unwrap()));
        map.insert("message-timestamp".to_owned(), "yesterday".to_owned());
        map.insert("scts".to_owned(), "99999999999".to_owned());
        let receipt = parse_receipt(&map).unwrap();
        assert_eq!(receipt.at, None);
        assert_eq!(receipt.status, ReceiptStatus::Delivered);
    }

    #[test]
    fn malformed_vonage_receipts_are_none() {
        let cases = [
            fields(&[]),
            fields(&[("err-code", "0")]),
            fields(&[("messageId", "  "), ("err-code", "0")]),
            fields(&[("client-ref", "tocsin-42")]),
            fields(&[("client-ref", "tocsin-42"), ("err-code", "x")]),
            fields(&[("client-ref", "tocsin-42"), ("err-code", "-1")]),
            fields(&[("client-ref", "tocsin-42"), ("err-code", "1.5")]),
            fields(&[("client-ref", "tocsin-42"), ("err-code", "99999999999999999999")]),
            fields(&[("client-ref", "other"), ("err-code", "0")]),
        ];
        for map in cases {
            assert_eq!(parse_receipt(&map), None, "{map:?}");
        }
        // Huge or odd values never panic.
        let map = fields(&[("client-ref", &"9".repeat(10_000)), ("messageId", "m"), ("status", &"é".repeat(10_000))]);
        let receipt = parse_receipt(&map).unwrap();
        assert_eq!(receipt.matches, ReceiptMatch::ProviderId("m".to_owned()));
        assert!(receipt.detail.chars().count() < 100);
    }

    fn vonage_example(sig: &str) -> BTreeMap<String, String> {
        fields(&[("a", "1"), ("b", "2"), ("timestamp", "1461605396"), ("sig", sig)])
    }

    #[test]
    fn vonage_sdk_signature_examples_validate_for_each_hmac() {
        // The expected values are the Vonage Python SDK's test vectors (secret "secret").
        for sig in [
            "3e19a4e6880fdc2c1426bfd0587c98b9532f0210",
            "a321e824b9b816be7c3f28859a31749a098713d39f613c80d455bbaffae1cd24",
            "812a18f76680fa0fe1b8bd9ee1625466ceb1bd96242e4d050d2cfd9a7b40166c63ed26ec9702168781b6edcf1633db8ff95af9341701004eec3fcf9550572ee8",
        ] {
            assert!(signature_valid("secret", &vonage_example(sig)), "{sig}");
            assert!(signature_valid("secret", &vonage_example(&sig.to_ascii_uppercase())), "{sig}");
            assert!(!signature_valid("secreT", &vonage_example(sig)), "{sig}");
        }
    }

    #[test]
    fn a_signed_vonage_receipt_validates_with_separators_in_values_replaced() {
        let mut map = vonage_dlr(&[
            ("client-ref", "tocsin-42"),
            ("err-code", "0"),
            ("status", "delivered"),
            ("timestamp", "1577880000"),
            ("nonce", "a=b&c"),
            ("sig", "f5613a9961d938e2f9dcf55a4ee1a7573aa042a25435821d187726dc5060354f"),
        ]);
        assert!(signature_valid("vonage-sig-secret", &map));
        assert_eq!(parse_ack(&map).unwrap().matches, ReceiptMatch::Reference("tocsin-42".to_owned()));
        map.insert("err-code".to_owned(), "9".to_owned());
        assert!(!signature_valid("vonage-sig-secret", &map));
    }

    #[test]
    fn vonage_md5_signatures_missing_signatures_and_garbage_never_validate() {
        // md5hash of the SDK example: correct, but MD5 is not supported.
        assert!(!signature_valid("secret", &vonage_example("6af838ef94998832dbfc29020b564830")));
        let mut unsigned = vonage_example("");
        unsigned.remove("sig");
        assert!(!signature_valid("secret", &unsigned));
        for bad in ["", "zz", "abc", "3e19a4e6880fdc2c1426bfd0587c98b9532f021", "é3"] {
            assert!(!signature_valid("secret", &vonage_example(bad)), "{bad:?}");
        }
        assert!(!signature_valid("", &vonage_example("3e19a4e6880fdc2c1426bfd0587c98b9532f0210")));
    }

    #[test]
    fn a_receipt_names_its_delivery_only_when_the_reference_verifies() {
        let ring = Keyring::new(b"master");
        let good = crate::domain::lifecycle::delivery_reference(&ring, 42);
        let receipt = parse_receipt(&vonage_dlr(&[("client-ref", &good), ("err-code", "0")])).unwrap();
        assert_eq!(receipt.target(&ring), Some(ReceiptTarget::Delivery(42)));
        // A made-up reference names nothing, even with a message id beside it.
        for forged in ["tocsin-42", "tocsin-42-aaaaaaaaaaaaa", "tocsin-x"] {
            let receipt = parse_receipt(&vonage_dlr(&[("client-ref", forged), ("err-code", "0")])).unwrap();
            assert_eq!(receipt.target(&ring), None, "{forged}");
        }
        // Without a reference, the provider's own id is what matches.
        let receipt = parse_receipt(&vonage_dlr(&[("err-code", "0")])).unwrap();
        assert_eq!(receipt.target(&ring), Some(ReceiptTarget::ProviderId("0A0000000123ABCD1".to_owned())));
    }
}

//! Delivery receipts from SMS providers: parsing and checking, no I/O.
//!
//! The HTTP layer hands over the receipt's fields (query string, form body, or
//! a flat JSON object through [`fields_from_json`]); these functions say which
//! delivery it is about, what state it reports, whether it is authentic, and
//! whether it may move the delivery on. Anything malformed is `None`, never a
//! panic: these fields come from the internet.
//!
//! Receipts are idempotent by construction (a receipt only ever moves a `sent`
//! delivery forward, into a final state: `lifecycle::receipt_effect`), so a
//! replayed receipt changes nothing and no replay window is enforced on
//! signatures.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use chrono::{DateTime, NaiveDateTime, Utc};
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha1::Sha1;
use sha2::{Sha256, Sha512};

use crate::domain::keyring::Keyring;
pub use crate::domain::lifecycle::ReceiptStatus;
use crate::domain::lifecycle::{is_our_reference, parse_delivery_reference};

/// Timestamps after this many seconds since the epoch (year 5138) are taken to
/// be milliseconds: Clickatell's older callbacks send seconds, the Platform
/// API's milliseconds.
const MILLISECONDS_FROM: i64 = 100_000_000_000;

/// What in a receipt says which delivery it is about.
#[derive(Debug, Clone, PartialEq)]
pub enum ReceiptMatch {
    /// Our reference (`tocsin-<id>-<tag>`) came back, as it came: it names a
    /// delivery only if its tag verifies ([`Receipt::target`]).
    Reference(String),
    /// The provider's message id, as stored from the send outcome.
    ProviderId(String),
}

/// The delivery a receipt may be applied to, once its reference is checked.
#[derive(Debug, Clone, PartialEq)]
pub enum ReceiptTarget {
    /// A verified reference: the delivery's row id.
    Delivery(i64),
    /// The provider's message id.
    ProviderId(String),
}

/// One parsed receipt.
#[derive(Debug, Clone, PartialEq)]
pub struct Receipt {
    /// `"vonage"`, `"clickatell"` or `"twilio"`.
    pub provider: &'static str,
    /// Which delivery it is about.
    pub matches: ReceiptMatch,
    /// The reported state.
    pub status: ReceiptStatus,
    /// The provider's reason in words, e.g. `"err-code 0: delivered"`.
    pub detail: String,
    /// When the provider says this happened, if it says.
    pub at: Option<DateTime<Utc>>,
}

impl Receipt {
    /// The delivery this receipt may touch: by our reference when it carries
    /// one (and then only if its tag verifies: a made-up or altered reference
    /// names nothing, whatever else the receipt says), else by the provider's
    /// message id.
    pub fn target(&self, keyring: &Keyring) -> Option<ReceiptTarget> {
        match &self.matches {
            ReceiptMatch::Reference(reference) => {
                parse_delivery_reference(keyring, reference).map(ReceiptTarget::Delivery)
            }
            ReceiptMatch::ProviderId(id) => Some(ReceiptTarget::ProviderId(id.clone())),
        }
    }
}

/// A field with surrounding blanks removed; empty counts as absent, since
/// providers send `ErrorCode=` or `client-ref=` when there is none.
fn field<'a>(fields: &'a BTreeMap<String, String>, name: &str) -> Option<&'a str> {
    fields.get(name).map(|value| value.trim()).filter(|value| !value.is_empty())
}

/// Vonage/Nexmo DLR fields (query string or form): client-ref, err-code, status, messageId, msisdn, to, network-code, price, scts, message-timestamp ("YYYY-MM-DD HH:MM:SS" UTC).
///
/// `status` decides when present (an unrecognised value is `Unknown`), with
/// the err-code as the reason; without it err-code 0 is delivered, 1 unknown
/// and any other code failed. `None` without an id to match, without both
/// status and err-code, or with an err-code that is not a number.
pub fn parse_vonage(fields: &BTreeMap<String, String>) -> Option<Receipt> {
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
    let reason = code.map(|code| format!("err-code {code}: {}", vonage_error(code)));
    let detail = match (status_text, reason) {
        (Some(text), Some(reason)) if status == ReceiptStatus::Unknown && text != "unknown" => {
            format!("status {}, {reason}", shorten(&text))
        }
        (_, Some(reason)) => reason,
        (Some(text), None) => format!("status {}", shorten(&text)),
        (None, None) => String::new(),
    };
    let at = field(fields, "message-timestamp")
        .and_then(|text| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").ok())
        .or_else(|| field(fields, "scts").and_then(|text| NaiveDateTime::parse_from_str(text, "%y%m%d%H%M").ok()))
        .map(|naive| naive.and_utc());
    Some(Receipt { provider: "vonage", matches, status, detail, at })
}

/// Vonage's DLR err-code meanings.
fn vonage_error(code: u32) -> &'static str {
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

/// Clickatell callback: apiMsgId, status (001…012), timestamp (unix seconds), charge. 004 → Delivered; 003/008/002/011 → Sent; 010 → Expired; 006 → Cancelled; 005/007/009/012 → Failed; 001 → Unknown.
///
/// Also reads the Platform API's callback (`messageId`, numeric `statusCode`,
/// `clientMessageId`, `timestamp` in milliseconds), since that is the API the
/// channel sends through; our reference in `clientMessageId` (or the older
/// `cliMsgId`) is preferred for matching. 014 (maximum MT limit exceeded)
/// fails too; other codes are `Unknown`.
pub fn parse_clickatell(fields: &BTreeMap<String, String>) -> Option<Receipt> {
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

/// Twilio status callback: MessageSid, MessageStatus (queued, sending, sent, delivered, undelivered, failed, read, canceled), ErrorCode.
///
/// `read` counts as delivered (it comes after delivery); `accepted` and
/// `scheduled` as still on the way; other values are `Unknown`. Twilio sends
/// no time, so `at` is `None`. `reference` is the `ref` Tocsin put in the
/// message's `StatusCallback` URL, when it did.
pub fn parse_twilio(fields: &BTreeMap<String, String>, reference: Option<&str>) -> Option<Receipt> {
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

/// Which parser fits an /ack/ request (Vonage has client-ref or messageId+err-code; Clickatell has apiMsgId).
///
/// A Clickatell Platform callback (`messageId` with `statusCode`) is
/// recognised too; anything else is `None`.
pub fn parse_ack(fields: &BTreeMap<String, String>) -> Option<Receipt> {
    let has = |name: &str| fields.contains_key(name);
    if has("client-ref") || (has("messageId") && has("err-code")) {
        parse_vonage(fields)
    } else if has("apiMsgId") || (has("messageId") && has("statusCode")) {
        parse_clickatell(fields)
    } else {
        None
    }
}

/// The top-level strings, numbers and booleans of a JSON object body as
/// receipt fields (Vonage can post DLRs as JSON, Clickatell's Platform API
/// always does); `None` if the body is not a JSON object.
pub fn fields_from_json(body: &[u8]) -> Option<BTreeMap<String, String>> {
    let Value::Object(object) = serde_json::from_slice(body).ok()? else {
        return None;
    };
    Some(
        object
            .into_iter()
            .filter_map(|(name, value)| match value {
                Value::String(text) => Some((name, text)),
                Value::Number(number) => Some((name, number.to_string())),
                Value::Bool(flag) => Some((name, flag.to_string())),
                _ => None,
            })
            .collect(),
    )
}

/// X-Twilio-Signature check: base64(HMAC-SHA1(auth_token, full URL + each POST param name+value sorted by name)), constant-time compare.
///
/// `url` must be exactly the URL Twilio requested, query string included (the
/// configured public URL plus the callback path, not what a proxy forwarded).
/// An empty auth token never validates.
pub fn twilio_signature_valid(auth_token: &str, url: &str, params: &BTreeMap<String, String>, signature: &str) -> bool {
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
pub fn vonage_signature_valid(signature_secret: &str, params: &BTreeMap<String, String>) -> bool {
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

/// Whether `tag` is the MAC of `message` under `key`; `verify_slice`
/// compares in constant time.
fn hmac_matches<M: Mac + KeyInit>(key: &[u8], message: &[u8], tag: &[u8]) -> bool {
    let Ok(mut mac) = <M as KeyInit>::new_from_slice(key) else {
        return false;
    };
    mac.update(message);
    mac.verify_slice(tag).is_ok()
}

/// Hex in either case; `None` for odd lengths or other characters.
fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let nibble = |b: u8| (b as char).to_digit(16);
    text.as_bytes().chunks_exact(2).map(|pair| u8::try_from(nibble(pair[0])? * 16 + nibble(pair[1])?).ok()).collect()
}

/// Provider-supplied words in a detail, cut so a hostile receipt cannot
/// bloat the delivery's history.
fn shorten(text: &str) -> String {
    const MAX: usize = 64;
    let mut short: String = text.chars().take(MAX).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect()
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

    // ---- Vonage ------------------------------------------------------------

    #[test]
    fn a_vonage_delivered_receipt_with_our_reference_matches_the_delivery() {
        let receipt =
            parse_vonage(&vonage_dlr(&[("client-ref", "tocsin-42"), ("status", "delivered"), ("err-code", "0")]));
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
            let receipt = parse_vonage(&map).unwrap();
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
            let receipt = parse_vonage(&vonage_dlr(&[("err-code", code)])).unwrap();
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
            let receipt = parse_vonage(&vonage_dlr(&[("status", status), ("err-code", code)])).unwrap();
            assert_eq!(receipt.status, expected, "{status}");
            assert!(receipt.detail.starts_with(&format!("err-code {code}: ")), "{}", receipt.detail);
        }
        let receipt = parse_vonage(&vonage_dlr(&[("status", "expired"), ("err-code", "2")])).unwrap();
        assert_eq!(receipt.detail, "err-code 2: absent subscriber – temporary");
    }

    #[test]
    fn an_unrecognised_vonage_status_is_unknown_and_named_in_the_detail() {
        let receipt = parse_vonage(&vonage_dlr(&[("status", "teleported"), ("err-code", "0")])).unwrap();
        assert_eq!(receipt.status, ReceiptStatus::Unknown);
        assert_eq!(receipt.detail, "status teleported, err-code 0: delivered");
        let receipt = parse_vonage(&vonage_dlr(&[("status", "failed")])).unwrap();
        assert_eq!((receipt.status, receipt.detail.as_str()), (ReceiptStatus::Failed, "status failed"));
    }

    #[test]
    fn the_vonage_time_falls_back_to_scts_and_a_bad_time_is_left_out() {
        let mut map = vonage_dlr(&[("err-code", "0")]);
        map.remove("message-timestamp");
        assert_eq!(parse_vonage(&map).unwrap().at, Some(Utc.with_ymd_and_hms(2020, 1, 1, 14, 0, 0).unwrap()));
        map.insert("message-timestamp".to_owned(), "yesterday".to_owned());
        map.insert("scts".to_owned(), "99999999999".to_owned());
        let receipt = parse_vonage(&map).unwrap();
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
            assert_eq!(parse_vonage(&map), None, "{map:?}");
        }
        // Huge or odd values never panic.
        let map = fields(&[("client-ref", &"9".repeat(10_000)), ("messageId", "m"), ("status", &"é".repeat(10_000))]);
        let receipt = parse_vonage(&map).unwrap();
        assert_eq!(receipt.matches, ReceiptMatch::ProviderId("m".to_owned()));
        assert!(receipt.detail.chars().count() < 100);
    }

    // ---- Clickatell --------------------------------------------------------

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
            let receipt = parse_clickatell(&map).unwrap();
            assert_eq!(receipt.status, expected, "{code}");
            assert!(receipt.detail.starts_with(&format!("status {code}: ")), "{}", receipt.detail);
            assert_eq!(receipt.matches, ReceiptMatch::ProviderId("996f364775e24b8432f45d77da8eca47".to_owned()));
            assert_eq!(receipt.at, Some(Utc.timestamp_opt(1_218_007_814, 0).unwrap()));
            // Unpadded codes mean the same.
            let short = code.trim_start_matches('0');
            let map = fields(&[("apiMsgId", "a"), ("status", short)]);
            assert_eq!(parse_clickatell(&map).unwrap().status, expected, "{short}");
        }
        let receipt = parse_clickatell(&fields(&[("apiMsgId", "a"), ("status", "004")])).unwrap();
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
        assert_eq!(parse_clickatell(&map).unwrap().matches, ReceiptMatch::Reference("tocsin-7".to_owned()));
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
            assert_eq!(parse_clickatell(&map), None, "{map:?}");
        }
        let map = fields(&[("apiMsgId", "a"), ("status", "004"), ("timestamp", "never")]);
        assert_eq!(parse_clickatell(&map).unwrap().at, None);
        let map = fields(&[("apiMsgId", "a"), ("status", "004"), ("timestamp", &i64::MAX.to_string())]);
        assert_eq!(parse_clickatell(&map).unwrap().at, None);
    }

    // ---- Twilio ------------------------------------------------------------

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
            let receipt = parse_twilio(&map, None).unwrap();
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
        let receipt = parse_twilio(&map, None).unwrap();
        assert_eq!((receipt.status, receipt.detail.as_str()), (ReceiptStatus::Failed, "undelivered, error 30003"));
        // The older SmsSid/SmsStatus names are accepted too.
        let map = fields(&[("SmsSid", "SM2"), ("SmsStatus", "delivered")]);
        assert_eq!(parse_twilio(&map, None).unwrap().matches, ReceiptMatch::ProviderId("SM2".to_owned()));
    }

    #[test]
    fn malformed_twilio_callbacks_are_none() {
        for map in [
            fields(&[]),
            fields(&[("MessageSid", "SM1")]),
            fields(&[("MessageStatus", "delivered")]),
            fields(&[("MessageSid", " "), ("MessageStatus", "delivered")]),
        ] {
            assert_eq!(parse_twilio(&map, None), None, "{map:?}");
        }
    }

    // ---- /ack/ dispatch ----------------------------------------------------

    #[test]
    fn an_ack_request_goes_to_the_parser_whose_fields_it_has() {
        let vonage = parse_ack(&fields(&[("client-ref", "tocsin-5"), ("err-code", "0")])).unwrap();
        assert_eq!((vonage.provider, vonage.matches), ("vonage", ReceiptMatch::Reference("tocsin-5".to_owned())));
        let vonage = parse_ack(&fields(&[("messageId", "m1"), ("err-code", "3")])).unwrap();
        assert_eq!((vonage.provider, vonage.status), ("vonage", ReceiptStatus::Failed));
        let clickatell = parse_ack(&fields(&[("apiMsgId", "a1"), ("status", "004")])).unwrap();
        assert_eq!(clickatell.provider, "clickatell");
        for map in
            [fields(&[]), fields(&[("messageId", "m1")]), fields(&[("MessageSid", "SM1"), ("MessageStatus", "sent")])]
        {
            assert_eq!(parse_ack(&map), None, "{map:?}");
        }
    }

    #[test]
    fn json_bodies_become_flat_fields() {
        let map = fields_from_json(br#"{"a":"x","b":4,"c":true,"d":null,"e":{"f":1},"g":[1],"err-code":"0"}"#).unwrap();
        assert_eq!(map, fields(&[("a", "x"), ("b", "4"), ("c", "true"), ("err-code", "0")]));
        for body in [&b"[1,2]"[..], b"\"x\"", b"not json", b""] {
            assert_eq!(fields_from_json(body), None);
        }
    }

    // ---- signatures --------------------------------------------------------

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
        assert!(twilio_signature_valid("12345", TWILIO_URL, &twilio_example(), "0/KCTR6DLpKmkAf8muzZqo1nDgQ="));
        let mut newer = twilio_example();
        newer.insert("Caller".to_owned(), "+14158675310".to_owned());
        newer.insert("From".to_owned(), "+14158675310".to_owned());
        assert!(twilio_signature_valid("12345", TWILIO_URL, &newer, "GvWf1cFY/Q7PnoempGyD5oXAezc="));
    }

    #[test]
    fn a_twilio_signature_fails_for_any_change_or_garbage() {
        let good = "0/KCTR6DLpKmkAf8muzZqo1nDgQ=";
        assert!(!twilio_signature_valid("12346", TWILIO_URL, &twilio_example(), good));
        assert!(!twilio_signature_valid(
            "12345",
            "https://mycompany.com/myapp.php?foo=1&bar=3",
            &twilio_example(),
            good
        ));
        let mut changed = twilio_example();
        changed.insert("Digits".to_owned(), "1235".to_owned());
        assert!(!twilio_signature_valid("12345", TWILIO_URL, &changed, good));
        let mut extra = twilio_example();
        extra.insert("MessageStatus".to_owned(), "delivered".to_owned());
        assert!(!twilio_signature_valid("12345", TWILIO_URL, &extra, good));
        for bad in ["", "not base64!", "0/KCTR6DLpKmkAf8muzZqo1nDg", "AAAA"] {
            assert!(!twilio_signature_valid("12345", TWILIO_URL, &twilio_example(), bad), "{bad:?}");
        }
        assert!(!twilio_signature_valid("", TWILIO_URL, &twilio_example(), good));
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
            assert!(vonage_signature_valid("secret", &vonage_example(sig)), "{sig}");
            assert!(vonage_signature_valid("secret", &vonage_example(&sig.to_ascii_uppercase())), "{sig}");
            assert!(!vonage_signature_valid("secreT", &vonage_example(sig)), "{sig}");
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
        assert!(vonage_signature_valid("vonage-sig-secret", &map));
        assert_eq!(parse_ack(&map).unwrap().matches, ReceiptMatch::Reference("tocsin-42".to_owned()));
        map.insert("err-code".to_owned(), "9".to_owned());
        assert!(!vonage_signature_valid("vonage-sig-secret", &map));
    }

    #[test]
    fn vonage_md5_signatures_missing_signatures_and_garbage_never_validate() {
        // md5hash of the SDK example: correct, but MD5 is not supported.
        assert!(!vonage_signature_valid("secret", &vonage_example("6af838ef94998832dbfc29020b564830")));
        let mut unsigned = vonage_example("");
        unsigned.remove("sig");
        assert!(!vonage_signature_valid("secret", &unsigned));
        for bad in ["", "zz", "abc", "3e19a4e6880fdc2c1426bfd0587c98b9532f021", "é3"] {
            assert!(!vonage_signature_valid("secret", &vonage_example(bad)), "{bad:?}");
        }
        assert!(!vonage_signature_valid("", &vonage_example("3e19a4e6880fdc2c1426bfd0587c98b9532f0210")));
    }

    // ---- references ---------------------------------------------------------

    #[test]
    fn a_receipt_names_its_delivery_only_when_the_reference_verifies() {
        let ring = Keyring::new(b"master");
        let good = crate::domain::lifecycle::delivery_reference(&ring, 42);
        let receipt = parse_vonage(&vonage_dlr(&[("client-ref", &good), ("err-code", "0")])).unwrap();
        assert_eq!(receipt.target(&ring), Some(ReceiptTarget::Delivery(42)));
        // A made-up reference names nothing, even with a message id beside it.
        for forged in ["tocsin-42", "tocsin-42-aaaaaaaaaaaaa", "tocsin-x"] {
            let receipt = parse_vonage(&vonage_dlr(&[("client-ref", forged), ("err-code", "0")])).unwrap();
            assert_eq!(receipt.target(&ring), None, "{forged}");
        }
        // Without a reference, the provider's own id is what matches.
        let receipt = parse_vonage(&vonage_dlr(&[("err-code", "0")])).unwrap();
        assert_eq!(receipt.target(&ring), Some(ReceiptTarget::ProviderId("0A0000000123ABCD1".to_owned())));
    }

    #[test]
    fn a_twilio_receipt_is_matched_by_the_reference_in_its_callback_url() {
        let ring = Keyring::new(b"master");
        let good = crate::domain::lifecycle::delivery_reference(&ring, 9);
        let map = fields(&[("MessageSid", "SM1"), ("MessageStatus", "delivered")]);
        assert_eq!(parse_twilio(&map, Some(&good)).unwrap().target(&ring), Some(ReceiptTarget::Delivery(9)));
        assert_eq!(parse_twilio(&map, Some("tocsin-9-x")).unwrap().target(&ring), None);
        assert_eq!(parse_twilio(&map, None).unwrap().target(&ring), Some(ReceiptTarget::ProviderId("SM1".to_owned())));
    }
}

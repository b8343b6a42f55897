//! Delivery receipts from SMS providers, as every provider's parser gives
//! them (`delivery::channels::sms::<provider>::parse_receipt`), and the
//! helpers those parsers and signature checks share; no I/O.
//!
//! The HTTP layer hands over the receipt's fields (query string, form body, or
//! a flat JSON object through [`fields_from_json`]); a provider's parser says
//! which delivery it is about and what state it reports, its signature check
//! whether it is authentic, and [`Receipt::target`] whether it may name a
//! delivery at all. Anything malformed is `None`, never a panic: these fields
//! come from the internet.
//!
//! Receipts are idempotent by construction (a receipt only ever moves a `sent`
//! delivery forward, into a final state: `lifecycle::receipt_effect`), so a
//! replayed receipt changes nothing and no replay window is enforced on
//! signatures.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use hmac::digest::KeyInit;
use hmac::Mac;
use serde_json::Value;

use crate::domain::keyring::Keyring;
use crate::domain::lifecycle::parse_delivery_reference;
pub use crate::domain::lifecycle::ReceiptStatus;

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
pub fn field<'a>(fields: &'a BTreeMap<String, String>, name: &str) -> Option<&'a str> {
    fields.get(name).map(|value| value.trim()).filter(|value| !value.is_empty())
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

/// Whether `tag` is the MAC of `message` under `key`; `verify_slice`
/// compares in constant time.
pub fn hmac_matches<M: Mac + KeyInit>(key: &[u8], message: &[u8], tag: &[u8]) -> bool {
    let Ok(mut mac) = <M as KeyInit>::new_from_slice(key) else {
        return false;
    };
    mac.update(message);
    mac.verify_slice(tag).is_ok()
}

/// Hex in either case; `None` for odd lengths or other characters.
pub fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let nibble = |b: u8| (b as char).to_digit(16);
    text.as_bytes().chunks_exact(2).map(|pair| u8::try_from(nibble(pair[0])? * 16 + nibble(pair[1])?).ok()).collect()
}

/// Provider-supplied words in a detail, cut so a hostile receipt cannot
/// bloat the delivery's history.
pub fn shorten(text: &str) -> String {
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
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect()
    }

    #[test]
    fn json_bodies_become_flat_fields() {
        let map = fields_from_json(br#"{"a":"x","b":4,"c":true,"d":null,"e":{"f":1},"g":[1],"err-code":"0"}"#).unwrap();
        assert_eq!(map, fields(&[("a", "x"), ("b", "4"), ("c", "true"), ("err-code", "0")]));
        for body in [&b"[1,2]"[..], b"\"x\"", b"not json", b""] {
            assert_eq!(fields_from_json(body), None);
        }
    }

    #[test]
    fn a_reference_names_a_delivery_only_when_its_tag_verifies() {
        let ring = Keyring::new(b"master");
        let receipt = |matches| Receipt {
            provider: "vonage",
            matches,
            status: ReceiptStatus::Delivered,
            detail: String::new(),
            at: None,
        };
        let good = crate::domain::lifecycle::delivery_reference(&ring, 42);
        assert_eq!(receipt(ReceiptMatch::Reference(good)).target(&ring), Some(ReceiptTarget::Delivery(42)));
        for forged in ["tocsin-42", "tocsin-42-aaaaaaaaaaaaa", "tocsin-x"] {
            assert_eq!(receipt(ReceiptMatch::Reference(forged.into())).target(&ring), None, "{forged}");
        }
        let by_id = receipt(ReceiptMatch::ProviderId("m1".into())).target(&ring);
        assert_eq!(by_id, Some(ReceiptTarget::ProviderId("m1".into())));
    }

    #[test]
    fn blank_fields_are_absent_and_provider_words_are_cut() {
        let map = fields(&[("a", "  "), ("b", " x ")]);
        assert_eq!((field(&map, "a"), field(&map, "b"), field(&map, "c")), (None, Some("x"), None));
        assert_eq!(shorten(&"é".repeat(70)), format!("{}…", "é".repeat(64)));
        assert_eq!(decode_hex("0aFF"), Some(vec![10, 255]));
        assert_eq!((decode_hex("abc"), decode_hex("zz")), (None, None));
    }
}

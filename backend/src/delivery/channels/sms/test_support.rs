//! What the SMS tests share: settings for every provider pointed at one
//! fake, a channel built from them, and readers of the requests they make.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::json;
use url::form_urlencoded;

use super::*;
pub(super) use crate::delivery::channels::tests::loopback_client;
use crate::delivery::channels::tests::message;
use crate::delivery::fake_http::{FakeServer, Recorded};
use crate::delivery::message::Outcome;
use crate::delivery::message::OutgoingMessage;
use crate::domain::keyring::Keyring;
use crate::domain::lifecycle::delivery_reference;
use crate::domain::media::Medium;

pub(super) const TIMEOUT: Duration = Duration::from_secs(10);

pub(super) const TWILIO_SID: &str = "AC0123456789abcdef0123456789abcdef";

pub(super) fn sms() -> OutgoingMessage {
    message(Medium::Sms, "+447700900123", json!({}))
}

pub(super) fn settings(provider: SmsProvider, base: &str) -> SmsSettings {
    SmsSettings {
        provider: Some(provider),
        public_url: "https://tocsin.example.com/".to_owned(),
        vonage: VonageSettings {
            base_url: base.to_owned(),
            api_key: "vkey".to_owned(),
            api_secret: "hunter2-vonage".into(),
            signature_secret: None,
        },
        twilio: TwilioSettings {
            base_url: base.to_owned(),
            account_sid: TWILIO_SID.to_owned(),
            auth_token: "hunter2-twilio".into(),
            from: "+15005550006".to_owned(),
        },
        clickatell: ClickatellSettings { base_url: base.to_owned(), api_key: "hunter2-clickatell".into() },
        generic: GenericSmsSettings {
            url: format!("{base}/send?token=hunter2-url").into(),
            body_template: r#"{"to":"{to}","message":"{text}","ref":"{reference}"}"#.to_owned(),
            headers: BTreeMap::from([("x-api-key".to_owned(), "hunter2-generic".into())]),
            ..GenericSmsSettings::default()
        },
        email_gateway: EmailGatewaySettings { domain: "sms.example.net".to_owned() },
        ..SmsSettings::default()
    }
}

pub(super) fn channel(settings: &SmsSettings) -> SmsChannel {
    SmsChannel::new(settings, loopback_client(TIMEOUT), None, keyring()).unwrap().unwrap()
}

pub(super) fn form(request: &Recorded) -> BTreeMap<String, String> {
    assert_eq!(request.header("content-type"), Some(FORM));
    form_urlencoded::parse(&request.body).into_owned().collect()
}

pub(super) async fn one_request(server: &FakeServer) -> Recorded {
    let requests = server.wait_for_requests(1).await;
    assert_eq!(requests.len(), 1);
    requests.into_iter().next().unwrap()
}

pub(super) fn assert_no_secret(outcome: &Outcome) {
    let text = format!("{outcome:?}");
    assert!(!text.contains("hunter2"), "{text}");
}

pub(super) const VONAGE_OK: &str = r#"{"message-count":"1","messages":[{"to":"447700900123","message-id":"0A0000000123ABCD1","status":"0","remaining-balance":"3.14","message-price":"0.03","network":"23410","client-ref":"tocsin-42"}]}"#;

/// The keyring every test channel signs references with.
pub(super) fn keyring() -> Keyring {
    Keyring::new(b"sms test master key")
}

/// The reference the test channel gives delivery 42.
pub(super) fn reference_42() -> String {
    delivery_reference(&keyring(), 42)
}

pub(super) fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect()
}

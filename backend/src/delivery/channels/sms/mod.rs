//! SMS through one configured provider, with an optional fallback provider.
//!
//! A gateway accepting a message is [`Outcome::Sent`] with the provider's
//! message id; the provider's delivery receipt moves it on later (see
//! `domain::receipts`). Rejections that will not change on a retry (invalid
//! number, bad credentials, 4xx) fail; throttling, 5xx and timeouts are
//! retried, first on the fallback provider within the same attempt.
//!
//! One file per provider, each owning its settings, how its request is built,
//! how its answer is read, and (where it sends them) how its receipts are
//! parsed and their signatures checked: [`vonage`], [`twilio`],
//! [`clickatell`], [`generic`], [`email_gateway`]. This module chooses between
//! them and holds what they share. A new provider is a new file, its variant
//! in [`SmsProvider`], its section in [`SmsSettings`] and its line in
//! [`prepare`] (docs/EXTENDING.md).
//!
//! Provider base URLs are configuration, not user input, so provider calls go
//! through an [`OutboundClient`] whose policy allows every network
//! (`startup.rs`): a gateway may live on an internal network, and tests point
//! the base URLs at loopback fakes. The SSRF guard is for user-supplied URLs.
//!
//! Each message carries Tocsin's signed reference (`lifecycle::delivery_reference`),
//! and its accepted outcome names the provider that took it: only that
//! provider's receipts, for that reference or the provider's own id, may move
//! the delivery on.

mod answer;
pub mod clickatell;
pub mod email_gateway;
pub mod generic;
pub mod twilio;
pub mod vonage;

#[cfg(test)]
mod test_support;

use std::fmt;

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use url::Url;

pub use self::clickatell::ClickatellSettings;
pub use self::email_gateway::EmailGatewaySettings;
pub use self::generic::GenericSmsSettings;
pub use self::twilio::TwilioSettings;
pub use self::vonage::VonageSettings;
use super::email::EmailChannel;
use crate::delivery::message::{Outcome, OutgoingMessage};
use crate::delivery::outbound::OutboundClient;
use crate::domain::keyring::Keyring;

const FORM: &str = "application/x-www-form-urlencoded";
const JSON: &str = "application/json";
/// GSM 03.40 allows at most 11 characters in an alphanumeric sender id.
const MAX_ALPHANUMERIC_SENDER: usize = 11;
/// E.164 allows at most 15 digits.
const MAX_E164_DIGITS: usize = 15;

/// SMS settings (`sms` section, `TOCSIN_SMS__*`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct SmsSettings {
    /// The provider every message goes to first; `None` means SMS is not configured.
    pub provider: Option<SmsProvider>,
    /// Tried once in the same attempt when the provider's answer is worth a retry.
    pub fallback: Option<SmsProvider>,
    /// Sender id (alphanumeric, at most 11 characters, or a number) for providers that take one.
    pub sender: String,
    /// Vonage (Nexmo) SMS API.
    pub vonage: VonageSettings,
    /// Twilio Messages API.
    pub twilio: TwilioSettings,
    /// Clickatell Platform API.
    pub clickatell: ClickatellSettings,
    /// Any HTTP gateway, described by a URL and a body template.
    pub generic: GenericSmsSettings,
    /// An email-to-SMS gateway reached through the SMTP relay.
    pub email_gateway: EmailGatewaySettings,
    /// Base URL of this server as providers reach it (`TOCSIN_PUBLIC_URL`), for
    /// receipt callbacks; when empty, no callback URL is sent and receipts go to
    /// whatever the provider account is set up with.
    pub public_url: String,
}

impl Default for SmsSettings {
    fn default() -> Self {
        Self {
            provider: None,
            fallback: None,
            sender: "Tocsin".to_owned(),
            vonage: VonageSettings::default(),
            twilio: TwilioSettings::default(),
            clickatell: ClickatellSettings::default(),
            generic: GenericSmsSettings::default(),
            email_gateway: EmailGatewaySettings::default(),
            public_url: String::new(),
        }
    }
}

/// The SMS providers Tocsin can send through.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum SmsProvider {
    /// Vonage (formerly Nexmo) SMS API.
    Vonage,
    /// Twilio Programmable Messaging.
    Twilio,
    /// Clickatell Platform (One API).
    Clickatell,
    /// A configurable HTTP gateway.
    Generic,
    /// Email to `<digits>@<domain>`.
    EmailGateway,
}

impl SmsProvider {
    /// Stable identifier as in the settings, e.g. `"email_gateway"`.
    pub fn as_str(self) -> &'static str {
        match self {
            SmsProvider::Vonage => "vonage",
            SmsProvider::Twilio => "twilio",
            SmsProvider::Clickatell => "clickatell",
            SmsProvider::Generic => "generic",
            SmsProvider::EmailGateway => "email_gateway",
        }
    }
}

impl fmt::Display for SmsProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A provider with its settings checked and its URLs worked out, ready to send.
trait Gateway: Send + Sync {
    fn provider(&self) -> SmsProvider;

    /// One try; errors need not name the provider (the caller prefixes them).
    fn send<'a>(&'a self, tools: &'a Tools, msg: &'a OutgoingMessage, number: &'a Number<'a>)
        -> BoxFuture<'a, Outcome>;
}

/// Checks `provider`'s settings and prepares it.
fn prepare(provider: SmsProvider, settings: &SmsSettings, setup: &Setup) -> Result<Box<dyn Gateway>, String> {
    Ok(match provider {
        SmsProvider::Vonage => Box::new(vonage::Vonage::prepare(&settings.vonage, setup)?),
        SmsProvider::Twilio => Box::new(twilio::Twilio::prepare(&settings.twilio, setup)?),
        SmsProvider::Clickatell => Box::new(clickatell::Clickatell::prepare(&settings.clickatell, setup)?),
        SmsProvider::Generic => Box::new(generic::Generic::prepare(&settings.generic, setup)?),
        SmsProvider::EmailGateway => Box::new(email_gateway::EmailGateway::prepare(&settings.email_gateway, setup)?),
    })
}

/// What every provider sends with.
struct Tools {
    outbound: OutboundClient,
    email: Option<EmailChannel>,
    /// Signs the reference each message carries, so receipts cannot be forged.
    keyring: Keyring,
}

/// Delivers SMS messages through the configured provider(s).
pub struct SmsChannel {
    primary: Box<dyn Gateway>,
    fallback: Option<Box<dyn Gateway>>,
    tools: Tools,
}

// By hand: the prepared gateways hold credentials.
impl fmt::Debug for SmsChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmsChannel")
            .field("provider", &self.primary.provider())
            .field("fallback", &self.fallback.as_ref().map(|g| g.provider()))
            .finish_non_exhaustive()
    }
}

/// The destination number in the two spellings providers want.
struct Number<'a> {
    /// `+447700900123`
    e164: &'a str,
    /// `447700900123`
    digits: &'a str,
}

impl<'a> Number<'a> {
    fn parse(address: &'a str) -> Option<Self> {
        let digits = address.strip_prefix('+')?;
        let plausible = (2..=MAX_E164_DIGITS).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        plausible.then_some(Number { e164: address, digits })
    }
}

impl SmsChannel {
    /// `outbound` is a client for provider APIs (the provider base URLs are configuration, so tests point them at loopback fakes); `email` is needed for EmailGateway.
    ///
    /// Checks the settings of the provider and the fallback; `Ok(None)` when no
    /// provider is configured. Errors name the missing or bad setting and its
    /// environment variable, never a secret's value.
    pub fn new(
        settings: &SmsSettings,
        outbound: OutboundClient,
        email: Option<EmailChannel>,
        keyring: Keyring,
    ) -> Result<Option<Self>, String> {
        let Some(provider) = settings.provider else {
            return Ok(None);
        };
        if settings.fallback == Some(provider) {
            return Err(format!("sms.fallback must differ from sms.provider (both are {provider})"));
        }
        let public_url = public_url(&settings.public_url)?;
        let setup =
            |provider| Setup { provider, public_url: public_url.as_ref(), has_email: email.is_some(), settings };
        let primary = prepare(provider, settings, &setup(provider))?;
        let fallback = settings.fallback.map(|fallback| prepare(fallback, settings, &setup(fallback))).transpose()?;
        Ok(Some(Self { primary, fallback, tools: Tools { outbound, email, keyring } }))
    }

    /// Sends `msg.sms_text` to `msg.address` (E.164). When the provider's
    /// answer is worth a retry and a fallback is configured, the fallback is
    /// tried once; if it does not accept the message either, the outcome stays
    /// a retry (the provider may recover) with both errors.
    pub async fn send(&self, msg: &OutgoingMessage) -> Outcome {
        let Some(number) = Number::parse(msg.address.trim()) else {
            return Outcome::Failed {
                error: format!("invalid phone number {:?}: expected E.164 such as +447700900123", msg.address),
            };
        };
        if msg.sms_text.trim().is_empty() {
            return Outcome::Failed { error: "the SMS text is empty".to_owned() };
        }

        let first = self.send_via(self.primary.as_ref(), msg, &number).await;
        let (Outcome::Retry { error, after }, Some(fallback)) = (&first, &self.fallback) else {
            return first;
        };
        // Errors from send_via already start with the provider's name.
        match self.send_via(fallback.as_ref(), msg, &number).await {
            Outcome::Sent { provider_id, detail, via } => {
                Outcome::Sent { provider_id, detail: format!("{detail} (fallback after {error})"), via }
            }
            Outcome::Delivered { provider_id, detail } => Outcome::Sent {
                provider_id,
                detail: format!("{detail} (fallback after {error})"),
                via: Some(fallback.provider().as_str()),
            },
            Outcome::Retry { error: second, .. } => {
                Outcome::Retry { error: format!("{error}; fallback {second}"), after: *after }
            }
            // The fallback's refusal says nothing about the provider, which
            // may well take the message once it recovers.
            Outcome::Failed { error: second } => {
                Outcome::Retry { error: format!("{error}; fallback refused: {second}"), after: *after }
            }
        }
    }

    /// One provider, one try; errors start with the provider's name.
    async fn send_via(&self, gateway: &dyn Gateway, msg: &OutgoingMessage, number: &Number<'_>) -> Outcome {
        let outcome = gateway.send(&self.tools, msg, number).await;
        let name = gateway.provider();
        match outcome {
            Outcome::Retry { error, after } => Outcome::Retry { error: format!("{name}: {error}"), after },
            Outcome::Failed { error } => Outcome::Failed { error: format!("{name}: {error}") },
            // Only this provider's receipts may move the delivery on.
            Outcome::Sent { provider_id, detail, .. } => {
                Outcome::Sent { provider_id, detail, via: Some(name.as_str()) }
            }
            delivered @ Outcome::Delivered { .. } => delivered,
        }
    }
}

/// What a provider's settings are checked against: the settings they sit in,
/// and helpers whose errors name the setting and its environment variable.
struct Setup<'a> {
    provider: SmsProvider,
    public_url: Option<&'a Url>,
    has_email: bool,
    settings: &'a SmsSettings,
}

impl Setup<'_> {
    /// `value` trimmed, or an error naming `sms.<provider>.<field>`.
    fn required(&self, field: &str, value: &str) -> Result<String, String> {
        let value = value.trim();
        if value.is_empty() {
            let provider = self.provider;
            let section = provider.as_str().to_ascii_uppercase();
            let env = format!("TOCSIN_SMS__{section}__{}", field.to_ascii_uppercase());
            return Err(format!("sms.{provider}.{field} is required for the {provider} provider ({env})"));
        }
        Ok(value.to_owned())
    }

    /// `path` on the provider's `base_url`, which must be an http(s) URL.
    fn endpoint(&self, base: &str, path: &str) -> Result<String, String> {
        let base = self.required("base_url", base)?;
        let provider = self.provider;
        let url = Url::parse(&base)
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some())
            .ok_or_else(|| format!("sms.{provider}.base_url is not an http(s) URL"))?;
        Ok(format!("{}{path}", url.as_str().trim_end_matches('/')))
    }

    /// Where the provider should call back, when this server has a public URL.
    fn callback(&self, path: &str) -> Option<String> {
        self.public_url.map(|url| format!("{}{path}", url.as_str().trim_end_matches('/')))
    }

    /// The common sender id, checked as providers will check it.
    fn sender(&self) -> Result<String, String> {
        let sender = self.settings.sender.trim();
        if sender.is_empty() {
            return Err("sms.sender is required (TOCSIN_SMS__SENDER)".to_owned());
        }
        let numeric = sender.strip_prefix('+').unwrap_or(sender).bytes().all(|b| b.is_ascii_digit());
        if !numeric && sender.chars().count() > MAX_ALPHANUMERIC_SENDER {
            return Err(format!(
                "sms.sender {sender:?} is too long: an alphanumeric sender has at most {MAX_ALPHANUMERIC_SENDER} characters"
            ));
        }
        Ok(sender.to_owned())
    }
}

/// The receipt an `/ack/` request carries, read by the parser of the provider
/// whose fields it has: Vonage's (`client-ref`, or `messageId` with
/// `err-code`) or Clickatell's (`apiMsgId`, or the Platform API's `messageId`
/// with `statusCode`); anything else is `None`.
pub fn parse_ack(fields: &std::collections::BTreeMap<String, String>) -> Option<crate::domain::receipts::Receipt> {
    let has = |name: &str| fields.contains_key(name);
    if has("client-ref") || (has("messageId") && has("err-code")) {
        vonage::parse_receipt(fields)
    } else if has("apiMsgId") || (has("messageId") && has("statusCode")) {
        clickatell::parse_receipt(fields)
    } else {
        None
    }
}

/// The checked public URL, or `None` when callbacks are not wanted.
fn public_url(raw: &str) -> Result<Option<Url>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    Url::parse(raw)
        .ok()
        .filter(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some())
        .map(Some)
        .ok_or_else(|| format!("the public URL {raw:?} is not an http(s) URL (TOCSIN_PUBLIC_URL)"))
}

impl crate::delivery::channels::Channel for SmsChannel {
    fn send<'a>(&'a self, msg: &'a OutgoingMessage) -> futures_util::future::BoxFuture<'a, Outcome> {
        Box::pin(SmsChannel::send(self, msg))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::time::Duration;

    use secrecy::{ExposeSecret, SecretString};
    use serde_json::json;

    use super::test_support::*;
    use super::*;
    use crate::delivery::channels::tests::message;
    use crate::delivery::fake_http::{FakeServer, Reply};
    use crate::domain::media::Medium;
    use crate::domain::receipts::{ReceiptMatch, ReceiptStatus};

    #[tokio::test]
    async fn the_fallback_is_used_when_the_provider_answers_500() {
        let primary = FakeServer::start(Reply::status(500).body("oops")).await;
        let backup = FakeServer::start(Reply::status(201).body(r#"{"sid":"SM9","status":"queued"}"#)).await;
        let mut settings = settings(SmsProvider::Vonage, &primary.url(""));
        settings.fallback = Some(SmsProvider::Twilio);
        settings.twilio.base_url = backup.url("");
        let outcome = channel(&settings).send(&sms()).await;
        assert_eq!(
            outcome,
            Outcome::Sent {
                provider_id: Some("SM9".to_owned()),
                detail: "twilio queued, sid SM9 (fallback after vonage: HTTP 500: oops)".to_owned(),
                via: Some("twilio"),
            }
        );
        assert_eq!(primary.requests().len(), 1);
        assert_eq!(one_request(&backup).await.path, format!("/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"));
    }

    #[tokio::test]
    async fn the_fallback_is_used_when_the_provider_cannot_be_reached() {
        let port = FakeServer::unused_port().await;
        let backup =
            FakeServer::start(Reply::status(202).body(r#"{"messages":[{"apiMessageId":"c1","accepted":true}]}"#)).await;
        let mut settings = settings(SmsProvider::Twilio, &format!("http://127.0.0.1:{port}"));
        settings.fallback = Some(SmsProvider::Clickatell);
        settings.clickatell.base_url = backup.url("");
        let outcome = channel(&settings).send(&sms()).await;
        let Outcome::Sent { provider_id, detail, .. } = outcome else { panic!("{outcome:?}") };
        assert_eq!(provider_id.as_deref(), Some("c1"));
        assert!(detail.contains("fallback after twilio: connection failed"), "{detail}");
    }

    #[tokio::test]
    async fn a_permanent_refusal_does_not_try_the_fallback() {
        let primary = FakeServer::start(Reply::status(400).body(r#"{"code":21211,"message":"invalid"}"#)).await;
        let backup = FakeServer::start(Reply::status(201).body(r#"{"sid":"SM9"}"#)).await;
        let mut settings = settings(SmsProvider::Twilio, &primary.url(""));
        settings.fallback = Some(SmsProvider::Generic);
        settings.generic.url = backup.url("/send").into();
        let outcome = channel(&settings).send(&sms()).await;
        assert!(matches!(outcome, Outcome::Failed { .. }), "{outcome:?}");
        assert_eq!(backup.requests().len(), 0);
    }

    #[tokio::test]
    async fn when_both_providers_fail_the_outcome_is_a_retry_naming_both() {
        let primary = FakeServer::start(Reply::status(503).header("retry-after", "60")).await;
        let backup = FakeServer::start(Reply::status(502)).await;
        let mut settings = settings(SmsProvider::Clickatell, &primary.url(""));
        settings.fallback = Some(SmsProvider::Generic);
        settings.generic.url = backup.url("/send").into();
        let outcome = channel(&settings).send(&sms()).await;
        assert_eq!(
            outcome,
            Outcome::Retry {
                error: "clickatell: HTTP 503; fallback generic: HTTP 502".to_owned(),
                after: Some(Duration::from_secs(60))
            }
        );

        let backup = FakeServer::start(Reply::status(400).body("no")).await;
        settings.generic.url = backup.url("/send").into();
        let outcome = channel(&settings).send(&sms()).await;
        let Outcome::Retry { error, .. } = outcome else { panic!("{outcome:?}") };
        assert_eq!(error, "clickatell: HTTP 503; fallback refused: generic: HTTP 400: no");
    }

    #[tokio::test]
    async fn bad_numbers_empty_texts_and_other_media_fail_without_a_request() {
        let server = FakeServer::start(Reply::status(200).body(VONAGE_OK)).await;
        let channel = channel(&settings(SmsProvider::Vonage, &server.url("")));
        for address in ["447700900123", "+", "+44 7700 900123", "+0123456", "+1234567890123456", "tel:+447700900123"] {
            let mut msg = sms();
            msg.address = address.to_owned();
            let outcome = channel.send(&msg).await;
            assert!(
                matches!(&outcome, Outcome::Failed { error } if error.contains("invalid phone number")),
                "{address}: {outcome:?}"
            );
        }
        let mut msg = sms();
        msg.sms_text = " \n".to_owned();
        assert_eq!(channel.send(&msg).await, Outcome::Failed { error: "the SMS text is empty".to_owned() });
        let msg = message(Medium::Email, "a@example.com", json!({}));
        assert!(matches!(channel.send(&msg).await, Outcome::Failed { .. }));
        assert_eq!(server.requests().len(), 0);
    }

    #[test]
    fn no_provider_means_sms_is_not_configured() {
        let channel = SmsChannel::new(&SmsSettings::default(), loopback_client(TIMEOUT), None, keyring()).unwrap();
        assert!(channel.is_none());
    }

    /// An edit that breaks otherwise valid settings.
    type Change = fn(&mut SmsSettings);

    #[test]
    fn missing_or_bad_settings_are_refused_naming_the_setting_and_never_a_secret() {
        let base = "https://api.example.com";
        let cases: Vec<(Change, &str)> = vec![
            ((|s| s.vonage.api_key.clear()), "TOCSIN_SMS__VONAGE__API_KEY"),
            ((|s| s.vonage.api_secret = " ".into()), "TOCSIN_SMS__VONAGE__API_SECRET"),
            ((|s| s.vonage.base_url = "ftp://x".to_owned()), "sms.vonage.base_url"),
            ((|s| s.sender = "Tocsin Alerts Ltd".to_owned()), "at most 11"),
            ((|s| s.sender.clear()), "TOCSIN_SMS__SENDER"),
            ((|s| s.public_url = "not a url".to_owned()), "TOCSIN_PUBLIC_URL"),
            ((|s| s.fallback = Some(SmsProvider::Vonage)), "must differ"),
            (
                (|s| {
                    s.fallback = Some(SmsProvider::Twilio);
                    s.twilio.auth_token = SecretString::default();
                }),
                "TOCSIN_SMS__TWILIO__AUTH_TOKEN",
            ),
            (
                (|s| {
                    s.fallback = Some(SmsProvider::Twilio);
                    s.twilio.account_sid = "AC/../x".to_owned();
                }),
                "sms.twilio.account_sid",
            ),
            (
                (|s| {
                    s.fallback = Some(SmsProvider::Clickatell);
                    s.clickatell.api_key = SecretString::default();
                }),
                "TOCSIN_SMS__CLICKATELL__API_KEY",
            ),
            (
                (|s| {
                    s.fallback = Some(SmsProvider::Generic);
                    s.generic.method = "GET".to_owned();
                }),
                "use POST",
            ),
            (
                (|s| {
                    s.fallback = Some(SmsProvider::Generic);
                    s.generic.body_template.clear();
                }),
                "TOCSIN_SMS__GENERIC__BODY_TEMPLATE",
            ),
            (
                (|s| {
                    s.fallback = Some(SmsProvider::Generic);
                    s.generic.headers.insert("x-bad".to_owned(), "hunter2\r\nx: y".into());
                }),
                "sms.generic.headers.x-bad",
            ),
            (
                (|s| {
                    s.fallback = Some(SmsProvider::Generic);
                    s.generic.url = "hunter2-not-a-url".into();
                }),
                "sms.generic.url",
            ),
            ((|s| s.fallback = Some(SmsProvider::EmailGateway)), "TOCSIN_SMTP__HOST"),
        ];
        for (change, needle) in cases {
            let mut settings = settings(SmsProvider::Vonage, base);
            change(&mut settings);
            let err = SmsChannel::new(&settings, loopback_client(TIMEOUT), None, keyring()).unwrap_err();
            assert!(err.contains(needle), "{needle}: {err}");
            assert!(!err.contains("hunter2"), "{err}");
        }
        let mut settings = settings(SmsProvider::EmailGateway, base);
        settings.email_gateway.domain.clear();
        let err = SmsChannel::new(&settings, loopback_client(TIMEOUT), None, keyring()).unwrap_err();
        assert!(err.contains("TOCSIN_SMS__EMAIL_GATEWAY__DOMAIN"), "{err}");
    }

    #[test]
    fn a_numeric_sender_may_be_longer_than_eleven_characters() {
        let mut settings = settings(SmsProvider::Vonage, "https://api.example.com");
        settings.sender = "+447700900999".to_owned();
        assert!(SmsChannel::new(&settings, loopback_client(TIMEOUT), None, keyring()).unwrap().is_some());
    }

    #[test]
    fn settings_have_documented_defaults_and_never_show_secrets() {
        let settings: SmsSettings = serde_json::from_value(json!({
            "provider": "email_gateway",
            "fallback": "vonage",
            "vonage": {"api_key": "k", "api_secret": "hunter2-a", "signature_secret": "hunter2-b"},
            "twilio": {"auth_token": "hunter2-c"},
            "clickatell": {"api_key": "hunter2-d"},
            "generic": {"headers": {"authorization": "Bearer hunter2-e"}}
        }))
        .unwrap();
        assert_eq!(settings.provider, Some(SmsProvider::EmailGateway));
        assert_eq!(settings.fallback, Some(SmsProvider::Vonage));
        assert_eq!(settings.sender, "Tocsin");
        assert_eq!(settings.vonage.base_url, "https://rest.nexmo.com");
        assert_eq!(settings.vonage.api_secret.expose_secret(), "hunter2-a");
        assert_eq!(settings.twilio.base_url, "https://api.twilio.com");
        assert_eq!(settings.clickatell.base_url, "https://platform.clickatell.com");
        assert_eq!(settings.generic.method, "POST");
        assert_eq!(settings.generic.content_type, "application/json");
        assert_eq!(settings.public_url, "");
        let serialized = serde_json::to_string(&settings).unwrap();
        assert!(!serialized.contains("hunter2"), "{serialized}");
        let debug = format!("{settings:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        let channel = channel(&settings_for_debug());
        assert!(!format!("{channel:?}").contains("hunter2"));
        for provider in [
            SmsProvider::Vonage,
            SmsProvider::Twilio,
            SmsProvider::Clickatell,
            SmsProvider::Generic,
            SmsProvider::EmailGateway,
        ] {
            assert_eq!(serde_json::to_value(provider).unwrap(), json!(provider.as_str()));
        }
    }

    fn settings_for_debug() -> SmsSettings {
        let mut settings = settings(SmsProvider::Twilio, "https://api.example.com");
        settings.fallback = Some(SmsProvider::Generic);
        settings
    }

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
}

//! SMS through one configured provider, with an optional fallback provider.
//!
//! A gateway accepting a message is [`Outcome::Sent`] with the provider's
//! message id; the provider's delivery receipt moves it on later (see
//! `domain::receipts`). Rejections that will not change on a retry (invalid
//! number, bad credentials, 4xx) fail; throttling, 5xx and timeouts are
//! retried, first on the fallback provider within the same attempt.
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

use std::collections::BTreeMap;
use std::fmt;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::form_urlencoded;
use url::Url;

use super::classify;
use super::email::{EmailChannel, Mail};
use crate::delivery::message::{Outcome, OutgoingMessage};
use crate::delivery::outbound::{HttpReply, OutboundClient};
use crate::domain::keyring::Keyring;
use crate::domain::lifecycle::delivery_reference;
use crate::domain::media::Medium;
use crate::domain::sms::{analyse, SmsEncoding};

const FORM: &str = "application/x-www-form-urlencoded";
const JSON: &str = "application/json";
/// Longest excerpt of a provider's answer kept in an error message.
const EXCERPT_CHARS: usize = 200;
/// GSM 03.40 allows at most 11 characters in an alphanumeric sender id.
const MAX_ALPHANUMERIC_SENDER: usize = 11;
/// E.164 allows at most 15 digits.
const MAX_E164_DIGITS: usize = 15;
/// Path of the receipt endpoint shared by Vonage and Clickatell.
const ACK_PATH: &str = "/ack/";
/// Path of the Twilio status callback endpoint.
const TWILIO_RECEIPT_PATH: &str = "/api/v1/receipts/twilio";

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

    /// The upper-case settings section used in environment variable names.
    fn env(self) -> &'static str {
        match self {
            SmsProvider::Vonage => "VONAGE",
            SmsProvider::Twilio => "TWILIO",
            SmsProvider::Clickatell => "CLICKATELL",
            SmsProvider::Generic => "GENERIC",
            SmsProvider::EmailGateway => "EMAIL_GATEWAY",
        }
    }
}

impl fmt::Display for SmsProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Vonage SMS API settings.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct VonageSettings {
    /// API base URL (default `https://rest.nexmo.com`).
    pub base_url: String,
    /// Account API key.
    pub api_key: String,
    /// Account API secret; never serialized or printed.
    #[serde(skip_serializing)]
    pub api_secret: String,
    /// Signature secret for signed receipts; when set, unsigned receipts are refused.
    #[serde(skip_serializing)]
    pub signature_secret: Option<String>,
}

impl Default for VonageSettings {
    fn default() -> Self {
        Self {
            base_url: "https://rest.nexmo.com".to_owned(),
            api_key: String::new(),
            api_secret: String::new(),
            signature_secret: None,
        }
    }
}

impl fmt::Debug for VonageSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VonageSettings")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key)
            .field("api_secret", &redacted(&self.api_secret))
            .field("signature_secret", &self.signature_secret.as_deref().map(redacted))
            .finish()
    }
}

/// Twilio Messages API settings.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct TwilioSettings {
    /// API base URL (default `https://api.twilio.com`).
    pub base_url: String,
    /// Account SID (`AC…`).
    pub account_sid: String,
    /// Auth token, also the key of the status callbacks' signatures; never serialized or printed.
    #[serde(skip_serializing)]
    pub auth_token: String,
    /// A Twilio number or alphanumeric sender, or a Messaging Service SID (`MG…`);
    /// empty means the common `sender`.
    pub from: String,
}

impl Default for TwilioSettings {
    fn default() -> Self {
        Self {
            base_url: "https://api.twilio.com".to_owned(),
            account_sid: String::new(),
            auth_token: String::new(),
            from: String::new(),
        }
    }
}

impl fmt::Debug for TwilioSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwilioSettings")
            .field("base_url", &self.base_url)
            .field("account_sid", &self.account_sid)
            .field("auth_token", &redacted(&self.auth_token))
            .field("from", &self.from)
            .finish()
    }
}

/// Clickatell Platform API settings.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct ClickatellSettings {
    /// API base URL (default `https://platform.clickatell.com`).
    pub base_url: String,
    /// The integration's API key; never serialized or printed.
    #[serde(skip_serializing)]
    pub api_key: String,
}

impl Default for ClickatellSettings {
    fn default() -> Self {
        Self { base_url: "https://platform.clickatell.com".to_owned(), api_key: String::new() }
    }
}

impl fmt::Debug for ClickatellSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClickatellSettings")
            .field("base_url", &self.base_url)
            .field("api_key", &redacted(&self.api_key))
            .finish()
    }
}

/// A generic HTTP SMS gateway.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct GenericSmsSettings {
    /// Where the request goes.
    pub url: String,
    /// HTTP method; only `POST` is supported.
    pub method: String,
    /// Content type of the body (default `application/json`).
    pub content_type: String,
    /// The body, with `{to}` (E.164), `{to_digits}` (E.164 without `+`),
    /// `{text}` and `{reference}` replaced: JSON-escaped (without quotes) when
    /// the content type is JSON, form-encoded otherwise.
    pub body_template: String,
    /// Extra request headers, e.g. `Authorization`; values may be credentials,
    /// so they are never serialized or printed.
    #[serde(skip_serializing)]
    pub headers: BTreeMap<String, String>,
}

impl Default for GenericSmsSettings {
    fn default() -> Self {
        Self {
            url: String::new(),
            method: "POST".to_owned(),
            content_type: JSON.to_owned(),
            body_template: String::new(),
            headers: BTreeMap::new(),
        }
    }
}

impl fmt::Debug for GenericSmsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GenericSmsSettings")
            .field("url", &"<not shown>")
            .field("method", &self.method)
            .field("content_type", &self.content_type)
            .field("body_template", &self.body_template)
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Email-to-SMS gateway settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct EmailGatewaySettings {
    /// Messages go to `<E.164 digits without +>@<domain>`.
    pub domain: String,
}

fn redacted(secret: &str) -> &'static str {
    if secret.is_empty() {
        ""
    } else {
        "<redacted>"
    }
}

/// Delivers [`Medium::Sms`] messages through the configured provider(s).
pub struct SmsChannel {
    primary: Gateway,
    fallback: Option<Gateway>,
    outbound: OutboundClient,
    email: Option<EmailChannel>,
    /// Signs the reference each message carries, so receipts cannot be forged.
    keyring: Keyring,
}

// By hand: the prepared gateways hold credentials.
impl fmt::Debug for SmsChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmsChannel")
            .field("provider", &self.primary.provider())
            .field("fallback", &self.fallback.as_ref().map(Gateway::provider))
            .finish_non_exhaustive()
    }
}

/// A provider with its settings checked and its URLs worked out.
enum Gateway {
    Vonage(Vonage),
    Twilio(Twilio),
    Clickatell { url: String, api_key: String },
    Generic(Generic),
    Email { domain: String },
}

struct Vonage {
    url: String,
    api_key: String,
    api_secret: String,
    from: String,
    callback: Option<String>,
}

struct Twilio {
    url: String,
    /// The whole `Basic …` header value.
    authorization: String,
    from: TwilioFrom,
    callback: Option<String>,
}

struct Generic {
    url: String,
    content_type: String,
    /// Whether values are JSON-escaped (else form-encoded) into the template.
    json: bool,
    template: String,
    headers: Vec<(String, String)>,
}

/// Twilio takes either a sender or a Messaging Service, in different fields.
enum TwilioFrom {
    Sender(String),
    MessagingService(String),
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
        let primary = Gateway::prepare(provider, settings, public_url.as_ref(), email.is_some())?;
        let fallback = settings
            .fallback
            .map(|fallback| Gateway::prepare(fallback, settings, public_url.as_ref(), email.is_some()))
            .transpose()?;
        Ok(Some(Self { primary, fallback, outbound, email, keyring }))
    }

    /// Sends `msg.sms_text` to `msg.address` (E.164). When the provider's
    /// answer is worth a retry and a fallback is configured, the fallback is
    /// tried once; if it does not accept the message either, the outcome stays
    /// a retry (the provider may recover) with both errors.
    pub async fn send(&self, msg: &OutgoingMessage) -> Outcome {
        if msg.medium != Medium::Sms {
            return Outcome::Failed { error: format!("the SMS channel cannot deliver {} messages", msg.medium) };
        }
        let Some(number) = Number::parse(msg.address.trim()) else {
            return Outcome::Failed {
                error: format!("invalid phone number {:?}: expected E.164 such as +447700900123", msg.address),
            };
        };
        if msg.sms_text.trim().is_empty() {
            return Outcome::Failed { error: "the SMS text is empty".to_owned() };
        }

        let first = self.send_via(&self.primary, msg, &number).await;
        let (Outcome::Retry { error, after }, Some(fallback)) = (&first, &self.fallback) else {
            return first;
        };
        // Errors from send_via already start with the provider's name.
        match self.send_via(fallback, msg, &number).await {
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
    async fn send_via(&self, gateway: &Gateway, msg: &OutgoingMessage, number: &Number<'_>) -> Outcome {
        let outcome = match gateway {
            Gateway::Vonage(vonage) => self.vonage(vonage, msg, number).await,
            Gateway::Twilio(twilio) => self.twilio(twilio, msg, number).await,
            Gateway::Clickatell { url, api_key } => self.clickatell(url, api_key, msg, number).await,
            Gateway::Generic(generic) => self.generic(generic, msg, number).await,
            Gateway::Email { domain } => self.email_gateway(domain, msg, number).await,
        };
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

    async fn vonage(&self, vonage: &Vonage, msg: &OutgoingMessage, number: &Number<'_>) -> Outcome {
        let Vonage { url, api_key, api_secret, from, callback } = vonage;
        // Built in a block: the serializer is not `Send` and must not live across the await.
        let body = {
            let mut form = form_urlencoded::Serializer::new(String::new());
            form.append_pair("api_key", api_key)
                .append_pair("api_secret", api_secret)
                .append_pair("from", from)
                .append_pair("to", number.digits)
                .append_pair("text", &msg.sms_text);
            // Vonage sends "text" as GSM-7 and mangles anything outside it.
            if analyse(&msg.sms_text).encoding == SmsEncoding::Ucs2 {
                form.append_pair("type", "unicode");
            }
            form.append_pair("client-ref", &delivery_reference(&self.keyring, msg.delivery_id));
            if let Some(callback) = callback {
                form.append_pair("callback", callback);
            }
            form.finish().into_bytes()
        };
        let headers = [("accept", JSON.to_owned())];
        match self.outbound.post(url, &headers, FORM, body).await {
            Ok(reply) if is_success(&reply) => vonage_outcome(&reply),
            reply => classify(reply.as_ref()),
        }
    }

    async fn twilio(&self, twilio: &Twilio, msg: &OutgoingMessage, number: &Number<'_>) -> Outcome {
        let Twilio { url, authorization, from, callback } = twilio;
        let body = {
            let mut form = form_urlencoded::Serializer::new(String::new());
            form.append_pair("To", number.e164);
            match from {
                TwilioFrom::Sender(sender) => form.append_pair("From", sender),
                TwilioFrom::MessagingService(sid) => form.append_pair("MessagingServiceSid", sid),
            };
            form.append_pair("Body", &msg.sms_text);
            if let Some(callback) = callback {
                // The reference rides in the callback URL, which Twilio signs.
                let reference = delivery_reference(&self.keyring, msg.delivery_id);
                form.append_pair("StatusCallback", &format!("{callback}?ref={reference}"));
            }
            form.finish().into_bytes()
        };
        let headers = [("authorization", authorization.clone()), ("accept", JSON.to_owned())];
        match self.outbound.post(url, &headers, FORM, body).await {
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
            Ok(reply) => twilio_error(&reply),
            Err(err) => classify(Err(&err)),
        }
    }

    async fn clickatell(&self, url: &str, api_key: &str, msg: &OutgoingMessage, number: &Number<'_>) -> Outcome {
        let payload = serde_json::json!({
            "content": msg.sms_text,
            "to": [number.digits],
            "clientMessageId": delivery_reference(&self.keyring, msg.delivery_id),
        });
        let body = payload.to_string().into_bytes();
        // Clickatell takes the bare key, without a scheme, in Authorization.
        let headers = [("authorization", api_key.to_owned()), ("accept", JSON.to_owned())];
        match self.outbound.post(url, &headers, JSON, body).await {
            Ok(reply) if is_success(&reply) => clickatell_outcome(&reply),
            Ok(reply) => clickatell_error(&reply),
            Err(err) => classify(Err(&err)),
        }
    }

    async fn generic(&self, generic: &Generic, msg: &OutgoingMessage, number: &Number<'_>) -> Outcome {
        let Generic { url, content_type, json, template, headers } = generic;
        let reference = delivery_reference(&self.keyring, msg.delivery_id);
        let values = [
            ("to", number.e164),
            ("to_digits", number.digits),
            ("text", msg.sms_text.as_str()),
            ("reference", &reference),
        ];
        let body = render_template(template, &values, *json);
        let headers: Vec<(&str, String)> = headers.iter().map(|(name, value)| (name.as_str(), value.clone())).collect();
        match self.outbound.post(url, &headers, content_type, body.into_bytes()).await {
            Ok(reply) if is_success(&reply) => {
                let provider_id = json_id(&reply.body);
                let detail = match &provider_id {
                    Some(id) => format!("HTTP {}, id {id}", reply.status),
                    None => format!("HTTP {}", reply.status),
                };
                Outcome::Sent { provider_id, detail, via: None }
            }
            reply => classify(reply.as_ref()),
        }
    }

    async fn email_gateway(&self, domain: &str, msg: &OutgoingMessage, number: &Number<'_>) -> Outcome {
        let Some(email) = &self.email else {
            return Outcome::Failed { error: "the email gateway needs SMTP to be configured".to_owned() };
        };
        let to = format!("{}@{domain}", number.digits);
        // No subject: many gateways put it in front of the text, and the
        // text is all the recipient should get.
        email.send_mail(msg, Mail { to: &to, subject: None, body: &msg.sms_text }).await
    }
}

impl Gateway {
    fn provider(&self) -> SmsProvider {
        match self {
            Gateway::Vonage(_) => SmsProvider::Vonage,
            Gateway::Twilio(_) => SmsProvider::Twilio,
            Gateway::Clickatell { .. } => SmsProvider::Clickatell,
            Gateway::Generic(_) => SmsProvider::Generic,
            Gateway::Email { .. } => SmsProvider::EmailGateway,
        }
    }

    fn prepare(
        provider: SmsProvider,
        settings: &SmsSettings,
        public_url: Option<&Url>,
        has_email: bool,
    ) -> Result<Self, String> {
        let required = |field: &str, value: &str| -> Result<String, String> {
            let value = value.trim();
            if value.is_empty() {
                let env = format!("TOCSIN_SMS__{}__{}", provider.env(), field.to_ascii_uppercase());
                return Err(format!("sms.{provider}.{field} is required for the {provider} provider ({env})"));
            }
            Ok(value.to_owned())
        };
        let endpoint = |base: &str, path: &str| -> Result<String, String> {
            let base = required("base_url", base)?;
            let url = Url::parse(&base)
                .ok()
                .filter(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some())
                .ok_or_else(|| format!("sms.{provider}.base_url is not an http(s) URL"))?;
            Ok(format!("{}{path}", url.as_str().trim_end_matches('/')))
        };
        let callback = |path: &str| public_url.map(|url| format!("{}{path}", url.as_str().trim_end_matches('/')));

        Ok(match provider {
            SmsProvider::Vonage => {
                let vonage = &settings.vonage;
                Gateway::Vonage(Vonage {
                    url: endpoint(&vonage.base_url, "/sms/json")?,
                    api_key: required("api_key", &vonage.api_key)?,
                    api_secret: required("api_secret", &vonage.api_secret)?,
                    from: sender(&settings.sender)?,
                    callback: callback(ACK_PATH),
                })
            }
            SmsProvider::Twilio => {
                let twilio = &settings.twilio;
                let sid = required("account_sid", &twilio.account_sid)?;
                // The SID becomes part of the URL path.
                if !sid.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return Err("sms.twilio.account_sid must be letters and digits (AC…)".to_owned());
                }
                let token = required("auth_token", &twilio.auth_token)?;
                let from = match twilio.from.trim() {
                    "" => TwilioFrom::Sender(sender(&settings.sender)?),
                    sid if is_messaging_service(sid) => TwilioFrom::MessagingService(sid.to_owned()),
                    from => TwilioFrom::Sender(from.to_owned()),
                };
                Gateway::Twilio(Twilio {
                    url: endpoint(&twilio.base_url, &format!("/2010-04-01/Accounts/{sid}/Messages.json"))?,
                    authorization: format!("Basic {}", BASE64.encode(format!("{sid}:{token}"))),
                    from,
                    callback: callback(TWILIO_RECEIPT_PATH),
                })
            }
            SmsProvider::Clickatell => {
                let clickatell = &settings.clickatell;
                Gateway::Clickatell {
                    url: endpoint(&clickatell.base_url, "/messages")?,
                    api_key: required("api_key", &clickatell.api_key)?,
                }
            }
            SmsProvider::Generic => {
                let generic = &settings.generic;
                let url = required("url", &generic.url)?;
                // Not quoted: the URL may carry a token.
                let parsed = Url::parse(&url)
                    .ok()
                    .filter(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some())
                    .ok_or("sms.generic.url is not an http(s) URL")?;
                // The outbound client only POSTs.
                if !generic.method.trim().eq_ignore_ascii_case("POST") {
                    return Err(format!("sms.generic.method {:?} is not supported; use POST", generic.method));
                }
                let content_type = required("content_type", &generic.content_type)?;
                reqwest::header::HeaderValue::from_str(&content_type)
                    .map_err(|_| format!("sms.generic.content_type {content_type:?} is not a valid header value"))?;
                let template = generic.body_template.clone();
                if template.trim().is_empty() {
                    return Err("sms.generic.body_template is required for the generic provider \
                                (TOCSIN_SMS__GENERIC__BODY_TEMPLATE)"
                        .to_owned());
                }
                let mut headers = Vec::with_capacity(generic.headers.len());
                for (name, value) in &generic.headers {
                    reqwest::header::HeaderName::from_bytes(name.as_bytes())
                        .map_err(|_| format!("sms.generic.headers has an invalid header name {name:?}"))?;
                    // The value is not quoted: it is usually a credential.
                    reqwest::header::HeaderValue::from_str(value)
                        .map_err(|_| format!("sms.generic.headers.{name} is not a valid header value"))?;
                    headers.push((name.clone(), value.clone()));
                }
                let json = content_type.to_ascii_lowercase().contains("json");
                Gateway::Generic(Generic { url: parsed.into(), content_type, json, template, headers })
            }
            SmsProvider::EmailGateway => {
                let domain = required("domain", &settings.email_gateway.domain)?;
                if domain.contains(['@', ' ', '<', '>']) || lettre::Address::new("0", &domain).is_err() {
                    return Err(format!("sms.email_gateway.domain {domain:?} is not a mail domain"));
                }
                if !has_email {
                    return Err("the email_gateway SMS provider sends through SMTP, which is not configured \
                                (TOCSIN_SMTP__HOST)"
                        .to_owned());
                }
                Gateway::Email { domain: domain.to_ascii_lowercase() }
            }
        })
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

/// The common sender id, checked as providers will check it.
fn sender(raw: &str) -> Result<String, String> {
    let sender = raw.trim();
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

/// Twilio Messaging Service SIDs are "MG" and 32 hex digits.
fn is_messaging_service(from: &str) -> bool {
    from.len() == 34 && from.starts_with("MG") && from[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

fn is_success(reply: &HttpReply) -> bool {
    (200..=299).contains(&reply.status)
}

/// Vonage answers 200 for everything and reports per message part; the first
/// part that was not accepted decides. Statuses 1 (throttled), 5 (internal
/// error) and 10 (too many binds) are worth a retry; the rest (missing or
/// invalid parameters, bad credentials, barred number or account, quota...) are not.
fn vonage_outcome(reply: &HttpReply) -> Outcome {
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

/// Twilio refusals carry `{"code": 21211, "message": "..."}`; 429 and 5xx
/// are retried like any HTTP receiver's, other 4xx fail.
fn twilio_error(reply: &HttpReply) -> Outcome {
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

/// A 2xx from Clickatell lists each recipient as accepted or not.
fn clickatell_outcome(reply: &HttpReply) -> Outcome {
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
        (Some(false), _) => Outcome::Failed { error: clickatell_reason(first) },
        _ => unexpected(reply),
    }
}

/// Clickatell's error bodies have `errorCode`, `error` and `errorDescription`
/// at the top level (or per message).
fn clickatell_error(reply: &HttpReply) -> Outcome {
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
    let error = format!("HTTP {}: {}", reply.status, clickatell_reason(holder));
    match classify(Ok(reply)) {
        Outcome::Retry { after, .. } => Outcome::Retry { error, after },
        _ => Outcome::Failed { error },
    }
}

fn clickatell_reason(holder: &Value) -> String {
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

/// A success status with a body we cannot read: the message may or may not
/// have been taken. Retrying risks a duplicate, failing risks a lost alert;
/// for alerts the duplicate is the lesser evil.
fn unexpected(reply: &HttpReply) -> Outcome {
    Outcome::Retry {
        error: format!("HTTP {} with an unexpected answer: {}", reply.status, excerpt(&reply.body)),
        after: None,
    }
}

/// A string or number field of a JSON object, as text.
fn scalar(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn json_str(body: &str, field: &str) -> Option<String> {
    let value: Value = serde_json::from_str(body).ok()?;
    scalar(value.get(field)).filter(|s| !s.is_empty())
}

/// A top-level `id` or `message_id` of a JSON answer.
fn json_id(body: &str) -> Option<String> {
    json_str(body, "id").or_else(|| json_str(body, "message_id"))
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn excerpt(text: &str) -> String {
    let collapsed = collapse(text);
    let mut short: String = collapsed.chars().take(EXCERPT_CHARS).collect();
    if short.len() < collapsed.len() {
        short.push('…');
    }
    short
}

/// Replaces each `{name}` of `values` in one pass, so a value that itself
/// contains `{to}` is not expanded again; other braces (JSON) stay as they are.
fn render_template(template: &str, values: &[(&str, &str)], json: bool) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let candidate = &rest[open..];
        let hit = values.iter().find(|(name, _)| {
            candidate.strip_prefix('{').and_then(|c| c.strip_prefix(name)).is_some_and(|c| c.starts_with('}'))
        });
        match hit {
            Some((name, value)) => {
                out.push_str(&escape(value, json));
                rest = &candidate[name.len() + 2..];
            }
            None => {
                out.push('{');
                rest = &candidate[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// JSON string contents (no quotes) or `application/x-www-form-urlencoded`.
fn escape(value: &str, json: bool) -> String {
    if json {
        let quoted = Value::String(value.to_owned()).to_string();
        quoted[1..quoted.len() - 1].to_owned()
    } else {
        form_urlencoded::byte_serialize(value.as_bytes()).collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::*;
    use crate::delivery::channels::email::tests::{Script, SmtpSink};
    use crate::delivery::channels::tests::{loopback_client, message};
    use crate::delivery::fake_http::{FakeServer, Recorded, Reply};

    const TIMEOUT: Duration = Duration::from_secs(10);
    const TWILIO_SID: &str = "AC0123456789abcdef0123456789abcdef";

    fn sms() -> OutgoingMessage {
        message(Medium::Sms, "+447700900123", json!({}))
    }

    fn settings(provider: SmsProvider, base: &str) -> SmsSettings {
        SmsSettings {
            provider: Some(provider),
            public_url: "https://tocsin.example.com/".to_owned(),
            vonage: VonageSettings {
                base_url: base.to_owned(),
                api_key: "vkey".to_owned(),
                api_secret: "hunter2-vonage".to_owned(),
                signature_secret: None,
            },
            twilio: TwilioSettings {
                base_url: base.to_owned(),
                account_sid: TWILIO_SID.to_owned(),
                auth_token: "hunter2-twilio".to_owned(),
                from: "+15005550006".to_owned(),
            },
            clickatell: ClickatellSettings { base_url: base.to_owned(), api_key: "hunter2-clickatell".to_owned() },
            generic: GenericSmsSettings {
                url: format!("{base}/send?token=hunter2-url"),
                body_template: r#"{"to":"{to}","message":"{text}","ref":"{reference}"}"#.to_owned(),
                headers: BTreeMap::from([("x-api-key".to_owned(), "hunter2-generic".to_owned())]),
                ..GenericSmsSettings::default()
            },
            email_gateway: EmailGatewaySettings { domain: "sms.example.net".to_owned() },
            ..SmsSettings::default()
        }
    }

    fn channel(settings: &SmsSettings) -> SmsChannel {
        SmsChannel::new(settings, loopback_client(TIMEOUT), None, keyring()).unwrap().unwrap()
    }

    fn form(request: &Recorded) -> BTreeMap<String, String> {
        assert_eq!(request.header("content-type"), Some(FORM));
        form_urlencoded::parse(&request.body).into_owned().collect()
    }

    async fn one_request(server: &FakeServer) -> Recorded {
        let requests = server.wait_for_requests(1).await;
        assert_eq!(requests.len(), 1);
        requests.into_iter().next().unwrap()
    }

    fn assert_no_secret(outcome: &Outcome) {
        let text = format!("{outcome:?}");
        assert!(!text.contains("hunter2"), "{text}");
    }

    const VONAGE_OK: &str = r#"{"message-count":"1","messages":[{"to":"447700900123","message-id":"0A0000000123ABCD1","status":"0","remaining-balance":"3.14","message-price":"0.03","network":"23410","client-ref":"tocsin-42"}]}"#;

    /// The keyring every test channel signs references with.
    fn keyring() -> Keyring {
        Keyring::new(b"sms test master key")
    }

    /// The reference the test channel gives delivery 42.
    fn reference_42() -> String {
        delivery_reference(&keyring(), 42)
    }

    // ---- Vonage ------------------------------------------------------------

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

    // ---- Twilio ------------------------------------------------------------

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

    // ---- Clickatell --------------------------------------------------------

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

    // ---- generic -----------------------------------------------------------

    #[tokio::test]
    async fn the_generic_gateway_gets_the_json_template_with_escaped_values_and_headers() {
        let server = FakeServer::start(Reply::status(200).body(r#"{"id": 12345, "status": "ok"}"#)).await;
        let settings = settings(SmsProvider::Generic, &server.url(""));
        let mut msg = sms();
        msg.sms_text = "disk \"full\"\n{to} \\ é".to_owned();
        let outcome = channel(&settings).send(&msg).await;
        assert_eq!(
            outcome,
            Outcome::Sent {
                provider_id: Some("12345".to_owned()),
                detail: "HTTP 200, id 12345".to_owned(),
                via: Some("generic")
            }
        );
        let request = one_request(&server).await;
        assert_eq!((request.method.as_str(), request.path.as_str()), ("POST", "/send?token=hunter2-url"));
        assert_eq!(request.header("content-type"), Some(JSON));
        assert_eq!(request.header("x-api-key"), Some("hunter2-generic"));
        let payload: Value = serde_json::from_slice(&request.body).unwrap();
        assert_eq!(
            payload,
            json!({"to": "+447700900123", "message": "disk \"full\"\n{to} \\ é", "ref": reference_42()})
        );
    }

    #[tokio::test]
    async fn the_generic_gateway_form_encodes_values_for_other_content_types() {
        let server = FakeServer::start(Reply::status(202).body("queued")).await;
        let mut settings = settings(SmsProvider::Generic, &server.url(""));
        settings.generic.content_type = FORM.to_owned();
        settings.generic.body_template = "user=ops&number={to_digits}&msg={text}&id={reference}".to_owned();
        let mut msg = sms();
        msg.sms_text = "a&b=c 100%".to_owned();
        let outcome = channel(&settings).send(&msg).await;
        assert_eq!(outcome, Outcome::Sent { provider_id: None, detail: "HTTP 202".to_owned(), via: Some("generic") });
        let fields = form(&one_request(&server).await);
        let expected: BTreeMap<String, String> =
            [("user", "ops"), ("number", "447700900123"), ("msg", "a&b=c 100%"), ("id", reference_42().as_str())]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
        assert_eq!(fields, expected);
    }

    #[tokio::test]
    async fn the_generic_gateway_reads_a_message_id_field() {
        let server = FakeServer::start(Reply::status(201).body(r#"{"message_id":"abc-1"}"#)).await;
        let outcome = channel(&settings(SmsProvider::Generic, &server.url(""))).send(&sms()).await;
        assert_eq!(
            outcome,
            Outcome::Sent {
                provider_id: Some("abc-1".to_owned()),
                detail: "HTTP 201, id abc-1".to_owned(),
                via: Some("generic")
            }
        );
    }

    #[tokio::test]
    async fn generic_gateway_failures_are_classified_without_quoting_the_url() {
        let server = FakeServer::start(Reply::status(400).body("bad number")).await;
        let outcome = channel(&settings(SmsProvider::Generic, &server.url(""))).send(&sms()).await;
        assert_eq!(outcome, Outcome::Failed { error: "generic: HTTP 400: bad number".to_owned() });

        let server = FakeServer::start(Reply::status(500)).await;
        let outcome = channel(&settings(SmsProvider::Generic, &server.url(""))).send(&sms()).await;
        assert_eq!(outcome, Outcome::Retry { error: "generic: HTTP 500".to_owned(), after: None });

        let server = FakeServer::start(Reply::Stall).await;
        let settings = settings(SmsProvider::Generic, &server.url(""));
        let channel =
            SmsChannel::new(&settings, loopback_client(Duration::from_millis(300)), None, keyring()).unwrap().unwrap();
        let outcome = channel.send(&sms()).await;
        let Outcome::Retry { error, .. } = &outcome else { panic!("{outcome:?}") };
        assert!(error.starts_with("generic: timed out"), "{error}");
        assert_no_secret(&outcome);
    }

    #[test]
    fn templates_replace_each_placeholder_once_and_leave_other_braces() {
        let values = [("to", "+1{text}"), ("text", "x")];
        assert_eq!(render_template("{to}|{text}|{unknown}|{|}|{to", &values, true), "+1{text}|x|{unknown}|{|}|{to");
        assert_eq!(render_template("{text}", &[("text", "a\"b\u{1}")], true), "a\\\"b\\u0001");
        assert_eq!(render_template("m={text}", &[("text", "é &+")], false), "m=%C3%A9+%26%2B");
        assert_eq!(render_template("", &values, true), "");
    }

    // ---- email gateway -----------------------------------------------------

    #[tokio::test]
    async fn the_email_gateway_mails_the_text_to_the_digits_at_the_domain() {
        let sink = SmtpSink::start(Script::default()).await;
        let settings = settings(SmsProvider::EmailGateway, "http://unused.example");
        let channel =
            SmsChannel::new(&settings, loopback_client(TIMEOUT), Some(sink.channel()), keyring()).unwrap().unwrap();
        let outcome = channel.send(&sms()).await;
        let Outcome::Sent { provider_id, detail, .. } = outcome else { panic!("{outcome:?}") };
        assert!(provider_id.unwrap().starts_with("<tocsin-42."));
        assert!(detail.starts_with("SMTP 250"), "{detail}");
        let mail = &sink.wait_for_mails(1).await[0];
        assert_eq!(mail.rcpt_to, ["447700900123@sms.example.net"]);
        assert_eq!(mail.header("To").as_deref(), Some("447700900123@sms.example.net"));
        assert_eq!(mail.header("Subject"), None);
        assert_eq!(mail.body().trim_end(), "db-1 disk full");
    }

    #[tokio::test]
    async fn an_email_gateway_refusal_fails() {
        let sink = SmtpSink::start(Script { rcpt: Some("550 5.1.1 No such subscriber"), ..Script::default() }).await;
        let settings = settings(SmsProvider::EmailGateway, "http://unused.example");
        let channel =
            SmsChannel::new(&settings, loopback_client(TIMEOUT), Some(sink.channel()), keyring()).unwrap().unwrap();
        let outcome = channel.send(&sms()).await;
        let Outcome::Failed { error } = outcome else { panic!("{outcome:?}") };
        assert!(error.starts_with("email_gateway: SMTP permanent error (550)"), "{error}");
    }

    // ---- fallback ----------------------------------------------------------

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
        settings.generic.url = backup.url("/send");
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
        settings.generic.url = backup.url("/send");
        let outcome = channel(&settings).send(&sms()).await;
        assert_eq!(
            outcome,
            Outcome::Retry {
                error: "clickatell: HTTP 503; fallback generic: HTTP 502".to_owned(),
                after: Some(Duration::from_secs(60))
            }
        );

        let backup = FakeServer::start(Reply::status(400).body("no")).await;
        settings.generic.url = backup.url("/send");
        let outcome = channel(&settings).send(&sms()).await;
        let Outcome::Retry { error, .. } = outcome else { panic!("{outcome:?}") };
        assert_eq!(error, "clickatell: HTTP 503; fallback refused: generic: HTTP 400: no");
    }

    // ---- input checks ------------------------------------------------------

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

    // ---- settings ----------------------------------------------------------

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
            ((|s| s.vonage.api_secret = " ".to_owned()), "TOCSIN_SMS__VONAGE__API_SECRET"),
            ((|s| s.vonage.base_url = "ftp://x".to_owned()), "sms.vonage.base_url"),
            ((|s| s.sender = "Tocsin Alerts Ltd".to_owned()), "at most 11"),
            ((|s| s.sender.clear()), "TOCSIN_SMS__SENDER"),
            ((|s| s.public_url = "not a url".to_owned()), "TOCSIN_PUBLIC_URL"),
            ((|s| s.fallback = Some(SmsProvider::Vonage)), "must differ"),
            (
                (|s| {
                    s.fallback = Some(SmsProvider::Twilio);
                    s.twilio.auth_token.clear();
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
                    s.clickatell.api_key.clear();
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
                    s.generic.headers.insert("x-bad".to_owned(), "hunter2\r\nx: y".to_owned());
                }),
                "sms.generic.headers.x-bad",
            ),
            (
                (|s| {
                    s.fallback = Some(SmsProvider::Generic);
                    s.generic.url = "hunter2-not-a-url".to_owned();
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
        assert_eq!(settings.vonage.api_secret, "hunter2-a");
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
}

//! The delivery media Tocsin supports and the settings each one needs.

use std::fmt;

use serde_json::{json, Map, Value};

use super::email::EmailAddress;
use super::http_url::HttpUrl;
use super::phone::PhoneNumber;
use super::ValidationError;

/// Shortest accepted webhook signing secret, in characters.
pub const SECRET_MIN_CHARS: usize = 16;
/// Longest accepted webhook signing secret, in characters.
pub const SECRET_MAX_CHARS: usize = 256;
/// Longest accepted inbox operator username, in characters.
pub const OPERATOR_MAX_CHARS: usize = 64;

const WEBHOOK_FORMATS: [&str; 2] = ["json", "redflash"];
const DEFAULT_WEBHOOK_FORMAT: &str = "json";

/// A way of delivering a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Medium {
    /// Email via the configured SMTP relay.
    Email,
    /// Text message via the configured SMS gateway.
    Sms,
    /// JSON (or RedFlash-compatible) HTTP POST to any URL.
    Webhook,
    /// Slack incoming webhook.
    Slack,
    /// Microsoft Teams incoming webhook.
    Teams,
    /// An operator's in-app inbox.
    Inbox,
}

/// Settings that passed validation, plus what callers need from them.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidatedSettings {
    /// Normalised settings object to store.
    pub settings: Value,
    /// Human-readable destination (email, E.164 number, URL or username).
    pub address: String,
    /// For SMS: whether libphonenumber knows the number's range.
    pub phone_valid: Option<bool>,
    /// For inbox: the operator username whose existence the caller must check.
    pub inbox_operator: Option<String>,
}

impl Medium {
    /// Every medium, in the order they are offered to users.
    pub const ALL: [Medium; 6] =
        [Medium::Email, Medium::Sms, Medium::Webhook, Medium::Slack, Medium::Teams, Medium::Inbox];

    /// Stable identifier used in the API and database, e.g. `"sms"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Medium::Email => "email",
            Medium::Sms => "sms",
            Medium::Webhook => "webhook",
            Medium::Slack => "slack",
            Medium::Teams => "teams",
            Medium::Inbox => "inbox",
        }
    }

    /// Parses an identifier as produced by [`Medium::as_str`]; field `medium`.
    pub fn parse(raw: &str) -> Result<Medium, ValidationError> {
        // Exact match only, so this agrees with the serde representation.
        Medium::ALL.into_iter().find(|m| m.as_str() == raw).ok_or_else(|| {
            let known: Vec<&str> = Medium::ALL.iter().map(|m| m.as_str()).collect();
            ValidationError::new("medium", format!("unknown medium {raw:?}; known media: {}", known.join(", ")))
        })
    }

    /// Name shown in the UI.
    pub fn label(self) -> &'static str {
        match self {
            Medium::Email => "Email",
            Medium::Sms => "SMS",
            Medium::Webhook => "Webhook",
            Medium::Slack => "Slack",
            Medium::Teams => "Microsoft Teams",
            Medium::Inbox => "In-app inbox",
        }
    }

    /// One-sentence explanation shown in the UI.
    pub fn description(self) -> &'static str {
        match self {
            Medium::Email => "Sends the notification as an email to a single address.",
            Medium::Sms => "Sends the notification as a text message to a mobile phone number.",
            Medium::Webhook => {
                "POSTs the notification to an HTTP(S) endpoint as JSON or in the RedFlash format, optionally signed with a shared secret."
            }
            Medium::Slack => "Posts the notification to a Slack channel through an incoming webhook.",
            Medium::Teams => {
                "Posts the notification to a Microsoft Teams channel through an incoming webhook."
            }
            Medium::Inbox => "Delivers the notification to an operator's inbox inside Tocsin.",
        }
    }

    /// JSON Schema (draft 2020-12) of this medium's settings object.
    pub fn settings_schema(self) -> Value {
        let (properties, required) = match self {
            Medium::Email => (
                json!({
                    "address": {
                        "type": "string",
                        "format": "email",
                        "maxLength": super::email::MAX_LEN,
                        "title": "Email address",
                        "description": "Bare address such as ops@example.com, without a display name."
                    }
                }),
                vec!["address"],
            ),
            Medium::Sms => (
                json!({
                    "phone": {
                        "type": "string",
                        "maxLength": super::phone::MAX_INPUT_CHARS,
                        "title": "Phone number",
                        "description": "International format: + and the country code, e.g. +44 7700 900123. Spaces, dots, dashes and parentheses are ignored."
                    }
                }),
                vec!["phone"],
            ),
            Medium::Webhook => (
                json!({
                    "url": url_property("Endpoint URL", "The http:// or https:// URL that receives a POST per notification."),
                    "format": {
                        "type": "string",
                        "enum": WEBHOOK_FORMATS,
                        "default": DEFAULT_WEBHOOK_FORMAT,
                        "title": "Payload format",
                        "description": "json for Tocsin's own payload, redflash for receivers written for RedFlash."
                    },
                    "secret": {
                        "type": "string",
                        "minLength": SECRET_MIN_CHARS,
                        "maxLength": SECRET_MAX_CHARS,
                        "writeOnly": true,
                        "title": "Signing secret",
                        "description": "Optional shared secret used to sign each request; it is never shown again once saved."
                    }
                }),
                vec!["url"],
            ),
            Medium::Slack => (
                json!({
                    "url": url_property("Slack webhook URL", "The incoming webhook URL Slack generated for the channel.")
                }),
                vec!["url"],
            ),
            Medium::Teams => (
                json!({
                    "url": url_property("Teams webhook URL", "The incoming webhook URL Teams generated for the channel.")
                }),
                vec!["url"],
            ),
            Medium::Inbox => (
                json!({
                    "operator": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": OPERATOR_MAX_CHARS,
                        "pattern": "^[A-Za-z0-9_.@-]+$",
                        "title": "Operator",
                        "description": "Username of the operator whose in-app inbox receives the notification."
                    }
                }),
                vec!["operator"],
            ),
        };
        json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": format!("{} settings", self.label()),
            "description": self.description(),
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": false
        })
    }

    /// Validate and normalise settings; returns the settings to store.
    pub fn validate_settings(self, settings: &Value) -> Result<ValidatedSettings, ValidationError> {
        let object = settings.as_object().ok_or_else(|| {
            ValidationError::new("settings", format!("must be a JSON object, got {}", json_kind(settings)))
        })?;
        match self {
            Medium::Email => {
                reject_unknown(object, &["address"])?;
                let address =
                    EmailAddress::parse(required_str(object, "address")?).map_err(|e| e.within("settings"))?;
                Ok(plain(json!({ "address": address.as_str() }), address.as_str()))
            }
            Medium::Sms => {
                reject_unknown(object, &["phone"])?;
                let phone = PhoneNumber::parse(required_str(object, "phone")?).map_err(|e| e.within("settings"))?;
                Ok(ValidatedSettings {
                    settings: json!({ "phone": phone.e164() }),
                    address: phone.e164().to_owned(),
                    phone_valid: Some(phone.is_valid()),
                    inbox_operator: None,
                })
            }
            Medium::Webhook => {
                reject_unknown(object, &["url", "format", "secret"])?;
                let url = parse_url(object)?;
                let format = match optional_str(object, "format")? {
                    None => DEFAULT_WEBHOOK_FORMAT,
                    Some(f) => WEBHOOK_FORMATS.into_iter().find(|known| *known == f).ok_or_else(|| {
                        ValidationError::new(
                            "settings.format",
                            format!("must be one of {}", WEBHOOK_FORMATS.join(", ")),
                        )
                    })?,
                };
                // The default is written out so a later change of default
                // cannot silently change what existing receivers get.
                let mut stored = Map::new();
                stored.insert("url".into(), Value::from(url.as_str()));
                stored.insert("format".into(), Value::from(format));
                if let Some(secret) = optional_str(object, "secret")? {
                    let chars = secret.chars().count();
                    if !(SECRET_MIN_CHARS..=SECRET_MAX_CHARS).contains(&chars) {
                        return Err(ValidationError::new(
                            "settings.secret",
                            format!("must be {SECRET_MIN_CHARS} to {SECRET_MAX_CHARS} characters, got {chars}"),
                        ));
                    }
                    stored.insert("secret".into(), Value::from(secret));
                }
                Ok(plain(Value::Object(stored), url.as_str()))
            }
            Medium::Slack | Medium::Teams => {
                reject_unknown(object, &["url"])?;
                let url = parse_url(object)?;
                Ok(plain(json!({ "url": url.as_str() }), url.as_str()))
            }
            Medium::Inbox => {
                reject_unknown(object, &["operator"])?;
                let operator = required_str(object, "operator")?;
                validate_operator(operator)?;
                Ok(ValidatedSettings {
                    settings: json!({ "operator": operator }),
                    address: operator.to_owned(),
                    phone_valid: None,
                    inbox_operator: Some(operator.to_owned()),
                })
            }
        }
    }
}

impl fmt::Display for Medium {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Settings safe to show: for webhooks the write-only `secret` is replaced by
/// `secret_set`; other media are returned unchanged.
pub fn redact_settings(medium: Medium, settings: &Value) -> Value {
    match (medium, settings) {
        (Medium::Webhook, Value::Object(object)) => {
            let mut shown = object.clone();
            let secret = shown.remove("secret");
            let set = secret.is_some_and(|s| !s.is_null());
            shown.insert("secret_set".into(), Value::Bool(set));
            Value::Object(shown)
        }
        _ => settings.clone(),
    }
}

fn url_property(title: &str, description: &str) -> Value {
    json!({
        "type": "string",
        "format": "uri",
        "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://",
        "maxLength": super::http_url::MAX_LEN,
        "title": title,
        "description": description
    })
}

fn plain(settings: Value, address: &str) -> ValidatedSettings {
    ValidatedSettings { settings, address: address.to_owned(), phone_valid: None, inbox_operator: None }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn reject_unknown(object: &Map<String, Value>, allowed: &[&str]) -> Result<(), ValidationError> {
    // Typos such as "adress" must fail loudly rather than be dropped, or the
    // channel would be saved without the setting the user meant to give.
    match object.keys().find(|key| !allowed.contains(&key.as_str())) {
        Some(key) => Err(ValidationError::new(
            format!("settings.{key}"),
            format!("unknown setting; allowed: {}", allowed.join(", ")),
        )),
        None => Ok(()),
    }
}

fn required_str<'a>(object: &'a Map<String, Value>, key: &str) -> Result<&'a str, ValidationError> {
    optional_str(object, key)?.ok_or_else(|| ValidationError::new(format!("settings.{key}"), "is required"))
}

/// A string setting; absent and `null` both mean "not given".
fn optional_str<'a>(object: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, ValidationError> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => {
            Err(ValidationError::new(format!("settings.{key}"), format!("must be a string, got {}", json_kind(other))))
        }
    }
}

fn parse_url(object: &Map<String, Value>) -> Result<HttpUrl, ValidationError> {
    HttpUrl::parse("settings.url", required_str(object, "url")?)
}

fn validate_operator(operator: &str) -> Result<(), ValidationError> {
    let field = "settings.operator";
    if operator.is_empty() {
        return Err(ValidationError::new(field, "must not be empty"));
    }
    if let Some(bad) = operator.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '@' | '-'))) {
        return Err(ValidationError::new(
            field,
            format!("contains {bad:?}; usernames only use letters, digits, '_', '.', '@' and '-'"),
        ));
    }
    // ASCII only at this point, so bytes == characters.
    if operator.len() > OPERATOR_MAX_CHARS {
        return Err(ValidationError::new(field, format!("must be at most {OPERATOR_MAX_CHARS} characters")));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn err(medium: Medium, settings: Value) -> ValidationError {
        medium.validate_settings(&settings).unwrap_err()
    }

    #[test]
    fn as_str_parse_and_serde_agree() {
        for m in Medium::ALL {
            assert_eq!(Medium::parse(m.as_str()).unwrap(), m);
            assert_eq!(serde_json::to_value(m).unwrap(), json!(m.as_str()));
            assert_eq!(serde_json::from_value::<Medium>(json!(m.as_str())).unwrap(), m);
            assert_eq!(m.to_string(), m.as_str());
            assert!(!m.label().is_empty());
            assert!(m.description().ends_with('.'));
        }
        assert_eq!(Medium::Teams.label(), "Microsoft Teams");
        assert_eq!(Medium::Inbox.label(), "In-app inbox");
    }

    #[test]
    fn parse_rejects_unknown_and_lists_media() {
        let e = Medium::parse("pager").unwrap_err();
        assert_eq!(e.field, "medium");
        assert_eq!(e.message, "unknown medium \"pager\"; known media: email, sms, webhook, slack, teams, inbox");
        assert!(Medium::parse("SMS").is_err());
    }

    #[test]
    fn every_schema_is_a_closed_object_with_documented_properties() {
        for m in Medium::ALL {
            let schema = m.settings_schema();
            assert_eq!(schema["type"], "object", "{m}");
            assert_eq!(schema["additionalProperties"], false, "{m}");
            let properties = schema["properties"].as_object().unwrap();
            assert!(!properties.is_empty(), "{m}");
            for (name, property) in properties {
                assert!(property["title"].is_string(), "{m}.{name}");
                assert!(property["description"].is_string(), "{m}.{name}");
            }
            for required in schema["required"].as_array().unwrap() {
                assert!(properties.contains_key(required.as_str().unwrap()), "{m}");
            }
        }
        let webhook = Medium::Webhook.settings_schema();
        assert_eq!(webhook["properties"]["secret"]["writeOnly"], true);
        assert_eq!(webhook["properties"]["format"]["enum"], json!(["json", "redflash"]));
        assert_eq!(webhook["properties"]["format"]["default"], "json");
        assert_eq!(webhook["required"], json!(["url"]));
    }

    #[test]
    fn non_object_settings_are_rejected() {
        for value in [json!(null), json!("x"), json!(1), json!([]), json!(true)] {
            for m in Medium::ALL {
                let e = m.validate_settings(&value).unwrap_err();
                assert_eq!(e.field, "settings");
                assert!(e.message.starts_with("must be a JSON object"), "{}", e.message);
            }
        }
    }

    #[test]
    fn unknown_keys_are_named() {
        let e = err(Medium::Email, json!({"address": "a@b.c", "adress": "x"}));
        assert_eq!(e.field, "settings.adress");
        assert_eq!(e.message, "unknown setting; allowed: address");
        let e = err(Medium::Slack, json!({"url": "https://x.y/", "secret": "x"}));
        assert_eq!(e.field, "settings.secret");
    }

    #[test]
    fn missing_and_wrongly_typed_values() {
        let e = err(Medium::Email, json!({}));
        assert_eq!((e.field.as_str(), e.message.as_str()), ("settings.address", "is required"));
        let e = err(Medium::Sms, json!({"phone": 447700900123u64}));
        assert_eq!(e.field, "settings.phone");
        assert_eq!(e.message, "must be a string, got a number");
        let e = err(Medium::Webhook, json!({"url": ["https://x.y"]}));
        assert_eq!(e.message, "must be a string, got an array");
    }

    #[test]
    fn email_happy_path_and_error() {
        let v = Medium::Email.validate_settings(&json!({"address": " Ops@Example.COM "})).unwrap();
        assert_eq!(v.settings, json!({"address": "Ops@example.com"}));
        assert_eq!(v.address, "Ops@example.com");
        assert_eq!((v.phone_valid, v.inbox_operator), (None, None));
        let e = err(Medium::Email, json!({"address": "Ana <a@b.c>"}));
        assert_eq!(e.field, "settings.address");
    }

    #[test]
    fn sms_happy_path_and_error() {
        let v = Medium::Sms.validate_settings(&json!({"phone": "+1 (650) 253-0000"})).unwrap();
        assert_eq!(v.settings, json!({"phone": "+16502530000"}));
        assert_eq!(v.address, "+16502530000");
        assert_eq!(v.phone_valid, Some(true));
        let v = Medium::Sms.validate_settings(&json!({"phone": "+44 7700 900123"})).unwrap();
        assert_eq!(v.phone_valid, Some(false));
        let e = err(Medium::Sms, json!({"phone": "07700900123"}));
        assert_eq!(e.field, "settings.phone");
        assert_eq!(e.message, "must start with + and the country code");
    }

    #[test]
    fn webhook_defaults_format_and_keeps_secret() {
        let v = Medium::Webhook.validate_settings(&json!({"url": "https://hooks.example.com/a?b=c"})).unwrap();
        assert_eq!(v.settings, json!({"url": "https://hooks.example.com/a?b=c", "format": "json"}));
        assert_eq!(v.address, "https://hooks.example.com/a?b=c");

        let secret = "s".repeat(16);
        let v = Medium::Webhook
            .validate_settings(&json!({
                "url": "http://example.com",
                "format": "redflash",
                "secret": secret
            }))
            .unwrap();
        assert_eq!(v.settings, json!({"url": "http://example.com/", "format": "redflash", "secret": secret}));

        let v = Medium::Webhook
            .validate_settings(&json!({"url": "http://example.com", "format": null, "secret": null}))
            .unwrap();
        assert_eq!(v.settings, json!({"url": "http://example.com/", "format": "json"}));
    }

    #[test]
    fn webhook_errors() {
        let e = err(Medium::Webhook, json!({"url": "ftp://x.y/"}));
        assert_eq!(e.field, "settings.url");
        assert_eq!(e.message, "must use http or https, not ftp");
        let e = err(Medium::Webhook, json!({"url": "https://x.y/", "format": "xml"}));
        assert_eq!(e.field, "settings.format");
        assert_eq!(e.message, "must be one of json, redflash");
        let e = err(Medium::Webhook, json!({"url": "https://x.y/", "secret": "short"}));
        assert_eq!(e.field, "settings.secret");
        assert_eq!(e.message, "must be 16 to 256 characters, got 5");
        let e = err(Medium::Webhook, json!({"url": "https://x.y/", "secret": "s".repeat(257)}));
        assert_eq!(e.field, "settings.secret");
    }

    #[test]
    fn slack_and_teams() {
        for m in [Medium::Slack, Medium::Teams] {
            let v = m.validate_settings(&json!({"url": "https://hooks.example.com/services/T0/B0/x"})).unwrap();
            assert_eq!(v.address, "https://hooks.example.com/services/T0/B0/x");
            assert_eq!(v.settings, json!({"url": v.address}));
            let e = err(m, json!({"url": "javascript:alert(1)"}));
            assert_eq!(e.field, "settings.url");
            let e = err(m, json!({}));
            assert_eq!(e.message, "is required");
        }
    }

    #[test]
    fn inbox_operator() {
        let v = Medium::Inbox.validate_settings(&json!({"operator": "ana.smith@ops"})).unwrap();
        assert_eq!(v.settings, json!({"operator": "ana.smith@ops"}));
        assert_eq!(v.address, "ana.smith@ops");
        assert_eq!(v.inbox_operator.as_deref(), Some("ana.smith@ops"));
        assert_eq!(v.phone_valid, None);

        let e = err(Medium::Inbox, json!({"operator": "ana smith"}));
        assert_eq!(e.field, "settings.operator");
        assert!(e.message.starts_with("contains ' '"), "{}", e.message);
        let e = err(Medium::Inbox, json!({"operator": ""}));
        assert_eq!(e.message, "must not be empty");
        let e = err(Medium::Inbox, json!({"operator": "a".repeat(65)}));
        assert_eq!(e.message, "must be at most 64 characters");
    }

    #[test]
    fn redaction_hides_webhook_secret_only() {
        let stored = json!({"url": "https://x.y/", "format": "json", "secret": "s".repeat(16)});
        assert_eq!(
            redact_settings(Medium::Webhook, &stored),
            json!({"url": "https://x.y/", "format": "json", "secret_set": true})
        );
        let stored = json!({"url": "https://x.y/", "format": "json"});
        assert_eq!(
            redact_settings(Medium::Webhook, &stored),
            json!({"url": "https://x.y/", "format": "json", "secret_set": false})
        );
        let stored = json!({"phone": "+16502530000"});
        assert_eq!(redact_settings(Medium::Sms, &stored), stored);
        assert_eq!(redact_settings(Medium::Webhook, &json!(null)), json!(null));
    }
}

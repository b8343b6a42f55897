//! Any HTTP SMS gateway, described in the settings by a URL, a content type,
//! headers and a body template. It sends no receipts Tocsin can check.

use std::collections::BTreeMap;

use futures_util::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::{form_urlencoded, Url};

use super::answer::{is_success, json_str};
use super::{Gateway, Number, Setup, SmsProvider, Tools, JSON};
use crate::delivery::channels::classify;
use crate::delivery::message::{Outcome, OutgoingMessage};
use crate::domain::lifecycle::delivery_reference;

/// A generic HTTP SMS gateway.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct GenericSmsSettings {
    /// Where the request goes; it may carry a token, so it is never serialized or printed.
    #[serde(skip_serializing)]
    pub url: SecretString,
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
    pub headers: BTreeMap<String, SecretString>,
}

impl Default for GenericSmsSettings {
    fn default() -> Self {
        Self {
            url: SecretString::default(),
            method: "POST".to_owned(),
            content_type: JSON.to_owned(),
            body_template: String::new(),
            headers: BTreeMap::new(),
        }
    }
}

/// The generic gateway, ready to send.
pub(super) struct Generic {
    url: SecretString,
    content_type: String,
    /// Whether values are JSON-escaped (else form-encoded) into the template.
    json: bool,
    template: String,
    headers: Vec<(String, SecretString)>,
}

impl Generic {
    pub(super) fn prepare(settings: &GenericSmsSettings, setup: &Setup) -> Result<Self, String> {
        let url = setup.required("url", settings.url.expose_secret())?;
        // Not quoted: the URL may carry a token.
        let parsed = Url::parse(&url)
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some())
            .ok_or("sms.generic.url is not an http(s) URL")?;
        // The outbound client only POSTs.
        if !settings.method.trim().eq_ignore_ascii_case("POST") {
            return Err(format!("sms.generic.method {:?} is not supported; use POST", settings.method));
        }
        let content_type = setup.required("content_type", &settings.content_type)?;
        reqwest::header::HeaderValue::from_str(&content_type)
            .map_err(|_| format!("sms.generic.content_type {content_type:?} is not a valid header value"))?;
        let template = settings.body_template.clone();
        if template.trim().is_empty() {
            return Err("sms.generic.body_template is required for the generic provider \
                        (TOCSIN_SMS__GENERIC__BODY_TEMPLATE)"
                .to_owned());
        }
        let mut headers = Vec::with_capacity(settings.headers.len());
        for (name, value) in &settings.headers {
            reqwest::header::HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| format!("sms.generic.headers has an invalid header name {name:?}"))?;
            // The value is not quoted: it is usually a credential.
            reqwest::header::HeaderValue::from_str(value.expose_secret())
                .map_err(|_| format!("sms.generic.headers.{name} is not a valid header value"))?;
            headers.push((name.clone(), value.clone()));
        }
        let json = content_type.to_ascii_lowercase().contains("json");
        Ok(Self { url: String::from(parsed).into(), content_type, json, template, headers })
    }

    async fn post(&self, tools: &Tools, msg: &OutgoingMessage, number: &Number<'_>) -> Outcome {
        let reference = delivery_reference(&tools.keyring, msg.delivery_id);
        let values = [
            ("to", number.e164),
            ("to_digits", number.digits),
            ("text", msg.sms_text.as_str()),
            ("reference", &reference),
        ];
        let body = render_template(&self.template, &values, self.json);
        let headers: Vec<(&str, String)> =
            self.headers.iter().map(|(name, value)| (name.as_str(), value.expose_secret().to_owned())).collect();
        match tools.outbound.post(self.url.expose_secret(), &headers, &self.content_type, body.into_bytes()).await {
            Ok(reply) if is_success(&reply) => {
                let provider_id = json_str(&reply.body, "id").or_else(|| json_str(&reply.body, "message_id"));
                let detail = match &provider_id {
                    Some(id) => format!("HTTP {}, id {id}", reply.status),
                    None => format!("HTTP {}", reply.status),
                };
                Outcome::Sent { provider_id, detail, via: None }
            }
            reply => classify(reply.as_ref()),
        }
    }
}

impl Gateway for Generic {
    fn provider(&self) -> SmsProvider {
        SmsProvider::Generic
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
    use std::collections::BTreeMap;
    use std::time::Duration;

    use serde_json::{json, Value};

    use super::super::test_support::*;
    use super::super::{SmsChannel, SmsProvider, FORM};
    use super::*;
    use crate::delivery::fake_http::{FakeServer, Reply};

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
}

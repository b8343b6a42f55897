//! Which destination addresses are secrets, and how they are shown to those
//! who may not edit them.
//!
//! Rules:
//! - A Slack or Teams incoming-webhook URL is a credential (whoever holds it
//!   may post to the channel), so it is always a secret.
//! - Any other http(s) URL is a secret when it carries userinfo or a query
//!   string: that is where tokens travel (`?token=…`, `?sig=…`).
//! - Email addresses, phone numbers and inbox usernames are not secrets.
//! - A secret is shown as its scheme and host (with the port, if any) followed
//!   by `/…/****`: nothing of the path, query or userinfo is kept, since for
//!   Slack the token *is* the path.
//!
//! Who sees the full value is the access table's business
//! ([`Caller::sees_secrets`](super::access::Caller::sees_secrets)): those who
//! may edit destinations. The webhook signing `secret` is a different matter:
//! it is write-only and shown to nobody ([`redact_settings`](super::media::redact_settings)).

use std::borrow::Cow;

use url::Url;

use super::media::Medium;

/// What replaces everything after the host.
pub const MASK: &str = "/…/****";

/// What a secret that is not even a URL is shown as.
pub const OPAQUE: &str = "****";

/// How path steps are joined (`event x → contact ana → slack https://…`).
const STEP_SEPARATOR: &str = " → ";

/// Whether `address`, as a destination of `medium` (`"slack"`, `"webhook"`…),
/// is a secret.
pub fn is_secret(medium: &str, address: &str) -> bool {
    if matches!(Medium::parse(medium), Ok(Medium::Slack | Medium::Teams)) {
        return true;
    }
    match Url::parse(address) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => {
            !url.username().is_empty() || url.password().is_some() || url.query().is_some()
        }
        _ => false,
    }
}

/// The redacted form of a secret address: `https://hooks.slack.com/…/****`.
pub fn redact(address: &str) -> String {
    match Url::parse(address) {
        Ok(url) => match url.host_str().filter(|h| !h.is_empty()) {
            Some(host) => {
                let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
                format!("{}://{host}{port}{MASK}", url.scheme())
            }
            None => OPAQUE.to_owned(),
        },
        Err(_) => OPAQUE.to_owned(),
    }
}

/// `address` as someone who may not see secrets sees it.
pub fn address<'a>(medium: &str, address: &'a str) -> Cow<'a, str> {
    if is_secret(medium, address) {
        Cow::Owned(redact(address))
    } else {
        Cow::Borrowed(address)
    }
}

/// `text` (an error, a timeline detail) with every occurrence of a secret
/// `address` replaced by its redacted form.
pub fn within<'a>(text: &'a str, medium: &str, address: &str) -> Cow<'a, str> {
    if !address.is_empty() && text.contains(address) && is_secret(medium, address) {
        Cow::Owned(text.replace(address, &redact(address)))
    } else {
        Cow::Borrowed(text)
    }
}

/// A path text (`event disk-full → contact ana → slack https://…`) with the
/// address of each `<medium> <address>` step redacted when it is a secret.
/// Normalised URLs hold no spaces, so the separator cannot occur inside one.
pub fn path(text: &str) -> Cow<'_, str> {
    let secret_step = |step: &str| step.split_once(' ').is_some_and(|(medium, addr)| is_secret(medium, addr));
    if !text.split(STEP_SEPARATOR).any(secret_step) {
        return Cow::Borrowed(text);
    }
    let steps: Vec<String> = text
        .split(STEP_SEPARATOR)
        .map(|step| match step.split_once(' ') {
            Some((medium, addr)) if is_secret(medium, addr) => format!("{medium} {}", redact(addr)),
            _ => step.to_owned(),
        })
        .collect();
    Cow::Owned(steps.join(STEP_SEPARATOR))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const SLACK: &str = "https://hooks.slack.com/services/T0001/B0001/XXXXsecretXXXX";

    #[test]
    fn slack_and_teams_urls_are_always_secrets() {
        assert!(is_secret("slack", SLACK));
        assert!(is_secret("teams", "https://example.webhook.office.com/webhookb2/abc/IncomingWebhook/def"));
        assert!(is_secret("slack", "not even a URL"));
    }

    #[test]
    fn other_urls_are_secrets_with_userinfo_or_a_query() {
        assert!(is_secret("webhook", "https://hooks.example.com/in?token=abc"));
        assert!(is_secret("webhook", "https://hooks.example.com/in?"));
        assert!(is_secret("webhook", "https://user:pw@hooks.example.com/in"));
        assert!(is_secret("webhook", "https://user@hooks.example.com/in"));
        assert!(!is_secret("webhook", "https://hooks.example.com/in"));
        assert!(!is_secret("webhook", "https://hooks.example.com/in#fragment"));
    }

    #[test]
    fn addresses_that_are_not_urls_are_not_secrets() {
        assert!(!is_secret("email", "ana@example.com"));
        assert!(!is_secret("sms", "+447700900123"));
        assert!(!is_secret("inbox", "admin"));
        assert!(!is_secret("webhook", "ftp://user:pw@example.com/?x"));
    }

    #[test]
    fn a_secret_keeps_its_scheme_and_host_only() {
        assert_eq!(redact(SLACK), "https://hooks.slack.com/…/****");
        assert_eq!(redact("http://127.0.0.1:8025/services/T/B/X?y=1"), "http://127.0.0.1:8025/…/****");
        assert_eq!(redact("https://user:pw@[::1]/x"), "https://[::1]/…/****");
        assert_eq!(redact("no URL at all"), OPAQUE);
        for part in ["services", "T0001", "XXXXsecretXXXX"] {
            assert!(!redact(SLACK).contains(part));
        }
    }

    #[test]
    fn only_secrets_are_changed() {
        assert_eq!(address("slack", SLACK), "https://hooks.slack.com/…/****");
        assert!(matches!(address("email", "ana@example.com"), Cow::Borrowed("ana@example.com")));
        assert!(matches!(address("webhook", "https://x.example/hook"), Cow::Borrowed(_)));
    }

    #[test]
    fn a_secret_is_redacted_inside_a_text() {
        let text = format!("connection failed: {SLACK} refused; again {SLACK}");
        assert_eq!(
            within(&text, "slack", SLACK),
            "connection failed: https://hooks.slack.com/…/**** refused; again https://hooks.slack.com/…/****"
        );
        assert_eq!(within("HTTP 500", "slack", SLACK), "HTTP 500");
        assert_eq!(within("to ana@example.com", "email", "ana@example.com"), "to ana@example.com");
        assert_eq!(within("anything", "slack", ""), "anything");
    }

    #[test]
    fn a_path_has_its_secret_steps_redacted() {
        let text = format!("event disk-full → group ops → contact ana → slack {SLACK}");
        assert_eq!(path(&text), "event disk-full → group ops → contact ana → slack https://hooks.slack.com/…/****");
        let plain = "event disk-full → contact ana → webhook https://x.example/hook";
        assert!(matches!(path(plain), Cow::Borrowed(_)));
        assert_eq!(path("test → contact ana → sms +447700900123"), "test → contact ana → sms +447700900123");
        assert_eq!(
            path("contact ana → webhook https://x.example/hook?token=abc"),
            "contact ana → webhook https://x.example/…/****"
        );
    }
}

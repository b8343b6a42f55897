//! A destination to add or change. Settings are validated per medium; on a
//! change they can only be checked against the stored destination (a webhook
//! secret left out is kept), so the service does that part.

use tocsin_types::{DestinationUpdate, NewDestination};

use crate::domain::media::{Medium, ValidatedSettings};
use crate::domain::names::free_text;
use crate::domain::ValidationError;

const LABEL_MAX: usize = 100;

#[derive(Debug, Clone)]
pub struct DestinationDraft {
    pub medium: Medium,
    pub label: String,
    pub settings: ValidatedSettings,
    pub enabled: bool,
}

impl DestinationDraft {
    pub fn parse(input: NewDestination) -> Result<Self, ValidationError> {
        let medium = Medium::parse(&input.medium)?;
        Ok(DestinationDraft {
            settings: medium.validate_settings(&input.settings)?,
            label: free_text("label", input.label.as_deref().unwrap_or(""), LABEL_MAX)?,
            enabled: input.enabled.unwrap_or(true),
            medium,
        })
    }
}

#[derive(Debug, Clone, Default)]
pub struct DestinationPatch {
    pub label: Option<String>,
    /// New settings as given; validated against the destination's medium.
    pub settings: Option<serde_json::Value>,
    pub enabled: Option<bool>,
}

impl DestinationPatch {
    pub fn parse(input: DestinationUpdate) -> Result<Self, ValidationError> {
        Ok(DestinationPatch {
            label: input.label.as_deref().map(|l| free_text("label", l, LABEL_MAX)).transpose()?,
            settings: input.settings,
            enabled: input.enabled,
        })
    }

    /// Only switches the destination on or off.
    pub fn switch(enabled: bool) -> Self {
        DestinationPatch { enabled: Some(enabled), ..DestinationPatch::default() }
    }
}

/// Validates new settings for a destination's medium, keeping the stored
/// webhook secret when the caller did not resend it (it is never shown, so it
/// cannot be echoed back).
pub fn revalidate(
    medium: Medium,
    stored: &serde_json::Value,
    mut settings: serde_json::Value,
) -> Result<ValidatedSettings, ValidationError> {
    if let (Some(new), Some(secret)) = (settings.as_object_mut(), stored.get("secret")) {
        if !new.contains_key("secret") {
            new.insert("secret".into(), secret.clone());
        }
    }
    medium.validate_settings(&settings)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn phone_numbers_arrive_in_e164() {
        let input = NewDestination {
            medium: "sms".into(),
            label: None,
            settings: json!({"phone": "+44 7700 900123"}),
            enabled: None,
        };
        let draft = DestinationDraft::parse(input).unwrap();
        assert_eq!(draft.settings.address, "+447700900123");
        assert!(draft.enabled);
    }

    #[test]
    fn an_unknown_medium_is_named() {
        let input = NewDestination { medium: "pigeon".into(), label: None, settings: json!({}), enabled: None };
        assert_eq!(DestinationDraft::parse(input).unwrap_err().field, "medium");
    }

    #[test]
    fn a_secret_left_out_is_kept() {
        let stored = json!({"url": "https://example.com/hook", "secret": "s3cret-s3cret-s3cret"});
        let kept = revalidate(Medium::Webhook, &stored, json!({"url": "https://example.com/other"})).unwrap();
        assert_eq!(kept.settings["secret"], "s3cret-s3cret-s3cret");
    }
}

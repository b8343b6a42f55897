//! Secret addresses in answers, redacted for callers who may not edit
//! destinations. The rule of what is a secret and how it is shown is
//! `domain::redact`; who sees it in full is `Caller::sees_secrets`; this module
//! only walks the answers that carry addresses or paths. Handlers apply it
//! through [`Authorized::shown`](super::auth::Authorized::shown), so the
//! stored rows, the deliveries sent and the audit log keep the full value.

use tocsin_types::{
    Contact, Delivery, Destination, DryRunResponse, FireResponse, Notification, Page, PlannedRecipient, SkippedContact,
};

use crate::domain::redact;

/// An answer that may carry secret addresses: `redact` replaces each one by
/// its redacted form.
pub trait Redact {
    fn redact(&mut self);
}

impl<T: Redact> Redact for Vec<T> {
    fn redact(&mut self) {
        self.iter_mut().for_each(Redact::redact);
    }
}

impl<T: Redact> Redact for Page<T> {
    fn redact(&mut self) {
        self.items.redact();
    }
}

impl Redact for Destination {
    fn redact(&mut self) {
        if let Some(url) = self.settings.get_mut("url") {
            if let Some(text) = url.as_str() {
                *url = redact::address(&self.medium, text).into_owned().into();
            }
        }
        self.address = redact::address(&self.medium, &self.address).into_owned();
    }
}

impl Redact for Contact {
    fn redact(&mut self) {
        self.destinations.redact();
    }
}

impl Redact for SkippedContact {
    fn redact(&mut self) {
        self.path = redact::path(&self.path).into_owned();
    }
}

impl Redact for Delivery {
    fn redact(&mut self) {
        let (medium, address) = (self.medium.as_str(), self.address.as_str());
        for entry in &mut self.timeline {
            entry.detail = redact::within(&entry.detail, medium, address).into_owned();
        }
        if let Some(error) = &mut self.last_error {
            *error = redact::within(error, medium, address).into_owned();
        }
        self.path = redact::path(&self.path).into_owned();
        self.address = redact::address(medium, address).into_owned();
    }
}

impl Redact for Notification {
    fn redact(&mut self) {
        self.deliveries.redact();
        self.skipped.redact();
    }
}

impl Redact for PlannedRecipient {
    fn redact(&mut self) {
        self.path = redact::path(&self.path).into_owned();
        self.address = redact::address(&self.medium, &self.address).into_owned();
    }
}

impl Redact for DryRunResponse {
    fn redact(&mut self) {
        self.recipients.redact();
        self.skipped.redact();
    }
}

impl Redact for FireResponse {
    fn redact(&mut self) {
        self.skipped.redact();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use serde_json::json;

    use super::*;

    const SLACK: &str = "https://hooks.slack.com/services/T0001/B0001/XXXXsecretXXXX";
    const SHOWN: &str = "https://hooks.slack.com/…/****";
    const AT: &str = "2026-11-23T08:00:00Z";

    // Built from JSON, as clients see them, so fields added later with a
    // default do not need these tests to change.
    #[test]
    fn a_slack_destination_loses_its_url_in_address_and_settings() {
        let mut d: Destination = serde_json::from_value(json!({
            "id": 1, "contact": "ana", "medium": "slack", "label": "", "settings": {"url": SLACK},
            "address": SLACK, "enabled": true, "phone_valid": null, "created_at": AT, "updated_at": AT
        }))
        .unwrap();
        d.redact();
        assert_eq!((d.address.as_str(), &d.settings), (SHOWN, &json!({"url": SHOWN})));
    }

    #[test]
    fn a_delivery_loses_the_url_in_its_address_path_error_and_timeline() {
        let mut d: Delivery = serde_json::from_value(json!({
            "id": 1, "contact": "ana", "destination_id": 1, "medium": "slack", "address": SLACK,
            "path": format!("event x → contact ana → slack {SLACK}"), "status": "failed", "attempts": 1,
            "due_at": AT, "provider_message_id": null, "last_error": format!("refused {SLACK}"), "replay_of": null,
            "timeline": [{"at": AT, "kind": "failed", "detail": format!("at {SLACK}")}]
        }))
        .unwrap();
        d.redact();
        assert_eq!(d.address, SHOWN);
        assert_eq!(d.path, format!("event x → contact ana → slack {SHOWN}"));
        assert_eq!(d.last_error.as_deref(), Some(format!("refused {SHOWN}").as_str()));
        assert_eq!(d.timeline[0].detail, format!("at {SHOWN}"));
    }
}

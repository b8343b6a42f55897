//! Every medium Tocsin delivers over, in one list: which channel sends it,
//! how many of its sends may be in flight, and what to say when it is not
//! configured. The dispatcher's lanes (`startup.rs`), the sender
//! (`delivery::send`) and the media list (`GET /api/v1/media`) all come from
//! [`REGISTRY`], so adding a medium is its channel file and one line here
//! (docs/EXTENDING.md).

use std::sync::Arc;

use super::chat::ChatChannel;
use super::email::EmailChannel;
use super::inbox::InboxChannel;
use super::sms::SmsChannel;
use super::webhook::WebhookChannel;
use super::Channel;
use crate::delivery::outbound::OutboundClient;
use crate::domain::keyring::Keyring;
use crate::domain::media::Medium;
use crate::settings::{DeliverySettings, Settings};

/// What building a channel may use.
pub struct Parts<'a> {
    pub settings: &'a Settings,
    /// For user-supplied URLs: guarded against internal networks.
    pub guarded: OutboundClient,
    /// For provider APIs from the configuration, which may live anywhere.
    pub providers: OutboundClient,
    /// The SMTP relay, when configured (email, and the email-to-SMS gateway).
    pub email: Option<EmailChannel>,
    pub keyring: Keyring,
}

/// Builds a medium's channel: `Ok(None)` when it is not configured.
pub type Build = fn(&Parts) -> Result<Option<Arc<dyn Channel>>, String>;

/// One medium's entry.
pub struct Registration {
    pub medium: Medium,
    /// Sends of this medium that may be in flight at once.
    pub concurrency: fn(&DeliverySettings) -> usize,
    /// The channel, `Ok(None)` when the medium is not configured, or why the
    /// configuration is wrong (start-up then stops).
    pub build: Build,
    /// The failure of a delivery over the medium when it is not configured.
    pub unconfigured: &'static str,
}

/// Every medium, in the order they are offered to users.
pub const REGISTRY: &[Registration] = &[
    Registration {
        medium: Medium::Email,
        concurrency: |d| d.email_concurrency,
        build: |p| Ok(p.email.clone().map(|e| Arc::new(e) as Arc<dyn Channel>)),
        unconfigured: "email is not configured on this server (smtp settings, TOCSIN_SMTP__HOST)",
    },
    Registration {
        medium: Medium::Sms,
        concurrency: |d| d.sms_concurrency,
        build: |p| {
            let mut settings = p.settings.sms.clone();
            settings.public_url = p.settings.public_url().unwrap_or_default();
            let sms = SmsChannel::new(&settings, p.providers.clone(), p.email.clone(), p.keyring.clone())
                .map_err(|e| format!("sms: {e}"))?;
            Ok(sms.map(|s| Arc::new(s) as Arc<dyn Channel>))
        },
        unconfigured: "no SMS provider is configured on this server (sms settings, TOCSIN_SMS__PROVIDER)",
    },
    Registration {
        medium: Medium::Webhook,
        concurrency: |d| d.webhook_concurrency,
        build: |p| Ok(Some(Arc::new(WebhookChannel::new(p.guarded.clone())))),
        unconfigured: "",
    },
    Registration {
        medium: Medium::Slack,
        concurrency: |d| d.chat_concurrency,
        build: |p| Ok(Some(Arc::new(ChatChannel::new(p.guarded.clone())))),
        unconfigured: "",
    },
    Registration {
        medium: Medium::Teams,
        concurrency: |d| d.chat_concurrency,
        build: |p| Ok(Some(Arc::new(ChatChannel::new(p.guarded.clone())))),
        unconfigured: "",
    },
    Registration {
        medium: Medium::Inbox,
        concurrency: |d| d.webhook_concurrency,
        build: |_| Ok(Some(Arc::new(InboxChannel))),
        unconfigured: "",
    },
];

/// The registered media, in order.
pub fn media() -> impl Iterator<Item = Medium> {
    REGISTRY.iter().map(|r| r.medium)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_medium_is_registered_once() {
        let registered: Vec<Medium> = media().collect();
        assert_eq!(registered, Medium::ALL.to_vec());
    }
}

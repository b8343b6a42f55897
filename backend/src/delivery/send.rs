//! Picks the channel for a message's medium, from the registry.

use std::collections::HashMap;
use std::sync::Arc;

use super::channels::registry::{Parts, REGISTRY};
use super::channels::Channel;
use super::message::{Outcome, OutgoingMessage};
use crate::domain::media::Medium;

/// Every channel this instance can send through.
pub struct Channels {
    /// Each medium's channel, or why it cannot be sent over.
    lanes: HashMap<Medium, Result<Arc<dyn Channel>, &'static str>>,
}

impl Channels {
    /// Builds every registered channel; an error names a misconfigured one.
    pub fn build(parts: &Parts) -> Result<Self, String> {
        let mut lanes = HashMap::new();
        for r in REGISTRY {
            let lane = (r.build)(parts)?.ok_or(r.unconfigured);
            if lane.is_err() {
                tracing::warn!(medium = %r.medium, "not configured: deliveries over it will fail with a message saying so");
            }
            lanes.insert(r.medium, lane);
        }
        Ok(Self { lanes })
    }

    /// Sends one message. A medium whose provider is not configured fails with a
    /// message saying what to configure, rather than silently.
    pub async fn send(&self, message: &OutgoingMessage) -> Outcome {
        match self.lanes.get(&message.medium) {
            Some(Ok(channel)) => channel.send(message).await,
            Some(Err(why)) => Outcome::Failed { error: (*why).to_owned() },
            None => Outcome::Failed { error: format!("no channel is registered for {}", message.medium) },
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::*;
    use crate::delivery::channels::tests::{loopback_client, message};
    use crate::domain::keyring::Keyring;
    use crate::settings::Settings;

    #[tokio::test]
    async fn each_message_goes_to_its_mediums_channel_and_an_unconfigured_one_says_what_to_set() {
        let settings = Settings::default();
        let client = loopback_client(Duration::from_secs(5));
        let parts = Parts {
            settings: &settings,
            guarded: client.clone(),
            providers: client,
            email: None,
            keyring: Keyring::new(b"send test"),
        };
        let channels = Channels::build(&parts).unwrap();
        let inbox = channels.send(&message(Medium::Inbox, "admin", json!({}))).await;
        assert_eq!(inbox, Outcome::Delivered { provider_id: None, detail: "in the inbox of admin".into() });
        let sms = channels.send(&message(Medium::Sms, "+447700900123", json!({}))).await;
        assert!(matches!(&sms, Outcome::Failed { error } if error.contains("TOCSIN_SMS__PROVIDER")), "{sms:?}");
        let email = channels.send(&message(Medium::Email, "a@example.com", json!({}))).await;
        assert!(matches!(&email, Outcome::Failed { error } if error.contains("TOCSIN_SMTP__HOST")), "{email:?}");
    }
}

//! Picks the channel for a message's medium.

use super::channels::chat::ChatChannel;
use super::channels::email::EmailChannel;
use super::channels::sms::SmsChannel;
use super::channels::webhook::WebhookChannel;
use super::message::{Outcome, OutgoingMessage};
use super::outbound::OutboundClient;
use crate::domain::media::Medium;

/// Every channel this instance can send through.
pub struct Channels {
    webhook: WebhookChannel,
    chat: ChatChannel,
    email: Option<EmailChannel>,
    sms: Option<SmsChannel>,
}

impl Channels {
    /// `outbound` is for user-supplied URLs (guarded); email and SMS are `None`
    /// when their provider is not configured.
    pub fn new(outbound: OutboundClient, email: Option<EmailChannel>, sms: Option<SmsChannel>) -> Self {
        Self { webhook: WebhookChannel::new(outbound.clone()), chat: ChatChannel::new(outbound), email, sms }
    }

    /// Sends one message. A medium whose provider is not configured fails with a
    /// message saying what to configure, rather than silently.
    pub async fn send(&self, message: &OutgoingMessage) -> Outcome {
        match message.medium {
            Medium::Webhook => self.webhook.send(message).await,
            Medium::Slack | Medium::Teams => self.chat.send(message).await,
            // The delivery row is the inbox item: stored means delivered.
            Medium::Inbox => {
                Outcome::Delivered { provider_id: None, detail: format!("in the inbox of {}", message.address) }
            }
            Medium::Email => match &self.email {
                Some(email) => email.send(message).await,
                None => Outcome::Failed {
                    error: "email is not configured on this server (smtp settings, TOCSIN_SMTP__HOST)".into(),
                },
            },
            Medium::Sms => match &self.sms {
                Some(sms) => sms.send(message).await,
                None => Outcome::Failed {
                    error: "no SMS provider is configured on this server (sms settings, TOCSIN_SMS__PROVIDER)".into(),
                },
            },
        }
    }
}

//! What a channel is given to send and what it reports back.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::domain::media::Medium;

/// One message to one destination, as the dispatcher hands it to a channel.
#[derive(Debug, Clone, PartialEq)]
pub struct OutgoingMessage {
    /// Row id of the delivery; stable across retries.
    pub delivery_id: i64,
    /// 32 lowercase hex, the notification's public id.
    pub notification_id: String,
    /// The medium of the destination.
    pub medium: Medium,
    /// The destination's address snapshot (URL, phone, email, username).
    pub address: String,
    /// The destination's stored settings (webhook: url, format "json"|"redflash", optional secret).
    pub settings: serde_json::Value,
    /// The event name the notification was raised for, if any.
    pub event: Option<String>,
    /// Severity name, e.g. "critical".
    pub severity: String,
    /// Rendered subject line; may be empty.
    pub subject: String,
    /// Rendered body.
    pub body: String,
    /// Rendered short text for SMS.
    pub sms_text: String,
    /// 1 for the first try.
    pub attempt: i32,
    /// When the notification was created.
    pub created_at: DateTime<Utc>,
}

/// What happened, in the terms of the delivery states.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Final success confirmed by the receiver (webhook 2xx).
    Delivered {
        /// The receiver's id for the message, when it gives one.
        provider_id: Option<String>,
        /// Short human-readable account, e.g. "HTTP 200".
        detail: String,
    },
    /// Accepted by a provider that may send a receipt later (SMS gateway, SMTP 250).
    Sent {
        /// The provider's id for the message, used to match a later receipt.
        provider_id: Option<String>,
        /// Short human-readable account of the provider's answer.
        detail: String,
        /// The provider that took it (an SMS gateway): only its receipts may
        /// move the delivery on.
        via: Option<&'static str>,
    },
    /// Worth retrying; `after` when the receiver said when (Retry-After).
    Retry {
        /// Why this attempt did not succeed.
        error: String,
        /// The delay the receiver asked for, if it asked.
        after: Option<Duration>,
    },
    /// Can never succeed (4xx other than 408/429, refused address, bad settings).
    Failed {
        /// Why the delivery cannot succeed.
        error: String,
    },
}

//! The delivery lifecycle in one place: the states a delivery and a
//! notification go through, what a provider's receipt may change, and the
//! reference Tocsin gives providers so that a receipt can find its delivery.
//!
//! Delivery states: `queued` → `sending` → `sent` → `delivered`, or a final
//! `failed`, `expired` or `cancelled`. A final state never changes. A
//! transient error puts the row back to `queued` for a later try.
//!
//! A delivery is a **page** (what escalates, and what acknowledging stops) or
//! a **notice** (confirmations, resolve notices, broadcast updates: sent
//! whatever the notification's state).
//!
//! The store keeps each of these as its word in a text column:
//! [`as_str`](DeliveryStatus::as_str) and `parse` are the only spellings,
//! used by every query and row (`store/lifecycle.rs` maps them for diesel), so
//! no status word is written anywhere else.

use std::fmt;

use super::credentials::hashes_equal;
use super::keyring::{Keyring, Purpose};

/// Declares a closed set of states spelled as lowercase words in the database.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        ///
        /// Stored as its word in a text column (`store/lifecycle.rs`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow)]
        #[diesel(sql_type = diesel::sql_types::Text)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in lifecycle order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The word stored in the database and shown in the API.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// The value spelled `text`, if it is one.
            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.as_str().to_owned()
            }
        }

        impl TryFrom<String> for $name {
            type Error = UnknownState;

            fn try_from(text: String) -> Result<Self, UnknownState> {
                Self::parse(&text).ok_or(UnknownState { kind: stringify!($name), text })
            }
        }
    };
}

/// A stored word that names no state: the database holds something this
/// version does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {text:?}")]
pub struct UnknownState {
    kind: &'static str,
    text: String,
}

text_enum! {
    /// Where one delivery stands.
    DeliveryStatus {
        /// Waiting for its due time or a dispatcher.
        Queued => "queued",
        /// Leased to a dispatcher, which is sending it.
        Sending => "sending",
        /// Accepted by a provider that may send a receipt (SMS gateway, SMTP 250).
        Sent => "sent",
        /// Reached the person (webhook 2xx, SMS receipt, inbox stored).
        Delivered => "delivered",
        /// Can never succeed.
        Failed => "failed",
        /// Still failing after the medium's maximum age, or expired at the provider.
        Expired => "expired",
        /// Stopped before it was sent (acknowledged, resolved, or the provider cancelled it).
        Cancelled => "cancelled",
    }
}

impl DeliveryStatus {
    /// A final state never changes.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Delivered | Self::Failed | Self::Expired | Self::Cancelled)
    }

    /// The states that still count as work in hand (queue depth, metrics).
    pub const OPEN: [DeliveryStatus; 3] = [Self::Queued, Self::Sending, Self::Sent];
}

text_enum! {
    /// What a delivery is for.
    DeliveryKind {
        /// Escalates and is stopped by acknowledge and resolve.
        Page => "page",
        /// Goes out whatever the notification's state.
        Notice => "notice",
    }
}

text_enum! {
    /// Where a notification stands: open → acknowledged → resolved.
    NotificationState {
        Open => "open",
        Acknowledged => "acknowledged",
        Resolved => "resolved",
    }
}

impl NotificationState {
    /// The states a notification may move to `self` from: an open one may be
    /// acknowledged; an open or acknowledged one may be resolved.
    pub fn reachable_from(self) -> &'static [NotificationState] {
        match self {
            Self::Open => &[],
            Self::Acknowledged => &[Self::Open],
            Self::Resolved => &[Self::Open, Self::Acknowledged],
        }
    }

    /// Whether pages of a notification in this state may still be sent.
    pub fn takes_pages(self) -> bool {
        self == Self::Open
    }
}

text_enum! {
    /// The state a provider's receipt reports, in the terms of the delivery states.
    ReceiptStatus {
        /// Reached the handset.
        Delivered => "delivered",
        /// Still on its way (queued, buffered, at the carrier): stays sent.
        Sent => "sent",
        /// Will not be delivered.
        Failed => "failed",
        /// Gave up after the validity period.
        Expired => "expired",
        /// Cancelled before delivery.
        Cancelled => "cancelled",
        /// The provider does not know (yet).
        Unknown => "unknown",
    }
}

impl ReceiptStatus {
    /// The final delivery state this receipt reports, if it reports one.
    pub fn final_status(self) -> Option<DeliveryStatus> {
        match self {
            Self::Delivered => Some(DeliveryStatus::Delivered),
            Self::Failed => Some(DeliveryStatus::Failed),
            Self::Expired => Some(DeliveryStatus::Expired),
            Self::Cancelled => Some(DeliveryStatus::Cancelled),
            Self::Sent | Self::Unknown => None,
        }
    }
}

text_enum! {
    /// What a provider called back with.
    CallbackKind {
        /// A delivery receipt.
        Receipt => "receipt",
        /// A message sent to us (an SMS reply).
        Inbound => "inbound",
    }
}

text_enum! {
    /// What became of a provider callback, kept with it.
    CallbackOutcome {
        /// Applied to its delivery.
        Matched => "matched",
        /// Its delivery's send outcome is not recorded yet: applied once it is.
        Waiting => "waiting",
        /// Names no delivery it may touch (another medium or provider, an
        /// unknown id, a delivery waiting for a retry), or cannot be read.
        Unmatched => "unmatched",
        /// A signature or reference tag did not verify.
        Unverified => "unverified",
        /// An inbound message, kept as it came.
        Kept => "kept",
    }
}

/// What an authentic receipt from the right provider does to a delivery in
/// a given state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiptEffect {
    /// Moves the delivery to this final state (and adds to its timeline).
    Moves(DeliveryStatus),
    /// Adds to the timeline only: still on its way, or already final.
    Notes,
    /// The send's outcome is not recorded yet: kept, and applied once it is.
    Waits,
    /// Changes nothing and adds nothing: a receipt for a delivery waiting for
    /// a retry can only be about an earlier attempt (or forged).
    Ignored,
}

/// What a receipt reporting `to` does to a delivery in `current`.
///
/// Only a `sent` delivery moves, only forward, only into a final state. A
/// `sending` one has not had its outcome recorded yet (the receipt beat it
/// to the database): the receipt waits. A final delivery never changes.
pub fn receipt_effect(current: DeliveryStatus, to: ReceiptStatus) -> ReceiptEffect {
    match (current, to.final_status()) {
        (DeliveryStatus::Sent, Some(status)) => ReceiptEffect::Moves(status),
        (DeliveryStatus::Sent, None) => ReceiptEffect::Notes,
        (DeliveryStatus::Sending, _) => ReceiptEffect::Waits,
        (status, _) if status.is_final() => ReceiptEffect::Notes,
        _ => ReceiptEffect::Ignored,
    }
}

/// Prefix of every delivery reference.
const REFERENCE_PREFIX: &str = "tocsin-";
/// Characters of the tag: 13 base32 characters carry 64 bits of the HMAC.
const TAG_LEN: usize = 13;
/// Lowercase RFC 4648 base32: survives providers that fold case or put the
/// reference in a URL.
const BASE32: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// The reference Tocsin gives a provider for a delivery (Vonage `client-ref`,
/// Clickatell `clientMessageId`, the Twilio callback URL): `tocsin-<id>-<tag>`,
/// the tag an HMAC of the id under the keyring's `receipt` key, so nobody can
/// make up the reference of a delivery. At most 40 characters (Vonage's
/// limit for `client-ref`): 7 + up to 19 digits + 1 + 13.
pub fn delivery_reference(keyring: &Keyring, delivery_id: i64) -> String {
    format!("{REFERENCE_PREFIX}{delivery_id}-{}", reference_tag(keyring, delivery_id))
}

/// Whether `text` is spelled like one of our references (whether or not it
/// verifies): a provider account may be shared with other senders, whose
/// references are none of our business.
pub fn is_our_reference(text: &str) -> bool {
    text.starts_with(REFERENCE_PREFIX)
}

/// The delivery a reference made by [`delivery_reference`] names; `None` for
/// anything else: another spelling of the id, a tag that does not verify, an
/// old unsigned `tocsin-<id>`.
pub fn parse_delivery_reference(keyring: &Keyring, reference: &str) -> Option<i64> {
    let rest = reference.strip_prefix(REFERENCE_PREFIX)?;
    let (digits, tag) = rest.split_once('-')?;
    if digits.is_empty() || digits.len() > 19 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let id: i64 = digits.parse().ok()?;
    // One spelling per id (no leading zeros), so a reference names one delivery.
    if id.to_string() != digits {
        return None;
    }
    hashes_equal(&reference_tag(keyring, id), tag).then_some(id)
}

fn reference_tag(keyring: &Keyring, delivery_id: i64) -> String {
    let mac = keyring.sign(Purpose::Receipt, format!("delivery:{delivery_id}").as_bytes());
    let mut bits = u64::from_be_bytes([mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], mac[6], mac[7]]);
    let mut tag = String::with_capacity(TAG_LEN);
    for _ in 0..TAG_LEN {
        tag.push(char::from(BASE32[(bits >> 59) as usize]));
        bits <<= 5;
    }
    tag
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn ring() -> Keyring {
        Keyring::new(b"test master key")
    }

    #[test]
    fn every_state_round_trips_through_its_word() {
        for status in DeliveryStatus::ALL {
            assert_eq!(DeliveryStatus::try_from(status.as_str().to_owned()), Ok(*status));
        }
        for kind in DeliveryKind::ALL {
            assert_eq!(DeliveryKind::parse(kind.as_str()), Some(*kind));
        }
        for state in NotificationState::ALL {
            assert_eq!(NotificationState::parse(state.as_str()), Some(*state));
        }
        for status in ReceiptStatus::ALL {
            assert_eq!(ReceiptStatus::parse(status.as_str()), Some(*status));
        }
        assert!(DeliveryStatus::try_from("Queued".to_owned()).is_err());
    }

    #[test]
    fn a_notification_only_moves_forward() {
        use NotificationState::*;
        assert_eq!(Acknowledged.reachable_from(), &[Open]);
        assert_eq!(Resolved.reachable_from(), &[Open, Acknowledged]);
        assert!(Open.reachable_from().is_empty());
        assert!(Open.takes_pages());
        assert!(!Acknowledged.takes_pages() && !Resolved.takes_pages());
    }

    #[test]
    fn only_a_sent_delivery_is_moved_by_a_receipt() {
        use DeliveryStatus as D;
        use ReceiptStatus as R;
        assert_eq!(receipt_effect(D::Sent, R::Delivered), ReceiptEffect::Moves(D::Delivered));
        assert_eq!(receipt_effect(D::Sent, R::Failed), ReceiptEffect::Moves(D::Failed));
        assert_eq!(receipt_effect(D::Sent, R::Expired), ReceiptEffect::Moves(D::Expired));
        assert_eq!(receipt_effect(D::Sent, R::Cancelled), ReceiptEffect::Moves(D::Cancelled));
        assert_eq!(receipt_effect(D::Sent, R::Sent), ReceiptEffect::Notes);
        assert_eq!(receipt_effect(D::Sent, R::Unknown), ReceiptEffect::Notes);
        // The send's outcome is not on disk yet: wait for it.
        assert_eq!(receipt_effect(D::Sending, R::Delivered), ReceiptEffect::Waits);
        // A final state never changes.
        for status in [D::Delivered, D::Failed, D::Expired, D::Cancelled] {
            for to in ReceiptStatus::ALL {
                assert_eq!(receipt_effect(status, *to), ReceiptEffect::Notes);
            }
        }
        // Waiting for a retry: the receipt can only be about an earlier try.
        assert_eq!(receipt_effect(D::Queued, R::Delivered), ReceiptEffect::Ignored);
    }

    #[test]
    fn a_reference_names_its_delivery_and_fits_forty_characters() {
        let ring = ring();
        for id in [1, 42, 1_000_000, i64::MAX] {
            let reference = delivery_reference(&ring, id);
            assert!(reference.len() <= 40, "{reference}");
            assert!(reference.starts_with(&format!("tocsin-{id}-")));
            assert_eq!(parse_delivery_reference(&ring, &reference), Some(id));
        }
    }

    #[test]
    fn a_made_up_or_altered_reference_names_nothing() {
        let ring = ring();
        let good = delivery_reference(&ring, 42);
        let tag = good.rsplit('-').next().unwrap();
        assert_eq!(parse_delivery_reference(&ring, "tocsin-42"), None);
        assert_eq!(parse_delivery_reference(&ring, &format!("tocsin-43-{tag}")), None);
        assert_eq!(parse_delivery_reference(&ring, &format!("tocsin-042-{tag}")), None);
        assert_eq!(parse_delivery_reference(&ring, &format!("tocsin-42-{}", &tag[..12])), None);
        assert_eq!(parse_delivery_reference(&ring, &format!("tocsin-42-{}", tag.to_uppercase())), None);
        assert_eq!(parse_delivery_reference(&ring, "tocsin--abc"), None);
        assert_eq!(parse_delivery_reference(&ring, ""), None);
        // Another instance's master key makes other tags.
        assert_eq!(parse_delivery_reference(&Keyring::new(b"other"), &good), None);
    }
}

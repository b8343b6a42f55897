//! One master key, and a key derived from it for each thing Tocsin signs.
//!
//! Everything Tocsin hands out that must come back unforged (the reference a
//! gateway echoes in a receipt, later reply tokens, action links, calendar
//! feeds, restricted pages) carries an HMAC made with a key of its own
//! purpose, derived from the master key with HKDF-SHA256 (RFC 5869, the
//! purpose's label as `info`). A tag made for one purpose therefore never
//! verifies for another, and the master key itself is never used to sign.
//!
//! The master key lives in the database beside the JWT key: every instance
//! sharing the database derives the same keys, and a restart keeps every
//! reference already handed out valid.

use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// What a derived key is for; its label is the HKDF `info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    /// The reference given to SMS providers and echoed in their receipts.
    Receipt,
    /// One-click action links.
    Link,
    /// Tokens carried by replies (email Message-IDs).
    Reply,
    /// Calendar feed URLs.
    Ical,
    /// Restricted status pages.
    Page,
}

impl Purpose {
    pub const ALL: [Purpose; 5] = [Purpose::Receipt, Purpose::Link, Purpose::Reply, Purpose::Ical, Purpose::Page];

    /// The HKDF label. Changing one invalidates everything signed for it.
    pub fn label(self) -> &'static str {
        match self {
            Purpose::Receipt => "receipt",
            Purpose::Link => "link",
            Purpose::Reply => "reply",
            Purpose::Ical => "ical",
            Purpose::Page => "page",
        }
    }
}

/// The derived keys; cheap to clone, never printed.
#[derive(Clone)]
pub struct Keyring {
    keys: [[u8; 32]; 5],
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keyring(<redacted>)")
    }
}

impl Keyring {
    /// Derives every purpose's key from `master` (the stored master key).
    pub fn new(master: &[u8]) -> Self {
        let hkdf = Hkdf::<Sha256>::new(Some(b"tocsin keyring v1"), master);
        let mut keys = [[0u8; 32]; 5];
        for (slot, purpose) in keys.iter_mut().zip(Purpose::ALL) {
            // 32 bytes is far below HKDF-SHA256's limit of 8160: this cannot fail.
            if hkdf.expand(purpose.label().as_bytes(), slot).is_err() {
                unreachable!("32-byte HKDF output");
            }
        }
        Self { keys }
    }

    fn key(&self, purpose: Purpose) -> &[u8; 32] {
        // `ALL` lists the purposes in declaration order, as `new` derived them.
        &self.keys[purpose as usize]
    }

    fn mac(&self, purpose: Purpose, message: &[u8]) -> Hmac<Sha256> {
        // HMAC takes keys of any length: this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.key(purpose))
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        mac.update(message);
        mac
    }

    /// The full HMAC-SHA256 of `message` under `purpose`'s key.
    pub fn sign(&self, purpose: Purpose, message: &[u8]) -> [u8; 32] {
        self.mac(purpose, message).finalize().into_bytes().into()
    }

    /// Whether `tag` is the first `tag.len()` bytes of the HMAC of `message`
    /// (at least 8), compared in constant time.
    pub fn verify(&self, purpose: Purpose, message: &[u8], tag: &[u8]) -> bool {
        tag.len() >= 8 && self.mac(purpose, message).verify_truncated_left(tag).is_ok()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_verifies_for_its_own_purpose_only() {
        let ring = Keyring::new(b"master key of this instance");
        let tag = ring.sign(Purpose::Receipt, b"42");
        assert!(ring.verify(Purpose::Receipt, b"42", &tag));
        assert!(ring.verify(Purpose::Receipt, b"42", &tag[..8]));
        assert!(!ring.verify(Purpose::Link, b"42", &tag));
        assert!(!ring.verify(Purpose::Receipt, b"43", &tag));
    }

    #[test]
    fn all_lists_the_purposes_in_declaration_order() {
        for (index, purpose) in Purpose::ALL.iter().enumerate() {
            assert_eq!(*purpose as usize, index, "{purpose:?}");
        }
    }

    #[test]
    fn each_purpose_gets_a_different_key() {
        let ring = Keyring::new(b"master");
        let tags: std::collections::HashSet<[u8; 32]> = Purpose::ALL.iter().map(|p| ring.sign(*p, b"x")).collect();
        assert_eq!(tags.len(), Purpose::ALL.len());
    }

    #[test]
    fn another_master_key_makes_other_tags() {
        let a = Keyring::new(b"one master");
        let b = Keyring::new(b"another master");
        assert!(!b.verify(Purpose::Receipt, b"42", &a.sign(Purpose::Receipt, b"42")));
        // The same master key derives the same keys: instances agree.
        assert!(Keyring::new(b"one master").verify(Purpose::Receipt, b"42", &a.sign(Purpose::Receipt, b"42")));
    }

    #[test]
    fn short_or_empty_tags_never_verify() {
        let ring = Keyring::new(b"master");
        let tag = ring.sign(Purpose::Receipt, b"42");
        assert!(!ring.verify(Purpose::Receipt, b"42", &tag[..7]));
        assert!(!ring.verify(Purpose::Receipt, b"42", &[]));
    }

    #[test]
    fn the_debug_form_shows_no_key() {
        assert_eq!(format!("{:?}", Keyring::new(b"secret")), "Keyring(<redacted>)");
    }
}

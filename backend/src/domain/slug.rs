//! Short identifiers used in URLs and API paths (topics, channels, ...).

use std::fmt;

use super::ValidationError;

/// Longest accepted slug, in characters.
pub const MAX_LEN: usize = 64;

const ALLOWED: &str = "letters A-Z and a-z, digits 0-9, '_' and '-'";

/// A validated identifier of 1..=64 characters from `[A-Za-z0-9_-]`.
///
/// The original spelling is kept for display; use [`Slug::key`] for lookups
/// because slugs are unique without regard to case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);

impl Slug {
    /// Validates `raw` as a slug, reporting problems against `field`.
    pub fn parse(field: &str, raw: &str) -> Result<Slug, ValidationError> {
        if raw.is_empty() {
            return Err(ValidationError::new(field, "must not be empty"));
        }
        // Silently trimming would make two different inputs map to one slug
        // and hide copy-paste mistakes, so surrounding whitespace is an error.
        if raw.trim() != raw {
            return Err(ValidationError::new(field, "must not start or end with whitespace"));
        }
        if let Some(bad) = raw.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-')) {
            return Err(ValidationError::new(field, format!("contains {bad:?}; only {ALLOWED} are allowed")));
        }
        // All characters are ASCII at this point, so bytes == characters.
        if raw.len() > MAX_LEN {
            return Err(ValidationError::new(
                field,
                format!("must be at most {MAX_LEN} characters, got {}", raw.len()),
            ));
        }
        Ok(Slug(raw.to_owned()))
    }

    /// The slug as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Consumes the slug, returning the string as written.
    pub fn into_inner(self) -> String {
        self.0
    }

    /// Case-folded form for uniqueness checks and lookups.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Slug {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn accepts_allowed_characters() {
        for raw in ["a", "A", "0", "_", "-", "Disk-Alerts_2", "x".repeat(64).as_str()] {
            let slug = Slug::parse("slug", raw).unwrap();
            assert_eq!(slug.as_str(), raw);
        }
    }

    #[test]
    fn rejects_empty() {
        let err = Slug::parse("topic", "").unwrap_err();
        assert_eq!(err.field, "topic");
        assert_eq!(err.message, "must not be empty");
    }

    #[test]
    fn rejects_too_long() {
        let err = Slug::parse("topic", &"x".repeat(65)).unwrap_err();
        assert!(err.message.contains("at most 64"), "{}", err.message);
    }

    #[test]
    fn rejects_surrounding_whitespace_instead_of_trimming() {
        for raw in [" disk", "disk ", "\tdisk", "disk\n"] {
            let err = Slug::parse("topic", raw).unwrap_err();
            assert!(err.message.contains("whitespace"), "{raw:?}: {}", err.message);
        }
    }

    #[test]
    fn rejects_other_characters_and_says_what_is_allowed() {
        for raw in ["a b", "a.b", "a/b", "é", "a\u{0}", "ｄisk"] {
            let err = Slug::parse("topic", raw).unwrap_err();
            assert!(err.message.contains("only letters"), "{raw:?}: {}", err.message);
        }
        let err = Slug::parse("topic", "a.b").unwrap_err();
        assert_eq!(err.message, "contains '.'; only letters A-Z and a-z, digits 0-9, '_' and '-' are allowed");
    }

    #[test]
    fn key_ignores_case() {
        let a = Slug::parse("s", "Disk-Alerts").unwrap();
        let b = Slug::parse("s", "disk-alerts").unwrap();
        assert_ne!(a, b);
        assert_eq!(a.key(), b.key());
        assert_eq!(a.key(), "disk-alerts");
    }

    #[test]
    fn display_as_ref_and_into_inner_keep_spelling() {
        let slug = Slug::parse("s", "Ops_1").unwrap();
        assert_eq!(slug.to_string(), "Ops_1");
        assert_eq!(AsRef::<str>::as_ref(&slug), "Ops_1");
        assert_eq!(slug.into_inner(), "Ops_1");
    }
}

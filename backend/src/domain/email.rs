//! Email addresses for the email medium.

use email_address::{EmailAddress as Parsed, Error as ParseError, Options};

use super::ValidationError;

const FIELD: &str = "address";

/// Longest accepted address in bytes (RFC 5321 path limit minus the angle brackets).
pub const MAX_LEN: usize = 254;

/// A validated bare address (`local@domain`), domain lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Validates `raw`; errors use the field name `address`.
    pub fn parse(raw: &str) -> Result<EmailAddress, ValidationError> {
        let input = raw.trim();
        if input.is_empty() {
            return Err(ValidationError::new(FIELD, "must not be empty"));
        }
        if input.len() > MAX_LEN {
            return Err(ValidationError::new(FIELD, format!("too long (at most {MAX_LEN} characters)")));
        }
        if input.starts_with('<') || input.ends_with('>') {
            return Err(ValidationError::new(FIELD, message(&ParseError::UnsupportedDisplayName)));
        }
        // Display names would leak into the stored address and into SMTP
        // envelopes; domain literals ([192.0.2.1]) bypass DNS-based checks.
        let options = Options::default().without_display_text().without_domain_literal();
        let parsed =
            Parsed::parse_with_options(input, options).map_err(|err| ValidationError::new(FIELD, message(&err)))?;
        let domain = parsed.domain();
        if domain.is_empty() {
            return Err(ValidationError::new(FIELD, "needs a domain after the @"));
        }
        // Domains are case-insensitive; the local part is not (RFC 5321), so
        // only the domain is folded.
        Ok(EmailAddress(format!("{}@{}", parsed.local_part(), domain.to_ascii_lowercase())))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn message(err: &ParseError) -> &'static str {
    match err {
        ParseError::MissingSeparator => "not an email address (missing @)",
        ParseError::LocalPartEmpty => "needs a name before the @",
        ParseError::LocalPartTooLong => "the part before the @ is too long (at most 64 characters)",
        ParseError::DomainEmpty => "needs a domain after the @",
        ParseError::DomainTooLong | ParseError::SubDomainTooLong => "the domain is too long",
        ParseError::SubDomainEmpty | ParseError::DomainInvalidSeparator => {
            "the domain has an empty part (check the dots)"
        }
        ParseError::DomainTooFew => "the domain is incomplete",
        ParseError::UnsupportedDisplayName | ParseError::MissingDisplayName | ParseError::MissingEndBracket => {
            "enter the bare address (name@example.com) without a display name or <>"
        }
        ParseError::UnsupportedDomainLiteral | ParseError::InvalidIPAddress => {
            "the domain must be a host name, not an IP address in []"
        }
        ParseError::UnbalancedQuotes => "unbalanced quotes",
        ParseError::InvalidComment => "comments are not allowed",
        ParseError::InvalidCharacter => "not an email address (invalid character)",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn err(raw: &str) -> String {
        let err = EmailAddress::parse(raw).unwrap_err();
        assert_eq!(err.field, "address");
        err.message
    }

    #[test]
    fn accepts_plain_addresses() {
        for raw in ["ana@example.com", "ops+alerts@mail.example.co.uk", "a@b.c", "root@localhost"] {
            assert_eq!(EmailAddress::parse(raw).unwrap().as_str(), raw);
        }
    }

    #[test]
    fn trims_and_lowercases_only_the_domain() {
        let e = EmailAddress::parse("  Ana.Smith@Example.COM ").unwrap();
        assert_eq!(e.as_str(), "Ana.Smith@example.com");
    }

    #[test]
    fn rejects_display_names() {
        assert!(err("Ana <ana@example.com>").contains("bare address"));
        assert!(err("<ana@example.com>").contains("bare address"));
    }

    #[test]
    fn rejects_missing_parts() {
        assert_eq!(err(""), "must not be empty");
        assert_eq!(err("ana"), "not an email address (missing @)");
        assert_eq!(err("@example.com"), "needs a name before the @");
        assert_eq!(err("ana@"), "needs a domain after the @");
        assert!(err("ana@example..com").contains("empty part"));
    }

    #[test]
    fn rejects_domain_literals_and_junk() {
        assert!(err("ana@[192.0.2.1]").contains("not an IP address"));
        assert!(err("ana smith@example.com").contains("invalid character"));
        assert!(err("ana@exa mple.com").contains("invalid character"));
        assert!(err("ana@example.com\nBcc: x@y.z").starts_with("not an email"));
    }

    #[test]
    fn rejects_overlong() {
        let raw = format!("{}@{}.com", "a".repeat(60), "b".repeat(200));
        assert!(err(&raw).starts_with("too long"));
    }
}

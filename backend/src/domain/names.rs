//! Small validated values that are not worth a module each.

use super::ValidationError;

/// A display name: trimmed, 1 to 200 characters, no control characters.
pub fn display_name(field: &str, raw: &str) -> Result<String, ValidationError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(ValidationError::new(field, "must not be empty"));
    }
    if name.chars().count() > 200 {
        return Err(ValidationError::new(field, "must be at most 200 characters"));
    }
    if name.chars().any(char::is_control) {
        return Err(ValidationError::new(field, "must not contain control characters"));
    }
    Ok(name.to_owned())
}

/// Free text such as a description or a label: at most `max` characters.
pub fn free_text(field: &str, raw: &str, max: usize) -> Result<String, ValidationError> {
    if raw.chars().count() > max {
        return Err(ValidationError::new(field, format!("must be at most {max} characters")));
    }
    Ok(raw.trim().to_owned())
}

/// An operator username: 1 to 64 of letters, digits, `_ . @ -`.
pub fn username(field: &str, raw: &str) -> Result<String, ValidationError> {
    let ok = !raw.is_empty()
        && raw.len() <= 64
        && raw.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '@' | '-'));
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(ValidationError::new(field, "must be 1 to 64 letters, digits, '_', '.', '@' or '-'"))
    }
}

/// An IANA time zone name such as `Europe/Lisbon` or `UTC`, as the time zone
/// database spells it.
pub fn timezone(field: &str, raw: &str) -> Result<String, ValidationError> {
    super::schedule::parse_zone(field, raw).map(|zone| zone.name().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(display_name("name", "  Ana  ").ok(), Some("Ana".into()));
        assert!(display_name("name", "   ").is_err());
        assert!(display_name("name", &"a".repeat(201)).is_err());
        assert!(display_name("name", "a\u{0}b").is_err());
    }

    #[test]
    fn usernames_allow_a_small_alphabet() {
        assert!(username("username", "ana.lima@ops").is_ok());
        assert!(username("username", "ana lima").is_err());
        assert!(username("username", "").is_err());
    }

    #[test]
    fn timezones_are_iana_names() {
        assert!(timezone("timezone", "Europe/Lisbon").is_ok());
        assert!(timezone("timezone", "UTC").is_ok());
        assert!(timezone("timezone", "America/Argentina/Buenos_Aires").is_ok());
        assert!(timezone("timezone", "../etc").is_err());
        assert!(timezone("timezone", "").is_err());
        assert!(timezone("timezone", "Europe/Atlantis").is_err());
    }
}

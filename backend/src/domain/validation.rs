//! The single error type for rejected user input.

/// A rejected input value: which field, and a message a human can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ValidationError {
    /// Dotted path of the offending field, e.g. `settings.phone`.
    pub field: String,
    /// Why the value was rejected, phrased for the person who typed it.
    pub message: String,
}

impl ValidationError {
    /// Creates an error for `field` with an explanatory `message`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }

    /// Prefixes the field with its parent, e.g. `phone` -> `settings.phone`.
    pub fn within(self, parent: &str) -> Self {
        // Empty parts are skipped so nesting never produces "a..b" or ".b".
        let field = match (parent.is_empty(), self.field.is_empty()) {
            (true, _) => self.field,
            (false, true) => parent.to_owned(),
            (false, false) => format!("{parent}.{}", self.field),
        };
        Self { field, message: self.message }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn displays_field_and_message() {
        let err = ValidationError::new("name", "must not be empty");
        assert_eq!(err.to_string(), "name: must not be empty");
    }

    #[test]
    fn within_prefixes_the_field() {
        let err = ValidationError::new("phone", "bad").within("settings");
        assert_eq!(err.field, "settings.phone");
        assert_eq!(err.message, "bad");
    }

    #[test]
    fn within_nests_repeatedly() {
        let err = ValidationError::new("phone", "bad").within("settings").within("channels[2]");
        assert_eq!(err.field, "channels[2].settings.phone");
    }

    #[test]
    fn within_handles_empty_parts() {
        assert_eq!(ValidationError::new("a", "m").within("").field, "a");
        assert_eq!(ValidationError::new("", "m").within("p").field, "p");
    }
}

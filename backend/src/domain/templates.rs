//! Message templates (minijinja). Rendering comes with firing; here a template is
//! checked when it is saved, so that a broken one is refused then and not at 3 a.m.

use super::ValidationError;

/// Longest template source accepted.
pub const MAX_TEMPLATE_LEN: usize = 16 * 1024;

/// Checks that `source` is a template the engine can compile.
pub fn check_syntax(field: &str, source: &str) -> Result<(), ValidationError> {
    if source.len() > MAX_TEMPLATE_LEN {
        return Err(ValidationError::new(field, format!("must be at most {MAX_TEMPLATE_LEN} bytes")));
    }
    // The sandbox's own checks, which refuse hostile constructs before the
    // engine compiles (and so evaluates constant parts of) anything.
    super::render::variables(source).map(drop).map_err(|e| ValidationError::new(field, e.message))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn well_formed_templates_pass() {
        assert!(check_syntax("templates.body", "Disk {{ host|upper }} {% if x %}!{% endif %}").is_ok());
        assert!(check_syntax("templates.body", "").is_ok());
    }

    #[test]
    fn a_broken_template_is_refused_with_where_and_why() {
        let err = check_syntax("templates.body", "line one\n{% if x %}unclosed").unwrap_err();
        assert_eq!(err.field, "templates.body");
        assert!(err.message.contains("line"), "{}", err.message);
        let err = check_syntax("templates.subject", "{{ host ").unwrap_err();
        assert!(err.message.starts_with("template error"), "{}", err.message);
    }

    #[test]
    fn oversized_templates_are_refused() {
        assert!(check_syntax("templates.body", &"x".repeat(MAX_TEMPLATE_LEN + 1)).is_err());
    }
}

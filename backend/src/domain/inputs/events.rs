//! An event to create or change: its templates compile, its UEI is one token.

use tocsin_types::{Escaping, EventTargets, EventTemplates, EventUpdate, NewEvent, Severity};

use super::{description, description_opt, name_opt, slug_opt};
use crate::domain::names::display_name;
use crate::domain::slug::Slug;
use crate::domain::templates::check_syntax;
use crate::domain::ValidationError;

#[derive(Debug, Clone)]
pub struct EventDraft {
    pub slug: Slug,
    pub name: String,
    pub description: String,
    pub enabled: bool,
    pub severity: Severity,
    pub templates: EventTemplates,
    pub escaping: Escaping,
    pub uei: Option<String>,
    /// Contact and group slugs; the service checks they exist.
    pub targets: EventTargets,
    /// The request as given, for the audit log.
    pub detail: serde_json::Value,
}

impl EventDraft {
    pub fn parse(input: NewEvent) -> Result<Self, ValidationError> {
        let detail = serde_json::to_value(&input).unwrap_or_default();
        check_templates(&input.templates)?;
        Ok(EventDraft {
            slug: Slug::parse("slug", &input.slug)?,
            name: display_name("name", &input.name)?,
            description: description(input.description.as_deref())?,
            enabled: input.enabled.unwrap_or(true),
            severity: input.severity.unwrap_or_default(),
            templates: input.templates,
            escaping: input.escape.unwrap_or_default(),
            uei: uei(input.uei.as_deref())?,
            targets: input.targets,
            detail,
        })
    }
}

#[derive(Debug, Clone)]
pub struct EventPatch {
    pub slug: Option<Slug>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
    pub severity: Option<Severity>,
    pub templates: Option<EventTemplates>,
    pub escaping: Option<Escaping>,
    /// `Some(None)` removes the UEI (`""`).
    pub uei: Option<Option<String>>,
    pub targets: Option<EventTargets>,
    pub detail: serde_json::Value,
}

impl EventPatch {
    pub fn parse(input: EventUpdate) -> Result<Self, ValidationError> {
        let detail = serde_json::to_value(&input).unwrap_or_default();
        if let Some(t) = &input.templates {
            check_templates(t)?;
        }
        Ok(EventPatch {
            slug: slug_opt("slug", input.slug.as_deref())?,
            name: name_opt(input.name.as_deref())?,
            description: description_opt(input.description.as_deref())?,
            enabled: input.enabled,
            severity: input.severity,
            templates: input.templates,
            escaping: input.escape,
            uei: input.uei.as_deref().map(|u| uei(Some(u))).transpose()?,
            targets: input.targets,
            detail,
        })
    }
}

fn check_templates(t: &EventTemplates) -> Result<(), ValidationError> {
    check_syntax("templates.subject", &t.subject)?;
    check_syntax("templates.body", &t.body)?;
    check_syntax("templates.sms", &t.sms)
}

/// A UEI is an opaque identifier (OpenNMS style, `uei.opennms.org/nodes/nodeDown`);
/// `""` means none.
fn uei(raw: Option<&str>) -> Result<Option<String>, ValidationError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(u) if u.len() > 512 => Err(ValidationError::new("uei", "must be at most 512 characters")),
        Some(u) if u.chars().any(char::is_whitespace) => Err(ValidationError::new("uei", "must not contain spaces")),
        Some(u) => Ok(Some(u.to_owned())),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn ueis_are_one_bounded_token() {
        assert_eq!(uei(None).unwrap(), None);
        assert_eq!(uei(Some(" ")).unwrap(), None);
        assert_eq!(
            uei(Some("uei.opennms.org/nodes/nodeDown")).unwrap().as_deref(),
            Some("uei.opennms.org/nodes/nodeDown")
        );
        assert_eq!(uei(Some("a b")).unwrap_err().field, "uei");
        assert_eq!(uei(Some(&"u".repeat(513))).unwrap_err().field, "uei");
    }

    #[test]
    fn a_template_that_does_not_compile_is_named() {
        let update = EventUpdate {
            templates: Some(EventTemplates { subject: "{{ host".into(), ..EventTemplates::default() }),
            ..EventUpdate::default()
        };
        assert_eq!(EventPatch::parse(update).unwrap_err().field, "templates.subject");
        let removed = EventPatch::parse(EventUpdate { uei: Some(String::new()), ..EventUpdate::default() }).unwrap();
        assert_eq!(removed.uei, Some(None));
    }
}

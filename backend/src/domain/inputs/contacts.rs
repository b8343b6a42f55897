//! A contact to create or change.

use tocsin_types::{Availability, ContactUpdate, NewContact};

use super::{name_opt, slug_opt, Link};
use crate::domain::names::{display_name, timezone};
use crate::domain::slug::Slug;
use crate::domain::ValidationError;

#[derive(Debug, Clone)]
pub struct ContactDraft {
    pub slug: Slug,
    pub name: String,
    pub enabled: bool,
    pub timezone: String,
    pub availability: Availability,
    pub operator: Link,
    /// The duty schedule, by slug; the service checks it exists.
    pub schedule: Link,
}

impl ContactDraft {
    pub fn parse(input: NewContact) -> Result<Self, ValidationError> {
        Ok(ContactDraft {
            slug: Slug::parse("slug", &input.slug)?,
            name: display_name("name", &input.name)?,
            enabled: input.enabled.unwrap_or(true),
            timezone: timezone("timezone", input.timezone.as_deref().unwrap_or("UTC"))?,
            availability: input.availability.unwrap_or_default(),
            operator: Link::parse(input.operator.as_deref()),
            schedule: Link::parse(input.schedule.as_deref()),
        })
    }
}

#[derive(Debug, Clone)]
pub struct ContactPatch {
    pub slug: Option<Slug>,
    pub name: Option<String>,
    pub enabled: Option<bool>,
    pub timezone: Option<String>,
    pub availability: Option<Availability>,
    pub operator: Link,
    pub schedule: Link,
    /// The request as given, for the audit log.
    pub detail: serde_json::Value,
}

impl ContactPatch {
    pub fn parse(input: ContactUpdate) -> Result<Self, ValidationError> {
        Ok(ContactPatch {
            detail: serde_json::to_value(&input).unwrap_or_default(),
            slug: slug_opt("slug", input.slug.as_deref())?,
            name: name_opt(input.name.as_deref())?,
            enabled: input.enabled,
            timezone: input.timezone.as_deref().map(|t| timezone("timezone", t)).transpose()?,
            availability: input.availability,
            operator: Link::parse(input.operator.as_deref()),
            schedule: Link::parse(input.schedule.as_deref()),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn new(slug: &str) -> NewContact {
        NewContact {
            slug: slug.into(),
            name: " Ana Lima ".into(),
            enabled: None,
            timezone: None,
            availability: None,
            operator: None,
            schedule: None,
        }
    }

    #[test]
    fn a_new_contact_gets_the_defaults() {
        let draft = ContactDraft::parse(new("ana")).unwrap();
        assert_eq!(draft.slug.as_str(), "ana");
        assert_eq!(draft.name, "Ana Lima");
        assert!(draft.enabled);
        assert_eq!(draft.timezone, "UTC");
        assert_eq!(draft.availability, Availability::Always);
        assert_eq!(draft.operator, Link::Keep);
    }

    #[test]
    fn each_bad_field_is_named() {
        assert_eq!(ContactDraft::parse(new("a b")).unwrap_err().field, "slug");
        let bad_zone = NewContact { timezone: Some("/x".into()), ..new("ana") };
        assert_eq!(ContactDraft::parse(bad_zone).unwrap_err().field, "timezone");
        let patch = ContactUpdate { name: Some("  ".into()), ..ContactUpdate::default() };
        assert_eq!(ContactPatch::parse(patch).unwrap_err().field, "name");
    }

    #[test]
    fn an_empty_operator_unlinks() {
        let patch = ContactPatch::parse(ContactUpdate { operator: Some(String::new()), ..ContactUpdate::default() });
        assert_eq!(patch.unwrap().operator, Link::Unlink);
        let patch = ContactPatch::parse(ContactUpdate { operator: Some("ana".into()), ..ContactUpdate::default() });
        assert_eq!(patch.unwrap().operator, Link::To("ana".into()));
    }
}

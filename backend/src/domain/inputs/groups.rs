//! A group to create or change.

use tocsin_types::{GroupUpdate, NewGroup};

use super::{description, description_opt, name_opt, slug_opt, Link};
use crate::domain::names::display_name;
use crate::domain::slug::Slug;
use crate::domain::ValidationError;

#[derive(Debug, Clone)]
pub struct GroupDraft {
    pub slug: Slug,
    pub name: String,
    pub description: String,
    pub enabled: bool,
    /// The duty schedule, by slug; the service checks it exists.
    pub schedule: Link,
    /// Contact slugs in order; the service checks they exist.
    pub members: Vec<String>,
}

impl GroupDraft {
    pub fn parse(input: NewGroup) -> Result<Self, ValidationError> {
        Ok(GroupDraft {
            slug: Slug::parse("slug", &input.slug)?,
            name: display_name("name", &input.name)?,
            description: description(input.description.as_deref())?,
            enabled: input.enabled.unwrap_or(true),
            schedule: Link::parse(input.schedule.as_deref()),
            members: input.members,
        })
    }
}

#[derive(Debug, Clone)]
pub struct GroupPatch {
    pub slug: Option<Slug>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
    pub schedule: Link,
    /// Replaces the member list when present.
    pub members: Option<Vec<String>>,
    /// The request as given, for the audit log.
    pub detail: serde_json::Value,
}

impl GroupPatch {
    pub fn parse(input: GroupUpdate) -> Result<Self, ValidationError> {
        Ok(GroupPatch {
            detail: serde_json::to_value(&input).unwrap_or_default(),
            slug: slug_opt("slug", input.slug.as_deref())?,
            name: name_opt(input.name.as_deref())?,
            description: description_opt(input.description.as_deref())?,
            enabled: input.enabled,
            schedule: Link::parse(input.schedule.as_deref()),
            members: input.members,
        })
    }
}

/// A change to a group's member list, applied to the list as stored.
#[derive(Debug, Clone)]
pub enum MemberEdit {
    /// The whole list, in order.
    Set(Vec<String>),
    /// One contact at a 0-based position (negative or missing: the end).
    Add {
        contact: String,
        position: Option<i64>,
    },
    Remove {
        contact: String,
    },
    Move {
        contact: String,
        position: i64,
    },
}

/// A 0-based insertion point; negative or missing means the end.
pub fn clamp_position(position: Option<i64>, len: usize) -> usize {
    match position {
        Some(p) if p >= 0 => usize::try_from(p).unwrap_or(len).min(len),
        _ => len,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_clamped_to_the_list() {
        assert_eq!(clamp_position(None, 3), 3);
        assert_eq!(clamp_position(Some(0), 3), 0);
        assert_eq!(clamp_position(Some(99), 3), 3);
        assert_eq!(clamp_position(Some(-1), 3), 3);
    }

    #[test]
    fn a_long_description_is_refused() {
        let input = NewGroup {
            slug: "ops".into(),
            name: "Ops".into(),
            description: Some("x".repeat(crate::domain::inputs::DESCRIPTION_MAX + 1)),
            enabled: None,
            schedule: None,
            members: vec![],
        };
        assert_eq!(GroupDraft::parse(input).unwrap_err().field, "description");
        let patch = GroupPatch::parse(GroupUpdate { slug: Some("a/b".into()), ..GroupUpdate::default() });
        assert_eq!(patch.unwrap_err().field, "slug");
    }
}

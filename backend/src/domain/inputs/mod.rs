//! Validated inputs for directory writes. Each request body is turned into one
//! of these before anything else happens, so a service function and the store
//! only ever see values that passed the rules (a [`Slug`](super::slug::Slug)
//! stays a `Slug` all the way to the row). A patch holds `None` for what does
//! not change.

pub mod api_keys;
pub mod contacts;
pub mod destinations;
pub mod events;
pub mod groups;
pub mod operators;
pub mod schedules;

use super::names::{display_name, free_text};
use super::slug::Slug;
use super::ValidationError;

/// The longest description a group or an event may have, in characters.
const DESCRIPTION_MAX: usize = 2000;

/// An optional slug in a patch.
fn slug_opt(field: &str, raw: Option<&str>) -> Result<Option<Slug>, ValidationError> {
    raw.map(|s| Slug::parse(field, s)).transpose()
}

/// A description (empty when absent).
fn description(raw: Option<&str>) -> Result<String, ValidationError> {
    free_text("description", raw.unwrap_or(""), DESCRIPTION_MAX)
}

/// An optional name in a patch.
fn name_opt(raw: Option<&str>) -> Result<Option<String>, ValidationError> {
    raw.map(|n| display_name("name", n)).transpose()
}

/// An optional description in a patch.
fn description_opt(raw: Option<&str>) -> Result<Option<String>, ValidationError> {
    raw.map(|d| free_text("description", d, DESCRIPTION_MAX)).transpose()
}

/// A reference from one record to another by slug or name, in a draft or a
/// patch: an operator account, a schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    /// Leave the link as it is (no link, for a new record).
    Keep,
    /// Remove the link (`""`).
    Unlink,
    /// Link to this one; the service checks it exists.
    To(String),
}

impl Link {
    fn parse(raw: Option<&str>) -> Link {
        match raw {
            None => Link::Keep,
            Some("") => Link::Unlink,
            Some(name) => Link::To(name.to_owned()),
        }
    }
}

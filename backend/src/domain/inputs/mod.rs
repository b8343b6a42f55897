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

use super::slug::Slug;
use super::ValidationError;

/// An optional slug in a patch.
fn slug_opt(field: &str, raw: Option<&str>) -> Result<Option<Slug>, ValidationError> {
    raw.map(|s| Slug::parse(field, s)).transpose()
}

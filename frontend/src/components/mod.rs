//! Pieces the pages share: [`loaded::Loaded`] around everything a page
//! fetches, [`list`] for pages that list records, and the small parts
//! (alerts, badges, times, settings forms).

pub mod alert;
pub mod list;
pub mod loaded;
pub mod schema_form;
pub mod status;
pub mod time;

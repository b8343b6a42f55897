//! Pieces the pages share.

pub mod alert;
pub mod schema_form;
pub mod status;
pub mod time;

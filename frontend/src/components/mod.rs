//! Pieces the pages share.

pub mod alert;
pub mod status;
pub mod time;

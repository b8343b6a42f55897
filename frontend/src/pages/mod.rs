//! One module per page. [`Page`] (in `route.rs`) names them and owns their
//! addresses, so links and the router agree.

pub mod admin;
pub mod contacts;
pub mod events;
pub mod feed;
pub mod fire;
pub mod groups;
pub mod login;
pub mod not_found;
pub mod notification;

pub use crate::route::Page;

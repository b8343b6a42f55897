//! The JSON shapes of Tocsin's HTTP API: one definition of every request and
//! response, shared by the server, the web app and the clients. No I/O and no
//! database types here, so the crate also builds for `wasm32-unknown-unknown`.

// The OpenAPI examples are large `json!` literals.
#![recursion_limit = "256"]

mod access;
mod audit;
mod contacts;
mod error;
mod events;
mod groups;
mod media;
mod notifications;
mod page;
mod schedules;

pub use access::*;
pub use audit::*;
pub use contacts::*;
pub use error::*;
pub use events::*;
pub use groups::*;
pub use media::*;
pub use notifications::*;
pub use page::*;
pub use schedules::*;

//! Pure domain logic, no I/O: validated values, access rules, credentials,
//! session tokens. The same rules apply whether a value arrives over HTTP, from
//! the database or from a legacy import.

pub mod access;
pub mod audit;
pub mod client_addr;
pub mod credentials;
pub mod email;
pub mod http_url;
pub mod inputs;
pub mod keyring;
pub mod lifecycle;
pub mod login_throttle;
pub mod media;
pub mod names;
pub mod phone;
pub mod plan;
pub mod receipts;
pub mod redact;
pub mod redflash_import;
pub mod render;
pub mod schedule;
pub mod slug;
pub mod sms;
pub mod templates;
pub mod tokens;
pub mod validation;

pub use validation::ValidationError;

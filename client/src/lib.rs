//! A typed async client of Tocsin's HTTP API, for Rust programs and for the web
//! app (it builds for `wasm32-unknown-unknown`, where requests go through the
//! browser's `fetch`).
//!
//! - One method per operation of `openapi/openapi.json`, named after its
//!   `operationId` ([`OPERATIONS`] lists them), taking and returning the
//!   shapes of [`types`] (the `tocsin-types` crate).
//! - The RedFlash calls: [`Client::redflash_notify_contact`],
//!   [`Client::redflash_notify_group`], [`Client::redflash_fire_event`].
//! - One [`Error`]: the server's error body (`error`, `message`, `details`)
//!   with the status, or no answer, a timeout, an answer that does not decode.
//! - Timeouts on every request, and repeats only where they are safe (reads,
//!   and fires carrying an idempotency key): see [`RetryPolicy`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), tocsin_client::Error> {
//! use tocsin_client::types::NotifyRequest;
//! use tocsin_client::Client;
//!
//! let client = Client::new("http://127.0.0.1:8080")?.with_token("tsk_4fK9aQ2zR8mW1xV7cB3nL6pT0yH5jD2s");
//! let page = NotifyRequest { message: "db1 is down".into(), subject: None };
//! match client.notify_group("ops", &page, Some("db1-down-1732352400")).await {
//!     Ok(fired) => println!("paged: notification {}", fired.notification_id),
//!     Err(e) if e.code() == Some("not_found") => eprintln!("no group ops"),
//!     Err(e) => eprintln!("not paged: {e}"),
//! }
//! # Ok(())
//! # }
//! ```

mod api;
mod client;
mod error;
mod operations;
mod redflash;
mod retry;
mod transport;

pub use client::{Client, DEFAULT_TIMEOUT};
pub use error::{ApiError, Error};
pub use operations::{Operation, Verb, OPERATIONS};
pub use redflash::RedflashAccepted;
pub use retry::RetryPolicy;

/// The request and answer shapes of the API (the `tocsin-types` crate).
pub use tocsin_types as types;

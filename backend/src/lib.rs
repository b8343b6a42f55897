//! Tocsin's server: a self-hosted notification hub.
//!
//! Layers, in the order a request travels: `http` (routes, auth, errors),
//! `domain` (pure rules), `store` (the database). `domain` knows neither of the
//! others; `store` knows nothing of HTTP.

pub mod delivery;
pub mod domain;
pub mod http;
pub mod ingest;
pub mod settings;
pub mod startup;
pub mod store;
pub mod telemetry;

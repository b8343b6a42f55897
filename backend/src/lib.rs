//! Tocsin's server: a self-hosted notification hub.
//!
//! Layers, in the order a request travels: `http` (routes, auth, errors),
//! `directory` (the service layer for directory writes: one transaction and
//! its audit entry per change), `domain` (pure rules, and the validated inputs
//! handlers build), `store` (the database). `domain` knows none of the others;
//! `store` and `directory` know nothing of HTTP.

pub mod delivery;
pub mod directory;
pub mod domain;
pub mod http;
pub mod ingest;
pub mod settings;
pub mod startup;
pub mod store;
pub mod telemetry;

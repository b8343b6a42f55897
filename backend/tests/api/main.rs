#![allow(clippy::unwrap_used, clippy::expect_used)]

//! Integration tests: each spawns the real server on port 0 against its own
//! database, once on SQLite and once on PostgreSQL.

#[macro_use]
mod helpers;

mod access;
mod audit;
mod bootstrap;
mod client;
mod contacts;
mod crash;
mod destinations;
mod email;
mod events;
mod firing;
mod groups;
mod headers;
mod import;
mod input;
mod instances;
mod keys;
mod logins;
mod operators;
mod outcomes;
mod receipts;
mod redflash;
mod schedules;
mod secrets;
mod sink;
mod sms;
mod smtp;
mod system;
mod web;

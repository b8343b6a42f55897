//! The client methods, one per `operationId`, grouped as the document's tags.

mod access;
mod contacts;
mod events;
mod firing;
mod groups;
mod notifications;
mod receipts;
mod schedules;
mod session;
mod system;

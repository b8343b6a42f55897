//! The outbox and everything that sends: accepting fires, the dispatcher that
//! claims and sends deliveries, retry policy, and the channels.

pub mod channels;
pub mod dispatcher;
#[cfg(test)]
pub(crate) mod fake_http;
pub mod intake;
pub mod message;
pub mod metrics;
pub mod outbound;
pub mod retention;
pub mod retry;
pub mod send;
pub mod wakeup;

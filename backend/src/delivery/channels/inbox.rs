//! The in-app inbox: the delivery row is the inbox item, so a stored
//! delivery is a delivered one and there is nothing to send.

use futures_util::future::BoxFuture;

use super::Channel;
use crate::delivery::message::{Outcome, OutgoingMessage};

/// Delivers to an operator's inbox inside Tocsin.
pub struct InboxChannel;

impl Channel for InboxChannel {
    fn send<'a>(&'a self, msg: &'a OutgoingMessage) -> BoxFuture<'a, Outcome> {
        let detail = format!("in the inbox of {}", msg.address);
        Box::pin(async move { Outcome::Delivered { provider_id: None, detail } })
    }
}

//! `--wait`: follow a notification until no delivery is queued or sending.

use std::time::Duration;

use tocsin_client::types::Notification;
use tocsin_client::{Client, Error};
use tokio::time::Instant;

/// Short enough to answer promptly, long enough not to load the server.
const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// Where the deliveries stand when waiting ends.
pub enum Settled {
    /// Nothing is queued or sending any more.
    Done(Notification),
    /// The time ran out; the last state seen, if any.
    Pending(Option<Notification>),
}

/// Deliveries still on their way.
pub fn pending(n: &Notification) -> usize {
    n.deliveries.iter().filter(|d| matches!(d.status.as_str(), "queued" | "sending")).count()
}

/// Deliveries that did not reach anyone and will not be tried again.
pub fn failed(n: &Notification) -> usize {
    n.deliveries.iter().filter(|d| matches!(d.status.as_str(), "failed" | "expired")).count()
}

pub async fn until_settled(client: &Client, id: &str, timeout: Duration) -> Result<Settled, Error> {
    let deadline = Instant::now() + timeout;
    let mut last = None;
    loop {
        let Ok(read) = tokio::time::timeout_at(deadline, client.get_notification(id)).await else {
            return Ok(Settled::Pending(last));
        };
        let n = read?;
        if pending(&n) == 0 {
            return Ok(Settled::Done(n));
        }
        if Instant::now() + POLL_INTERVAL >= deadline {
            tokio::time::sleep_until(deadline).await;
            return Ok(Settled::Pending(Some(n)));
        }
        last = Some(n);
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

//! Cross-instance wake-up on PostgreSQL. Several Tocsin instances may share one
//! database; when one of them makes deliveries claimable by anyone (it stops and
//! gives its leases back), it NOTIFYs a channel that every instance LISTENs on,
//! so the others claim that work at once instead of at their next slow poll.
//!
//! The listener holds its own connection, outside the pool: a pooled connection
//! is lent for one query and would drop the registration with it.

use std::future::poll_fn;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, NoTls};

use super::dispatcher::Dispatcher;
use crate::store::deliveries::QUEUE_CHANNEL;

/// The longest wait between two attempts to (re)connect the listener.
const MAX_RECONNECT_DELAY: Duration = Duration::from_secs(30);

/// Listens for as long as the process runs, reconnecting after a failure. While
/// it is down the claimer's poll still finds the work, only later.
pub fn spawn_listener(database_url: String, dispatcher: Dispatcher) {
    tokio::spawn(async move {
        let mut delay = Duration::from_millis(100);
        loop {
            match listen(&database_url, &dispatcher).await {
                Ok(()) => {
                    tracing::warn!("the queue listener's connection closed; reconnecting");
                    delay = Duration::from_millis(100);
                }
                Err(e) => tracing::warn!(error = %e, retry_in_ms = delay.as_millis(), "queue listener failed"),
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(MAX_RECONNECT_DELAY);
        }
    });
}

/// One connection's life: LISTEN, then wake the dispatcher on every notice
/// until the connection ends.
async fn listen(database_url: &str, dispatcher: &Dispatcher) -> Result<(), tokio_postgres::Error> {
    let (client, mut connection) = tokio_postgres::connect(database_url, NoTls).await?;
    // The connection object does the I/O, including the LISTEN below, so it is
    // driven on its own task and passes notices on.
    let (notices, mut received) = mpsc::unbounded_channel();
    let driver = tokio::spawn(async move {
        while let Some(message) = poll_fn(|cx| connection.poll_message(cx)).await {
            match message {
                Ok(AsyncMessage::Notification(_)) => {
                    if notices.send(()).is_err() {
                        break;
                    }
                }
                Ok(_) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    });
    client.batch_execute(&format!("LISTEN {QUEUE_CHANNEL}")).await?;
    tracing::debug!(channel = QUEUE_CHANNEL, "listening for claimable deliveries");
    // Whatever was announced while we were not listening is found now.
    dispatcher.wake();
    while received.recv().await.is_some() {
        dispatcher.wake();
    }
    match driver.await {
        Ok(outcome) => outcome,
        Err(_) => Ok(()),
    }
}

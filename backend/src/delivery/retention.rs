//! Retention: resolved notifications and provider callbacks past their age
//! are deleted, a small batch at a time, so the tables do not grow without
//! end.

use std::time::Duration;

use crate::store::{notifications, receipts, Store, StoreError};

/// How long things are kept, and how often the purge runs.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    /// Resolved notifications, with their deliveries and timelines.
    pub resolved: Duration,
    /// Provider callbacks (receipts and inbound messages), matched or not.
    pub callbacks: Duration,
    pub interval: Duration,
}

/// Runs the purge every `interval`, forever.
pub fn start(store: Store, retention: Retention) {
    tokio::spawn(async move {
        loop {
            purge(&store, retention).await;
            tokio::time::sleep(retention.interval.max(Duration::from_millis(10))).await;
        }
    });
}

/// Deletes everything past its age, in batches of 500.
pub async fn purge(store: &Store, retention: Retention) {
    let resolved = cutoff(retention.resolved);
    purge_batches(store, "resolved notifications", move |c| notifications::purge_resolved(c, resolved, 500)).await;
    let callbacks = cutoff(retention.callbacks);
    purge_batches(store, "provider callbacks", move |c| receipts::purge(c, callbacks, 500)).await;
}

fn cutoff(keep: Duration) -> chrono::NaiveDateTime {
    crate::store::now() - chrono::Duration::from_std(keep).unwrap_or(chrono::Duration::days(90))
}

async fn purge_batches<F>(store: &Store, what: &'static str, batch: F)
where
    F: Fn(&mut crate::store::DbConnection) -> Result<usize, StoreError> + Clone + Send + 'static,
{
    loop {
        match store.write(batch.clone()).await {
            Ok(0) => break,
            Ok(n) => tracing::info!(count = n, what, "purged"),
            Err(e) => {
                tracing::warn!(error = %e, what, "retention purge failed");
                break;
            }
        }
    }
}

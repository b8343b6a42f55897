//! Retention: resolved notifications past their age are deleted, a small batch
//! at a time, so the tables do not grow without end.

use std::time::Duration;

use crate::store::{notifications, Store};

/// Runs the purge every `interval`, forever.
pub fn start(store: Store, keep: Duration, interval: Duration) {
    tokio::spawn(async move {
        loop {
            purge(&store, keep).await;
            tokio::time::sleep(interval.max(Duration::from_millis(10))).await;
        }
    });
}

/// Deletes everything resolved longer ago than `keep`, in batches of 500.
pub async fn purge(store: &Store, keep: Duration) {
    let before = crate::store::now() - chrono::Duration::from_std(keep).unwrap_or(chrono::Duration::days(90));
    loop {
        match store.write(move |c| notifications::purge_resolved(c, before, 500)).await {
            Ok(0) => break,
            Ok(n) => tracing::info!(notifications = n, "purged resolved notifications"),
            Err(e) => {
                tracing::warn!(error = %e, "retention purge failed");
                break;
            }
        }
    }
}

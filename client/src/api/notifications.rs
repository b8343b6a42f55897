//! Notifications, their deliveries, and what operators do with them.

use tocsin_types::{FireResponse, Notification, NotificationQuery, Page};

use crate::operations::{
    ACKNOWLEDGE_NOTIFICATION, GET_NOTIFICATION, LIST_NOTIFICATIONS, REPLAY_DELIVERY, RESOLVE_NOTIFICATION,
    TEST_DESTINATION,
};
use crate::{Client, Error};

impl Client {
    /// One page of notifications, newest first, filtered by `query`.
    pub async fn list_notifications(&self, query: &NotificationQuery) -> Result<Page<Notification>, Error> {
        self.call(&LIST_NOTIFICATIONS, &[]).query(query).decode().await
    }

    /// One notification with every delivery and its timeline.
    ///
    /// ```no_run
    /// # async fn demo(client: tocsin_client::Client) -> Result<(), tocsin_client::Error> {
    /// let n = client.get_notification("4f9c2a1b7e3d4c5a8b6f0e1d2c3b4a59").await?;
    /// for d in &n.deliveries {
    ///     println!("{} {} {}", d.medium, d.address, d.status);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn get_notification(&self, id: &str) -> Result<Notification, Error> {
        self.call(&GET_NOTIFICATION, &[id]).decode().await
    }

    /// Acknowledges a notification: escalation stops, queued deliveries are cancelled.
    pub async fn acknowledge_notification(&self, id: &str) -> Result<Notification, Error> {
        self.call(&ACKNOWLEDGE_NOTIFICATION, &[id]).decode().await
    }

    /// Resolves a notification: the problem is over.
    pub async fn resolve_notification(&self, id: &str) -> Result<Notification, Error> {
        self.call(&RESOLVE_NOTIFICATION, &[id]).decode().await
    }

    /// Sends a failed or expired delivery again, as a new delivery.
    pub async fn replay_delivery(&self, id: i64) -> Result<FireResponse, Error> {
        self.call(&REPLAY_DELIVERY, &[&id.to_string()]).decode().await
    }

    /// Sends a test message to one destination.
    pub async fn test_destination(&self, id: i64) -> Result<FireResponse, Error> {
        self.call(&TEST_DESTINATION, &[&id.to_string()]).decode().await
    }
}

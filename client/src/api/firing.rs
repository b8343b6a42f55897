//! Firing events and notifying contacts or groups, for real or as a dry run.
//!
//! A fire is repeated on a lost answer only when it carries an idempotency key:
//! the server then answers the repeat with the first answer instead of paging
//! everyone again. Pass a fresh random key per logical fire.

use serde::Serialize;
use tocsin_types::{DryRunResponse, FireRequest, FireResponse, NotifyRequest};

use crate::operations::{FIRE_EVENT, NOTIFY_CONTACT, NOTIFY_GROUP};
use crate::{Client, Error};

#[derive(Serialize)]
struct DryRun {
    dry_run: bool,
}

const DRY_RUN: DryRun = DryRun { dry_run: true };

impl Client {
    /// Fires an event: renders its templates with the arguments and queues one
    /// delivery per recipient and enabled destination. With a `dedup_key` that
    /// matches an open notification of the event, attaches to it instead
    /// (`attached` is then true and no delivery is queued).
    ///
    /// With `idempotency_key`, a lost answer is retried safely (see
    /// [`RetryPolicy`](crate::RetryPolicy)); without one, never.
    ///
    /// ```no_run
    /// # async fn demo(client: tocsin_client::Client) -> Result<(), tocsin_client::Error> {
    /// use serde_json::json;
    /// use tocsin_client::types::FireRequest;
    ///
    /// let mut request = FireRequest { dedup_key: Some("db1:/var".into()), ..FireRequest::default() };
    /// request.args.insert("host".into(), json!("db1"));
    /// request.args.insert("percent".into(), json!(97));
    /// let fired = client.fire_event("disk-full", &request, Some("nagios-7f3a9c")).await?;
    /// println!("notification {} with {} deliveries", fired.notification_id, fired.deliveries);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn fire_event(
        &self,
        slug: &str,
        request: &FireRequest,
        idempotency_key: Option<&str>,
    ) -> Result<FireResponse, Error> {
        self.call(&FIRE_EVENT, &[slug]).json(request).idempotency_key(idempotency_key).decode().await
    }

    /// What [`Client::fire_event`] would do (`?dry_run=true`): the rendered
    /// message, the recipients, the skipped contacts; stores and sends nothing.
    pub async fn fire_event_dry_run(&self, slug: &str, request: &FireRequest) -> Result<DryRunResponse, Error> {
        self.call(&FIRE_EVENT, &[slug]).query(&DRY_RUN).json(request).repeatable().decode().await
    }

    /// Sends a message to every enabled destination of a contact.
    ///
    /// ```no_run
    /// # async fn demo(client: tocsin_client::Client) -> Result<(), tocsin_client::Error> {
    /// use tocsin_client::types::NotifyRequest;
    ///
    /// let message = NotifyRequest { message: "db1 is down".into(), subject: Some("Outage".into()) };
    /// client.notify_contact("ana", &message, Some("outage-2026-11-23")).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn notify_contact(
        &self,
        slug: &str,
        message: &NotifyRequest,
        idempotency_key: Option<&str>,
    ) -> Result<FireResponse, Error> {
        self.call(&NOTIFY_CONTACT, &[slug]).json(message).idempotency_key(idempotency_key).decode().await
    }

    /// What [`Client::notify_contact`] would do; stores and sends nothing.
    pub async fn notify_contact_dry_run(&self, slug: &str, message: &NotifyRequest) -> Result<DryRunResponse, Error> {
        self.call(&NOTIFY_CONTACT, &[slug]).query(&DRY_RUN).json(message).repeatable().decode().await
    }

    /// Sends a message to every enabled member of a group, each once per
    /// enabled destination.
    pub async fn notify_group(
        &self,
        slug: &str,
        message: &NotifyRequest,
        idempotency_key: Option<&str>,
    ) -> Result<FireResponse, Error> {
        self.call(&NOTIFY_GROUP, &[slug]).json(message).idempotency_key(idempotency_key).decode().await
    }

    /// What [`Client::notify_group`] would do; stores and sends nothing.
    pub async fn notify_group_dry_run(&self, slug: &str, message: &NotifyRequest) -> Result<DryRunResponse, Error> {
        self.call(&NOTIFY_GROUP, &[slug]).query(&DRY_RUN).json(message).repeatable().decode().await
    }
}

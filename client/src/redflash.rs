//! RedFlash's API (`/contact/<slug>/`, `/group/<slug>/`, `/event/<slug>/`),
//! which Tocsin serves for existing callers. The key travels in the form as
//! `api_key`: the client's token, which must be an API key (session tokens are
//! not accepted there). These calls carry no idempotency key, so they are
//! never repeated.

use serde::{Deserialize, Serialize};

use crate::{Client, Error};

/// RedFlash's answer to an accepted call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedflashAccepted {
    /// Always `OK`.
    pub message: String,
    /// 32 lowercase hex, as in the `/api/v1` answers.
    pub notification_id: String,
}

impl Client {
    /// `POST /contact/<slug>/` with `message`.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), tocsin_client::Error> {
    /// let client = tocsin_client::Client::new("http://127.0.0.1:8080")?.with_token("tsk_…");
    /// let accepted = client.redflash_notify_contact("ana", "db1 is down").await?;
    /// println!("{}", accepted.notification_id);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn redflash_notify_contact(&self, slug: &str, message: &str) -> Result<RedflashAccepted, Error> {
        self.redflash("contact", slug, &[("message", message)]).await
    }

    /// `POST /group/<slug>/` with `message`.
    pub async fn redflash_notify_group(&self, slug: &str, message: &str) -> Result<RedflashAccepted, Error> {
        self.redflash("group", slug, &[("message", message)]).await
    }

    /// `POST /event/<slug>/`: the fields are the event's template arguments.
    ///
    /// ```no_run
    /// # async fn demo(client: tocsin_client::Client) -> Result<(), tocsin_client::Error> {
    /// client.redflash_fire_event("disk-full", &[("host", "db1"), ("percent", "97")]).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn redflash_fire_event(&self, slug: &str, fields: &[(&str, &str)]) -> Result<RedflashAccepted, Error> {
        self.redflash("event", slug, fields).await
    }

    async fn redflash(&self, kind: &str, slug: &str, fields: &[(&str, &str)]) -> Result<RedflashAccepted, Error> {
        let mut form = Vec::with_capacity(fields.len() + 1);
        form.push(("api_key", self.token().unwrap_or_default()));
        form.extend(fields.iter().filter(|(name, _)| *name != "api_key").copied());
        // The trailing empty segment gives RedFlash's canonical `/kind/slug/`.
        self.call_path(&[kind, slug, ""]).form(&form).decode().await
    }
}

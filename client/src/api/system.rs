//! Health, readiness, metrics and the supported media.

use tocsin_types::Medium;

use crate::operations::{GET_HEALTHZ, GET_METRICS, GET_READYZ, LIST_MEDIA};
use crate::{Client, Error};

impl Client {
    /// `ok` while the server process answers.
    pub async fn get_healthz(&self) -> Result<String, Error> {
        self.call(&GET_HEALTHZ, &[]).text().await
    }

    /// `ready` while the database answers too; a 503 [`Error::Api`] otherwise.
    pub async fn get_readyz(&self) -> Result<String, Error> {
        self.call(&GET_READYZ, &[]).text().await
    }

    /// The Prometheus metrics, in the text exposition format.
    pub async fn get_metrics(&self) -> Result<String, Error> {
        self.call(&GET_METRICS, &[]).text().await
    }

    /// The supported media, each with the JSON Schema of its destination settings.
    pub async fn list_media(&self) -> Result<Vec<Medium>, Error> {
        self.call(&LIST_MEDIA, &[]).decode().await
    }
}

//! Events: named notifications with their targets and templates.

use tocsin_types::{
    Event, EventUpdate, EventVariables, ListQuery, NewEvent, Page, TemplatePreview, TemplatePreviewRequest,
};

use crate::operations::{
    CREATE_EVENT, DELETE_EVENT, GET_EVENT, GET_EVENT_VARIABLES, LIST_EVENTS, PREVIEW_TEMPLATES, UPDATE_EVENT,
};
use crate::{Client, Error};

impl Client {
    /// One page of events, filtered by `query`.
    pub async fn list_events(&self, query: &ListQuery) -> Result<Page<Event>, Error> {
        self.call(&LIST_EVENTS, &[]).query(query).decode().await
    }

    /// Creates an event.
    pub async fn create_event(&self, event: &NewEvent) -> Result<Event, Error> {
        self.call(&CREATE_EVENT, &[]).json(event).decode().await
    }

    /// One event.
    pub async fn get_event(&self, slug: &str) -> Result<Event, Error> {
        self.call(&GET_EVENT, &[slug]).decode().await
    }

    /// The variables an event's templates use: the `args` a fire should carry.
    pub async fn get_event_variables(&self, slug: &str) -> Result<EventVariables, Error> {
        self.call(&GET_EVENT_VARIABLES, &[slug]).decode().await
    }

    /// How templates that are not saved yet render with sample arguments, or
    /// what is wrong with them; stores nothing.
    pub async fn preview_templates(&self, request: &TemplatePreviewRequest) -> Result<TemplatePreview, Error> {
        self.call(&PREVIEW_TEMPLATES, &[]).json(request).repeatable().decode().await
    }

    /// Changes the fields of an event that `update` holds.
    pub async fn update_event(&self, slug: &str, update: &EventUpdate) -> Result<Event, Error> {
        self.call(&UPDATE_EVENT, &[slug]).json(update).decode().await
    }

    /// Deletes an event.
    pub async fn delete_event(&self, slug: &str) -> Result<(), Error> {
        self.call(&DELETE_EVENT, &[slug]).no_content().await
    }
}

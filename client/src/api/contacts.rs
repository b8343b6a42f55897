//! Contacts and their destinations.

use tocsin_types::{
    Contact, ContactUpdate, Destination, DestinationUpdate, ListQuery, NewContact, NewDestination, Page,
};

use crate::operations::{
    CREATE_CONTACT, CREATE_DESTINATION, DELETE_CONTACT, DELETE_DESTINATION, DISABLE_DESTINATION, ENABLE_DESTINATION,
    GET_CONTACT, GET_DESTINATION, LIST_CONTACTS, LIST_DESTINATIONS, UPDATE_CONTACT, UPDATE_DESTINATION,
};
use crate::{Client, Error};

impl Client {
    /// One page of contacts, filtered by `query`.
    ///
    /// ```no_run
    /// # async fn demo(client: tocsin_client::Client) -> Result<(), tocsin_client::Error> {
    /// use tocsin_client::types::ListQuery;
    ///
    /// let page = client.list_contacts(&ListQuery { q: Some("ana".into()), ..ListQuery::default() }).await?;
    /// for contact in page.items {
    ///     println!("{} {}", contact.slug, contact.name);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn list_contacts(&self, query: &ListQuery) -> Result<Page<Contact>, Error> {
        self.call(&LIST_CONTACTS, &[]).query(query).decode().await
    }

    /// Creates a contact.
    pub async fn create_contact(&self, contact: &NewContact) -> Result<Contact, Error> {
        self.call(&CREATE_CONTACT, &[]).json(contact).decode().await
    }

    /// A contact with its destinations.
    pub async fn get_contact(&self, slug: &str) -> Result<Contact, Error> {
        self.call(&GET_CONTACT, &[slug]).decode().await
    }

    /// Changes the fields of a contact that `update` holds.
    pub async fn update_contact(&self, slug: &str, update: &ContactUpdate) -> Result<Contact, Error> {
        self.call(&UPDATE_CONTACT, &[slug]).json(update).decode().await
    }

    /// Deletes a contact and its destinations.
    pub async fn delete_contact(&self, slug: &str) -> Result<(), Error> {
        self.call(&DELETE_CONTACT, &[slug]).no_content().await
    }

    /// The destinations of a contact.
    pub async fn list_destinations(&self, contact: &str) -> Result<Vec<Destination>, Error> {
        self.call(&LIST_DESTINATIONS, &[contact]).decode().await
    }

    /// Adds a destination to a contact.
    ///
    /// ```no_run
    /// # async fn demo(client: tocsin_client::Client) -> Result<(), tocsin_client::Error> {
    /// use tocsin_client::types::NewDestination;
    ///
    /// let inbox = NewDestination {
    ///     medium: "inbox".into(),
    ///     label: None,
    ///     settings: serde_json::json!({"operator": "admin"}),
    ///     enabled: None,
    /// };
    /// let destination = client.create_destination("ana", &inbox).await?;
    /// println!("destination {}", destination.id);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn create_destination(&self, contact: &str, destination: &NewDestination) -> Result<Destination, Error> {
        self.call(&CREATE_DESTINATION, &[contact]).json(destination).decode().await
    }

    /// One destination.
    pub async fn get_destination(&self, id: i64) -> Result<Destination, Error> {
        self.call(&GET_DESTINATION, &[&id.to_string()]).decode().await
    }

    /// Changes the fields of a destination that `update` holds.
    pub async fn update_destination(&self, id: i64, update: &DestinationUpdate) -> Result<Destination, Error> {
        self.call(&UPDATE_DESTINATION, &[&id.to_string()]).json(update).decode().await
    }

    /// Deletes a destination.
    pub async fn delete_destination(&self, id: i64) -> Result<(), Error> {
        self.call(&DELETE_DESTINATION, &[&id.to_string()]).no_content().await
    }

    /// Enables a destination.
    pub async fn enable_destination(&self, id: i64) -> Result<Destination, Error> {
        self.call(&ENABLE_DESTINATION, &[&id.to_string()]).decode().await
    }

    /// Disables a destination: fires skip it until it is enabled again.
    pub async fn disable_destination(&self, id: i64) -> Result<Destination, Error> {
        self.call(&DISABLE_DESTINATION, &[&id.to_string()]).decode().await
    }
}

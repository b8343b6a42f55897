//! Destinations: one medium, one address, for one contact.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use tocsin_types::Destination;

use super::schema::{contacts, destinations};
use super::{from_db_time, now, DbConnection, StoreError};
use crate::domain::inputs::destinations::DestinationDraft;
use crate::domain::media::{redact_settings, Medium};
use crate::domain::phone::PhoneNumber;

#[derive(Queryable, Clone)]
pub struct DestinationRow {
    pub id: i64,
    pub contact_id: i64,
    pub medium: String,
    pub label: String,
    pub settings: String,
    pub address: String,
    pub enabled: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl DestinationRow {
    pub fn settings_value(&self) -> serde_json::Value {
        serde_json::from_str(&self.settings).unwrap_or(serde_json::Value::Null)
    }

    /// The API's view: secrets removed, SMS numbers marked valid or merely possible.
    pub fn to_dto(&self, contact_slug: &str) -> Destination {
        let medium = Medium::parse(&self.medium).ok();
        let settings = self.settings_value();
        Destination {
            id: self.id,
            contact: contact_slug.to_owned(),
            medium: self.medium.clone(),
            label: self.label.clone(),
            settings: medium.map(|m| redact_settings(m, &settings)).unwrap_or(settings),
            address: self.address.clone(),
            enabled: self.enabled,
            phone_valid: (medium == Some(Medium::Sms))
                .then(|| PhoneNumber::parse(&self.address).map(|p| p.is_valid()).unwrap_or(false)),
            created_at: from_db_time(self.created_at),
            updated_at: from_db_time(self.updated_at),
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = destinations)]
pub struct NewDestinationRow {
    pub contact_id: i64,
    pub medium: String,
    pub label: String,
    pub settings: String,
    pub address: String,
    pub enabled: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Changes to a destination; `None` leaves a column as it is.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = destinations)]
pub struct DestinationChanges {
    pub label: Option<String>,
    pub settings: Option<String>,
    pub address: Option<String>,
    pub enabled: Option<bool>,
    pub updated_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut DbConnection, row: &NewDestinationRow) -> Result<DestinationRow, StoreError> {
    Ok(diesel::insert_into(destinations::table).values(row).get_result::<DestinationRow>(conn)?)
}

/// Adds a validated destination to the contact `contact_id`.
pub fn insert_draft(
    conn: &mut DbConnection,
    contact_id: i64,
    draft: &DestinationDraft,
) -> Result<DestinationRow, StoreError> {
    let at = now();
    let row = NewDestinationRow {
        contact_id,
        medium: draft.medium.as_str().into(),
        label: draft.label.clone(),
        settings: draft.settings.settings.to_string(),
        address: draft.settings.address.clone(),
        enabled: draft.enabled,
        created_at: at,
        updated_at: at,
    };
    insert(conn, &row)
}

/// A destination with the slug of its contact.
pub fn get(conn: &mut DbConnection, id: i64) -> Result<(DestinationRow, String), StoreError> {
    destinations::table
        .inner_join(contacts::table)
        .filter(destinations::id.eq(id))
        .select((destinations::all_columns, contacts::slug))
        .first::<(DestinationRow, String)>(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("destination {id}")))
}

pub fn for_contacts(conn: &mut DbConnection, contact_ids: &[i64]) -> Result<Vec<DestinationRow>, StoreError> {
    if contact_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(destinations::table
        .filter(destinations::contact_id.eq_any(contact_ids))
        .order(destinations::id.asc())
        .load::<DestinationRow>(conn)?)
}

pub fn update(conn: &mut DbConnection, id: i64, mut changes: DestinationChanges) -> Result<DestinationRow, StoreError> {
    changes.updated_at = Some(now());
    Ok(diesel::update(destinations::table.find(id)).set(&changes).get_result::<DestinationRow>(conn)?)
}

pub fn delete(conn: &mut DbConnection, id: i64) -> Result<(), StoreError> {
    diesel::delete(destinations::table.find(id)).execute(conn)?;
    Ok(())
}

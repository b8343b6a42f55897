//! Accepting a fire: find the target, render the message, resolve recipients,
//! store the notification with one delivery row per recipient (leased to this
//! instance), and hand those rows to the dispatcher once committed. The dry run
//! is the same plan without the storing.
//!
//! - [`command`]: what a fire carries, as every ingest adapter builds it;
//! - [`plans`]: loading a plan, and the cache that keeps it (with its rule);
//! - [`dry_run`]: the plan answered, nothing stored;
//! - [`rows`]: the notification and delivery rows a fire stores;
//! - [`writer`]: the group-commit writer that stores fires;
//! - [`idempotency`]: answers kept for retries;
//! - [`single`]: one-delivery sends (replay, test message).

mod command;
mod dry_run;
mod idempotency;
mod plans;
mod rows;
mod single;
mod writer;

pub use command::{Accepted, FireCommand, FireContent, FireError, FireTarget, IdempotencyKey};
pub use dry_run::dry_run;
pub use single::{replay, test_destination};
pub use writer::{fire, FireWriter};

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod test_support {
    use std::collections::HashMap;

    use super::command::{FireCommand, FireTarget};
    use super::plans::{prepare, Prepared};
    use super::rows::FireContext;
    use crate::domain::inputs::contacts::ContactDraft;
    use crate::domain::inputs::Link;
    use crate::domain::slug::Slug;
    use crate::store::contacts;
    use crate::store::destinations::{self, NewDestinationRow};
    use crate::store::{now, DbConnection};

    /// A contact `slug` with one inbox destination, and a planned direct fire at it.
    pub fn contact_fire(conn: &mut DbConnection, slug: &str) -> (FireCommand, Prepared) {
        let at = now();
        let draft = ContactDraft {
            slug: Slug::parse("slug", slug).unwrap(),
            name: slug.into(),
            enabled: true,
            timezone: "UTC".into(),
            availability: tocsin_types::Availability::Always,
            operator: Link::Keep,
            schedule: Link::Keep,
        };
        let contact = contacts::insert(conn, &draft, contacts::Links::default()).unwrap();
        destinations::insert(
            conn,
            &NewDestinationRow {
                contact_id: contact.id,
                medium: "inbox".into(),
                label: String::new(),
                settings: r#"{"operator":"admin"}"#.into(),
                address: "admin".into(),
                enabled: true,
                created_at: at,
                updated_at: at,
            },
        )
        .unwrap();
        let cmd = FireCommand::direct(
            FireTarget::Contact(slug.into()),
            String::new(),
            format!("message for {slug}"),
            crate::domain::audit::Actor::operator("admin"),
        );
        let prepared = prepare(conn, &cmd, None).unwrap();
        (cmd, prepared)
    }

    pub fn context() -> FireContext {
        FireContext { token: "test".into(), lease: chrono::Duration::minutes(1), max_age: HashMap::new() }
    }
}

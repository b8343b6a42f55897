//! A fire's plan: the target as stored, whom it reaches and how to render its
//! message, and the cache that keeps plans between fires.
//!
//! # What may be cached
//!
//! A plan is kept under the directory version it was read at
//! (`crate::store::directory::version`) and used until that version moves.
//! Two rules keep that true:
//!
//! - Every table a plan reads moves `directory_version` on every insert,
//!   update and delete, through a trigger on both backends
//!   ([`crate::store::directory::PLAN_TABLES`] lists them, and a test checks
//!   each has its triggers). A new table that feeds plans adds its triggers in
//!   the same migration that creates it, on SQLite and on PostgreSQL.
//! - Nothing that depends on the time goes into a plan: who is on duty or on
//!   call is worked out when a fire is planned or a delivery falls due, never
//!   kept here, because no write moves the version when a shift ends.

use std::collections::HashMap;
use std::sync::Arc;

use tocsin_types::SkippedContact;

use super::command::{FireCommand, FireContent, FireError, FireTarget};
use crate::domain::plan::{self, Origin, Resolution, Target};
use crate::domain::render::{self, Escaping};
use crate::store::{contacts, directory, events, groups, DbConnection};

/// Everything the plan decided, before anything is stored.
pub struct Prepared {
    pub(super) plan: Arc<Plan>,
    pub(super) subject: String,
    pub(super) body: String,
    pub(super) sms_text: String,
}

/// What a fire's plan depends on apart from its arguments: the target as
/// stored and whom it reaches. The same for every fire at the same target until
/// the directory changes, so [`PlanCache`] can keep it.
#[derive(Debug, Clone)]
pub struct Plan {
    pub(super) event_id: Option<i64>,
    pub(super) origin: Origin,
    pub(super) severity: String,
    /// An event's templates; a direct notify brings its own message.
    templates: Option<EventTemplates>,
    pub(super) resolution: Resolution,
    pub(super) settings: HashMap<i64, String>,
    /// The skipped contacts as answered and as stored (JSON): the same for every
    /// fire of this plan, so worked out once.
    pub(super) skipped: Vec<SkippedContact>,
    pub(super) skipped_json: String,
    /// Each recipient's path as text, in recipient order.
    pub(super) paths: Vec<String>,
}

#[derive(Debug, Clone)]
struct EventTemplates {
    subject: String,
    body: String,
    sms: String,
    escaping: Escaping,
}

/// Reads the target and the part of the directory it reaches, and resolves
/// the recipients.
fn load_plan(conn: &mut DbConnection, target: &FireTarget) -> Result<Plan, FireError> {
    let (event_id, origin, targets, severity, templates) = match target {
        FireTarget::Event(slug) => {
            let event =
                events::find(conn, slug)?.ok_or_else(|| FireError::NotFound { kind: "event", slug: slug.clone() })?;
            if !event.enabled {
                return Err(FireError::Disabled { kind: "event", slug: event.slug, name: event.name });
            }
            let targets = directory::event_targets(conn, event.id)?;
            let escaping = if event.escaping == "html" { Escaping::Html } else { Escaping::None };
            let sms = if event.sms_template.is_empty() { event.body_template.clone() } else { event.sms_template };
            let templates =
                EventTemplates { subject: event.subject_template, body: event.body_template, sms, escaping };
            (Some(event.id), Origin { kind: "event", slug: event.slug }, targets, event.severity, Some(templates))
        }
        FireTarget::Contact(slug) => {
            let contact = contacts::find(conn, slug)?
                .ok_or_else(|| FireError::NotFound { kind: "contact", slug: slug.clone() })?;
            if !contact.enabled {
                return Err(FireError::Disabled { kind: "contact", slug: contact.slug, name: contact.name });
            }
            let origin = Origin { kind: "contact", slug: contact.slug };
            (None, origin, vec![Target::Contact(contact.id)], "warning".into(), None)
        }
        FireTarget::Group(slug) => {
            let group =
                groups::find(conn, slug)?.ok_or_else(|| FireError::NotFound { kind: "group", slug: slug.clone() })?;
            if !group.enabled {
                return Err(FireError::Disabled { kind: "group", slug: group.slug, name: group.name });
            }
            (None, Origin { kind: "group", slug: group.slug }, vec![Target::Group(group.id)], "warning".into(), None)
        }
    };
    let (snapshot, settings) = directory::snapshot(conn, &targets)?;
    let resolution = plan::resolve(&origin, &targets, &snapshot);
    let skipped = skipped(&resolution);
    let skipped_json = serde_json::to_string(&skipped).unwrap_or_else(|_| "[]".into());
    let paths = resolution.recipients.iter().map(|r| plan::path_text(&r.path)).collect();
    Ok(Plan { event_id, origin, severity, templates, resolution, settings, skipped, skipped_json, paths })
}

fn skipped(resolution: &Resolution) -> Vec<SkippedContact> {
    resolution
        .skipped
        .iter()
        .map(|s| SkippedContact {
            contact: s.contact_slug.clone(),
            reason: s.reason.as_str().into(),
            path: plan::path_text(&s.path),
        })
        .collect()
}

/// Plans of the targets fired lately, each with the directory version it was
/// read at. A fire then costs one query to learn the version instead of a read
/// of the target, its groups, contacts and destinations. The version lives in
/// the database and every directory write moves it on (triggers), so a change
/// made through any instance is seen by the next fire everywhere.
#[derive(Default)]
pub struct PlanCache {
    entries: std::sync::Mutex<HashMap<FireTarget, (i64, Arc<Plan>)>>,
}

/// Targets a cache keeps before it starts again from empty.
const PLAN_CACHE_ENTRIES: usize = 1024;

impl PlanCache {
    pub(super) fn plan(&self, conn: &mut DbConnection, target: &FireTarget) -> Result<Arc<Plan>, FireError> {
        // Read before the plan: a plan is never older than the version it is
        // kept under (a change in between only makes the next fire read again).
        let version = directory::version(conn)?;
        let cached = self.entries.lock().ok().and_then(|entries| entries.get(target).cloned());
        if let Some((at, plan)) = cached {
            if at == version {
                return Ok(plan);
            }
        }
        let plan = Arc::new(load_plan(conn, target)?);
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= PLAN_CACHE_ENTRIES && !entries.contains_key(target) {
                entries.clear();
            }
            entries.insert(target.clone(), (version, plan.clone()));
        }
        Ok(plan)
    }
}

/// The plan of `cmd` (from `cache` when it still holds) with its message rendered.
pub(super) fn prepare(
    conn: &mut DbConnection,
    cmd: &FireCommand,
    cache: Option<&PlanCache>,
) -> Result<Prepared, FireError> {
    let plan = match cache {
        Some(cache) => cache.plan(conn, &cmd.target)?,
        None => Arc::new(load_plan(conn, &cmd.target)?),
    };
    let no_args = serde_json::Map::new();
    let (subject, body, sms_text) = match (&plan.templates, &cmd.content) {
        (Some(t), content) => {
            let args = match content {
                FireContent::Event { args, .. } => args,
                FireContent::Direct { .. } => &no_args,
            };
            (
                render::render("templates.subject", &t.subject, args, t.escaping)?,
                render::render("templates.body", &t.body, args, t.escaping)?,
                render::render("templates.sms", &t.sms, args, t.escaping)?,
            )
        }
        (None, FireContent::Direct { subject, message }) => (subject.clone(), message.clone(), message.clone()),
        // Not built by `FireCommand`'s constructors: a contact or group takes
        // a message, and has no templates to fill.
        (None, FireContent::Event { .. }) => (String::new(), String::new(), String::new()),
    };
    Ok(Prepared { plan, subject, body, sms_text })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::super::test_support::contact_fire;
    use super::*;
    use crate::store::{run_migrations, DatabaseUrl};
    use diesel::prelude::*;

    #[test]
    fn a_kept_plan_is_used_until_the_directory_changes() {
        use crate::store::schema::contacts as contact_rows;
        let dir = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::parse(&dir.path().join("t.db").display().to_string()).unwrap();
        run_migrations(&url, |conn| {
            let (cmd, _) = contact_fire(conn, "ana");
            let cache = PlanCache::default();
            let first = cache.plan(conn, &cmd.target).unwrap();
            assert!(Arc::ptr_eq(&first, &cache.plan(conn, &cmd.target).unwrap()), "kept");
            diesel::update(contact_rows::table).set(contact_rows::enabled.eq(false)).execute(conn).unwrap();
            let refused = cache.plan(conn, &cmd.target);
            assert!(matches!(refused, Err(FireError::Disabled { .. })), "read again after the change");
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn a_direct_message_is_sent_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::parse(&dir.path().join("t.db").display().to_string()).unwrap();
        run_migrations(&url, |conn| {
            let (_, p) = contact_fire(conn, "ana");
            assert_eq!(
                (p.subject.as_str(), p.body.as_str(), p.sms_text.as_str()),
                ("", "message for ana", "message for ana")
            );
            Ok(())
        })
        .unwrap();
    }
}

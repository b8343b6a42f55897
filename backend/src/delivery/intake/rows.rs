//! The rows a fire stores: its notification, one delivery per recipient
//! (inserted already leased to this instance) and the jobs handed to the
//! dispatcher once they are committed.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDateTime;
use rand::RngCore;
use tocsin_types::FireResponse;

use super::command::FireCommand;
use super::plans::Prepared;
use crate::delivery::dispatcher::{Dispatcher, Job, MessageContext};
use crate::domain::lifecycle::{DeliveryKind, DeliveryStatus};
use crate::domain::plan;
use crate::store::deliveries::{DeliveryRow, NewDelivery};
use crate::store::from_db_time;
use crate::store::notifications::{NewNotification, NotificationRow};

/// What storing a fire needs to know about the dispatcher that will send it.
#[derive(Debug, Clone)]
pub struct FireContext {
    pub(super) token: String,
    pub(super) lease: chrono::Duration,
    pub(super) max_age: HashMap<&'static str, chrono::Duration>,
}

impl FireContext {
    pub fn of(dispatcher: &Dispatcher) -> Self {
        let max_age = crate::domain::media::Medium::ALL
            .iter()
            .map(|m| {
                let age = chrono::Duration::from_std(dispatcher.config().retry_for(*m).max_age);
                (m.as_str(), age.unwrap_or(chrono::Duration::days(1)))
            })
            .collect();
        Self { token: dispatcher.token().to_owned(), lease: dispatcher.lease(), max_age }
    }

    /// A delivery row along `route`, leased to this instance from `at`, that
    /// expires after its medium's maximum age. Every row this instance inserts
    /// starts so: already `sending`, first attempt now — the fast path that
    /// needs no claim, since the dispatcher gets it in memory and only the
    /// outcome is written afterwards.
    pub(super) fn row(
        &self,
        at: NaiveDateTime,
        notification_id: i64,
        route: Route,
        replay_of: Option<i64>,
    ) -> NewDelivery {
        let max_age = self.max_age.get(route.medium.as_str()).copied().unwrap_or(chrono::Duration::days(1));
        NewDelivery {
            notification_id,
            contact_id: route.contact_id,
            destination_id: route.destination_id,
            medium: route.medium,
            address: route.address,
            path: route.path,
            payload: route.payload,
            status: DeliveryStatus::Sending,
            attempts: 1,
            due_at: at,
            expires_at: at + max_age,
            lease_until: Some(at + self.lease),
            lease_token: Some(self.token.clone()),
            replay_of,
            queued_at: at,
            sending_at: Some(at),
            kind: DeliveryKind::Page,
        }
    }
}

/// Where one delivery goes.
pub(super) struct Route {
    pub(super) contact_id: Option<i64>,
    pub(super) destination_id: Option<i64>,
    pub(super) medium: String,
    pub(super) address: String,
    pub(super) path: String,
    pub(super) payload: String,
}

impl Route {
    fn of_recipient(r: &plan::Recipient, path: &str, settings: &HashMap<i64, String>) -> Route {
        Route {
            contact_id: Some(r.contact_id),
            destination_id: Some(r.destination_id),
            medium: r.medium.as_str().into(),
            address: r.address.clone(),
            path: path.to_owned(),
            payload: settings.get(&r.destination_id).cloned().unwrap_or_else(|| "{}".into()),
        }
    }

    /// The same route as an earlier delivery's.
    pub(super) fn of_delivery(old: &DeliveryRow) -> Route {
        Route {
            contact_id: old.contact_id,
            destination_id: old.destination_id,
            medium: old.medium.clone(),
            address: old.address.clone(),
            path: old.path.clone(),
            payload: old.payload.clone(),
        }
    }
}

/// The notification row of a planned fire.
pub(super) fn new_notification(cmd: &FireCommand, p: &Prepared, at: NaiveDateTime) -> NewNotification {
    NewNotification {
        public_id: public_id(),
        event_id: p.plan.event_id,
        target_kind: p.plan.origin.kind.into(),
        target_slug: p.plan.origin.slug.clone(),
        severity: p.plan.severity.clone(),
        subject: p.subject.clone(),
        body: p.body.clone(),
        sms_text: p.sms_text.clone(),
        args: cmd.args_json(),
        skipped: p.plan.skipped_json.clone(),
        dedup_key: cmd.dedup_key().map(str::to_owned),
        raised_by: cmd.raised_by.to_string(),
        created_at: at,
    }
}

/// One delivery row per planned recipient, leased to this instance.
pub(super) fn delivery_rows(
    notification_id: i64,
    p: &Prepared,
    ctx: &FireContext,
    at: NaiveDateTime,
) -> Vec<NewDelivery> {
    p.plan
        .resolution
        .recipients
        .iter()
        .zip(&p.plan.paths)
        .map(|(r, path)| ctx.row(at, notification_id, Route::of_recipient(r, path, &p.plan.settings), None))
        .collect()
}

/// The answer to a new notification and the jobs for its deliveries.
pub(super) fn created(row: NotificationRow, p: &Prepared, inserted: Vec<DeliveryRow>) -> (FireResponse, Vec<Job>) {
    let response = FireResponse {
        notification_id: row.public_id.clone(),
        deliveries: i64::try_from(inserted.len()).unwrap_or(i64::MAX),
        skipped: p.plan.skipped.clone(),
        attached: false,
    };
    let context = Arc::new(MessageContext {
        notification_pk: row.id,
        notification_id: row.public_id,
        event: p.plan.event_id.map(|_| p.plan.origin.slug.clone()),
        severity: row.severity,
        subject: row.subject,
        body: row.body,
        sms_text: row.sms_text,
        created_at: from_db_time(row.created_at),
    });
    let jobs = inserted.into_iter().map(|row| Job { row, context: context.clone() }).collect();
    (response, jobs)
}

/// 32 lowercase hex digits, as RedFlash's notification ids.
pub(super) fn public_id() -> String {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn a_delivery_row_expires_after_its_own_mediums_maximum_age() {
        let ctx = FireContext {
            token: "test".into(),
            lease: chrono::Duration::minutes(1),
            max_age: HashMap::from([("sms", chrono::Duration::hours(2)), ("webhook", chrono::Duration::hours(5))]),
        };
        let at = crate::store::now();
        let route = |medium: &str| Route {
            contact_id: None,
            destination_id: None,
            medium: medium.into(),
            address: "a".into(),
            path: "p".into(),
            payload: "{}".into(),
        };
        let sms = ctx.row(at, 1, route("sms"), None);
        assert_eq!(sms.expires_at, at + chrono::Duration::hours(2));
        assert_eq!(
            (sms.lease_until, sms.lease_token.as_deref(), sms.status, sms.sending_at),
            (Some(at + chrono::Duration::minutes(1)), Some("test"), DeliveryStatus::Sending, Some(at))
        );
        assert_eq!(ctx.row(at, 1, route("webhook"), Some(7)).expires_at, at + chrono::Duration::hours(5));
        assert_eq!(ctx.row(at, 1, route("inbox"), None).expires_at, at + chrono::Duration::days(1), "the default");
    }

    #[test]
    fn a_public_id_is_32_lowercase_hex_digits() {
        let id = public_id();
        assert_eq!(id.len(), 32);
        assert!(id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        assert_ne!(id, public_id());
    }
}

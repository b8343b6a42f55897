//! Sends of one delivery that do not come from a fire: a replay of a failed
//! delivery, and a test message to a destination.

use tocsin_types::FireResponse;

use super::command::FireError;
use super::rows::{public_id, FireContext, Route};
use crate::delivery::dispatcher::{self, Dispatcher};
use crate::domain::audit::{Actor, AuditAction};
use crate::domain::lifecycle::DeliveryStatus;
use crate::store::notifications::{self, NewNotification};
use crate::store::{audit, deliveries, now, Store, StoreError};

/// Sends a failed or expired delivery again, as a new delivery that points at
/// the old one (`replay_of`); the old one keeps its final state.
pub async fn replay(
    store: &Store,
    dispatcher: &Dispatcher,
    delivery_id: i64,
    actor: Actor,
) -> Result<(String, i64), FireError> {
    let ctx = FireContext::of(dispatcher);
    let (public_id, job) = store
        .write(move |conn| {
            let old = deliveries::get(conn, delivery_id)?;
            if !matches!(old.status, DeliveryStatus::Failed | DeliveryStatus::Expired) {
                return Err(StoreError::Conflict(format!(
                    "delivery {delivery_id} is {}; only failed or expired deliveries can be replayed",
                    old.status
                )));
            }
            let row = ctx.row(now(), old.notification_id, Route::of_delivery(&old), Some(old.id));
            let inserted = deliveries::insert_many(conn, &[row])?;
            crate::store::timeline::add(conn, old.notification_id, Some(old.id), "replayed", &format!("by {actor}"))?;
            let detail = serde_json::json!({"new_delivery": inserted.first().map(|r| r.id)});
            audit::record(conn, &actor, AuditAction::DeliveryReplay, &old.id.to_string(), detail)?;
            let jobs = dispatcher::load_jobs(conn, inserted)?;
            let public_id = jobs.first().map(|j| j.context.notification_id.clone()).unwrap_or_default();
            Ok((public_id, jobs))
        })
        .await?;
    let new_id = job.first().map(|j| j.row.id).unwrap_or_default();
    dispatcher.hand_over(job);
    Ok((public_id, new_id))
}

/// Sends a test message to one destination — how a user checks a new phone
/// number before the night it matters. It is a notification like any other, so
/// its outcome shows in the same place.
pub async fn test_destination(
    store: &Store,
    dispatcher: &Dispatcher,
    destination_id: i64,
    actor: Actor,
) -> Result<FireResponse, FireError> {
    let ctx = FireContext::of(dispatcher);
    let (response, jobs) = store
        .write(move |conn| {
            let (dest, contact_slug) = crate::store::destinations::get(conn, destination_id)?;
            let at = now();
            // The body is shown to every reader of the notification and sent
            // over the channel itself: it names the destination by id, never
            // by its address, which may be a secret (a Slack or Teams URL).
            let text = format!(
                "Tocsin test message for {contact_slug} ({} destination {}), sent by {actor}.",
                dest.medium, dest.id
            );
            let row = notifications::insert(
                conn,
                &NewNotification {
                    public_id: public_id(),
                    event_id: None,
                    target_kind: "destination".into(),
                    target_slug: dest.id.to_string(),
                    severity: "info".into(),
                    subject: "Tocsin test message".into(),
                    body: text.clone(),
                    sms_text: text,
                    args: "{}".into(),
                    skipped: "[]".into(),
                    dedup_key: None,
                    raised_by: actor.to_string(),
                    created_at: at,
                },
            )?;
            let route = Route {
                contact_id: Some(dest.contact_id),
                destination_id: Some(dest.id),
                medium: dest.medium.clone(),
                address: dest.address.clone(),
                path: format!("test → contact {contact_slug} → {} {}", dest.medium, dest.address),
                payload: dest.settings.clone(),
            };
            let inserted = deliveries::insert_many(conn, &[ctx.row(at, row.id, route, None)])?;
            let detail = serde_json::json!({"notification": row.public_id});
            audit::record(conn, &actor, AuditAction::DestinationTest, &dest.id.to_string(), detail)?;
            let jobs = dispatcher::load_jobs(conn, inserted)?;
            let response =
                FireResponse { notification_id: row.public_id, deliveries: 1, skipped: vec![], attached: false };
            Ok((response, jobs))
        })
        .await?;
    dispatcher.hand_over(jobs);
    Ok(response)
}

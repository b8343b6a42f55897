//! `?dry_run=true`: the plan of a fire as the caller would see it, with
//! nothing stored and nothing sent.

use tocsin_types::{DryRunResponse, PlannedRecipient, RenderedMessage, SmsPreview};

use super::command::{FireCommand, FireError};
use super::plans::prepare;
use crate::domain::sms;
use crate::store::{notifications, Store};

/// The plan of a fire, storing and sending nothing.
pub async fn dry_run(store: &Store, cmd: FireCommand) -> Result<DryRunResponse, FireError> {
    store
        .read(move |conn| {
            let p = match prepare(conn, &cmd, None) {
                Ok(p) => p,
                Err(e) => return Ok(Err(e)),
            };
            let would_attach_to = match (p.plan.event_id, cmd.dedup_key()) {
                (Some(event_id), Some(key)) => {
                    notifications::find_open_duplicate(conn, event_id, key)?.map(|n| n.public_id)
                }
                _ => None,
            };
            let info = sms::analyse(&p.sms_text);
            Ok(Ok(DryRunResponse {
                dry_run: true,
                skipped: p.plan.skipped.clone(),
                recipients: p
                    .plan
                    .resolution
                    .recipients
                    .iter()
                    .zip(&p.plan.paths)
                    .map(|(r, path)| PlannedRecipient {
                        contact: r.contact_slug.clone(),
                        destination_id: r.destination_id,
                        medium: r.medium.as_str().into(),
                        address: r.address.clone(),
                        path: path.clone(),
                    })
                    .collect(),
                rendered: RenderedMessage {
                    subject: p.subject,
                    body: p.body,
                    sms: SmsPreview {
                        text: p.sms_text,
                        encoding: info.encoding.as_str().into(),
                        segments: i64::try_from(info.segments).unwrap_or(i64::MAX),
                    },
                },
                would_attach_to,
            }))
        })
        .await?
}

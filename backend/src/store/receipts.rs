//! Provider callbacks. A receipt that may touch its delivery is kept with it
//! and moves it forward (never back); anything else the caller decides to keep
//! (see `http/receipts.rs`: unverified and unmatched callbacks are rate-limited)
//! is kept raw with what became of it, and changes nothing.
//!
//! A receipt may touch a delivery only if the delivery is an SMS, was taken by
//! the provider the receipt comes from, and is `sent` (or final, which only
//! adds to its timeline). One for a delivery still `sending` waits, kept, until
//! the send's outcome is recorded ([`apply_waiting`]).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::deliveries::{self, DeliveryRow};
use super::schema::{deliveries as d, provider_callbacks as pc};
use super::{now, timeline, DbConnection, StoreError};
use crate::domain::lifecycle::{
    receipt_effect, CallbackKind, CallbackOutcome, DeliveryStatus, ReceiptEffect, ReceiptStatus,
};
use crate::domain::media::Medium;
use crate::domain::receipts::{Receipt, ReceiptTarget};

/// What [`apply`] did with a receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// Kept with its delivery and applied to it.
    Matched(i64),
    /// Kept with its delivery, to be applied once the send's outcome is recorded.
    Waiting(i64),
    /// Names a delivery it may not touch: nothing was written.
    Unmatched,
    /// Names no delivery there is: nothing was written.
    Unknown,
}

/// Keeps a callback as it came, with what became of it.
pub fn keep(
    conn: &mut DbConnection,
    kind: CallbackKind,
    provider: &str,
    raw: &str,
    outcome: CallbackOutcome,
    receipt: Option<&Receipt>,
) -> Result<(), StoreError> {
    let provider_ref = receipt.and_then(|r| match r.matches {
        crate::domain::receipts::ReceiptMatch::ProviderId(ref id) => Some(id.clone()),
        crate::domain::receipts::ReceiptMatch::Reference(_) => None,
    });
    diesel::insert_into(pc::table)
        .values((
            pc::received_at.eq(now()),
            pc::kind.eq(kind.as_str()),
            pc::provider.eq(provider),
            pc::raw.eq(raw),
            pc::provider_ref.eq(provider_ref),
            pc::status.eq(receipt.map(|r| r.status.as_str())),
            pc::detail.eq(receipt.map(|r| r.detail.as_str())),
            pc::outcome.eq(outcome.as_str()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Applies a receipt to the delivery `target` names, if it may touch it;
/// writes nothing when it may not ([`Applied::Unmatched`]).
pub fn apply(
    conn: &mut DbConnection,
    receipt: &Receipt,
    target: &ReceiptTarget,
    raw: &str,
) -> Result<Applied, StoreError> {
    let found: Option<DeliveryRow> = match target {
        ReceiptTarget::Delivery(id) => d::table.find(*id).first(conn).optional()?,
        ReceiptTarget::ProviderId(pid) => d::table
            .filter(d::provider_message_id.eq(pid))
            .filter(d::provider.eq(receipt.provider))
            .first(conn)
            .optional()?,
    };
    let Some(row) = found else { return Ok(Applied::Unknown) };
    if row.medium != Medium::Sms.as_str() {
        return Ok(Applied::Unmatched);
    }
    let effect = receipt_effect(row.status, receipt.status);
    let same_provider = row.provider.as_deref() == Some(receipt.provider);
    let (outcome, applied) = match effect {
        // Which provider took it is not known yet: checked once it is.
        ReceiptEffect::Waits => (CallbackOutcome::Waiting, Applied::Waiting(row.id)),
        ReceiptEffect::Moves(_) | ReceiptEffect::Notes if same_provider => {
            (CallbackOutcome::Matched, Applied::Matched(row.id))
        }
        _ => return Ok(Applied::Unmatched),
    };
    let provider_ref = match target {
        ReceiptTarget::ProviderId(pid) => Some(pid.clone()),
        ReceiptTarget::Delivery(_) => None,
    };
    diesel::insert_into(pc::table)
        .values((
            pc::received_at.eq(now()),
            pc::kind.eq(CallbackKind::Receipt.as_str()),
            pc::provider.eq(receipt.provider),
            pc::delivery_id.eq(Some(row.id)),
            pc::raw.eq(raw),
            pc::provider_ref.eq(provider_ref),
            pc::status.eq(receipt.status.as_str()),
            pc::detail.eq(&receipt.detail),
            pc::outcome.eq(outcome.as_str()),
        ))
        .execute(conn)?;
    if outcome == CallbackOutcome::Matched {
        move_forward(conn, &row, receipt.provider, receipt.status, &receipt.detail)?;
    }
    Ok(applied)
}

/// Applies the receipts that arrived while the delivery was still being sent:
/// those kept with it, and those naming the provider id its send just
/// recorded. Each must come from the provider that took it; the others are
/// marked unmatched and change nothing.
pub fn apply_waiting(conn: &mut DbConnection, delivery_id: i64) -> Result<(), StoreError> {
    let row = deliveries::get(conn, delivery_id)?;
    let waiting = CallbackOutcome::Waiting.as_str();
    let mut query = pc::table.filter(pc::outcome.eq(waiting)).into_boxed();
    query = match &row.provider_message_id {
        Some(pid) => query.filter(pc::delivery_id.eq(delivery_id).or(pc::provider_ref.eq(pid))),
        None => query.filter(pc::delivery_id.eq(delivery_id)),
    };
    let early = query.order(pc::id.asc()).select((pc::id, pc::provider, pc::status, pc::detail)).load::<(
        i64,
        String,
        Option<String>,
        Option<String>,
    )>(conn)?;
    for (id, provider, status, detail) in early {
        let same_provider = row.provider.as_deref() == Some(provider.as_str());
        let outcome = if same_provider { CallbackOutcome::Matched } else { CallbackOutcome::Unmatched };
        diesel::update(pc::table.find(id))
            .set((pc::delivery_id.eq(same_provider.then_some(delivery_id)), pc::outcome.eq(outcome.as_str())))
            .execute(conn)?;
        if same_provider {
            let row = deliveries::get(conn, delivery_id)?;
            let status = status.as_deref().and_then(ReceiptStatus::parse).unwrap_or(ReceiptStatus::Unknown);
            move_forward(conn, &row, &provider, status, detail.as_deref().unwrap_or(""))?;
        }
    }
    Ok(())
}

/// Adds the receipt to the timeline and moves the status on if it is further
/// along; a final state never changes.
fn move_forward(
    conn: &mut DbConnection,
    row: &DeliveryRow,
    provider: &str,
    status: ReceiptStatus,
    detail: &str,
) -> Result<(), StoreError> {
    let text = format!("{provider}: {} ({detail})", status.as_str());
    timeline::add(conn, row.notification_id, Some(row.id), "receipt", &text)?;
    let ReceiptEffect::Moves(to) = receipt_effect(row.status, status) else { return Ok(()) };
    let at: NaiveDateTime = now();
    let target = d::table.find(row.id).filter(d::status.eq(row.status.as_str()));
    let no_lease = (d::lease_until.eq(None::<NaiveDateTime>), d::lease_token.eq(None::<String>));
    if to == DeliveryStatus::Delivered {
        diesel::update(target)
            .set((d::status.eq(to.as_str()), d::delivered_at.eq(Some(at)), d::finished_at.eq(Some(at)), no_lease))
            .execute(conn)?;
    } else {
        diesel::update(target)
            .set((
                d::status.eq(to.as_str()),
                d::finished_at.eq(Some(at)),
                d::last_error.eq(Some(format!("{provider}: {detail}"))),
                no_lease,
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Deletes callbacks received before `before`, at most `batch` at a time;
/// returns how many went.
pub fn purge(conn: &mut DbConnection, before: NaiveDateTime, batch: i64) -> Result<usize, StoreError> {
    let ids: Vec<i64> =
        pc::table.filter(pc::received_at.lt(before)).order(pc::id.asc()).limit(batch).select(pc::id).load(conn)?;
    if ids.is_empty() {
        return Ok(0);
    }
    Ok(diesel::delete(pc::table.filter(pc::id.eq_any(&ids))).execute(conn)?)
}

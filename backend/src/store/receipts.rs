//! Provider callbacks: every receipt is kept raw; one that matches a delivery
//! moves it forward (never back) and adds to its timeline.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::deliveries::{self, DeliveryRow};
use super::schema::{deliveries as d, provider_callbacks as pc};
use super::{notifications, now, DbConnection, StoreError};
use crate::delivery::receipts::{advances, Receipt, ReceiptMatch, ReceiptStatus};

/// Keeps an inbound message or a receipt nobody could parse, as it came.
pub fn keep_raw(conn: &mut DbConnection, kind: &str, provider: &str, raw: &str) -> Result<(), StoreError> {
    diesel::insert_into(pc::table)
        .values((pc::received_at.eq(now()), pc::kind.eq(kind), pc::provider.eq(provider), pc::raw.eq(raw)))
        .execute(conn)?;
    Ok(())
}

/// Stores a receipt and applies it. Returns the delivery it matched, if any; an
/// unmatched receipt about a provider id is kept to be applied when that id is
/// stored (a receipt can beat the send outcome to the database).
pub fn apply(conn: &mut DbConnection, receipt: &Receipt, raw: &str) -> Result<Option<i64>, StoreError> {
    let found: Option<DeliveryRow> = match &receipt.matches {
        ReceiptMatch::Delivery(id) => d::table.find(*id).first(conn).optional()?,
        ReceiptMatch::ProviderId(pid) => d::table.filter(d::provider_message_id.eq(pid)).first(conn).optional()?,
    };
    let provider_ref = match &receipt.matches {
        ReceiptMatch::ProviderId(pid) => Some(pid.clone()),
        ReceiptMatch::Delivery(_) => None,
    };
    diesel::insert_into(pc::table)
        .values((
            pc::received_at.eq(now()),
            pc::kind.eq("receipt"),
            pc::provider.eq(receipt.provider),
            pc::delivery_id.eq(found.as_ref().map(|r| r.id)),
            pc::raw.eq(raw),
            pc::provider_ref.eq(provider_ref),
            pc::status.eq(receipt.status.as_str()),
            pc::detail.eq(&receipt.detail),
        ))
        .execute(conn)?;
    let Some(row) = found else { return Ok(None) };
    move_forward(conn, &row, receipt.provider, receipt.status, &receipt.detail)?;
    Ok(Some(row.id))
}

/// Applies the receipts that arrived for `provider_id` before it was known.
pub fn apply_early(conn: &mut DbConnection, delivery_id: i64, provider_id: &str) -> Result<(), StoreError> {
    let early = pc::table
        .filter(pc::delivery_id.is_null())
        .filter(pc::provider_ref.eq(provider_id))
        .order(pc::id.asc())
        .select((pc::id, pc::provider, pc::status, pc::detail))
        .load::<(i64, String, Option<String>, Option<String>)>(conn)?;
    for (id, provider, status, detail) in early {
        diesel::update(pc::table.find(id)).set(pc::delivery_id.eq(Some(delivery_id))).execute(conn)?;
        let row = deliveries::get(conn, delivery_id)?;
        let status = status.as_deref().map(parse_status).unwrap_or(ReceiptStatus::Unknown);
        move_forward(conn, &row, &provider, status, detail.as_deref().unwrap_or(""))?;
    }
    Ok(())
}

fn parse_status(raw: &str) -> ReceiptStatus {
    match raw {
        "delivered" => ReceiptStatus::Delivered,
        "sent" => ReceiptStatus::Sent,
        "failed" => ReceiptStatus::Failed,
        "expired" => ReceiptStatus::Expired,
        "cancelled" => ReceiptStatus::Cancelled,
        _ => ReceiptStatus::Unknown,
    }
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
    notifications::add_timeline(conn, row.notification_id, Some(row.id), "receipt", &text)?;
    if !advances(&row.status, status) {
        return Ok(());
    }
    let at: NaiveDateTime = now();
    let target = d::table.find(row.id).filter(d::status.eq(&row.status));
    let no_lease = (d::lease_until.eq(None::<NaiveDateTime>), d::lease_token.eq(None::<String>));
    match status {
        ReceiptStatus::Delivered => diesel::update(target)
            .set((d::status.eq("delivered"), d::delivered_at.eq(Some(at)), d::finished_at.eq(Some(at)), no_lease))
            .execute(conn)?,
        ReceiptStatus::Failed | ReceiptStatus::Expired | ReceiptStatus::Cancelled => diesel::update(target)
            .set((
                d::status.eq(status.as_str()),
                d::finished_at.eq(Some(at)),
                d::last_error.eq(Some(format!("{provider}: {detail}"))),
                no_lease,
            ))
            .execute(conn)?,
        ReceiptStatus::Sent | ReceiptStatus::Unknown => 0,
    };
    Ok(())
}

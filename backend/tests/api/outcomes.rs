//! Outcomes are written only by whoever holds the delivery's lease, and a batch
//! of them (one multi-row statement for the plain "delivered" ones) writes each
//! at its own time.

use std::time::Duration;

use serde_json::json;
use tocsin_server::domain::lifecycle::DeliveryStatus;
use tocsin_server::store::deliveries::{self, AttemptResult, OutcomeUpdate};
use tocsin_server::store::{DatabaseUrl, PoolOptions, Store};

use crate::firing::webhook_contact;
use crate::helpers::TestApp;
use crate::sink::Sink;

on_both_backends!(outcomes_are_written_only_under_the_lease, a_page_failing_after_its_acknowledge_is_not_tried_again);

async fn outcomes_are_written_only_under_the_lease(app: TestApp) {
    let sink = Sink::start().await;
    sink.set_stalled(true);
    webhook_contact(&app, &sink, json!({})).await;
    app.post(
        "/api/v1/contacts/hook/destinations",
        json!({"medium": "webhook", "settings": {"url": format!("{}/two", sink.url)}}),
    )
    .await
    .expect(201);
    let fired = app.post("/api/v1/contacts/hook/notify", json!({"message": "held"})).await.expect(201);
    sink.wait_for(2).await;
    let n = app.get(&format!("/api/v1/notifications/{}", fired["notification_id"].as_str().unwrap())).await.expect(200);
    let ids: Vec<i64> = n["deliveries"].as_array().unwrap().iter().map(|d| d["id"].as_i64().unwrap()).collect();

    let options =
        PoolOptions { max_size: 2, busy_timeout: Duration::from_secs(10), acquire_timeout: Duration::from_secs(10) };
    let store = Store::open(&DatabaseUrl::parse(&app.database_url).unwrap(), &options).await.unwrap();
    let first = ids[0];
    let row = store.read(move |c| deliveries::get(c, first)).await.unwrap();
    let token = row.lease_token.clone().expect("a sending row is leased");
    let at = |ms: i64| row.queued_at + chrono::Duration::milliseconds(ms);
    let delivered = |id: i64, token: &str, at| OutcomeUpdate {
        delivery_id: id,
        notification_id: row.notification_id,
        kind: row.kind,
        lease_token: token.to_owned(),
        at,
        result: AttemptResult::Delivered { provider_id: None, detail: "200".into() },
    };

    let strangers = vec![delivered(ids[0], "someone-else", at(5)), delivered(ids[1], "someone-else", at(5))];
    assert_eq!(store.write(move |c| deliveries::record_outcomes(c, &strangers)).await.unwrap().written, 0);
    let ours = vec![delivered(ids[0], &token, at(10)), delivered(ids[1], &token, at(20))];
    assert_eq!(store.write(move |c| deliveries::record_outcomes(c, &ours)).await.unwrap().written, 2);
    // A second write of the same outcomes finds the rows no longer sending.
    let again = vec![delivered(ids[0], &token, at(30))];
    assert_eq!(store.write(move |c| deliveries::record_outcomes(c, &again)).await.unwrap().written, 0);

    for (id, ms) in [(ids[0], 10), (ids[1], 20)] {
        let row = store.read(move |c| deliveries::get(c, id)).await.unwrap();
        assert_eq!(row.status, DeliveryStatus::Delivered);
        assert_eq!(row.delivered_at, Some(at(ms)), "each outcome keeps its own time");
        assert_eq!(row.lease_token, None);
    }
    sink.set_stalled(false);
}

/// The race the hardening closed: the receiver holds its 500 until the
/// acknowledge has committed; the retry that answer asks for must not happen.
async fn a_page_failing_after_its_acknowledge_is_not_tried_again(app: TestApp) {
    let sink = Sink::start().await;
    sink.answer_with(&[500, 500, 500]);
    sink.set_stalled(true);
    webhook_contact(&app, &sink, json!({})).await;
    let fired = app.post("/api/v1/contacts/hook/notify", json!({"message": "db down"})).await.expect(201);
    let id = fired["notification_id"].as_str().unwrap();
    sink.wait_for(1).await;
    app.post(&format!("/api/v1/notifications/{id}/acknowledge"), json!({})).await.expect(200);
    sink.set_stalled(false);
    let n = crate::firing::wait_for_notification(&app, id, |n| n["deliveries"][0]["status"] == "cancelled").await;
    let error = n["deliveries"][0]["last_error"].as_str().unwrap_or_default();
    assert!(error.contains("no longer open"), "{error}");
    // Final: no retry can follow, so the count is settled.
    assert_eq!(sink.received().len(), 1);
}

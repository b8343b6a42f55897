//! Outcomes are written only by whoever holds the delivery's lease, and a batch
//! of them (one multi-row statement for the plain "delivered" ones) writes each
//! at its own time.

use std::time::Duration;

use serde_json::json;
use tocsin_server::domain::lifecycle::DeliveryStatus;
use tocsin_server::store::deliveries::{self, AttemptResult, OutcomeUpdate};

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

    let store = app.store().await;
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

/// A row leased to this instance that it does not hold in memory (a hand-over
/// lost between commit and send) must not be renewed for ever: its lease runs
/// out and it is claimed and sent.
async fn a_leased_row_this_instance_does_not_hold_is_not_renewed_and_gets_sent(backend: crate::helpers::Backend) {
    use tocsin_server::store::deliveries::NewDelivery;
    let (db, url) = crate::helpers::TestDb::create(backend).await;
    let mut settings = crate::helpers::test_settings(&url);
    settings.delivery.lease_ms = 600;
    let app = crate::helpers::spawn_with(backend, db, settings).await;
    let sink = Sink::start().await;
    sink.set_stalled(true);
    webhook_contact(&app, &sink, json!({})).await;
    let fired = app.post("/api/v1/contacts/hook/notify", json!({"message": "first"})).await.expect(201);
    let id = fired["notification_id"].as_str().unwrap().to_owned();
    sink.wait_for(1).await;
    let n = app.get(&format!("/api/v1/notifications/{id}")).await.expect(200);
    let first = n["deliveries"][0]["id"].as_i64().unwrap();

    let store = app.store().await;
    let orphan = store
        .write(move |c| {
            let row = deliveries::get(c, first)?;
            let now = tocsin_server::store::now();
            let orphan = NewDelivery {
                notification_id: row.notification_id,
                contact_id: row.contact_id,
                destination_id: row.destination_id,
                medium: row.medium.clone(),
                address: row.address.clone(),
                path: row.path.clone(),
                payload: row.payload.clone(),
                status: DeliveryStatus::Sending,
                attempts: 1,
                due_at: now,
                expires_at: now + chrono::Duration::days(1),
                lease_until: Some(now + chrono::Duration::milliseconds(600)),
                lease_token: row.lease_token.clone(),
                replay_of: None,
                queued_at: now,
                sending_at: Some(now),
                kind: row.kind,
            };
            Ok(deliveries::insert_many(c, &[orphan])?[0].id)
        })
        .await
        .unwrap();
    sink.set_stalled(false);
    let n = crate::firing::wait_for_notification(&app, &id, |n| {
        n["deliveries"].as_array().unwrap().iter().all(|d| d["status"] == "delivered")
    })
    .await;
    let row = n["deliveries"].as_array().unwrap().iter().find(|d| d["id"] == orphan).cloned().unwrap();
    assert_eq!(row["attempts"], 2, "claimed again once its lease ran out: {row:#}");
}

/// A claim whose rows cannot be loaded for sending (here a notification row
/// SQLite lets hold a time that is not one; PostgreSQL refuses such a row, so
/// this runs on SQLite only) gives them back instead of holding them leased.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_that_cannot_be_loaded_gives_its_rows_back() {
    use diesel::prelude::*;
    let backend = crate::helpers::Backend::Sqlite;
    let (db, url) = crate::helpers::TestDb::create(backend).await;
    let mut settings = crate::helpers::test_settings(&url);
    // Without the give-back the row would stay leased well past the test.
    settings.delivery.lease_ms = 600_000;
    let app = crate::helpers::spawn_with(backend, db, settings).await;
    let store = app.store().await;
    store
        .write(|c| {
            diesel::sql_query(
                "INSERT INTO notifications (id, public_id, target_kind, target_slug, severity, raised_by, created_at) \
                 VALUES (900, 'broken', 'contact', 'x', 'info', 'test', 'not a time')",
            )
            .execute(c)?;
            diesel::sql_query(
                "INSERT INTO deliveries (id, notification_id, medium, address, status, attempts, due_at, expires_at, \
                 queued_at) VALUES (900, 900, 'webhook', 'http://127.0.0.1:9/', 'queued', 0, \
                 '2000-01-01 00:00:00', '2999-01-01 00:00:00', '2000-01-01 00:00:00')",
            )
            .execute(c)?;
            Ok(())
        })
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let row: (String, i32, Option<String>) = store
            .read(|c| {
                Ok(diesel::sql_query("SELECT status, attempts, lease_token FROM deliveries WHERE id = 900")
                    .get_result::<Claimed>(c)
                    .map(|r| (r.status, r.attempts, r.lease_token))?)
            })
            .await
            .unwrap();
        if row.1 >= 1 && row.0 == "queued" && row.2.is_none() {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the claimed row was never given back: {row:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[derive(diesel::QueryableByName)]
struct Claimed {
    #[diesel(sql_type = diesel::sql_types::Text)]
    status: String,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    attempts: i32,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    lease_token: Option<String>,
}

/// With a medium's room in memory used up, what the fire path hands over
/// waits in the table (queued, unleased) instead of in memory, and goes out
/// as room frees up.
async fn a_full_medium_leaves_new_deliveries_in_the_table(backend: crate::helpers::Backend) {
    use diesel::prelude::*;
    use tocsin_server::store::schema::deliveries as d;
    let (db, url) = crate::helpers::TestDb::create(backend).await;
    let mut settings = crate::helpers::test_settings(&url);
    settings.delivery.queue_per_medium = 2;
    let app = crate::helpers::spawn_with(backend, db, settings).await;
    let sink = Sink::start().await;
    sink.set_stalled(true);
    let mut members = Vec::new();
    for i in 0..5 {
        let slug = format!("w{i}");
        app.create_contact(&slug).await;
        let settings = json!({"medium": "webhook", "settings": {"url": format!("{}/hook", sink.url)}});
        app.post(&format!("/api/v1/contacts/{slug}/destinations"), settings).await.expect(201);
        members.push(slug);
    }
    app.post("/api/v1/groups", json!({"slug": "hooks", "name": "Hooks", "members": members})).await.expect(201);
    let fired = app.post("/api/v1/groups/hooks/notify", json!({"message": "all"})).await.expect(201);
    let id = fired["notification_id"].as_str().unwrap().to_owned();

    let store = app.store().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let waiting: i64 = store
            .read(|c| {
                Ok(d::table.filter(d::status.eq("queued")).filter(d::lease_token.is_null()).count().get_result(c)?)
            })
            .await
            .unwrap();
        if waiting == 3 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{waiting} deliveries wait in the table, not 3");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Only what there was room for was sent; the rest waits for room.
    sink.wait_for(2).await;
    assert_eq!(sink.received().len(), 2);
    sink.set_stalled(false);
    crate::firing::wait_for_notification(&app, &id, |n| {
        n["deliveries"].as_array().unwrap().iter().all(|d| d["status"] == "delivered")
    })
    .await;
    assert_eq!(sink.received().len(), 5);
}

/// The scenarios that need settings of their own.
mod with_settings {
    use super::*;
    for_both_backends!(
        a_leased_row_this_instance_does_not_hold_is_not_renewed_and_gets_sent,
        a_full_medium_leaves_new_deliveries_in_the_table
    );
}

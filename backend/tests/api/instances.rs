//! Several instances sharing one PostgreSQL database.

use serde_json::json;

use crate::firing::{every_directory_change_reaches_the_next_fire, wait_for_notification, webhook_contact};
use crate::helpers::{spawn_with, test_settings, Backend, TestDb};
use crate::sink::Sink;

/// An instance that stops gives its unfinished deliveries back and announces
/// it; another instance claims them at once. Both poll every ten minutes, lease
/// for ten and wait ten for an answer, so only the announcement can explain the
/// second send — and the stopping instance, which hears its own announcement,
/// must not take the delivery back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopping_instance_hands_its_deliveries_to_another_at_once() {
    let (db, url) = TestDb::create(Backend::Postgres).await;
    let quiet = || {
        let mut settings = test_settings(&url);
        settings.delivery.poll_interval_ms = 600_000;
        settings.delivery.lease_ms = 600_000;
        settings.delivery.http_timeout_ms = 600_000;
        settings
    };
    let first = spawn_with(Backend::Postgres, db, quiet()).await;
    let second = spawn_with(Backend::Postgres, TestDb::Shared, quiet()).await;

    let sink = Sink::start().await;
    sink.set_stalled(true);
    webhook_contact(&first, &sink, json!({})).await;
    let fired = first.post("/api/v1/contacts/hook/notify", json!({"message": "handed over"})).await.expect(201);
    let id = fired["notification_id"].as_str().unwrap().to_owned();
    // The first instance's call is held open by the sink; then it stops.
    sink.wait_for(1).await;
    first.stop();
    sink.wait_for(2).await;

    sink.set_stalled(false);
    wait_for_notification(&second, &id, |n| n["deliveries"][0]["status"] == "delivered").await;
}

/// A change made through one instance reaches the next fire on another, which
/// keeps its own copy of the plans it made.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_change_through_one_instance_reaches_the_next_fire_on_another() {
    let (db, url) = TestDb::create(Backend::Postgres).await;
    let first = spawn_with(Backend::Postgres, db, test_settings(&url)).await;
    let second = spawn_with(Backend::Postgres, TestDb::Shared, test_settings(&url)).await;
    every_directory_change_reaches_the_next_fire(&first, &second).await;
}

//! Receipts from someone who is not the provider: forged references, wrong
//! media and providers, missing signatures, floods and oversized bodies. Each
//! must change nothing, and the flood must not fill the database.

use std::time::Duration;

use diesel::prelude::*;
use serde_json::{json, Value};
use tocsin_server::delivery::channels::sms::SmsProvider;
use tocsin_server::domain::keyring::Keyring;
use tocsin_server::domain::lifecycle::delivery_reference;
use tocsin_server::settings::Settings;
use tocsin_server::store::instance;
use tocsin_server::store::schema::provider_callbacks;

use crate::firing::{wait_for_notification, webhook_contact};
use crate::helpers::{spawn_with, test_settings, Backend, TestApp, TestDb};
use crate::sink::Sink;

const VONAGE_OK: &str = r#"{"message-count":"1","messages":[{"to":"x","message-id":"MSG-{n}","status":"0"}]}"#;

async fn app(backend: Backend, configure: impl FnOnce(&mut Settings)) -> TestApp {
    let (db, url) = TestDb::create(backend).await;
    let mut settings = test_settings(&url);
    configure(&mut settings);
    spawn_with(backend, db, settings).await
}

fn vonage(gateway: &Sink) -> impl FnOnce(&mut Settings) + '_ {
    move |s| {
        s.sms.provider = Some(SmsProvider::Vonage);
        s.sms.vonage.base_url = gateway.url.clone();
        s.sms.vonage.api_key = "key".into();
        s.sms.vonage.api_secret = "secret".into();
    }
}

/// The keyring the server signs with, read from its database: what only the
/// server (and this test) can know.
async fn server_keyring(app: &TestApp) -> Keyring {
    let key = app.store().await.read(|c| instance::get_or_init(c, "master_key", String::new)).await.unwrap();
    Keyring::new(key.as_bytes())
}

async fn callbacks_kept(app: &TestApp) -> Vec<(String, String)> {
    app.store()
        .await
        .read(|c| {
            Ok(provider_callbacks::table
                .order(provider_callbacks::id.asc())
                .select((provider_callbacks::provider, provider_callbacks::outcome))
                .load::<(String, String)>(c)?)
        })
        .await
        .unwrap()
}

fn receipt_entries(delivery: &Value) -> usize {
    delivery["timeline"].as_array().unwrap().iter().filter(|e| e["kind"] == "receipt").count()
}

async fn sms_contact(app: &TestApp) {
    app.create_contact("p0").await;
    let phone = json!({"medium": "sms", "settings": {"phone": "+16502530000"}});
    app.post("/api/v1/contacts/p0/destinations", phone).await.expect(201);
}

/// The reported hole: an anonymous receipt naming an in-flight webhook
/// delivery marked it delivered, and the real outcome was then dropped.
async fn a_forged_receipt_for_a_webhook_in_flight_changes_nothing(backend: Backend) {
    let sink = Sink::start().await;
    sink.set_stalled(true);
    let app = app(backend, |_| {}).await;
    webhook_contact(&app, &sink, json!({})).await;
    let fired = app.post("/api/v1/contacts/hook/notify", json!({"message": "db down"})).await.expect(201);
    let id = fired["notification_id"].as_str().unwrap();
    sink.wait_for(1).await;
    let n = app.get(&format!("/api/v1/notifications/{id}")).await.expect(200);
    let delivery_id = n["deliveries"][0]["id"].as_i64().unwrap();

    // The old unsigned reference, a made-up tag, and even a correctly signed
    // reference (the webhook is not an SMS) are all ignored.
    let signed = delivery_reference(&server_keyring(&app).await, delivery_id);
    for reference in [format!("tocsin-{delivery_id}"), format!("tocsin-{delivery_id}-aaaaaaaaaaaaa"), signed] {
        let form = format!("client-ref={reference}&status=delivered&err-code=0");
        assert_eq!(app.post_form("/ack/", &form).await, (200, "OK".into()));
    }
    let n = app.get(&format!("/api/v1/notifications/{id}")).await.expect(200);
    assert_eq!(n["deliveries"][0]["status"], "sending");
    assert_eq!(receipt_entries(&n["deliveries"][0]), 0, "unmatched receipts add no timeline row");

    // The real send still records its outcome.
    sink.set_stalled(false);
    wait_for_notification(&app, id, |n| n["deliveries"][0]["status"] == "delivered").await;
    let kept = callbacks_kept(&app).await;
    assert_eq!(kept.len(), 3, "each forged receipt is kept raw: {kept:?}");
    assert!(kept.iter().all(|(_, outcome)| outcome == "unverified" || outcome == "unmatched"), "{kept:?}");
}

/// A receipt may move only an SMS sent through the provider it comes from.
async fn a_receipt_from_another_provider_changes_nothing(backend: Backend) {
    let gateway = Sink::start().await;
    gateway.json_body(VONAGE_OK);
    let app = app(backend, vonage(&gateway)).await;
    sms_contact(&app).await;
    let fired = app.post("/api/v1/contacts/p0/notify", json!({"message": "disk full"})).await.expect(201);
    let id = fired["notification_id"].as_str().unwrap();
    let n = wait_for_notification(&app, id, |n| n["deliveries"][0]["status"] == "sent").await;
    let reference = delivery_reference(&server_keyring(&app).await, n["deliveries"][0]["id"].as_i64().unwrap());

    // Clickatell's spelling of the same reference: signed, but Clickatell did
    // not send this message.
    let clickatell = format!("apiMsgId=cm1&cliMsgId={reference}&status=004");
    assert_eq!(app.post_form("/ack/", &clickatell).await, (200, "OK".into()));
    let n = app.get(&format!("/api/v1/notifications/{id}")).await.expect(200);
    assert_eq!(n["deliveries"][0]["status"], "sent");
    assert_eq!(receipt_entries(&n["deliveries"][0]), 0);

    // Vonage's spelling with a made-up tag names nothing either.
    let delivery_id = n["deliveries"][0]["id"].as_i64().unwrap();
    let forged = format!("client-ref=tocsin-{delivery_id}-aaaaaaaaaaaaa&status=delivered&err-code=0");
    assert_eq!(app.post_form("/ack/", &forged).await, (200, "OK".into()));
    let n = app.get(&format!("/api/v1/notifications/{id}")).await.expect(200);
    assert_eq!(n["deliveries"][0]["status"], "sent");

    // Vonage's own receipt does move it.
    let form = format!("client-ref={reference}&status=delivered&err-code=0");
    assert_eq!(app.post_form("/ack/", &form).await, (200, "OK".into()));
    let n = app.get(&format!("/api/v1/notifications/{id}")).await.expect(200);
    assert_eq!(n["deliveries"][0]["status"], "delivered");
}

/// A verified receipt for an SMS whose send outcome is not recorded yet waits
/// for it, then applies.
async fn a_verified_receipt_for_a_message_still_sending_waits_for_the_outcome(backend: Backend) {
    let gateway = Sink::start().await;
    gateway.json_body(VONAGE_OK);
    gateway.set_stalled(true);
    let app = app(backend, vonage(&gateway)).await;
    sms_contact(&app).await;
    let fired = app.post("/api/v1/contacts/p0/notify", json!({"message": "early"})).await.expect(201);
    let id = fired["notification_id"].as_str().unwrap();
    let request = &gateway.wait_for(1).await[0];
    let form: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(request.body.as_bytes()).into_owned().collect();
    let receipt = format!("client-ref={}&status=delivered&err-code=0", form["client-ref"]);
    assert_eq!(app.post_form("/ack/", &receipt).await, (200, "OK".into()));
    let n = app.get(&format!("/api/v1/notifications/{id}")).await.expect(200);
    assert_eq!(n["deliveries"][0]["status"], "sending", "a receipt never moves a delivery still sending");
    gateway.set_stalled(false);
    wait_for_notification(&app, id, |n| n["deliveries"][0]["status"] == "delivered").await;
}

/// Vonage signs when a secret is configured: then an unsigned receipt changes
/// nothing on any route, `/ack/` included.
async fn with_a_vonage_secret_unsigned_receipts_change_nothing_anywhere(backend: Backend) {
    let gateway = Sink::start().await;
    gateway.json_body(VONAGE_OK);
    let secret = "vonage-signature-secret";
    let app = app(backend, |s| {
        vonage(&gateway)(s);
        s.sms.vonage.signature_secret = Some(secret.into());
    })
    .await;
    sms_contact(&app).await;
    let fired = app.post("/api/v1/contacts/p0/notify", json!({"message": "disk full"})).await.expect(201);
    let id = fired["notification_id"].as_str().unwrap();
    let n = wait_for_notification(&app, id, |n| n["deliveries"][0]["status"] == "sent").await;
    let reference = delivery_reference(&server_keyring(&app).await, n["deliveries"][0]["id"].as_i64().unwrap());
    let unsigned = format!("client-ref={reference}&messageId=MSG-1&status=delivered&err-code=0");
    assert_eq!(app.post_form("/ack/", &unsigned).await, (200, "OK".into()));
    assert_eq!(app.post_form("/api/v1/receipts/vonage", &unsigned).await.0, 403);
    let n = app.get(&format!("/api/v1/notifications/{id}")).await.expect(200);
    assert_eq!(n["deliveries"][0]["status"], "sent");

    let signed = vonage_signed(
        secret,
        &[("client-ref", &reference), ("messageId", "MSG-1"), ("status", "delivered"), ("err-code", "0")],
    );
    assert_eq!(app.post_form("/ack/", &signed).await, (200, "OK".into()));
    let n = app.get(&format!("/api/v1/notifications/{id}")).await.expect(200);
    assert_eq!(n["deliveries"][0]["status"], "delivered");
}

/// Vonage's documented scheme: HMAC-SHA256 over `&name=value` in name order.
fn vonage_signed(secret: &str, fields: &[(&str, &str)]) -> String {
    use hmac::Mac;
    let mut sorted = fields.to_vec();
    sorted.sort();
    let signed: String = sorted.iter().map(|(k, v)| format!("&{k}={}", v.replace(['&', '='], "_"))).collect();
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(signed.as_bytes());
    let sig = hex::encode(mac.finalize().into_bytes());
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.extend_pairs(fields.iter().copied()).append_pair("sig", &sig);
    form.finish()
}

/// A flood of receipts that verify nothing stops being stored once its
/// source's burst is spent; receipts that verify still land.
async fn unverified_callbacks_are_limited_per_source_but_verified_ones_never(backend: Backend) {
    let gateway = Sink::start().await;
    gateway.json_body(VONAGE_OK);
    let app = app(backend, |s| {
        vonage(&gateway)(s);
        s.callbacks.unverified_burst = 3;
        s.callbacks.unverified_per_minute = 1;
    })
    .await;
    sms_contact(&app).await;
    let fired = app.post("/api/v1/contacts/p0/notify", json!({"message": "disk full"})).await.expect(201);
    let id = fired["notification_id"].as_str().unwrap();
    let n = wait_for_notification(&app, id, |n| n["deliveries"][0]["status"] == "sent").await;

    for i in 0..6 {
        let forged = format!("client-ref=tocsin-{i}-bbbbbbbbbbbbb&status=delivered&err-code=0");
        // RedFlash's contract: the gateway always hears OK.
        assert_eq!(app.post_form("/ack/", &forged).await, (200, "OK".into()));
    }
    assert_eq!(app.post_form("/inbound/", "msisdn=1&text=hi").await, (200, "OK".into()));
    let (status, body) = app.post_form("/api/v1/receipts/vonage", "client-ref=tocsin-1-x&err-code=0").await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(callbacks_kept(&app).await.len(), 3, "only the burst is stored");

    let reference = delivery_reference(&server_keyring(&app).await, n["deliveries"][0]["id"].as_i64().unwrap());
    let genuine = format!("client-ref={reference}&status=delivered&err-code=0");
    assert_eq!(app.post_form("/ack/", &genuine).await, (200, "OK".into()));
    let n = app.get(&format!("/api/v1/notifications/{id}")).await.expect(200);
    assert_eq!(n["deliveries"][0]["status"], "delivered");
    assert_eq!(callbacks_kept(&app).await.last().map(|(_, o)| o.as_str()), Some("matched"));
}

async fn callback_bodies_over_8_kib_are_refused(backend: Backend) {
    let app = app(backend, |_| {}).await;
    let big = format!("text={}", "x".repeat(9 * 1024));
    for path in ["/ack/", "/inbound/", "/api/v1/receipts/vonage", "/api/v1/receipts/twilio"] {
        assert_eq!(app.post_form(path, &big).await.0, 413, "{path}");
    }
    let (status, _) = app.post_form("/api/v1/receipts/vonage", &big).await;
    assert_eq!(status, 413);
    assert!(callbacks_kept(&app).await.is_empty());
}

async fn old_callbacks_are_deleted_after_their_retention(backend: Backend) {
    let app = app(backend, |s| {
        s.callbacks.retention_days = 1;
        s.delivery.retention_interval_ms = 50;
    })
    .await;
    assert_eq!(app.post_form("/inbound/", "msisdn=447700900123&text=recent").await.0, 200);
    let two_days_ago = tocsin_server::store::now() - chrono::Duration::days(2);
    app.store()
        .await
        .write(move |c| {
            diesel::insert_into(provider_callbacks::table)
                .values((
                    provider_callbacks::received_at.eq(two_days_ago),
                    provider_callbacks::kind.eq("inbound"),
                    provider_callbacks::provider.eq("old"),
                    provider_callbacks::raw.eq("{}"),
                    provider_callbacks::outcome.eq("kept"),
                ))
                .execute(c)?;
            Ok(())
        })
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let kept = callbacks_kept(&app).await;
        if kept.iter().all(|(provider, _)| provider != "old") {
            assert_eq!(kept, [("sms".to_owned(), "kept".to_owned())], "the recent one stays");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the old callback was never purged");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

for_both_backends!(
    a_forged_receipt_for_a_webhook_in_flight_changes_nothing,
    a_receipt_from_another_provider_changes_nothing,
    a_verified_receipt_for_a_message_still_sending_waits_for_the_outcome,
    with_a_vonage_secret_unsigned_receipts_change_nothing_anywhere,
    unverified_callbacks_are_limited_per_source_but_verified_ones_never,
    callback_bodies_over_8_kib_are_refused,
    old_callbacks_are_deleted_after_their_retention
);

//! SMS through fake Vonage, Twilio and Clickatell gateways on loopback, and
//! their receipts on `/ack/` and `/api/v1/receipts/…`.

use rand::seq::SliceRandom;
use serde_json::{json, Value};
use tocsin_server::delivery::channels::sms::SmsProvider;

use crate::firing::wait_for_notification;
use crate::helpers::{spawn_with, test_settings, Backend, TestApp, TestDb};
use crate::sink::Sink;

const VONAGE_OK: &str = r#"{"message-count":"1","messages":[{"to":"x","message-id":"MSG-{n}","status":"0"}]}"#;

async fn app_with_vonage(backend: Backend, gateway: &Sink) -> TestApp {
    let (db, url) = TestDb::create(backend).await;
    let mut settings = test_settings(&url);
    settings.sms.provider = Some(SmsProvider::Vonage);
    settings.sms.vonage.base_url = gateway.url.clone();
    settings.sms.vonage.api_key = "key".into();
    settings.sms.vonage.api_secret = "secret".into();
    spawn_with(backend, db, settings).await
}

async fn sms_contacts(app: &TestApp, n: usize) {
    let mut members = Vec::new();
    for i in 0..n {
        let slug = format!("p{i}");
        app.create_contact(&slug).await;
        let phone = format!("+1650253{:04}", i);
        app.post(
            &format!("/api/v1/contacts/{slug}/destinations"),
            json!({"medium": "sms", "settings": {"phone": phone}}),
        )
        .await
        .expect(201);
        members.push(slug);
    }
    app.post("/api/v1/groups", json!({"slug": "phones", "name": "Phones", "members": members})).await.expect(201);
}

async fn ack(app: &TestApp, form: &str) -> (u16, String) {
    app.post_form("/ack/", form).await
}

fn statuses(n: &Value) -> Vec<String> {
    n["deliveries"].as_array().unwrap().iter().map(|d| d["status"].as_str().unwrap().to_owned()).collect()
}

async fn an_sms_is_sent_and_its_receipt_moves_it_forward_never_back(backend: Backend) {
    let gateway = Sink::start().await;
    gateway.json_body(VONAGE_OK);
    let app = app_with_vonage(backend, &gateway).await;
    sms_contacts(&app, 1).await;
    let fired = app.post("/api/v1/contacts/p0/notify", json!({"message": "disk full"})).await.expect(201);
    let id = fired["notification_id"].as_str().unwrap();
    let request = &gateway.wait_for(1).await[0];
    assert_eq!(request.path, "/sms/json");
    let form: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(request.body.as_bytes()).into_owned().collect();
    assert_eq!(form["to"], "16502530000");
    assert_eq!(form["text"], "disk full");
    let n = wait_for_notification(&app, id, |n| n["deliveries"][0]["status"] == "sent").await;
    let delivery = &n["deliveries"][0];
    assert_eq!(delivery["provider_message_id"], "MSG-1");
    // The reference names the delivery and carries a tag nobody can make up.
    let reference = &form["client-ref"];
    let prefix = format!("tocsin-{}-", delivery["id"]);
    assert!(reference.starts_with(&prefix) && reference.len() > prefix.len() && reference.len() <= 40, "{reference}");
    // Without TOCSIN_PUBLIC_URL no callback URL is handed to the provider.
    assert!(!form.contains_key("callback"), "{form:?}");

    let receipt = format!("client-ref={reference}&messageId=MSG-1&status=delivered&err-code=0");
    assert_eq!(ack(&app, &receipt).await, (200, "OK".into()));
    // A late, contradicting receipt is recorded but changes nothing.
    let late = format!("client-ref={reference}&messageId=MSG-1&status=failed&err-code=99");
    assert_eq!(ack(&app, &late).await.0, 200);
    let n = app.get(&format!("/api/v1/notifications/{id}")).await.expect(200);
    assert_eq!(statuses(&n), ["delivered"]);
    let receipts = n["deliveries"][0]["timeline"].as_array().unwrap().iter().filter(|e| e["kind"] == "receipt").count();
    assert_eq!(receipts, 2);
    // Receipts that match nothing or cannot be read are still answered 200 OK.
    assert_eq!(ack(&app, "client-ref=tocsin-999999&status=delivered&err-code=0").await, (200, "OK".into()));
    assert_eq!(ack(&app, "garbage=%ZZ").await, (200, "OK".into()));
    assert_eq!(app.client.get(app.url("/ack/?apiMsgId=nope&status=004")).send().await.unwrap().status(), 200);
}

async fn shuffled_receipts_with_duplicates_end_at_the_furthest_state(backend: Backend) {
    let gateway = Sink::start().await;
    gateway.json_body(VONAGE_OK);
    let app = app_with_vonage(backend, &gateway).await;
    sms_contacts(&app, 6).await;
    let fired = app.post("/api/v1/groups/phones/notify", json!({"message": "all hands"})).await.expect(201);
    let id = fired["notification_id"].as_str().unwrap();
    wait_for_notification(&app, id, |n| statuses(n).iter().all(|s| s == "sent")).await;
    let mut receipts = Vec::new();
    for (i, request) in gateway.wait_for(6).await.iter().enumerate() {
        let form: std::collections::HashMap<String, String> =
            url::form_urlencoded::parse(request.body.as_bytes()).into_owned().collect();
        let reference = &form["client-ref"];
        let final_status = if i % 3 == 2 { "expired" } else { "delivered" };
        for status in ["accepted", "buffered", final_status, final_status] {
            receipts.push(format!("client-ref={reference}&status={status}&err-code=0"));
        }
    }
    receipts.shuffle(&mut rand::thread_rng());
    for r in &receipts {
        assert_eq!(ack(&app, r).await.0, 200);
    }
    let n = app.get(&format!("/api/v1/notifications/{id}")).await.expect(200);
    assert_eq!(n["counts"], json!({"delivered": 4, "expired": 2}), "{:#}", n["counts"]);
}

async fn a_receipt_that_beats_the_send_outcome_is_applied_when_the_id_is_known(backend: Backend) {
    let gateway = Sink::start().await;
    gateway.json_body(VONAGE_OK);
    gateway.set_stalled(true);
    let app = app_with_vonage(backend, &gateway).await;
    sms_contacts(&app, 1).await;
    let fired = app.post("/api/v1/contacts/p0/notify", json!({"message": "early"})).await.expect(201);
    let id = fired["notification_id"].as_str().unwrap();
    gateway.wait_for(1).await;
    // The gateway has the message but has not answered: its receipt comes first.
    assert_eq!(ack(&app, "messageId=MSG-1&status=delivered&err-code=0").await.0, 200);
    assert_eq!(statuses(&app.get(&format!("/api/v1/notifications/{id}")).await.expect(200)), ["sending"]);
    gateway.set_stalled(false);
    wait_for_notification(&app, id, |n| n["deliveries"][0]["status"] == "delivered").await;
}

const PUBLIC_URL: &str = "https://tocsin.example.com";
const TWILIO_TOKEN: &str = "twilio-auth-token";

async fn app_with(backend: Backend, configure: impl FnOnce(&mut tocsin_server::settings::Settings)) -> TestApp {
    let (db, url) = TestDb::create(backend).await;
    let mut settings = test_settings(&url);
    settings.public_url = Some(PUBLIC_URL.into());
    configure(&mut settings);
    spawn_with(backend, db, settings).await
}

/// Twilio's scheme: base64 HMAC-SHA1 of the URL followed by every field's name
/// and value in name order, keyed with the auth token.
fn twilio_signature(url: &str, form: &[(&str, &str)]) -> String {
    use base64::Engine;
    use hmac::Mac;
    let mut fields = form.to_vec();
    fields.sort();
    let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(TWILIO_TOKEN.as_bytes()).unwrap();
    mac.update(url.as_bytes());
    for (name, value) in fields {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Posts a Twilio status callback to `callback` (a URL under PUBLIC_URL, as
/// Twilio would call it), here on the test server.
async fn twilio_callback(app: &TestApp, callback: &str, form: &[(&str, &str)], signature: &str) -> u16 {
    let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
    let path = callback.strip_prefix(PUBLIC_URL).unwrap_or(callback);
    let res = app
        .client
        .post(app.url(path))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("X-Twilio-Signature", signature)
        .body(body)
        .send()
        .await
        .unwrap();
    res.status().as_u16()
}

async fn twilio_sends_with_a_status_callback_and_only_signed_callbacks_count(backend: Backend) {
    let gateway = Sink::start().await;
    gateway.json_body(r#"{"sid":"SM{n}","status":"queued","to":"+16502530000"}"#);
    let app = app_with(backend, |s| {
        s.sms.provider = Some(SmsProvider::Twilio);
        s.sms.twilio.base_url = gateway.url.clone();
        s.sms.twilio.account_sid = "AC0123".into();
        s.sms.twilio.auth_token = TWILIO_TOKEN.into();
        s.sms.twilio.from = "+15005550006".into();
    })
    .await;
    sms_contacts(&app, 1).await;
    let fired = app.post("/api/v1/contacts/p0/notify", json!({"message": "disk full"})).await.expect(201);
    let id = fired["notification_id"].as_str().unwrap();
    let request = &gateway.wait_for(1).await[0];
    assert_eq!(request.path, "/2010-04-01/Accounts/AC0123/Messages.json");
    let form: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(request.body.as_bytes()).into_owned().collect();
    assert_eq!(form["To"], "+16502530000");
    assert_eq!(form["Body"], "disk full");
    // The callback URL carries the delivery's signed reference.
    let callback = form["StatusCallback"].clone();
    let prefix = format!("{PUBLIC_URL}/api/v1/receipts/twilio?ref=tocsin-");
    assert!(callback.starts_with(&prefix), "{callback}");
    let n = wait_for_notification(&app, id, |n| n["deliveries"][0]["status"] == "sent").await;
    assert_eq!(n["deliveries"][0]["provider_message_id"], "SM1");

    let delivered = [("MessageSid", "SM1"), ("MessageStatus", "delivered"), ("AccountSid", "AC0123")];
    // A forged callback is refused and changes nothing.
    let forged = twilio_signature(&callback, &[("MessageSid", "SM1"), ("MessageStatus", "failed")]);
    assert_eq!(twilio_callback(&app, &callback, &delivered, &forged).await, 403);
    assert_eq!(twilio_callback(&app, &callback, &delivered, "").await, 403);
    assert_eq!(statuses(&app.get(&format!("/api/v1/notifications/{id}")).await.expect(200)), ["sent"]);
    let signature = twilio_signature(&callback, &delivered);
    assert_eq!(twilio_callback(&app, &callback, &delivered, &signature).await, 200);
    assert_eq!(statuses(&app.get(&format!("/api/v1/notifications/{id}")).await.expect(200)), ["delivered"]);
}

async fn clickatell_sends_and_its_callbacks_on_ack_move_it_forward(backend: Backend) {
    let gateway = Sink::start().await;
    gateway.json_body(r#"{"messages":[{"apiMessageId":"cm{n}","accepted":true,"to":"x","errorCode":null,"error":null,"errorDescription":null}],"errorCode":null,"error":null,"errorDescription":null}"#);
    let app = app_with(backend, |s| {
        s.sms.provider = Some(SmsProvider::Clickatell);
        s.sms.clickatell.base_url = gateway.url.clone();
        s.sms.clickatell.api_key = "clickatell-key".into();
    })
    .await;
    sms_contacts(&app, 2).await;
    let fired = app.post("/api/v1/groups/phones/notify", json!({"message": "all hands"})).await.expect(201);
    let id = fired["notification_id"].as_str().unwrap();
    let requests = gateway.wait_for(2).await;
    assert!(requests.iter().all(|r| r.path == "/messages" && r.headers["authorization"] == "clickatell-key"));
    let n = wait_for_notification(&app, id, |n| statuses(n).iter().all(|s| s == "sent")).await;
    let ids: Vec<String> = n["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["provider_message_id"].as_str().unwrap().to_owned())
        .collect();
    // Clickatell calls back by GET or POST; 004 is delivered, 005 an error.
    let res = app.client.get(app.url(&format!("/ack/?apiMsgId={}&status=004&timestamp=1700000000", ids[0]))).send();
    assert_eq!(res.await.unwrap().text().await.unwrap(), "OK");
    assert_eq!(ack(&app, &format!("apiMsgId={}&status=005", ids[1])).await, (200, "OK".into()));
    // A later "delivered" for the failed one changes nothing.
    assert_eq!(ack(&app, &format!("apiMsgId={}&status=004", ids[1])).await, (200, "OK".into()));
    let n = app.get(&format!("/api/v1/notifications/{id}")).await.expect(200);
    assert_eq!(n["counts"], json!({"delivered": 1, "failed": 1}), "{:#}", n["counts"]);
}

for_both_backends!(
    twilio_sends_with_a_status_callback_and_only_signed_callbacks_count,
    clickatell_sends_and_its_callbacks_on_ack_move_it_forward,
    an_sms_is_sent_and_its_receipt_moves_it_forward_never_back,
    shuffled_receipts_with_duplicates_end_at_the_furthest_state,
    a_receipt_that_beats_the_send_outcome_is_applied_when_the_id_is_known
);

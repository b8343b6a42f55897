use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::sink::Sink;

on_both_backends!(
    an_inbox_fire_is_planned_delivered_and_acknowledged,
    a_json_webhook_is_signed_and_delivered,
    a_webhook_answering_500_is_retried_until_it_succeeds,
    a_webhook_answering_400_fails_at_once,
    skipped_contacts_are_reported_with_their_reason,
    a_dedup_key_attaches_to_the_open_notification,
    an_idempotency_key_replays_the_first_answer,
    contacts_and_groups_can_be_notified_directly,
    firing_a_missing_or_disabled_event_is_refused,
    a_webhook_that_never_answers_does_not_hold_up_other_channels,
    fires_arriving_together_each_reach_their_own_recipients,
    each_delivery_is_sent_to_its_own_address_under_its_own_id,
    every_directory_change_reaches_the_next_fire_on_one_instance,
    every_table_a_plan_reads_moves_the_directory_version,
);

/// Polls the notification until `done` holds for it (30 s at most).
pub async fn wait_for_notification(app: &TestApp, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let n = app.get(&format!("/api/v1/notifications/{id}")).await.expect(200);
        if done(&n) {
            return n;
        }
        assert!(tokio::time::Instant::now() < deadline, "notification never reached the state: {n:#}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

fn all_final(n: &Value) -> bool {
    n["deliveries"].as_array().is_some_and(|d| {
        d.iter()
            .all(|d| matches!(d["status"].as_str(), Some("delivered" | "sent" | "failed" | "expired" | "cancelled")))
    })
}

async fn an_inbox_fire_is_planned_delivered_and_acknowledged(app: TestApp) {
    app.create_contact("ana").await;
    app.post("/api/v1/contacts/ana/destinations", json!({"medium": "inbox", "settings": {"operator": "admin"}}))
        .await
        .expect(201);
    app.post(
        "/api/v1/events",
        json!({"slug": "disk-full", "name": "Disk full", "targets": {"contacts": ["ana"]},
               "templates": {"subject": "Disk full on {{ host }}", "body": "{{ host }} is {{ percent }}% full", "sms": "{{ host|upper }} {{ percent }}%"}}),
    )
    .await
    .expect(201);
    let args = json!({"args": {"host": "db1", "percent": 97}});

    let plan = app.post("/api/v1/events/disk-full/fire?dry_run=true", args.clone()).await.expect(200);
    assert_eq!(plan["dry_run"], true);
    assert_eq!(plan["rendered"]["subject"], "Disk full on db1");
    assert_eq!(plan["rendered"]["body"], "db1 is 97% full");
    assert_eq!(plan["rendered"]["sms"], json!({"text": "DB1 97%", "encoding": "gsm7", "segments": 1}));
    assert_eq!(plan["recipients"][0]["contact"], "ana");
    assert_eq!(plan["recipients"][0]["medium"], "inbox");
    assert_eq!(plan["recipients"][0]["path"], "event disk-full → contact ana → inbox admin");
    assert_eq!(app.get("/api/v1/notifications").await.expect(200)["total"], 0, "a dry run stores nothing");

    let fired = app.post("/api/v1/events/disk-full/fire", args).await.expect(201);
    assert_eq!(fired["deliveries"], 1);
    assert_eq!(fired["attached"], false);
    let id = fired["notification_id"].as_str().unwrap();
    assert_eq!(id.len(), 32);
    assert!(id.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));

    let n = wait_for_notification(&app, id, |n| n["deliveries"][0]["status"] == "delivered").await;
    assert_eq!(n["event"], "disk-full");
    assert_eq!(n["state"], "open");
    assert_eq!(n["raised_by"], "operator:admin");
    assert_eq!(n["counts"], json!({"delivered": 1}));
    let kinds: Vec<&str> =
        n["deliveries"][0]["timeline"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["queued", "sending", "delivered"]);

    let acked = app.post(&format!("/api/v1/notifications/{id}/acknowledge"), json!({})).await.expect(200);
    assert_eq!(acked["state"], "acknowledged");
    assert_eq!(acked["acknowledged_by"], "operator:admin");
    assert_eq!(acked["timeline"][0]["kind"], "acknowledged");
    let resolved = app.post(&format!("/api/v1/notifications/{id}/resolve"), json!({})).await.expect(200);
    assert_eq!(resolved["state"], "resolved");
    let listed = app.get("/api/v1/notifications?state=resolved&event=disk-full").await.expect(200);
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["items"][0]["counts"], json!({"delivered": 1}));
    app.get("/api/v1/notifications/0123456789abcdef0123456789abcdef").await.expect_error(404, "not_found");
}

pub async fn webhook_contact(app: &TestApp, sink: &Sink, settings: Value) -> i64 {
    app.create_contact("hook").await;
    let mut settings = settings;
    settings["url"] = json!(format!("{}/hook", sink.url));
    let d = app.post("/api/v1/contacts/hook/destinations", json!({"medium": "webhook", "settings": settings})).await;
    d.expect(201)["id"].as_i64().unwrap()
}

async fn a_json_webhook_is_signed_and_delivered(app: TestApp) {
    let sink = Sink::start().await;
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    webhook_contact(&app, &sink, json!({"secret": secret})).await;
    let fired =
        app.post("/api/v1/contacts/hook/notify", json!({"message": "db1 down", "subject": "Outage"})).await.expect(201);
    let id = fired["notification_id"].as_str().unwrap();
    let got = sink.wait_for(1).await;
    let request = &got[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/hook");
    let body: Value = serde_json::from_str(&request.body).unwrap();
    assert_eq!(body["notification_id"], id);
    assert_eq!(body["subject"], "Outage");
    assert_eq!(body["body"], "db1 down");
    let n = wait_for_notification(&app, id, all_final).await;
    let delivery = &n["deliveries"][0];
    assert_eq!(delivery["status"], "delivered");
    assert_eq!(request.headers["webhook-id"], format!("dlv_{}", delivery["id"]));
    let timestamp: i64 = request.headers["webhook-timestamp"].parse().unwrap();
    let expected = tocsin_server::delivery::channels::webhook::sign(
        secret,
        &request.headers["webhook-id"],
        timestamp,
        request.body.as_bytes(),
    )
    .unwrap();
    assert_eq!(request.headers["webhook-signature"], expected);
}

async fn a_webhook_answering_500_is_retried_until_it_succeeds(app: TestApp) {
    let sink = Sink::start().await;
    sink.answer_with(&[500, 503]);
    webhook_contact(&app, &sink, json!({})).await;
    let fired = app.post("/api/v1/contacts/hook/notify", json!({"message": "retry me"})).await.expect(201);
    let n = wait_for_notification(&app, fired["notification_id"].as_str().unwrap(), all_final).await;
    let d = &n["deliveries"][0];
    assert_eq!(d["status"], "delivered", "{n:#}");
    assert_eq!(d["attempts"], 3);
    let retries = d["timeline"].as_array().unwrap().iter().filter(|e| e["kind"] == "retry").count();
    assert_eq!(retries, 2);
    let got = sink.received();
    assert_eq!(got.len(), 3);
    // A retry carries the same delivery id, so the receiver can deduplicate.
    assert!(got.iter().all(|r| r.headers["webhook-id"] == got[0].headers["webhook-id"]));
}

async fn a_webhook_answering_400_fails_at_once(app: TestApp) {
    let sink = Sink::start().await;
    sink.answer_with(&[400]);
    webhook_contact(&app, &sink, json!({})).await;
    let fired = app.post("/api/v1/contacts/hook/notify", json!({"message": "bad"})).await.expect(201);
    let n = wait_for_notification(&app, fired["notification_id"].as_str().unwrap(), all_final).await;
    let d = &n["deliveries"][0];
    assert_eq!(d["status"], "failed");
    assert_eq!(d["attempts"], 1);
    assert!(d["last_error"].as_str().unwrap().contains("400"), "{d}");
    assert_eq!(sink.received().len(), 1);
}

async fn skipped_contacts_are_reported_with_their_reason(app: TestApp) {
    for slug in ["ana", "bob", "cid", "dee"] {
        app.create_contact(slug).await;
    }
    app.post("/api/v1/contacts/ana/destinations", json!({"medium": "inbox", "settings": {"operator": "admin"}}))
        .await
        .expect(201);
    let bob = app
        .post("/api/v1/contacts/bob/destinations", json!({"medium": "inbox", "settings": {"operator": "admin"}}))
        .await
        .expect(201);
    app.post(&format!("/api/v1/destinations/{}/disable", bob["id"]), json!({})).await.expect(200);
    app.patch("/api/v1/contacts/cid", json!({"enabled": false})).await.expect(200);
    app.post("/api/v1/groups", json!({"slug": "ops", "name": "Ops", "members": ["ana", "bob", "cid", "dee"]}))
        .await
        .expect(201);
    app.post("/api/v1/events", json!({"slug": "e", "name": "E", "targets": {"contacts": ["ana"], "groups": ["ops"]}}))
        .await
        .expect(201);
    let plan = app.post("/api/v1/events/e/fire?dry_run=true", json!({})).await.expect(200);
    let reasons: Vec<(String, String)> = plan["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["contact"].as_str().unwrap().to_owned(), s["reason"].as_str().unwrap().to_owned()))
        .collect();
    let expected =
        [("ana", "duplicate"), ("bob", "destination_disabled"), ("cid", "contact_disabled"), ("dee", "no_destination")];
    for (contact, reason) in expected {
        assert!(reasons.contains(&(contact.to_owned(), reason.to_owned())), "{contact} {reason} in {reasons:?}");
    }
    assert_eq!(plan["recipients"].as_array().unwrap().len(), 1);
    let fired = app.post("/api/v1/events/e/fire", json!({})).await.expect(201);
    assert_eq!(fired["deliveries"], 1);
    assert_eq!(fired["skipped"], plan["skipped"]);
}

async fn a_dedup_key_attaches_to_the_open_notification(app: TestApp) {
    app.create_contact("ana").await;
    app.post("/api/v1/contacts/ana/destinations", json!({"medium": "inbox", "settings": {"operator": "admin"}}))
        .await
        .expect(201);
    app.post("/api/v1/events", json!({"slug": "e", "name": "E", "targets": {"contacts": ["ana"]}})).await.expect(201);
    let first = app.post("/api/v1/events/e/fire", json!({"dedup_key": "db1"})).await.expect(201);
    let id = first["notification_id"].as_str().unwrap();
    let plan = app.post("/api/v1/events/e/fire?dry_run=true", json!({"dedup_key": "db1"})).await.expect(200);
    assert_eq!(plan["would_attach_to"], id);
    let again = app.post("/api/v1/events/e/fire", json!({"dedup_key": "db1"})).await.expect(200);
    assert_eq!(again, json!({"notification_id": id, "deliveries": 0, "skipped": [], "attached": true}));
    let other = app.post("/api/v1/events/e/fire", json!({"dedup_key": "db2"})).await.expect(201);
    assert_ne!(other["notification_id"], id);
    // Once resolved, the key pages again.
    app.post(&format!("/api/v1/notifications/{id}/resolve"), json!({})).await.expect(200);
    let after = app.post("/api/v1/events/e/fire", json!({"dedup_key": "db1"})).await.expect(201);
    assert_ne!(after["notification_id"], id);
    assert_eq!(app.get("/api/v1/notifications").await.expect(200)["total"], 3);
}

async fn an_idempotency_key_replays_the_first_answer(app: TestApp) {
    app.create_contact("ana").await;
    let send = |body: Value, key: &'static str| {
        let req = app
            .client
            .post(app.url("/api/v1/contacts/ana/notify"))
            .bearer_auth(&app.admin_token)
            .header("Idempotency-Key", key)
            .json(&body);
        async move {
            let res = req.send().await.unwrap();
            let replayed = res.headers().contains_key("idempotent-replayed");
            (res.status().as_u16(), replayed, res.json::<Value>().await.unwrap())
        }
    };
    let (status, replayed, first) = send(json!({"message": "once"}), "k-1").await;
    assert_eq!((status, replayed), (201, false));
    let (status, replayed, second) = send(json!({"message": "once"}), "k-1").await;
    assert_eq!((status, replayed), (201, true));
    assert_eq!(second, first);
    let (status, _, err) = send(json!({"message": "something else"}), "k-1").await;
    assert_eq!(status, 422, "{err}");
    assert_eq!(err["error"], "validation_failed");
    // Keys are per caller: another caller's same key is a new request.
    let key = app.api_key("script", &["send"]).await;
    let other = app
        .client
        .post(app.url("/api/v1/contacts/ana/notify"))
        .bearer_auth(&key)
        .header("Idempotency-Key", "k-1")
        .json(&json!({"message": "once"}))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 201);
    assert_eq!(app.get("/api/v1/notifications").await.expect(200)["total"], 2);
}

async fn contacts_and_groups_can_be_notified_directly(app: TestApp) {
    app.create_contact("ana").await;
    app.create_contact("bob").await;
    for slug in ["ana", "bob"] {
        app.post(
            &format!("/api/v1/contacts/{slug}/destinations"),
            json!({"medium": "inbox", "settings": {"operator": "admin"}}),
        )
        .await
        .expect(201);
    }
    app.post("/api/v1/groups", json!({"slug": "ops", "name": "Ops", "members": ["ana", "bob"]})).await.expect(201);
    let fired = app.post("/api/v1/groups/OPS/notify", json!({"message": "hello team"})).await.expect(201);
    assert_eq!(fired["deliveries"], 2);
    let n = wait_for_notification(&app, fired["notification_id"].as_str().unwrap(), all_final).await;
    assert_eq!(n["target_kind"], "group");
    assert_eq!(n["target"], "ops");
    assert_eq!(n["body"], "hello team");
    let paths: Vec<&str> = n["deliveries"].as_array().unwrap().iter().map(|d| d["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["group ops → contact ana → inbox admin", "group ops → contact bob → inbox admin"]);
    app.post("/api/v1/contacts/ana/notify", json!({"message": ""})).await.expect_error(422, "validation_failed");
    app.post("/api/v1/contacts/ghost/notify", json!({"message": "x"})).await.expect_error(404, "not_found");
    app.patch("/api/v1/groups/ops", json!({"enabled": false})).await.expect(200);
    app.post("/api/v1/groups/ops/notify", json!({"message": "x"})).await.expect_error(409, "conflict");
}

async fn firing_a_missing_or_disabled_event_is_refused(app: TestApp) {
    app.post("/api/v1/events/ghost/fire", json!({})).await.expect_error(404, "not_found");
    app.post("/api/v1/events", json!({"slug": "off", "name": "Off", "enabled": false})).await.expect(201);
    app.post("/api/v1/events/off/fire", json!({})).await.expect_error(409, "conflict");
    app.post("/api/v1/events/off/fire", json!({"args": "not an object"})).await.expect_error(422, "validation_failed");
    let viewer = app.operator_token("viewer1", "viewer").await;
    app.call(Method::POST, "/api/v1/events/off/fire", Some(&viewer), Some(json!({})))
        .await
        .expect_error(403, "forbidden");
    assert_eq!(app.get("/api/v1/notifications").await.expect(200)["total"], 0);
}

async fn a_webhook_that_never_answers_does_not_hold_up_other_channels(app: TestApp) {
    let sink = Sink::start().await;
    sink.set_stalled(true);
    webhook_contact(&app, &sink, json!({})).await;
    app.post("/api/v1/contacts/hook/destinations", json!({"medium": "inbox", "settings": {"operator": "admin"}}))
        .await
        .expect(201);
    let fired = app.post("/api/v1/contacts/hook/notify", json!({"message": "one stuck, one not"})).await.expect(201);
    let id = fired["notification_id"].as_str().unwrap();
    sink.wait_for(1).await;
    // The webhook call is held open by the sink; the inbox delivery is done anyway.
    let n = wait_for_notification(&app, id, |n| {
        n["deliveries"].as_array().unwrap().iter().any(|d| d["medium"] == "inbox" && d["status"] == "delivered")
    })
    .await;
    let webhook = n["deliveries"].as_array().unwrap().iter().find(|d| d["medium"] == "webhook").unwrap().clone();
    assert_eq!(webhook["status"], "sending", "{n:#}");
    sink.set_stalled(false);
    wait_for_notification(&app, id, all_final).await;
}

async fn resolved_notifications_past_retention_are_purged(backend: crate::helpers::Backend) {
    let (db, url) = crate::helpers::TestDb::create(backend).await;
    let mut settings = crate::helpers::test_settings(&url);
    settings.delivery.retention_days = 0;
    settings.delivery.retention_interval_ms = 50;
    let app = crate::helpers::spawn_with(backend, db, settings).await;
    app.create_contact("ana").await;
    app.post("/api/v1/contacts/ana/destinations", json!({"medium": "inbox", "settings": {"operator": "admin"}}))
        .await
        .expect(201);
    let kept = app.post("/api/v1/contacts/ana/notify", json!({"message": "still open"})).await.expect(201);
    let gone = app.post("/api/v1/contacts/ana/notify", json!({"message": "over"})).await.expect(201);
    let gone_id = gone["notification_id"].as_str().unwrap();
    wait_for_notification(&app, gone_id, all_final).await;
    app.post(&format!("/api/v1/notifications/{gone_id}/resolve"), json!({})).await.expect(200);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while app.get(&format!("/api/v1/notifications/{gone_id}")).await.status != 404 {
        assert!(tokio::time::Instant::now() < deadline, "the resolved notification was never purged");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    app.get(&format!("/api/v1/notifications/{}", kept["notification_id"].as_str().unwrap())).await.expect(200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_resolved_notifications_past_retention_are_purged() {
    resolved_notifications_past_retention_are_purged(crate::helpers::Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_resolved_notifications_past_retention_are_purged() {
    resolved_notifications_past_retention_are_purged(crate::helpers::Backend::Postgres).await;
}

/// A retry is sent when it falls due, not at the claimer's next poll: recording
/// it wakes the claimer. The poll here is ten minutes, the backoff milliseconds.
async fn a_retry_is_sent_when_due_without_waiting_for_the_poll(backend: crate::helpers::Backend) {
    let (db, url) = crate::helpers::TestDb::create(backend).await;
    let mut settings = crate::helpers::test_settings(&url);
    settings.delivery.poll_interval_ms = 600_000;
    let app = crate::helpers::spawn_with(backend, db, settings).await;
    let sink = Sink::start().await;
    sink.answer_with(&[500]);
    webhook_contact(&app, &sink, json!({})).await;
    let fired = app.post("/api/v1/contacts/hook/notify", json!({"message": "again"})).await.expect(201);
    let n = wait_for_notification(&app, fired["notification_id"].as_str().unwrap(), all_final).await;
    assert_eq!(n["deliveries"][0]["status"], "delivered");
    assert_eq!(n["deliveries"][0]["attempts"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_retry_is_sent_when_due_without_waiting_for_the_poll() {
    a_retry_is_sent_when_due_without_waiting_for_the_poll(crate::helpers::Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_retry_is_sent_when_due_without_waiting_for_the_poll() {
    a_retry_is_sent_when_due_without_waiting_for_the_poll(crate::helpers::Backend::Postgres).await;
}

/// Fires that arrive at once are stored in one transaction, most with one
/// insert for all of them: each answer must still name its own notification,
/// holding its own message and its own recipients.
async fn fires_arriving_together_each_reach_their_own_recipients(app: TestApp) {
    for slug in ["ana", "bo", "cy"] {
        app.create_contact(slug).await;
        let dest = json!({"medium": "inbox", "settings": {"operator": "admin"}});
        app.post(&format!("/api/v1/contacts/{slug}/destinations"), dest).await.expect(201);
    }
    for (slug, contacts) in [("pair", json!(["ana", "bo"])), ("solo", json!(["cy"]))] {
        let event = json!({"slug": slug, "name": slug, "targets": {"contacts": contacts},
                           "templates": {"subject": "{{ n }}", "body": "fire {{ n }}"}});
        app.post("/api/v1/events", event).await.expect(201);
    }
    let fires = (0..40).map(|n| {
        let event = if n % 2 == 0 { "pair" } else { "solo" };
        let mut body = json!({"args": {"n": n}});
        if n % 10 == 3 {
            body["dedup_key"] = json!(format!("key-{n}"));
        }
        let app = &app;
        async move { (n, event, app.post(&format!("/api/v1/events/{event}/fire"), body).await.expect(201)) }
    });
    let answers = futures_util::future::join_all(fires).await;
    let mut seen = std::collections::HashSet::new();
    for (n, event, answer) in answers {
        let id = answer["notification_id"].as_str().unwrap();
        assert!(seen.insert(id.to_owned()), "notification {id} answered twice");
        let want: &[&str] = if event == "pair" { &["ana", "bo"] } else { &["cy"] };
        assert_eq!(answer["deliveries"], want.len());
        let stored = app.get(&format!("/api/v1/notifications/{id}")).await.expect(200);
        assert_eq!(stored["body"], format!("fire {n}"));
        assert_eq!(stored["event"], event);
        let mut reached: Vec<&str> =
            stored["deliveries"].as_array().unwrap().iter().map(|d| d["contact"].as_str().unwrap()).collect();
        reached.sort_unstable();
        assert_eq!(reached, want, "notification {n}");
    }
    for id in &seen {
        wait_for_notification(&app, id, all_final).await;
    }
}

/// The rows handed to the dispatcher are built in memory from the inserted
/// values and the ids the insert returned: a request must carry the id of the
/// delivery whose address it went to.
async fn each_delivery_is_sent_to_its_own_address_under_its_own_id(app: TestApp) {
    let sink = Sink::start().await;
    app.create_contact("many").await;
    for n in 1..=6 {
        let dest = json!({"medium": "webhook", "settings": {"url": format!("{}/hook/{n}", sink.url)}});
        app.post("/api/v1/contacts/many/destinations", dest).await.expect(201);
    }
    let fired = app.post("/api/v1/contacts/many/notify", json!({"message": "each its own"})).await.expect(201);
    let id = fired["notification_id"].as_str().unwrap();
    let requests = sink.wait_for(6).await;
    let n = wait_for_notification(&app, id, all_final).await;
    let address_of: std::collections::HashMap<String, String> = n["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (format!("dlv_{}", d["id"]), d["address"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(address_of.len(), 6);
    for request in &requests {
        let delivery = &request.headers["webhook-id"];
        assert_eq!(address_of[delivery], format!("{}{}", sink.url, request.path), "delivery {delivery}");
    }
}

/// Fires at a target are planned from a kept copy of the directory while it
/// does not change; every kind of change must reach the very next fire.
pub async fn every_directory_change_reaches_the_next_fire(fires: &TestApp, changes: &TestApp) {
    for slug in ["ana", "bob"] {
        changes.create_contact(slug).await;
    }
    let inbox = json!({"medium": "inbox", "settings": {"operator": "admin"}});
    changes.post("/api/v1/contacts/ana/destinations", inbox.clone()).await.expect(201);
    let bob = changes.post("/api/v1/contacts/bob/destinations", inbox).await.expect(201);
    changes.post("/api/v1/groups", json!({"slug": "ops", "name": "Ops", "members": ["ana"]})).await.expect(201);
    let event = json!({"slug": "e", "name": "E", "targets": {"groups": ["ops"]},
                       "templates": {"subject": "v1", "body": "b"}});
    changes.post("/api/v1/events", event).await.expect(201);
    let fire = || async { fires.post("/api/v1/events/e/fire", json!({})).await };
    let reached = |answer: &Value| answer["deliveries"].as_i64().unwrap();

    assert_eq!(reached(&fire().await.expect(201)), 1);
    assert_eq!(reached(&fire().await.expect(201)), 1, "a second fire from the kept plan");

    changes.patch("/api/v1/groups/ops", json!({"members": ["ana", "bob"]})).await.expect(200);
    assert_eq!(reached(&fire().await.expect(201)), 2, "a new group member");

    changes.post(&format!("/api/v1/destinations/{}/disable", bob["id"]), json!({})).await.expect(200);
    let answer = fire().await.expect(201);
    assert_eq!(reached(&answer), 1, "a disabled destination");
    assert_eq!(answer["skipped"][0]["reason"], "destination_disabled");

    changes.patch("/api/v1/contacts/ana", json!({"enabled": false})).await.expect(200);
    assert_eq!(reached(&fire().await.expect(201)), 0, "a disabled contact");

    changes.patch("/api/v1/contacts/ana", json!({"enabled": true})).await.expect(200);
    changes.patch("/api/v1/events/e", json!({"targets": {"contacts": ["bob", "ana"]}})).await.expect(200);
    changes.post(&format!("/api/v1/destinations/{}/enable", bob["id"]), json!({})).await.expect(200);
    assert_eq!(reached(&fire().await.expect(201)), 2, "new event targets");

    changes.patch("/api/v1/events/e", json!({"templates": {"subject": "v2", "body": "b"}})).await.expect(200);
    let id = fire().await.expect(201)["notification_id"].as_str().unwrap().to_owned();
    assert_eq!(fires.get(&format!("/api/v1/notifications/{id}")).await.expect(200)["subject"], "v2");

    changes.patch("/api/v1/events/e", json!({"enabled": false})).await.expect(200);
    fire().await.expect_error(409, "conflict");
}

async fn every_directory_change_reaches_the_next_fire_on_one_instance(app: TestApp) {
    every_directory_change_reaches_the_next_fire(&app, &app).await;
}

#[derive(diesel::QueryableByName)]
struct TriggerText {
    #[diesel(sql_type = diesel::sql_types::Text)]
    text: String,
}

/// The plan cache's rule (`delivery::intake::plans`): a table a plan reads
/// moves `directory_version` on insert, update and delete, on each backend.
async fn every_table_a_plan_reads_moves_the_directory_version(app: TestApp) {
    use diesel::prelude::*;
    use tocsin_server::store::DbConnection;
    let tables = tocsin_server::store::directory::PLAN_TABLES;
    let found = app
        .store()
        .await
        .read(move |conn| {
            let mut found = Vec::new();
            for table in tables {
                // The events each trigger that moves the version fires on.
                let rows: Vec<TriggerText> = match conn {
                    DbConnection::Sqlite(c) => diesel::sql_query(
                        "SELECT sql AS text FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? \
                         AND sql LIKE '%UPDATE directory_version%'",
                    )
                    .bind::<diesel::sql_types::Text, _>(*table)
                    .load(c)?,
                    DbConnection::Postgresql(c) => diesel::sql_query(
                        "SELECT event_manipulation AS text FROM information_schema.triggers \
                         WHERE event_object_table = $1 AND action_statement LIKE '%directory_version%'",
                    )
                    .bind::<diesel::sql_types::Text, _>(*table)
                    .load(c)?,
                };
                found.push((*table, rows.into_iter().map(|r| r.text.to_uppercase()).collect::<Vec<_>>()));
            }
            Ok(found)
        })
        .await
        .unwrap();
    for (table, triggers) in found {
        for event in ["INSERT", "UPDATE", "DELETE"] {
            assert!(
                // PostgreSQL names the event; SQLite's trigger text says `AFTER <event>`.
                triggers.iter().any(|t| t == event || t.contains(&format!("AFTER {event}"))),
                "{table} has no trigger moving directory_version on {event}: {triggers:?}"
            );
        }
    }
}

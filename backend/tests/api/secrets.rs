//! Secret addresses (Slack and Teams webhook URLs, URLs with a query string or
//! credentials) are shown in full only to those who may edit destinations;
//! viewers and `read`/`send`-only keys see `https://host/…/****` wherever an
//! address appears.

use reqwest::Method;
use serde_json::{json, Value};

use crate::firing::wait_for_notification;
use crate::helpers::TestApp;
use crate::sink::Sink;

on_both_backends!(
    destinations_and_dry_runs_show_secret_urls_only_to_those_who_may_edit_them,
    deliveries_timelines_and_skips_show_a_slack_url_redacted,
    a_test_message_does_not_quote_the_destination_url,
);

const SLACK: &str = "https://hooks.slack.com/services/T0001/B0001/XXXXsecretXXXX";
const SLACK_SHOWN: &str = "https://hooks.slack.com/…/****";

async fn get_as(app: &TestApp, token: &str, path: &str) -> Value {
    app.call(Method::GET, path, Some(token), None).await.expect(200)
}

fn assert_no_secret(body: &Value, secrets: &[&str], who: &str) {
    let text = body.to_string();
    for secret in secrets {
        assert!(!text.contains(secret), "{who} sees {secret}: {body:#}");
    }
}

async fn destinations_and_dry_runs_show_secret_urls_only_to_those_who_may_edit_them(app: TestApp) {
    app.create_contact("ana").await;
    let add = |settings: Value, medium: &str| {
        app.post("/api/v1/contacts/ana/destinations", json!({"medium": medium, "settings": settings}))
    };
    let slack = add(json!({"url": SLACK}), "slack").await.expect(201);
    assert_eq!(slack["address"], SLACK, "the editor who created it sees it");
    add(json!({"url": "https://hooks.example.com/in?token=tok-0123456789"}), "webhook").await.expect(201);
    add(json!({"url": "https://hooks.example.com/plain"}), "webhook").await.expect(201);
    let slack_id = slack["id"].as_i64().unwrap();

    let viewer = app.operator_token("vera", "viewer").await;
    let reader = app.api_key("reader", &["read"]).await;
    let sender = app.api_key("sender", &["send"]).await;
    let operator = app.operator_token("otto", "operator").await;
    let secrets = ["XXXXsecretXXXX", "T0001", "tok-0123456789"];

    for (who, token) in [("a viewer", &viewer), ("a read key", &reader)] {
        let listed = get_as(&app, token, "/api/v1/contacts/ana/destinations").await;
        let shown: Vec<&str> = listed.as_array().unwrap().iter().map(|d| d["address"].as_str().unwrap()).collect();
        assert_eq!(
            shown,
            [SLACK_SHOWN, "https://hooks.example.com/…/****", "https://hooks.example.com/plain"],
            "{who}"
        );
        assert_eq!(listed[0]["settings"]["url"], SLACK_SHOWN, "{who}");
        assert_no_secret(&listed, &secrets, who);
        let one = get_as(&app, token, &format!("/api/v1/destinations/{slack_id}")).await;
        assert_eq!((&one["address"], &one["settings"]["url"]), (&json!(SLACK_SHOWN), &json!(SLACK_SHOWN)), "{who}");
        for path in ["/api/v1/contacts/ana", "/api/v1/contacts"] {
            assert_no_secret(&get_as(&app, token, path).await, &secrets, who);
        }
    }
    for (who, token) in [("an operator", &operator), ("an admin", &app.admin_token)] {
        let listed = get_as(&app, token, "/api/v1/contacts/ana/destinations").await;
        assert_eq!((&listed[0]["address"], &listed[0]["settings"]["url"]), (&json!(SLACK), &json!(SLACK)), "{who}");
        assert_eq!(listed[1]["address"], "https://hooks.example.com/in?token=tok-0123456789", "{who}");
    }

    // A dry run sends nothing, so these URLs are never called.
    let dry_run = |token: String| {
        let app = &app;
        async move {
            let body = json!({"message": "m"});
            app.call(Method::POST, "/api/v1/contacts/ana/notify?dry_run=true", Some(&token), Some(body)).await
        }
    };
    let plan = dry_run(sender).await.expect(200);
    assert_eq!(plan["recipients"][0]["address"], SLACK_SHOWN);
    assert_eq!(plan["recipients"][0]["path"], format!("contact ana → slack {SLACK_SHOWN}"));
    assert_eq!(plan["recipients"][1]["path"], "contact ana → webhook https://hooks.example.com/…/****");
    assert_no_secret(&plan, &secrets, "a send key");
    let plan = dry_run(operator).await.expect(200);
    assert_eq!(plan["recipients"][0]["path"], format!("contact ana → slack {SLACK}"));
}

async fn deliveries_timelines_and_skips_show_a_slack_url_redacted(app: TestApp) {
    // Slack destinations that post to a local sink: the medium makes them secret.
    let sink = Sink::start().await;
    let url = format!("{}/services/T0001/B0001/XXXXsecretXXXX", sink.url);
    let off = format!("{}/services/T0002/B0002/YYYYsecretYYYY", sink.url);
    let shown = format!("{}/…/****", sink.url);
    app.create_contact("ana").await;
    app.post("/api/v1/contacts/ana/destinations", json!({"medium": "slack", "settings": {"url": url}}))
        .await
        .expect(201);
    app.post(
        "/api/v1/contacts/ana/destinations",
        json!({"medium": "slack", "settings": {"url": off}, "enabled": false}),
    )
    .await
    .expect(201);
    let viewer = app.operator_token("vera", "viewer").await;
    let reader = app.api_key("reader", &["read"]).await;
    let sender = app.api_key("sender", &["send"]).await;
    let secrets = ["services", "XXXXsecretXXXX", "YYYYsecretYYYY"];

    let fired = app.post("/api/v1/contacts/ana/notify", json!({"message": "db1 down"})).await.expect(201);
    assert_eq!(fired["skipped"][0]["path"], format!("contact ana → slack {off}"), "the admin sees the full path");
    let id = fired["notification_id"].as_str().unwrap();
    let full = wait_for_notification(&app, id, |n| n["deliveries"][0]["status"] == "delivered").await;
    assert_eq!(full["deliveries"][0]["address"], url);
    assert_eq!(sink.received()[0].path, "/services/T0001/B0001/XXXXsecretXXXX", "the message went to the full URL");

    for (who, token) in [("a viewer", &viewer), ("a read key", &reader)] {
        let n = get_as(&app, token, &format!("/api/v1/notifications/{id}")).await;
        let delivery = &n["deliveries"][0];
        assert_eq!(delivery["address"], shown, "{who}");
        assert_eq!(delivery["path"], format!("contact ana → slack {shown}"), "{who}");
        assert!(delivery["timeline"].as_array().is_some_and(|t| !t.is_empty()), "{who}");
        assert_eq!(n["skipped"][0]["path"], format!("contact ana → slack {shown}"), "{who}");
        assert_no_secret(&n, &secrets, who);
        assert_no_secret(&get_as(&app, token, "/api/v1/notifications").await, &secrets, who);
    }

    // A send-only key firing, then replaying its fire with the same key.
    let notify = || {
        app.client
            .post(app.url("/api/v1/contacts/ana/notify"))
            .bearer_auth(&sender)
            .header("Idempotency-Key", "retry-1")
            .json(&json!({"message": "db2 down"}))
            .send()
    };
    let first: Value = notify().await.unwrap().json().await.unwrap();
    assert_eq!(first["skipped"][0]["path"], format!("contact ana → slack {shown}"));
    let again = notify().await.unwrap();
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again, first);
    assert_no_secret(&first, &secrets, "a send key");
    let acknowledged = app
        .call(Method::POST, &format!("/api/v1/notifications/{id}/acknowledge"), Some(&sender), None)
        .await
        .expect(200);
    assert_eq!(acknowledged["deliveries"][0]["address"], shown);
    assert_no_secret(&acknowledged, &secrets, "a send key");
}

async fn a_test_message_does_not_quote_the_destination_url(app: TestApp) {
    let sink = Sink::start().await;
    let url = format!("{}/services/T0001/B0001/XXXXsecretXXXX", sink.url);
    app.create_contact("ana").await;
    let d = app
        .post("/api/v1/contacts/ana/destinations", json!({"medium": "slack", "settings": {"url": url}}))
        .await
        .expect(201);
    let id = d["id"].as_i64().unwrap();
    let sent = app.post(&format!("/api/v1/destinations/{id}/test"), json!({})).await.expect(201);
    let n = wait_for_notification(&app, sent["notification_id"].as_str().unwrap(), |n| {
        n["deliveries"][0]["status"] == "delivered"
    })
    .await;
    assert_eq!(n["body"], format!("Tocsin test message for ana (slack destination {id}), sent by operator:admin."));
    assert_eq!(n["sms_text"], n["body"]);
    let received = sink.wait_for(1).await;
    assert!(received[0].body.contains("Tocsin test message for ana"), "{}", received[0].body);
    assert!(!received[0].body.contains("XXXXsecretXXXX"), "{}", received[0].body);
}

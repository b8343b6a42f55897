use serde_json::json;

use crate::helpers::TestApp;

on_both_backends!(
    sms_and_email_destinations_are_normalised_and_listed_with_the_contact,
    a_destination_can_be_switched_off_and_on,
    an_impossible_phone_number_is_refused_with_the_reason,
    settings_are_validated_per_medium,
    a_webhook_secret_is_write_only_and_kept_on_update,
    destinations_are_updated_and_deleted_by_id,
);

async fn sms_and_email_destinations_are_normalised_and_listed_with_the_contact(app: TestApp) {
    app.create_contact("ana").await;
    let sms = app
        .post(
            "/api/v1/contacts/ana/destinations",
            json!({"medium": "sms", "label": "mobile", "settings": {"phone": "+1 (650) 253-0000"}}),
        )
        .await
        .expect(201);
    assert_eq!(sms["settings"]["phone"], "+16502530000");
    assert_eq!(sms["address"], "+16502530000");
    assert_eq!(sms["phone_valid"], true);
    assert_eq!(sms["enabled"], true);
    assert_eq!(sms["contact"], "ana");

    let email = app
        .post(
            "/api/v1/contacts/ANA/destinations",
            json!({"medium": "email", "settings": {"address": "Ana@Example.COM"}}),
        )
        .await
        .expect(201);
    assert_eq!(email["address"], "Ana@example.com");
    assert_eq!(email["phone_valid"], serde_json::Value::Null);

    let contact = app.get("/api/v1/contacts/ana").await.expect(200);
    let media: Vec<&str> =
        contact["destinations"].as_array().unwrap().iter().map(|d| d["medium"].as_str().unwrap()).collect();
    assert_eq!(media, ["sms", "email"]);
    let listed = app.get("/api/v1/contacts/ana/destinations").await.expect(200);
    assert_eq!(listed, contact["destinations"]);
}

async fn a_destination_can_be_switched_off_and_on(app: TestApp) {
    app.create_contact("bob").await;
    let d = app
        .post(
            "/api/v1/contacts/bob/destinations",
            json!({"medium": "email", "settings": {"address": "bob@example.com"}}),
        )
        .await
        .expect(201);
    let id = d["id"].as_i64().unwrap();
    assert_eq!(app.post(&format!("/api/v1/destinations/{id}/disable"), json!({})).await.expect(200)["enabled"], false);
    assert_eq!(app.get(&format!("/api/v1/destinations/{id}")).await.expect(200)["enabled"], false);
    assert_eq!(app.post(&format!("/api/v1/destinations/{id}/enable"), json!({})).await.expect(200)["enabled"], true);
    app.post("/api/v1/destinations/999999/disable", json!({})).await.expect_error(404, "not_found");
}

async fn an_impossible_phone_number_is_refused_with_the_reason(app: TestApp) {
    app.create_contact("ana").await;
    let cases = [("07700 900123", "country code"), ("+44 12", "too short"), ("call me maybe", "not a phone number")];
    for (phone, why) in cases {
        let err = app
            .post("/api/v1/contacts/ana/destinations", json!({"medium": "sms", "settings": {"phone": phone}}))
            .await
            .expect_error(422, "validation_failed");
        assert_eq!(err["details"]["field"], "settings.phone");
        assert!(err["message"].as_str().unwrap().contains(why), "{phone}: {}", err["message"]);
    }
    assert_eq!(app.get("/api/v1/contacts/ana").await.expect(200)["destinations"], json!([]));
}

async fn settings_are_validated_per_medium(app: TestApp) {
    app.create_contact("ana").await;
    let cases = [
        (json!({"medium": "pigeon", "settings": {}}), "medium"),
        (json!({"medium": "email", "settings": {"address": "not-an-email"}}), "settings.address"),
        (json!({"medium": "email", "settings": {"address": "a@example.com", "cc": "b@example.com"}}), "settings.cc"),
        (json!({"medium": "webhook", "settings": {"url": "ftp://example.com/x"}}), "settings.url"),
        (json!({"medium": "webhook", "settings": {"url": "javascript:alert(1)"}}), "settings.url"),
        (json!({"medium": "slack", "settings": "https://hooks.slack.com/x"}), "settings"),
        (json!({"medium": "inbox", "settings": {"operator": "nobody"}}), "settings.operator"),
    ];
    for (body, field) in cases {
        let err =
            app.post("/api/v1/contacts/ana/destinations", body.clone()).await.expect_error(422, "validation_failed");
        assert_eq!(err["details"]["field"], field, "for {body}: {err}");
    }
    let inbox = app
        .post("/api/v1/contacts/ana/destinations", json!({"medium": "inbox", "settings": {"operator": "admin"}}))
        .await;
    assert_eq!(inbox.expect(201)["address"], "admin");

    let media = app.get("/api/v1/media").await.expect(200);
    let names: Vec<&str> = media.as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["email", "sms", "webhook", "slack", "teams", "inbox"]);
    for m in media.as_array().unwrap() {
        assert_eq!(m["settings_schema"]["type"], "object", "{m}");
    }
}

async fn a_webhook_secret_is_write_only_and_kept_on_update(app: TestApp) {
    app.create_contact("ana").await;
    let secret = "0123456789abcdef-shared";
    let created = app
        .post(
            "/api/v1/contacts/ana/destinations",
            json!({"medium": "webhook", "settings": {"url": "https://hooks.example.com/tocsin", "secret": secret}}),
        )
        .await
        .expect(201);
    assert!(!created.to_string().contains(secret));
    assert_eq!(created["settings"]["secret_set"], true);
    assert_eq!(created["settings"]["format"], "json");
    let id = created["id"].as_i64().unwrap();

    let updated = app
        .patch(&format!("/api/v1/destinations/{id}"), json!({"settings": {"url": "https://hooks.example.com/v2"}}))
        .await
        .expect(200);
    assert_eq!(updated["address"], "https://hooks.example.com/v2");
    assert_eq!(updated["settings"]["secret_set"], true);

    let audit = app.get("/api/v1/audit").await.expect(200);
    assert!(!audit.to_string().contains(secret), "the audit log must not hold secrets");
}

async fn destinations_are_updated_and_deleted_by_id(app: TestApp) {
    app.create_contact("ana").await;
    let d = app
        .post("/api/v1/contacts/ana/destinations", json!({"medium": "sms", "settings": {"phone": "+16502530000"}}))
        .await
        .expect(201);
    let path = format!("/api/v1/destinations/{}", d["id"]);
    let updated =
        app.patch(&path, json!({"label": "desk", "settings": {"phone": "+1 212 555 0100"}})).await.expect(200);
    assert_eq!(updated["label"], "desk");
    assert_eq!(updated["address"], "+12125550100");
    app.patch(&path, json!({"settings": {"phone": "nope"}})).await.expect_error(422, "validation_failed");
    assert_eq!(app.get(&path).await.expect(200)["address"], "+12125550100");
    app.delete(&path).await.expect(204);
    app.get(&path).await.expect_error(404, "not_found");
    // Deleting the contact removes its destinations.
    let d2 = app
        .post("/api/v1/contacts/ana/destinations", json!({"medium": "email", "settings": {"address": "a@example.com"}}))
        .await
        .expect(201);
    app.delete("/api/v1/contacts/ana").await.expect(204);
    app.get(&format!("/api/v1/destinations/{}", d2["id"])).await.expect_error(404, "not_found");
}

use reqwest::Method;
use serde_json::json;

use crate::helpers::TestApp;

on_both_backends!(
    an_api_key_secret_is_shown_once_and_works_as_a_bearer_token,
    a_revoked_key_stops_working_at_once,
    api_key_input_is_validated,
);

async fn an_api_key_secret_is_shown_once_and_works_as_a_bearer_token(app: TestApp) {
    let created = app.post("/api/v1/api-keys", json!({"name": "nagios", "scopes": ["read", "send"]})).await.expect(201);
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("tsk_"), "{secret}");
    assert!(secret.starts_with(created["prefix"].as_str().unwrap()));
    assert_eq!(created["scopes"], json!(["read", "send"]));

    let listed = app.get("/api/v1/api-keys").await.expect(200);
    assert!(!listed.to_string().contains(&secret), "a listing must never hold the secret");
    assert_eq!(listed[0]["name"], "nagios");
    assert_eq!(listed[0]["last_used_at"], serde_json::Value::Null);

    let me = app.call(Method::GET, "/api/v1/me", Some(&secret), None).await.expect(200);
    assert_eq!(me, json!({"kind": "api_key", "name": "nagios", "role": null, "scopes": ["read", "send"]}));
    let listed = app.get("/api/v1/api-keys").await.expect(200);
    assert!(listed[0]["last_used_at"].is_string(), "use is recorded: {listed}");

    let audit = app.get("/api/v1/audit?target_kind=api_key").await.expect(200);
    assert_eq!(audit["items"][0]["action"], "api_key.create");
    assert!(!audit.to_string().contains(&secret));
}

async fn a_revoked_key_stops_working_at_once(app: TestApp) {
    let created = app.post("/api/v1/api-keys", json!({"name": "old", "scopes": ["read"]})).await.expect(201);
    let secret = created["secret"].as_str().unwrap();
    app.call(Method::GET, "/api/v1/contacts", Some(secret), None).await.expect(200);
    let revoked = app.delete(&format!("/api/v1/api-keys/{}", created["id"])).await.expect(200);
    assert_eq!(revoked["enabled"], false);
    let err = app.call(Method::GET, "/api/v1/contacts", Some(secret), None).await.expect_error(401, "unauthorized");
    assert!(err["message"].as_str().unwrap().contains("revoked"));
    app.delete("/api/v1/api-keys/999999").await.expect_error(404, "not_found");
}

async fn api_key_input_is_validated(app: TestApp) {
    app.post("/api/v1/api-keys", json!({"name": "x", "scopes": []})).await.expect_error(422, "validation_failed");
    app.post("/api/v1/api-keys", json!({"name": "x", "scopes": ["root"]})).await.expect_error(422, "validation_failed");
    app.post("/api/v1/api-keys", json!({"name": "", "scopes": ["read"]})).await.expect_error(422, "validation_failed");
    app.post("/api/v1/api-keys", json!({"name": "x", "scopes": ["read"], "expires_at": "2001-01-01T00:00:00Z"}))
        .await
        .expect_error(422, "validation_failed");
    let future = app
        .post("/api/v1/api-keys", json!({"name": "x", "scopes": ["read"], "expires_at": "2999-01-01T00:00:00Z"}))
        .await
        .expect(201);
    assert_eq!(future["expires_at"], "2999-01-01T00:00:00Z");
    assert_eq!(app.get("/api/v1/api-keys").await.expect(200).as_array().unwrap().len(), 1);
}

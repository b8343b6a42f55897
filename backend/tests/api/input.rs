//! Bad input of every kind gets a 4xx in the API's error shape, never a 500.

use reqwest::header::CONTENT_TYPE;
use serde_json::json;

use crate::helpers::TestApp;

on_both_backends!(
    malformed_bodies_are_refused_in_the_error_shape,
    oversized_bodies_are_refused_with_413,
    bad_paths_and_queries_are_refused_in_the_error_shape,
);

async fn send_raw(app: &TestApp, content_type: &str, body: impl Into<reqwest::Body>) -> crate::helpers::Answer {
    let res = app
        .client
        .post(app.url("/api/v1/contacts"))
        .bearer_auth(&app.admin_token)
        .header(CONTENT_TYPE, content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.json().await.unwrap_or(serde_json::Value::Null);
    crate::helpers::Answer { status, body, headers }
}

async fn malformed_bodies_are_refused_in_the_error_shape(app: TestApp) {
    send_raw(&app, "application/json", "{\"slug\": ").await.expect_error(400, "bad_request");
    send_raw(&app, "application/json", "").await.expect_error(400, "bad_request");
    send_raw(&app, "text/plain", "{\"slug\": \"a\", \"name\": \"A\"}")
        .await
        .expect_error(415, "unsupported_media_type");
    send_raw(&app, "application/json", "{\"slug\": 5, \"name\": \"A\"}").await.expect_error(422, "validation_failed");
    send_raw(&app, "application/json", "[1, 2]").await.expect_error(422, "validation_failed");
    let unknown = send_raw(&app, "application/json", "{\"slug\": \"a\", \"name\": \"A\", \"admin\": true}").await;
    let body = unknown.expect_error(422, "validation_failed");
    assert!(body["message"].as_str().unwrap().contains("admin"), "names the unknown field: {body}");
    send_raw(&app, "application/json", "{\"name\": \"A\"}").await.expect_error(422, "validation_failed");
    assert_eq!(app.get("/api/v1/contacts").await.expect(200)["total"], 0);
}

async fn oversized_bodies_are_refused_with_413(app: TestApp) {
    let huge = json!({"slug": "a", "name": "x".repeat(70 * 1024)}).to_string();
    send_raw(&app, "application/json", huge).await.expect_error(413, "payload_too_large");
    assert_eq!(app.get("/api/v1/contacts").await.expect(200)["total"], 0);
}

async fn bad_paths_and_queries_are_refused_in_the_error_shape(app: TestApp) {
    app.get("/api/v1/destinations/not-a-number").await.expect_error(400, "bad_request");
    app.get("/api/v1/contacts?limit=ten").await.expect_error(400, "bad_request");
    app.get("/api/v1/contacts?colour=blue").await.expect_error(400, "bad_request");
    app.get("/api/v1/no-such-thing").await.expect_error(404, "not_found");
    app.delete("/api/v1/media").await.expect_error(404, "not_found");
}

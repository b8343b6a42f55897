use serde_json::json;

use crate::helpers::TestApp;

on_both_backends!(health_readiness_and_metrics_answer_without_credentials, the_api_documentation_is_served,);

async fn health_readiness_and_metrics_answer_without_credentials(app: TestApp) {
    let client = &app.client;
    let healthz = client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(healthz.status(), 200);
    let readyz = client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(readyz.status(), 200);
    // Without TOCSIN_PUBLIC_URL the operator is told what that means.
    let text = readyz.text().await.unwrap();
    assert!(text.starts_with("ready\n"), "{text}");
    assert!(text.contains("TOCSIN_PUBLIC_URL is not set"), "{text}");

    app.get("/api/v1/contacts").await.expect(200);
    app.post("/api/v1/contacts", json!({"slug": "x"})).await.expect(422);
    let metrics = client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(
        metrics.contains(r#"tocsin_http_requests_total{method="GET",route="/api/v1/contacts",status="200"} 1"#),
        "{metrics}"
    );
    assert!(metrics.contains(r#"status="422""#));
    assert!(metrics.contains("tocsin_http_request_duration_seconds_bucket"));
    assert!(metrics.contains("tocsin_db_pool_max 4"), "{metrics}");

    // The queue and the dispatcher's work.
    app.create_contact("ana").await;
    app.post("/api/v1/contacts/ana/destinations", json!({"medium": "inbox", "settings": {"operator": "admin"}}))
        .await
        .expect(201);
    let fired = app.post("/api/v1/contacts/ana/notify", json!({"message": "m"})).await.expect(201);
    crate::firing::wait_for_notification(&app, fired["notification_id"].as_str().unwrap(), |n| {
        n["deliveries"][0]["status"] == "delivered"
    })
    .await;
    let metrics = client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains(r#"tocsin_delivery_attempts_total{medium="inbox",outcome="delivered"} 1"#), "{metrics}");
    assert!(metrics.contains("tocsin_delivery_first_attempt_seconds_count 1"), "{metrics}");
    assert!(metrics.contains("tocsin_queue_oldest_due_seconds 0"), "{metrics}");
}

async fn the_api_documentation_is_served(app: TestApp) {
    let spec: serde_json::Value =
        app.client.get(app.url("/api/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(spec["paths"]["/api/v1/contacts"]["post"]["operationId"] == "create_contact");

    let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let bare = no_redirects.get(app.url("/api/docs")).send().await.unwrap();
    assert_eq!(bare.status(), 301);
    let page = app.client.get(app.url("/api/docs/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    // The UI's assets are served by Tocsin itself, so the page works offline.
    let js = app.client.get(app.url("/api/docs/swagger-ui-bundle.js")).send().await.unwrap();
    assert_eq!(js.status(), 200);
    assert!(js.bytes().await.unwrap().len() > 100_000);
}

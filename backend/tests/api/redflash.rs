//! RedFlash's HTTP API, row by row of REDFLASH.md's table, over HTTP/1.1 and HTTP/1.0.

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::firing::wait_for_notification;
use crate::helpers::TestApp;
use crate::sink::Sink;

on_both_backends!(
    the_checks_run_in_redflash_order_with_its_bodies,
    accepted_fires_answer_201_with_the_notification_id,
    gets_describe_contacts_and_groups_to_read_keys,
    http_1_0_clients_get_a_content_length,
    legacy_webhooks_get_the_redflash_form_post,
    multipart_bodies_are_read_like_forms,
);

/// POSTs a form body (or sends `method`) and returns status and the raw body.
async fn legacy(app: &TestApp, method: reqwest::Method, path: &str, form: &str) -> (u16, String) {
    let res = app
        .client
        .request(method, app.url(path))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form.to_owned())
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn post(app: &TestApp, path: &str, form: &str) -> (u16, String) {
    legacy(app, reqwest::Method::POST, path, form).await
}

struct Keys {
    send: String,
    read: String,
    admin: String,
}

async fn directory(app: &TestApp) -> Keys {
    app.post("/api/v1/contacts", json!({"slug": "Demo-User", "name": "Demo User"})).await.expect(201);
    app.post("/api/v1/contacts", json!({"slug": "disabled-user", "name": "Disabled User", "enabled": false}))
        .await
        .expect(201);
    app.post("/api/v1/contacts/demo-user/destinations", json!({"medium": "inbox", "settings": {"operator": "admin"}}))
        .await
        .expect(201);
    app.post(
        "/api/v1/groups",
        json!({"slug": "demo-group", "name": "Demo Group", "members": ["demo-user", "disabled-user"]}),
    )
    .await
    .expect(201);
    app.post("/api/v1/groups", json!({"slug": "disabled-group", "name": "Disabled Group", "enabled": false}))
        .await
        .expect(201);
    app.post(
        "/api/v1/events",
        json!({"slug": "server-overload", "name": "Server Overload", "targets": {"contacts": ["demo-user"]},
               "templates": {"body": "Test server overload event {{y}}: {{x}}"}, "escape": "html"}),
    )
    .await
    .expect(201);
    app.post("/api/v1/events", json!({"slug": "disabled-event", "name": "Disabled event", "enabled": false}))
        .await
        .expect(201);
    Keys {
        send: app.api_key("non-admin", &["send"]).await,
        read: app.api_key("reader", &["read"]).await,
        admin: app.api_key("admin", &["admin"]).await,
    }
}

async fn the_checks_run_in_redflash_order_with_its_bodies(app: TestApp) {
    let keys = directory(&app).await;
    let k = &keys.send;
    let cases: Vec<(reqwest::Method, String, String, u16, &str)> = vec![
        (
            reqwest::Method::POST,
            "/contact/demo-user/".into(),
            "message=hi".into(),
            500,
            r#"{"message":"You must specify your API key"}"#,
        ),
        (
            reqwest::Method::POST,
            "/contact/demo-user/".into(),
            "api_key=&message=hi".into(),
            500,
            r#"{"message":"You must specify your API key"}"#,
        ),
        (
            reqwest::Method::POST,
            "/contact/demo-user/".into(),
            "api_key=nope&message=hi".into(),
            403,
            r#"{"message":"Invalid API key for operation"}"#,
        ),
        (
            reqwest::Method::PUT,
            "/contact/demo-user/".into(),
            format!("api_key={k}&message=hi"),
            403,
            r#"{"message":"Invalid request method"}"#,
        ),
        (
            reqwest::Method::GET,
            "/event/server-overload/".into(),
            format!("api_key={k}"),
            403,
            r#"{"message":"Invalid request method"}"#,
        ),
        (
            reqwest::Method::GET,
            "/contact/demo-user/".into(),
            format!("api_key={k}"),
            403,
            r#"{"message":"Insufficient privileges"}"#,
        ),
        (
            reqwest::Method::POST,
            "/contact/demo-user/".into(),
            format!("api_key={}&message=hi", keys.read),
            403,
            r#"{"message":"Insufficient privileges"}"#,
        ),
        (
            reqwest::Method::POST,
            "/contact/nobody/".into(),
            format!("api_key={k}"),
            500,
            r#"{"message":"Empty message"}"#,
        ),
        (
            reqwest::Method::POST,
            "/group/demo-group/".into(),
            format!("api_key={k}&message="),
            500,
            r#"{"message":"Empty message"}"#,
        ),
        (
            reqwest::Method::POST,
            "/contact/nobody/".into(),
            format!("api_key={k}&message=hi"),
            404,
            r#"{"message":"nobody not found"}"#,
        ),
        (
            reqwest::Method::POST,
            "/contact//".into(),
            format!("api_key={k}&message=hi"),
            404,
            r#"{"message":" not found"}"#,
        ),
        (
            reqwest::Method::POST,
            "/event/nobody/".into(),
            format!("api_key={k}"),
            404,
            r#"{"message":"nobody not found"}"#,
        ),
        (
            reqwest::Method::POST,
            "/contact/disabled-user/".into(),
            format!("api_key={k}&message=hi"),
            404,
            r#"{"message":"Contact 'Disabled User' (disabled-user) is disabled"}"#,
        ),
        (
            reqwest::Method::POST,
            "/group/disabled-group/".into(),
            format!("api_key={k}&message=hi"),
            404,
            r#"{"message":"Group disabled-group is disabled"}"#,
        ),
        (
            reqwest::Method::POST,
            "/event/disabled-event/".into(),
            format!("api_key={k}"),
            404,
            r#"{"message":"Event disabled-event is disabled"}"#,
        ),
        (
            reqwest::Method::GET,
            "/contact/nobody/".into(),
            format!("api_key={}", keys.read),
            404,
            r#"{"message":"Invalid contact: nobody"}"#,
        ),
        (
            reqwest::Method::GET,
            "/group/nobody/".into(),
            format!("api_key={}", keys.read),
            404,
            r#"{"message":"Invalid group: nobody"}"#,
        ),
        (
            reqwest::Method::GET,
            "/contact/disabled-user/".into(),
            format!("api_key={}", keys.read),
            404,
            r#"{"message":"Disabled user"}"#,
        ),
        (
            reqwest::Method::GET,
            "/group/disabled-group/".into(),
            format!("api_key={}", keys.read),
            404,
            r#"{"message":"Disabled group"}"#,
        ),
    ];
    for (method, path, form, status, body) in cases {
        let (got_status, got_body) = legacy(&app, method.clone(), &path, &form).await;
        assert_eq!((got_status, got_body.as_str()), (status, body), "{method} {path} {form}");
    }
    // A revoked key is refused like an unknown one.
    let revoked = app.post("/api/v1/api-keys", json!({"name": "old", "scopes": ["send"]})).await.expect(201);
    app.delete(&format!("/api/v1/api-keys/{}", revoked["id"])).await.expect(200);
    let (status, body) =
        post(&app, "/contact/demo-user/", &format!("api_key={}&message=hi", revoked["secret"].as_str().unwrap())).await;
    assert_eq!((status, body.as_str()), (403, r#"{"message":"Invalid API key for operation"}"#));
    assert_eq!(app.get("/api/v1/notifications").await.expect(200)["total"], 0);
    let _ = keys.admin;
}

fn notification_id(body: &str) -> String {
    let v: Value = serde_json::from_str(body).unwrap();
    assert_eq!(body, format!(r#"{{"message":"OK","notification_id":"{}"}}"#, v["notification_id"].as_str().unwrap()));
    v["notification_id"].as_str().unwrap().to_owned()
}

async fn accepted_fires_answer_201_with_the_notification_id(app: TestApp) {
    let keys = directory(&app).await;
    let k = &keys.send;
    for (path, form) in [
        ("/contact/DEMO-USER/", format!("api_key={k}&message=hello")),
        ("/contact/demo-user", format!("api_key={k}&message=no+trailing+slash")),
        ("/some/prefix/group/demo-group/", format!("api_key={k}&message=prefixed")),
        ("//group/demo-group/", format!("api_key={k}&message=doubled+slash")),
    ] {
        let (status, body) = post(&app, path, &form).await;
        assert_eq!(status, 201, "{path}: {body}");
        notification_id(&body);
    }
    // The key may come in the query string; the message renders the posted fields.
    let (status, body) =
        post(&app, &format!("/event/server-overload/?api_key={k}"), "x=%3Cb%3E&y=1&x=%3Cweb1%3E+%26+%22db%22").await;
    assert_eq!(status, 201, "{body}");
    let id = notification_id(&body);
    let n = wait_for_notification(&app, &id, |n| n["deliveries"][0]["status"] == "delivered").await;
    assert_eq!(n["body"], "Test server overload event 1: &lt;web1&gt; &amp; &quot;db&quot;");
    assert!(n["args"].get("api_key").is_none(), "the key is not part of the template context");
    // A group fire reaches the enabled members only.
    let (_, body) = post(&app, "/group/demo-group/", &format!("api_key={k}&message=team")).await;
    let n = app.get(&format!("/api/v1/notifications/{}", notification_id(&body))).await.expect(200);
    assert_eq!(n["deliveries"].as_array().unwrap().len(), 1);
    assert_eq!(n["skipped"][0]["reason"], "contact_disabled");
    // The web app's plural paths are never taken for RedFlash routes.
    let (status, _) = post(&app, "/contacts/demo-user/", &format!("api_key={k}&message=x")).await;
    assert_eq!(status, 404);
}

/// What `curl -F` sends: each field a part; a file part is not a form field.
async fn multipart_bodies_are_read_like_forms(app: TestApp) {
    let keys = directory(&app).await;
    let boundary = "------------------------d74496d66958873e";
    let part = |name: &str, value: &str| {
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
    };
    let body = [
        part("api_key", &keys.send),
        part("x", "<web1>"),
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"y\"; filename=\"y.txt\"\r\n\
             Content-Type: text/plain\r\n\r\nfrom a file\r\n"
        ),
        format!("--{boundary}--\r\n"),
    ]
    .concat();
    let res = app
        .client
        .post(app.url("/event/server-overload/"))
        .header("Content-Type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    assert_eq!(status, 201, "{text}");
    let n = app.get(&format!("/api/v1/notifications/{}", notification_id(&text))).await.expect(200);
    assert_eq!(n["body"], "Test server overload event : &lt;web1&gt;", "the file part is not a field");

    // The key in a multipart body lets a prefixed path through, like a form's.
    let body =
        [part("api_key", &keys.send), part("message", "multipart hello"), format!("--{boundary}--\r\n")].concat();
    let res = app
        .client
        .post(app.url("/prefix//contact/demo-user"))
        .header("Content-Type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
    let n =
        app.get(&format!("/api/v1/notifications/{}", notification_id(&res.text().await.unwrap()))).await.expect(200);
    assert_eq!(n["body"], "multipart hello");
}

async fn gets_describe_contacts_and_groups_to_read_keys(app: TestApp) {
    let keys = directory(&app).await;
    let (status, body) =
        legacy(&app, reqwest::Method::GET, &format!("/contact/demo-user/?api_key={}", keys.read), "").await;
    assert_eq!((status, body.as_str()), (200, r#"{"name":"Demo User","slug":"Demo-User"}"#));
    let (status, body) =
        legacy(&app, reqwest::Method::GET, &format!("/group/demo-group/?api_key={}", keys.admin), "").await;
    assert_eq!(
        (status, body.as_str()),
        (200, r#"{"short_contacts":["Demo-User","disabled-user"],"name":"Demo Group","slug":"demo-group"}"#)
    );
}

/// Sends a raw HTTP/1.0 request and reads until the server closes.
async fn http_1_0(app: &TestApp, request: String) -> String {
    let address = app.address.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(std::time::Duration::from_secs(30), stream.read_to_end(&mut response)).await.unwrap().unwrap();
    String::from_utf8_lossy(&response).into_owned()
}

async fn http_1_0_clients_get_a_content_length(app: TestApp) {
    let keys = directory(&app).await;
    let form = format!("api_key={}&message=old+client", keys.send);
    let request = format!(
        "POST /contact/demo-user/ HTTP/1.0\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
        form.len()
    );
    let response = http_1_0(&app, request).await;
    assert!(response.starts_with("HTTP/1.0 201") || response.starts_with("HTTP/1.1 201"), "{response}");
    let lower = response.to_ascii_lowercase();
    assert!(lower.contains("content-length:"), "{response}");
    assert!(!lower.contains("transfer-encoding: chunked"), "{response}");
    let body = response.split("\r\n\r\n").nth(1).unwrap();
    notification_id(body);
    let error = http_1_0(&app, "GET /contact/demo-user/ HTTP/1.0\r\n\r\n".into()).await;
    assert!(error.contains("You must specify your API key"), "{error}");
}

async fn legacy_webhooks_get_the_redflash_form_post(app: TestApp) {
    let keys = directory(&app).await;
    let sink = Sink::start().await;
    app.post(
        "/api/v1/contacts/demo-user/destinations",
        json!({"medium": "webhook", "settings": {"url": format!("{}/legacy/", sink.url), "format": "redflash"}}),
    )
    .await
    .expect(201);
    let (status, body) = post(&app, "/contact/demo-user/", &format!("api_key={}&message=a+%26+b", keys.send)).await;
    assert_eq!(status, 201);
    let id = notification_id(&body);
    let got = sink.wait_for(1).await;
    assert_eq!(got[0].method, "POST");
    assert_eq!(got[0].path, format!("/legacy/{id}"));
    assert_eq!(got[0].headers["content-type"], "application/x-www-form-urlencoded");
    assert_eq!(got[0].body, format!("notification_id={id}&message=a+%26+b"));
}

//! Logins under attack: bursts, strangers failing as `admin`, forged
//! `X-Forwarded-For`, sessions that must end, weak signing keys, and the audit
//! trail of it all. Other client addresses are other loopback addresses
//! (127.0.0.2, …), bound as the source of the connection.

use std::net::IpAddr;

use reqwest::Method;
use serde_json::{json, Value};
use tocsin_server::settings::Settings;
use tocsin_server::startup::Application;

use crate::helpers::{spawn_with, test_settings, Backend, TestApp, TestDb, ADMIN_PASSWORD};

/// A client whose connections come from `source`.
fn client_from(source: &str) -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let ip: IpAddr = source.parse().unwrap();
    reqwest::Client::builder().local_address(ip).build().unwrap()
}

async fn login(app: &TestApp, client: &reqwest::Client, password: &str, forwarded_for: Option<&str>) -> (u16, Value) {
    let mut request = client.post(app.url("/api/v1/session")).json(&json!({"username": "admin", "password": password}));
    if let Some(hop) = forwarded_for {
        request = request.header("X-Forwarded-For", hop);
    }
    let res = request.send().await.unwrap();
    let status = res.status().as_u16();
    let retry_after = res.headers().get("retry-after").is_some();
    let mut body: Value = res.json().await.unwrap_or(Value::Null);
    body["has_retry_after"] = json!(retry_after);
    (status, body)
}

async fn app(backend: Backend, configure: impl FnOnce(&mut Settings)) -> TestApp {
    let (db, url) = TestDb::create(backend).await;
    let mut settings = test_settings(&url);
    configure(&mut settings);
    spawn_with(backend, db, settings).await
}

/// The reported hole: sixty concurrent wrong passwords took about 900 MB and
/// locked `admin` out from every address.
async fn a_burst_of_wrong_passwords_is_refused_without_hashing_and_locks_out_only_its_address(backend: Backend) {
    let app = app(backend, |_| {}).await;
    let attacker = client_from("127.0.0.1");
    let burst = (0..20).map(|_| login(&app, &attacker, "guess", None));
    let answers = futures_util::future::join_all(burst).await;
    let unauthorized = answers.iter().filter(|(s, _)| *s == 401).count();
    let limited: Vec<&Value> = answers.iter().filter(|(s, _)| *s == 429).map(|(_, b)| b).collect();
    assert_eq!(unauthorized + limited.len(), 20, "{answers:?}");
    // A check needs fewer than 3 failures on record (the tests' limit) and
    // fewer than 2 checks in flight: at most 3 + 2 - 1 passwords were hashed.
    assert!(unauthorized <= 4, "{unauthorized} passwords were checked");
    assert!(limited.iter().all(|b| b["error"] == "rate_limited" && b["has_retry_after"] == true), "{limited:?}");

    // Refused attempts were never checked, so they count as no failure; a few
    // more wrong ones, one at a time, lock the attacker's address out...
    let mut tries = 0;
    while login(&app, &attacker, "guess", None).await.0 == 401 {
        tries += 1;
        assert!(tries <= 3, "never locked out");
    }
    // ...even for the right password...
    assert_eq!(login(&app, &attacker, ADMIN_PASSWORD, None).await.0, 429);
    // ...but admin, from anywhere else, logs in.
    let (status, body) = login(&app, &client_from("127.0.0.2"), ADMIN_PASSWORD, None).await;
    assert_eq!(status, 200, "{body}");
}

async fn behind_a_trusted_proxy_the_forwarded_client_is_throttled(backend: Backend) {
    let app = app(backend, |s| s.http.trusted_proxies = vec!["127.0.0.1".into()]).await;
    let proxy = client_from("127.0.0.1");
    for _ in 0..3 {
        assert_eq!(login(&app, &proxy, "guess", Some("198.51.100.1")).await.0, 401);
    }
    assert_eq!(login(&app, &proxy, ADMIN_PASSWORD, Some("198.51.100.1")).await.0, 429);
    // Another client behind the same proxy is not, even one that sends bytes
    // that are not text in front of the hop the proxy appended.
    assert_eq!(login(&app, &proxy, ADMIN_PASSWORD, Some("198.51.100.2")).await.0, 200);
    for _ in 0..3 {
        let res = proxy
            .post(app.url("/api/v1/session"))
            .json(&json!({"username": "admin", "password": "guess"}))
            .header("X-Forwarded-For", reqwest::header::HeaderValue::from_bytes(b"\xff\xfe, 198.51.100.3").unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 401);
    }
    assert_eq!(login(&app, &proxy, ADMIN_PASSWORD, Some("198.51.100.3")).await.0, 429);
    assert_eq!(login(&app, &proxy, ADMIN_PASSWORD, Some("198.51.100.4")).await.0, 200);
    // A client that is not the proxy cannot pick its address with the header.
    let direct = client_from("127.0.0.3");
    for _ in 0..3 {
        assert_eq!(login(&app, &direct, "guess", Some("198.51.100.9")).await.0, 401);
    }
    assert_eq!(login(&app, &direct, ADMIN_PASSWORD, Some("198.51.100.10")).await.0, 429);
}

async fn without_trusted_proxies_forwarded_for_is_ignored(backend: Backend) {
    let app = app(backend, |_| {}).await;
    let client = client_from("127.0.0.4");
    for i in 0..3 {
        let hop = format!("203.0.113.{i}");
        assert_eq!(login(&app, &client, "guess", Some(&hop)).await.0, 401);
    }
    assert_eq!(login(&app, &client, ADMIN_PASSWORD, Some("203.0.113.77")).await.0, 429);
}

async fn a_password_reset_or_disabling_ends_the_operators_sessions(backend: Backend) {
    let app = app(backend, |_| {}).await;
    let ana = app.operator_token("ana", "operator").await;
    let me = |token: String| {
        let app = &app;
        async move { app.call(Method::GET, "/api/v1/me", Some(&token), None).await }
    };
    me(ana.clone()).await.expect(200);
    app.patch("/api/v1/operators/ana", json!({"password": "a-new-long-password"})).await.expect(200);
    me(ana).await.expect_error(401, "unauthorized");

    let fresh = app.login("ana", "a-new-long-password").await;
    me(fresh.clone()).await.expect(200);
    // A role change alone keeps the session (the role is read on each request).
    app.patch("/api/v1/operators/ana", json!({"role": "viewer"})).await.expect(200);
    me(fresh.clone()).await.expect(200);
    app.patch("/api/v1/operators/ana", json!({"enabled": false})).await.expect(200);
    app.patch("/api/v1/operators/ana", json!({"enabled": true})).await.expect(200);
    // Enabled again, the old session stays ended.
    me(fresh).await.expect_error(401, "unauthorized");
    app.login("ana", "a-new-long-password").await;
}

async fn logins_acknowledges_resolves_replays_and_test_messages_are_audited(backend: Backend) {
    let app = app(backend, |_| {}).await;
    let stranger = client_from("127.0.0.5");
    assert_eq!(login(&app, &stranger, "wrong", None).await.0, 401);
    app.create_contact("me").await;
    let dest = app
        .post("/api/v1/contacts/me/destinations", json!({"medium": "inbox", "settings": {"operator": "admin"}}))
        .await
        .expect(201);
    let test = app.post(&format!("/api/v1/destinations/{}/test", dest["id"]), json!({})).await.expect(201);
    let id = test["notification_id"].as_str().unwrap();
    app.post(&format!("/api/v1/notifications/{id}/acknowledge"), json!({})).await.expect(200);
    app.post(&format!("/api/v1/notifications/{id}/resolve"), json!({})).await.expect(200);
    // A second acknowledge changes nothing and writes nothing.
    app.post(&format!("/api/v1/notifications/{id}/acknowledge"), json!({})).await.expect(200);

    let audit = app.get("/api/v1/audit?limit=100").await.expect(200);
    let items = audit["items"].as_array().unwrap();
    let find = |action: &str| items.iter().filter(|e| e["action"] == action).cloned().collect::<Vec<Value>>();
    let failed = find("session.login_failed");
    assert_eq!(failed.len(), 1, "{audit:#}");
    assert_eq!(failed[0]["target"], "admin");
    assert_eq!(failed[0]["detail"]["address"], "127.0.0.5");
    assert!(!audit.to_string().contains("\"wrong\""), "no password in the audit log");
    assert!(find("session.login").iter().any(|e| e["detail"]["address"] == "127.0.0.1"));
    assert_eq!(find("destination.test").len(), 1);
    assert_eq!(find("notification.acknowledge").len(), 1);
    assert_eq!(find("notification.resolve").len(), 1);
    assert_eq!(find("notification.acknowledge")[0]["target"], id);
}

async fn a_failed_delivery_replayed_is_audited(backend: Backend) {
    let app = app(backend, |_| {}).await;
    let sink = crate::sink::Sink::start().await;
    sink.answer_with(&[404]);
    crate::firing::webhook_contact(&app, &sink, json!({})).await;
    let fired = app.post("/api/v1/contacts/hook/notify", json!({"message": "x"})).await.expect(201);
    let id = fired["notification_id"].as_str().unwrap();
    let n = crate::firing::wait_for_notification(&app, id, |n| n["deliveries"][0]["status"] == "failed").await;
    let delivery = n["deliveries"][0]["id"].as_i64().unwrap();
    app.post(&format!("/api/v1/deliveries/{delivery}/replay"), json!({})).await.expect(201);
    let audit = app.get("/api/v1/audit?limit=100").await.expect(200);
    let replays: Vec<&Value> =
        audit["items"].as_array().unwrap().iter().filter(|e| e["action"] == "delivery.replay").collect();
    assert_eq!(replays.len(), 1, "{audit:#}");
    assert_eq!(replays[0]["target"], delivery.to_string());
}

#[tokio::test]
async fn a_short_jwt_secret_is_refused_at_start() {
    let (_db, url) = TestDb::create(Backend::Sqlite).await;
    let mut settings = test_settings(&url);
    settings.jwt_secret = Some("only-twenty-one-bytes".into());
    let err = Application::build(settings).await.err().expect("a short secret is refused");
    let message = err.to_string();
    assert!(message.contains("TOCSIN_JWT_SECRET") && message.contains("32"), "{message}");
}

for_both_backends!(
    a_burst_of_wrong_passwords_is_refused_without_hashing_and_locks_out_only_its_address,
    behind_a_trusted_proxy_the_forwarded_client_is_throttled,
    without_trusted_proxies_forwarded_for_is_ignored,
    a_password_reset_or_disabling_ends_the_operators_sessions,
    logins_acknowledges_resolves_replays_and_test_messages_are_audited,
    a_failed_delivery_replayed_is_audited
);

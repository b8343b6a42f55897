//! Email through a real SMTP conversation with a sink on loopback.

use serde_json::json;
use tocsin_server::delivery::channels::email::SmtpTls;

use crate::firing::wait_for_notification;
use crate::helpers::{spawn_with, test_settings, Backend, TestApp, TestDb};
use crate::smtp::{free_port, SmtpSink};

async fn app_with_smtp(backend: Backend, port: u16) -> TestApp {
    let (db, url) = TestDb::create(backend).await;
    let mut settings = test_settings(&url);
    settings.smtp.host = Some("127.0.0.1".into());
    settings.smtp.port = port;
    settings.smtp.tls = SmtpTls::None;
    settings.smtp.from = "Tocsin <alerts@tocsin.test>".into();
    settings.smtp.timeout_ms = 5_000;
    spawn_with(backend, db, settings).await
}

async fn email_contact(app: &TestApp) {
    app.create_contact("ana").await;
    app.post(
        "/api/v1/contacts/ana/destinations",
        json!({"medium": "email", "settings": {"address": "ana@example.com"}}),
    )
    .await
    .expect(201);
    app.post(
        "/api/v1/events",
        json!({"slug": "disk-full", "name": "Disk full", "targets": {"contacts": ["ana"]},
               "templates": {"subject": "Disk full on {{ host }}", "body": "{{ host }} is full"}}),
    )
    .await
    .expect(201);
}

async fn an_email_is_sent_through_smtp(backend: Backend) {
    let (sink, port) = SmtpSink::start(0).await;
    let app = app_with_smtp(backend, port).await;
    email_contact(&app).await;
    let fired = app.post("/api/v1/events/disk-full/fire", json!({"args": {"host": "db1"}})).await.expect(201);
    let id = fired["notification_id"].as_str().unwrap();
    let mails = sink.wait_for(1).await;
    assert_eq!(mails[0].rcpt_to, ["ana@example.com"]);
    assert_eq!(mails[0].header("Subject").as_deref(), Some("Disk full on db1"));
    assert!(mails[0].data.contains("db1 is full"));
    let n = wait_for_notification(&app, id, |n| n["deliveries"][0]["status"] == "sent").await;
    assert!(n["deliveries"][0]["provider_message_id"]
        .as_str()
        .unwrap()
        .contains(&n["deliveries"][0]["id"].to_string()));
}

async fn an_smtp_server_that_is_down_then_up_gets_the_mail(backend: Backend) {
    let port = free_port();
    let app = app_with_smtp(backend, port).await;
    email_contact(&app).await;
    let fired = app.post("/api/v1/events/disk-full/fire", json!({"args": {"host": "db2"}})).await.expect(201);
    let id = fired["notification_id"].as_str().unwrap();
    // Nothing listens: the delivery goes back to the queue with an error.
    wait_for_notification(&app, id, |n| n["deliveries"][0]["attempts"].as_i64().unwrap_or(0) >= 2).await;
    let (sink, _) = SmtpSink::start(port).await;
    sink.wait_for(1).await;
    let n = wait_for_notification(&app, id, |n| n["deliveries"][0]["status"] == "sent").await;
    let kinds: Vec<&str> =
        n["deliveries"][0]["timeline"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"retry") && kinds.ends_with(&["sent"]), "{kinds:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_an_email_is_sent_through_smtp() {
    an_email_is_sent_through_smtp(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_an_email_is_sent_through_smtp() {
    an_email_is_sent_through_smtp(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_an_smtp_server_that_is_down_then_up_gets_the_mail() {
    an_smtp_server_that_is_down_then_up_gets_the_mail(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_an_smtp_server_that_is_down_then_up_gets_the_mail() {
    an_smtp_server_that_is_down_then_up_gets_the_mail(Backend::Postgres).await;
}

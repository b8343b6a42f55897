#![allow(clippy::unwrap_used, clippy::expect_used)]

//! The `tocsin-cli` binary against a server in this process: its output and
//! each exit code its `--help` documents.

mod server;

use serde_json::{json, Value};
use tocsin_client::types::{EventTargets, EventTemplates, NewEvent, NewGroup, Notification, Scope};

use crate::server::{closed_port, webhook_sink, Server};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn expect(self, code: i32) -> Self {
        assert_eq!(self.code, code, "exit code; stdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: not JSON:\n{}", self.stdout))
    }
}

/// Runs the binary with `TOCSIN_URL` and `TOCSIN_API_KEY` set (when given).
async fn cli(url: Option<&str>, key: Option<&str>, args: &[&str]) -> Run {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tocsin-cli"));
    command.args(args).env_remove("TOCSIN_URL").env_remove("TOCSIN_API_KEY");
    if let Some(url) = url {
        command.env("TOCSIN_URL", url);
    }
    if let Some(key) = key {
        command.env("TOCSIN_API_KEY", key);
    }
    // The server runs on this test's runtime: wait for the process off it.
    let output = tokio::task::spawn_blocking(move || command.output()).await.unwrap().unwrap();
    Run {
        code: output.status.code().expect("an exit code"),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

/// A server with a key that may send and read, and an inbox contact `ana`.
async fn with_key() -> (Server, String) {
    let server = Server::start().await;
    let key = server.api_key(&[Scope::Send, Scope::Read]).await;
    server.inbox_contact("ana").await;
    (server, key)
}

async fn disk_full_event(server: &Server) {
    let event = NewEvent {
        slug: "disk-full".into(),
        name: "Disk full".into(),
        description: None,
        enabled: None,
        severity: None,
        targets: EventTargets { contacts: vec!["ana".into()], groups: vec![] },
        templates: EventTemplates {
            subject: "Disk full on {{ host }}".into(),
            body: "{{ host }}: {{ mount }} is full".into(),
            sms: String::new(),
        },
        escape: None,
        uei: None,
    };
    server.admin.create_event(&event).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fire_with_wait_exits_0_once_delivered_and_a_dedup_key_attaches() {
    let (server, key) = with_key().await;
    disk_full_event(&server).await;
    let url = Some(server.url.as_str());
    let args = ["fire", "disk-full", "--arg", "host=db1", "--arg", "mount=/var", "--dedup-key", "db1:/var", "--wait"];
    let run = cli(url, Some(&key), &args).await.expect(0);
    assert!(run.stdout.starts_with("accepted: notification "), "{}", run.stdout);
    assert!(run.stdout.contains("1 delivery queued"), "{}", run.stdout);
    assert!(run.stdout.contains("delivered"), "{}", run.stdout);
    let id = run.stdout.split_whitespace().nth(2).unwrap().trim_end_matches(',');
    let n = server.admin.get_notification(id).await.unwrap();
    assert_eq!(n.args, json!({"host": "db1", "mount": "/var"}));
    assert_eq!(n.body, "db1: /var is full");
    assert_eq!(n.dedup_key.as_deref(), Some("db1:/var"));

    let again = cli(url, Some(&key), &["fire", "disk-full", "--dedup-key", "db1:/var"]).await.expect(0);
    assert_eq!(again.stdout, format!("attached to open notification {id} (nobody paged again)\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_output_has_the_shapes_of_the_api() {
    let (server, key) = with_key().await;
    disk_full_event(&server).await;
    let url = Some(server.url.as_str());
    let fired = cli(url, Some(&key), &["--json", "fire", "disk-full", "--arg", "host=db2"]).await.expect(0).json();
    assert_eq!(fired["deliveries"], 1);
    assert_eq!(fired["attached"], false);
    let id = fired["notification_id"].as_str().unwrap();

    let waited =
        cli(url, Some(&key), &["notify", "contact", "ana", "hello", "--wait", "--json"]).await.expect(0).json();
    assert_eq!(waited["accepted"]["deliveries"], 1);
    assert_eq!(waited["notification"]["deliveries"][0]["status"], "delivered");

    let status = cli(url, Some(&key), &["status", id, "--json"]).await.expect(0);
    let n: Notification = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(n.id, id);
    let events = cli(url, Some(&key), &["--json", "events"]).await.expect(0).json();
    assert_eq!(events[0]["slug"], "disk-full");
    let contacts = cli(url, Some(&key), &["--json", "contacts"]).await.expect(0).json();
    assert_eq!(contacts[0]["destinations"][0]["medium"], "inbox");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_is_paged_in_one_line_then_acknowledged_resolved_and_shown() {
    let (server, key) = with_key().await;
    server.inbox_contact("bob").await;
    let group = NewGroup {
        slug: "ops".into(),
        name: "Ops".into(),
        description: None,
        enabled: None,
        schedule: None,
        members: vec!["ana".into(), "bob".into()],
    };
    server.admin.create_group(&group).await.unwrap();
    let url = Some(server.url.as_str());
    let paged = cli(url, Some(&key), &["notify", "group", "ops", "db1 is down", "--subject", "Outage", "--wait"])
        .await
        .expect(0);
    assert!(paged.stdout.contains("2 deliveries queued"), "{}", paged.stdout);
    let id = paged.stdout.split_whitespace().nth(2).unwrap().trim_end_matches(',').to_owned();
    assert_eq!(server.admin.get_notification(&id).await.unwrap().subject, "Outage");

    let acked = cli(url, Some(&key), &["ack", &id]).await.expect(0);
    assert_eq!(acked.stdout, format!("acknowledged {id} (state: acknowledged)\n"));
    let resolved = cli(url, Some(&key), &["resolve", &id]).await.expect(0);
    assert_eq!(resolved.stdout, format!("resolved {id} (state: resolved)\n"));

    let status = cli(url, Some(&key), &["status", &id]).await.expect(0).stdout;
    assert!(status.starts_with(&format!("notification {id}\n")), "{status}");
    assert!(status.contains("state:    resolved"), "{status}");
    let lines: Vec<&str> = status.lines().collect();
    let deliveries = lines.iter().position(|l| *l == "deliveries").unwrap();
    assert!(lines[deliveries + 1].starts_with("ID  CONTACT  MEDIUM  ADDRESS  STATUS     ATTEMPTS"), "{status}");
    assert!(lines[deliveries + 2].contains(" ana      inbox   admin    delivered  1"), "{status}");
    assert!(lines[deliveries + 3].contains(" bob      inbox   admin    delivered  1"), "{status}");
    let timeline = lines.iter().position(|l| *l == "timeline").unwrap();
    assert!(lines[timeline + 1].starts_with("AT (UTC)"), "{status}");
    let kinds: Vec<&str> = lines[timeline + 2..].iter().map(|l| l.split_whitespace().nth(3).unwrap()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "delivered").count(), 2, "{status}");
    assert_eq!(kinds[kinds.len() - 2..], ["acknowledged", "resolved"], "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_and_contacts_are_listed_as_tables() {
    let (server, key) = with_key().await;
    disk_full_event(&server).await;
    server.contact("bob").await;
    let url = Some(server.url.as_str());
    let events = cli(url, Some(&key), &["events"]).await.expect(0).stdout;
    assert_eq!(
        events,
        "SLUG       NAME       SEVERITY  ENABLED  TARGETS\ndisk-full  Disk full  warning   yes      contact ana\n"
    );
    let contacts = cli(url, Some(&key), &["contacts"]).await.expect(0).stdout;
    assert_eq!(
        contacts,
        "SLUG  NAME         ENABLED  DESTINATIONS\nana   Contact ana  yes      inbox admin\nbob   Contact bob  yes\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_exits_2() {
    let (server, key) = with_key().await;
    let (url, key) = (Some(server.url.as_str()), Some(key.as_str()));
    for args in [
        &[][..],
        &["fire"],
        &["fire", "disk-full", "--arg", "no-equals-sign"],
        &["fire", "disk-full", "--timeout", "5s"],
        &["fire", "disk-full", "--wait", "--timeout", "soon"],
        &["notify", "team", "ops", "hello"],
        &["launch"],
    ] {
        let run = cli(url, key, args).await;
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
    }
    let empty = cli(url, key, &["notify", "contact", "ana", ""]).await.expect(2);
    assert!(empty.stderr.contains("message: must not be empty"), "{}", empty.stderr);
    let empty = cli(url, key, &["--json", "notify", "contact", "ana", " "]).await.expect(2);
    let error: Value = serde_json::from_str(&empty.stderr).unwrap();
    assert_eq!(error["error"], "validation_failed");
    assert_eq!(error["status"], 422);
    assert_eq!(error["details"], json!({"field": "message"}));
    let no_url = cli(None, key, &["events"]).await.expect(2);
    assert!(no_url.stderr.contains("TOCSIN_URL"), "{}", no_url.stderr);
    let no_key = cli(url, None, &["events"]).await.expect(2);
    assert!(no_key.stderr.contains("TOCSIN_API_KEY"), "{}", no_key.stderr);
    // Flags stand in for the environment.
    cli(None, None, &["events", "--url", &server.url, "--api-key", key.unwrap()]).await.expect(0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_credentials_exit_3() {
    let (server, _) = with_key().await;
    let url = Some(server.url.as_str());
    let unknown = cli(url, Some("tsk_not-a-key"), &["events"]).await.expect(3);
    assert!(unknown.stderr.contains("HTTP 401"), "{}", unknown.stderr);
    let reader = server.api_key(&[Scope::Read]).await;
    let forbidden = cli(url, Some(&reader), &["notify", "contact", "ana", "hi"]).await.expect(3);
    assert!(forbidden.stderr.contains("HTTP 403"), "{}", forbidden.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_events_contacts_and_notifications_exit_4() {
    let (server, key) = with_key().await;
    let (url, key) = (Some(server.url.as_str()), Some(key.as_str()));
    let ghost = cli(url, key, &["fire", "ghost"]).await.expect(4);
    assert!(ghost.stderr.contains("not_found"), "{}", ghost.stderr);
    cli(url, key, &["notify", "group", "ghost", "hi"]).await.expect(4);
    for command in ["status", "ack", "resolve"] {
        cli(url, key, &[command, "0123456789abcdef0123456789abcdef"]).await.expect(4);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_server_exits_5() {
    let url = closed_port().await;
    let run = cli(Some(&url), Some("tsk_any"), &["fire", "disk-full"]).await.expect(5);
    assert!(run.stderr.contains("cannot reach the server"), "{}", run.stderr);
    let run = cli(Some(&url), Some("tsk_any"), &["--json", "events"]).await.expect(5);
    let error: Value = serde_json::from_str(&run.stderr).unwrap();
    assert_eq!(error["error"], "unreachable");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_deliveries_exit_6_with_wait() {
    let (server, key) = with_key().await;
    server.webhook_contact("hook", &webhook_sink(Some(400)).await).await;
    let url = Some(server.url.as_str());
    let run = cli(url, Some(&key), &["notify", "contact", "hook", "db1 is down", "--wait"]).await.expect(6);
    assert!(run.stdout.contains("failed"), "{}", run.stdout);
    assert!(run.stderr.contains("1 of 1 deliveries failed or expired"), "{}", run.stderr);
    // Without --wait, acceptance is success.
    cli(url, Some(&key), &["notify", "contact", "hook", "again"]).await.expect(0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_deliveries_exit_7_when_the_wait_times_out() {
    let (server, key) = with_key().await;
    server.webhook_contact("hook", &webhook_sink(None).await).await;
    let url = Some(server.url.as_str());
    let started = std::time::Instant::now();
    let run =
        cli(url, Some(&key), &["notify", "contact", "hook", "anyone?", "--wait", "--timeout", "1s"]).await.expect(7);
    assert!(run.stderr.contains("timed out after 1s"), "{}", run.stderr);
    assert!(run.stderr.contains("1 deliveries still queued or sending"), "{}", run.stderr);
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "the wait ended near its timeout");
}

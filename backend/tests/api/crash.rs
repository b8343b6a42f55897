//! Nothing accepted is lost when the server is killed: a `kill -9` while a
//! fan-out is in flight, then a restart, and every delivery still ends final.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{test_settings, Backend, TestDb, ADMIN_PASSWORD};
use crate::sink::Sink;

struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Webhook sends the server has open at once: the most a kill can catch mid-send.
const IN_FLIGHT: usize = 64;
/// Requests the sink answers before it starts holding them open.
const ANSWERED: usize = 100;

/// Starts the real binary on a free port and waits for its start-up line.
fn start(database_url: &str, lease_ms: u64) -> Server {
    let settings = test_settings(database_url);
    let mut child = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("TOCSIN_CONFIG", "/nonexistent/tocsin.toml")
        .env("TOCSIN_DATABASE_URL", database_url)
        .env("TOCSIN_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("TOCSIN_JWT_SECRET", crate::helpers::JWT_SECRET)
        .env("TOCSIN_OUTBOUND_ALLOW", "127.0.0.0/8")
        .env("TOCSIN_DELIVERY__LEASE_MS", lease_ms.to_string())
        .env("TOCSIN_DELIVERY__RETRY_BASE_MS", settings.delivery.retry_base_ms.to_string())
        .env("TOCSIN_DELIVERY__RETRY_MAX_MS", settings.delivery.retry_max_ms.to_string())
        .env("TOCSIN_DELIVERY__POLL_INTERVAL_MS", "100")
        .env("TOCSIN_DELIVERY__WEBHOOK_CONCURRENCY", IN_FLIGHT.to_string())
        .env("RUST_LOG", "warn")
        .env_remove("MALLOC_ARENA_MAX")
        .env_remove("GLIBC_TUNABLES")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut url = None;
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("Tocsin is running at ") {
            url = Some(rest.split('/').take(3).collect::<Vec<_>>().join("/"));
            break;
        }
    }
    // Keep reading: a closed pipe would fail the server's later prints.
    std::thread::spawn(move || lines.for_each(drop));
    Server { child, url: url.expect("the server printed its address") }
}

async fn crash_during_fan_out_loses_nothing(backend: Backend) {
    const RECIPIENTS: usize = 500;
    let (_db, database_url) = TestDb::create(backend).await;
    let sink = Sink::start().await;
    // The moment of the kill is certain: the sink answers 100 requests, then holds
    // every later one open until the server is gone.
    sink.stall_after(ANSWERED);
    let client = crate::helpers::http_client();
    // Leases are renewed while the sends hang; once the process is dead they
    // run out within a second.
    let server = start(&database_url, 1_000);
    let session: Value = client
        .post(format!("{}/api/v1/session", server.url))
        .json(&json!({"username": "admin", "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = session["token"].as_str().unwrap().to_owned();
    let post =
        |path: String, body: Value| client.post(format!("{}{path}", server.url)).bearer_auth(&token).json(&body).send();
    let mut members = Vec::new();
    for i in 0..RECIPIENTS {
        let slug = format!("c{i}");
        assert_eq!(post("/api/v1/contacts".into(), json!({"slug": slug, "name": slug})).await.unwrap().status(), 201);
        let hook = json!({"medium": "webhook", "settings": {"url": format!("{}/hook/{i}", sink.url)}});
        assert_eq!(post(format!("/api/v1/contacts/{slug}/destinations"), hook).await.unwrap().status(), 201);
        members.push(slug);
    }
    assert_eq!(
        post("/api/v1/groups".into(), json!({"slug": "all", "name": "All", "members": members}))
            .await
            .unwrap()
            .status(),
        201
    );
    let fired: Value =
        post("/api/v1/groups/all/notify".into(), json!({"message": "fan out"})).await.unwrap().json().await.unwrap();
    assert_eq!(fired["deliveries"], RECIPIENTS);
    let id = fired["notification_id"].as_str().unwrap().to_owned();

    sink.wait_for(ANSWERED + 1).await;
    let mut server = server;
    server.child.kill().unwrap(); // SIGKILL: no shutdown, no flushing
    server.child.wait().unwrap();
    sink.set_stalled(false);
    sink.stall_after(usize::MAX);

    // A short lease, so the dead instance's rows are taken over quickly.
    let restarted = start(&database_url, 500);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let final_states = ["delivered", "failed", "expired", "cancelled"];
    let notification = loop {
        let n: Value = client
            .get(format!("{}/api/v1/notifications/{id}", restarted.url))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let deliveries = n["deliveries"].as_array().unwrap();
        if deliveries.iter().all(|d| final_states.contains(&d["status"].as_str().unwrap())) {
            break n;
        }
        assert!(tokio::time::Instant::now() < deadline, "not all final after 60 s: {}", n["counts"]);
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(notification["deliveries"].as_array().unwrap().len(), RECIPIENTS);
    assert_eq!(notification["counts"], json!({"delivered": RECIPIENTS}), "none lost, none failed");
    // Every recipient's endpoint was called at least once; repeats are bounded by
    // what was in flight at the kill.
    let received = sink.received();
    let mut seen = std::collections::HashSet::new();
    for r in &received {
        seen.insert(r.path.clone());
    }
    assert_eq!(seen.len(), RECIPIENTS);
    let mut per_path = std::collections::HashMap::<String, usize>::new();
    for r in &received {
        *per_path.entry(r.path.clone()).or_default() += 1;
    }
    let repeated = per_path.values().filter(|n| **n > 1).count();
    let attempts: Vec<i64> =
        notification["deliveries"].as_array().unwrap().iter().map(|d| d["attempts"].as_i64().unwrap()).collect();
    eprintln!(
        "crash test: {} webhook requests for {RECIPIENTS} deliveries; {repeated} endpoints called more than once (max {}); attempts max {}",
        received.len(),
        per_path.values().max().unwrap_or(&0),
        attempts.iter().max().unwrap_or(&0)
    );
    // At worst every answered send lost its recorded outcome with the process,
    // and every send held open at the kill is made again.
    let bound = RECIPIENTS + ANSWERED + IN_FLIGHT;
    assert!(received.len() <= bound, "{} requests for {RECIPIENTS} deliveries", received.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_kill_during_a_fan_out_loses_nothing() {
    crash_during_fan_out_loses_nothing(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_kill_during_a_fan_out_loses_nothing() {
    crash_during_fan_out_loses_nothing(Backend::Postgres).await;
}

/// The server restarts itself once with glibc's arena limit set (main.rs);
/// the process the caller started, and would kill, is still the server.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[tokio::test]
async fn the_server_runs_with_a_limit_on_malloc_arenas_under_its_first_process_id() {
    let (_db, database_url) = TestDb::create(Backend::Sqlite).await;
    let server = start(&database_url, 1_000);
    let environ = std::fs::read(format!("/proc/{}/environ", server.child.id())).unwrap();
    let limit = environ
        .split(|byte| *byte == 0)
        .find_map(|entry| entry.strip_prefix(b"MALLOC_ARENA_MAX="))
        .map(|value| String::from_utf8_lossy(value).into_owned());
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get().max(2));
    assert_eq!(limit, Some(cores.to_string()));
    let health = crate::helpers::http_client().get(format!("{}/healthz", server.url)).send().await.unwrap();
    assert_eq!(health.status(), 200);
}

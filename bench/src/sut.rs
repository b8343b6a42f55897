//! The systems under test: Tocsin (release binary, on a fresh SQLite file or a
//! fresh PostgreSQL database) and Prometheus Alertmanager (its binary with a
//! generated configuration). Each is started for one workload run with its
//! recipients pointing at the benchmark's sinks, and stopped (its database
//! dropped) when the run ends.

use std::fmt::Write as _;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use serde_json::{json, Value};

use crate::payload::Alert;
use crate::procfs;

/// Password of the first admin of a benchmark server.
const ADMIN_PASSWORD: &str = "tocsin-bench-password";
/// Directory requests in flight while setting up.
const SETUP_CONCURRENCY: usize = 16;

/// Which system, on which storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum System {
    TocsinSqlite,
    TocsinPostgres,
    Alertmanager,
}

impl System {
    pub const ALL: [System; 3] = [System::TocsinSqlite, System::TocsinPostgres, System::Alertmanager];

    pub fn name(self) -> &'static str {
        match self {
            System::TocsinSqlite => "tocsin-sqlite",
            System::TocsinPostgres => "tocsin-postgres",
            System::Alertmanager => "alertmanager",
        }
    }

    pub fn parse(name: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|s| s.name() == name.trim())
            .ok_or_else(|| anyhow!("unknown system {name:?} (tocsin-sqlite, tocsin-postgres, alertmanager)"))
    }

    /// What an accepted alert means, stated next to every figure.
    pub fn durability(self) -> &'static str {
        match self {
            System::TocsinSqlite => "durable: committed to SQLite (WAL, synchronous=FULL) before 201",
            System::TocsinPostgres => "durable: committed to PostgreSQL before 201",
            System::Alertmanager => "in memory: not durable (lost on a crash)",
        }
    }

    pub fn is_tocsin(self) -> bool {
        self != System::Alertmanager
    }
}

/// How recipients are reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Medium {
    Webhook,
    Email,
}

/// What a run needs from the system: `recipients` contacts of one medium,
/// reached by every alert, and where the sinks listen.
#[derive(Debug, Clone, Copy)]
pub struct Directory {
    pub medium: Medium,
    pub recipients: u32,
    pub webhook_port: u16,
    pub smtp_port: u16,
}

/// Paths and addresses shared by every run.
#[derive(Debug, Clone)]
pub struct Binaries {
    pub tocsin: String,
    pub alertmanager: String,
    /// `postgres://user@host:port`, without a database.
    pub postgres_url: String,
}

/// A started system, ready for load. Dropping it stops the process and drops
/// its database.
pub struct Running {
    child: Child,
    pub pid: u32,
    pub target: Arc<Target>,
    /// VmRSS once the process answered its readiness check, before the setup.
    pub idle_rss_mb: f64,
    /// Seconds spent creating the directory.
    pub setup_seconds: f64,
    postgres: Option<(String, String)>,
    _workdir: tempfile::TempDir,
}

impl Running {
    /// The name of the run's PostgreSQL database, if it has one.
    pub fn database(&self) -> Option<&str> {
        self.postgres.as_ref().map(|(_, name)| name.as_str())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some((base, name)) = &self.postgres {
            let _ = psql(base, &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
        }
    }
}

/// Where and how alerts are posted.
pub struct Target {
    pub client: reqwest::Client,
    pub url: String,
    pub bearer: Option<String>,
    pub system: System,
}

impl Target {
    /// The request body of alert `n`.
    pub fn body(&self, n: u64) -> Vec<u8> {
        let alert = Alert::new(n, chrono::Utc::now());
        if self.system.is_tocsin() {
            alert.tocsin_fire()
        } else {
            alert.alertmanager_alert()
        }
    }

    /// Posts one alert; true when the system accepted it (2xx).
    pub async fn post(&self, body: Vec<u8>) -> bool {
        let mut request = self.client.post(&self.url).header("content-type", "application/json").body(body);
        if let Some(bearer) = &self.bearer {
            request = request.header("authorization", format!("Bearer {bearer}"));
        }
        match request.send().await {
            // The body is read to the end so that the connection is reused.
            Ok(response) => {
                let ok = response.status().is_success();
                response.bytes().await.is_ok() && ok
            }
            Err(_) => false,
        }
    }
}

pub fn client() -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .pool_max_idle_per_host(4096)
        .timeout(Duration::from_secs(120))
        .build()
        .context("building the HTTP client")
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn psql(base: &str, sql: &str) -> Result<()> {
    let out = Command::new("psql")
        .args([&format!("{base}/postgres"), "-qXc", sql])
        .stdin(Stdio::null())
        .output()
        .context("running psql")?;
    if !out.status.success() {
        bail!("psql {sql:?}: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(())
}

/// Polls `url` until it answers 2xx, the process exits or `limit` passes.
async fn wait_ready(client: &reqwest::Client, url: &str, child: &mut Child, limit: Duration) -> Result<()> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait()? {
            bail!("the process exited with {status} before {url} answered (its log is in the run's directory)");
        }
        if let Ok(response) = client.get(url).timeout(Duration::from_secs(2)).send().await {
            if response.status().is_success() {
                return Ok(());
            }
        }
        if Instant::now() > deadline {
            bail!("{url} did not answer within {limit:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn log_file(workdir: &tempfile::TempDir) -> Result<(Stdio, Stdio)> {
    let log = std::fs::File::create(workdir.path().join("server.log"))?;
    Ok((Stdio::from(log.try_clone()?), Stdio::from(log)))
}

static DATABASES: AtomicU32 = AtomicU32::new(0);

/// Starts `system` with `directory` set up, ready for load.
pub async fn start(system: System, directory: Directory, binaries: &Binaries) -> Result<Running> {
    match system {
        System::Alertmanager => start_alertmanager(directory, binaries).await,
        _ => start_tocsin(system, directory, binaries).await,
    }
}

async fn start_tocsin(system: System, directory: Directory, binaries: &Binaries) -> Result<Running> {
    let workdir = tempfile::Builder::new().prefix("tocsin-bench-").tempdir()?;
    let (database_url, postgres) = if system == System::TocsinPostgres {
        let name = format!("tocsin_bench_{}_{}", std::process::id(), DATABASES.fetch_add(1, Ordering::Relaxed));
        psql(&binaries.postgres_url, &format!("CREATE DATABASE \"{name}\""))?;
        (format!("{}/{name}", binaries.postgres_url), Some((binaries.postgres_url.clone(), name)))
    } else {
        (workdir.path().join("tocsin.db").display().to_string(), None)
    };
    let port = free_port()?;
    let base = format!("http://127.0.0.1:{port}");
    let (stdout, stderr) = log_file(&workdir)?;
    let mut command = Command::new(&binaries.tocsin);
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("TOCSIN_")) {
        command.env_remove(key);
    }
    command
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .env("TOCSIN_CONFIG", workdir.path().join("absent.toml"))
        .env("TOCSIN_DATABASE_URL", &database_url)
        .env("TOCSIN_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("TOCSIN_OUTBOUND_ALLOW", "127.0.0.0/8")
        .env("TOCSIN_PUBLIC_URL", &base)
        .env("TOCSIN_HTTP__MAX_BODY_BYTES", (4 << 20).to_string())
        .env("TOCSIN_SMTP__HOST", "127.0.0.1")
        .env("TOCSIN_SMTP__PORT", directory.smtp_port.to_string())
        .env("TOCSIN_SMTP__TLS", "none")
        .env("TOCSIN_SMTP__FROM", "tocsin@example.com")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr);
    let mut child = command.spawn().with_context(|| format!("starting {}", binaries.tocsin))?;
    let pid = child.id();
    let client = client()?;
    let mut running_postgres = postgres;
    let ready = wait_ready(&client, &format!("{base}/readyz"), &mut child, Duration::from_secs(120)).await;
    if let Err(err) = ready {
        let _ = child.kill();
        if let Some((base, name)) = running_postgres.take() {
            let _ = psql(&base, &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
        }
        return Err(err.context(format!(
            "log: {}",
            std::fs::read_to_string(workdir.path().join("server.log")).unwrap_or_default()
        )));
    }
    let idle_rss_mb = procfs::status_mb(pid, "VmRSS")?;
    let mut running = Running {
        child,
        pid,
        target: Arc::new(Target { client: client.clone(), url: String::new(), bearer: None, system }),
        idle_rss_mb,
        setup_seconds: 0.0,
        postgres: running_postgres,
        _workdir: workdir,
    };
    let started = Instant::now();
    let key = tocsin_directory(&client, &base, directory).await?;
    running.setup_seconds = started.elapsed().as_secs_f64();
    running.target =
        Arc::new(Target { client, url: format!("{base}/api/v1/events/bench/fire"), bearer: Some(key), system });
    Ok(running)
}

async fn api(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: Option<&str>,
    body: Value,
) -> Result<Value> {
    let mut request = client.request(method, &url).header("content-type", "application/json").body(body.to_string());
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let response = request.send().await.with_context(|| format!("calling {url}"))?;
    let status = response.status();
    let text = response.text().await?;
    if !status.is_success() {
        bail!("{url} answered {status}: {text}");
    }
    Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Creates the contacts (each with one destination), the group when there is
/// more than one recipient, the event `bench` and an API key with the `send`
/// scope, all through the HTTP API. Returns the key's secret.
async fn tocsin_directory(client: &reqwest::Client, base: &str, directory: Directory) -> Result<String> {
    let session = api(
        client,
        reqwest::Method::POST,
        format!("{base}/api/v1/session"),
        None,
        json!({"username": "admin", "password": ADMIN_PASSWORD}),
    )
    .await?;
    let token: Arc<str> = session["token"].as_str().ok_or_else(|| anyhow!("no token in {session}"))?.into();
    let next = Arc::new(AtomicU32::new(0));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..SETUP_CONCURRENCY {
        let (client, base, token, next) = (client.clone(), base.to_owned(), token.clone(), next.clone());
        workers.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= directory.recipients {
                    return Ok::<_, anyhow::Error>(());
                }
                let contact = json!({"slug": format!("c{i}"), "name": format!("Contact {i}")});
                api(&client, reqwest::Method::POST, format!("{base}/api/v1/contacts"), Some(&token), contact).await?;
                let destination = match directory.medium {
                    Medium::Webhook => json!({"medium": "webhook", "settings": {"url": format!("http://127.0.0.1:{}/hook/c{i}", directory.webhook_port)}}),
                    Medium::Email => json!({"medium": "email", "settings": {"address": format!("c{i}@example.com")}}),
                };
                api(&client, reqwest::Method::POST, format!("{base}/api/v1/contacts/c{i}/destinations"), Some(&token), destination).await?;
            }
        });
    }
    while let Some(done) = workers.join_next().await {
        done??;
    }
    let targets = if directory.recipients > 1 {
        let members: Vec<String> = (0..directory.recipients).map(|i| format!("c{i}")).collect();
        api(
            client,
            reqwest::Method::POST,
            format!("{base}/api/v1/groups"),
            Some(&token),
            json!({"slug": "crowd", "name": "Crowd", "members": members}),
        )
        .await?;
        json!({"groups": ["crowd"]})
    } else {
        json!({"contacts": ["c0"]})
    };
    let event = json!({
        "slug": "bench", "name": "Benchmark", "targets": targets,
        "templates": {
            "subject": "{{ title }} [{{ marker }}]",
            "body": "{{ severity }}: {{ title }} ({{ marker }}), host {{ host }}, team {{ team }}, since {{ timestamp }}",
        },
    });
    api(client, reqwest::Method::POST, format!("{base}/api/v1/events"), Some(&token), event).await?;
    let key = api(
        client,
        reqwest::Method::POST,
        format!("{base}/api/v1/api-keys"),
        Some(&token),
        json!({"name": "bench", "scopes": ["send"]}),
    )
    .await?;
    Ok(key["secret"].as_str().ok_or_else(|| anyhow!("no secret in {key}"))?.to_owned())
}

/// Alertmanager's configuration for a run: every alert its own group, notified
/// at once (`group_by: ['...']`, `group_wait: 0s`), never repeated nor resolved
/// within a run. A fan-out to N recipients is one receiver with N
/// `webhook_configs` (or `email_configs`): Alertmanager has no groups of
/// contacts, and this is how one alert reaches N endpoints with one route.
pub fn alertmanager_config(directory: Directory) -> String {
    let mut yaml = String::new();
    let _ = write!(
        yaml,
        "global:\n  resolve_timeout: 1h\n  smtp_smarthost: '127.0.0.1:{}'\n  smtp_from: 'alertmanager@example.com'\n  smtp_require_tls: false\n\
         route:\n  receiver: bench\n  group_by: ['...']\n  group_wait: 0s\n  group_interval: 1h\n  repeat_interval: 24h\n\
         receivers:\n- name: bench\n",
        directory.smtp_port
    );
    match directory.medium {
        Medium::Webhook => {
            yaml.push_str("  webhook_configs:\n");
            for i in 0..directory.recipients {
                let _ = writeln!(
                    yaml,
                    "  - {{url: 'http://127.0.0.1:{}/hook/c{i}', send_resolved: false}}",
                    directory.webhook_port
                );
            }
        }
        Medium::Email => {
            // Plain text of about Tocsin's size rather than the default HTML page,
            // so both render comparable messages.
            yaml.push_str("  email_configs:\n");
            for i in 0..directory.recipients {
                let _ = writeln!(
                    yaml,
                    "  - {{to: 'c{i}@example.com', send_resolved: false, html: '', \
                     text: '{{{{ range .Alerts }}}}{{{{ .Labels.severity }}}}: {{{{ .Annotations.title }}}} ({{{{ .Labels.marker }}}}), host {{{{ .Labels.host }}}}, team {{{{ .Labels.team }}}}, since {{{{ .StartsAt }}}}{{{{ end }}}}', \
                     headers: {{Subject: '{{{{ .CommonAnnotations.title }}}} [{{{{ .CommonLabels.marker }}}}]'}}}}"
                );
            }
        }
    }
    yaml
}

async fn start_alertmanager(directory: Directory, binaries: &Binaries) -> Result<Running> {
    let workdir = tempfile::Builder::new().prefix("alertmanager-bench-").tempdir()?;
    let config = workdir.path().join("alertmanager.yml");
    let started = Instant::now();
    std::fs::write(&config, alertmanager_config(directory))?;
    let setup_seconds = started.elapsed().as_secs_f64();
    let port = free_port()?;
    let base = format!("http://127.0.0.1:{port}");
    let (stdout, stderr) = log_file(&workdir)?;
    let mut child = Command::new(&binaries.alertmanager)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.path={}", workdir.path().join("data").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        // No cluster: a single instance notifies at once instead of waiting for peers to settle.
        .arg("--cluster.listen-address=")
        .arg("--log.level=warn")
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .with_context(|| format!("starting {}", binaries.alertmanager))?;
    let pid = child.id();
    let client = client()?;
    if let Err(err) = wait_ready(&client, &format!("{base}/-/ready"), &mut child, Duration::from_secs(120)).await {
        let _ = child.kill();
        return Err(err.context(format!(
            "log: {}",
            std::fs::read_to_string(workdir.path().join("server.log")).unwrap_or_default()
        )));
    }
    let idle_rss_mb = procfs::status_mb(pid, "VmRSS")?;
    Ok(Running {
        child,
        pid,
        target: Arc::new(Target {
            client,
            url: format!("{base}/api/v2/alerts"),
            bearer: None,
            system: System::Alertmanager,
        }),
        idle_rss_mb,
        setup_seconds,
        postgres: None,
        _workdir: workdir,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_fan_out_is_one_receiver_with_a_config_per_recipient() {
        let directory = Directory { medium: Medium::Webhook, recipients: 3, webhook_port: 9000, smtp_port: 2525 };
        let yaml = alertmanager_config(directory);
        assert_eq!(yaml.matches("url: 'http://127.0.0.1:9000/hook/c").count(), 3);
        assert!(yaml.contains("group_by: ['...']") && yaml.contains("group_wait: 0s"));
        let email = alertmanager_config(Directory { medium: Medium::Email, ..directory });
        assert_eq!(email.matches("to: 'c").count(), 3);
        assert!(email.contains("{{ .CommonLabels.marker }}"), "{email}");
    }

    #[test]
    fn systems_are_named_as_on_the_command_line() {
        for system in System::ALL {
            assert_eq!(System::parse(system.name()).unwrap(), system);
        }
        assert!(System::parse("nagios").is_err());
    }
}

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tocsin_server::settings::Settings;
use tocsin_server::startup::{AdminBootstrap, Application};
use tocsin_server::store::DatabaseUrl;

pub const ADMIN_PASSWORD: &str = "admin-password-for-tests";
pub const JWT_SECRET: &str = "a-jwt-secret-for-tests-only-0123456789";

/// Runs each named scenario `async fn name(backend: Backend)`, which builds
/// its own app (other settings, several instances), on both backends:
/// `sqlite::name` and `postgres::name`.
macro_rules! for_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Postgres).await
                }
            )*
        }
    };
}

/// Runs each named scenario `async fn name(app: TestApp)` on both backends:
/// `sqlite::name` and `postgres::name`.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::spawn_app($crate::helpers::Backend::Sqlite).await).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::spawn_app($crate::helpers::Backend::Postgres).await).await
                }
            )*
        }
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server tests use: `TOCSIN_TEST_POSTGRES_URL`, by default the
/// local server with trust authentication.
pub fn postgres_base_url() -> String {
    std::env::var("TOCSIN_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A database of one test, removed when dropped.
pub enum TestDb {
    Sqlite(tempfile::TempDir),
    Postgres {
        name: String,
    },
    /// A database another `TestDb` owns (a second instance on the same one).
    Shared,
}

impl TestDb {
    pub async fn create(backend: Backend) -> (TestDb, String) {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let path = dir.path().join("tocsin.db").display().to_string();
                (TestDb::Sqlite(dir), path)
            }
            Backend::Postgres => {
                let name = tokio::task::spawn_blocking(create_postgres_database).await.unwrap();
                let url = with_database(&postgres_base_url(), &name);
                (TestDb::Postgres { name }, url)
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres { name } = self {
            if let Ok(mut conn) = PgConnection::establish(&postgres_base_url()) {
                let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
            }
        }
    }
}

fn with_database(base: &str, name: &str) -> String {
    let mut url = url::Url::parse(base).unwrap();
    url.set_path(name);
    url.to_string()
}

/// A fresh database cloned from a template that holds the current migrations.
/// The template is built once, under an advisory lock, since nextest runs each
/// test in its own process; cloning is serialised by the same lock because
/// PostgreSQL refuses to copy a template that another session is copying.
fn create_postgres_database() -> String {
    const LOCK: i64 = 0x7465_7374_6462; // "testdb"
    let base = postgres_base_url();
    let mut conn = PgConnection::establish(&base).unwrap_or_else(|e| {
        panic!("PostgreSQL is needed for the tests: cannot connect to {base}: {e} (set TOCSIN_TEST_POSTGRES_URL)")
    });
    diesel::sql_query("SELECT pg_advisory_lock($1)").bind::<BigInt, _>(LOCK).execute(&mut conn).unwrap();
    let template = format!("tocsin_tpl_{}", migrations_fingerprint());
    let exists = diesel::sql_query("SELECT 1 AS one FROM pg_database WHERE datname = $1")
        .bind::<diesel::sql_types::Text, _>(&template)
        .execute(&mut conn)
        .unwrap()
        > 0;
    if !exists {
        let building = format!("{template}_building");
        conn.batch_execute(&format!("DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)")).unwrap();
        conn.batch_execute(&format!("CREATE DATABASE \"{building}\"")).unwrap();
        let url = DatabaseUrl::parse(&with_database(&base, &building)).unwrap();
        tocsin_server::store::run_migrations(&url, |_| Ok(())).unwrap();
        conn.batch_execute(&format!("ALTER DATABASE \"{building}\" RENAME TO \"{template}\"")).unwrap();
    }
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name =
        format!("tocsin_test_{}_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed), rand_suffix());
    conn.batch_execute(&format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"")).unwrap();
    diesel::sql_query("SELECT pg_advisory_unlock($1)").bind::<BigInt, _>(LOCK).execute(&mut conn).unwrap();
    name
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos() as u64
}

/// Changes whenever a PostgreSQL migration changes, so a stale template is never used.
fn migrations_fingerprint() -> String {
    use sha2::{Digest, Sha256};
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../migrations/postgres");
    let mut files: Vec<PathBuf> = walk(&root);
    files.sort();
    let mut hasher = Sha256::new();
    for f in files {
        hasher.update(f.strip_prefix(&root).unwrap().display().to_string().as_bytes());
        hasher.update(std::fs::read(&f).unwrap());
    }
    hex::encode(&hasher.finalize()[..6])
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Settings for a test server: port 0, known admin password and signing key.
pub fn test_settings(database_url: &str) -> Settings {
    let mut settings = Settings {
        database_url: database_url.to_owned(),
        bind: "127.0.0.1:0".into(),
        admin_password: Some(ADMIN_PASSWORD.into()),
        jwt_secret: Some(JWT_SECRET.into()),
        ..Settings::default()
    };
    settings.auth.login_max_failures = 3;
    settings.database.pool_size = 4;
    // Webhook sinks live on loopback; retries and polls in milliseconds.
    settings.outbound_allow = vec!["127.0.0.0/8".into()];
    settings.delivery.retry_base_ms = 20;
    settings.delivery.retry_max_ms = 100;
    settings.delivery.poll_interval_ms = 100;
    settings.delivery.http_timeout_ms = 5_000;
    settings
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub admin_token: String,
    pub backend: Backend,
    pub database_url: String,
    pub admin: AdminBootstrap,
    handle: actix_web::dev::ServerHandle,
    _db: TestDb,
}

/// An HTTP client for tests (reqwest is built without a default TLS provider).
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    let (db, url) = TestDb::create(backend).await;
    spawn_with(backend, db, test_settings(&url)).await
}

pub async fn spawn_with(backend: Backend, db: TestDb, settings: Settings) -> TestApp {
    let database_url = settings.database_url.clone();
    let password = settings.admin_password.as_ref().map(|p| secrecy::ExposeSecret::expose_secret(p).to_owned());
    let app = Application::build(settings).await.expect("the application builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let handle = app.handle();
    let admin = app.admin.clone();
    tokio::spawn(app.run_until_stopped());
    let mut test_app = TestApp {
        address,
        client: http_client(),
        admin_token: String::new(),
        backend,
        database_url,
        admin,
        handle,
        _db: db,
    };
    if let Some(password) = password {
        test_app.admin_token = test_app.login("admin", &password).await;
    }
    test_app
}

/// A response with its status and JSON body (Null when not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Answer {
    /// Asserts the status, showing the body when it differs.
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(self.status.as_u16(), status, "unexpected status; body: {}", self.body);
        self.body
    }

    /// Asserts an error answer in the API's shape with this status and code.
    pub fn expect_error(self, status: u16, code: &str) -> Value {
        let body = self.expect(status);
        assert_eq!(body["error"], code, "error code; body: {body}");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "error message; body: {body}");
        body
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Answer {
        let mut req = self.client.request(method, self.url(path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.expect("the server answers");
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap_or_default();
        Answer { status, body: serde_json::from_str(&text).unwrap_or(Value::Null), headers }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.call(Method::GET, path, Some(&self.admin_token), None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.call(Method::POST, path, Some(&self.admin_token), Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Answer {
        self.call(Method::PATCH, path, Some(&self.admin_token), Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Answer {
        self.call(Method::PUT, path, Some(&self.admin_token), Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Answer {
        self.call(Method::DELETE, path, Some(&self.admin_token), None).await
    }

    pub async fn login(&self, username: &str, password: &str) -> String {
        let body = self
            .call(Method::POST, "/api/v1/session", None, Some(json!({"username": username, "password": password})))
            .await
            .expect(200);
        body["token"].as_str().expect("a token").to_owned()
    }

    /// Creates an operator with this role and returns a session token for it.
    pub async fn operator_token(&self, username: &str, role: &str) -> String {
        let password = format!("{username}-password-long");
        self.post("/api/v1/operators", json!({"username": username, "password": password, "role": role}))
            .await
            .expect(201);
        self.login(username, &password).await
    }

    /// Creates an API key with these scopes and returns its secret.
    pub async fn api_key(&self, name: &str, scopes: &[&str]) -> String {
        let body = self.post("/api/v1/api-keys", json!({"name": name, "scopes": scopes})).await.expect(201);
        body["secret"].as_str().expect("a secret").to_owned()
    }

    pub async fn create_contact(&self, slug: &str) -> Value {
        self.post("/api/v1/contacts", json!({"slug": slug, "name": format!("Contact {slug}")})).await.expect(201)
    }

    /// How many entries the audit log holds.
    /// A store of its own on the app's database, to look at (or set up) rows
    /// the API does not show.
    pub async fn store(&self) -> tocsin_server::store::Store {
        let options = tocsin_server::store::PoolOptions {
            max_size: 1,
            busy_timeout: std::time::Duration::from_secs(10),
            acquire_timeout: std::time::Duration::from_secs(10),
        };
        let url = tocsin_server::store::DatabaseUrl::parse(&self.database_url).unwrap();
        tocsin_server::store::Store::open(&url, &options).await.unwrap()
    }

    /// POSTs a form, as gateways and RedFlash callers do: the status and body text.
    pub async fn post_form(&self, path: &str, form: &str) -> (u16, String) {
        let res = self
            .client
            .post(self.url(path))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(form.to_owned())
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.text().await.unwrap())
    }

    pub async fn audit_total(&self) -> i64 {
        self.get("/api/v1/audit?limit=1").await.expect(200)["total"].as_i64().unwrap()
    }

    pub fn stop(&self) {
        drop(self.handle.stop(false));
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.stop();
    }
}

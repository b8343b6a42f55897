//! A Tocsin server in this process on a temporary SQLite file, an admin client
//! to set up data, and fake webhook receivers on loopback.

use std::time::Duration;

use actix_web::dev::ServerHandle;
use serde_json::json;
use tocsin_client::types::{LoginRequest, NewApiKey, NewContact, NewDestination, Scope};
use tocsin_client::Client;
use tocsin_server::settings::Settings;
use tocsin_server::startup::Application;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

const ADMIN_PASSWORD: &str = "admin-password-for-tests";

pub struct Server {
    pub url: String,
    pub admin: Client,
    handle: ServerHandle,
    _dir: tempfile::TempDir,
}

/// Stops the server when the test ends.
impl Drop for Server {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

/// The settings of `backend/tests/api/helpers.rs`: port 0, known admin
/// password, loopback webhooks allowed, fast retries.
fn settings(database_url: String) -> Settings {
    let mut settings = Settings {
        database_url,
        bind: "127.0.0.1:0".into(),
        admin_password: Some(ADMIN_PASSWORD.into()),
        jwt_secret: Some("a-jwt-secret-for-tests-only-0123456789".into()),
        ..Settings::default()
    };
    settings.database.pool_size = 4;
    settings.outbound_allow = vec!["127.0.0.0/8".into()];
    settings.delivery.retry_base_ms = 20;
    settings.delivery.retry_max_ms = 100;
    settings.delivery.poll_interval_ms = 100;
    settings.delivery.http_timeout_ms = 5_000;
    settings
}

impl Server {
    pub async fn start() -> Server {
        let dir = tempfile::tempdir().unwrap();
        let database_url = dir.path().join("tocsin.db").display().to_string();
        let app = Application::build(settings(database_url)).await.expect("the server builds");
        let url = format!("http://127.0.0.1:{}", app.port());
        let handle = app.handle();
        tokio::spawn(app.run_until_stopped());
        let login = LoginRequest { username: "admin".into(), password: ADMIN_PASSWORD.into() };
        let anonymous = Client::new(&url).unwrap();
        let session = anonymous.create_session(&login).await.unwrap();
        Server { url, admin: anonymous.with_token(session.token), handle, _dir: dir }
    }

    /// The secret of a new API key with these scopes.
    pub async fn api_key(&self, scopes: &[Scope]) -> String {
        let key = NewApiKey { name: format!("key-{scopes:?}"), scopes: scopes.to_vec(), expires_at: None };
        self.admin.create_api_key(&key).await.unwrap().secret
    }

    pub async fn contact(&self, slug: &str) {
        let contact = NewContact {
            slug: slug.into(),
            name: format!("Contact {slug}"),
            enabled: None,
            timezone: None,
            availability: None,
            operator: None,
            schedule: None,
        };
        self.admin.create_contact(&contact).await.unwrap();
    }

    /// A contact whose destination is the admin's inbox: delivered at once.
    pub async fn inbox_contact(&self, slug: &str) {
        self.contact(slug).await;
        self.destination(slug, "inbox", json!({"operator": "admin"})).await;
    }

    /// A contact whose destination is a webhook to `url`.
    pub async fn webhook_contact(&self, slug: &str, url: &str) {
        self.contact(slug).await;
        self.destination(slug, "webhook", json!({"url": url})).await;
    }

    async fn destination(&self, slug: &str, medium: &str, settings: serde_json::Value) {
        let destination = NewDestination { medium: medium.into(), label: None, settings, enabled: None };
        self.admin.create_destination(slug, &destination).await.unwrap();
    }
}

/// A webhook receiver on loopback that answers every request with `status`,
/// or never answers when `status` is `None`.
pub async fn webhook_sink(status: Option<u16>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://127.0.0.1:{}/hook", listener.local_addr().unwrap().port());
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut reader = BufReader::new(stream);
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    if line.trim().is_empty() {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body).await;
                match status {
                    Some(status) => {
                        let answer = format!("HTTP/1.1 {status} X\r\ncontent-length: 2\r\n\r\nno");
                        let _ = reader.get_mut().write_all(answer.as_bytes()).await;
                    }
                    // Hold the connection open without answering.
                    None => tokio::time::sleep(Duration::from_secs(3600)).await,
                }
            });
        }
    });
    url
}

/// A loopback port nothing listens on.
pub async fn closed_port() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    drop(listener);
    url
}

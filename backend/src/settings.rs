//! Configuration: defaults < `tocsin.toml` < `TOCSIN_*` environment variables
//! (nested keys joined by `__`, e.g. `TOCSIN_AUTH__TOKEN_TTL_MINUTES`).

use std::path::Path;

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

// The channels' sections are defined beside the code that uses them (each SMS
// provider's in its own file) and reachable from here, so every setting can be
// found from this module.
pub use crate::delivery::channels::email::{SmtpSettings, SmtpTls};
pub use crate::delivery::channels::sms::{
    ClickatellSettings, EmailGatewaySettings, GenericSmsSettings, SmsProvider, SmsSettings, TwilioSettings,
    VonageSettings,
};

/// Everything `tocsin serve` can be told.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Where the data lives: a SQLite file path or `sqlite://PATH` (embedded, the
    /// default `./tocsin.db`), or `postgres://user@host/db` for PostgreSQL.
    /// `TOCSIN_DATABASE_URL`.
    pub database_url: String,
    /// Address and port to listen on (default `127.0.0.1:8080`). `TOCSIN_BIND`.
    pub bind: String,
    /// How providers and links reach this server, e.g. `https://tocsin.example.com`
    /// (default: derived from `bind`). `TOCSIN_PUBLIC_URL`.
    pub public_url: Option<String>,
    /// Password of the first admin, created on an empty database; generated and
    /// printed once when unset. `TOCSIN_ADMIN_PASSWORD`.
    #[serde(skip_serializing)]
    pub admin_password: Option<SecretString>,
    /// Key that signs session tokens, shared by every instance; generated once and
    /// stored in the database when unset. `TOCSIN_JWT_SECRET`.
    #[serde(skip_serializing)]
    pub jwt_secret: Option<SecretString>,
    /// Networks that user-supplied URLs may reach despite the SSRF guard, e.g.
    /// `["127.0.0.0/8"]` (default none). `TOCSIN_OUTBOUND_ALLOW` (comma-separated).
    #[serde(deserialize_with = "list_or_commas")]
    pub outbound_allow: Vec<String>,
    /// Log format: `human` (default) or `json`. `TOCSIN_LOG_FORMAT`.
    pub log_format: LogFormat,
    /// Connection pool and SQLite tuning.
    pub database: DatabaseSettings,
    /// Sessions and logins.
    pub auth: AuthSettings,
    /// HTTP limits.
    pub http: HttpSettings,
    /// The outbox: leases, retries, concurrency.
    pub delivery: DeliverySettings,
    /// The SMTP server email goes through (`TOCSIN_SMTP__HOST`, `__PORT`, `__TLS`
    /// none|starttls|tls, `__USERNAME`, `__PASSWORD`, `__FROM`); email is off until a host is set.
    pub smtp: SmtpSettings,
    /// The SMS gateway (`TOCSIN_SMS__PROVIDER` vonage|twilio|clickatell|generic|email_gateway,
    /// an optional `__FALLBACK`, and each provider's credentials, e.g. `TOCSIN_SMS__TWILIO__ACCOUNT_SID`);
    /// SMS is off until a provider is set.
    pub sms: SmsSettings,
    /// Provider callbacks: receipts and inbound messages (`TOCSIN_CALLBACKS__*`).
    pub callbacks: CallbackSettings,
}

/// Provider callbacks (`/ack/`, `/inbound/`, `/api/v1/receipts/*`). Those that
/// verify (a valid signature or reference) are never limited; the others are
/// limited per source address so that nobody can fill the database with them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct CallbackSettings {
    /// Callbacks that fail verification or match nothing, per source address
    /// and minute, once the burst is spent (default 60); beyond it they are not
    /// stored, and `/api/v1/receipts/*` answer 429.
    pub unverified_per_minute: u32,
    /// How many such callbacks one address may send at once (default 120).
    pub unverified_burst: u32,
    /// Callbacks older than this many days are deleted (default 30).
    pub retention_days: u64,
}

impl Default for CallbackSettings {
    fn default() -> Self {
        Self { unverified_per_minute: 60, unverified_burst: 120, retention_days: 30 }
    }
}

/// Log output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Human,
    Json,
}

/// Connection pool and SQLite tuning.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct DatabaseSettings {
    /// Most connections held open (default 16).
    pub pool_size: usize,
    /// How long a SQLite writer waits for the lock, in milliseconds (default 10000).
    pub busy_timeout_ms: u64,
    /// How long a request waits for a free connection, in milliseconds (default 10000).
    pub acquire_timeout_ms: u64,
}

/// Sessions and logins.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct AuthSettings {
    /// Lifetime of an operator session token, in minutes (default 720, 12 hours).
    pub token_ttl_minutes: i64,
    /// Failed logins for one username or from one address before logins are
    /// refused with 429 (default 5).
    pub login_max_failures: u32,
    /// How long logins stay refused after too many failures, in seconds (default 300).
    pub login_lockout_seconds: u64,
}

/// HTTP limits.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct HttpSettings {
    /// Largest request body accepted, in bytes (default 65536).
    pub max_body_bytes: usize,
    /// Reverse proxies whose `X-Forwarded-For` is believed: networks or
    /// addresses (default none: the peer address is the client).
    /// `TOCSIN_HTTP__TRUSTED_PROXIES` (comma-separated). Login throttles and
    /// callback limits count by the client address this gives.
    #[serde(deserialize_with = "list_or_commas")]
    pub trusted_proxies: Vec<String>,
}

/// The outbox: leases, retries, concurrency. Times are in milliseconds so that
/// tests can make them short.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct DeliverySettings {
    /// How long a dispatcher's claim on a delivery lasts without renewal (default
    /// 30000); a live dispatcher renews its claims every third of this, so after a
    /// crash its deliveries are taken over within this time.
    pub lease_ms: u64,
    /// How often an idle dispatcher looks for due deliveries without being woken (default 1000).
    pub poll_interval_ms: u64,
    /// Deliveries claimed per query (default 200).
    pub claim_batch: i64,
    /// Delay before the second attempt, doubled per attempt, with jitter (default 2000).
    pub retry_base_ms: u64,
    /// Longest delay between attempts (default 600000).
    pub retry_max_ms: u64,
    /// After this long without success a delivery is `expired` (default 86400 s).
    pub max_age_seconds: u64,
    /// Timeout of one HTTP call to a webhook or provider (default 10000).
    pub http_timeout_ms: u64,
    /// Webhook calls in flight at once (default 256).
    pub webhook_concurrency: usize,
    /// Slack and Teams calls in flight at once (default 64).
    pub chat_concurrency: usize,
    /// SMTP sends in flight at once (default 16).
    pub email_concurrency: usize,
    /// SMS gateway calls in flight at once (default 32).
    pub sms_concurrency: usize,
    /// Deliveries of one medium held in memory at once, waiting for a send
    /// slot or being sent (default 4096); a larger backlog waits in the
    /// database, so memory stays bounded however far behind a receiver is.
    pub queue_per_medium: usize,
    /// Resolved notifications older than this many days are deleted with their
    /// deliveries (default 90; 0 keeps nothing once resolved).
    pub retention_days: u64,
    /// How often the retention purge runs, in milliseconds (default 3600000).
    pub retention_interval_ms: u64,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        Self {
            lease_ms: 30_000,
            poll_interval_ms: 1_000,
            claim_batch: 200,
            retry_base_ms: 2_000,
            retry_max_ms: 600_000,
            max_age_seconds: 86_400,
            http_timeout_ms: 10_000,
            webhook_concurrency: 256,
            chat_concurrency: 64,
            email_concurrency: 16,
            sms_concurrency: 32,
            queue_per_medium: 4096,
            retention_days: 90,
            retention_interval_ms: 3_600_000,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            database_url: "./tocsin.db".into(),
            bind: "127.0.0.1:8080".into(),
            public_url: None,
            admin_password: None,
            jwt_secret: None,
            outbound_allow: Vec::new(),
            log_format: LogFormat::Human,
            database: DatabaseSettings::default(),
            auth: AuthSettings::default(),
            http: HttpSettings::default(),
            delivery: DeliverySettings::default(),
            smtp: Default::default(),
            sms: Default::default(),
            callbacks: Default::default(),
        }
    }
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self { pool_size: 16, busy_timeout_ms: 10_000, acquire_timeout_ms: 10_000 }
    }
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self { token_ttl_minutes: 720, login_max_failures: 5, login_lockout_seconds: 300 }
    }
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self { max_body_bytes: 64 * 1024, trusted_proxies: Vec::new() }
    }
}

/// A list, or one string of comma-separated items (as environment variables give it).
fn list_or_commas<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        List(Vec<String>),
        Text(String),
    }
    Ok(match Either::deserialize(d)? {
        Either::List(items) => items,
        Either::Text(text) => text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect(),
    })
}

/// Variables the command-line client reads; the server ignores them.
const CLIENT_VARIABLES: [&str; 2] = ["url", "api_key"];

impl Settings {
    /// Defaults, then `config_file` if it exists, then the environment.
    pub fn load(config_file: &Path) -> Result<Self, Box<figment::Error>> {
        Self::figment(config_file).extract().map_err(Box::new)
    }

    fn figment(config_file: &Path) -> Figment {
        Figment::from(Serialized::defaults(Settings::default()))
            .merge(Toml::file(config_file))
            .merge(Env::prefixed("TOCSIN_").split("__").ignore(&CLIENT_VARIABLES).ignore(&["config"]))
    }

    /// The base URL providers and people reach this server at, without a
    /// trailing slash; `None` when `public_url` is not set (or blank): then no
    /// callback URL and no link is handed out, since a guess from `bind` (a
    /// loopback address, usually) would reach nobody outside.
    pub fn public_url(&self) -> Option<String> {
        self.public_url
            .as_deref()
            .map(|url| url.trim().trim_end_matches('/'))
            .filter(|url| !url.is_empty())
            .map(str::to_owned)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::result_large_err)]
mod tests {
    use super::*;

    #[test]
    fn defaults_need_no_configuration() {
        figment::Jail::expect_with(|_| {
            let s = Settings::load(Path::new("absent.toml")).unwrap();
            assert_eq!(s.database_url, "./tocsin.db");
            assert_eq!(s.bind, "127.0.0.1:8080");
            assert_eq!(s.public_url(), None);
            Ok(())
        });
    }

    #[test]
    fn the_environment_overrides_the_file_which_overrides_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("tocsin.toml", "bind = \"0.0.0.0:9000\"\n[auth]\nlogin_max_failures = 9\n")?;
            jail.set_env("TOCSIN_DATABASE_URL", "postgres://db/tocsin");
            jail.set_env("TOCSIN_AUTH__TOKEN_TTL_MINUTES", "5");
            jail.set_env("TOCSIN_URL", "http://ignored");
            jail.set_env("TOCSIN_OUTBOUND_ALLOW", "127.0.0.0/8,::1/128");
            let s = Settings::load(Path::new("tocsin.toml")).unwrap();
            assert_eq!(s.bind, "0.0.0.0:9000");
            assert_eq!(s.database_url, "postgres://db/tocsin");
            assert_eq!(s.auth.login_max_failures, 9);
            assert_eq!(s.auth.token_ttl_minutes, 5);
            assert_eq!(s.outbound_allow, vec!["127.0.0.0/8", "::1/128"]);
            Ok(())
        });
    }
}

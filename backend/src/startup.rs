//! Building the application from its settings: database, bootstrap, listener.
//! `main.rs` only parses the command line; tests build the same `Application`
//! on port 0.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use secrecy::ExposeSecret;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::delivery::channels::email::EmailChannel;
use crate::delivery::channels::registry::{Parts, REGISTRY};
use crate::delivery::dispatcher::{Dispatcher, DispatcherConfig};
use crate::delivery::intake::FireWriter;
use crate::delivery::outbound::{OutboundClient, OutboundPolicy};
use crate::delivery::retry::RetryPolicy;
use crate::delivery::send::Channels;
use crate::domain::credentials::{generate_password, generate_secret, hash_password};
use crate::domain::keyring::Keyring;
use crate::domain::login_throttle::LoginThrottle;
use crate::domain::tokens::TokenKeys;
use crate::http::callback_limit::CallbackLimiter;
use crate::http::security_headers::{self, SecurityHeaders};
use crate::http::{self, auth, extract, metrics, state::AppState};
use crate::settings::Settings;
use crate::store::{self, instance, operators, DatabaseUrl, PoolOptions, Store, StoreError};
use tocsin_types::Role;

/// Password checks in flight at once per address and per (username, address).
const LOGIN_CHECKS_PER_KEY: usize = 2;

/// Shortest `TOCSIN_JWT_SECRET` accepted: HS256 is as strong as its key.
pub const MIN_JWT_SECRET_BYTES: usize = 32;

/// What start-up did that the person starting Tocsin must know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminBootstrap {
    /// Operators already existed.
    Existing,
    /// The first admin was created with the configured password.
    CreatedWithConfiguredPassword,
    /// The first admin was created with this generated password, shown once.
    CreatedWithGeneratedPassword(String),
}

pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
    pub admin: AdminBootstrap,
    pub database: String,
}

impl Application {
    /// Migrates the database, creates the first admin if there is none, and
    /// binds the listener (port 0 picks a free one).
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        if let Some(secret) = &settings.jwt_secret {
            let len = secret.expose_secret().len();
            if len < MIN_JWT_SECRET_BYTES {
                anyhow::bail!(
                    "TOCSIN_JWT_SECRET is {len} bytes long; it must be at least {MIN_JWT_SECRET_BYTES} \
                     (or leave it unset and Tocsin keeps a generated one in the database)"
                );
            }
        }
        let trusted_proxies = crate::domain::client_addr::parse_networks(&settings.http.trusted_proxies)
            .map_err(|e| anyhow::anyhow!("http.trusted_proxies: {e}"))?;
        let url = DatabaseUrl::parse(&settings.database_url)?;
        let (secrets, admin) = bootstrap(&settings, &url).await?;
        let keyring = Keyring::new(secrets.master_key.as_bytes());
        if settings.public_url().is_none() {
            tracing::warn!(
                "TOCSIN_PUBLIC_URL is not set: providers are given no callback URL (receipts go wherever their \
                 account points) and no links are handed out"
            );
        }
        let store = Store::open(
            &url,
            &PoolOptions {
                max_size: settings.database.pool_size.max(1),
                busy_timeout: Duration::from_millis(settings.database.busy_timeout_ms),
                acquire_timeout: Duration::from_millis(settings.database.acquire_timeout_ms),
            },
        )
        .await?;
        let delivery_metrics = crate::delivery::metrics::DeliveryMetrics::default();
        let dispatcher = start_dispatcher(&settings, store.clone(), delivery_metrics.clone(), &keyring)?;
        if url.backend == store::Backend::Postgres {
            crate::delivery::wakeup::spawn_listener(url.target.clone(), dispatcher.clone());
        }
        let store_for_fires = store.clone();
        crate::delivery::retention::start(
            store.clone(),
            crate::delivery::retention::Retention {
                resolved: Duration::from_secs(settings.delivery.retention_days.saturating_mul(86_400)),
                callbacks: Duration::from_secs(settings.callbacks.retention_days.saturating_mul(86_400)),
                interval: Duration::from_millis(settings.delivery.retention_interval_ms),
            },
        );
        let listener = TcpListener::bind(&settings.bind)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let state = web::Data::new(AppState {
            store,
            tokens: TokenKeys::new(secrets.jwt_secret.as_bytes()),
            callback_limiter: CallbackLimiter::new(&settings.callbacks),
            keyring,
            login_throttle: Mutex::new(LoginThrottle::new(
                settings.auth.login_max_failures,
                Duration::from_secs(settings.auth.login_lockout_seconds),
                LOGIN_CHECKS_PER_KEY,
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            )),
            trusted_proxies,
            metrics: http::server_metrics::Metrics::new(&delivery_metrics),
            fires: FireWriter::start(store_for_fires, dispatcher.clone()),
            dispatcher,
            settings: Arc::new(settings),
        });
        let shared_state = state.clone();
        let openapi = http::openapi::document();
        let body_limit = state.settings.http.max_body_bytes;
        let security_headers = web::Data::new(SecurityHeaders::for_settings(&state.settings));
        let server = HttpServer::new(move || {
            App::new()
                .into_utoipa_app()
                .app_data(state.clone())
                .app_data(security_headers.clone())
                .app_data(extract::json_config(body_limit))
                .app_data(extract::path_config())
                .app_data(extract::query_config())
                .configure(http::routes)
                .into_app()
                .service(SwaggerUi::new("/api/docs/{_:.*}").url("/api/openapi.json", openapi.clone()))
                .route("/api/docs", web::get().to(http::docs_redirect))
                .default_service(web::to(http::fallback))
                .wrap(from_fn(auth::authenticate_request))
                .wrap(from_fn(metrics::track))
                .wrap(from_fn(security_headers::set))
        })
        .listen(listener)?
        .shutdown_timeout(10)
        .run();
        Ok(Self { port, server, state: shared_state, admin, database: url.redacted() })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until the server is stopped (SIGINT/SIGTERM or a handle), then
    /// returns unfinished deliveries to the queue.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let outcome = self.server.await;
        self.state.dispatcher.release(&self.state.store).await;
        outcome
    }
}

fn start_dispatcher(
    settings: &Settings,
    store: Store,
    delivery_metrics: crate::delivery::metrics::DeliveryMetrics,
    keyring: &Keyring,
) -> anyhow::Result<Dispatcher> {
    let d = &settings.delivery;
    let policy = OutboundPolicy::parse(&settings.outbound_allow).map_err(|e| anyhow::anyhow!("outbound_allow: {e}"))?;
    let outbound = OutboundClient::new(policy, Duration::from_millis(d.http_timeout_ms))?;
    let retry = RetryPolicy {
        base: Duration::from_millis(d.retry_base_ms.max(1)),
        max: Duration::from_millis(d.retry_max_ms.max(1)),
        max_age: Duration::from_secs(d.max_age_seconds),
    };
    let concurrency = REGISTRY.iter().map(|r| (r.medium, (r.concurrency)(d))).collect();
    let config = DispatcherConfig {
        lease: Duration::from_millis(d.lease_ms.max(1)),
        poll_interval: Duration::from_millis(d.poll_interval_ms.max(1)),
        claim_batch: d.claim_batch.max(1),
        concurrency,
        queue_limit: d.queue_per_medium.max(1),
        retry: Default::default(),
        default_retry: retry,
        metrics: delivery_metrics,
    };
    let email = EmailChannel::new(&settings.smtp).map_err(|e| anyhow::anyhow!("smtp: {e}"))?;
    // Provider APIs come from the configuration, not from users: they may live
    // on an internal network, so the SSRF guard does not apply to them.
    let trusted = OutboundPolicy::parse(&["0.0.0.0/0".into(), "::/0".into()]).map_err(|e| anyhow::anyhow!("{e}"))?;
    let providers = OutboundClient::new(trusted, Duration::from_millis(d.http_timeout_ms))?;
    let parts = Parts { settings, guarded: outbound, providers, email, keyring: keyring.clone() };
    let channels = Channels::build(&parts).map_err(|e| anyhow::anyhow!(e))?;
    Ok(Dispatcher::start(store, channels, config))
}

/// The keys every instance sharing the database must agree on.
struct Secrets {
    /// Signs operator sessions.
    jwt_secret: String,
    /// What the keyring derives every signing key from.
    master_key: String,
}

/// Migrations, the JWT signing key, the master key and the first admin, under
/// the schema lock on PostgreSQL so that instances starting together agree.
async fn bootstrap(settings: &Settings, url: &DatabaseUrl) -> anyhow::Result<(Secrets, AdminBootstrap)> {
    let configured_secret = settings.jwt_secret.as_ref().map(|s| s.expose_secret().to_owned());
    let configured_password = settings.admin_password.as_ref().map(|s| s.expose_secret().to_owned());
    let url = url.clone();
    let (applied, outcome) = tokio::task::spawn_blocking(move || {
        store::run_migrations(&url, |conn| {
            let jwt_secret = match configured_secret {
                Some(s) => s,
                None => instance::get_or_init(conn, "jwt_secret", generate_secret)?,
            };
            let master_key = instance::get_or_init(conn, "master_key", generate_secret)?;
            let admin = if operators::count(conn)? > 0 {
                AdminBootstrap::Existing
            } else {
                let (password, outcome) = match configured_password {
                    Some(p) => (p, AdminBootstrap::CreatedWithConfiguredPassword),
                    None => {
                        let p = generate_password();
                        (p.clone(), AdminBootstrap::CreatedWithGeneratedPassword(p))
                    }
                };
                let hash = hash_password(&password).map_err(|e| StoreError::Config(e.to_string()))?;
                operators::insert(conn, "admin", &hash, Role::Admin, true)?;
                outcome
            };
            Ok((Secrets { jwt_secret, master_key }, admin))
        })
    })
    .await??;
    for name in applied {
        tracing::info!(migration = %name, "applied migration");
    }
    Ok(outcome)
}

/// Applies migrations only (`tocsin migrate`).
pub async fn migrate(settings: &Settings) -> anyhow::Result<Vec<String>> {
    let url = DatabaseUrl::parse(&settings.database_url)?;
    let (applied, ()) = tokio::task::spawn_blocking(move || store::run_migrations(&url, |_| Ok(()))).await??;
    Ok(applied)
}

/// `tocsin import redflash FILE`: loads a RedFlash `dumpdata` JSON into the
/// directory, in one transaction. Returns what was done and the warnings.
pub async fn import_redflash(
    settings: &Settings,
    dump: &str,
) -> anyhow::Result<(crate::store::import::ImportReport, Vec<String>)> {
    let plan = crate::domain::redflash_import::plan(dump)?;
    migrate(settings).await?;
    let url = DatabaseUrl::parse(&settings.database_url)?;
    let store = Store::open(
        &url,
        &PoolOptions {
            max_size: 1,
            busy_timeout: Duration::from_millis(settings.database.busy_timeout_ms),
            acquire_timeout: Duration::from_millis(settings.database.acquire_timeout_ms),
        },
    )
    .await?;
    let warnings = plan.warnings.clone();
    let report = store.write(move |c| crate::store::import::apply(c, &plan)).await?;
    Ok((report, warnings))
}

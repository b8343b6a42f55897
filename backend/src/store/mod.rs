//! Storage: the diesel schema, the connection pool and every query. This is the
//! one place that knows SQLite from PostgreSQL; where the dialects differ, the
//! difference sits in a single function with both branches.

/// Runs the same diesel expression on the concrete connection, for what
/// `MultiConnection` cannot express (multi-row `INSERT … VALUES`).
macro_rules! on_concrete {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::store::DbConnection::Postgresql($c) => $body,
            $crate::store::DbConnection::Sqlite($c) => $body,
        }
    };
}

pub mod api_keys;
pub mod audit;
pub mod contacts;
pub mod deliveries;
pub mod destinations;
pub mod directory;
pub mod events;
pub mod groups;
pub mod idempotency;
pub mod import;
pub mod instance;
mod lifecycle;
mod migrate;
pub mod notifications;
pub mod operators;
pub mod receipts;
pub mod schedules;
pub mod schema;
pub mod timeline;

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Timelike, Utc};
use deadpool::managed::{Hook, HookError};
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::{PgConnection, SqliteConnection};

pub use migrate::run_migrations;

/// A connection to either backend; queries are written once against it.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

/// Which database engine a URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A parsed database location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    pub backend: Backend,
    /// What diesel connects to: a file path for SQLite, the URL for PostgreSQL.
    pub target: String,
}

impl DatabaseUrl {
    /// `postgres://…` or `postgresql://…` is PostgreSQL; `sqlite://path`, or a plain
    /// path, is a SQLite file.
    pub fn parse(raw: &str) -> Result<Self, StoreError> {
        let raw = raw.trim();
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(Self { backend: Backend::Postgres, target: raw.to_owned() });
        }
        let path = raw.strip_prefix("sqlite://").unwrap_or(raw);
        if path.is_empty() || path == ":memory:" {
            // Each pooled connection would get its own empty in-memory database.
            return Err(StoreError::Config(format!(
                "database URL {raw:?} is not usable: give a SQLite file path or a postgres:// URL"
            )));
        }
        if path.contains("://") {
            return Err(StoreError::Config(format!(
                "database URL {raw:?} has an unknown scheme: use a file path, sqlite://PATH or postgres://…"
            )));
        }
        Ok(Self { backend: Backend::Sqlite, target: path.to_owned() })
    }

    /// The URL without any password, for logs.
    pub fn redacted(&self) -> String {
        match self.backend {
            Backend::Sqlite => format!("sqlite://{}", self.target),
            Backend::Postgres => match url::Url::parse(&self.target) {
                Ok(mut url) if url.password().is_some() => {
                    let _ = url.set_password(Some("***"));
                    url.to_string()
                }
                _ => self.target.clone(),
            },
        }
    }
}

/// What can go wrong in storage, as the layers above need to tell it apart.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// A delete refused because other records refer to this one, e.g.
    /// `["contact ana", "group ops"]`.
    #[error("{what} is still used by {}; change those first", used_by.join(", "))]
    InUse { what: String, used_by: Vec<String> },
    #[error(transparent)]
    Invalid(#[from] crate::domain::ValidationError),
    #[error("database configuration: {0}")]
    Config(String),
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Database(#[from] diesel::result::Error),
    /// A fault of the server's own beside the database (a password that could
    /// not be hashed), answered 500.
    #[error("{0}")]
    Internal(String),
}

impl StoreError {
    /// Turns a unique-constraint violation into a `Conflict` saying what clashed.
    pub fn conflict_on(what: impl Fn() -> String) -> impl Fn(diesel::result::Error) -> StoreError {
        move |e| match e {
            diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _) => {
                StoreError::Conflict(what())
            }
            other => StoreError::Database(other),
        }
    }
}

pub type Pool = deadpool_diesel::Pool<deadpool_diesel::Manager<DbConnection>>;

/// Tuning of the pool and connections.
#[derive(Debug, Clone)]
pub struct PoolOptions {
    pub max_size: usize,
    pub busy_timeout: Duration,
    pub acquire_timeout: Duration,
}

/// The database: a pool of connections plus the knowledge of its backend.
#[derive(Clone)]
pub struct Store {
    pool: Pool,
    backend: Backend,
}

impl Store {
    /// Opens the pool and checks that a first connection can be made, so that a
    /// wrong URL or a server that is down is reported at start-up in plain words.
    pub async fn open(url: &DatabaseUrl, options: &PoolOptions) -> Result<Self, StoreError> {
        check_reachable(url)?;
        let manager = deadpool_diesel::Manager::from_config(
            url.target.clone(),
            deadpool::Runtime::Tokio1,
            deadpool_diesel::ManagerConfig {
                // The default runs a query on every checkout; a broken connection
                // shows up as an error on first use anyway.
                recycling_method: deadpool_diesel::RecyclingMethod::CustomFunction(Box::new(|_| Ok(()))),
            },
        );
        let backend = url.backend;
        let busy_ms = options.busy_timeout.as_millis();
        let pool = Pool::builder(manager)
            .max_size(options.max_size)
            .wait_timeout(Some(options.acquire_timeout))
            .create_timeout(Some(options.acquire_timeout))
            .runtime(deadpool::Runtime::Tokio1)
            .post_create(Hook::async_fn(move |conn: &mut deadpool_diesel::Connection<DbConnection>, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.interact(move |c| configure_sqlite(c, busy_ms))
                            .await
                            .map_err(|e| HookError::message(e.to_string()))?
                            .map_err(|e| HookError::message(e.to_string()))?;
                    }
                    Ok(())
                })
            }))
            .build()
            .map_err(|e| StoreError::Config(e.to_string()))?;
        Ok(Self { pool, backend })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Connections in use and idle, for `/metrics`.
    pub fn pool_status(&self) -> deadpool::managed::Status {
        self.pool.status()
    }

    /// Runs `f` on a pooled connection, on a blocking thread.
    pub async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let conn = self.pool.get().await.map_err(|e| StoreError::Unavailable(e.to_string()))?;
        conn.interact(f).await.map_err(|e| StoreError::Unavailable(e.to_string()))?
    }

    /// Runs `f` in a write transaction: all of it is committed, or none.
    pub async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        self.read(move |conn| write_transaction(conn, f)).await
    }
}

/// A write transaction. SQLite gets `BEGIN IMMEDIATE`, so that the write lock is
/// taken at the start and the busy timeout applies, instead of failing with
/// `SQLITE_BUSY` when a read transaction tries to upgrade itself halfway.
pub fn write_transaction<T, F>(conn: &mut DbConnection, f: F) -> Result<T, StoreError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, StoreError>,
{
    if !matches!(conn, DbConnection::Sqlite(_)) {
        return conn.transaction(f);
    }
    if let DbConnection::Sqlite(c) = conn {
        AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
    }
    let outcome = f(conn);
    let DbConnection::Sqlite(c) = conn else {
        unreachable!("the variant was checked above");
    };
    match outcome {
        Ok(value) => {
            AnsiTransactionManager::commit_transaction(c)?;
            Ok(value)
        }
        Err(e) => {
            AnsiTransactionManager::rollback_transaction(c)?;
            Err(e)
        }
    }
}

fn configure_sqlite(conn: &mut DbConnection, busy_ms: u128) -> Result<(), diesel::result::Error> {
    conn.batch_execute(&format!(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
         PRAGMA busy_timeout = {busy_ms};"
    ))
}

/// Connects once with the concrete connection type: through `MultiConnection` a
/// failure only says "invalid connection url", which helps nobody.
fn check_reachable(url: &DatabaseUrl) -> Result<(), StoreError> {
    match url.backend {
        Backend::Postgres => PgConnection::establish(&url.target)
            .map(drop)
            .map_err(|e| StoreError::Unavailable(format!("cannot connect to {}: {e}", url.redacted()))),
        Backend::Sqlite => SqliteConnection::establish(&url.target)
            .map(drop)
            .map_err(|e| StoreError::Unavailable(format!("cannot open {}: {e}", url.redacted()))),
    }
}

/// Now, as stored: UTC, truncated to microseconds (PostgreSQL's precision) so a
/// value reads back exactly as it was written on both backends.
pub fn now() -> NaiveDateTime {
    to_db_time(Utc::now())
}

pub fn to_db_time(t: DateTime<Utc>) -> NaiveDateTime {
    let t = t.naive_utc();
    let micros = t.nanosecond() / 1_000 * 1_000;
    t.with_nanosecond(micros).unwrap_or(t)
}

pub fn from_db_time(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

diesel::define_sql_function! {
    /// SQL `lower()`: slugs and usernames compare without regard to case.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// Clamps list paging to sane bounds.
pub fn paging(limit: Option<i64>, offset: Option<i64>) -> (i64, i64) {
    (limit.unwrap_or(50).clamp(1, 500), offset.unwrap_or(0).max(0))
}

/// A `LIKE` pattern matching `text` anywhere, with `\` as the escape character.
pub fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for ch in text.to_lowercase().chars() {
        if matches!(ch, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(ch);
    }
    pattern.push('%');
    pattern
}

//! Embedded migrations, one tree per backend. On PostgreSQL several instances may
//! start together, so migrations and the first-admin bootstrap that follows run
//! under a session advisory lock.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use super::{Backend, DatabaseUrl, DbConnection, StoreError};

const SQLITE: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("../migrations/postgres");

/// The advisory lock key that serialises schema changes and bootstrap ("tocsin" in ASCII).
pub const SCHEMA_LOCK: i64 = 0x746f_6373_696e;

/// Applies pending migrations, then runs `after` (the bootstrap) on the same
/// connection, both under the schema lock on PostgreSQL. Returns the names of the
/// migrations applied and what `after` returned.
pub fn run_migrations<T>(
    url: &DatabaseUrl,
    after: impl FnOnce(&mut DbConnection) -> Result<T, StoreError>,
) -> Result<(Vec<String>, T), StoreError> {
    let unavailable =
        |e: ConnectionError| StoreError::Unavailable(format!("cannot connect to {}: {e}", url.redacted()));
    let mut conn = match url.backend {
        Backend::Sqlite => {
            let mut c = SqliteConnection::establish(&url.target).map_err(unavailable)?;
            c.batch_execute("PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;")?;
            DbConnection::Sqlite(c)
        }
        Backend::Postgres => {
            let mut c = PgConnection::establish(&url.target).map_err(unavailable)?;
            diesel::sql_query("SELECT pg_advisory_lock($1)").bind::<BigInt, _>(SCHEMA_LOCK).execute(&mut c)?;
            DbConnection::Postgresql(c)
        }
    };
    let outcome = apply(&mut conn).and_then(|names| Ok((names, after(&mut conn)?)));
    if let DbConnection::Postgresql(c) = &mut conn {
        // Released on disconnect anyway; unlocking at once lets the next instance go.
        diesel::sql_query("SELECT pg_advisory_unlock($1)").bind::<BigInt, _>(SCHEMA_LOCK).execute(c)?;
    }
    outcome
}

fn apply(conn: &mut DbConnection) -> Result<Vec<String>, StoreError> {
    let applied = match conn {
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE),
        DbConnection::Postgresql(c) => c.run_pending_migrations(POSTGRES),
    }
    .map_err(|e| StoreError::Config(format!("migration failed: {e}")))?;
    Ok(applied.iter().map(|v| v.to_string()).collect())
}

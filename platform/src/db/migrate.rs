//! Migrations of the supervision schema: one SQL file per backend and step, the same numbers
//! and names on both, applied in order, each in its own transaction, and recorded in
//! `schema_migrations (version, name, applied_at)`.
//!
//! Only DDL differs between the two files of a step (`INTEGER PRIMARY KEY` vs
//! `BIGINT GENERATED ALWAYS AS IDENTITY`, `STRICT` tables, `COLLATE "C"` time columns, trigger
//! syntax); the statements the code runs are the same on both.

use chrono::Utc;

use super::{Backend, Conn, Value};
use crate::error::{Error, Result};

/// One migration step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migration {
    /// Its number, from 1, in order.
    pub version: i64,
    /// File name without `.sql` (`0001_supervision`).
    pub name: &'static str,
    /// The SQL.
    pub sql: &'static str,
}

macro_rules! migration {
    ($backend:literal, $version:literal, $name:literal) => {
        Migration {
            version: $version,
            name: $name,
            sql: include_str!(concat!(
                "../../migrations/supervision/",
                $backend,
                "/",
                $name,
                ".sql"
            )),
        }
    };
}

/// The SQLite steps.
pub const MIGRATIONS_SQLITE: &[Migration] = &[
    migration!("sqlite", 1, "0001_supervision"),
    migration!("sqlite", 2, "0002_patrol"),
    migration!("sqlite", 3, "0003_alarm_doc"),
];

/// The PostgreSQL steps (same versions and names as [`MIGRATIONS_SQLITE`]).
pub const MIGRATIONS_POSTGRES: &[Migration] = &[
    migration!("postgres", 1, "0001_supervision"),
    migration!("postgres", 2, "0002_patrol"),
    migration!("postgres", 3, "0003_alarm_doc"),
];

fn steps(backend: Backend) -> &'static [Migration] {
    match backend {
        Backend::Sqlite => MIGRATIONS_SQLITE,
        Backend::Postgres => MIGRATIONS_POSTGRES,
    }
}

/// Key of the PostgreSQL advisory lock that migrations hold: "eseal" in ASCII.
const PG_MIGRATION_LOCK: i64 = 0x65_7365_616c;

/// Applies every step the database has not recorded; returns the versions applied now.
pub(super) fn migrate(c: &mut Conn) -> Result<Vec<i64>> {
    let backend = c.backend();
    if backend == Backend::Postgres {
        // Two platforms starting at once on one database take turns.
        c.execute("SELECT pg_advisory_lock($1)", &[PG_MIGRATION_LOCK.into()])?;
    }
    let result = apply(c, steps(backend));
    if backend == Backend::Postgres {
        let unlocked = c.execute("SELECT pg_advisory_unlock($1)", &[PG_MIGRATION_LOCK.into()]);
        if let Err(e) = unlocked {
            tracing::warn!(error = %e, "could not release the migration lock");
        }
    }
    result
}

fn apply(c: &mut Conn, steps: &[Migration]) -> Result<Vec<i64>> {
    c.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (\
             version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
    )?;
    let applied = c.query(
        "SELECT version, name FROM schema_migrations ORDER BY version",
        &[],
    )?;
    let known = steps.last().map_or(0, |m| m.version);
    let mut done = Vec::new();
    for row in &applied {
        let (version, name) = (row.i64("version")?, row.text("name")?);
        match steps.iter().find(|m| m.version == version) {
            None if version > known => {
                return Err(Error::SchemaTooNew {
                    found: version,
                    known,
                });
            }
            Some(m) if m.name == name => done.push(version),
            _ => {
                return Err(Error::Query(format!(
                    "schema_migrations: version {version} is {name:?}, which this build does not know"
                )));
            }
        }
    }
    let mut now_applied = Vec::new();
    for m in steps.iter().filter(|m| !done.contains(&m.version)) {
        c.transaction(|tx| {
            tx.execute_batch(m.sql)?;
            tx.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                &[m.version.into(), m.name.into(), Value::from(Utc::now())],
            )
        })
        .map_err(|e| Error::Query(format!("migration {}: {e}", m.name)))?;
        tracing::info!(migration = m.name, "applied migration");
        now_applied.push(m.version);
    }
    Ok(now_applied)
}

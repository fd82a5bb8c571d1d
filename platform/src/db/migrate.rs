//! Migrations of the platform schema: one SQL file per backend and step, the same numbers and
//! names on both, applied in order, each in its own transaction, and recorded in
//! `schema_migrations (version, name, applied_at)`. Step 0 is the ingest schema
//! (`migrations/ingest/`), steps 1–5 the supervision schema (`migrations/supervision/`), step 6
//! adds the registering peer to the U6 stream tables (`migrations/ingest/`).
//!
//! Only DDL differs between the two files of a step (`INTEGER PRIMARY KEY` vs
//! `BIGINT GENERATED ALWAYS AS IDENTITY`, `STRICT` tables, `COLLATE "C"` time columns, trigger
//! syntax); the statements the code runs are the same on both.
//!
//! **Adoption of the old ingest store.** Before this layer the ingest tables lived in an SQLite
//! file migrated by `migrations/0001_ingest.sql` and `0002_ingest_indexes.sql` and versioned by
//! `PRAGMA user_version` (1 and 2). Such a file is adopted, not refused: when step 0 is not
//! recorded and the file's `user_version` is 1 or 2 and all the ingest tables exist, the missing
//! indexes of version 2 are created if needed and step 0 is recorded as applied, in one
//! transaction; its rows stay where they are. (Its tables are not `STRICT`; the code binds the
//! same types either way.) A `user_version` above 2 is a file of a newer build: refused with
//! [`Error::SchemaTooNew`].

use chrono::Utc;

use super::{Backend, Conn, Value};
use crate::error::{Error, Result};

/// One migration step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migration {
    /// Its number, from 0, in order.
    pub version: i64,
    /// File name without `.sql` (`0001_supervision`).
    pub name: &'static str,
    /// The SQL.
    pub sql: &'static str,
}

macro_rules! migration {
    ($family:literal, $backend:literal, $version:literal, $name:literal) => {
        Migration {
            version: $version,
            name: $name,
            sql: include_str!(concat!(
                "../../migrations/",
                $family,
                "/",
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
    migration!("ingest", "sqlite", 0, "0000_ingest"),
    migration!("supervision", "sqlite", 1, "0001_supervision"),
    migration!("supervision", "sqlite", 2, "0002_patrol"),
    migration!("supervision", "sqlite", 3, "0003_alarm_doc"),
    migration!("supervision", "sqlite", 4, "0004_cursor"),
    migration!("supervision", "sqlite", 5, "0005_handling_photos"),
    migration!("ingest", "sqlite", 6, "0006_stream_peer"),
];

/// The PostgreSQL steps (same versions and names as [`MIGRATIONS_SQLITE`]).
pub const MIGRATIONS_POSTGRES: &[Migration] = &[
    migration!("ingest", "postgres", 0, "0000_ingest"),
    migration!("supervision", "postgres", 1, "0001_supervision"),
    migration!("supervision", "postgres", 2, "0002_patrol"),
    migration!("supervision", "postgres", 3, "0003_alarm_doc"),
    migration!("supervision", "postgres", 4, "0004_cursor"),
    migration!("supervision", "postgres", 5, "0005_handling_photos"),
    migration!("ingest", "postgres", 6, "0006_stream_peer"),
];

/// The ingest step, which an old store's file is adopted as.
const INGEST_VERSION: i64 = 0;

/// `PRAGMA user_version` the old store's last migration left.
const LEGACY_USER_VERSION: i64 = 2;

/// The old store's second migration, run when adopting a file it left at `user_version` 1.
const LEGACY_INDEXES: &str = include_str!("../../migrations/0002_ingest_indexes.sql");

/// The tables of the ingest schema, all of which an adopted file must have.
const INGEST_TABLES: &[&str] = &[
    "regions",
    "mines",
    "accounts",
    "evidence",
    "events",
    "violations",
    "streams",
    "stream_history",
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
    if c.backend() == Backend::Sqlite
        && !done.contains(&INGEST_VERSION)
        && let Some(m) = steps.iter().find(|m| m.version == INGEST_VERSION)
        && adopt_legacy_store(c, m)?
    {
        done.push(INGEST_VERSION);
    }
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

/// Records the ingest step as applied to a file the old store migrated (see the module docs);
/// false when the file is not one (a new file, or one without `user_version`).
fn adopt_legacy_store(c: &mut Conn, ingest: &Migration) -> Result<bool> {
    let user_version = c
        .query_one("PRAGMA user_version", &[])?
        .i64("user_version")?;
    if user_version == 0 {
        return Ok(false);
    }
    if user_version > LEGACY_USER_VERSION {
        return Err(Error::SchemaTooNew {
            found: user_version,
            known: LEGACY_USER_VERSION,
        });
    }
    let mut missing = Vec::new();
    for table in INGEST_TABLES {
        let n = c
            .query_one(
                "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = $1",
                &[(*table).into()],
            )?
            .i64("n")?;
        if n == 0 {
            missing.push(*table);
        }
    }
    if !missing.is_empty() {
        return Err(Error::Query(format!(
            "PRAGMA user_version {user_version}: expected a platform database of the old ingest \
             store with the tables {}, but {} missing",
            INGEST_TABLES.join(", "),
            missing.join(", ")
        )));
    }
    c.transaction(|tx| {
        if user_version < LEGACY_USER_VERSION {
            tx.execute_batch(LEGACY_INDEXES)?;
        }
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
            &[
                ingest.version.into(),
                ingest.name.into(),
                Value::from(Utc::now()),
            ],
        )
    })
    .map_err(|e| Error::Query(format!("adopting the old ingest store: {e}")))?;
    tracing::info!(
        migration = ingest.name,
        user_version,
        "adopted the old ingest store's schema"
    );
    Ok(true)
}

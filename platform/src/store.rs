//! The SQLite store: one file, WAL, `synchronous=FULL`, foreign keys on, migrations applied in
//! order and recorded in `PRAGMA user_version`.
//!
//! rusqlite is blocking, so every call goes through [`Store::call`] (writes) or [`Store::read`]
//! (reads, on a second connection that WAL lets run beside the writer), which run the closure
//! on tokio's blocking pool. Never hold a connection across an `.await`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::error::{Error, Result};

/// Migrations in order; the index + 1 is the schema version they bring the file to.
pub const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_ingest", include_str!("../migrations/0001_ingest.sql")),
    (
        "0002_ingest_indexes",
        include_str!("../migrations/0002_ingest_indexes.sql"),
    ),
];

/// Schema version of this build (`PRAGMA user_version` after all migrations).
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Handle to the platform database. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

fn lock(m: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    // A panic while holding the lock cannot leave SQLite inconsistent (transactions roll back
    // on drop), so a poisoned lock is still usable.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Store {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    /// Blocking: call it at start-up, or inside `spawn_blocking`.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        let path = path.as_ref().to_path_buf();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::io(format!("could not create {}", dir.display()), e))?;
        }
        let mut writer = Connection::open(&path)?;
        configure(&writer)?;
        let mode: String =
            writer.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(%mode, path = %path.display(), "SQLite refused WAL mode");
        }
        migrate(&mut writer)?;
        let reader = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_URI
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        configure(&reader)?;
        Ok(Store {
            inner: Arc::new(Inner {
                path,
                writer: Mutex::new(writer),
                reader: Mutex::new(reader),
            }),
        })
    }

    /// Async [`Store::open`].
    pub async fn open_async(path: impl AsRef<Path>) -> Result<Store> {
        let path = path.as_ref().to_path_buf();
        tokio::task::spawn_blocking(move || Store::open(path)).await?
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `f` with the (single) writer connection on the blocking pool.
    pub async fn call<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || f(&mut lock(&inner.writer))).await?
    }

    /// Runs `f` with a read-only connection on the blocking pool.
    pub async fn read<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || f(&lock(&inner.reader))).await?
    }

    /// Runs `f` with the writer connection on the current thread. Only for code that is already
    /// on a blocking thread (inside `spawn_blocking`) or at start-up.
    pub fn call_blocking<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        f(&mut lock(&self.inner.writer))
    }

    /// `PRAGMA user_version` of the file.
    pub async fn schema_version(&self) -> Result<i64> {
        self.read(|c| Ok(c.query_row("PRAGMA user_version", [], |r| r.get(0))?))
            .await
    }
}

/// Administrative level of a region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegionLevel {
    /// 省
    Province,
    /// 市
    City,
    /// 县
    County,
}

impl RegionLevel {
    /// As stored in `regions.level`.
    pub const fn as_str(self) -> &'static str {
        match self {
            RegionLevel::Province => "province",
            RegionLevel::City => "city",
            RegionLevel::County => "county",
        }
    }
}

impl Store {
    /// Inserts or updates a region (6-digit division code).
    pub async fn upsert_region(
        &self,
        code: &str,
        name: &str,
        level: RegionLevel,
        parent: Option<&str>,
    ) -> Result<()> {
        let (code, name, parent) = (code.to_owned(), name.to_owned(), parent.map(str::to_owned));
        self.call(move |c| {
            c.execute(
                "INSERT INTO regions (code, name, level, parent) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level, parent = excluded.parent",
                rusqlite::params![code, name, level.as_str(), parent],
            )?;
            Ok(())
        })
        .await
    }

    /// Inserts or updates a mine (12-digit code; R1: its county is the first 6 digits unless given).
    pub async fn upsert_mine(
        &self,
        code: &str,
        name: &str,
        county: &str,
        state: &str,
    ) -> Result<()> {
        let (code, name, county, state) = (
            code.to_owned(),
            name.to_owned(),
            county.to_owned(),
            state.to_owned(),
        );
        self.call(move |c| {
            c.execute(
                "INSERT INTO mines (code, name, county, state) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name, county = excluded.county, state = excluded.state",
                rusqlite::params![code, name, county, state],
            )?;
            Ok(())
        })
        .await
    }
}

fn configure(c: &Connection) -> Result<()> {
    c.busy_timeout(Duration::from_secs(10))?;
    c.pragma_update(None, "foreign_keys", "ON")?;
    c.pragma_update(None, "synchronous", "FULL")?;
    Ok(())
}

/// Applies every migration newer than the file's `user_version`, each in its own transaction.
fn migrate(c: &mut Connection) -> Result<()> {
    let current: i64 = c.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > SCHEMA_VERSION {
        return Err(Error::SchemaTooNew {
            found: current,
            known: SCHEMA_VERSION,
        });
    }
    for (i, (name, sql)) in MIGRATIONS.iter().enumerate() {
        let version = i as i64 + 1;
        if version <= current {
            continue;
        }
        let tx = c.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
        tracing::info!(migration = name, version, "applied migration");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn migrates_once_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("db/p.sqlite3");
        let s = Store::open_async(&p).await.unwrap();
        assert_eq!(s.schema_version().await.unwrap(), SCHEMA_VERSION);
        let (fk, sync, mode): (i64, i64, String) = s
            .call(|c| {
                Ok((
                    c.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?,
                    c.query_row("PRAGMA synchronous", [], |r| r.get(0))?,
                    c.query_row("PRAGMA journal_mode", [], |r| r.get(0))?,
                ))
            })
            .await
            .unwrap();
        assert_eq!((fk, sync, mode.as_str()), (1, 2, "wal"));
        drop(s);
        let s = Store::open_async(&p).await.unwrap();
        assert_eq!(s.schema_version().await.unwrap(), SCHEMA_VERSION);
    }

    #[tokio::test]
    async fn refuses_newer_schema() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("p.sqlite3");
        {
            let c = Connection::open(&p).unwrap();
            c.pragma_update(None, "user_version", 99).unwrap();
        }
        let e = Store::open_async(&p).await.unwrap_err();
        assert!(matches!(e, Error::SchemaTooNew { found: 99, .. }), "{e}");
    }
}

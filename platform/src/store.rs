//! The platform database as the ingest sees it: a [`Db`] (SQLite or PostgreSQL, one URL) and
//! the ingest's own writes of base data (regions, mines).
//!
//! Key design decision: **writes go one at a time on SQLite, side by side on PostgreSQL.**
//! SQLite has one writer per file; the old store kept one writer connection behind a mutex,
//! so a busy platform queued its commits in order instead of polling SQLite's busy timeout
//! (which sleeps up to 100 ms between tries). [`Store::call`] keeps that: on SQLite it takes an
//! in-process write lock before it borrows a pooled connection; on PostgreSQL it takes none and
//! the server's row locks decide (`UNIQUE (name)` for two uploads of one name). Reads
//! ([`Store::read`]) never take the lock: WAL lets them run beside the writer.
//!
//! Schema and migrations are the [`crate::db`] layer's (`migrations/ingest/`, step 0); an SQLite
//! file the old store made (`PRAGMA user_version` 2) is adopted as it is. SQLite keeps WAL,
//! `synchronous=FULL` and foreign keys on every connection, so a commit that returned survives
//! a power loss. Every call runs its closure on tokio's blocking pool; never hold a [`Conn`]
//! across an `.await`.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::db::{Backend, Conn, Db};
use crate::error::{Error, Result};

/// Handle to the platform database. Cheap to clone; clones share the pool and the write lock.
#[derive(Clone)]
pub struct Store {
    db: Db,
    /// SQLite only: the one writer at a time.
    writer: Option<Arc<Mutex<()>>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("db", &self.db).finish()
    }
}

fn lock(m: &Mutex<()>) -> MutexGuard<'_, ()> {
    // The lock guards no data, only the turn to write: a poisoned lock is usable.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Store {
    /// A store over an open (migrated) database.
    pub fn from_db(db: Db) -> Store {
        let writer = (db.backend() == Backend::Sqlite).then(|| Arc::new(Mutex::new(())));
        Store { db, writer }
    }

    /// Opens (creating if needed) the SQLite database file and brings its schema up to date.
    /// Blocking: call it at start-up, or inside `spawn_blocking`.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        Store::connect(&sqlite_url(path.as_ref())?)
    }

    /// Async [`Store::open`].
    pub async fn open_async(path: impl AsRef<Path>) -> Result<Store> {
        Store::connect_async(&sqlite_url(path.as_ref())?).await
    }

    /// Opens the database at `url` (`sqlite:PATH`, a file path, or `postgres://...`) and brings
    /// its schema up to date. Blocking, like [`Store::open`].
    pub fn connect(url: &str) -> Result<Store> {
        Db::open(url).map(Store::from_db)
    }

    /// Async [`Store::connect`].
    pub async fn connect_async(url: &str) -> Result<Store> {
        Db::open_async(url).await.map(Store::from_db)
    }

    /// The database layer underneath (shared with the supervision code).
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        self.db.backend()
    }

    /// Runs `f`, which writes, with a pooled connection on the blocking pool (on SQLite after
    /// the in-process write lock; see the module docs).
    pub async fn call<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&mut Conn) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.call_blocking(f)).await?
    }

    /// Runs `f`, which only reads, with a pooled connection on the blocking pool.
    pub async fn read<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&mut Conn) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        self.db.run(f).await
    }

    /// [`Store::call`] on the current thread. Only for code that is already on a blocking
    /// thread (inside `spawn_blocking`) or at start-up.
    pub fn call_blocking<T>(&self, f: impl FnOnce(&mut Conn) -> Result<T>) -> Result<T> {
        let _turn = self.writer.as_deref().map(lock);
        self.db.run_blocking(f)
    }

    /// [`Store::read`] on the current thread, which must not be an async one.
    pub fn read_blocking<T>(&self, f: impl FnOnce(&mut Conn) -> Result<T>) -> Result<T> {
        self.db.run_blocking(f)
    }

    /// The newest migration step recorded in `schema_migrations`.
    pub async fn schema_version(&self) -> Result<i64> {
        self.read(|c| {
            c.query_one("SELECT MAX(version) AS v FROM schema_migrations", &[])?
                .i64("v")
        })
        .await
    }
}

/// The URL of an SQLite file.
fn sqlite_url(path: &Path) -> Result<String> {
    let p = path.to_str().ok_or_else(|| {
        Error::config("database path", "a UTF-8 file path", path.to_string_lossy())
    })?;
    Ok(format!("sqlite:{p}"))
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
        let params = vec![
            code.into(),
            name.into(),
            level.as_str().into(),
            parent.into(),
        ];
        self.call(move |c| {
            c.execute(
                "INSERT INTO regions (code, name, level, parent) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level, \
                 parent = excluded.parent",
                &params,
            )
            .map(drop)
        })
        .await
    }

    /// Inserts or updates a mine (12-digit code; R1: its county is the first 6 digits unless
    /// given).
    pub async fn upsert_mine(
        &self,
        code: &str,
        name: &str,
        county: &str,
        state: &str,
    ) -> Result<()> {
        let params = vec![code.into(), name.into(), county.into(), state.into()];
        self.call(move |c| {
            c.execute(
                "INSERT INTO mines (code, name, county, state) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name, \
                 county = excluded.county, state = excluded.state",
                &params,
            )
            .map(drop)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::db::MIGRATIONS_SQLITE;
    use crate::db::testing::on_both_backends;

    const LEGACY_V1: &str = include_str!("../migrations/0001_ingest.sql");
    const LEGACY_V2: &str = include_str!("../migrations/0002_ingest_indexes.sql");

    fn newest() -> i64 {
        MIGRATIONS_SQLITE.last().unwrap().version
    }

    #[tokio::test]
    async fn migrates_once_and_reopens_with_wal_and_full_sync() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("db/p.sqlite3");
        let s = Store::open_async(&p).await.unwrap();
        assert_eq!(s.schema_version().await.unwrap(), newest());
        let (fk, sync, mode) = s
            .read(|c| {
                Ok((
                    c.query_one("PRAGMA foreign_keys", &[])?
                        .i64("foreign_keys")?,
                    c.query_one("PRAGMA synchronous", &[])?.i64("synchronous")?,
                    c.query_one("PRAGMA journal_mode", &[])?
                        .text("journal_mode")?,
                ))
            })
            .await
            .unwrap();
        assert_eq!((fk, sync, mode.as_str()), (1, 2, "wal"));
        drop(s);
        let s = Store::open_async(&p).await.unwrap();
        assert_eq!(s.schema_version().await.unwrap(), newest());
    }

    /// Makes a file as the old store did: its migrations up to `user_version`, and one event.
    fn legacy_file(p: &Path, user_version: i64) {
        let c = rusqlite::Connection::open(p).unwrap();
        c.execute_batch(LEGACY_V1).unwrap();
        if user_version >= 2 {
            c.execute_batch(LEGACY_V2).unwrap();
        }
        c.execute_batch(
            "INSERT INTO regions VALUES ('140421', 'county', 'county', NULL);
             INSERT INTO mines VALUES ('140421007866', 'm', '140421', '停产');
             INSERT INTO evidence VALUES ('aa', 3, 'image/jpeg', 64, 48, 'jpeg', NULL, 't');
             INSERT INTO events (name, clause, mine, mine_time, event_utc, received_at, channel,
                 account, sha256, findings)
             VALUES ('old.jpg', 'U1', '140421007866', '20210104224515', '2021-01-04T14:45:15Z',
                 'r', 'ftp', 'a', 'aa', '[]');",
        )
        .unwrap();
        c.pragma_update(None, "user_version", user_version).unwrap();
    }

    async fn index_names(s: &Store) -> Vec<String> {
        s.read(|c| {
            c.query(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' \
                 ORDER BY name",
                &[],
            )?
            .iter()
            .map(|r| r.text("name"))
            .collect()
        })
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn adopts_a_file_of_the_old_store_and_keeps_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let fresh = Store::open_async(dir.path().join("fresh.sqlite3"))
            .await
            .unwrap();
        for user_version in [1, 2] {
            let p = dir.path().join(format!("old{user_version}.sqlite3"));
            legacy_file(&p, user_version);
            let s = Store::open_async(&p).await.unwrap();
            assert_eq!(s.schema_version().await.unwrap(), newest());
            let old = s
                .read(|c| c.query_one("SELECT name FROM events", &[])?.text("name"))
                .await
                .unwrap();
            assert_eq!(old, "old.jpg");
            // The same indexes as a file made now, and the supervision tables beside them.
            assert_eq!(index_names(&s).await, index_names(&fresh).await);
            s.upsert_mine("140421007867", "n", "140421", "关闭")
                .await
                .unwrap();
            drop(s);
            // Reopening does nothing more.
            let s = Store::open_async(&p).await.unwrap();
            let steps = s
                .read(|c| c.query("SELECT version FROM schema_migrations", &[]))
                .await
                .unwrap();
            assert_eq!(steps.len(), MIGRATIONS_SQLITE.len());
        }
    }

    #[tokio::test]
    async fn refuses_a_file_of_a_newer_old_store_or_one_without_its_tables() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("p.sqlite3");
        {
            let c = rusqlite::Connection::open(&p).unwrap();
            c.pragma_update(None, "user_version", 99).unwrap();
        }
        let e = Store::open_async(&p).await.unwrap_err();
        assert!(
            matches!(
                e,
                Error::SchemaTooNew {
                    found: 99,
                    known: 2
                }
            ),
            "{e}"
        );
        let p = dir.path().join("q.sqlite3");
        {
            let c = rusqlite::Connection::open(&p).unwrap();
            c.execute_batch("CREATE TABLE regions (code TEXT)").unwrap();
            c.pragma_update(None, "user_version", 2).unwrap();
        }
        let e = Store::open_async(&p).await.unwrap_err().to_string();
        assert!(
            e.contains("user_version 2") && e.contains("mines, accounts, evidence, events"),
            "{e}"
        );
    }

    on_both_backends!(upserts_replace_base_data);

    async fn upserts_replace_base_data(db: Db) {
        let s = Store::from_db(db);
        s.upsert_region("140400", "长治市", RegionLevel::City, None)
            .await
            .unwrap();
        s.upsert_region("140421", "x", RegionLevel::County, Some("140400"))
            .await
            .unwrap();
        s.upsert_region("140421", "长治县", RegionLevel::County, Some("140400"))
            .await
            .unwrap();
        s.upsert_mine("140421007866", "m", "140421", "停产")
            .await
            .unwrap();
        s.upsert_mine("140421007866", "m", "140421", "关闭")
            .await
            .unwrap();
        let rows = s
            .read(|c| {
                c.query(
                    "SELECT r.name AS county, m.state FROM mines m JOIN regions r ON r.code = m.county",
                    &[],
                )
            })
            .await
            .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].text("county").unwrap(), "长治县");
        assert_eq!(rows[0].text("state").unwrap(), "关闭");
        // A mine of an unknown county is refused by the foreign key, on both backends.
        let e = s
            .upsert_mine("150421000001", "m", "150421", "停产")
            .await
            .unwrap_err();
        assert!(
            matches!(
                e,
                Error::Constraint {
                    kind: crate::db::ConstraintKind::ForeignKey,
                    ..
                }
            ),
            "{e}"
        );
    }
}

//! One database layer over two backends: SQLite (the embedded default) and PostgreSQL (national
//! scale, issue 6). The whole platform — the ingest store ([`crate::store`]) and the supervision
//! code ([`crate::supervision`]) — is written once against it.
//!
//! Key design decision: **the same SQL text runs on both backends; only the DDL differs.**
//! Statements use PostgreSQL's `$1, $2 ...` placeholders. SQLite reads `$1` as a parameter
//! *named* "$1", numbered in order of first appearance, so binding by position would silently
//! mix up `WHERE b = $2 AND a = $1`; this layer binds every SQLite parameter by its name's number
//! instead, and refuses `?`, gaps and unused parameters the way PostgreSQL does. Values cross in
//! a [`Value`] of the types both store alike (integers are `BIGINT`, booleans are SQLite 0/1),
//! rows come back as a [`Row`] read by column name, and constraint failures come back as one
//! backend-neutral [`Error::Constraint`]. SQLite tables are `STRICT`, so a wrong type fails on
//! the embedded backend as it would on PostgreSQL, not silently.
//!
//! Other choices, each the same on both backends:
//! - **Times** are RFC 3339 UTC text with milliseconds ([`time_text`]), like the ingest store:
//!   fixed width, so text order is time order (PostgreSQL time columns are `COLLATE "C"`).
//! - **JSON** documents are `TEXT`; the code parses them ([`Row::json`]).
//! - **Blocking calls on tokio's blocking pool.** Both drivers are synchronous (the `postgres`
//!   crate drives its own small runtime). [`Db::run`] and [`Db::transaction`] run a closure
//!   with a pooled [`Conn`] on `spawn_blocking`; the `*_blocking` twins are for code already on
//!   a blocking thread. Never call a `*_blocking` method or [`Db::open`] on an async thread.
//! - **Transactions are closures**: [`Conn::transaction`] commits when the closure returns `Ok`
//!   and rolls back on `Err`; nested calls are savepoints. SQLite transactions begin
//!   `IMMEDIATE`, so two writers wait on the busy timeout instead of deadlocking.
//! - **Migrations** are per-backend SQL files under
//!   `migrations/{ingest,supervision}/{sqlite,postgres}/` with the same numbers and names, applied
//!   in order and recorded in `schema_migrations` ([`MIGRATIONS_SQLITE`],
//!   [`MIGRATIONS_POSTGRES`]); an SQLite file of the old ingest store is adopted (`migrate.rs`).
//! - **A small pool** per [`Db`] (default 4 connections); a connection left inside a
//!   transaction by a panic, or closed by the server, is dropped instead of reused.

mod migrate;
mod pg;
mod sqlite;
pub mod testing;
mod value;

#[cfg(test)]
mod tests;

use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

pub use migrate::{MIGRATIONS_POSTGRES, MIGRATIONS_SQLITE, Migration};
pub use value::{FromValue, Row, Value, time_text};

use crate::error::{Error, Result};

/// Which database a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An SQLite file (rusqlite, bundled SQLite).
    Sqlite,
    /// A PostgreSQL server (the `postgres` crate, no TLS).
    Postgres,
}

/// The kind of a failed constraint, the same on both backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConstraintKind {
    /// A `PRIMARY KEY` or `UNIQUE` value exists already.
    Unique,
    /// A `REFERENCES` target is missing (or still referenced).
    ForeignKey,
    /// A `CHECK` failed.
    Check,
    /// A `NOT NULL` column got a NULL.
    NotNull,
    /// Another integrity rule (e.g. a trigger that keeps a table append-only).
    Other,
}

impl fmt::Display for ConstraintKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConstraintKind::Unique => "unique",
            ConstraintKind::ForeignKey => "foreign key",
            ConstraintKind::Check => "check",
            ConstraintKind::NotNull => "not null",
            ConstraintKind::Other => "integrity",
        })
    }
}

/// How long a call waits for a free pooled connection before it fails.
const POOL_WAIT: Duration = Duration::from_secs(30);

/// Handle to a database, either backend. Cheap to clone; clones share the pool.
///
/// ```no_run
/// # async fn f() -> eseal_platform::Result<()> {
/// use eseal_platform::db::Db;
/// let db = Db::open_async("sqlite:data/supervision.sqlite3").await?;
/// let n: i64 = db
///     .query_one("SELECT COUNT(*) AS n FROM users WHERE unit = $1", vec!["140421".into()])
///     .await?
///     .i64("n")?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Db {
    inner: Arc<Pool>,
}

impl fmt::Debug for Db {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Db")
            .field("backend", &self.inner.backend)
            .field("target", &self.inner.target)
            .finish_non_exhaustive()
    }
}

/// Builder of a [`Db`]: URL, pool size, PostgreSQL schema.
#[derive(Debug, Clone)]
pub struct DbBuilder {
    url: String,
    pool_size: usize,
    pg_schema: Option<String>,
}

/// Where a URL points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    Sqlite(PathBuf),
    Postgres(String),
}

pub(crate) fn parse_url(url: &str) -> Result<Target> {
    const EXPECTED: &str = "sqlite:PATH, a file path, or postgres://USER:PASSWORD@HOST/DB";
    let url = url.trim();
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Target::Postgres(url.to_owned()));
    }
    let path = match url.strip_prefix("sqlite:") {
        Some(rest) => rest.strip_prefix("//").unwrap_or(rest),
        None if url.contains("://") => return Err(Error::config("database url", EXPECTED, url)),
        None => url,
    };
    if path.is_empty() || path == ":memory:" {
        // A pool of in-memory databases would be several unrelated databases.
        return Err(Error::config(
            "database url",
            "a file path (in-memory SQLite is not supported)",
            url,
        ));
    }
    Ok(Target::Sqlite(PathBuf::from(path)))
}

/// The URL without its password, for logs and `Debug`.
pub(crate) fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let rest = &url[scheme_end..];
    let Some(at) = rest.find('@') else {
        return url.to_owned();
    };
    match rest[..at].find(':') {
        Some(colon) => format!(
            "{}{}:***{}",
            &url[..scheme_end],
            &rest[..colon],
            &rest[at..]
        ),
        None => url.to_owned(),
    }
}

fn valid_schema(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && s.len() <= 63
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl DbBuilder {
    /// Connections kept at most (default 4; at least 1).
    pub fn pool_size(mut self, n: usize) -> Self {
        self.pool_size = n.max(1);
        self
    }

    /// PostgreSQL only: keep the tables in this schema (created if missing; every connection
    /// sets `search_path` to it). Lowercase letters, digits and `_`. Ignored for SQLite.
    pub fn pg_schema(mut self, schema: impl Into<String>) -> Self {
        self.pg_schema = Some(schema.into());
        self
    }

    /// Connects and brings the schema (ingest and supervision) up to date. Blocking: at start-up or inside
    /// `spawn_blocking` ([`DbBuilder::open_async`] does that).
    pub fn open(self) -> Result<Db> {
        let target = parse_url(&self.url)?;
        let (backend, shown, connect): (Backend, String, Connector) = match target {
            Target::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)
                        .map_err(|e| Error::io(format!("could not create {}", dir.display()), e))?;
                }
                let shown = path.display().to_string();
                (
                    Backend::Sqlite,
                    shown,
                    Box::new(move || sqlite::connect(&path)),
                )
            }
            Target::Postgres(url) => {
                let schema = match self.pg_schema {
                    Some(s) if !valid_schema(&s) => {
                        return Err(Error::config(
                            "pg_schema",
                            "lowercase letters, digits and _, starting with a letter or _",
                            s,
                        ));
                    }
                    other => other,
                };
                let config = pg::config(&url)?;
                let shown = redact(&url);
                // The first connection creates the schema; later ones only set search_path.
                let first = pg::connect(&config, schema.as_deref(), true)?;
                let c = Box::new(move || pg::connect(&config, schema.as_deref(), false));
                let pool = Pool::new(Backend::Postgres, shown, self.pool_size, c);
                pool.checkin(Conn::new(first));
                return finish(pool);
            }
        };
        finish(Pool::new(backend, shown, self.pool_size, connect))
    }

    /// [`DbBuilder::open`] on the blocking pool.
    pub async fn open_async(self) -> Result<Db> {
        tokio::task::spawn_blocking(move || self.open()).await?
    }
}

fn finish(pool: Pool) -> Result<Db> {
    let db = Db {
        inner: Arc::new(pool),
    };
    db.run_blocking(|c| migrate::migrate(c).map(drop))?;
    tracing::debug!(backend = ?db.backend(), target = %db.inner.target, "database open");
    Ok(db)
}

impl Db {
    /// A builder for `url`: `sqlite:PATH`, a plain file path, or `postgres://...`.
    pub fn builder(url: impl Into<String>) -> DbBuilder {
        DbBuilder {
            url: url.into(),
            pool_size: 4,
            pg_schema: None,
        }
    }

    /// Opens `url` with the defaults, migrating it. Blocking (see [`Db::open_async`]).
    pub fn open(url: &str) -> Result<Db> {
        Db::builder(url).open()
    }

    /// Opens `url` on the blocking pool.
    pub async fn open_async(url: &str) -> Result<Db> {
        Db::builder(url).open_async().await
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        self.inner.backend
    }

    /// Runs `f` with a pooled connection on tokio's blocking pool.
    pub async fn run<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&mut Conn) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.clone();
        tokio::task::spawn_blocking(move || db.run_blocking(f)).await?
    }

    /// Runs `f` inside one transaction on the blocking pool: committed when `f` returns `Ok`,
    /// rolled back when it returns `Err`.
    pub async fn transaction<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&mut Conn) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        self.run(move |c| c.transaction(f)).await
    }

    /// Runs `f` with a pooled connection on the current thread, which must not be an async one.
    pub fn run_blocking<T>(&self, f: impl FnOnce(&mut Conn) -> Result<T>) -> Result<T> {
        let mut pooled = self.inner.checkout()?;
        f(pooled.conn())
    }

    /// [`Db::transaction`] on the current thread, which must not be an async one.
    pub fn transaction_blocking<T>(&self, f: impl FnOnce(&mut Conn) -> Result<T>) -> Result<T> {
        self.run_blocking(|c| c.transaction(f))
    }

    /// [`Conn::execute`] on the blocking pool.
    pub async fn execute(&self, sql: impl Into<String>, params: Vec<Value>) -> Result<u64> {
        let sql = sql.into();
        self.run(move |c| c.execute(&sql, &params)).await
    }

    /// [`Conn::query`] on the blocking pool.
    pub async fn query(&self, sql: impl Into<String>, params: Vec<Value>) -> Result<Vec<Row>> {
        let sql = sql.into();
        self.run(move |c| c.query(&sql, &params)).await
    }

    /// [`Conn::query_one`] on the blocking pool.
    pub async fn query_one(&self, sql: impl Into<String>, params: Vec<Value>) -> Result<Row> {
        let sql = sql.into();
        self.run(move |c| c.query_one(&sql, &params)).await
    }

    /// [`Conn::query_opt`] on the blocking pool.
    pub async fn query_opt(
        &self,
        sql: impl Into<String>,
        params: Vec<Value>,
    ) -> Result<Option<Row>> {
        let sql = sql.into();
        self.run(move |c| c.query_opt(&sql, &params)).await
    }
}

/// The driver connection inside a [`Conn`].
enum Raw {
    Sqlite(rusqlite::Connection),
    Pg(postgres::Client),
}

/// A connection lent for one call. Every query method takes `$1, $2 ...` placeholders and
/// exactly as many [`Value`]s.
pub struct Conn {
    raw: Raw,
    /// Open transactions (0 outside, 1 in a transaction, more in savepoints).
    depth: u32,
}

impl fmt::Debug for Conn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Conn")
            .field("backend", &self.backend())
            .field("depth", &self.depth)
            .finish()
    }
}

impl Conn {
    fn new(raw: Raw) -> Conn {
        Conn { raw, depth: 0 }
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        match self.raw {
            Raw::Sqlite(_) => Backend::Sqlite,
            Raw::Pg(_) => Backend::Postgres,
        }
    }

    /// Whether a transaction is open on this connection.
    pub fn in_transaction(&self) -> bool {
        self.depth > 0
    }

    /// Runs a statement; the number of rows it changed (for a statement with result rows, such
    /// as `... RETURNING`, the number of rows it returned, as PostgreSQL counts them).
    pub fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        match &mut self.raw {
            Raw::Sqlite(c) => sqlite::execute(c, sql, params),
            Raw::Pg(c) => pg::execute(c, sql, params),
        }
    }

    /// Runs a query; all its rows.
    pub fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        match &mut self.raw {
            Raw::Sqlite(c) => sqlite::query(c, sql, params),
            Raw::Pg(c) => pg::query(c, sql, params),
        }
    }

    /// Runs a query that must return exactly one row.
    pub fn query_one(&mut self, sql: &str, params: &[Value]) -> Result<Row> {
        self.query_opt(sql, params)?
            .ok_or_else(|| Error::Query("expected one row, found none".to_owned()))
    }

    /// Runs a query that returns at most one row.
    pub fn query_opt(&mut self, sql: &str, params: &[Value]) -> Result<Option<Row>> {
        let mut rows = self.query(sql, params)?;
        if rows.len() > 1 {
            return Err(Error::Query(format!(
                "expected at most one row, found {}",
                rows.len()
            )));
        }
        Ok(rows.pop())
    }

    /// Runs an `INSERT ... RETURNING id` and gives the new row's `id`.
    pub fn insert_id(&mut self, sql: &str, params: &[Value]) -> Result<i64> {
        self.query_one(sql, params)?.i64("id")
    }

    /// Runs several statements without parameters (DDL, migrations).
    pub fn execute_batch(&mut self, sql: &str) -> Result<()> {
        match &mut self.raw {
            Raw::Sqlite(c) => c.execute_batch(sql).map_err(sqlite::error),
            Raw::Pg(c) => c.batch_execute(sql).map_err(pg::error),
        }
    }

    /// Runs `f` in a transaction (a savepoint when one is already open): committed when `f`
    /// returns `Ok`, rolled back when it returns `Err`, whose error is returned.
    pub fn transaction<T>(&mut self, f: impl FnOnce(&mut Conn) -> Result<T>) -> Result<T> {
        let depth = self.depth;
        let (begin, commit, rollback) = if depth == 0 {
            let begin = match self.raw {
                Raw::Sqlite(_) => "BEGIN IMMEDIATE",
                Raw::Pg(_) => "BEGIN",
            };
            (begin.to_owned(), "COMMIT".to_owned(), "ROLLBACK".to_owned())
        } else {
            (
                format!("SAVEPOINT sp{depth}"),
                format!("RELEASE SAVEPOINT sp{depth}"),
                format!("ROLLBACK TO SAVEPOINT sp{depth}; RELEASE SAVEPOINT sp{depth}"),
            )
        };
        self.execute_batch(&begin)?;
        self.depth += 1;
        let result = f(self).and_then(|v| self.execute_batch(&commit).map(|()| v));
        match result {
            Ok(v) => {
                self.depth -= 1;
                Ok(v)
            }
            Err(e) => {
                // If even the rollback fails, `depth` stays raised and the pool drops this
                // connection instead of lending it out inside a half-done transaction.
                match self.execute_batch(&rollback) {
                    Ok(()) => self.depth -= 1,
                    Err(r) => {
                        tracing::warn!(error = %r, "rollback failed; dropping the connection")
                    }
                }
                Err(e)
            }
        }
    }

    fn reusable(&self) -> bool {
        self.depth == 0
            && match &self.raw {
                Raw::Sqlite(_) => true,
                Raw::Pg(c) => !c.is_closed(),
            }
    }
}

type Connector = Box<dyn Fn() -> Result<Raw> + Send + Sync>;

struct Pool {
    backend: Backend,
    /// The file or the URL without its password.
    target: String,
    connect: Connector,
    max: usize,
    state: Mutex<PoolState>,
    freed: Condvar,
}

struct PoolState {
    idle: Vec<Conn>,
    /// Connections in existence (idle or lent).
    open: usize,
}

fn lock(m: &Mutex<PoolState>) -> MutexGuard<'_, PoolState> {
    // The state is two plain fields, consistent between statements: a poisoned lock is usable.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Pool {
    fn new(backend: Backend, target: String, max: usize, connect: Connector) -> Pool {
        Pool {
            backend,
            target,
            connect,
            max: max.max(1),
            state: Mutex::new(PoolState {
                idle: Vec::new(),
                open: 0,
            }),
            freed: Condvar::new(),
        }
    }

    /// Adds a connection made outside [`Pool::checkout`] (the first PostgreSQL one).
    fn checkin(&self, conn: Conn) {
        let mut st = lock(&self.state);
        st.open += 1;
        st.idle.push(conn);
    }

    fn checkout(&self) -> Result<Pooled<'_>> {
        let mut st = lock(&self.state);
        loop {
            if let Some(conn) = st.idle.pop() {
                return Ok(Pooled {
                    pool: self,
                    conn: Some(conn),
                });
            }
            if st.open < self.max {
                st.open += 1;
                drop(st);
                return match (self.connect)() {
                    Ok(raw) => Ok(Pooled {
                        pool: self,
                        conn: Some(Conn::new(raw)),
                    }),
                    Err(e) => {
                        lock(&self.state).open -= 1;
                        self.freed.notify_one();
                        Err(e)
                    }
                };
            }
            let (guard, wait) = self
                .freed
                .wait_timeout(st, POOL_WAIT)
                .unwrap_or_else(|p| p.into_inner());
            st = guard;
            if wait.timed_out() && st.idle.is_empty() && st.open >= self.max {
                return Err(Error::Internal(format!(
                    "all {} database connections stayed busy for {}s",
                    self.max,
                    POOL_WAIT.as_secs()
                )));
            }
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        let idle = std::mem::take(&mut lock(&self.state).idle);
        if self.backend == Backend::Postgres && !idle.is_empty() {
            // A `postgres::Client` closes by blocking on its own runtime, which panics on an
            // async thread, and the last `Db` clone may well be dropped on one.
            let closer = std::thread::spawn(move || drop(idle));
            if closer.join().is_err() {
                tracing::warn!("closing PostgreSQL connections panicked");
            }
        }
    }
}

/// A connection lent by the pool; given back (or dropped, when not reusable) on drop.
struct Pooled<'a> {
    pool: &'a Pool,
    conn: Option<Conn>,
}

impl Pooled<'_> {
    fn conn(&mut self) -> &mut Conn {
        // Only `Drop` takes the connection out.
        self.conn
            .as_mut()
            .expect("a pooled connection is present until drop")
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        let mut st = lock(&self.pool.state);
        if conn.reusable() {
            st.idle.push(conn);
        } else {
            st.open -= 1;
            drop(st);
            drop(conn);
        }
        self.pool.freed.notify_one();
    }
}

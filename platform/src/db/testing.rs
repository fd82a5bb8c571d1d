//! Test support: a fresh, migrated database per test on each backend.
//!
//! SQLite: a file in a temporary directory. PostgreSQL, when `ESEAL_TEST_PG_URL` is set (see
//! `scripts/postgres.sh`): a schema `t_<random>` of that database, dropped when the [`TestDb`]
//! is, so tests run in parallel without seeing each other's rows.
//!
//! Inside this crate, `on_both_backends!(name, ...)` turns each `async fn name(db: Db)` into the
//! tests `name::sqlite` and `name::postgres`; the PostgreSQL one says on stderr that it did not
//! run when `ESEAL_TEST_PG_URL` is unset, and fails when it is set but unusable.

use super::Db;
use crate::error::{Error, Result};

/// The environment variable with the PostgreSQL URL of the tests.
pub const PG_URL_VAR: &str = "ESEAL_TEST_PG_URL";

/// A database that lives as long as this value.
#[derive(Debug)]
pub struct TestDb {
    /// The handle.
    pub db: Db,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl TestDb {
    /// A fresh SQLite file.
    pub async fn sqlite() -> Result<TestDb> {
        let dir = tempfile::tempdir().map_err(|e| Error::io("could not create a temp dir", e))?;
        let path = dir.path().join("supervision.sqlite3");
        let db = Db::builder(format!("sqlite:{}", path.display()))
            .open_async()
            .await?;
        Ok(TestDb {
            db,
            _dir: Some(dir),
            pg: None,
        })
    }

    /// A fresh schema in the database of `ESEAL_TEST_PG_URL`; `None` when it is unset.
    pub async fn postgres() -> Result<Option<TestDb>> {
        let Ok(url) = std::env::var(PG_URL_VAR) else {
            return Ok(None);
        };
        let schema = format!("t_{:016x}", rand::random::<u64>());
        let opened = Db::builder(url.clone())
            .pool_size(2)
            .pg_schema(schema.clone())
            .open_async()
            .await;
        match opened {
            Ok(db) => Ok(Some(TestDb {
                db,
                _dir: None,
                pg: Some((url, schema)),
            })),
            Err(e) => {
                // A migration that failed half-way may have left the schema behind.
                drop_schema(url, schema);
                Err(e)
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((url, schema)) = self.pg.take() {
            drop_schema(url, schema);
        }
    }
}

fn drop_schema(url: String, schema: String) {
    // The sync client must not run on an async thread: drop the schema from a plain one.
    let dropped = std::thread::spawn(move || -> std::result::Result<(), String> {
        let mut c = postgres::Client::connect(&url, postgres::NoTls).map_err(|e| e.to_string())?;
        c.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
            .map_err(|e| e.to_string())
    })
    .join();
    match dropped {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "could not drop the test schema"),
        Err(_) => tracing::warn!("dropping the test schema panicked"),
    }
}

/// `on_both_backends!(a, b)`: tests `a::sqlite`, `a::postgres`, ... of `async fn a(db: Db)`.
#[cfg(test)]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let t = $crate::db::testing::TestDb::sqlite().await.expect("SQLite test database");
                super::$name(t.db.clone()).await;
            }

            #[tokio::test]
            async fn postgres() {
                let Some(t) = $crate::db::testing::TestDb::postgres()
                    .await
                    .expect("PostgreSQL test database (ESEAL_TEST_PG_URL is set)")
                else {
                    eprintln!(
                        "{}: not run on PostgreSQL: {} is unset (scripts/postgres.sh)",
                        stringify!($name),
                        $crate::db::testing::PG_URL_VAR
                    );
                    return;
                };
                super::$name(t.db.clone()).await;
            }
        }
    )+};
}
#[cfg(test)]
pub(crate) use on_both_backends;

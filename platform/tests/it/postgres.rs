//! The whole platform on PostgreSQL from one URL (issue 6): FTP upload, event, restart. Runs
//! when `ESEAL_TEST_PG_URL` is set (`scripts/postgres.sh`), in a schema of its own.

use eseal_platform::db::Backend;

use crate::support::*;

/// A fresh schema of the test database, dropped on drop; `url` selects it for every connection
/// (`options=-csearch_path=...`).
pub(crate) struct PgSchema {
    base: String,
    name: String,
    pub(crate) url: String,
}

impl PgSchema {
    /// A new schema, or `None` when `ESEAL_TEST_PG_URL` is unset.
    pub(crate) fn create() -> Option<PgSchema> {
        let base = std::env::var(eseal_platform::db::testing::PG_URL_VAR).ok()?;
        let name = format!("t_{:016x}", rand::random::<u64>());
        run_sql(&base, format!("CREATE SCHEMA \"{name}\""));
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-csearch_path%3D{name}");
        Some(PgSchema { base, name, url })
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        run_sql(
            &self.base,
            format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.name),
        );
    }
}

/// Runs `sql` on a plain thread (the sync client must not block an async one).
fn run_sql(url: &str, sql: String) {
    let url = url.to_owned();
    std::thread::spawn(move || {
        let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        c.batch_execute(&sql).unwrap();
    })
    .join()
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_platform_runs_on_postgres_from_one_url() {
    let Some(schema) = PgSchema::create() else {
        eprintln!("not run on PostgreSQL: ESEAL_TEST_PG_URL is unset (scripts/postgres.sh)");
        return;
    };
    let url = schema.url.clone();
    let tp = TestPlatform::start_with(|b| b.database_url(url)).await;
    assert_eq!(tp.platform.store.backend(), Backend::Postgres);
    let acc = tp.account(MINE).clone();
    let name = "1404210078662001000520210104224515.jpg";
    let mut ftp = suppa_login(tp.port(), &acc.username, &acc.password).await;
    suppa_put(&mut ftp, name, &jpeg(1)).await.unwrap();
    // The same name with other bytes: a U8 conflict, recorded as a violation.
    let e = suppa_put(&mut ftp, name, &jpeg(2)).await.unwrap_err();
    assert!(e.to_string().contains("U8"), "{e}");
    let _ = ftp.quit().await;
    let ingest = &tp.platform.ingest;
    let event = ingest.event_by_name(name).await.unwrap().unwrap();
    assert_eq!(event.sha256, sha256_hex(&jpeg(1)));
    assert_eq!(ingest.violations().await.unwrap().len(), 1);
    // Nothing went to the SQLite file of the data directory.
    assert!(!tp.platform.config.database_path().exists());

    // A restart on the same database finds the event and migrates nothing again.
    let tp = tp.restart().await;
    assert_eq!(tp.platform.ingest.count_events().await.unwrap(), 1);
    assert_eq!(tp.platform.ingest.orphan_sweep(), Default::default());
    tp.platform.shutdown().await.unwrap();
}

//! Tests of the database layer, each run on SQLite and (with `ESEAL_TEST_PG_URL`) PostgreSQL.
#![allow(clippy::unwrap_used)]

use super::testing::on_both_backends;
use super::*;

fn units_row(code: &str, name: &str, level: &str, parent: Option<&str>) -> Vec<Value> {
    vec![
        code.into(),
        name.into(),
        level.into(),
        parent.into(),
        "2021-01-04T14:45:15.000Z".into(),
    ]
}

const INSERT_UNIT: &str =
    "INSERT INTO units (code, name, level, parent, created_at) VALUES ($1, $2, $3, $4, $5)";

async fn seed(db: &Db) {
    db.execute(INSERT_UNIT, units_row("000000", "国家", "national", None))
        .await
        .unwrap();
    db.execute(
        INSERT_UNIT,
        units_row("140000", "山西省", "province", Some("000000")),
    )
    .await
    .unwrap();
}

async fn count(db: &Db, table: &str) -> i64 {
    db.query_one(format!("SELECT COUNT(*) AS n FROM {table}"), vec![])
        .await
        .unwrap()
        .i64("n")
        .unwrap()
}

on_both_backends!(
    migrates_once_and_records_it,
    binds_parameters_by_their_number,
    refuses_placeholders_the_other_backend_would_refuse,
    a_wrong_column_type_names_the_column,
    a_failed_transaction_leaves_nothing_behind,
    a_failed_savepoint_keeps_the_outer_transaction,
    a_panic_inside_a_transaction_does_not_poison_the_pool,
    constraint_failures_have_one_kind_on_both_backends,
    a_wrong_parameter_type_is_refused,
    inserts_return_their_id_and_booleans_round_trip,
    patrol_status_upserts_on_its_partial_unique_indexes,
    concurrent_writers_all_commit,
    refuses_a_schema_newer_than_the_build,
);

async fn migrates_once_and_records_it(db: Db) {
    let rows = db
        .query(
            "SELECT version, name FROM schema_migrations ORDER BY version",
            vec![],
        )
        .await
        .unwrap();
    let steps = match db.backend() {
        Backend::Sqlite => MIGRATIONS_SQLITE,
        Backend::Postgres => MIGRATIONS_POSTGRES,
    };
    assert_eq!(rows.len(), steps.len());
    for (row, step) in rows.iter().zip(steps) {
        assert_eq!(row.i64("version").unwrap(), step.version);
        assert_eq!(row.text("name").unwrap(), step.name);
    }
    // A second run (what reopening does) applies nothing.
    let again = db.run(migrate::migrate).await.unwrap();
    assert_eq!(again, Vec::<i64>::new());
    assert_eq!(count(&db, "units").await, 0);
}

async fn binds_parameters_by_their_number(db: Db) {
    seed(&db).await;
    // Out of order and repeated: SQLite would number these $2 → 1, $1 → 2 by appearance.
    db.execute(
        "INSERT INTO units (name, code, level, parent, created_at) VALUES ($2, $1, $3, $4, $5)",
        vec![
            "140400".into(),
            "忻州市".into(),
            "city".into(),
            "140000".into(),
            "2021-01-04T14:45:15.000Z".into(),
        ],
    )
    .await
    .unwrap();
    let row = db
        .query_one(
            "SELECT code, name FROM units WHERE level = $2 AND (code = $1 OR parent = $1)",
            vec!["140400".into(), "city".into()],
        )
        .await
        .unwrap();
    assert_eq!(row.text("code").unwrap(), "140400");
    assert_eq!(row.text("name").unwrap(), "忻州市");
}

async fn refuses_placeholders_the_other_backend_would_refuse(db: Db) {
    seed(&db).await;
    let question = db
        .query(
            "SELECT code FROM units WHERE code = ?",
            vec!["000000".into()],
        )
        .await;
    assert!(
        question.is_err(),
        "`?` placeholders run on one backend only"
    );
    let unused = db
        .query(
            "SELECT code FROM units WHERE code = $1",
            vec!["000000".into(), "extra".into()],
        )
        .await;
    assert!(unused.is_err(), "a parameter given but not used");
    let missing = db
        .query("SELECT code FROM units WHERE code = $2", vec!["x".into()])
        .await;
    assert!(missing.is_err(), "a parameter used but not given");
    if db.backend() == Backend::Sqlite {
        let e = question.unwrap_err().to_string();
        assert!(e.contains("expected $1, $2"), "{e}");
        let e = unused.unwrap_err().to_string();
        assert_eq!(e, "query: parameter $2 is given but not used (2 given)");
    }
}

async fn a_wrong_column_type_names_the_column(db: Db) {
    seed(&db).await;
    let row = db
        .query_one(
            "SELECT code, name, parent FROM units WHERE code = $1",
            vec!["000000".into()],
        )
        .await
        .unwrap();
    let e = row.i64("name").unwrap_err().to_string();
    assert_eq!(e, r#"column "name": expected integer, found text"#);
    let e = row.text("parent").unwrap_err().to_string();
    assert_eq!(e, r#"column "parent": expected text, found null"#);
    assert_eq!(row.get::<Option<String>>("parent").unwrap(), None);
    let e = db
        .query_one(
            "SELECT code FROM units WHERE code = $1",
            vec!["999999".into()],
        )
        .await
        .unwrap_err();
    assert_eq!(e.to_string(), "query: expected one row, found none");
}

async fn a_failed_transaction_leaves_nothing_behind(db: Db) {
    let e = db
        .transaction(|tx| {
            tx.execute(INSERT_UNIT, &units_row("000000", "国家", "national", None))?;
            tx.execute(
                INSERT_UNIT,
                &units_row("140000", "山西省", "province", Some("000000")),
            )?;
            assert_eq!(
                tx.query_one("SELECT COUNT(*) AS n FROM units", &[])?
                    .i64("n")?,
                2,
                "the transaction sees its own rows"
            );
            Err::<(), _>(Error::Conflict("changed my mind".to_owned()))
        })
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::Conflict(_)),
        "the closure's error comes back: {e}"
    );
    assert_eq!(count(&db, "units").await, 0);
    // And a statement that fails inside a transaction rolls back what came before it.
    let e = db
        .transaction(|tx| {
            tx.execute(INSERT_UNIT, &units_row("000000", "国家", "national", None))?;
            tx.execute(INSERT_UNIT, &units_row("000000", "again", "national", None))
        })
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Constraint {
                kind: ConstraintKind::Unique,
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(count(&db, "units").await, 0);
}

async fn a_failed_savepoint_keeps_the_outer_transaction(db: Db) {
    db.transaction(|tx| {
        tx.execute(INSERT_UNIT, &units_row("000000", "国家", "national", None))?;
        let inner = tx.transaction(|sp| {
            sp.execute(
                INSERT_UNIT,
                &units_row("140000", "山西省", "province", Some("000000")),
            )?;
            sp.execute(
                INSERT_UNIT,
                &units_row("150000", "x", "province", Some("999999")),
            )
        });
        assert!(
            matches!(
                inner,
                Err(Error::Constraint {
                    kind: ConstraintKind::ForeignKey,
                    ..
                })
            ),
            "{inner:?}"
        );
        assert!(tx.in_transaction());
        tx.execute(
            INSERT_UNIT,
            &units_row("150000", "内蒙古", "province", Some("000000")),
        )
    })
    .await
    .unwrap();
    let codes: Vec<String> = db
        .query("SELECT code FROM units ORDER BY code", vec![])
        .await
        .unwrap()
        .iter()
        .map(|r| r.text("code").unwrap())
        .collect();
    assert_eq!(codes, ["000000", "150000"]);
}

async fn a_panic_inside_a_transaction_does_not_poison_the_pool(db: Db) {
    let e = db
        .transaction(|tx| -> Result<()> {
            tx.execute(INSERT_UNIT, &units_row("000000", "国家", "national", None))?;
            panic!("a bug in the closure");
        })
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Internal(_)), "{e}");
    // The connection left inside the transaction is dropped, not lent again.
    for _ in 0..6 {
        assert_eq!(count(&db, "units").await, 0);
        let in_tx = db.run(|c| Ok(c.in_transaction())).await.unwrap();
        assert!(!in_tx);
    }
}

async fn constraint_failures_have_one_kind_on_both_backends(db: Db) {
    seed(&db).await;
    let mut not_null = units_row("150000", "x", "province", Some("000000"));
    not_null[1] = Value::Null;
    let cases = [
        (
            units_row("000000", "again", "national", None),
            ConstraintKind::Unique,
        ),
        (
            units_row("150000", "x", "province", Some("990000")),
            ConstraintKind::ForeignKey,
        ),
        (
            units_row("150000", "x", "planet", Some("000000")),
            ConstraintKind::Check,
        ),
        (not_null, ConstraintKind::NotNull),
    ];
    for (row, expect) in cases {
        match db.execute(INSERT_UNIT, row).await {
            Err(Error::Constraint { kind, .. }) => assert_eq!(kind, expect),
            other => panic!("expected a {expect} constraint failure, got {other:?}"),
        }
    }
    assert_eq!(count(&db, "units").await, 2);
}

async fn a_wrong_parameter_type_is_refused(db: Db) {
    // STRICT tables make SQLite refuse what PostgreSQL refuses.
    let r = db
        .execute(
            "INSERT INTO push_deliveries (channel, target, payload, attempts, next_attempt_at) \
             VALUES ($1, $2, $3, $4, $5)",
            vec![
                "sms".into(),
                "+86".into(),
                "{}".into(),
                "three".into(),
                "2021-01-04T14:45:15.000Z".into(),
            ],
        )
        .await;
    assert!(r.is_err(), "text into a BIGINT column: {r:?}");
    assert_eq!(count(&db, "push_deliveries").await, 0);
}

async fn inserts_return_their_id_and_booleans_round_trip(db: Db) {
    let insert = "INSERT INTO alarms (mine, county, camera, kind, grade, message, event_time, \
                  raised_at, state, deadline, dedup_key) \
                  VALUES ($1, $2, NULL, 'camera_moved', 'general', $3, $4, $4, 'pushed', NULL, $5) \
                  RETURNING id";
    let mut ids = Vec::new();
    for key in ["a", "b"] {
        let id = db
            .run(move |c| {
                c.insert_id(
                    insert,
                    &[
                        "140421007866".into(),
                        "140421".into(),
                        "摄像头移位".into(),
                        "2021-01-04T14:45:15.000Z".into(),
                        key.into(),
                    ],
                )
            })
            .await
            .unwrap();
        ids.push(id);
    }
    assert!(ids[1] > ids[0], "{ids:?}");
    // `execute` runs a statement with result rows too, and counts them, on both backends.
    let n = db
        .execute(
            insert,
            vec![
                "140421007866".into(),
                "140421".into(),
                "x".into(),
                "2021-01-04T14:45:15.000Z".into(),
                "c".into(),
            ],
        )
        .await
        .unwrap();
    assert_eq!(n, 1);
    for (automatic, note) in [(true, None), (false, Some("市局督办"))] {
        db.execute(
            "INSERT INTO supervisions (alarm_id, at, actor, level, automatic, note) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            vec![
                ids[0].into(),
                "2021-01-05T00:00:00.000Z".into(),
                "system".into(),
                "city".into(),
                automatic.into(),
                note.into(),
            ],
        )
        .await
        .unwrap();
    }
    let rows = db
        .query(
            "SELECT automatic, note FROM supervisions WHERE alarm_id = $1 AND automatic = $2",
            vec![ids[0].into(), true.into()],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert!(rows[0].bool("automatic").unwrap());
    assert_eq!(rows[0].get::<Option<String>>("note").unwrap(), None);
    let e = rows[0].i64("note").unwrap_err().to_string();
    assert_eq!(e, r#"column "note": expected integer, found null"#);
}

async fn patrol_status_upserts_on_its_partial_unique_indexes(db: Db) {
    let mine_upsert = "INSERT INTO patrol_status (mine, camera, online, last_seen, checked_at) \
                       VALUES ($1, NULL, $2, $3, $3) \
                       ON CONFLICT (mine) WHERE camera IS NULL \
                       DO UPDATE SET online = excluded.online, checked_at = excluded.checked_at";
    let camera_upsert = "INSERT INTO patrol_status (mine, camera, online, last_seen, checked_at) \
                         VALUES ($1, $2, $3, $4, $4) \
                         ON CONFLICT (mine, camera) WHERE camera IS NOT NULL \
                         DO UPDATE SET online = excluded.online, checked_at = excluded.checked_at";
    for (online, at) in [
        (true, "2021-01-04T00:00:00.000Z"),
        (false, "2021-01-04T01:00:00.000Z"),
    ] {
        db.execute(
            mine_upsert,
            vec!["140421007866".into(), online.into(), at.into()],
        )
        .await
        .unwrap();
        for camera in ["10", "20"] {
            db.execute(
                camera_upsert,
                vec![
                    "140421007866".into(),
                    camera.into(),
                    online.into(),
                    at.into(),
                ],
            )
            .await
            .unwrap();
        }
    }
    assert_eq!(count(&db, "patrol_status").await, 3);
    let offline = db
        .query_one(
            "SELECT COUNT(*) AS n FROM patrol_status WHERE online = $1 AND checked_at > $2",
            vec![false.into(), "2021-01-04T00:30:00.000Z".into()],
        )
        .await
        .unwrap();
    assert_eq!(offline.i64("n").unwrap(), 3);
}

async fn concurrent_writers_all_commit(db: Db) {
    db.execute(INSERT_UNIT, units_row("000000", "国家", "national", None))
        .await
        .unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|t| {
            let db = db.clone();
            tokio::spawn(async move {
                for i in 0..5 {
                    db.transaction(move |tx| {
                        tx.execute(
                            "INSERT INTO audit_log (at, actor, unit, action, object_kind, object_id) \
                             VALUES ($1, $2, $3, $4, $5, $6)",
                            &[
                                "2021-01-04T00:00:00.000Z".into(),
                                format!("writer{t}").into(),
                                "000000".into(),
                                "test.write".into(),
                                "test".into(),
                                format!("{t}-{i}").into(),
                            ],
                        )?;
                        let n = tx
                            .query_one("SELECT COUNT(*) AS n FROM audit_log WHERE actor = $1", &[
                                format!("writer{t}").into(),
                            ])?
                            .i64("n")?;
                        assert_eq!(n, i + 1);
                        Ok(())
                    })
                    .await
                    .unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(count(&db, "audit_log").await, 40);
}

async fn refuses_a_schema_newer_than_the_build(db: Db) {
    db.execute(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
        vec![
            99_i64.into(),
            "9999_future".into(),
            "2030-01-01T00:00:00.000Z".into(),
        ],
    )
    .await
    .unwrap();
    let e = db.run(migrate::migrate).await.unwrap_err();
    assert!(matches!(e, Error::SchemaTooNew { found: 99, .. }), "{e}");
}

#[test]
fn both_backends_have_the_same_steps() {
    let names = |m: &[Migration]| m.iter().map(|m| (m.version, m.name)).collect::<Vec<_>>();
    assert_eq!(names(MIGRATIONS_SQLITE), names(MIGRATIONS_POSTGRES));
    for (i, m) in MIGRATIONS_SQLITE.iter().enumerate() {
        assert_eq!(m.version, i as i64, "versions count up from 0");
        assert!(
            m.name.starts_with(&format!("{:04}_", m.version)),
            "{}",
            m.name
        );
    }
}

#[test]
fn urls_choose_the_backend_and_hide_the_password() {
    assert_eq!(
        parse_url("sqlite:data/s.sqlite3").unwrap(),
        Target::Sqlite("data/s.sqlite3".into())
    );
    assert_eq!(
        parse_url("sqlite:///abs/s.sqlite3").unwrap(),
        Target::Sqlite("/abs/s.sqlite3".into())
    );
    assert_eq!(
        parse_url("s.sqlite3").unwrap(),
        Target::Sqlite("s.sqlite3".into())
    );
    assert!(matches!(
        parse_url("postgresql://u:p@h/db").unwrap(),
        Target::Postgres(_)
    ));
    for bad in ["mysql://h/db", "sqlite:", "sqlite::memory:", ""] {
        let e = parse_url(bad).unwrap_err().to_string();
        assert!(
            e.starts_with("config: database url: expected"),
            "{bad}: {e}"
        );
    }
    assert_eq!(
        redact("postgres://eseal:secret@127.0.0.1/t"),
        "postgres://eseal:***@127.0.0.1/t"
    );
    assert_eq!(
        redact("postgres://eseal@127.0.0.1/t"),
        "postgres://eseal@127.0.0.1/t"
    );
    let e = Db::builder("postgres://u:secret@127.0.0.1:1/db")
        .pg_schema("Bad-Name")
        .open()
        .unwrap_err()
        .to_string();
    assert!(e.contains("pg_schema") && !e.contains("secret"), "{e}");
}

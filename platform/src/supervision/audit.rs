//! The audit log: every state change of the supervision data — who, when, what, before and
//! after — readable by each user over their own jurisdiction only.
//!
//! Key design decision: **an audit row is written by the change it records, in the same
//! transaction, and carries the unit of the changed object.** [`record`] takes the open
//! transaction's [`Conn`] and refuses to run outside one, so a change and its audit row commit
//! or roll back together; the row's `unit` is the object's unit (a user's unit, an alarm's
//! mine ...), so scoping a read is the same prefix rule as everywhere else
//! ([`UnitCode::jurisdiction_prefix`]): a county reader sees the rows of objects its county
//! covers and nothing above or beside it. The table is append-only (triggers on both backends
//! refuse `UPDATE` and `DELETE`).

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Actor, UnitCode};
use crate::db::{Conn, Db, FromValue, Row, Value};
use crate::error::{Error, Result};

/// One change to record.
#[derive(Debug, Clone, PartialEq)]
pub struct Change<'a> {
    /// What was done, `<object kind>.<verb>`: `user.create`, `user.change_role` ...
    pub action: &'a str,
    /// The kind of object changed: `user`, `unit`, `session`, `alarm` ...
    pub object_kind: &'a str,
    /// Its id within the kind.
    pub object_id: &'a str,
    /// The unit the object belongs to: who may read this row.
    pub unit: &'a UnitCode,
    /// The object before (`None` when it is new).
    pub before: Option<serde_json::Value>,
    /// The object after (`None` when it is gone).
    pub after: Option<serde_json::Value>,
}

/// One row of the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    /// Increasing id (the order of writing).
    pub id: i64,
    /// When the change happened.
    pub at: DateTime<Utc>,
    /// User name, or `system`.
    pub actor: String,
    /// The object's unit.
    pub unit: UnitCode,
    /// See [`Change::action`].
    pub action: String,
    /// See [`Change::object_kind`].
    pub object_kind: String,
    /// See [`Change::object_id`].
    pub object_id: String,
    /// The object before.
    pub before: Option<serde_json::Value>,
    /// The object after.
    pub after: Option<serde_json::Value>,
}

/// Filters and paging of [`query`]. Pages go from the newest row back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only rows about objects of this kind.
    pub object_kind: Option<String>,
    /// Only rows about this object id (with `object_kind`).
    pub object_id: Option<String>,
    /// Only rows written by this actor.
    pub actor: Option<String>,
    /// Only rows older than this id: the previous page's [`AuditPage::next`].
    pub before_id: Option<i64>,
    /// Rows per page: default [`DEFAULT_PAGE`], at most [`MAX_PAGE`].
    pub limit: Option<u32>,
}

/// Rows per page when the query does not say.
pub const DEFAULT_PAGE: u32 = 50;
/// Largest page.
pub const MAX_PAGE: u32 = 500;

/// One page of the audit log, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    /// The rows.
    pub entries: Vec<AuditEntry>,
    /// `before_id` of the next page; `None` on the last one.
    pub next: Option<i64>,
}

impl FromValue for UnitCode {
    const EXPECTED: &'static str = "a unit code";
    fn from_value(v: &Value) -> std::result::Result<Self, String> {
        let s = String::from_value(v)?;
        UnitCode::parse(&s).map_err(|_| format!("text {s:?}"))
    }
}

/// Appends `change` done by `actor` at `at`; the new row's id. `c` must be inside the
/// transaction of the change itself.
pub fn record(c: &mut Conn, actor: &Actor, at: DateTime<Utc>, change: Change<'_>) -> Result<i64> {
    if !c.in_transaction() {
        return Err(Error::Query(format!(
            "audit {}: an audit row is written inside the transaction of the change it records",
            change.action
        )));
    }
    c.insert_id(
        "INSERT INTO audit_log (at, actor, unit, action, object_kind, object_id, before, after) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        &[
            at.into(),
            actor.name().into(),
            change.unit.as_str().into(),
            change.action.into(),
            change.object_kind.into(),
            change.object_id.into(),
            change.before.as_ref().into(),
            change.after.as_ref().into(),
        ],
    )
}

fn entry(r: &Row) -> Result<AuditEntry> {
    Ok(AuditEntry {
        id: r.i64("id")?,
        at: r.time("at")?,
        actor: r.text("actor")?,
        unit: r.get("unit")?,
        action: r.text("action")?,
        object_kind: r.text("object_kind")?,
        object_id: r.text("object_id")?,
        before: r.json("before")?,
        after: r.json("after")?,
    })
}

/// The `LIKE` pattern of the rows `reader` may see (the system sees every row).
pub(crate) fn jurisdiction_pattern(reader: &Actor) -> String {
    match reader {
        Actor::User { unit, .. } => format!("{}%", unit.jurisdiction_prefix()),
        Actor::System => "%".to_owned(),
    }
}

/// One page of the rows `reader` may see: rows whose unit the reader's unit covers.
pub fn query_conn(c: &mut Conn, reader: &Actor, q: &AuditQuery) -> Result<AuditPage> {
    let limit = q.limit.unwrap_or(DEFAULT_PAGE);
    if limit == 0 || limit > MAX_PAGE {
        return Err(Error::invalid(
            "limit",
            &format!("1 to {MAX_PAGE} rows per page"),
            limit.to_string(),
        ));
    }
    let mut sql = String::from(
        "SELECT id, at, actor, unit, action, object_kind, object_id, before, after \
         FROM audit_log WHERE unit LIKE $1",
    );
    let mut params = vec![Value::from(jurisdiction_pattern(reader))];
    let filters = [
        ("object_kind =", q.object_kind.clone().map(Value::from)),
        ("object_id =", q.object_id.clone().map(Value::from)),
        ("actor =", q.actor.clone().map(Value::from)),
        ("id <", q.before_id.map(Value::from)),
    ];
    for (condition, value) in filters {
        if let Some(v) = value {
            params.push(v);
            sql.push_str(&format!(" AND {condition} ${}", params.len()));
        }
    }
    // One row more than the page says whether there is a next page.
    params.push(Value::from(i64::from(limit) + 1));
    sql.push_str(&format!(" ORDER BY id DESC LIMIT ${}", params.len()));
    let mut entries = c
        .query(&sql, &params)?
        .iter()
        .map(entry)
        .collect::<Result<Vec<_>>>()?;
    let next = if entries.len() > limit as usize {
        entries.truncate(limit as usize);
        entries.last().map(|e| e.id)
    } else {
        None
    };
    Ok(AuditPage { entries, next })
}

/// [`query_conn`] on the blocking pool.
pub async fn query(db: &Db, reader: &Actor, q: AuditQuery) -> Result<AuditPage> {
    let reader = reader.clone();
    db.run(move |c| query_conn(c, &reader, &q)).await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::super::Role;
    use super::*;
    use crate::db::ConstraintKind;
    use crate::db::testing::on_both_backends;
    use serde_json::json;

    fn u(s: &str) -> UnitCode {
        UnitCode::parse(s).unwrap()
    }

    fn at(minute: u32) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(&format!("2021-01-04T12:{minute:02}:00Z"))
            .unwrap()
            .with_timezone(&Utc)
    }

    /// One change per unit of a small tree, in order.
    const UNITS: [&str; 6] = [
        "000000",
        "140000",
        "140400",
        "140421",
        "140421007866",
        "140422",
    ];

    async fn write_one_per_unit(db: &Db) {
        db.transaction(|tx| {
            for (i, unit) in UNITS.iter().enumerate() {
                let unit = u(unit);
                record(
                    tx,
                    &Actor::System,
                    at(i as u32),
                    Change {
                        action: "unit.create",
                        object_kind: "unit",
                        object_id: unit.as_str(),
                        unit: &unit,
                        before: None,
                        after: Some(json!({ "code": unit.as_str(), "n": i })),
                    },
                )?;
            }
            Ok(())
        })
        .await
        .unwrap();
    }

    fn reader(unit: &str) -> Actor {
        Actor::user("reader", u(unit), Role::Viewer)
    }

    fn ids_of(page: &AuditPage) -> Vec<String> {
        page.entries.iter().map(|e| e.object_id.clone()).collect()
    }

    on_both_backends!(
        rows_keep_who_when_what_and_before_after,
        each_reader_sees_its_jurisdiction_only,
        pages_walk_back_from_the_newest,
        the_log_is_append_only_and_written_in_transactions,
    );

    async fn rows_keep_who_when_what_and_before_after(db: Db) {
        let bob = Actor::user("bob", u("140421"), Role::Admin);
        db.transaction(move |tx| {
            record(
                tx,
                &bob,
                at(7),
                Change {
                    action: "user.change_role",
                    object_kind: "user",
                    object_id: "alice",
                    unit: &u("140421"),
                    before: Some(json!({ "role": "viewer" })),
                    after: Some(json!({ "role": "inspector" })),
                },
            )
        })
        .await
        .unwrap();
        let page = query(&db, &Actor::System, AuditQuery::default())
            .await
            .unwrap();
        assert_eq!(page.next, None);
        let [e] = page.entries.as_slice() else {
            panic!("{page:?}")
        };
        assert_eq!((e.actor.as_str(), e.at), ("bob", at(7)));
        assert_eq!(e.unit, u("140421"));
        assert_eq!(
            (
                e.action.as_str(),
                e.object_kind.as_str(),
                e.object_id.as_str()
            ),
            ("user.change_role", "user", "alice")
        );
        assert_eq!(e.before, Some(json!({ "role": "viewer" })));
        assert_eq!(e.after, Some(json!({ "role": "inspector" })));
    }

    async fn each_reader_sees_its_jurisdiction_only(db: Db) {
        write_one_per_unit(&db).await;
        let cases: [(&str, &[&str]); 6] = [
            (
                "000000",
                &[
                    "140422",
                    "140421007866",
                    "140421",
                    "140400",
                    "140000",
                    "000000",
                ],
            ),
            (
                "140000",
                &["140422", "140421007866", "140421", "140400", "140000"],
            ),
            ("140400", &["140422", "140421007866", "140421", "140400"]),
            ("140421", &["140421007866", "140421"]),
            ("140421007866", &["140421007866"]),
            ("150000", &[]),
        ];
        for (unit, expect) in cases {
            let page = query(&db, &reader(unit), AuditQuery::default())
                .await
                .unwrap();
            assert_eq!(ids_of(&page), expect, "reader of {unit}");
            // The SQL scoping is the same rule as `UnitCode::covers`.
            for e in &page.entries {
                assert!(u(unit).covers(&e.unit), "{unit} sees {}", e.unit);
            }
        }
        let filtered = AuditQuery {
            object_kind: Some("unit".to_owned()),
            object_id: Some("140400".to_owned()),
            ..AuditQuery::default()
        };
        let county = query(&db, &reader("140421"), filtered.clone())
            .await
            .unwrap();
        assert!(
            county.entries.is_empty(),
            "a county never sees its city's rows"
        );
        let city = query(&db, &reader("140400"), filtered).await.unwrap();
        assert_eq!(ids_of(&city), ["140400"]);
    }

    async fn pages_walk_back_from_the_newest(db: Db) {
        write_one_per_unit(&db).await;
        let mut seen = Vec::new();
        let mut before_id = None;
        let mut pages = 0;
        loop {
            let q = AuditQuery {
                before_id,
                limit: Some(4),
                ..AuditQuery::default()
            };
            let page = query(&db, &reader("000000"), q).await.unwrap();
            pages += 1;
            assert!(page.entries.len() <= 4);
            seen.extend(ids_of(&page));
            match page.next {
                Some(next) => before_id = Some(next),
                None => break,
            }
        }
        assert_eq!(pages, 2);
        let mut newest_first: Vec<String> = UNITS.iter().map(|s| s.to_string()).collect();
        newest_first.reverse();
        assert_eq!(seen, newest_first);
        let e = query(
            &db,
            &Actor::System,
            AuditQuery {
                limit: Some(MAX_PAGE + 1),
                ..AuditQuery::default()
            },
        )
        .await
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "limit: expected 1 to 500 rows per page, found 501"
        );
    }

    async fn the_log_is_append_only_and_written_in_transactions(db: Db) {
        write_one_per_unit(&db).await;
        for sql in [
            "UPDATE audit_log SET actor = 'mallory'",
            "DELETE FROM audit_log",
        ] {
            let e = db.execute(sql, vec![]).await.unwrap_err();
            assert!(
                matches!(&e, Error::Constraint { kind: ConstraintKind::Other, detail } if detail.contains("append-only")),
                "{sql}: {e}"
            );
        }
        let e = db
            .run(|c| {
                record(
                    c,
                    &Actor::System,
                    at(0),
                    Change {
                        action: "unit.create",
                        object_kind: "unit",
                        object_id: "000000",
                        unit: &u("000000"),
                        before: None,
                        after: None,
                    },
                )
            })
            .await
            .unwrap_err();
        assert!(e.to_string().contains("inside the transaction"), "{e}");
        let all = query(&db, &Actor::System, AuditQuery::default())
            .await
            .unwrap();
        assert_eq!(all.entries.len(), UNITS.len());
    }

    #[test]
    fn the_jurisdiction_prefix_means_covers() {
        let codes = [
            "000000",
            "140000",
            "140400",
            "140421",
            "140422",
            "140500",
            "150000",
            "140421007866",
            "140421007867",
            "140422007866",
        ];
        for a in codes {
            for b in codes {
                let (a, b) = (u(a), u(b));
                assert_eq!(
                    a.covers(&b),
                    b.as_str().starts_with(a.jurisdiction_prefix()),
                    "{a} covers {b}"
                );
            }
        }
    }
}

//! The SQLite backend: `$N` parameters bound by their number, values converted to [`Value`].

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, Statement, ffi};

use super::{ConstraintKind, Raw, Row, Value};
use crate::error::{Error, Result};

pub(super) fn connect(path: &Path) -> Result<Raw> {
    let c = Connection::open(path).map_err(error)?;
    c.busy_timeout(Duration::from_secs(10)).map_err(error)?;
    c.pragma_update(None, "foreign_keys", "ON").map_err(error)?;
    c.pragma_update(None, "synchronous", "FULL")
        .map_err(error)?;
    let mode: String = c
        .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
        .map_err(error)?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(%mode, path = %path.display(), "SQLite refused WAL mode");
    }
    c.set_prepared_statement_cache_capacity(128);
    Ok(Raw::Sqlite(c))
}

/// A backend-neutral error: constraint failures become [`Error::Constraint`].
pub(super) fn error(e: rusqlite::Error) -> Error {
    if let rusqlite::Error::SqliteFailure(f, msg) = &e
        && f.code == rusqlite::ErrorCode::ConstraintViolation
    {
        let kind = match f.extended_code {
            ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                ConstraintKind::Unique
            }
            ffi::SQLITE_CONSTRAINT_FOREIGNKEY => ConstraintKind::ForeignKey,
            ffi::SQLITE_CONSTRAINT_CHECK => ConstraintKind::Check,
            ffi::SQLITE_CONSTRAINT_NOTNULL => ConstraintKind::NotNull,
            _ => ConstraintKind::Other,
        };
        return Error::Constraint {
            kind,
            detail: msg.clone().unwrap_or_else(|| f.to_string()),
        };
    }
    Error::Db(e)
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::I64(i) => ValueRef::Integer(*i),
            Value::F64(f) => ValueRef::Real(*f),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::Bytes(b) => ValueRef::Blob(b),
            Value::Bool(b) => ValueRef::Integer(i64::from(*b)),
        }))
    }
}

/// Binds `params[N-1]` to every parameter named `$N`, whatever order they appear in, and
/// refuses what PostgreSQL would refuse: `?`-style or named parameters, and parameters given
/// but not used.
fn bind(st: &mut Statement<'_>, params: &[Value]) -> Result<()> {
    let mut used = vec![false; params.len()];
    for index in 1..=st.parameter_count() {
        let name = st.parameter_name(index).unwrap_or("?").to_owned();
        let n = name
            .strip_prefix('$')
            .and_then(|d| d.parse::<usize>().ok())
            .filter(|n| *n >= 1)
            .ok_or_else(|| {
                Error::Query(format!(
                    "parameter {name}: expected $1, $2 ... (the placeholders both backends read)"
                ))
            })?;
        let value = params.get(n - 1).ok_or_else(|| {
            Error::Query(format!(
                "parameter ${n} is used but only {} given",
                params.len()
            ))
        })?;
        st.raw_bind_parameter(index, value).map_err(error)?;
        used[n - 1] = true;
    }
    if let Some(unused) = used.iter().position(|u| !u) {
        return Err(Error::Query(format!(
            "parameter ${} is given but not used ({} given)",
            unused + 1,
            params.len()
        )));
    }
    Ok(())
}

pub(super) fn execute(c: &mut Connection, sql: &str, params: &[Value]) -> Result<u64> {
    let mut st = c.prepare_cached(sql).map_err(error)?;
    bind(&mut st, params)?;
    if st.column_count() == 0 {
        let n = st.raw_execute().map_err(error)?;
        return Ok(n as u64);
    }
    // A statement with result rows (`... RETURNING`, `SELECT`): PostgreSQL's `execute` runs it
    // and counts the rows, so this does too instead of refusing it as rusqlite would.
    let mut rows = st.raw_query();
    let mut n = 0;
    while rows.next().map_err(error)?.is_some() {
        n += 1;
    }
    Ok(n)
}

fn value(column: &str, v: ValueRef<'_>) -> Result<Value> {
    Ok(match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::I64(i),
        ValueRef::Real(f) => Value::F64(f),
        ValueRef::Text(t) => {
            Value::Text(String::from_utf8(t.to_vec()).map_err(|_| Error::Column {
                column: column.to_owned(),
                expected: "UTF-8 text".to_owned(),
                found: "text that is not UTF-8".to_owned(),
            })?)
        }
        ValueRef::Blob(b) => Value::Bytes(b.to_vec()),
    })
}

pub(super) fn query(c: &mut Connection, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
    let mut st = c.prepare_cached(sql).map_err(error)?;
    bind(&mut st, params)?;
    let columns: Arc<[String]> = st.column_names().map(str::to_owned).collect();
    let mut rows = st.raw_query();
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(error)? {
        let values = columns
            .iter()
            .enumerate()
            .map(|(i, name)| value(name, r.get_ref(i).map_err(error)?))
            .collect::<Result<Vec<_>>>()?;
        out.push(Row::new(columns.clone(), values));
    }
    Ok(out)
}

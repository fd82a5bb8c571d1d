//! The PostgreSQL backend: a [`Value`] binds to the parameter type the server inferred, and
//! result columns of the types the schema uses come back as [`Value`]s.

use std::error::Error as StdError;
use std::str::FromStr;
use std::sync::Arc;

use bytes::BytesMut;
use postgres::error::SqlState;
use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use postgres::{Client, Config, NoTls};

use super::{ConstraintKind, Raw, Row, Value};
use crate::error::{Error, Result};

pub(super) fn config(url: &str) -> Result<Config> {
    let mut config = Config::from_str(url).map_err(|e| {
        Error::config(
            "database url",
            "postgres://USER:PASSWORD@HOST[:PORT]/DB",
            format!("{} ({e})", super::redact(url)),
        )
    })?;
    if config.get_application_name().is_none() {
        config.application_name("eseal-platform");
    }
    Ok(config)
}

pub(super) fn connect(config: &Config, schema: Option<&str>, create: bool) -> Result<Raw> {
    let mut c = config.connect(NoTls).map_err(error)?;
    if let Some(s) = schema {
        // `s` is checked to be [a-z_][a-z0-9_]*, so quoting it as an identifier is enough.
        if create {
            c.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS \"{s}\""))
                .map_err(error)?;
        }
        c.batch_execute(&format!("SET search_path TO \"{s}\""))
            .map_err(error)?;
    }
    Ok(Raw::Pg(c))
}

/// A backend-neutral error: constraint failures become [`Error::Constraint`].
pub(super) fn error(e: postgres::Error) -> Error {
    let kind = match e.code() {
        Some(c) if *c == SqlState::UNIQUE_VIOLATION => Some(ConstraintKind::Unique),
        Some(c) if *c == SqlState::FOREIGN_KEY_VIOLATION => Some(ConstraintKind::ForeignKey),
        Some(c) if *c == SqlState::CHECK_VIOLATION => Some(ConstraintKind::Check),
        Some(c) if *c == SqlState::NOT_NULL_VIOLATION => Some(ConstraintKind::NotNull),
        Some(c) if *c == SqlState::INTEGRITY_CONSTRAINT_VIOLATION => Some(ConstraintKind::Other),
        _ => None,
    };
    match (kind, e.as_db_error()) {
        (Some(kind), Some(db)) => Error::Constraint {
            kind,
            detail: match db.detail() {
                Some(d) => format!("{} ({d})", db.message()),
                None => db.message().to_owned(),
            },
        },
        _ => Error::Postgres(e),
    }
}

type BoxError = Box<dyn StdError + Sync + Send>;

impl ToSql for Value {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> std::result::Result<IsNull, BoxError> {
        let mismatch = || -> BoxError {
            format!(
                "cannot bind {} to a parameter of type {ty}",
                self.type_name()
            )
            .into()
        };
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::I64(i) => match *ty {
                Type::INT8 => i.to_sql(ty, out),
                Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
                Type::FLOAT8 => (*i as f64).to_sql(ty, out),
                _ => Err(mismatch()),
            },
            Value::F64(f) => match *ty {
                Type::FLOAT8 => f.to_sql(ty, out),
                Type::FLOAT4 => (*f as f32).to_sql(ty, out),
                _ => Err(mismatch()),
            },
            Value::Text(s) if <&str as ToSql>::accepts(ty) => s.as_str().to_sql(ty, out),
            Value::Bytes(b) if *ty == Type::BYTEA => b.as_slice().to_sql(ty, out),
            Value::Bool(b) if *ty == Type::BOOL => b.to_sql(ty, out),
            _ => Err(mismatch()),
        }
    }

    fn accepts(_: &Type) -> bool {
        // Checked per value in `to_sql`, which names both types when they do not fit.
        true
    }

    to_sql_checked!();
}

fn refs(params: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

pub(super) fn execute(c: &mut Client, sql: &str, params: &[Value]) -> Result<u64> {
    c.execute(sql, &refs(params)).map_err(error)
}

fn get<'a, T: postgres::types::FromSql<'a>>(
    row: &'a postgres::Row,
    i: usize,
    into: impl FnOnce(T) -> Value,
) -> Result<Value> {
    Ok(row
        .try_get::<_, Option<T>>(i)
        .map_err(error)?
        .map_or(Value::Null, into))
}

fn value(row: &postgres::Row, i: usize, name: &str, ty: &Type) -> Result<Value> {
    match *ty {
        Type::BOOL => get(row, i, Value::Bool),
        Type::INT2 => get(row, i, |v: i16| Value::I64(v.into())),
        Type::INT4 => get(row, i, |v: i32| Value::I64(v.into())),
        Type::INT8 => get(row, i, Value::I64),
        Type::FLOAT4 => get(row, i, |v: f32| Value::F64(v.into())),
        Type::FLOAT8 => get(row, i, Value::F64),
        Type::BYTEA => get(row, i, Value::Bytes),
        _ if <String as postgres::types::FromSql<'_>>::accepts(ty) => get(row, i, Value::Text),
        _ => Err(Error::Column {
            column: name.to_owned(),
            expected: "a type both backends share (bigint, double precision, text, bytea, boolean; CAST it in the query)".to_owned(),
            found: ty.name().to_owned(),
        }),
    }
}

pub(super) fn query(c: &mut Client, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
    let rows = c.query(sql, &refs(params)).map_err(error)?;
    let Some(first) = rows.first() else {
        return Ok(Vec::new());
    };
    let columns: Arc<[String]> = first
        .columns()
        .iter()
        .map(|c| c.name().to_owned())
        .collect();
    let types: Vec<Type> = first.columns().iter().map(|c| c.type_().clone()).collect();
    rows.iter()
        .map(|r| {
            let values = columns
                .iter()
                .zip(&types)
                .enumerate()
                .map(|(i, (name, ty))| value(r, i, name, ty))
                .collect::<Result<Vec<_>>>()?;
            Ok(Row::new(columns.clone(), values))
        })
        .collect()
}

//! Parameters and result rows, the same on both backends.
//!
//! A [`Value`] is one of the five types both SQLite and PostgreSQL store the same way (plus
//! booleans, which SQLite keeps as the integers 0 and 1). A [`Row`] holds the values of one
//! result row by column name; its getters convert with [`FromValue`] and say which column held
//! what when the conversion fails: `column "x": expected integer, found text`.

use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};

use crate::error::{Error, Result};

/// A parameter or a column value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL `NULL`.
    Null,
    /// A 64-bit integer (`INTEGER` on SQLite, `BIGINT` on PostgreSQL).
    I64(i64),
    /// A double (`REAL` / `DOUBLE PRECISION`).
    F64(f64),
    /// UTF-8 text (`TEXT`); also JSON documents and times (see [`time_text`]).
    Text(String),
    /// Bytes (`BLOB` / `BYTEA`).
    Bytes(Vec<u8>),
    /// A boolean (`INTEGER` 0/1 on SQLite, `BOOLEAN` on PostgreSQL).
    Bool(bool),
}

impl Value {
    /// The name of its type, as error messages say it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::I64(_) => "integer",
            Value::F64(_) => "real",
            Value::Text(_) => "text",
            Value::Bytes(_) => "bytes",
            Value::Bool(_) => "boolean",
        }
    }
}

/// A time as the database stores it: RFC 3339 UTC with milliseconds and `Z`
/// (`2021-01-04T14:45:15.000Z`), the form the ingest store uses too. The form has a fixed width,
/// so text order is time order and `WHERE expires_at > $1` compares times on both backends.
pub fn time_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::I64(v)
    }
}
impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::I64(v.into())
    }
}
impl From<u32> for Value {
    fn from(v: u32) -> Self {
        Value::I64(v.into())
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::F64(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_owned())
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}
impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Bytes(v)
    }
}
impl From<DateTime<Utc>> for Value {
    fn from(t: DateTime<Utc>) -> Self {
        Value::Text(time_text(t))
    }
}
/// JSON documents are stored as text on both backends.
impl From<&serde_json::Value> for Value {
    fn from(v: &serde_json::Value) -> Self {
        Value::Text(v.to_string())
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// Conversion of a column value into a Rust type. `expected` names the type in errors.
pub trait FromValue: Sized {
    /// What the conversion expects, as error messages say it (`integer`).
    const EXPECTED: &'static str;
    /// The converted value; `Err(found)` names what was found instead.
    fn from_value(v: &Value) -> std::result::Result<Self, String>;
}

fn found(v: &Value) -> String {
    v.type_name().to_owned()
}

/// `FromValue` of a type that one variant holds as it is.
macro_rules! from_variant {
    ($ty:ty, $variant:ident, $expected:literal) => {
        impl FromValue for $ty {
            const EXPECTED: &'static str = $expected;
            fn from_value(v: &Value) -> std::result::Result<Self, String> {
                match v {
                    Value::$variant(x) => Ok(x.clone()),
                    other => Err(found(other)),
                }
            }
        }
    };
}
from_variant!(i64, I64, "integer");
from_variant!(String, Text, "text");
from_variant!(Vec<u8>, Bytes, "bytes");

impl FromValue for f64 {
    const EXPECTED: &'static str = "real";
    fn from_value(v: &Value) -> std::result::Result<Self, String> {
        match v {
            Value::F64(f) => Ok(*f),
            // SQLite stores a whole-number REAL as an integer when the column allows it.
            Value::I64(i) => Ok(*i as f64),
            other => Err(found(other)),
        }
    }
}

impl FromValue for bool {
    const EXPECTED: &'static str = "boolean";
    fn from_value(v: &Value) -> std::result::Result<Self, String> {
        match v {
            Value::Bool(b) => Ok(*b),
            // SQLite has no boolean type: 0 and 1.
            Value::I64(0) => Ok(false),
            Value::I64(1) => Ok(true),
            Value::I64(i) => Err(format!("integer {i}")),
            other => Err(found(other)),
        }
    }
}

impl FromValue for DateTime<Utc> {
    const EXPECTED: &'static str = "an RFC 3339 time";
    fn from_value(v: &Value) -> std::result::Result<Self, String> {
        match v {
            Value::Text(s) => DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| format!("text {s:?}")),
            other => Err(found(other)),
        }
    }
}

impl FromValue for serde_json::Value {
    const EXPECTED: &'static str = "a JSON document";
    fn from_value(v: &Value) -> std::result::Result<Self, String> {
        match v {
            Value::Text(s) => {
                serde_json::from_str(s).map_err(|e| format!("text that is not JSON ({e})"))
            }
            other => Err(found(other)),
        }
    }
}

impl<T: FromValue> FromValue for Option<T> {
    const EXPECTED: &'static str = T::EXPECTED;
    fn from_value(v: &Value) -> std::result::Result<Self, String> {
        match v {
            Value::Null => Ok(None),
            other => T::from_value(other).map(Some),
        }
    }
}

/// One result row: values by column name.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    columns: Arc<[String]>,
    values: Vec<Value>,
}

impl Row {
    pub(crate) fn new(columns: Arc<[String]>, values: Vec<Value>) -> Row {
        Row { columns, values }
    }

    /// The column names, in order.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The raw value of `column`.
    pub fn value(&self, column: &str) -> Result<&Value> {
        self.columns
            .iter()
            .position(|c| c == column)
            .and_then(|i| self.values.get(i))
            .ok_or_else(|| Error::Column {
                column: column.to_owned(),
                expected: "a column of the result".to_owned(),
                found: format!("only {}", self.columns.join(", ")),
            })
    }

    /// The value of `column` as a `T`; a NULL is an error unless `T` is an `Option`.
    pub fn get<T: FromValue>(&self, column: &str) -> Result<T> {
        let v = self.value(column)?;
        T::from_value(v).map_err(|found| Error::Column {
            column: column.to_owned(),
            expected: T::EXPECTED.to_owned(),
            found,
        })
    }

    /// `get::<i64>`.
    pub fn i64(&self, column: &str) -> Result<i64> {
        self.get(column)
    }

    /// `get::<String>`.
    pub fn text(&self, column: &str) -> Result<String> {
        self.get(column)
    }

    /// `get::<bool>`.
    pub fn bool(&self, column: &str) -> Result<bool> {
        self.get(column)
    }

    /// `get::<DateTime<Utc>>` of a time stored by [`time_text`].
    pub fn time(&self, column: &str) -> Result<DateTime<Utc>> {
        self.get(column)
    }

    /// A JSON column (`NULL` is `None`).
    pub fn json(&self, column: &str) -> Result<Option<serde_json::Value>> {
        self.get(column)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn row() -> Row {
        Row::new(
            vec![
                "n".to_owned(),
                "s".to_owned(),
                "b".to_owned(),
                "z".to_owned(),
            ]
            .into(),
            vec![Value::I64(3), "x".into(), Value::I64(1), Value::Null],
        )
    }

    #[test]
    fn getters_convert_and_name_the_column_when_they_cannot() {
        let r = row();
        assert_eq!(r.i64("n").unwrap(), 3);
        assert!(r.bool("b").unwrap());
        assert_eq!(r.get::<Option<String>>("z").unwrap(), None);
        let e = r.i64("s").unwrap_err().to_string();
        assert_eq!(e, r#"column "s": expected integer, found text"#);
        let e = r.text("z").unwrap_err().to_string();
        assert_eq!(e, r#"column "z": expected text, found null"#);
        let e = r.i64("nope").unwrap_err().to_string();
        assert_eq!(
            e,
            r#"column "nope": expected a column of the result, found only n, s, b, z"#
        );
        let e = r.time("s").unwrap_err().to_string();
        assert_eq!(
            e,
            r#"column "s": expected an RFC 3339 time, found text "x""#
        );
    }

    #[test]
    fn times_are_fixed_width_utc_text() {
        let t = DateTime::parse_from_rfc3339("2021-01-04T22:45:15+08:00")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(time_text(t), "2021-01-04T14:45:15.000Z");
        let r = Row::new(vec!["t".to_owned()].into(), vec![Value::from(t)]);
        assert_eq!(r.time("t").unwrap(), t);
    }
}

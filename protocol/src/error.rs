//! The crate's one error type, [`NameError`] (alias [`FieldError`]), and the
//! [`Field`] it names.

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A part of the 14-digit `yyyyMMddHHmmss` time field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TimeField {
    /// The whole 14-digit field (wrong width, non-digits, out of range).
    Whole,
    /// `yyyy`, 0001–9999.
    Year,
    /// `MM`, 01–12.
    Month,
    /// `dd`, 01 to the last day of the month.
    Day,
    /// `HH`, 00–23.
    Hour,
    /// `mm`, 00–59.
    Minute,
    /// `ss`, 00–59 (no leap seconds).
    Second,
}

impl TimeField {
    /// The dotted name, e.g. `time.month`; [`TimeField::Whole`] is `time`.
    pub const fn as_str(self) -> &'static str {
        match self {
            TimeField::Whole => "time",
            TimeField::Year => "time.year",
            TimeField::Month => "time.month",
            TimeField::Day => "time.day",
            TimeField::Hour => "time.hour",
            TimeField::Minute => "time.minute",
            TimeField::Second => "time.second",
        }
    }

    /// Byte range of this part inside the 14-digit time field.
    pub const fn span(self) -> Range<usize> {
        match self {
            TimeField::Whole => 0..14,
            TimeField::Year => 0..4,
            TimeField::Month => 4..6,
            TimeField::Day => 6..8,
            TimeField::Hour => 8..10,
            TimeField::Minute => 10..12,
            TimeField::Second => 12..14,
        }
    }
}

/// The part of the input an error is about.
///
/// Displays (and serializes) as a short snake_case name: `name`, `length`,
/// `extension`, `mine`, `camera`, `analysis_type`, `count`, `transport_state`,
/// `time` / `time.month` ..., `lock`, `lock_state`, `url`, `file_name`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    /// The file name as a whole: empty, path components, a stray character.
    Name,
    /// The number of characters: no form has it.
    Length,
    /// The extension after the first `.`.
    Extension,
    /// Mine code 矿井编码, 12 digits (R1).
    Mine,
    /// Camera code 摄像头编码, 2 digits, 10–39.
    Camera,
    /// Analysis type 分析类型编码, 2 digits, 01–05.
    AnalysisType,
    /// Daily count 人/车数量, 4 digits (U1, U2 only).
    Count,
    /// Transport state, 2 digits, in the U3 32-digit example form.
    TransportState,
    /// The time, or one part of it.
    Time(TimeField),
    /// Lock code 电子锁编码, 2 digits, 10–59 (U5).
    Lock,
    /// Lock state 电子锁状态编码, 4 digits, 0001/0002 (U5).
    LockState,
    /// A stream URL (U6).
    Url,
    /// The `file_name` of a JSON body (U5).
    FileName,
}

impl Field {
    /// The short name, as displayed and serialized.
    pub const fn as_str(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Length => "length",
            Field::Extension => "extension",
            Field::Mine => "mine",
            Field::Camera => "camera",
            Field::AnalysisType => "analysis_type",
            Field::Count => "count",
            Field::TransportState => "transport_state",
            Field::Time(t) => t.as_str(),
            Field::Lock => "lock",
            Field::LockState => "lock_state",
            Field::Url => "url",
            Field::FileName => "file_name",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Field {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "name" => Field::Name,
            "length" => Field::Length,
            "extension" => Field::Extension,
            "mine" => Field::Mine,
            "camera" => Field::Camera,
            "analysis_type" => Field::AnalysisType,
            "count" => Field::Count,
            "transport_state" => Field::TransportState,
            "time" => Field::Time(TimeField::Whole),
            "time.year" => Field::Time(TimeField::Year),
            "time.month" => Field::Time(TimeField::Month),
            "time.day" => Field::Time(TimeField::Day),
            "time.hour" => Field::Time(TimeField::Hour),
            "time.minute" => Field::Time(TimeField::Minute),
            "time.second" => Field::Time(TimeField::Second),
            "lock" => Field::Lock,
            "lock_state" => Field::LockState,
            "url" => Field::Url,
            "file_name" => Field::FileName,
            other => return Err(format!("unknown field name {other:?}")),
        })
    }
}

impl Serialize for Field {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Why an input is not a valid code, time, evidence name or body.
///
/// The crate's only error type. `span` is a 0-based, half-open byte range
/// into the string that was parsed: the whole file name for
/// [`EvidenceName::parse`](crate::EvidenceName::parse), the lone field for
/// e.g. [`MineCode::parse`](crate::MineCode::parse). `found` is the offending
/// text (shortened when long), `expected` says what the spec allows, and
/// `clause` cites the requirement (`U1`..`U6`, `R1`, or `U1-U5` when no form
/// could be told yet).
///
/// Displays as `field count: expected 4 digits at 16..20, found "00a5" (U1)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, thiserror::Error)]
#[error(
    "field {field}: expected {expected} at {start}..{end}, found {found:?} ({clause})",
    start = .span.start,
    end = .span.end
)]
pub struct NameError {
    /// The field that is wrong.
    pub field: Field,
    /// Byte range of the field (or offending characters) in the input.
    pub span: Range<usize>,
    /// The offending text, at most [`NameError::FOUND_MAX_CHARS`] characters
    /// then `…(N bytes)`.
    pub found: String,
    /// What the spec allows there.
    pub expected: String,
    /// The requirement clause, e.g. `U1`, `U5`, `R1`.
    pub clause: &'static str,
}

/// The same type as [`NameError`]: the error of parsing a lone field.
pub type FieldError = NameError;

impl NameError {
    /// `found` is cut to this many characters.
    pub const FOUND_MAX_CHARS: usize = 40;

    /// A new error; `found` is shortened to [`NameError::FOUND_MAX_CHARS`].
    pub fn new(
        field: Field,
        span: Range<usize>,
        found: &str,
        expected: impl Into<String>,
        clause: &'static str,
    ) -> Self {
        NameError {
            field,
            span,
            found: excerpt(found),
            expected: expected.into(),
            clause,
        }
    }

    /// The error moved `offset` bytes right (a field error placed inside a
    /// whole name) and re-cited to `clause`.
    pub(crate) fn within(mut self, offset: usize, clause: &'static str) -> Self {
        self.span = self.span.start + offset..self.span.end + offset;
        self.clause = clause;
        self
    }
}

/// `s` itself, or its first [`NameError::FOUND_MAX_CHARS`] characters and
/// `…(N bytes)`.
pub(crate) fn excerpt(s: &str) -> String {
    match s.char_indices().nth(NameError::FOUND_MAX_CHARS) {
        None => s.to_owned(),
        Some((cut, _)) => format!("{}…({} bytes)", &s[..cut], s.len()),
    }
}

/// `Ok(bytes)` when `s` is exactly `n` ASCII digits, else an error on the
/// whole of `s` naming `field`.
pub(crate) fn ascii_digits<'a>(
    s: &'a str,
    n: usize,
    field: Field,
    clause: &'static str,
) -> Result<&'a [u8], NameError> {
    let b = s.as_bytes();
    if b.len() == n && b.iter().all(u8::is_ascii_digit) {
        Ok(b)
    } else {
        let expected = if s.is_ascii() {
            format!("{n} digits")
        } else {
            format!("{n} ASCII digits 0-9")
        };
        Err(NameError::new(field, 0..s.len(), s, expected, clause))
    }
}

/// The value of ASCII digits (at most 9 of them, so no overflow).
pub(crate) fn value(digits: &[u8]) -> u32 {
    digits
        .iter()
        .fold(0, |acc, d| acc * 10 + u32::from(d.wrapping_sub(b'0')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_matches_the_documented_shape() {
        let e = NameError::new(Field::Count, 16..20, "00a5", "4 digits", "U1");
        assert_eq!(
            e.to_string(),
            r#"field count: expected 4 digits at 16..20, found "00a5" (U1)"#
        );
    }

    #[test]
    fn found_is_bounded() {
        let long = "9".repeat(10_000);
        let e = NameError::new(Field::Length, 0..long.len(), &long, "x", "U1");
        assert!(e.found.len() < 60, "{}", e.found);
        assert!(e.found.ends_with("…(10000 bytes)"));
    }

    #[test]
    fn field_names_round_trip() {
        for f in [
            Field::Name,
            Field::Time(TimeField::Day),
            Field::LockState,
            Field::FileName,
        ] {
            assert_eq!(f.as_str().parse::<Field>(), Ok(f));
        }
    }
}

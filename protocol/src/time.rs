//! [`MineTime`]: the 14-digit `yyyyMMddHHmmss` time of the names, in China
//! Standard Time.

use std::fmt;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, TimeDelta, Timelike, Utc};

use crate::codes::serde_as_string;
use crate::error::{Field, FieldError, NameError, TimeField, ascii_digits, value};

const CLAUSE: &str = "U1-U5";

/// Mine-local time in a name: `yyyyMMddHHmmss`, China Standard Time (UTC+8,
/// no daylight saving; R2), second resolution.
///
/// The spec writes the pattern as `yyyyMMddHHmss` / `yyyyMMddHHmms s` in
/// tables 6 and 7 (U8); the examples and the 14-digit width settle it as
/// `yyyyMMddHHmmss`. Years 0001–9999; no leap seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MineTime(NaiveDateTime);

impl MineTime {
    /// Width in digits.
    pub const LEN: usize = 14;
    /// China Standard Time's offset from UTC, in seconds (+8 h).
    pub const CST_OFFSET_SECONDS: i32 = 8 * 3600;

    /// China Standard Time as a chrono offset.
    pub const CST: FixedOffset = match FixedOffset::east_opt(Self::CST_OFFSET_SECONDS) {
        Some(offset) => offset,
        None => panic!("+08:00 is a valid offset"),
    };
    /// The CST offset as a duration.
    const OFFSET: TimeDelta = TimeDelta::seconds(Self::CST_OFFSET_SECONDS as i64);

    /// Parses 14 ASCII digits `yyyyMMddHHmmss`. An impossible date or time
    /// names its part, e.g. [`TimeField::Day`] for `20210230`.
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let d = ascii_digits(s, Self::LEN, Field::Time(TimeField::Whole), CLAUSE)?;
        let part = |t: TimeField| value(&d[t.span()]);
        let bad = |t: TimeField, expected: String| {
            Err(NameError::new(
                Field::Time(t),
                t.span(),
                &s[t.span()],
                expected,
                CLAUSE,
            ))
        };
        let (year, month, day) = (
            part(TimeField::Year),
            part(TimeField::Month),
            part(TimeField::Day),
        );
        let (hour, minute, second) = (
            part(TimeField::Hour),
            part(TimeField::Minute),
            part(TimeField::Second),
        );
        if year == 0 {
            return bad(TimeField::Year, "a year 0001-9999".into());
        }
        if !(1..=12).contains(&month) {
            return bad(TimeField::Month, "a month 01-12".into());
        }
        let last = days_in_month(year, month);
        if !(1..=last).contains(&day) {
            return bad(
                TimeField::Day,
                format!("a day 01-{last} of {year:04}-{month:02}"),
            );
        }
        if hour > 23 {
            return bad(TimeField::Hour, "an hour 00-23".into());
        }
        if minute > 59 {
            return bad(TimeField::Minute, "a minute 00-59".into());
        }
        if second > 59 {
            return bad(TimeField::Second, "a second 00-59 (no leap seconds)".into());
        }
        // Year < 10000 fits i32; every part was checked above.
        NaiveDate::from_ymd_opt(year as i32, month, day)
            .and_then(|date| date.and_hms_opt(hour, minute, second))
            .map(MineTime)
            .ok_or_else(|| {
                NameError::new(
                    Field::Time(TimeField::Whole),
                    0..14,
                    s,
                    "a valid date and time",
                    CLAUSE,
                )
            })
    }

    /// A CST wall-clock time; sub-seconds are dropped (names have second
    /// resolution). Years outside 0001–9999 do not fit 14 digits.
    pub fn from_naive(naive: NaiveDateTime) -> Result<Self, FieldError> {
        if !(1..=9999).contains(&naive.year()) {
            return Err(NameError::new(
                Field::Time(TimeField::Year),
                TimeField::Year.span(),
                &naive.year().to_string(),
                "a year 0001-9999 (4 digits of yyyyMMddHHmmss)",
                CLAUSE,
            ));
        }
        Ok(MineTime(naive.with_nanosecond(0).unwrap_or(naive)))
    }

    /// The CST wall-clock time.
    pub const fn naive(self) -> NaiveDateTime {
        self.0
    }

    /// The instant, in UTC (8 hours earlier on the clock).
    pub fn to_utc(self) -> DateTime<Utc> {
        self.0
            .checked_sub_signed(Self::OFFSET)
            .unwrap_or(self.0)
            .and_utc()
    }

    /// The instant with its CST offset.
    pub fn to_cst(self) -> DateTime<FixedOffset> {
        self.to_utc().with_timezone(&Self::CST)
    }

    /// The CST wall-clock time of a UTC instant; sub-seconds are dropped.
    pub fn from_utc(utc: DateTime<Utc>) -> Result<Self, FieldError> {
        let naive = utc.naive_utc();
        match naive.checked_add_signed(Self::OFFSET) {
            Some(cst) => Self::from_naive(cst),
            None => Err(NameError::new(
                Field::Time(TimeField::Year),
                TimeField::Year.span(),
                &naive.year().to_string(),
                "a year 0001-9999 (4 digits of yyyyMMddHHmmss)",
                CLAUSE,
            )),
        }
    }

    /// The CST calendar day. Daily counts reset at 00:00:00 CST.
    pub fn date(self) -> NaiveDate {
        self.0.date()
    }
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        _ => 31,
    }
}

impl fmt::Display for MineTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.0;
        write!(
            f,
            "{:04}{:02}{:02}{:02}{:02}{:02}",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )
    }
}

serde_as_string!(MineTime, "a 14-digit time yyyyMMddHHmmss (CST)");

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(s: &str) -> Option<Field> {
        MineTime::parse(s).err().map(|e| e.field)
    }

    #[test]
    fn parses_and_displays() -> Result<(), FieldError> {
        let t = MineTime::parse("20210104224515")?;
        assert_eq!(t.to_string(), "20210104224515");
        assert_eq!(t.to_utc().to_rfc3339(), "2021-01-04T14:45:15+00:00");
        assert_eq!(t.to_cst().to_rfc3339(), "2021-01-04T22:45:15+08:00");
        assert_eq!(MineTime::from_utc(t.to_utc())?, t);
        Ok(())
    }

    #[test]
    fn cst_day_differs_from_utc_day() -> Result<(), FieldError> {
        // 00:30 CST on Jan 5 is still Jan 4 in UTC; the count resets by CST.
        let t = MineTime::parse("20210105003000")?;
        assert_eq!(t.date().to_string(), "2021-01-05");
        assert_eq!(t.to_utc().date_naive().to_string(), "2021-01-04");
        Ok(())
    }

    #[test]
    fn impossible_parts_are_named() {
        assert_eq!(
            field_of("20210230120000"),
            Some(Field::Time(TimeField::Day))
        );
        assert_eq!(field_of("20200229120000"), None);
        assert_eq!(
            field_of("21000229120000"),
            Some(Field::Time(TimeField::Day))
        );
        assert_eq!(
            field_of("20211301120000"),
            Some(Field::Time(TimeField::Month))
        );
        assert_eq!(
            field_of("20210100120000"),
            Some(Field::Time(TimeField::Day))
        );
        assert_eq!(
            field_of("20210101240000"),
            Some(Field::Time(TimeField::Hour))
        );
        assert_eq!(
            field_of("20210101126000"),
            Some(Field::Time(TimeField::Minute))
        );
        assert_eq!(
            field_of("20210101120060"),
            Some(Field::Time(TimeField::Second))
        );
        assert_eq!(
            field_of("00000101120000"),
            Some(Field::Time(TimeField::Year))
        );
        assert_eq!(
            field_of("2021010112000"),
            Some(Field::Time(TimeField::Whole))
        );
    }

    #[test]
    fn from_naive_drops_subseconds() -> Result<(), FieldError> {
        let n = NaiveDate::from_ymd_opt(2026, 11, 28)
            .and_then(|d| d.and_hms_milli_opt(23, 59, 59, 999))
            .ok_or_else(|| NameError::new(Field::Time(TimeField::Whole), 0..0, "", "", ""))?;
        assert_eq!(MineTime::from_naive(n)?.to_string(), "20261128235959");
        Ok(())
    }
}

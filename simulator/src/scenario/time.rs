//! Times in a scenario: an offset from the start or an absolute CST instant ([`TimeSpec`]), as
//! written in the file and resolved against the run's start.

use std::fmt;

use chrono::{DateTime, FixedOffset};
use eseal_protocol::MineTime;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::clock::NS_PER_S;

/// A time as written in a scenario: an offset from the start or an absolute instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeSpec {
    /// Nanoseconds after the scenario start.
    Offset(u64),
    /// An absolute instant (shown in CST).
    Absolute(DateTime<FixedOffset>),
}

impl TimeSpec {
    /// Parses `"+HH:MM:SS[.fff]"`, `"HH:MM:SS[.fff]"`, `"yyyyMMddHHmmss"` (CST) or RFC 3339.
    pub fn parse(s: &str) -> Result<TimeSpec, String> {
        let t = s.trim();
        if let Some(rest) = t.strip_prefix('+') {
            return parse_hms(rest).map(TimeSpec::Offset);
        }
        if t.len() == 14 && t.bytes().all(|b| b.is_ascii_digit()) {
            return MineTime::parse(t)
                .map(|m| TimeSpec::Absolute(m.to_cst()))
                .map_err(|e| e.to_string());
        }
        if t.contains('T') || (t.contains('-') && t.len() > 10) {
            return DateTime::parse_from_rfc3339(t)
                .map(|d| TimeSpec::Absolute(d.with_timezone(&MineTime::CST)))
                .map_err(|e| format!("not an RFC 3339 date-time ({e}): {t:?}"));
        }
        if t.contains(':') {
            return parse_hms(t).map(TimeSpec::Offset);
        }
        Err(format!(
            "expected an offset \"+HH:MM:SS\" or seconds, or an absolute CST time \"yyyyMMddHHmmss\" \
             or \"2026-11-28T08:00:00+08:00\", found {t:?}"
        ))
    }

    /// Nanoseconds after `start`, or `None` if the instant is before it.
    pub fn resolve(self, start: DateTime<FixedOffset>) -> Option<u64> {
        match self {
            TimeSpec::Offset(ns) => Some(ns),
            TimeSpec::Absolute(at) => (at - start)
                .num_nanoseconds()
                .and_then(|n| u64::try_from(n).ok()),
        }
    }
}

fn parse_hms(s: &str) -> Result<u64, String> {
    let bad = || format!("expected an offset HH:MM:SS[.fff], found {s:?}");
    let parts: Vec<&str> = s.split(':').collect();
    let [h, m, sec] = parts.as_slice() else {
        return Err(bad());
    };
    let h: u64 = h.parse().map_err(|_| bad())?;
    let m: u64 = m.parse().map_err(|_| bad())?;
    if m > 59 || !sec.chars().all(|c| c.is_ascii_digit() || c == '.') || sec.is_empty() {
        return Err(bad());
    }
    let secs: f64 = sec.parse().map_err(|_| bad())?;
    if secs >= 60.0 {
        return Err(bad());
    }
    Ok((h * 3600 + m * 60) * NS_PER_S + seconds_to_ns(secs))
}

pub(super) fn seconds_to_ns(s: f64) -> u64 {
    // Non-negative and bounded by the callers.
    (s * 1e9).round() as u64
}

/// Written as it is read back: an offset as `"+HH:MM:SS[.fff]"` (millisecond precision), an
/// absolute instant as RFC 3339 in CST (`"2026-11-28T08:00:00+08:00"`).
impl Serialize for TimeSpec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            TimeSpec::Offset(ns) => s.collect_str(&super::fmt_offset(*ns)),
            TimeSpec::Absolute(at) => s.collect_str(&at.with_timezone(&MineTime::CST).to_rfc3339()),
        }
    }
}

/// A length (`duration`) as the documentation writes it: `"HH:MM:SS[.fff]"`, no `+`.
pub(super) fn serialize_length<S: Serializer>(t: &TimeSpec, s: S) -> Result<S::Ok, S::Error> {
    match t {
        TimeSpec::Offset(ns) => s.collect_str(super::fmt_offset(*ns).trim_start_matches('+')),
        TimeSpec::Absolute(_) => t.serialize(s),
    }
}

impl<'de> Deserialize<'de> for TimeSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = TimeSpec;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a time: \"+HH:MM:SS\", seconds, \"yyyyMMddHHmmss\" or RFC 3339")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<TimeSpec, E> {
                u64::try_from(v)
                    .ok()
                    .and_then(|s| s.checked_mul(NS_PER_S))
                    .map(TimeSpec::Offset)
                    .ok_or_else(|| E::custom(format!("expected seconds ≥ 0, found {v}")))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<TimeSpec, E> {
                v.checked_mul(NS_PER_S)
                    .map(TimeSpec::Offset)
                    .ok_or_else(|| E::custom(format!("seconds out of range: {v}")))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<TimeSpec, E> {
                if v.is_finite() && (0.0..1e9).contains(&v) {
                    Ok(TimeSpec::Offset(seconds_to_ns(v)))
                } else {
                    Err(E::custom(format!("expected seconds ≥ 0, found {v}")))
                }
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<TimeSpec, E> {
                TimeSpec::parse(v).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

//! The ingest's metrics registry, rendered in the Prometheus text exposition format (0.0.4).
//!
//! Key design decision: **the ingest path counts, nobody else.** Every upload, FTP or HTTPS,
//! reaches [`crate::ingest::Ingest`]; its outcome (new event, idempotent duplicate, refusal), the
//! violation rows it records and the time it took are counted there, once, in one
//! [`IngestMetrics`] that `/metrics` renders. Refusals a channel front-end makes before the ingest
//! (a bad token, a broken multipart body) are recorded through the ingest too
//! ([`crate::ingest::Ingest::record_violation`]), so they are counted the same way. Only HTTP
//! request counters live in the HTTPS API ([`crate::http::metrics`]).
//!
//! Hand-written: a handful of labelled counters and one histogram do not justify a metrics
//! framework. Counters live for the process; after a restart the database, not `/metrics`, is
//! the record.
//!
//! | metric | labels |
//! |---|---|
//! | `eseal_uploads_accepted_total` | `channel`, `clause` (U1..U5) |
//! | `eseal_uploads_duplicate_total` | `channel`, `clause` |
//! | `eseal_uploads_refused_total` | `channel`, `clause` (the broken one; `""` when none) |
//! | `eseal_uploads_accepted_bytes_total` | `channel` |
//! | `eseal_violations_total` | `channel`, `kind` (`violations.kind`) |
//! | `eseal_ingest_duration_seconds` (histogram) | `channel` |

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use crate::ingest::Channel;

/// Upper bounds (seconds) of the ingest latency histogram buckets.
pub const LATENCY_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Counters of the one ingest path. Shared by every channel (it lives in the `Ingest`).
#[derive(Debug, Default)]
pub struct IngestMetrics {
    inner: Mutex<Inner>,
}

/// (channel, clause or kind) label pair.
type Key = (&'static str, String);

#[derive(Debug, Default)]
struct Inner {
    accepted: BTreeMap<Key, u64>,
    duplicates: BTreeMap<Key, u64>,
    refused: BTreeMap<Key, u64>,
    accepted_bytes: BTreeMap<&'static str, u64>,
    violations: BTreeMap<Key, u64>,
    latency: BTreeMap<&'static str, Histogram>,
}

#[derive(Debug, Clone)]
struct Histogram {
    /// Non-cumulative counts per bucket of [`LATENCY_BUCKETS`], plus +Inf at the end.
    buckets: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            buckets: vec![0; LATENCY_BUCKETS.len() + 1],
            sum: 0.0,
            count: 0,
        }
    }
}

impl Histogram {
    fn observe(&mut self, secs: f64) {
        let i = LATENCY_BUCKETS
            .iter()
            .position(|&b| secs <= b)
            .unwrap_or(LATENCY_BUCKETS.len());
        self.buckets[i] += 1;
        self.sum += secs;
        self.count += 1;
    }
}

fn key(channel: Channel, label: &str) -> Key {
    (channel.as_str(), label.to_owned())
}

fn get(map: &BTreeMap<Key, u64>, channel: Channel, label: &str) -> u64 {
    map.get(&key(channel, label)).copied().unwrap_or(0)
}

impl IngestMetrics {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A new event of `clause` with `bytes` of new evidence.
    pub(crate) fn accepted(&self, channel: Channel, clause: &str, bytes: u64) {
        let mut m = self.lock();
        *m.accepted.entry(key(channel, clause)).or_default() += 1;
        *m.accepted_bytes.entry(channel.as_str()).or_default() += bytes;
    }

    /// An idempotent re-upload of an accepted `clause` event.
    pub(crate) fn duplicate(&self, channel: Channel, clause: &str) {
        *self
            .lock()
            .duplicates
            .entry(key(channel, clause))
            .or_default() += 1;
    }

    /// A refused upload; `clause` is the broken clause when known.
    pub(crate) fn refused(&self, channel: Channel, clause: Option<&str>) {
        *self
            .lock()
            .refused
            .entry(key(channel, clause.unwrap_or("")))
            .or_default() += 1;
    }

    /// A `violations` row of `kind` was recorded.
    pub(crate) fn violation(&self, channel: Channel, kind: &str) {
        *self
            .lock()
            .violations
            .entry(key(channel, kind))
            .or_default() += 1;
    }

    /// One upload judged in `elapsed` (from the complete upload to the durable outcome).
    pub(crate) fn observe(&self, channel: Channel, elapsed: Duration) {
        self.lock()
            .latency
            .entry(channel.as_str())
            .or_default()
            .observe(elapsed.as_secs_f64());
    }

    /// New events of `clause` by `channel` since start.
    pub fn accepted_count(&self, channel: Channel, clause: &str) -> u64 {
        get(&self.lock().accepted, channel, clause)
    }

    /// Idempotent re-uploads of `clause` by `channel` since start.
    pub fn duplicate_count(&self, channel: Channel, clause: &str) -> u64 {
        get(&self.lock().duplicates, channel, clause)
    }

    /// Refused uploads by `channel` breaking `clause` (`""`: no clause) since start.
    pub fn refused_count(&self, channel: Channel, clause: &str) -> u64 {
        get(&self.lock().refused, channel, clause)
    }

    /// Violations of `kind` recorded for `channel` since start.
    pub fn violation_count(&self, channel: Channel, kind: &str) -> u64 {
        get(&self.lock().violations, channel, kind)
    }

    /// Uploads judged (timed) on `channel` since start.
    pub fn judged_count(&self, channel: Channel) -> u64 {
        self.lock()
            .latency
            .get(channel.as_str())
            .map_or(0, |h| h.count)
    }

    /// Appends the exposition text of every ingest metric to `out`.
    pub fn render_into(&self, out: &mut String) {
        let m = self.lock();
        counter(
            out,
            "eseal_uploads_accepted_total",
            "Uploads accepted as new events (U1-U5), by channel and clause.",
            "clause",
            &m.accepted,
        );
        counter(
            out,
            "eseal_uploads_duplicate_total",
            "Re-uploads of an accepted event with the same bytes (idempotent), by channel and clause.",
            "clause",
            &m.duplicates,
        );
        counter(
            out,
            "eseal_uploads_refused_total",
            "Uploads refused, by channel and the clause broken (empty when none).",
            "clause",
            &m.refused,
        );
        out.push_str("# HELP eseal_uploads_accepted_bytes_total Bytes of accepted new evidence, by channel.\n");
        out.push_str("# TYPE eseal_uploads_accepted_bytes_total counter\n");
        for (channel, n) in &m.accepted_bytes {
            let _ = writeln!(
                out,
                "eseal_uploads_accepted_bytes_total{{channel=\"{channel}\"}} {n}"
            );
        }
        counter(
            out,
            "eseal_violations_total",
            "Violations recorded (refused uploads and registrations), by channel and kind.",
            "kind",
            &m.violations,
        );
        out.push_str("# HELP eseal_ingest_duration_seconds Time to judge and store one complete upload, by channel.\n");
        out.push_str("# TYPE eseal_ingest_duration_seconds histogram\n");
        for (ch, h) in &m.latency {
            let mut cumulative = 0;
            for (i, le) in LATENCY_BUCKETS.iter().enumerate() {
                cumulative += h.buckets[i];
                let _ = writeln!(
                    out,
                    "eseal_ingest_duration_seconds_bucket{{channel=\"{ch}\",le=\"{le}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "eseal_ingest_duration_seconds_bucket{{channel=\"{ch}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "eseal_ingest_duration_seconds_sum{{channel=\"{ch}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "eseal_ingest_duration_seconds_count{{channel=\"{ch}\"}} {}",
                h.count
            );
        }
    }

    /// The exposition text of every ingest metric.
    pub fn render(&self) -> String {
        let mut out = String::new();
        self.render_into(&mut out);
        out
    }
}

fn counter(out: &mut String, name: &str, help: &str, label: &str, map: &BTreeMap<Key, u64>) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} counter");
    for ((channel, value), n) in map {
        let _ = writeln!(
            out,
            "{name}{{channel=\"{channel}\",{label}=\"{}\"}} {n}",
            escape_label(value)
        );
    }
}

/// Escapes a Prometheus label value (backslash, double quote, newline).
pub fn escape_label(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_by_channel_and_a_cumulative_histogram() {
        let m = IngestMetrics::default();
        m.accepted(Channel::Https, "U5", 100);
        m.accepted(Channel::Https, "U5", 50);
        m.accepted(Channel::Ftp, "U1", 7);
        m.duplicate(Channel::Ftp, "U1");
        m.refused(Channel::Ftp, None);
        m.refused(Channel::Ftp, Some("U1"));
        m.violation(Channel::Ftp, "name");
        m.observe(Channel::Https, Duration::from_millis(20));
        m.observe(Channel::Https, Duration::from_secs(20));
        let text = m.render();
        for line in [
            "eseal_uploads_accepted_total{channel=\"https\",clause=\"U5\"} 2\n",
            "eseal_uploads_accepted_total{channel=\"ftp\",clause=\"U1\"} 1\n",
            "eseal_uploads_duplicate_total{channel=\"ftp\",clause=\"U1\"} 1\n",
            "eseal_uploads_refused_total{channel=\"ftp\",clause=\"\"} 1\n",
            "eseal_uploads_refused_total{channel=\"ftp\",clause=\"U1\"} 1\n",
            "eseal_uploads_accepted_bytes_total{channel=\"https\"} 150\n",
            "eseal_violations_total{channel=\"ftp\",kind=\"name\"} 1\n",
            "# TYPE eseal_ingest_duration_seconds histogram\n",
            "eseal_ingest_duration_seconds_bucket{channel=\"https\",le=\"0.01\"} 0\n",
            "eseal_ingest_duration_seconds_bucket{channel=\"https\",le=\"0.025\"} 1\n",
            "eseal_ingest_duration_seconds_bucket{channel=\"https\",le=\"10\"} 1\n",
            "eseal_ingest_duration_seconds_bucket{channel=\"https\",le=\"+Inf\"} 2\n",
            "eseal_ingest_duration_seconds_count{channel=\"https\"} 2\n",
        ] {
            assert!(text.contains(line), "no {line:?} in\n{text}");
        }
        assert!(!text.contains("channel=\"ftp\",le="), "{text}");
        assert_eq!(m.accepted_count(Channel::Https, "U5"), 2);
        assert_eq!(m.duplicate_count(Channel::Ftp, "U1"), 1);
        assert_eq!(m.refused_count(Channel::Ftp, ""), 1);
        assert_eq!(m.violation_count(Channel::Ftp, "name"), 1);
        assert_eq!(m.judged_count(Channel::Https), 2);
        assert_eq!(escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}

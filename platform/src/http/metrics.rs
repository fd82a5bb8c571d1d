//! Process metrics in the Prometheus text exposition format (version 0.0.4), hand-written:
//! a handful of labelled counters and one histogram do not justify a metrics framework.
//!
//! [`Metrics`] is shared (`Arc`) between the HTTPS API and anything else that ingests (the FTP
//! side can count into the same registry). Counters live for the process; after a restart the
//! database, not `/metrics`, is the record.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// Upper bounds (seconds) of the ingest latency histogram buckets.
pub const LATENCY_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Shared metrics registry.
#[derive(Debug, Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// (channel, outcome, clause) → count.
    uploads: BTreeMap<(String, &'static str, String), u64>,
    /// kind → count.
    violations: BTreeMap<String, u64>,
    /// (method, route, status) → count.
    http: BTreeMap<(String, String, u16), u64>,
    /// channel → histogram.
    ingest: BTreeMap<String, Histogram>,
}

#[derive(Debug, Default, Clone)]
struct Histogram {
    /// Non-cumulative counts per bucket of [`LATENCY_BUCKETS`], plus +Inf at the end.
    buckets: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, secs: f64) {
        if self.buckets.is_empty() {
            self.buckets = vec![0; LATENCY_BUCKETS.len() + 1];
        }
        let i = LATENCY_BUCKETS
            .iter()
            .position(|&b| secs <= b)
            .unwrap_or(LATENCY_BUCKETS.len());
        self.buckets[i] += 1;
        self.sum += secs;
        self.count += 1;
    }
}

impl Metrics {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// An upload was accepted (`clause` U1..U5) on `channel` (`ftp` / `https`).
    pub fn upload_accepted(&self, channel: &str, clause: &str) {
        *self
            .lock()
            .uploads
            .entry((channel.to_owned(), "accepted", clause.to_owned()))
            .or_default() += 1;
    }

    /// An upload was refused; `clause` is the broken clause when known (empty otherwise).
    pub fn upload_refused(&self, channel: &str, clause: Option<&str>) {
        let key = (
            channel.to_owned(),
            "refused",
            clause.unwrap_or("").to_owned(),
        );
        *self.lock().uploads.entry(key).or_default() += 1;
    }

    /// A violation of `kind` was recorded.
    pub fn violation(&self, kind: &str) {
        *self.lock().violations.entry(kind.to_owned()).or_default() += 1;
    }

    /// An HTTP request was answered. `route` is the matched route template, not the raw path.
    pub fn http_request(&self, method: &str, route: &str, status: u16) {
        let key = (method.to_owned(), route.to_owned(), status);
        *self.lock().http.entry(key).or_default() += 1;
    }

    /// Time one ingest took, from the last byte received to the answer.
    pub fn observe_ingest(&self, channel: &str, elapsed: Duration) {
        self.lock()
            .ingest
            .entry(channel.to_owned())
            .or_default()
            .observe(elapsed.as_secs_f64());
    }

    /// The exposition text.
    pub fn render(&self) -> String {
        let inner = self.lock();
        let mut out = String::new();
        out.push_str("# HELP eseal_uploads_total Uploads judged by the platform (U1-U5), by channel, outcome and clause.\n");
        out.push_str("# TYPE eseal_uploads_total counter\n");
        for ((channel, outcome, clause), n) in &inner.uploads {
            let _ = writeln!(
                out,
                "eseal_uploads_total{{channel=\"{}\",outcome=\"{}\",clause=\"{}\"}} {n}",
                esc(channel),
                outcome,
                esc(clause)
            );
        }
        out.push_str("# HELP eseal_violations_total Violations recorded, by kind.\n");
        out.push_str("# TYPE eseal_violations_total counter\n");
        for (kind, n) in &inner.violations {
            let _ = writeln!(out, "eseal_violations_total{{kind=\"{}\"}} {n}", esc(kind));
        }
        out.push_str("# HELP eseal_http_requests_total HTTP requests answered, by method, route and status.\n");
        out.push_str("# TYPE eseal_http_requests_total counter\n");
        for ((method, route, status), n) in &inner.http {
            let _ = writeln!(
                out,
                "eseal_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {n}",
                esc(method),
                esc(route)
            );
        }
        out.push_str("# HELP eseal_ingest_duration_seconds Time to judge and store one upload.\n");
        out.push_str("# TYPE eseal_ingest_duration_seconds histogram\n");
        for (channel, h) in &inner.ingest {
            let ch = esc(channel);
            let mut cumulative = 0;
            for (i, le) in LATENCY_BUCKETS.iter().enumerate() {
                cumulative += h.buckets.get(i).copied().unwrap_or(0);
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
        out
    }
}

/// Escapes a label value (backslash, double quote, newline).
fn esc(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_cumulative_histogram() {
        let m = Metrics::new();
        m.upload_accepted("https", "U5");
        m.upload_accepted("https", "U5");
        m.upload_refused("ftp", None);
        m.violation("name");
        m.http_request("GET", "/api/v1/events/{id}", 200);
        m.observe_ingest("https", Duration::from_millis(20));
        m.observe_ingest("https", Duration::from_secs(20));
        let text = m.render();
        assert!(
            text.contains(
                "eseal_uploads_total{channel=\"https\",outcome=\"accepted\",clause=\"U5\"} 2\n"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "eseal_uploads_total{channel=\"ftp\",outcome=\"refused\",clause=\"\"} 1\n"
            )
        );
        assert!(text.contains("eseal_violations_total{kind=\"name\"} 1\n"));
        assert!(text.contains("route=\"/api/v1/events/{id}\",status=\"200\"} 1\n"));
        assert!(
            text.contains(
                "eseal_ingest_duration_seconds_bucket{channel=\"https\",le=\"0.01\"} 0\n"
            )
        );
        assert!(
            text.contains(
                "eseal_ingest_duration_seconds_bucket{channel=\"https\",le=\"0.025\"} 1\n"
            )
        );
        assert!(
            text.contains("eseal_ingest_duration_seconds_bucket{channel=\"https\",le=\"10\"} 1\n")
        );
        assert!(
            text.contains(
                "eseal_ingest_duration_seconds_bucket{channel=\"https\",le=\"+Inf\"} 2\n"
            )
        );
        assert!(text.contains("eseal_ingest_duration_seconds_count{channel=\"https\"} 2\n"));
        assert_eq!(esc("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}

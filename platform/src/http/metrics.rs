//! HTTP request counters, the one metric the HTTPS API keeps itself. Uploads, violations and
//! ingest latency are counted by the ingest for every channel ([`crate::metrics`]); `/metrics`
//! renders both registries.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Mutex, MutexGuard};

use crate::metrics::escape_label;

/// Answered HTTP requests by method, matched route template and status.
#[derive(Debug, Default)]
pub struct HttpMetrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
}

impl HttpMetrics {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<(String, String, u16), u64>> {
        self.requests.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// An HTTP request was answered. `route` is the matched route template, not the raw path.
    pub fn http_request(&self, method: &str, route: &str, status: u16) {
        let key = (method.to_owned(), route.to_owned(), status);
        *self.lock().entry(key).or_default() += 1;
    }

    /// Appends the exposition text to `out`.
    pub fn render_into(&self, out: &mut String) {
        out.push_str("# HELP eseal_http_requests_total HTTP requests answered, by method, route and status.\n");
        out.push_str("# TYPE eseal_http_requests_total counter\n");
        for ((method, route, status), n) in self.lock().iter() {
            let _ = writeln!(
                out,
                "eseal_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {n}",
                escape_label(method),
                escape_label(route)
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_request_counters() {
        let m = HttpMetrics::new();
        m.http_request("GET", "/api/v1/events/{id}", 200);
        m.http_request("GET", "/api/v1/events/{id}", 200);
        let mut text = String::new();
        m.render_into(&mut text);
        assert!(
            text.contains("eseal_http_requests_total{method=\"GET\",route=\"/api/v1/events/{id}\",status=\"200\"} 2\n"),
            "{text}"
        );
    }
}

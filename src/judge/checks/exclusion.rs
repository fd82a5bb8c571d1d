//! Don't-care regions (issue 15 "exclusions disclosed and bounded"): while a camera is covered
//! or turned it cannot see, so what happens then is left out of E3/E4/E5 and of E2's state
//! changes — as MOT benchmarks do with their ignore regions — and U4 is what the device owes
//! instead.
//!
//! The rule, in full: a camera's exclusion window is each tamper interval ± [`MARGIN_S`]; an
//! interval with no end runs to the end of the scenario. After matching,
//! - a true event is excluded iff its time lies in a window;
//! - a report matched to a true event is excluded iff that event is;
//! - an unmatched report is excluded iff its own time (its name's second, `[t, t + 1)`) touches
//!   a window.
//!
//! Nothing else is left out, and every check says how much was left out and why.

use std::collections::BTreeMap;

use eseal_simulator::truth::{Event, EventKind};

use super::clock_of;
use crate::judge::matching::Matching;
use crate::judge::verdict::{Check, Excluded};

/// Margin round a tamper interval, seconds (the frame the cover goes on is already dark).
pub const MARGIN_S: f64 = 1.0;

/// One tamper interval of a camera, from the truth.
#[derive(Debug, Clone, PartialEq)]
pub struct TamperWindow {
    pub start_s: f64,
    /// `None`: still tampered when the scenario ends.
    pub end_s: Option<f64>,
    /// The U4 analysis type the interval calls for: `04` occluded, `05` moved.
    pub analysis: String,
}

impl TamperWindow {
    pub fn label(&self) -> &'static str {
        if self.analysis == "05" {
            "moved"
        } else {
            "occluded"
        }
    }

    /// The exclusion window `[start − 1, end + 1]`, an open interval ending with the scenario.
    pub fn exclusion(&self, duration_s: f64) -> (f64, f64) {
        (
            self.start_s - MARGIN_S,
            self.end_s.map_or(duration_s, |e| e + MARGIN_S),
        )
    }
}

/// Every camera's tamper intervals, by camera code.
pub fn tamper_windows(truth: &[Event]) -> BTreeMap<String, Vec<TamperWindow>> {
    let mut out: BTreeMap<String, Vec<TamperWindow>> = BTreeMap::new();
    let mut open: BTreeMap<String, (f64, String)> = BTreeMap::new();
    for e in truth {
        let cam = e.camera.map(|c| c.to_string()).unwrap_or_default();
        match &e.kind {
            EventKind::TamperStart { analysis, .. } => {
                open.insert(cam, (e.t_ns as f64 / 1e9, analysis.clone()));
            }
            EventKind::TamperEnd { .. } => {
                if let Some((s, analysis)) = open.remove(&cam) {
                    out.entry(cam).or_default().push(TamperWindow {
                        start_s: s,
                        end_s: Some(e.t_ns as f64 / 1e9),
                        analysis,
                    });
                }
            }
            _ => {}
        }
    }
    for (cam, (s, analysis)) in open {
        out.entry(cam).or_default().push(TamperWindow {
            start_s: s,
            end_s: None,
            analysis,
        });
    }
    out
}

/// What stays in a score after the exclusion rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Kept {
    /// Per true event and per report: whether it stays.
    pub truth: Vec<bool>,
    pub reports: Vec<bool>,
    /// What was left out, when the camera has windows (else `None`).
    pub excluded: Option<Excluded>,
}

impl Kept {
    /// The share of true events left out (0 when there were none).
    pub fn excluded_share(&self) -> f64 {
        let n = self.truth.len();
        if n == 0 {
            0.0
        } else {
            self.truth.iter().filter(|k| !**k).count() as f64 / n as f64
        }
    }

    /// The matching restricted to what stays (indices unchanged).
    pub fn restrict(&self, m: &Matching) -> Matching {
        Matching {
            pairs: m
                .pairs
                .iter()
                .copied()
                .filter(|(i, _)| self.truth[*i])
                .collect(),
            missed: m
                .missed
                .iter()
                .copied()
                .filter(|i| self.truth[*i])
                .collect(),
            extra: m
                .extra
                .iter()
                .copied()
                .filter(|j| self.reports[*j])
                .collect(),
        }
    }
}

/// Applies the rule to a matching of `truth` and `reported` (times in seconds from the start).
pub fn apply(
    windows: &[TamperWindow],
    camera: &str,
    duration_s: f64,
    truth: &[f64],
    reported: &[f64],
    m: &Matching,
) -> Kept {
    let spans: Vec<(f64, f64)> = windows.iter().map(|w| w.exclusion(duration_s)).collect();
    let (keep_t, keep_r) = keep(&spans, truth, reported, m);
    let excluded = (!windows.is_empty()).then(|| Excluded {
        truth: keep_t.iter().filter(|k| !**k).count() as u32,
        reports: keep_r.iter().filter(|k| !**k).count() as u32,
        reason: describe(windows, camera, duration_s),
    });
    Kept {
        truth: keep_t,
        reports: keep_r,
        excluded,
    }
}

/// The rule itself on exclusion spans `[start, end]` (s): which true events and which reports
/// of matching `m` stay. Also used by `eseal edge people|trucks`, so the diagnosis tools leave
/// out exactly what the certificate leaves out.
pub fn keep(
    spans: &[(f64, f64)],
    truth: &[f64],
    reported: &[f64],
    m: &Matching,
) -> (Vec<bool>, Vec<bool>) {
    let inside = |a: f64, b: f64| spans.iter().any(|(s, e)| b >= *s && a <= *e);
    let keep_t: Vec<bool> = truth.iter().map(|t| !inside(*t, *t)).collect();
    let mut keep_r = vec![true; reported.len()];
    for (i, j) in &m.pairs {
        keep_r[*j] = keep_t[*i];
    }
    for j in &m.extra {
        keep_r[*j] = !inside(reported[*j], reported[*j] + 1.0 - 1e-9);
    }
    (keep_t, keep_r)
}

/// `camera 20 occluded 00:01:05–00:02:10, moved 00:03:00–end` (windows as the rule takes them).
pub fn describe(windows: &[TamperWindow], camera: &str, duration_s: f64) -> String {
    let parts: Vec<String> = windows
        .iter()
        .map(|w| {
            let (a, b) = w.exclusion(duration_s);
            let end = if w.end_s.is_some() {
                clock_of(b)
            } else {
                format!("{} (end of run)", clock_of(b))
            };
            format!("{} {}–{end}", w.label(), clock_of(a))
        })
        .collect();
    format!(
        "camera {camera} {} (tamper interval ± {MARGIN_S} s)",
        parts.join(", ")
    )
}

/// Discloses an exclusion on a check: `excluded` set, and `actual` followed by
/// `excluded: 6 true crossings, 9 reports (…)` (`nouns` name the true events and the reports).
pub fn disclose(c: &mut Check, e: Option<&Excluded>, nouns: (&str, &str)) {
    if let Some(e) = e {
        c.actual = format!(
            "{}; excluded: {} {}, {} {} ({})",
            c.actual, e.truth, nouns.0, e.reports, nouns.1, e.reason
        );
        c.excluded = Some(e.clone());
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::judge::matching::{Window, match_times};

    fn w(start_s: f64, end_s: Option<f64>) -> TamperWindow {
        TamperWindow {
            start_s,
            end_s,
            analysis: "04".into(),
        }
    }

    /// Occluded from 85 s to 105 s: the window is [84, 106]. Truth at 80, 95 and 106.74; reports
    /// at 80 (matched to 80), 96 (matched to 95: leaves with it), 107 (matched to 106.74, kept),
    /// and unmatched phantoms at 90 (inside: left out) and 130 (outside: kept as an extra).
    #[test]
    fn a_report_leaves_with_its_event_or_by_its_own_time_only() {
        let truth = [80.0, 95.0, 106.74];
        let reported = [80.0, 96.0, 107.0, 90.0, 130.0];
        let m = match_times(
            &truth,
            &reported,
            Window {
                skew_s: 1.0,
                latency_s: 1.0,
            },
        );
        assert_eq!(m.pairs, [(0, 0), (1, 1), (2, 2)]);
        let k = apply(&[w(85.0, Some(105.0))], "20", 200.0, &truth, &reported, &m);
        assert_eq!(k.truth, [true, false, true]);
        assert_eq!(k.reports, [true, false, true, false, true]);
        let e = k.excluded.clone().unwrap();
        assert_eq!((e.truth, e.reports), (1, 2));
        assert_eq!(
            e.reason,
            "camera 20 occluded 00:01:24–00:01:46 (tamper interval ± 1 s)"
        );
        let r = k.restrict(&m);
        assert_eq!((r.pairs.len(), r.missed.len(), r.extra), (2, 0, vec![4]));
    }

    /// The old rule dropped a report "owned" by an excluded event up to 15 s after it, even far
    /// outside the window; now an unmatched report at 110 s stays (an extra), and one 0.5 s
    /// before the window's start (its second touches it) leaves.
    #[test]
    fn nothing_outside_a_window_is_dropped() {
        let truth = [100.0];
        let reported = [110.0, 83.5];
        let m = Matching {
            pairs: vec![],
            missed: vec![0],
            extra: vec![0, 1],
        };
        let k = apply(&[w(85.0, Some(99.5))], "20", 200.0, &truth, &reported, &m);
        assert_eq!(k.truth, [false]);
        assert_eq!(k.reports, [true, false]);
    }

    #[test]
    fn an_open_interval_ends_with_the_scenario() {
        let windows = [w(50.0, None)];
        let truth = [40.0, 60.0, 119.0];
        let m = Matching {
            pairs: vec![],
            missed: vec![0, 1, 2],
            extra: vec![],
        };
        let k = apply(&windows, "10", 120.0, &truth, &[], &m);
        assert_eq!(k.truth, [true, false, false]);
        assert!((k.excluded_share() - 2.0 / 3.0).abs() < 1e-12);
        assert!(
            k.excluded
                .unwrap()
                .reason
                .contains("00:00:49–00:02:00 (end of run)")
        );
    }

    #[test]
    fn without_windows_nothing_is_excluded_or_disclosed() {
        let m = Matching {
            pairs: vec![(0, 0)],
            missed: vec![],
            extra: vec![],
        };
        let k = apply(&[], "10", 120.0, &[5.0], &[6.0], &m);
        assert_eq!(
            (k.truth, k.reports, k.excluded),
            (vec![true], vec![true], None)
        );
    }
}

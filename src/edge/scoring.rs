//! What `edge people` and `edge trucks` leave out of a tampered camera's score, as the judge
//! does (`judge::checks::exclusion::apply`): a true crossing leaves by its own time, a report
//! leaves with the true crossing it is matched to, and an unmatched report by its own second.
//! So a truck counted a moment late, just inside a cover that starts after it crossed, is a
//! match here as it is in the certificate, not a miss. Reports pair with true crossings inside
//! the judge's window too (R2: 5 s early to 15 s late) unless `--window S` asks for ±S.

use crate::judge::matching::Window;
use eseal_vision::people::PersonCrossing;
use eseal_vision::people::track::{Direction, hungarian};

/// The matching window of `--window S` (±S seconds), or the judge's without it.
pub(super) fn window(symmetric_s: Option<f64>) -> Window {
    symmetric_s.map_or_else(Window::default, Window::symmetric)
}

/// The cost of pairing a true crossing at `truth_s` with a report at `reported_s`: `|Δt|` over
/// the window's span (0–1), or `None` outside the window.
pub(super) fn pair_cost(w: Window, truth_s: f64, reported_s: f64) -> Option<f64> {
    let span = (2.0 * w.skew_s + w.latency_s).max(1e-9);
    w.admits(truth_s, reported_s)
        .then(|| (reported_s - truth_s).abs() / span)
}

/// One crossing for the exclusion rule: its time (s) and direction (`true`: down / in).
pub(super) type Timed = (f64, bool);

/// Which true crossings and which reports stay, given the camera's exclusion spans (s) and the
/// matching window (s). Reports are paired to true crossings of the same direction one to one,
/// nearest first, within the window.
pub(super) fn kept_as_judged(
    truth: &[Timed],
    reports: &[Timed],
    spans: &[(f64, f64)],
    window: Window,
) -> (Vec<bool>, Vec<bool>) {
    let inside = |a: f64, b: f64| spans.iter().any(|&(s, e)| b >= s && a <= e);
    let keep_t: Vec<bool> = truth.iter().map(|t| !inside(t.0, t.0)).collect();
    let mut keep_r: Vec<bool> = reports
        .iter()
        .map(|r| !inside(r.0, r.0 + 1.0 - 1e-9))
        .collect();
    if spans.is_empty() {
        return (keep_t, keep_r);
    }
    let big = 1e6;
    for dir in [true, false] {
        let ti: Vec<usize> = (0..truth.len()).filter(|i| truth[*i].1 == dir).collect();
        let rj: Vec<usize> = (0..reports.len())
            .filter(|j| reports[*j].1 == dir)
            .collect();
        let cost: Vec<Vec<f64>> = (ti.iter())
            .map(|&i| {
                (rj.iter())
                    .map(|&j| pair_cost(window, truth[i].0, reports[j].0).unwrap_or(big))
                    .collect()
            })
            .collect();
        for (k, a) in hungarian(&cost, big).into_iter().enumerate() {
            if let Some(c) = a.filter(|c| cost[k][*c] < big) {
                keep_r[rj[c]] = keep_t[ti[k]];
            }
        }
    }
    (keep_t, keep_r)
}

/// Drops from a camera's true crossings (`when` gives each one's time, ns, and whether it goes
/// down / in) and from its reports what the judge leaves out; returns how many were dropped.
pub(super) fn retain_as_judged<T>(
    truth: &mut Vec<T>,
    when: impl Fn(&T) -> (u64, bool),
    reports: &mut Vec<PersonCrossing>,
    spans: &[(f64, f64)],
    window: Window,
) -> u32 {
    let secs = |ns: u64| ns as f64 / 1e9;
    let t: Vec<Timed> = (truth.iter().map(&when))
        .map(|(ns, down)| (secs(ns), down))
        .collect();
    let r: Vec<Timed> = (reports.iter())
        .map(|x| (secs(x.crossing_ns), x.direction == Direction::Down))
        .collect();
    let (keep_t, keep_r) = kept_as_judged(&t, &r, spans, window);
    let before = truth.len() + reports.len();
    let mut keep = keep_t.into_iter();
    truth.retain(|_| keep.next().unwrap_or(true));
    let mut keep = keep_r.into_iter();
    reports.retain(|_| keep.next().unwrap_or(true));
    (before - truth.len() - reports.len()) as u32
}

#[cfg(test)]
mod tests {
    use super::{kept_as_judged, window};

    /// Covered from 37 s to 50 s (window [36, 51]): a truck in at 35.3 s counted at 36.5 s stays
    /// with it; a truck in at 40 s leaves with its report at 40.2 s; an unmatched report at 45 s
    /// leaves; one at 60 s stays (an extra); a truth at 60 s in the other direction stays.
    #[test]
    fn a_late_report_stays_with_its_crossing_before_the_window() {
        let spans = [(36.0, 51.0)];
        let truth = [(35.3, true), (40.0, true), (60.0, false)];
        let reports = [(36.5, true), (40.2, true), (45.0, true), (60.0, true)];
        let (t, r) = kept_as_judged(&truth, &reports, &spans, window(Some(3.0)));
        assert_eq!(t, [true, false, true]);
        assert_eq!(r, [true, false, false, true]);
    }

    /// The judge's window admits a report 5 s early to 15 s late (R2); `--window 3` ±3 s.
    #[test]
    fn the_default_window_is_the_judges() {
        let judge = window(None);
        assert!(judge.admits(10.0, 5.0) && judge.admits(10.0, 25.0));
        assert!(!judge.admits(10.0, 4.9) && !judge.admits(10.0, 25.1));
        let strict = window(Some(3.0));
        assert!(strict.admits(10.0, 7.0) && strict.admits(10.0, 13.0));
        assert!(!strict.admits(10.0, 13.1));
    }
}

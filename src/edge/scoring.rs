//! What `edge people` and `edge trucks` leave out of a tampered camera's score, as the judge
//! does (`judge::checks::exclusion::apply`): a true crossing leaves by its own time, a report
//! leaves with the true crossing it is matched to, and an unmatched report by its own second.
//! So a truck counted a moment late, just inside a cover that starts after it crossed, is a
//! match here as it is in the certificate, not a miss. Reports pair with true crossings inside
//! the judge's window too (R2: 5 s early to 15 s late) unless `--window S` asks for ±S.

use crate::judge::checks::exclusion;
use crate::judge::matching::{Window, match_times};
use eseal_vision::people::PersonCrossing;
use eseal_vision::people::track::Direction;

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
/// matching window: the judge's matching (`judge::matching::match_times`, per direction) and
/// its exclusion rule (`judge::checks::exclusion::keep`), unchanged.
pub(super) fn kept_as_judged(
    truth: &[Timed],
    reports: &[Timed],
    spans: &[(f64, f64)],
    window: Window,
) -> (Vec<bool>, Vec<bool>) {
    let mut keep_t = vec![true; truth.len()];
    let mut keep_r = vec![true; reports.len()];
    for dir in [true, false] {
        let ti: Vec<usize> = (0..truth.len()).filter(|i| truth[*i].1 == dir).collect();
        let rj: Vec<usize> = (0..reports.len())
            .filter(|j| reports[*j].1 == dir)
            .collect();
        let t: Vec<f64> = ti.iter().map(|&i| truth[i].0).collect();
        let r: Vec<f64> = rj.iter().map(|&j| reports[j].0).collect();
        let m = match_times(&t, &r, window);
        let (kt, kr) = exclusion::keep(spans, &t, &r, &m);
        ti.iter().zip(kt).for_each(|(&i, k)| keep_t[i] = k);
        rj.iter().zip(kr).for_each(|(&j, k)| keep_r[j] = k);
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

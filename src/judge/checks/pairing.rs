//! Which report is which true event (R2): the optimal one-to-one matching of
//! [`crate::judge::matching`], run twice.
//!
//! Key design decision: **a report is paired on its name's time or on its arrival — one basis
//! per camera and kind, whichever explains more reports.** On the names, a report may be the
//! true event at `t` when its name's time lies in `[t − skew, t + skew + latency]`; on arrival,
//! when its arrival does. A device whose clock is 20 s late but which uploads at once is still
//! reporting those people: on arrival its reports pair one to one, while on the names each would
//! pair with someone 20 s later, or nobody. A device that stamps right but uploads late pairs on
//! its names. Either way the other time is judged by R2 (R2.skew, R2.latency) from the true
//! event, so choosing the basis never excuses anything. Ties (a conformant device: both
//! explain every report) go to the names; reports without an arrival (a count log) pair on their
//! times only. The window never widens: every pair has its name or its arrival inside R2's bounds.

use std::collections::BTreeMap;

use crate::judge::matching::{Matching, Window, match_times_by};

/// A report's two times, seconds from the scenario start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stamp {
    /// The time the device wrote (its name's second, or its count log's instant).
    pub name_s: f64,
    /// When the platform received it, if known.
    pub arrived_s: Option<f64>,
}

/// A matching and, per report, whether it was paired on its arrival.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Paired {
    pub matching: Matching,
    pub by_arrival: Vec<bool>,
}

impl Paired {
    /// The time each report was matched on: its arrival when paired on arrival, else its name.
    pub fn effective(&self, reports: &[Stamp]) -> Vec<f64> {
        reports
            .iter()
            .zip(&self.by_arrival)
            .map(|(r, a)| {
                if *a {
                    r.arrived_s.unwrap_or(r.name_s)
                } else {
                    r.name_s
                }
            })
            .collect()
    }
}

/// Pairs true event times with reports (see the module note); `misfit(i, j)` in 0..=1 breaks
/// ties among pairings with the most pairs (e.g. 1 − IoU of a drawn rectangle).
pub fn pair(
    truth: &[f64],
    reports: &[Stamp],
    window: Window,
    misfit: &dyn Fn(usize, usize) -> f64,
) -> Paired {
    let names: Vec<f64> = reports.iter().map(|r| r.name_s).collect();
    let on_names = match_times_by(truth, &names, window, misfit);
    let arrivals: Option<Vec<f64>> = reports.iter().map(|r| r.arrived_s).collect();
    if let Some(arrivals) = arrivals.filter(|a| !a.is_empty()) {
        let on_arrival = match_times_by(truth, &arrivals, window, misfit);
        if on_arrival.pairs.len() > on_names.pairs.len() {
            return Paired {
                matching: on_arrival,
                by_arrival: vec![true; reports.len()],
            };
        }
    }
    Paired {
        matching: on_names,
        by_arrival: vec![false; reports.len()],
    }
}

/// [`pair`] per key (state, lock …): keys never mix; indices are into the caller's slices.
pub fn pair_by_key<K: Ord + Clone>(
    truth: &[(K, f64)],
    reports: &[(K, Stamp)],
    window: Window,
) -> Paired {
    let mut groups: BTreeMap<K, (Vec<usize>, Vec<usize>)> = BTreeMap::new();
    for (i, (k, _)) in truth.iter().enumerate() {
        groups.entry(k.clone()).or_default().0.push(i);
    }
    for (j, (k, _)) in reports.iter().enumerate() {
        groups.entry(k.clone()).or_default().1.push(j);
    }
    let mut out = Paired {
        matching: Matching::default(),
        by_arrival: vec![false; reports.len()],
    };
    for (ti, rj) in groups.into_values() {
        let t: Vec<f64> = ti.iter().map(|i| truth[*i].1).collect();
        let r: Vec<Stamp> = rj.iter().map(|j| reports[*j].1).collect();
        let p = pair(&t, &r, window, &|_, _| 0.0);
        out.matching
            .pairs
            .extend(p.matching.pairs.iter().map(|(a, b)| (ti[*a], rj[*b])));
        out.matching
            .missed
            .extend(p.matching.missed.iter().map(|a| ti[*a]));
        out.matching
            .extra
            .extend(p.matching.extra.iter().map(|b| rj[*b]));
        for (b, a) in p.by_arrival.iter().enumerate() {
            out.by_arrival[rj[b]] = *a;
        }
    }
    out.matching.pairs.sort_unstable();
    out.matching.missed.sort_unstable();
    out.matching.extra.sort_unstable();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: Window = Window {
        skew_s: 5.0,
        latency_s: 10.0,
    };

    fn at(name_s: f64, arrived_s: f64) -> Stamp {
        Stamp {
            name_s,
            arrived_s: Some(arrived_s),
        }
    }

    /// A clock 20 s late, uploads at once: paired on arrival (and R2.skew will say so).
    #[test]
    fn a_late_clock_that_uploads_at_once_is_paired_on_arrival() {
        let p = pair(
            &[10.0, 50.0],
            &[at(30.0, 11.0), at(70.0, 51.5)],
            W,
            &|_, _| 0.0,
        );
        assert_eq!(p.matching.pairs, [(0, 0), (1, 1)]);
        assert_eq!(p.by_arrival, [true, true]);
        assert_eq!(p.effective(&[at(30.0, 11.0), at(70.0, 51.5)]), [11.0, 51.5]);
    }

    /// Right names, uploads 25 s late: paired on the names (R2.latency will fail them).
    #[test]
    fn late_uploads_with_right_names_are_paired_on_their_names() {
        let p = pair(&[10.0], &[at(10.0, 35.0)], W, &|_, _| 0.0);
        assert_eq!(p.matching.pairs, [(0, 0)]);
        assert_eq!(p.by_arrival, [false]);
    }

    /// A phantom stamped 40 s after a missed event and uploaded then is neither: both stay errors.
    #[test]
    fn a_phantom_outside_both_windows_pairs_with_nothing() {
        let p = pair(&[10.0], &[at(50.0, 50.5)], W, &|_, _| 0.0);
        assert!(p.matching.pairs.is_empty());
        assert_eq!(
            (p.matching.missed.as_slice(), p.matching.extra.as_slice()),
            (&[0usize][..], &[0usize][..])
        );
    }

    /// A clock 20 s late with people 10 s apart: on the names each report would pair with the
    /// person after (and the first person be missed); on arrival every report is its own person.
    #[test]
    fn a_late_clock_does_not_shift_every_report_onto_the_next_person() {
        let truth = [6.0, 16.0, 26.0, 36.0];
        let reports: Vec<Stamp> = truth.iter().map(|t| at(t + 20.5, t + 1.0)).collect();
        let p = pair(&truth, &reports, W, &|_, _| 0.0);
        assert_eq!(p.matching.pairs, [(0, 0), (1, 1), (2, 2), (3, 3)]);
        assert!(p.by_arrival.iter().all(|a| *a));
    }

    /// Ties go to the names; without arrival times only names count.
    #[test]
    fn ties_go_to_the_names_and_no_arrival_means_names() {
        let p = pair(
            &[10.0, 30.0],
            &[at(10.0, 10.5), at(30.0, 30.5)],
            W,
            &|_, _| 0.0,
        );
        assert_eq!(p.by_arrival, [false, false]);
        let p = pair(
            &[10.0],
            &[Stamp {
                name_s: 40.0,
                arrived_s: None,
            }],
            W,
            &|_, _| 0.0,
        );
        assert!(p.matching.pairs.is_empty());
    }

    #[test]
    fn keys_never_mix() {
        let truth = [("a", 10.0), ("b", 10.0)];
        let reports = [("b", at(11.0, 11.5)), ("a", at(40.0, 12.0))];
        let p = pair_by_key(&truth, &reports, W);
        assert_eq!(p.matching.pairs, [(0, 1), (1, 0)]);
        assert_eq!(
            p.by_arrival,
            [false, true],
            "each key chooses its own basis"
        );
    }
}

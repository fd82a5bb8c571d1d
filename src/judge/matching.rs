//! Matching of ground-truth events to what a device reported (issue 5, deliver 1).
//!
//! Key design decision: **one optimal one-to-one assignment per key, inside an asymmetric
//! window.** A key is what must agree exactly (camera and event type, and where there is one,
//! the state); time is what may differ. A report may come at most `skew_s` before the true
//! instant (the device's clock may run ahead, R2 allows ±5 s) and at most `skew_s + latency_s`
//! after it (a clock behind, plus the spec's "at once" upload latency). Among all one-to-one
//! pairings inside the window the judge takes one with the most pairs, and among those the
//! least total time error (Kuhn–Munkres on `|Δt|`, the judge's own [`super::assign`]), so a
//! burst of simultaneous crossings is never scored worse than the best reading of it.

use std::collections::BTreeMap;

use serde::Serialize;

use super::assign::assign;

/// The tolerance window (R2).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Window {
    /// Clock skew allowed either way, seconds.
    pub skew_s: f64,
    /// Upload latency allowed after the event, seconds.
    pub latency_s: f64,
}

impl Default for Window {
    /// ±5 s clock skew and 10 s "at once" latency.
    fn default() -> Self {
        Window {
            skew_s: 5.0,
            latency_s: 10.0,
        }
    }
}

impl Window {
    /// A window of ±`s` seconds with no latency allowance (stricter than R2's).
    pub fn symmetric(s: f64) -> Window {
        Window {
            skew_s: s,
            latency_s: 0.0,
        }
    }

    /// Whether a report at `reported_s` may be the event at `truth_s`.
    pub fn admits(&self, truth_s: f64, reported_s: f64) -> bool {
        let d = reported_s - truth_s;
        d >= -self.skew_s && d <= self.skew_s + self.latency_s
    }
}

/// The outcome for one key: pairs `(truth index, reported index)` into the caller's slices,
/// and what is left on each side.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Matching {
    pub pairs: Vec<(usize, usize)>,
    /// Truth events with no report (misses).
    pub missed: Vec<usize>,
    /// Reports that match no truth event (extras).
    pub extra: Vec<usize>,
}

/// Event-level figures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct EventLevel {
    pub truth: usize,
    pub reported: usize,
    pub matched: usize,
    /// matched / reported (1 when nothing was reported).
    pub precision: f64,
    /// matched / truth (1 when nothing happened).
    pub recall: f64,
    /// Harmonic mean of the two (0 when both are 0).
    pub f1: f64,
}

impl Matching {
    /// Precision, recall and F1.
    pub fn event_level(&self) -> EventLevel {
        let matched = self.pairs.len();
        let truth = matched + self.missed.len();
        let reported = matched + self.extra.len();
        let ratio = |n: usize, d: usize| if d == 0 { 1.0 } else { n as f64 / d as f64 };
        let (precision, recall) = (ratio(matched, reported), ratio(matched, truth));
        let f1 = if precision + recall == 0.0 {
            0.0
        } else {
            2.0 * precision * recall / (precision + recall)
        };
        EventLevel {
            truth,
            reported,
            matched,
            precision,
            recall,
            f1,
        }
    }
}

/// Matches event times (seconds) of one key: the most pairs inside the window, then the least
/// total `|Δt|`.
pub fn match_times(truth: &[f64], reported: &[f64], window: Window) -> Matching {
    match_times_by(truth, reported, window, |_, _| 0.0)
}

/// [`match_times`] with a second criterion: `misfit(i, j)` in 0..=1 (e.g. 1 − IoU of a drawn
/// rectangle) is added to the pair's cost, so among pairings with the most pairs the judge
/// prefers those that fit; it never trades a pair away for a better fit.
pub fn match_times_by(
    truth: &[f64],
    reported: &[f64],
    window: Window,
    misfit: impl Fn(usize, usize) -> f64,
) -> Matching {
    // Pairs outside the window are priced at `big`, which `assign` takes as infeasible: it
    // maximises the number of feasible pairs first and only then minimises their cost.
    let big = 1e9;
    let scale = (2.0 * window.skew_s + window.latency_s).max(1e-9);
    let cost: Vec<Vec<f64>> = truth
        .iter()
        .enumerate()
        .map(|(i, t)| {
            reported
                .iter()
                .enumerate()
                .map(|(j, r)| {
                    if window.admits(*t, *r) {
                        (r - t).abs() / scale + misfit(i, j).clamp(0.0, 1.0)
                    } else {
                        big
                    }
                })
                .collect()
        })
        .collect();
    let assignment = assign(&cost, big);
    let mut out = Matching::default();
    let mut used = vec![false; reported.len()];
    for (i, a) in assignment.iter().enumerate() {
        match a {
            Some(j) if cost[i][*j] < big => {
                used[*j] = true;
                out.pairs.push((i, *j));
            }
            _ => out.missed.push(i),
        }
    }
    out.extra = (0..reported.len()).filter(|j| !used[*j]).collect();
    out
}

/// [`match_by_key`] merged into one [`Matching`] over all keys (indices into the caller's
/// slices, each list sorted).
pub fn match_all<K: Ord + Clone>(
    truth: &[(K, f64)],
    reported: &[(K, f64)],
    window: Window,
) -> Matching {
    let mut out = Matching::default();
    for m in match_by_key(truth, reported, window).into_values() {
        out.pairs.extend(m.pairs);
        out.missed.extend(m.missed);
        out.extra.extend(m.extra);
    }
    out.pairs.sort_unstable();
    out.missed.sort_unstable();
    out.extra.sort_unstable();
    out
}

/// Matches events of many keys at once; each side is `(key, time in seconds)`. Indices in the
/// result are into the caller's slices; keys present on either side all appear.
pub fn match_by_key<K: Ord + Clone>(
    truth: &[(K, f64)],
    reported: &[(K, f64)],
    window: Window,
) -> BTreeMap<K, Matching> {
    let mut groups: BTreeMap<K, (Vec<usize>, Vec<usize>)> = BTreeMap::new();
    for (i, (k, _)) in truth.iter().enumerate() {
        groups.entry(k.clone()).or_default().0.push(i);
    }
    for (j, (k, _)) in reported.iter().enumerate() {
        groups.entry(k.clone()).or_default().1.push(j);
    }
    groups
        .into_iter()
        .map(|(k, (ti, rj))| {
            let t: Vec<f64> = ti.iter().map(|i| truth[*i].1).collect();
            let r: Vec<f64> = rj.iter().map(|j| reported[*j].1).collect();
            let m = match_times(&t, &r, window);
            let global = Matching {
                pairs: m.pairs.iter().map(|(a, b)| (ti[*a], rj[*b])).collect(),
                missed: m.missed.iter().map(|a| ti[*a]).collect(),
                extra: m.extra.iter().map(|b| rj[*b]).collect(),
            };
            (k, global)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: Window = Window {
        skew_s: 5.0,
        latency_s: 10.0,
    };

    #[test]
    fn the_window_is_asymmetric() {
        assert!(W.admits(100.0, 95.0));
        assert!(
            !W.admits(100.0, 94.9),
            "more than 5 s early is another event"
        );
        assert!(W.admits(100.0, 115.0));
        assert!(
            !W.admits(100.0, 115.1),
            "more than skew + latency late is too late"
        );
    }

    /// Hand-checked: truth at 0, 10, 20 s; reports at 3, 12, 40 s. 3 can only be 0 (it is 7 s
    /// early for 10); 12 can be 0 or 10 (it is 8 s early for 20), so 3 ↔ 0 and 12 ↔ 10; 40 is
    /// 20 s after the last event, too late; 20 is missed.
    #[test]
    fn a_hand_checked_case() {
        let m = match_times(&[0.0, 10.0, 20.0], &[3.0, 12.0, 40.0], W);
        assert_eq!(m.pairs, [(0, 0), (1, 1)]);
        assert_eq!(m.missed, [2]);
        assert_eq!(m.extra, [2]);
        let e = m.event_level();
        assert_eq!((e.truth, e.reported, e.matched), (3, 3, 2));
        assert!((e.precision - 2.0 / 3.0).abs() < 1e-12 && (e.recall - 2.0 / 3.0).abs() < 1e-12);
        assert!((e.f1 - 2.0 / 3.0).abs() < 1e-12);
    }

    /// A greedy nearest-first matcher pairs 10 ↔ 9 and leaves 0 unmatched (9 is 9 s late for 0,
    /// still inside); the optimum pairs 0 ↔ 9 and 10 ↔ 16 instead: two pairs, not one.
    #[test]
    fn the_most_pairs_beat_the_nearest_pairs() {
        let m = match_times(
            &[0.0, 10.0],
            &[9.0, 16.0],
            Window {
                skew_s: 1.0,
                latency_s: 8.0,
            },
        );
        assert_eq!(m.pairs, [(0, 0), (1, 1)]);
        assert!(m.missed.is_empty() && m.extra.is_empty());
    }

    /// Every subset of one-to-one pairs, tried: the matcher finds as many pairs as the best,
    /// and no more total error among those (an independent computation on small cases).
    #[test]
    fn agrees_with_brute_force_on_small_cases() {
        fn best(t: &[f64], r: &[f64], w: Window, i: usize, used: &mut Vec<bool>) -> (usize, f64) {
            if i == t.len() {
                return (0, 0.0);
            }
            let mut top = best(t, r, w, i + 1, used);
            for j in 0..r.len() {
                if !used[j] && w.admits(t[i], r[j]) {
                    used[j] = true;
                    let (n, e) = best(t, r, w, i + 1, used);
                    used[j] = false;
                    let cand = (n + 1, e + (r[j] - t[i]).abs());
                    if cand.0 > top.0 || (cand.0 == top.0 && cand.1 < top.1 - 1e-9) {
                        top = cand;
                    }
                }
            }
            top
        }
        // A fixed pseudo-random sequence (seed printed on failure).
        let mut x: u64 = 0x5EED_2026_1202;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % 600) as f64 / 10.0
        };
        let w = Window {
            skew_s: 2.0,
            latency_s: 4.0,
        };
        for case in 0..300 {
            let (nt, nr) = (1 + case % 5, case / 5 % 6);
            let t: Vec<f64> = (0..nt).map(|_| next()).collect();
            let r: Vec<f64> = (0..nr).map(|_| next()).collect();
            let m = match_times(&t, &r, w);
            let err: f64 = m.pairs.iter().map(|(i, j)| (r[*j] - t[*i]).abs()).sum();
            let (n, e) = best(&t, &r, w, 0, &mut vec![false; r.len()]);
            assert_eq!(
                m.pairs.len(),
                n,
                "case {case} (seed 0x5EED_2026_1202): truth {t:?} reported {r:?}"
            );
            assert!(
                (err - e).abs() < 1e-6,
                "case {case}: error {err} vs best {e}; truth {t:?} reported {r:?}"
            );
            assert!(m.pairs.iter().all(|(i, j)| w.admits(t[*i], r[*j])));
        }
    }

    #[test]
    fn keys_never_mix() {
        let truth = [
            (("20", "down"), 0.0),
            (("21", "down"), 0.0),
            (("20", "up"), 1.0),
        ];
        let reported = [
            (("21", "down"), 1.0),
            (("20", "down"), 30.0),
            (("22", "down"), 0.0),
        ];
        let m = match_by_key(&truth, &reported, W);
        assert_eq!(m[&("21", "down")].pairs, [(1, 0)]);
        assert_eq!(m[&("20", "down")].missed, [0]);
        assert_eq!(
            m[&("20", "down")].extra,
            [1],
            "30 s after the event is too late"
        );
        assert_eq!(m[&("20", "up")].missed, [2]);
        assert_eq!(
            m[&("22", "down")].extra,
            [2],
            "a camera with no truth still shows its extras"
        );
    }

    #[test]
    fn nothing_on_either_side() {
        let m = match_times(&[], &[], W);
        let e = m.event_level();
        assert_eq!((e.precision, e.recall), (1.0, 1.0));
        let m = match_times(&[1.0], &[], W);
        assert_eq!(m.missed, [0]);
        assert_eq!(m.event_level().f1, 0.0);
    }
}

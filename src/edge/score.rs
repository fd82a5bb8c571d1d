//! A small scorer of an in-process run against the simulator's ground truth (issue 4), until the
//! judge (issue 5) replaces it: what arrived on the platform, matched one-to-one to what
//! happened.
//!
//! Rules (stated so the figures can be checked by hand):
//! - Times: an upload's name carries its CST second; it matches a truth event of the same kind,
//!   camera and (where there is one) state within `window_s` (optimal one-to-one assignment per
//!   camera and kind, cost = time difference).
//! - People (E3): *down* from the U1 uploads, *up* from the device's counts event by event (U1 is
//!   only for people going down), which must add up to its own day report. Accuracy per
//!   direction is the lower of the count-level figure `1 − |reported − true| / true` and
//!   event-level recall. Crossings while the camera is being
//!   tampered with (truth tamper interval) are left out of both sides: a covered camera cannot
//!   see; U4 is what the device owes then.
//! - Capture (E4, R4): a true person down is captured when the matched U1 decision's rectangle
//!   has IoU ≥ 0.5 with that person's full or visible truth box in the captured frame.
//! - U3: every truth belt/skip state change except an initial "stopped" at the start.
//! - U4: every tamper interval gets at least one U4 of its type between its start and its end
//!   plus one check interval.
//! - U5: every lock event; U6: every camera registered.

use std::collections::BTreeMap;

use eseal_protocol::{Clause, EvidenceName};
use eseal_simulator::render::BoxPx;
use eseal_simulator::scenario::{PersonDirection, TruckDirection};
use eseal_simulator::truth::EventKind;
use eseal_simulator::Scenario;
// The judge's `crate::judge::matching` (asymmetric R2 window) replaces `match_times` below when
// the judge takes over this scorer (issue 5); until then the figures keep their symmetric window.
use eseal_vision::device::Counter;
use eseal_vision::people::track::hungarian;
use serde::Serialize;

use super::run::RunResult;

/// One row of figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figure {
    /// What is measured, e.g. `people down (E3) camera 20`.
    pub what: String,
    pub expected: u32,
    pub reported: u32,
    pub matched: u32,
    /// The figure, 0–1.
    pub value: f64,
    /// The bar it is held to.
    pub bar: f64,
}

impl Figure {
    pub fn passes(&self) -> bool {
        self.value + 1e-12 >= self.bar
    }
}

/// Every figure of one run.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RunScore {
    pub figures: Vec<Figure>,
    /// Things that are wrong outright (duplicates, refusals, left in the spool).
    pub problems: Vec<String>,
    /// Per-item diagnostics.
    pub details: Vec<String>,
}

impl RunScore {
    pub fn passes(&self) -> bool {
        self.problems.is_empty() && self.figures.iter().all(Figure::passes)
    }
}

/// The bars of issue 4.
pub const COUNT_BAR: f64 = 0.97;
pub const CAPTURE_BAR: f64 = 0.99;

fn iou(a: [u32; 4], b: &BoxPx) -> f64 {
    let (ix0, iy0) = (a[0].max(b.x0), a[1].max(b.y0));
    let (ix1, iy1) = (a[2].min(b.x1), a[3].min(b.y1));
    let inter = f64::from(ix1.saturating_sub(ix0)) * f64::from(iy1.saturating_sub(iy0));
    let area_a = f64::from(a[2].saturating_sub(a[0])) * f64::from(a[3].saturating_sub(a[1]));
    let area_b = f64::from(b.x1 - b.x0) * f64::from(b.y1 - b.y0);
    let union = area_a + area_b - inter;
    if union <= 0.0 { 0.0 } else { inter / union }
}

/// Optimal one-to-one matching of truth times to reported times within a window; returns pairs
/// (truth index, reported index).
fn match_times(truth: &[f64], reported: &[f64], window_s: f64, extra: impl Fn(usize, usize) -> f64) -> Vec<(usize, usize)> {
    let big = 1e9;
    let cost: Vec<Vec<f64>> = truth
        .iter()
        .enumerate()
        .map(|(i, t)| {
            reported
                .iter()
                .enumerate()
                .map(|(j, r)| {
                    let d = (t - r).abs();
                    if d <= window_s { d / window_s + extra(i, j) } else { big }
                })
                .collect()
        })
        .collect();
    hungarian(&cost, big).into_iter().enumerate().filter_map(|(i, j)| j.map(|j| (i, j))).collect()
}

fn ratio(n: u32, d: u32) -> f64 {
    if d == 0 { if n == 0 { 1.0 } else { 0.0 } } else { f64::from(n) / f64::from(d) }
}

fn count_accuracy(reported: u32, truth: u32) -> f64 {
    if truth == 0 {
        return if reported == 0 { 1.0 } else { 0.0 };
    }
    (1.0 - (f64::from(reported) - f64::from(truth)).abs() / f64::from(truth)).max(0.0)
}

/// Scores a run of `scenario`.
pub fn score(scenario: &Scenario, run: &RunResult, tamper_interval_s: f64, window_s: f64) -> RunScore {
    let mut out = RunScore::default();
    let start = scenario.start;
    let secs_of = |name: &EvidenceName| {
        let t = name.time().to_cst();
        (t - start).num_milliseconds() as f64 / 1000.0
    };
    // Uploads, parsed; duplicates are a problem.
    let mut names = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for r in &run.received {
        if !seen.insert(r.clone()) {
            out.problems.push(format!("{r} received twice"));
        }
        match EvidenceName::parse(r) {
            Ok(p) => names.push(p.name),
            Err(e) => out.problems.push(format!("{r}: {e}")),
        }
    }
    for (n, why) in &run.violations {
        out.problems.push(format!("platform refused {n}: {why}"));
    }
    if run.left_in_spool > 0 || run.rejected > 0 {
        out.problems.push(format!("{} item(s) left in the spool, {} rejected", run.left_in_spool, run.rejected));
    }
    // Tamper intervals per camera (ns).
    let mut tampered: BTreeMap<String, Vec<(u64, u64)>> = BTreeMap::new();
    let mut open: BTreeMap<String, u64> = BTreeMap::new();
    for e in &run.truth {
        let cam = e.camera.map(|c| c.to_string()).unwrap_or_default();
        match &e.kind {
            EventKind::TamperStart { .. } => {
                open.insert(cam, e.t_ns);
            }
            EventKind::TamperEnd { .. } => {
                if let Some(s) = open.remove(&cam) {
                    tampered.entry(cam).or_default().push((s, e.t_ns));
                }
            }
            _ => {}
        }
    }
    let during_tamper = |cam: &str, t_s: f64| {
        tampered.get(cam).is_some_and(|v| v.iter().any(|(a, b)| t_s >= *a as f64 / 1e9 - 1.0 && t_s <= *b as f64 / 1e9 + 1.0))
    };

    for cam in &scenario.cameras {
        let code = cam.code.to_string();
        let t_of = |e: &eseal_simulator::truth::Event| e.t_ns as f64 / 1e9;
        let ours = |e: &eseal_simulator::truth::Event| e.camera.map(|c| c.to_string()).as_deref() == Some(&code);
        // People.
        let down: Vec<(f64, u32)> = run
            .truth
            .iter()
            .filter(|e| ours(e))
            .filter_map(|e| match &e.kind {
                EventKind::Crossing { id, direction: PersonDirection::Down, .. } => Some((t_of(e), *id)),
                _ => None,
            })
            .filter(|(t, _)| !during_tamper(&code, *t))
            .collect();
        let up: Vec<f64> = run
            .truth
            .iter()
            .filter(|e| ours(e))
            .filter(|e| matches!(e.kind, EventKind::Crossing { direction: PersonDirection::Up, .. }))
            .map(t_of)
            .filter(|t| !during_tamper(&code, *t))
            .collect();
        if cam.edge.is_some() && matches!(cam.site, eseal_simulator::scene::SiteKind::ShaftMouth | eseal_simulator::scene::SiteKind::ReturnAirShaft) {
            let u1: Vec<&EvidenceName> = names
                .iter()
                .filter(|n| n.clause() == Clause::U1 && n.camera() == Some(cam.code))
                .filter(|n| !during_tamper(&code, secs_of(n)))
                .collect();
            let reported: Vec<f64> = u1.iter().map(|n| secs_of(n)).collect();
            // Decisions of U1 for this camera, by label, for the capture boxes.
            let decisions: BTreeMap<&str, &eseal_vision::device::Decision> =
                run.decisions.iter().map(|d| (d.label.as_str(), d)).collect();
            let iou_of = |i: usize, j: usize| -> f64 {
                let label = u1[j].to_string();
                let Some((pts, bbox)) = decisions.get(label.as_str()).and_then(|d| d.capture) else { return 0.0 };
                run.capture_truth
                    .get(&(code.clone(), pts))
                    .into_iter()
                    .flatten()
                    .filter(|(id, _, _)| *id == down[i].1)
                    .flat_map(|(_, f, v)| [f, v])
                    .flatten()
                    .map(|b| iou(bbox, b))
                    .fold(0.0, f64::max)
            };
            let times: Vec<f64> = down.iter().map(|d| d.0).collect();
            let pairs = match_times(&times, &reported, window_s, |i, j| 2.0 * (1.0 - iou_of(i, j)));
            let matched = pairs.len() as u32;
            let captured = pairs.iter().filter(|(i, j)| iou_of(*i, *j) >= 0.5).count() as u32;
            for (i, j) in &pairs {
                let v = iou_of(*i, *j);
                if v < 0.5 {
                    out.details.push(format!("camera {code}: person {} at {:.1}s captured with IoU {v:.2} ({})", down[*i].1, down[*i].0, u1[*j]));
                }
            }
            for (i, d) in down.iter().enumerate() {
                if !pairs.iter().any(|(a, _)| *a == i) {
                    out.details.push(format!("camera {code}: person {} down at {:.1}s has no U1", d.1, d.0));
                }
            }
            let n_down = down.len() as u32;
            let rep_down = u1.len() as u32;
            out.figures.push(Figure {
                what: format!("people down (E3) camera {code}"),
                expected: n_down,
                reported: rep_down,
                matched,
                value: count_accuracy(rep_down, n_down).min(ratio(matched, n_down)),
                bar: COUNT_BAR,
            });
            // People coming up have no upload: the device's counts, event by event, which must
            // add up to its own day report.
            let counted_up: Vec<f64> = run
                .counts
                .iter()
                .filter(|c| c.camera == cam.code && c.counter == Counter::PeopleUp)
                .map(|c| c.event_ns as f64 / 1e9)
                .collect();
            let rep_up: u32 = run.report.days.values().filter_map(|d| d.get(&code)).map(|f| f.people_up).sum();
            if rep_up as usize != counted_up.len() {
                out.problems.push(format!("camera {code}: the day report says {rep_up} people up, the device counted {}", counted_up.len()));
            }
            let counted_up: Vec<f64> = counted_up.into_iter().filter(|t| !during_tamper(&code, *t)).collect();
            let pairs = match_times(&up, &counted_up, window_s, |_, _| 0.0);
            for (i, t) in up.iter().enumerate() {
                if !pairs.iter().any(|(a, _)| *a == i) {
                    out.details.push(format!("camera {code}: person up at {t:.1}s not counted"));
                }
            }
            for (j, t) in counted_up.iter().enumerate() {
                if !pairs.iter().any(|(_, b)| *b == j) {
                    out.details.push(format!("camera {code}: person up counted at {t:.1}s matches nobody"));
                }
            }
            let (n_up, rep_up, matched_up) = (up.len() as u32, counted_up.len() as u32, pairs.len() as u32);
            out.figures.push(Figure {
                what: format!("people up (E3, device counts) camera {code}"),
                expected: n_up,
                reported: rep_up,
                matched: matched_up,
                value: count_accuracy(rep_up, n_up).min(ratio(matched_up, n_up)),
                bar: COUNT_BAR,
            });
            out.figures.push(Figure {
                what: format!("capture rate (E4, U1, R4 IoU ≥ 0.5) camera {code}"),
                expected: n_down,
                reported: rep_down,
                matched: captured,
                value: ratio(captured, n_down),
                bar: CAPTURE_BAR,
            });
        }
        if cam.site == eseal_simulator::scene::SiteKind::VehicleGate {
            let trucks: Vec<f64> = run
                .truth
                .iter()
                .filter(|e| ours(e))
                .filter(|e| matches!(e.kind, EventKind::Truck { direction: TruckDirection::Out, .. }))
                .map(t_of)
                .filter(|t| !during_tamper(&code, *t))
                .collect();
            let u2: Vec<f64> = names
                .iter()
                .filter(|n| n.clause() == Clause::U2 && n.camera() == Some(cam.code))
                .map(secs_of)
                .filter(|t| !during_tamper(&code, *t))
                .collect();
            let matched = match_times(&trucks, &u2, window_s, |_, _| 0.0).len() as u32;
            out.figures.push(Figure {
                what: format!("trucks out (E5, U2) camera {code}"),
                expected: trucks.len() as u32,
                reported: u2.len() as u32,
                matched,
                value: if matched == trucks.len() as u32 && u2.len() == trucks.len() { 1.0 } else { 0.0 },
                bar: 1.0,
            });
        }
        // U3.
        let changes: Vec<(f64, &'static str)> = run
            .truth
            .iter()
            .filter(|e| ours(e))
            .filter_map(|e| match &e.kind {
                EventKind::Transport { state, .. } => Some((t_of(e), state.code())),
                _ => None,
            })
            .filter(|(t, s)| !(*t == 0.0 && *s == "00"))
            .collect();
        let u3: Vec<(f64, &'static str)> = names
            .iter()
            .filter(|n| n.clause() == Clause::U3 && n.camera() == Some(cam.code))
            .map(|n| (secs_of(n), n.transport_state().map_or("--", |s| s.code())))
            .collect();
        if !changes.is_empty() || !u3.is_empty() {
            let tt: Vec<f64> = changes.iter().map(|c| c.0).collect();
            let rr: Vec<f64> = u3.iter().map(|c| c.0).collect();
            let pairs = match_times(&tt, &rr, window_s, |i, j| if changes[i].1 == u3[j].1 { 0.0 } else { 1e6 });
            let matched = pairs.iter().filter(|(i, j)| changes[*i].1 == u3[*j].1).count() as u32;
            out.figures.push(Figure {
                what: format!("transport state changes (E2, U3) camera {code}"),
                expected: changes.len() as u32,
                reported: u3.len() as u32,
                matched,
                value: if matched == changes.len() as u32 && u3.len() == changes.len() { 1.0 } else { 0.0 },
                bar: 1.0,
            });
        }
        // U4.
        if let Some(iv) = tampered.get(&code) {
            let kinds: Vec<(u64, u64, String)> = run
                .truth
                .iter()
                .filter(|e| ours(e))
                .filter_map(|e| match &e.kind {
                    EventKind::TamperStart { analysis, .. } => Some((e.t_ns, analysis.clone())),
                    _ => None,
                })
                .zip(iv.iter())
                .map(|((s, a), (_, end))| (s, *end, a))
                .collect();
            let u4: Vec<(f64, String)> = names
                .iter()
                .filter(|n| n.clause() == Clause::U4 && n.camera() == Some(cam.code))
                .map(|n| (secs_of(n), n.tamper_kind().map_or(String::new(), |k| k.code().to_owned())))
                .collect();
            let found = kinds
                .iter()
                .filter(|(s, e, a)| {
                    let (s, e) = (*s as f64 / 1e9 - 1.0, *e as f64 / 1e9 + tamper_interval_s + 1.0);
                    u4.iter().any(|(t, k)| k == a && *t >= s && *t <= e)
                })
                .count() as u32;
            out.figures.push(Figure {
                what: format!("tamper intervals found (U4) camera {code}"),
                expected: kinds.len() as u32,
                reported: u4.len() as u32,
                matched: found,
                value: ratio(found, kinds.len() as u32),
                bar: 1.0,
            });
        }
        // U6.
        let registered = run.streams.iter().any(|(c, url)| *c == code && url.starts_with("http"));
        out.figures.push(Figure {
            what: format!("stream address registered (U6) camera {code}"),
            expected: 1,
            reported: u32::from(registered),
            matched: u32::from(registered),
            value: f64::from(u32::from(registered)),
            bar: 1.0,
        });
    }
    // U5.
    let locks: Vec<(f64, String)> = run
        .truth
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Lock { lock, state } => Some((e.t_ns as f64 / 1e9, format!("{lock}{state}"))),
            _ => None,
        })
        .collect();
    if !locks.is_empty() {
        let u5: Vec<(f64, String)> = names
            .iter()
            .filter(|n| n.clause() == Clause::U5)
            .map(|n| (secs_of(n), format!("{}{}", n.lock().map(|l| l.to_string()).unwrap_or_default(), n.lock_state().map(|s| s.to_string()).unwrap_or_default())))
            .collect();
        let tt: Vec<f64> = locks.iter().map(|l| l.0).collect();
        let rr: Vec<f64> = u5.iter().map(|l| l.0).collect();
        let pairs = match_times(&tt, &rr, window_s, |i, j| if locks[i].1 == u5[j].1 { 0.0 } else { 1e6 });
        let matched = pairs.iter().filter(|(i, j)| locks[*i].1 == u5[*j].1).count() as u32;
        out.figures.push(Figure {
            what: "lock events (U5)".to_owned(),
            expected: locks.len() as u32,
            reported: u5.len() as u32,
            matched,
            value: if matched == locks.len() as u32 && u5.len() == locks.len() { 1.0 } else { 0.0 },
            bar: 1.0,
        });
    }
    out
}

/// The figures as a Markdown table.
pub fn table(rows: &[(String, RunScore)]) -> String {
    let mut s = String::from("| scenario | figure | true | reported | matched | value | bar |\n|---|---|---|---|---|---|---|\n");
    for (name, score) in rows {
        for f in &score.figures {
            s.push_str(&format!(
                "| {name} | {} | {} | {} | {} | {:.1} % | {:.0} % |\n",
                f.what,
                f.expected,
                f.reported,
                f.matched,
                f.value * 100.0,
                f.bar * 100.0
            ));
        }
    }
    s
}

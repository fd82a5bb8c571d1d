//! Belt and skip analysis of the reference device on a scenario (E2, U3), frame by frame on the
//! virtual clock, compared with the simulator's state changes and skip trips: per camera, every
//! match, miss and extra. The diagnosis behind the judge's `E2.transport` verdict (same pairing:
//! by state, inside the judge's window), for tuning seeds only.

use std::collections::BTreeMap;

use eseal_simulator::render::{Rendered, Renderer};
use eseal_simulator::truth::EventKind;
use eseal_simulator::{Scenario, Simulation};
use eseal_vision::config::Site;
use eseal_vision::equipment::{BeltAnalyzer, SkipAnalyzer, SkipEvent, TransportChange};

use super::install::device_config;
use crate::judge::checks::exclusion;
use crate::judge::matching::{Window, match_all};

/// One belt or skip camera's figures.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct EquipmentScore {
    pub camera: String,
    /// `belt` or `skip`.
    pub equipment: &'static str,
    /// State changes (U3), true / reported / matched by state inside the window.
    pub true_changes: u32,
    pub device_changes: u32,
    pub matched: u32,
    /// Skip trips (E2), true / counted, and how many of the counted ones had the true load.
    pub true_trips: u32,
    pub device_trips: u32,
    pub trips_with_true_load: u32,
    /// True changes and reports left out because the camera was tampered with then.
    pub excluded: u32,
    /// Every match, miss and extra with its time and state, for diagnosis.
    pub details: Vec<String>,
}

enum Analyzer {
    Belt(Box<BeltAnalyzer>),
    Skip(Box<SkipAnalyzer>),
}

/// What one camera's analyser reported: state changes and skip trips `(pts s, loaded)`.
#[derive(Default)]
struct Reported {
    changes: Vec<TransportChange>,
    trips: Vec<(f64, bool)>,
}

/// One frame's skip observation on stderr (`ESEAL_DEBUG_SKIP=FROM..TO`).
fn debug_skip(a: &SkipAnalyzer, at: f64, out: &[SkipEvent]) {
    let o = a.observation();
    eprintln!(
        "{at:.2}s skip moving {} speed {:.1} rows {:.0}..{:.0} cap {:.2} shaft {:?} state {:?} {out:?}",
        o.moving_px,
        o.speed,
        o.top,
        o.bottom,
        o.cap_ratio,
        o.shaft,
        a.state()
    );
}

/// One frame's belt observation on stderr (`ESEAL_DEBUG_BELT=FROM..TO`).
fn debug_belt(a: &BeltAnalyzer, at: f64, out: &[TransportChange]) {
    let o = a.observation();
    eprintln!(
        "{at:.2}s belt cells {} moving {:.2} smooth {:.2} busy {:.3} noise {:.2} global {} state {:?} {out:?}",
        o.belt_cells,
        o.moving,
        o.moving_smooth,
        o.busy,
        o.noise,
        o.global_change,
        a.state()
    );
}

/// Runs the belt and skip analysers on every equipment camera of `scenario` and scores them.
pub fn score_equipment(scenario: &Scenario, window: Window) -> Vec<EquipmentScore> {
    let config = device_config(scenario, &std::env::temp_dir());
    let mut analyzers: BTreeMap<usize, Analyzer> = BTreeMap::new();
    for (i, c) in config.cameras.iter().enumerate() {
        match c.site {
            Site::Belt => analyzers.insert(i, Analyzer::Belt(Box::new(BeltAnalyzer::new(c)))),
            Site::SkipHeadframe => {
                analyzers.insert(i, Analyzer::Skip(Box::new(SkipAnalyzer::new(c))))
            }
            _ => None,
        };
    }
    let mut renderers: BTreeMap<usize, Renderer> =
        analyzers.keys().map(|k| (*k, Renderer::new())).collect();
    let mut rendered = Rendered::empty();
    let mut reported: BTreeMap<usize, Reported> = BTreeMap::new();
    let mut events = Vec::new();
    let debug = super::people::debug_window("ESEAL_DEBUG_SKIP");
    let debug_belt_at = super::people::debug_window("ESEAL_DEBUG_BELT");
    for step in Simulation::new(scenario) {
        events.extend(step.events);
        for (cam, scene) in &step.scenes {
            let (Some(a), Some(r)) = (analyzers.get_mut(cam), renderers.get_mut(cam)) else {
                continue;
            };
            let Some(frame) = super::people::render_frame(r, scene, &mut rendered) else {
                continue;
            };
            let got = reported.entry(*cam).or_default();
            match a {
                Analyzer::Belt(b) => {
                    let out = b.push(&frame);
                    let at = frame.pts_ns as f64 / 1e9;
                    if debug_belt_at.is_some_and(|(from, to)| (from..to).contains(&at)) {
                        debug_belt(b, at, &out);
                    }
                    got.changes.extend(out);
                }
                Analyzer::Skip(s) => {
                    let out = s.push(&frame);
                    let at = frame.pts_ns as f64 / 1e9;
                    if debug.is_some_and(|(from, to)| (from..to).contains(&at)) {
                        debug_skip(s, at, &out);
                    }
                    for e in out {
                        match e {
                            SkipEvent::Transport(c) => got.changes.push(c),
                            SkipEvent::Trip { pts_ns, loaded, .. } => {
                                got.trips.push((pts_ns as f64 / 1e9, loaded))
                            }
                        }
                    }
                }
            }
        }
    }
    (analyzers.iter())
        .map(|(cam, a)| {
            let code = scenario.cameras[*cam].code;
            let equipment = match a {
                Analyzer::Belt(_) => "belt",
                Analyzer::Skip(_) => "skip",
            };
            let got = reported.remove(cam).unwrap_or_default();
            let end_s = scenario.duration_ns as f64 / 1e9;
            score_camera(
                code.to_string(),
                equipment,
                &events,
                code,
                got,
                window,
                end_s,
            )
        })
        .collect()
}

/// Pairs one camera's reports with the truth as the judge does (`judge::checks::transport`:
/// stopped at the start is no change; pairs by state inside the window).
fn score_camera(
    camera: String,
    equipment: &'static str,
    events: &[eseal_simulator::truth::Event],
    code: eseal_protocol::CameraCode,
    got: Reported,
    window: Window,
    // The scenario's duration (s): where an unended tamper window ends.
    end_s: f64,
) -> EquipmentScore {
    let mine = events.iter().filter(|e| e.camera == Some(code));
    let mut truth: Vec<(&'static str, f64)> = Vec::new();
    let mut trips: Vec<(f64, bool)> = Vec::new();
    for e in mine {
        let t = e.t_ns as f64 / 1e9;
        match &e.kind {
            EventKind::Transport { state, .. } if !(t == 0.0 && state.code() == "00") => {
                truth.push((state.code(), t))
            }
            EventKind::SkipTrip { loaded, .. } => trips.push((t, *loaded)),
            _ => {}
        }
    }
    let reports: Vec<(&'static str, f64)> = (got.changes.iter())
        .map(|c| (c.state.code(), c.pts_ns as f64 / 1e9))
        .collect();
    let m = match_all(&truth, &reports, window);
    // Left out while the camera was covered or turned, by the judge's own rule.
    let windows = exclusion::tamper_windows(events)
        .remove(&camera)
        .unwrap_or_default();
    let truth_s: Vec<f64> = truth.iter().map(|t| t.1).collect();
    let reports_s: Vec<f64> = reports.iter().map(|r| r.1).collect();
    let kept = exclusion::apply(&windows, &camera, end_s, &truth_s, &reports_s, &m);
    let m = kept.restrict(&m);
    let excluded = kept.excluded.map_or(0, |e| e.truth + e.reports);
    let mut details: Vec<String> = Vec::new();
    for &(i, j) in &m.pairs {
        let (s, t) = truth[i];
        details.push(format!(
            "matched state {s} at {t:.1}s by {:.1}s",
            reports[j].1
        ));
    }
    for &i in &m.missed {
        details.push(format!("MISSED state {} at {:.1}s", truth[i].0, truth[i].1));
    }
    for &j in &m.extra {
        details.push(format!(
            "EXTRA state {} at {:.1}s",
            reports[j].0, reports[j].1
        ));
    }
    // Trips in order: the k-th counted against the k-th true one.
    let mut with_load = 0;
    for (k, (t, loaded)) in got.trips.iter().enumerate() {
        let truth_load = trips.get(k).map(|x| x.1);
        with_load += u32::from(truth_load == Some(*loaded));
        details.push(format!(
            "trip {} at {t:.1}s loaded {loaded} (true: {truth_load:?})",
            k + 1
        ));
    }
    EquipmentScore {
        camera,
        equipment,
        true_changes: (m.pairs.len() + m.missed.len()) as u32,
        device_changes: (m.pairs.len() + m.extra.len()) as u32,
        excluded,
        matched: m.pairs.len() as u32,
        true_trips: trips.len() as u32,
        device_trips: got.trips.len() as u32,
        trips_with_true_load: with_load,
        details,
    }
}

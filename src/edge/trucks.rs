//! Truck counting of the reference device on a scenario (E5, U2), frame by frame on the virtual
//! clock, compared with the simulator's truck crossings: per gate camera and direction, every
//! match, miss and extra. The diagnosis behind the judge's E5 verdict, for tuning seeds only.

use std::collections::BTreeMap;

use eseal_simulator::render::{Rendered, Renderer};
use eseal_simulator::scenario::TruckDirection;
use eseal_simulator::scene::ActorKind;
use eseal_simulator::truth::EventKind;
use eseal_simulator::{Scenario, Simulation};
use eseal_vision::config::{DetectorConfig, Site};
use eseal_vision::people::Direction;
use eseal_vision::trucks::{TruckAnalyzer, TruckCrossing};

use super::install::device_config;

/// One gate camera's truck figures (`out` is leaving the site: U2).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct TruckScore {
    pub camera: String,
    pub true_out: u32,
    pub true_in: u32,
    pub device_out: u32,
    pub device_in: u32,
    /// True crossings matched one-to-one to device crossings (same direction, within the window).
    pub matched_out: u32,
    pub matched_in: u32,
    /// Every match, miss and extra with its time, for diagnosis.
    pub details: Vec<String>,
    /// True and device crossings left out because the camera was tampered with then.
    pub excluded: u32,
}

/// One frame's blobs, tracks and true trucks, on stderr.
fn debug_frame(
    a: &TruckAnalyzer,
    rendered: &Rendered,
    scene: &eseal_simulator::scene::RenderScene,
    at: f64,
    out: &[TruckCrossing],
) {
    // Blobs: visibility is the blob's fill of its box, score its pixel count.
    let (blobs, tracks) = super::people::shown(&a.last_detections, a.tracks(), 1);
    let truth: Vec<String> = scene
        .actors
        .iter()
        .filter(|x| matches!(x.kind, ActorKind::Truck(_)))
        .map(|x| {
            let b = rendered
                .objects
                .iter()
                .find(|o| o.id == x.id)
                .and_then(|o| o.visible_box)
                .map(|b| [b.x0, b.y0, b.x1, b.y1]);
            format!("{}:({:.1},{:.1}) {b:?}", x.id, x.position.x, x.position.y)
        })
        .collect();
    let counted: Vec<String> = out
        .iter()
        .map(|c| format!("#{} {:?}", c.track, c.direction))
        .collect();
    eprintln!("{at:.2}s blobs {blobs:?}\n   tracks {tracks:?}\n   truth {truth:?}");
    if !counted.is_empty() {
        eprintln!("   COUNTED {counted:?}");
    }
}

/// Runs truck counting on every gate camera of `scenario` and scores it.
pub fn score_trucks(
    scenario: &Scenario,
    window: crate::judge::matching::Window,
    detector: &DetectorConfig,
) -> Result<Vec<TruckScore>, eseal_vision::Error> {
    let config = device_config(scenario, &std::env::temp_dir());
    let mut analyzers: BTreeMap<usize, TruckAnalyzer> = BTreeMap::new();
    for (i, c) in config.cameras.iter().enumerate() {
        if c.site == Site::VehicleGate
            && let Some(a) = TruckAnalyzer::with_config(c, detector)?
        {
            analyzers.insert(i, a);
        }
    }
    let mut renderers: BTreeMap<usize, Renderer> =
        analyzers.keys().map(|k| (*k, Renderer::new())).collect();
    let mut rendered = Rendered::empty();
    let code_index: BTreeMap<_, _> = (scenario.cameras.iter().enumerate())
        .map(|(i, c)| (c.code, i))
        .collect();
    let mut truth: BTreeMap<usize, Vec<(u64, u32, Direction)>> = BTreeMap::new();
    let mut crossings: BTreeMap<usize, Vec<TruckCrossing>> = BTreeMap::new();
    let mut events = Vec::new();
    // `ESEAL_DEBUG_TRUCKS=FROM..TO` (seconds): blobs, tracks and true trucks per frame.
    let debug = super::people::debug_window("ESEAL_DEBUG_TRUCKS");
    for step in Simulation::new(scenario) {
        for e in &step.events {
            if let EventKind::Truck { id, direction, .. } = &e.kind
                && let Some(cam) = e.camera.and_then(|c| code_index.get(&c).copied())
            {
                let dir = match direction {
                    TruckDirection::Out => Direction::Up,
                    TruckDirection::In => Direction::Down,
                };
                truth.entry(cam).or_default().push((e.t_ns, *id, dir));
            }
        }
        events.extend(step.events);
        for (cam, scene) in &step.scenes {
            let (Some(a), Some(r)) = (analyzers.get_mut(cam), renderers.get_mut(cam)) else {
                continue;
            };
            let Some(frame) = super::people::render_frame(r, scene, &mut rendered) else {
                continue;
            };
            let out = a.push(&frame);
            let at = frame.pts_ns as f64 / 1e9;
            if let Some((from, to)) = debug
                && (from..to).contains(&at)
            {
                debug_frame(a, &rendered, scene, at, &out);
            }
            crossings.entry(*cam).or_default().extend(out);
        }
    }
    let windows = crate::judge::checks::exclusion::tamper_windows(&events);
    let duration_s = scenario.duration_ns as f64 / 1e9;
    let mut scores = Vec::new();
    for cam in analyzers.keys() {
        let camera = scenario.cameras[*cam].code.to_string();
        // As the judge leaves them out of E5: nothing is asked of a tampered camera.
        let spans: Vec<(f64, f64)> = (windows.get(&camera).into_iter().flatten())
            .map(|w| w.exclusion(duration_s))
            .collect();
        let t = truth.remove(cam).unwrap_or_default();
        let d = crossings.remove(cam).unwrap_or_default();
        scores.push(score_camera(camera, t, d, &spans, window));
    }
    Ok(scores)
}

/// Matches one camera's device crossings to the true ones, per direction, one to one.
fn score_camera(
    camera: String,
    mut t: Vec<(u64, u32, Direction)>,
    mut d: Vec<TruckCrossing>,
    spans: &[(f64, f64)],
    window: crate::judge::matching::Window,
) -> TruckScore {
    let mut s = TruckScore {
        camera,
        ..TruckScore::default()
    };
    s.excluded = super::scoring::retain_as_judged(
        &mut t,
        |x| (x.0, x.2 == Direction::Down),
        &mut d,
        spans,
        window,
    );
    let name = |dir: Direction| if dir == Direction::Up { "out" } else { "in" };
    let big = 1e6;
    let mut used = vec![false; d.len()];
    for want in [Direction::Up, Direction::Down] {
        let ti: Vec<usize> = (0..t.len()).filter(|i| t[*i].2 == want).collect();
        let dj: Vec<usize> = (0..d.len()).filter(|j| d[*j].direction == want).collect();
        let cost: Vec<Vec<f64>> = (ti.iter())
            .map(|&i| {
                (dj.iter())
                    .map(|&j| {
                        let (truth_s, got_s) = (t[i].0 as f64 / 1e9, d[j].crossing_ns as f64 / 1e9);
                        super::scoring::pair_cost(window, truth_s, got_s).unwrap_or(big)
                    })
                    .collect()
            })
            .collect();
        let assign = eseal_vision::people::track::hungarian(&cost, big);
        let (true_n, device_n, matched) = if want == Direction::Up {
            (&mut s.true_out, &mut s.device_out, &mut s.matched_out)
        } else {
            (&mut s.true_in, &mut s.device_in, &mut s.matched_in)
        };
        *true_n = ti.len() as u32;
        *device_n = dj.len() as u32;
        for (k, &i) in ti.iter().enumerate() {
            let (at, id, _) = t[i];
            let at = at as f64 / 1e9;
            match assign.get(k).copied().flatten() {
                Some(c) => {
                    used[dj[c]] = true;
                    *matched += 1;
                    let got = d[dj[c]].crossing_ns as f64 / 1e9;
                    s.details.push(format!(
                        "truck {id} {} at {at:.2}s: counted at {got:.2}s",
                        name(want)
                    ));
                }
                None => s
                    .details
                    .push(format!("MISSED truck {id} {} at {at:.2}s", name(want))),
            }
        }
    }
    for (j, x) in d.iter().enumerate() {
        if !used[j] {
            s.details.push(format!(
                "EXTRA {} track {} at {:.2}s",
                name(x.direction),
                x.track,
                x.crossing_ns as f64 / 1e9
            ));
        }
    }
    s
}

//! People counting of the reference device on a scenario, frame by frame on the virtual clock,
//! compared with the simulator's crossings: the figures of E3 (counting accuracy) and E4 (capture
//! rate) per camera and direction.

use std::collections::BTreeMap;

use eseal_simulator::render::{Rendered, Renderer};
use eseal_simulator::scenario::PersonDirection;
use eseal_simulator::truth::EventKind;
use eseal_simulator::{Scenario, Simulation};
use eseal_vision::config::DetectorConfig;
use eseal_vision::frame::Frame;
use eseal_vision::people::{Direction, PeopleAnalyzer, PersonCrossing};

use super::install::device_config;
use crate::judge::capture::{corners, iou};

/// One camera's people figures.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct PeopleScore {
    pub camera: String,
    pub true_down: u32,
    pub true_up: u32,
    pub device_down: u32,
    pub device_up: u32,
    /// True crossings matched one-to-one to device crossings (same direction, within the window).
    pub matched_down: u32,
    pub matched_up: u32,
    /// True people down with a matched capture whose box overlaps the person's truth box at the
    /// capture frame with IoU ≥ 0.5 (R4).
    pub captured: u32,
    /// Device crossings per direction with their times (s) and capture IoU, for diagnosis.
    pub details: Vec<String>,
    /// True and device crossings left out because the camera was tampered with then.
    pub excluded: u32,
}

impl PeopleScore {
    /// Count-level accuracy per direction: 1 − |device − true| / true (1 when both are 0).
    pub fn count_accuracy(device: u32, truth: u32) -> f64 {
        if truth == 0 {
            return if device == 0 { 1.0 } else { 0.0 };
        }
        1.0 - (f64::from(device) - f64::from(truth)).abs() / f64::from(truth)
    }
    /// Event-level recall per direction.
    pub fn recall(matched: u32, truth: u32) -> f64 {
        if truth == 0 {
            1.0
        } else {
            f64::from(matched) / f64::from(truth)
        }
    }
}

/// The window `FROM..TO` (seconds) set in the environment variable `var`
/// (`ESEAL_DEBUG_PEOPLE`: print detections, tracks and truth boxes per frame).
pub(super) fn debug_window(var: &str) -> Option<(f64, f64)> {
    let v = std::env::var(var).ok()?;
    let (a, b) = v.split_once("..")?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

/// Renders one camera's scene into `rendered` and returns it as the device's frame (a copy:
/// the renderer draws the next frame incrementally over this one); `None` if it cannot.
pub(super) fn render_frame(
    r: &mut Renderer,
    scene: &eseal_simulator::scene::RenderScene,
    rendered: &mut Rendered,
) -> Option<Frame> {
    r.render_into(scene, rendered).ok()?;
    let f = &rendered.frame;
    Frame::new(f.width, f.height, f.rgb.clone(), f.pts_ns)
}

/// Detections and tracks as diagnosis lines, positions to `digits` decimals.
pub(super) fn shown(
    detections: &[eseal_vision::people::Detection],
    tracks: &[eseal_vision::people::track::Track],
    digits: usize,
) -> (Vec<String>, Vec<String>) {
    let dets = (detections.iter())
        .map(|d| {
            format!(
                "({:.digits$},{:.digits$}) {:?} v{:.2} s{:.2}",
                d.ground[0], d.ground[1], d.bbox, d.visibility, d.score
            )
        })
        .collect();
    let tracks = (tracks.iter())
        .map(|t| {
            let q = if t.confirmed { "" } else { "?" };
            format!(
                "#{}({:.digits$},{:.digits$}){q}{:?}",
                t.id, t.pos[0], t.pos[1], t.anchor
            )
        })
        .collect();
    (dets, tracks)
}

/// Runs people counting on every counting camera of `scenario` and scores it.
pub fn score_people(
    scenario: &Scenario,
    window: crate::judge::matching::Window,
    detector: &DetectorConfig,
) -> Result<Vec<PeopleScore>, eseal_vision::Error> {
    let dir = std::env::temp_dir();
    let config = device_config(scenario, &dir);
    let mut analyzers: BTreeMap<usize, PeopleAnalyzer> = BTreeMap::new();
    for (i, c) in config.cameras.iter().enumerate() {
        if c.site.counts_people()
            && let Some(a) = PeopleAnalyzer::with_config(c, detector)?
        {
            analyzers.insert(i, a);
        }
    }
    let mut renderers: BTreeMap<usize, Renderer> =
        analyzers.keys().map(|k| (*k, Renderer::new())).collect();
    let mut rendered = Rendered::empty();
    let mut truth: BTreeMap<usize, Vec<(u64, u32, PersonDirection)>> = BTreeMap::new();
    let mut crossings: BTreeMap<usize, Vec<PersonCrossing>> = BTreeMap::new();
    // Truth boxes of each person at each frame where a capture might come from.
    let mut boxes: BTreeMap<(usize, u64), super::run::FrameBoxes> = BTreeMap::new();
    let code_index: BTreeMap<_, _> = scenario
        .cameras
        .iter()
        .enumerate()
        .map(|(i, c)| (c.code, i))
        .collect();
    let mut events = Vec::new();
    for step in Simulation::new(scenario) {
        events.extend(step.events.iter().cloned());
        for e in &step.events {
            if let EventKind::Crossing { id, direction, .. } = &e.kind
                && let Some(cam) = e.camera.and_then(|c| code_index.get(&c).copied())
            {
                truth
                    .entry(cam)
                    .or_default()
                    .push((e.t_ns, *id, *direction));
            }
        }
        for (cam, scene) in &step.scenes {
            let (Some(a), Some(r)) = (analyzers.get_mut(cam), renderers.get_mut(cam)) else {
                continue;
            };
            let Some(frame) = render_frame(r, scene, &mut rendered) else {
                continue;
            };
            boxes.insert(
                (*cam, frame.pts_ns),
                rendered
                    .objects
                    .iter()
                    .map(|o| (o.id, o.full_box, o.visible_box))
                    .collect(),
            );
            let out = a.push(&frame);
            if let Some((from, to)) = debug_window("ESEAL_DEBUG_PEOPLE")
                && (from..to).contains(&(frame.pts_ns as f64 / 1e9))
            {
                let (dets, tracks) = shown(&a.last_detections, a.tracks(), 2);
                let objs: Vec<String> = rendered
                    .objects
                    .iter()
                    .filter_map(|o| {
                        o.visible_box.map(|b| {
                            format!(
                                "{}:[{},{},{},{}]v{:.2}",
                                o.id, b.x0, b.y0, b.x1, b.y1, o.visible_fraction
                            )
                        })
                    })
                    .collect();
                let ground: Vec<String> = scene
                    .actors
                    .iter()
                    .filter_map(|a| match a.kind {
                        eseal_simulator::scene::ActorKind::Person(l) => Some(format!(
                            "{}:({:.2},{:.2})h{:.2}",
                            a.id, a.position.x, a.position.y, l.height_m
                        )),
                        _ => None,
                    })
                    .collect();
                let counted: Vec<String> = out
                    .iter()
                    .map(|c| {
                        format!(
                            "#{} {:?} at {:.2}s",
                            c.track,
                            c.direction,
                            c.crossing_ns as f64 / 1e9
                        )
                    })
                    .collect();
                eprintln!(
                    "{:.2}s dets {dets:?}\n   tracks {tracks:?}\n   truth {objs:?}\n   ground {ground:?}{}",
                    frame.pts_ns as f64 / 1e9,
                    if counted.is_empty() {
                        String::new()
                    } else {
                        format!("\n   COUNTED {counted:?}")
                    }
                );
            }
            crossings.entry(*cam).or_default().extend(out);
        }
    }
    let windows = crate::judge::checks::exclusion::tamper_windows(&events);
    let mut scores = Vec::new();
    for (cam, _) in analyzers {
        let mut s = PeopleScore {
            camera: scenario.cameras[cam].code.to_string(),
            ..Default::default()
        };
        // While the camera is covered or turned nothing is asked of it: crossings of either side
        // in its exclusion windows are left out, as the judge leaves them out of E3/E5
        // (`judge::checks::exclusion`: a report leaves with the crossing it matches).
        let duration_s = scenario.duration_ns as f64 / 1e9;
        let spans: Vec<(f64, f64)> = windows
            .get(&s.camera)
            .into_iter()
            .flatten()
            .map(|w| w.exclusion(duration_s))
            .collect();
        let mut t = truth.remove(&cam).unwrap_or_default();
        let mut d = crossings.remove(&cam).unwrap_or_default();
        s.excluded = super::scoring::retain_as_judged(
            &mut t,
            |x| (x.0, x.2 == PersonDirection::Down),
            &mut d,
            &spans,
            window,
        );
        s.true_down = t.iter().filter(|x| x.2 == PersonDirection::Down).count() as u32;
        s.true_up = t.len() as u32 - s.true_down;
        s.device_down = d.iter().filter(|x| x.direction == Direction::Down).count() as u32;
        s.device_up = d.len() as u32 - s.device_down;
        // Optimal one-to-one matching per direction within the window; for people going down
        // the cost also rewards a capture box on that very person, so simultaneous crossings of
        // a group are told apart by who is in the picture.
        let big = 1e6;
        let capture_iou = |x: &PersonCrossing, id: u32| -> f64 {
            let Some(shot) = &x.capture else { return 0.0 };
            boxes
                .get(&(cam, shot.frame.pts_ns))
                .into_iter()
                .flatten()
                .filter(|(oid, _, _)| *oid == id)
                .flat_map(|(_, full, vis)| [full, vis])
                .flatten()
                .map(|b| iou(shot.bbox, corners(b)))
                .fold(0.0, f64::max)
        };
        let mut used = vec![false; d.len()];
        for want in [Direction::Down, Direction::Up] {
            let ti: Vec<usize> = (0..t.len())
                .filter(|i| (t[*i].2 == PersonDirection::Down) == (want == Direction::Down))
                .collect();
            let dj: Vec<usize> = (0..d.len()).filter(|j| d[*j].direction == want).collect();
            let cost: Vec<Vec<f64>> = ti
                .iter()
                .map(|&i| {
                    dj.iter()
                        .map(|&j| {
                            let (truth_s, got_s) =
                                (t[i].0 as f64 / 1e9, d[j].crossing_ns as f64 / 1e9);
                            match super::scoring::pair_cost(window, truth_s, got_s) {
                                None => big,
                                Some(c) if want == Direction::Down => {
                                    c + 2.0 * (1.0 - capture_iou(&d[j], t[i].1))
                                }
                                Some(c) => c,
                            }
                        })
                        .collect()
                })
                .collect();
            let assign = eseal_vision::people::track::hungarian(&cost, big);
            for (k, &i) in ti.iter().enumerate() {
                let (tt, id, dir) = t[i];
                match assign.get(k).copied().flatten() {
                    Some(c) => {
                        let j = dj[c];
                        used[j] = true;
                        if want == Direction::Down {
                            s.matched_down += 1;
                            let v = capture_iou(&d[j], id);
                            if v >= 0.5 {
                                s.captured += 1;
                            }
                            let (q, at, bb) =
                                d[j].capture.as_ref().map_or((0.0, 0.0, [0; 4]), |c| {
                                    (c.quality, c.frame.pts_ns as f64 / 1e9, c.bbox)
                                });
                            let truth_box = d[j]
                                .capture
                                .as_ref()
                                .and_then(|c| boxes.get(&(cam, c.frame.pts_ns)))
                                .and_then(|v| v.iter().find(|o| o.0 == id))
                                .and_then(|o| o.2)
                                .map(|b| [b.x0, b.y0, b.x1, b.y1]);
                            s.details.push(format!(
                                "person {id} down at {:.2}s: capture IoU {v:.2} q {q:.2} at {at:.2}s box {bb:?} truth {truth_box:?}",
                                tt as f64 / 1e9
                            ));
                        } else {
                            s.matched_up += 1;
                        }
                    }
                    None => s.details.push(format!(
                        "MISSED person {id} {dir:?} at {:.2}s",
                        tt as f64 / 1e9
                    )),
                }
            }
        }
        for (j, x) in d.iter().enumerate() {
            if !used[j] {
                s.details.push(format!(
                    "EXTRA {:?} track {} at {:.2}s",
                    x.direction,
                    x.track,
                    x.crossing_ns as f64 / 1e9
                ));
            }
        }
        scores.push(s);
    }
    Ok(scores)
}

//! Truck counting of the reference device on a scenario, compared with the simulator's truck
//! crossings (E5, U2): counts per direction and one-to-one matches within a window.

use std::collections::BTreeMap;

use eseal_simulator::render::{Rendered, Renderer};
use eseal_simulator::scenario::TruckDirection;
use eseal_simulator::truth::EventKind;
use eseal_simulator::{Scenario, Simulation};
use eseal_vision::config::Site;
use eseal_vision::frame::Frame;
use eseal_vision::people::Direction;
use eseal_vision::trucks::{TruckAnalyzer, TruckCrossing};

use super::install::device_config;

/// One gate camera's truck figures.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct TruckScore {
    pub camera: String,
    pub true_out: u32,
    pub true_in: u32,
    pub device_out: u32,
    pub device_in: u32,
    pub matched_out: u32,
    pub matched_in: u32,
    pub details: Vec<String>,
}

/// Runs truck counting on every gate camera of `scenario` and scores it.
pub fn score_trucks(scenario: &Scenario, window_s: f64) -> Vec<TruckScore> {
    let config = device_config(scenario, &std::env::temp_dir());
    let mut analyzers: BTreeMap<usize, TruckAnalyzer> = BTreeMap::new();
    for (i, c) in config.cameras.iter().enumerate() {
        if c.site == Site::VehicleGate
            && let Some(a) = TruckAnalyzer::new(c)
        {
            analyzers.insert(i, a);
        }
    }
    let mut renderers: BTreeMap<usize, Renderer> = analyzers.keys().map(|k| (*k, Renderer::new())).collect();
    let mut rendered = Rendered::empty();
    let code_index: BTreeMap<_, _> = scenario.cameras.iter().enumerate().map(|(i, c)| (c.code, i)).collect();
    let mut truth: BTreeMap<usize, Vec<(u64, u32, Direction)>> = BTreeMap::new();
    let mut found: BTreeMap<usize, Vec<TruckCrossing>> = BTreeMap::new();
    for step in Simulation::new(scenario) {
        for e in &step.events {
            if let EventKind::Truck { id, direction, .. } = &e.kind
                && let Some(cam) = e.camera.and_then(|c| code_index.get(&c).copied())
            {
                // Leaving = inside → outside = the tracker's `Up`.
                let d = if *direction == TruckDirection::Out { Direction::Up } else { Direction::Down };
                truth.entry(cam).or_default().push((e.t_ns, *id, d));
            }
        }
        for (cam, scene) in &step.scenes {
            let (Some(a), Some(r)) = (analyzers.get_mut(cam), renderers.get_mut(cam)) else { continue };
            if r.render_into(scene, &mut rendered).is_err() {
                continue;
            }
            let f = &rendered.frame;
            let Some(frame) = Frame::new(f.width, f.height, f.rgb.clone(), f.pts_ns) else { continue };
            found.entry(*cam).or_default().extend(a.push(&frame));
        }
    }
    let mut out = Vec::new();
    for cam in analyzers.keys() {
        let t = truth.remove(cam).unwrap_or_default();
        let d = found.remove(cam).unwrap_or_default();
        let mut s = TruckScore { camera: scenario.cameras[*cam].code.to_string(), ..Default::default() };
        s.true_out = t.iter().filter(|x| x.2 == Direction::Up).count() as u32;
        s.true_in = t.len() as u32 - s.true_out;
        s.device_out = d.iter().filter(|x| x.direction == Direction::Up).count() as u32;
        s.device_in = d.len() as u32 - s.device_out;
        let mut used = vec![false; d.len()];
        for (tt, id, dir) in &t {
            let best = d
                .iter()
                .enumerate()
                .filter(|(j, x)| !used[*j] && x.direction == *dir)
                .map(|(j, x)| (j, (x.crossing_ns as f64 - *tt as f64).abs() / 1e9))
                .filter(|(_, dt)| *dt <= window_s)
                .min_by(|a, b| a.1.total_cmp(&b.1));
            match best {
                Some((j, dt)) => {
                    used[j] = true;
                    if *dir == Direction::Up { s.matched_out += 1 } else { s.matched_in += 1 }
                    s.details.push(format!("truck {id} {dir:?} at {:.2}s (Δ {dt:.2}s)", *tt as f64 / 1e9));
                }
                None => s.details.push(format!("MISSED truck {id} {dir:?} at {:.2}s", *tt as f64 / 1e9)),
            }
        }
        for (j, x) in d.iter().enumerate() {
            if !used[j] {
                s.details.push(format!("EXTRA {:?} track {} at {:.2}s", x.direction, x.track, x.crossing_ns as f64 / 1e9));
            }
        }
        out.push(s);
    }
    out
}

//! `eseal sim check`: validate a scenario and summarise what will happen in it.
//!
//! [`check`] loads a file, plans the world and solves the truth events (no rendering), and
//! returns a [`Timeline`] whose `Display` is the human-readable summary the CLI prints: the mine,
//! start/end in CST, cameras with their frame counts, per camera the people down/up, trucks
//! out/in, belt and skip changes and trips, tampering intervals, lock events, IR switches and
//! midnight resets with the day's totals.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use eseal_protocol::CameraCode;

use crate::scenario::{Scenario, ScenarioError, fmt_offset, site_name};
use crate::scene::SiteKind;
use crate::truth::{DayCounts, Event, EventKind, daily_counts};
use crate::world::World;

/// The summary of one scenario run.
#[derive(Debug, Clone)]
pub struct Timeline {
    scenario: Scenario,
    frames: Vec<u64>,
    people: usize,
    trucks: usize,
    events: Vec<Event>,
}

impl Timeline {
    /// Plans `scenario` and solves its events.
    pub fn new(scenario: &Scenario) -> Timeline {
        let world = World::new(scenario);
        Timeline {
            frames: (0..scenario.cameras.len())
                .map(|c| world.frame_count(c))
                .collect(),
            people: world.plan().people.len(),
            trucks: world.plan().trucks.len(),
            events: world.events().to_vec(),
            scenario: scenario.clone(),
        }
    }

    /// The truth events.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Frames per camera (scenario order).
    pub fn frames(&self) -> &[u64] {
        &self.frames
    }

    /// Totals per camera over the whole run.
    pub fn totals(&self) -> BTreeMap<CameraCode, DayCounts> {
        let mut out: BTreeMap<CameraCode, DayCounts> = BTreeMap::new();
        for ((_, cam), c) in daily_counts(&self.events) {
            let t = out.entry(cam).or_default();
            t.people_down += c.people_down;
            t.people_up += c.people_up;
            t.trucks_out += c.trucks_out;
            t.trucks_in += c.trucks_in;
            t.skip_trips += c.skip_trips;
        }
        out
    }
}

/// C4 for shaft-mouth cameras: where a 1.8 m person standing 1 m before or after the counting
/// edge (at its ends and middle) is not fully in the image (feet and head, ±0.3 m sideways).
/// `None` for cameras without a counting edge at a shaft.
pub fn c4_failures(cam: &crate::scenario::Camera) -> Option<Vec<String>> {
    use crate::scene::{SiteKind, Vec3};
    if !matches!(cam.site, SiteKind::ShaftMouth | SiteKind::ReturnAirShaft) {
        return None;
    }
    let edge = cam.edge?;
    let (u, n) = (edge.along(), edge.inward());
    let (w, h) = (cam.pose.width as f32, cam.pose.height as f32);
    let mut fails = Vec::new();
    for (label, t) in [("a", 0.0), ("middle", 0.5), ("b", 1.0)] {
        let base = [
            edge.a[0] + (edge.b[0] - edge.a[0]) * t,
            edge.a[1] + (edge.b[1] - edge.a[1]) * t,
        ];
        for d in [-1.0, 1.0] {
            let ok = [-0.3, 0.3].iter().all(|side| {
                let x = base[0] + d * n[0] + side * u[0];
                let y = base[1] + d * n[1] + side * u[1];
                [0.0f32, 1.8].iter().all(|z| {
                    crate::ground::project(&cam.pose, Vec3::new(x as f32, y as f32, *z))
                        .is_some_and(|(px, py)| (0.0..=w).contains(&px) && (0.0..=h).contains(&py))
                })
            });
            if !ok {
                fails.push(format!(
                    "{label} {}",
                    if d < 0.0 { "1 m outside" } else { "1 m inside" }
                ));
            }
        }
    }
    Some(fails)
}

/// Loads and validates `path`, then summarises it.
pub fn check(path: impl AsRef<Path>) -> Result<(Scenario, Timeline), ScenarioError> {
    let scenario = Scenario::load(path)?;
    let timeline = Timeline::new(&scenario);
    Ok((scenario, timeline))
}

impl fmt::Display for Timeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.scenario;
        let end = s.start
            + chrono::TimeDelta::nanoseconds(i64::try_from(s.duration_ns).unwrap_or(i64::MAX));
        writeln!(f, "scenario {} (seed {})", s.file, s.seed)?;
        writeln!(
            f,
            "mine {} {} ({}), {}",
            s.mine.code,
            s.mine.name,
            s.mine.region,
            s.mine.state.label()
        )?;
        writeln!(
            f,
            "time {} → {} CST ({})",
            s.start.format("%Y-%m-%d %H:%M:%S"),
            end.format("%Y-%m-%d %H:%M:%S%.3f"),
            fmt_offset(s.duration_ns).trim_start_matches('+')
        )?;
        writeln!(f, "cameras:")?;
        for (c, cam) in s.cameras.iter().enumerate() {
            writeln!(
                f,
                "  {} {:<16} {}x{} @ {} fps, tilt {:.0}°, {} frames{}",
                cam.code,
                site_name(cam.site),
                cam.pose.width,
                cam.pose.height,
                cam.fps,
                f64::from(cam.pose.tilt).to_degrees(),
                self.frames.get(c).copied().unwrap_or(0),
                cam.name
                    .as_deref()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default()
            )?;
        }
        for cam in &s.cameras {
            if let Some(fails) = c4_failures(cam) {
                if fails.is_empty() {
                    writeln!(
                        f,
                        "  {} C4: a 1.8 m person 1 m before and after the edge is fully in view",
                        cam.code
                    )?;
                } else {
                    writeln!(
                        f,
                        "  {} C4 NOT met: not fully in view at {}",
                        cam.code,
                        fails.join(", ")
                    )?;
                }
            }
        }
        writeln!(f, "actors: {} people, {} trucks", self.people, self.trucks)?;
        writeln!(
            f,
            "daily counts (CST day, camera; U1 people down, U2 trucks out):"
        )?;
        let sites: BTreeMap<CameraCode, SiteKind> =
            s.cameras.iter().map(|c| (c.code, c.site)).collect();
        let daily = daily_counts(&self.events);
        let mut any = false;
        for ((day, cam), c) in &daily {
            let what = match sites.get(cam) {
                Some(SiteKind::ShaftMouth | SiteKind::ReturnAirShaft) => {
                    format!("people {} down / {} up", c.people_down, c.people_up)
                }
                Some(SiteKind::VehicleGate) => {
                    format!("trucks {} out / {} in", c.trucks_out, c.trucks_in)
                }
                Some(SiteKind::SkipHeadframe) => format!("skip trips {}", c.skip_trips),
                _ => continue,
            };
            any = true;
            writeln!(f, "  {day} {cam}: {what}")?;
        }
        if !any {
            writeln!(f, "  (none)")?;
        }
        writeln!(f, "events (crossings and trucks counted above):")?;
        let mut any = false;
        for e in &self.events {
            let cam = e
                .camera
                .map(|c| format!("camera {c}"))
                .unwrap_or_else(|| "mine".into());
            let what = match &e.kind {
                EventKind::Crossing { .. }
                | EventKind::Truck { .. }
                | EventKind::SkipTrip { .. } => continue,
                EventKind::Transport { equipment, state } => {
                    format!("{equipment:?} {}", state.label()).to_lowercase()
                }
                EventKind::TamperStart { kind, analysis } => {
                    format!("tampering starts: {} (U4 type {analysis})", kind.name())
                }
                EventKind::TamperEnd { kind, .. } => format!("tampering ends: {}", kind.name()),
                EventKind::Lock { lock, state } => format!(
                    "lock {lock} {} ({state})",
                    if state.code() == "0001" {
                        "moved"
                    } else {
                        "damaged"
                    }
                ),
                EventKind::Lighting { mode } => match mode {
                    crate::scene::ColourMode::Colour => "switches to colour".to_owned(),
                    crate::scene::ColourMode::InfraredMono => {
                        "switches to IR monochrome (C6)".to_owned()
                    }
                },
                EventKind::DayEnd {
                    date,
                    people_down,
                    trucks_out,
                    skip_trips,
                    ..
                } => format!(
                    "midnight: counters reset; {date} ended with {people_down} people down, {trucks_out} trucks out, {skip_trips} skip trips"
                ),
            };
            any = true;
            writeln!(f, "  {} {} {cam}: {what}", fmt_offset(e.t_ns), e.time_cst)?;
        }
        if !any {
            writeln!(f, "  (none)")?;
        }
        Ok(())
    }
}

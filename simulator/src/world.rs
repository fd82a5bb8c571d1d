//! The world: actors and equipment moving by the scenario, on a virtual clock, seen by each camera.
//!
//! [`World::new`] turns a validated [`Scenario`] into a *plan*: every person and truck gets a
//! piecewise-linear ground track (waypoints with exact nanosecond times), every belt and skip a
//! schedule, all random choices drawn from [`crate::rng`] streams (one per scenario entry, so
//! adding an entry never changes the others). Because motion is piecewise linear in time, the
//! world's state at any instant is a pure function of that instant: [`World::scene_at`] is `&self`
//! and may be called for any camera and frame in any order, from any number of threads, with the
//! same result. Ground-truth events ([`crate::truth`]) are solved on the same tracks in closed
//! form, so a crossing's time is exact, not rounded to a frame.
//!
//! [`World::step`] advances the [`Clock`] on the common tick — the union of every camera's frame
//! times ([`FrameSchedule`]) — and hands out the events that happened up to that tick;
//! [`Simulation`] wraps it as an iterator of per-tick scenes for the CLI and outputs.
//!
//! Site frames: each camera looks at its own site, in its own ground coordinates (metres, `z` up).
//! Actors belong to the camera named in their scenario entry and appear only in its scenes.

use chrono::{DateTime, FixedOffset};

use crate::clock::{Clock, FrameSchedule, NS_PER_S};
use crate::plan::{active_key, belt_travel};
use crate::rng::{self, labels};
use crate::scenario::{BeltState, Scenario, TamperKindSpec};
use crate::scene::{
    Actor, ActorKind, Atmosphere, BeltView, CameraPose, ColourMode, Equipment, Exposure, Lighting,
    PersonLook, RenderScene, SiteKind, SkipView, Tamper, Vec2, Vec3,
};
use crate::truth::{self, Event};

// The ground measures, the projection and the plan stood here before they got modules of their
// own, below the truth; their paths under `world` still resolve.
pub use crate::ground::{
    ABREAST_M, IN_FILE_M, OUTSIDE_M, PORTAL_DEPTH_M, PORTAL_HALF_OPENING_M, STRIDE_M, TRUCK_LANE_M,
    TRUCK_RUN_M, project,
};
pub use crate::plan::{
    BeltPhase, Plan, PlannedPerson, PlannedTruck, SkipPhase, Track, TrackState, light_level,
};

// ---------------------------------------------------------------------------------------------
// Culling

fn near_view(pose: &CameraPose, pts: &[Vec3]) -> bool {
    let (w, h) = (pose.width as f32, pose.height as f32);
    pts.iter().any(|p| {
        project(pose, *p).is_some_and(|(u, v)| {
            (-0.25 * w..=1.25 * w).contains(&u) && (-0.25 * h..=1.25 * h).contains(&v)
        })
    })
}

// ---------------------------------------------------------------------------------------------
// The world

/// The simulated mine: the plan, the clock and the truth events.
#[derive(Debug, Clone)]
pub struct World {
    scenario: Scenario,
    plan: Plan,
    clock: Clock,
    schedules: Vec<FrameSchedule>,
    /// Next frame index per camera.
    next_frame: Vec<u64>,
    events: Vec<Event>,
    delivered: usize,
    started: bool,
}

/// What one [`World::step`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// The tick, ns since the start.
    pub t_ns: u64,
    /// `(camera index, frame index)` of each camera that takes a frame at this tick.
    pub frames: Vec<(usize, u64)>,
    /// Truth events with time in (previous tick, this tick] (the first step includes time 0,
    /// the last step everything up to the end of the run).
    pub events: Vec<Event>,
}

impl World {
    /// Plans the scenario and puts the clock at its start (before the first tick).
    pub fn new(scenario: &Scenario) -> World {
        let plan = Plan::new(scenario);
        let clock = Clock::new(scenario.start);
        let events = truth::events(scenario, &plan, &clock);
        World {
            scenario: scenario.clone(),
            schedules: scenario
                .cameras
                .iter()
                .map(|c| FrameSchedule { fps: c.fps })
                .collect(),
            next_frame: vec![0; scenario.cameras.len()],
            plan,
            clock,
            events,
            delivered: 0,
            started: false,
        }
    }

    /// The scenario.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The plan (tracks and schedules).
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The virtual clock.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Every ground-truth event of the run, in time order.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The frame schedule of camera `camera`.
    pub fn schedule(&self, camera: usize) -> FrameSchedule {
        self.schedules
            .get(camera)
            .copied()
            .unwrap_or(FrameSchedule { fps: 1 })
    }

    /// Number of frames camera `camera` takes in the run (`[0, duration)`).
    pub fn frame_count(&self, camera: usize) -> u64 {
        self.schedule(camera).frames_in(self.scenario.duration_ns)
    }

    /// Advances to the next tick (the earliest next frame of any camera); `None` after the last.
    pub fn step(&mut self) -> Option<Step> {
        let dur = self.scenario.duration_ns;
        let t = (0..self.schedules.len())
            .map(|c| self.schedules[c].frame_time(self.next_frame[c]))
            .filter(|t| *t < dur)
            .min()?;
        self.clock.advance_to(t);
        self.started = true;
        let mut frames = Vec::new();
        for c in 0..self.schedules.len() {
            if self.schedules[c].frame_time(self.next_frame[c]) == t {
                frames.push((c, self.next_frame[c]));
                self.next_frame[c] += 1;
            }
        }
        // The last tick also carries the events after the last frame, up to the end of the run.
        let last = (0..self.schedules.len())
            .all(|c| self.schedules[c].frame_time(self.next_frame[c]) >= dur);
        let until = if last { u64::MAX } else { t };
        let upto =
            self.events[self.delivered..].partition_point(|e| e.t_ns <= until) + self.delivered;
        let events = self.events[self.delivered..upto].to_vec();
        self.delivered = upto;
        Some(Step {
            t_ns: t,
            frames,
            events,
        })
    }

    /// Camera `camera`'s scene at the current tick (its latest frame at or before the clock).
    pub fn scene(&self, camera: usize) -> RenderScene {
        let frame = self
            .schedule(camera)
            .frame_at_or_before(self.clock.now_ns());
        self.scene_at(camera, frame)
    }

    /// Camera `camera`'s scene for frame `frame`: a pure function of the scenario, camera and
    /// frame, whatever the clock says.
    pub fn scene_at(&self, camera: usize, frame: u64) -> RenderScene {
        let t = self.schedule(camera).frame_time(frame);
        let Some(cam) = self.scenario.cameras.get(camera) else {
            return self.empty_scene(frame, t);
        };
        let tamper = self
            .scenario
            .tamper
            .iter()
            .find(|k| k.camera == camera && k.from_ns <= t && t < k.until_ns);
        // A frozen camera shows the world of its first frozen frame.
        let world_frame = match tamper {
            Some(k) if k.kind == TamperKindSpec::Freeze => {
                self.schedule(camera).frame_at_or_after(k.from_ns)
            }
            _ => frame,
        };
        let wt = self.schedule(camera).frame_time(world_frame);
        let mut pose = cam.pose;
        let tamper_view = tamper.map(|k| match k.kind {
            TamperKindSpec::Cover => Tamper::Cover {
                fraction: k.amount as f32,
            },
            TamperKindSpec::Smear => Tamper::Smear {
                strength: k.amount as f32,
            },
            TamperKindSpec::Defocus => Tamper::Defocus {
                radius_px: k.amount as f32,
            },
            TamperKindSpec::AngleMoved => {
                let (pan, tilt) = (k.amount.to_radians() as f32, k.tilt_deg.to_radians() as f32);
                pose.yaw += pan;
                pose.tilt += tilt;
                Tamper::AngleMoved { pan, tilt }
            }
            TamperKindSpec::Freeze => Tamper::Freeze,
            TamperKindSpec::OverExposure | TamperKindSpec::UnderExposure => Tamper::Exposure {
                gain: k.amount as f32,
            },
        });
        let code = cam.code.get();
        let lighting = self.lighting_at(camera, wt, world_frame);
        let lamp_on = lighting.ambient < 0.5;
        let mut actors = Vec::new();
        for p in self.plan.people.iter().filter(|p| p.camera == camera) {
            let Some(st) = p.track.at(wt) else { continue };
            let pos = Vec3::new(st.position[0] as f32, st.position[1] as f32, 0.0);
            if !near_view(
                &pose,
                &[
                    pos,
                    Vec3 {
                        z: p.look.height_m,
                        ..pos
                    },
                ],
            ) {
                continue;
            }
            let phase = (f64::from(p.look.gait_phase) + st.distance / STRIDE_M).fract() as f32;
            // Speed over the next 40 ms of the track (motion blur; 0 at its end).
            let speed = p
                .track
                .at(wt + 40_000_000)
                .map_or(0.0, |n| (n.distance - st.distance) / 0.04);
            actors.push(Actor {
                id: p.id,
                position: pos,
                heading: st.heading as f32,
                kind: ActorKind::Person(PersonLook {
                    gait_phase: phase,
                    walking: st.moving,
                    lamp_on,
                    speed_mps: speed as f32,
                    gait_hz: (speed / STRIDE_M) as f32,
                    ..p.look
                }),
            });
        }
        for k in self.plan.trucks.iter().filter(|k| k.camera == camera) {
            let Some(st) = k.track.at(wt) else { continue };
            let pos = Vec3::new(st.position[0] as f32, st.position[1] as f32, 0.0);
            let (s, c) = (st.heading as f32).sin_cos();
            let half = k.look.length_m / 2.0;
            let ends = [
                pos,
                Vec3::new(pos.x + c * half, pos.y + s * half, 0.0),
                Vec3::new(pos.x - c * half, pos.y - s * half, 0.0),
                Vec3 { z: 3.0, ..pos },
            ];
            if !near_view(&pose, &ends) {
                continue;
            }
            actors.push(Actor {
                id: k.id,
                position: pos,
                heading: st.heading as f32,
                kind: ActorKind::Truck(k.look),
            });
        }
        let belt = self
            .belt_at(camera, wt)
            .map(|(running, loaded, travel_m)| BeltView {
                running,
                loaded,
                travel_m: travel_m as f32,
                pattern_seed: rng::derive_u64(self.scenario.seed, labels::BELT, u64::from(code)),
            });
        let skip = (cam.site == SiteKind::SkipHeadframe).then(|| {
            let (h, loaded) = self.skip_at(camera, wt);
            SkipView {
                height_m: h as f32,
                loaded,
            }
        });
        RenderScene {
            frame_index: frame,
            time_ns: t,
            camera: pose,
            site: cam.site,
            counting_edge: cam.edge.map(|e| {
                (
                    Vec2::new(e.a[0] as f32, e.a[1] as f32),
                    Vec2::new(e.b[0] as f32, e.b[1] as f32),
                )
            }),
            lighting,
            atmosphere: Atmosphere {
                noise_sigma: cam.noise_sigma,
                haze: cam.haze,
            },
            tamper: tamper_view,
            actors,
            equipment: Equipment { belt, skip },
            noise_seed: rng::derive_u64(
                self.scenario.seed,
                labels::NOISE,
                rng::camera_frame_index(code, world_frame),
            ),
            style: self.scenario.render,
            exposure: crate::plan::exposure_at(&self.scenario, wt),
        }
    }

    fn empty_scene(&self, frame: u64, t: u64) -> RenderScene {
        let pose = CameraPose {
            position: Vec3::default(),
            yaw: 0.0,
            tilt: 0.8,
            hfov: 1.2,
            width: 2,
            height: 2,
        };
        RenderScene {
            frame_index: frame,
            time_ns: t,
            camera: pose,
            site: SiteKind::ShaftMouth,
            counting_edge: None,
            lighting: Lighting {
                mode: ColourMode::Colour,
                ambient: 1.0,
                dusk: 0.0,
                lamp: 1.0,
            },
            atmosphere: Atmosphere {
                noise_sigma: 0.0,
                haze: 0.0,
            },
            tamper: None,
            actors: Vec::new(),
            equipment: Equipment {
                belt: None,
                skip: None,
            },
            noise_seed: 0,
            style: self.scenario.render,
            exposure: Exposure::default(),
        }
    }

    /// Ambient level, dusk tint and colour mode at `t` (site-wide).
    pub fn light_level(&self, t: u64) -> (f64, f64, ColourMode) {
        light_level(&self.scenario, t)
    }

    fn lighting_at(&self, camera: usize, t: u64, frame: u64) -> Lighting {
        let (ambient, dusk, mode) = light_level(&self.scenario, t);
        let key = active_key(&self.scenario, t);
        let code = self
            .scenario
            .cameras
            .get(camera)
            .map_or(0, |c| c.code.get());
        let lamp = if key.flicker > 0.0 {
            let u = rng::derive_u64(
                self.scenario.seed,
                labels::FLICKER,
                rng::camera_frame_index(code, frame),
            );
            let x = (u >> 11) as f64 / (1u64 << 53) as f64;
            1.0 + key.flicker * (2.0 * x - 1.0)
        } else {
            1.0
        };
        Lighting {
            mode,
            ambient: ambient as f32,
            dusk: dusk as f32,
            lamp: lamp as f32,
        }
    }

    /// Belt `(running, loaded, travel_m)` at `t`, `None` for cameras without a belt.
    pub fn belt_at(&self, camera: usize, t: u64) -> Option<(bool, bool, f64)> {
        let phases = self.plan.belts.get(camera)?;
        let is_belt = self
            .scenario
            .cameras
            .get(camera)
            .is_some_and(|c| c.site == SiteKind::Belt);
        if phases.is_empty() {
            return is_belt.then_some((false, false, 0.0));
        }
        let i = phases.partition_point(|p| p.at_ns <= t);
        if i == 0 {
            return Some((false, false, 0.0));
        }
        let p = phases[i - 1];
        Some((
            p.state != BeltState::Stopped,
            p.state == BeltState::RunningLoaded,
            belt_travel(&p, t),
        ))
    }

    /// Skip `(height_m, loaded)` at `t`.
    pub fn skip_at(&self, camera: usize, t: u64) -> (f64, bool) {
        let Some(phases) = self.plan.skips.get(camera) else {
            return (0.0, false);
        };
        let i = phases.partition_point(|p| p.t0 <= t);
        if i == 0 {
            return (0.0, false);
        }
        let p = phases[i - 1];
        if t >= p.t1 {
            return (p.h1, p.loaded && p.h1 > 0.0);
        }
        let f = (t - p.t0) as f64 / (p.t1 - p.t0).max(1) as f64;
        (p.h0 + (p.h1 - p.h0) * f, p.loaded)
    }

    /// The CST instant of `t_ns`.
    pub fn cst_at(&self, t_ns: u64) -> DateTime<FixedOffset> {
        self.clock.cst_at(t_ns)
    }
}

// ---------------------------------------------------------------------------------------------
// Simulation iterator

/// All cameras' scenes at one tick, with the events since the previous tick.
#[derive(Debug, Clone, PartialEq)]
pub struct SimFrame {
    /// The tick, ns since the start.
    pub t_ns: u64,
    /// The tick's CST instant.
    pub time_cst: DateTime<FixedOffset>,
    /// `(camera index, scene)` for every camera with a frame at this tick (all cameras when they
    /// share a frame rate).
    pub scenes: Vec<(usize, RenderScene)>,
    /// Truth events in (previous tick, this tick].
    pub events: Vec<Event>,
}

/// Iterates a scenario tick by tick: `for f in Simulation::new(&scenario) { ... }`.
#[derive(Debug, Clone)]
pub struct Simulation {
    world: World,
}

impl Simulation {
    /// A simulation at the scenario's start.
    pub fn new(scenario: &Scenario) -> Simulation {
        Simulation {
            world: World::new(scenario),
        }
    }

    /// The world (plan, clock, all events).
    pub fn world(&self) -> &World {
        &self.world
    }
}

impl Iterator for Simulation {
    type Item = SimFrame;

    fn next(&mut self) -> Option<SimFrame> {
        let step = self.world.step()?;
        let scenes = step
            .frames
            .iter()
            .map(|&(c, f)| (c, self.world.scene_at(c, f)))
            .collect();
        Some(SimFrame {
            t_ns: step.t_ns,
            time_cst: self.world.cst_at(step.t_ns),
            scenes,
            events: step.events,
        })
    }
}

/// Seconds as ns (helper for callers and tests).
pub fn secs(s: f64) -> u64 {
    (s * NS_PER_S as f64).round() as u64
}

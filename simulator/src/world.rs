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
use rand::Rng;

use crate::clock::{Clock, FrameSchedule, NS_PER_S};
use crate::rng::{self, labels};
use crate::scenario::{
    Behaviour, BeltState, Edge, Formation, GeneratorDirection, GeneratorKind, IR_SWITCH_AMBIENT,
    LightMode, PeopleSpec, PersonDirection, Scenario, TamperKindSpec, TruckDirection, TruckSpec,
};
use crate::scene::{
    Actor, ActorKind, Atmosphere, BeltView, CameraPose, ColourMode, Equipment, Lighting,
    PersonLook, RenderScene, SiteKind, SkipView, Tamper, TruckLook, Vec2, Vec3,
};
use crate::truth::{self, Event};

/// The open-air side of a shaft mouth: people going down start this far outside the counting
/// edge, people coming up walk this far out past it before leaving the scene (metres).
pub const OUTSIDE_M: f64 = 6.0;
/// The shaft side: the portal's front wall stands this far beyond the edge (the renderer's
/// `render::PORTAL_SETBACK_M`); people going down leave the scene there, people coming up
/// appear there.
pub const PORTAL_DEPTH_M: f64 = 3.0;
/// Half the portal opening (the renderer's `render::PORTAL_OPENING_M` / 2): people walk through
/// the opening, so their lateral offsets stay within it.
pub const PORTAL_HALF_OPENING_M: f64 = 1.7;
/// Distance between people abreast.
pub const ABREAST_M: f64 = 0.75;
/// Distance between people in file.
pub const IN_FILE_M: f64 = 1.3;
/// Trucks start this far before the gate line and end this far after it.
pub const TRUCK_RUN_M: f64 = 25.0;
/// A truck keeps this far right of the gate's centre line.
pub const TRUCK_LANE_M: f64 = 1.8;
/// One walking cycle (two steps), metres.
pub const STRIDE_M: f64 = 1.5;

// ---------------------------------------------------------------------------------------------
// Projection (for culling and validation; the renderer has its own)

/// Pinhole projection of a world point to pixel coordinates `(u, v)` (origin top-left), or
/// `None` behind the camera. Axis conventions as [`CameraPose`]: forward is `yaw` in the ground
/// plane tilted down by `tilt`; `hfov` spans the image width.
pub fn project(pose: &CameraPose, p: Vec3) -> Option<(f32, f32)> {
    let (sy, cy) = pose.yaw.sin_cos();
    let (st, ct) = pose.tilt.sin_cos();
    let f = [cy * ct, sy * ct, -st];
    let r = [sy, -cy, 0.0];
    // up = r × f
    let up = [
        r[1] * f[2] - r[2] * f[1],
        r[2] * f[0] - r[0] * f[2],
        r[0] * f[1] - r[1] * f[0],
    ];
    let d = [
        p.x - pose.position.x,
        p.y - pose.position.y,
        p.z - pose.position.z,
    ];
    let dot = |a: [f32; 3]| a[0] * d[0] + a[1] * d[1] + a[2] * d[2];
    let z = dot(f);
    if z <= 0.05 {
        return None;
    }
    let focal = (pose.width as f32 / 2.0) / (pose.hfov / 2.0).tan();
    Some((
        pose.width as f32 / 2.0 + focal * dot(r) / z,
        pose.height as f32 / 2.0 - focal * dot(up) / z,
    ))
}

fn near_view(pose: &CameraPose, pts: &[Vec3]) -> bool {
    let (w, h) = (pose.width as f32, pose.height as f32);
    pts.iter().any(|p| {
        project(pose, *p).is_some_and(|(u, v)| {
            (-0.25 * w..=1.25 * w).contains(&u) && (-0.25 * h..=1.25 * h).contains(&v)
        })
    })
}

// ---------------------------------------------------------------------------------------------
// Tracks

/// A piecewise-linear ground track: waypoints `(t_ns, [x, y])` with non-decreasing times.
/// The actor exists from the first waypoint's time to the last's.
#[derive(Debug, Clone, PartialEq)]
pub struct Track {
    pub points: Vec<(u64, [f64; 2])>,
    /// Heading of each segment `i → i+1` (radians; a standing segment keeps the last heading).
    headings: Vec<f64>,
    /// Distance walked up to each waypoint.
    dist: Vec<f64>,
}

/// Where a tracked actor is at one instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackState {
    pub position: [f64; 2],
    pub heading: f64,
    pub moving: bool,
    /// Distance travelled since the track began, metres.
    pub distance: f64,
}

impl Track {
    /// A track through `points` (`(t_ns, [x, y])`, times non-decreasing).
    pub fn new(points: Vec<(u64, [f64; 2])>) -> Track {
        let n = points.len();
        let mut raw: Vec<Option<f64>> = Vec::with_capacity(n.saturating_sub(1));
        let mut dist = vec![0.0; n];
        for i in 1..n {
            let (a, b) = (points[i - 1].1, points[i].1);
            let d = (b[0] - a[0]).hypot(b[1] - a[1]);
            dist[i] = dist[i - 1] + d;
            raw.push((d > 1e-9).then(|| (b[1] - a[1]).atan2(b[0] - a[0])));
        }
        let first = raw.iter().flatten().next().copied().unwrap_or(0.0);
        let mut last = first;
        let headings = raw
            .into_iter()
            .map(|h| {
                if let Some(h) = h {
                    last = h;
                }
                last
            })
            .collect();
        Track {
            points,
            headings,
            dist,
        }
    }

    /// First instant.
    pub fn start_ns(&self) -> u64 {
        self.points.first().map_or(0, |p| p.0)
    }

    /// Last instant.
    pub fn end_ns(&self) -> u64 {
        self.points.last().map_or(0, |p| p.0)
    }

    /// The state at `t`, or `None` outside `[start, end]`.
    pub fn at(&self, t: u64) -> Option<TrackState> {
        if self.points.is_empty() || t < self.start_ns() || t > self.end_ns() {
            return None;
        }
        // Last segment whose start is ≤ t.
        let i = self.points.partition_point(|p| p.0 <= t).saturating_sub(1);
        if i + 1 >= self.points.len() {
            let heading = self.headings.last().copied().unwrap_or(0.0);
            let position = self.points[i].1;
            return Some(TrackState {
                position,
                heading,
                moving: false,
                distance: self.dist[i],
            });
        }
        let ((t0, a), (t1, b)) = (self.points[i], self.points[i + 1]);
        let f = if t1 > t0 {
            (t - t0) as f64 / (t1 - t0) as f64
        } else {
            1.0
        };
        let position = [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f];
        let seg = self.dist[i + 1] - self.dist[i];
        Some(TrackState {
            position,
            heading: self.headings[i],
            moving: seg > 1e-9,
            distance: self.dist[i] + seg * f,
        })
    }

    /// The linear pieces `((t0, p0), (t1, p1))`.
    pub fn segments(&self) -> impl Iterator<Item = ((u64, [f64; 2]), (u64, [f64; 2]))> + '_ {
        self.points.windows(2).map(|w| (w[0], w[1]))
    }
}

/// Builds tracks from a start time and speeds: `walk(to, speed)` / `wait(seconds)`.
struct TrackBuilder {
    t: f64,
    p: [f64; 2],
    points: Vec<(u64, [f64; 2])>,
}

impl TrackBuilder {
    fn new(t_ns: u64, p: [f64; 2]) -> TrackBuilder {
        TrackBuilder {
            t: t_ns as f64,
            p,
            points: vec![(t_ns, p)],
        }
    }
    fn walk(&mut self, to: [f64; 2], speed: f64) {
        let d = (to[0] - self.p[0]).hypot(to[1] - self.p[1]);
        self.t += d / speed * 1e9;
        self.p = to;
        self.points.push((self.t.round() as u64, to));
    }
    fn wait(&mut self, seconds: f64) {
        if seconds > 0.0 {
            self.t += seconds * 1e9;
            self.points.push((self.t.round() as u64, self.p));
        }
    }
    fn build(self) -> Track {
        Track::new(self.points)
    }
}

// ---------------------------------------------------------------------------------------------
// The plan

/// A person in the plan.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedPerson {
    /// Ground-truth id, ≥ 1, unique over people and trucks.
    pub id: u32,
    pub camera: usize,
    pub direction: PersonDirection,
    pub behaviour: Behaviour,
    /// Look except the per-frame fields (gait phase, walking, lamp).
    pub look: PersonLook,
    pub track: Track,
}

/// A truck in the plan.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedTruck {
    pub id: u32,
    pub camera: usize,
    pub direction: TruckDirection,
    pub look: TruckLook,
    pub track: Track,
}

/// One belt's schedule: from `at_ns`, `state` at `speed`, with `travel_m` travelled by `at_ns`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BeltPhase {
    pub at_ns: u64,
    pub state: BeltState,
    pub speed_mps: f64,
    pub travel_m: f64,
}

/// One skip trip phase: the skip moves from `h0` to `h1` over `[t0, t1]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SkipPhase {
    pub t0: u64,
    pub t1: u64,
    pub h0: f64,
    pub h1: f64,
    pub loaded: bool,
    /// The trip's number within its `[[skips]]` entry (from 1); `0` in the bottom dwell.
    pub trip: u32,
}

/// Everything scheduled for one scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub people: Vec<PlannedPerson>,
    pub trucks: Vec<PlannedTruck>,
    /// Per camera (index), the belt phases in time order.
    pub belts: Vec<Vec<BeltPhase>>,
    /// Per camera, the skip phases in time order.
    pub skips: Vec<Vec<SkipPhase>>,
}

const HELMETS: [[u8; 3]; 5] = [
    [250, 210, 20],
    [240, 240, 235],
    [220, 40, 30],
    [30, 90, 200],
    [250, 130, 20],
];
const VESTS: [[u8; 3]; 4] = [[255, 120, 0], [190, 240, 40], [240, 60, 40], [255, 220, 0]];
const CLOTHES: [[u8; 3]; 4] = [[30, 40, 80], [60, 60, 65], [70, 85, 110], [40, 55, 45]];
const CABS: [[u8; 3]; 5] = [
    [200, 40, 30],
    [230, 190, 30],
    [30, 80, 160],
    [235, 235, 230],
    [40, 120, 60],
];

fn pick<const N: usize>(rng: &mut impl Rng, from: &[[u8; 3]; N]) -> [u8; 3] {
    from[rng.random_range(0..N)]
}

impl Plan {
    /// Expands a scenario: explicit entries in file order, then generators.
    pub fn new(s: &Scenario) -> Plan {
        let mut plan = Plan {
            people: Vec::new(),
            trucks: Vec::new(),
            belts: vec![Vec::new(); s.cameras.len()],
            skips: vec![Vec::new(); s.cameras.len()],
        };
        let mut next_id = 1u32;
        let mut groups: Vec<(PeopleSpec, rand_chacha::ChaCha12Rng)> = s
            .people
            .iter()
            .enumerate()
            .map(|(i, p)| (*p, rng::stream(s.seed, labels::PEOPLE, i as u64)))
            .collect();
        let mut convoys: Vec<(TruckSpec, rand_chacha::ChaCha12Rng)> = s
            .trucks
            .iter()
            .enumerate()
            .map(|(i, t)| (*t, rng::stream(s.seed, labels::TRUCKS, i as u64)))
            .collect();
        for (gi, g) in s.generators.iter().enumerate() {
            let mut arrivals = rng::stream(s.seed, labels::GENERATOR, gi as u64);
            let mut t = g.from_ns as f64;
            let mean_gap_ns = 3600.0 * 1e9 / g.rate_per_hour;
            for k in 0u64.. {
                let u: f64 = arrivals.random();
                t += -(1.0 - u).ln() * mean_gap_ns;
                if t >= g.until_ns as f64 || k > 100_000 {
                    break;
                }
                let mut r = rng::stream(s.seed, labels::GENERATED, ((gi as u64) << 32) | k);
                let at_ns = t as u64;
                match g.kind {
                    GeneratorKind::People => {
                        let direction = match g.direction {
                            GeneratorDirection::Up => PersonDirection::Up,
                            GeneratorDirection::Both => {
                                either(&mut r, PersonDirection::Down, PersonDirection::Up)
                            }
                            _ => PersonDirection::Down,
                        };
                        let count = r.random_range(1..=g.group_max.max(1));
                        let x: f64 = r.random();
                        let behaviour = if x < g.p_stop_and_go {
                            Behaviour::StopAndGo
                        } else if x < g.p_stop_and_go + g.p_turn_back {
                            Behaviour::TurnBack
                        } else {
                            Behaviour::Cross
                        };
                        let formation = if r.random_bool(0.5) {
                            Formation::SideBySide
                        } else {
                            Formation::File
                        };
                        let (offset_m, formation) = s
                            .cameras
                            .get(g.camera)
                            .and_then(|c| c.edge)
                            .map_or((0.0, formation), |edge| {
                                let mut lane =
                                    rng::stream(s.seed, labels::LANE, ((gi as u64) << 32) | k);
                                generated_lane(
                                    &edge,
                                    direction,
                                    count,
                                    formation,
                                    g.direction,
                                    &mut lane,
                                )
                            });
                        let spec = PeopleSpec {
                            camera: g.camera,
                            at_ns,
                            count,
                            formation,
                            direction,
                            speed_mps: None,
                            behaviour,
                            pause_s: if behaviour == Behaviour::Cross {
                                0.0
                            } else {
                                2.0
                            },
                            pause_at_m: if behaviour == Behaviour::TurnBack {
                                -0.6
                            } else {
                                0.0
                            },
                            offset_m,
                            tools: None,
                        };
                        groups.push((spec, r));
                    }
                    GeneratorKind::Trucks => {
                        let direction = match g.direction {
                            GeneratorDirection::In => TruckDirection::In,
                            GeneratorDirection::Both => {
                                either(&mut r, TruckDirection::In, TruckDirection::Out)
                            }
                            _ => TruckDirection::Out,
                        };
                        let spec = TruckSpec {
                            camera: g.camera,
                            at_ns,
                            count: 1,
                            direction,
                            loaded: r.random_bool(g.p_loaded),
                            spacing_s: 6.0,
                            speed_mps: 3.0,
                        };
                        convoys.push((spec, r));
                    }
                }
            }
        }
        for (spec, mut r) in groups {
            let Some(edge) = s.cameras.get(spec.camera).and_then(|c| c.edge) else {
                continue;
            };
            plan_group(&spec, &edge, &mut r, &mut next_id, &mut plan.people);
        }
        for (spec, mut r) in convoys {
            let Some(edge) = s.cameras.get(spec.camera).and_then(|c| c.edge) else {
                continue;
            };
            plan_convoy(&spec, &edge, &mut r, &mut next_id, &mut plan.trucks);
        }
        for b in &s.belt {
            let phases = &mut plan.belts[b.camera];
            let travel_m = phases
                .last()
                .map_or(0.0, |p: &BeltPhase| belt_travel(p, b.at_ns));
            phases.push(BeltPhase {
                at_ns: b.at_ns,
                state: b.state,
                speed_mps: b.speed_mps,
                travel_m,
            });
        }
        for k in &s.skips {
            let phases = &mut plan.skips[k.camera];
            let mut t = k.at_ns as f64;
            let travel = k.travel_s * 1e9;
            let dwell = k.dwell_s * 1e9;
            for trip in 1..=k.trips {
                let mut push = |dur: f64, h0: f64, h1: f64, loaded: bool, trip: u32| {
                    let t0 = t.round() as u64;
                    t += dur;
                    phases.push(SkipPhase {
                        t0,
                        t1: t.round() as u64,
                        h0,
                        h1,
                        loaded,
                        trip,
                    });
                };
                push(travel, 0.0, k.height_m, k.loaded, trip);
                push(dwell, k.height_m, k.height_m, k.loaded, trip);
                push(travel, k.height_m, 0.0, false, trip);
                push(dwell, 0.0, 0.0, false, 0);
            }
        }
        plan
    }
}

fn either<T>(r: &mut impl Rng, a: T, b: T) -> T {
    if r.random_bool(0.5) { a } else { b }
}

fn belt_travel(p: &BeltPhase, t: u64) -> f64 {
    match p.state {
        BeltState::Stopped => p.travel_m,
        _ => p.travel_m + p.speed_mps * (t.saturating_sub(p.at_ns)) as f64 / 1e9,
    }
}

/// Where across the edge a generated group walks, and in what formation: people keep to the
/// right of their way (so when a generator sends people both ways, the two flows pass side by
/// side instead of through each other, as bodies do), anywhere in their half, and always through
/// the portal opening. A group abreast too wide for its half walks in file instead. The draw
/// comes from its own stream, so adding it changed no other random choice.
fn generated_lane(
    edge: &Edge,
    direction: PersonDirection,
    count: u8,
    formation: Formation,
    flows: GeneratorDirection,
    r: &mut rand_chacha::ChaCha12Rng,
) -> (f64, Formation) {
    let x: f64 = r.random_range(0.0..=1.0);
    let room = (edge.length() / 2.0).min(PORTAL_HALF_OPENING_M) - 0.25;
    let spread = |f: Formation| match f {
        Formation::SideBySide => (f64::from(count.max(1)) - 1.0) / 2.0 * ABREAST_M,
        Formation::File => 0.0,
    };
    if flows != GeneratorDirection::Both {
        let half = (room - spread(formation)).clamp(0.0, 0.8);
        return ((2.0 * x - 1.0) * half, formation);
    }
    // Walking inward (down) along the edge's `along` axis, the right hand is +along; the group's
    // centre lies in [lo, hi] so that nobody in it is left of 0.1 m.
    let sign = if direction == PersonDirection::Down {
        1.0
    } else {
        -1.0
    };
    let mut formation = formation;
    if 0.1 + spread(formation) > room - spread(formation) {
        formation = Formation::File;
    }
    let (lo, hi) = (0.1 + spread(formation), room - spread(formation));
    if hi <= lo {
        return (0.0, formation);
    }
    (sign * (lo + (hi - lo) * x), formation)
}

fn plan_group(
    spec: &PeopleSpec,
    edge: &Edge,
    r: &mut rand_chacha::ChaCha12Rng,
    next_id: &mut u32,
    out: &mut Vec<PlannedPerson>,
) {
    let speed = spec.speed_mps.unwrap_or_else(|| r.random_range(0.8..=1.6));
    let inward = edge.inward();
    let w = match spec.direction {
        PersonDirection::Down => inward,
        PersonDirection::Up => [-inward[0], -inward[1]],
    };
    let u = edge.along();
    let mid = edge.mid();
    let n = usize::from(spec.count.max(1));
    for i in 0..n {
        let lateral = match spec.formation {
            Formation::SideBySide => {
                spec.offset_m + (i as f64 - (n as f64 - 1.0) / 2.0) * ABREAST_M
            }
            Formation::File => spec.offset_m,
        };
        // People in file leave one after another, each waiting for the one ahead to clear a pause.
        let delay_s = match spec.formation {
            Formation::SideBySide => 0.0,
            Formation::File => i as f64 * (IN_FILE_M / speed + spec.pause_s),
        };
        let at = |s: f64, lat: f64| {
            [
                mid[0] + lat * u[0] + s * w[0],
                mid[1] + lat * u[1] + s * w[1],
            ]
        };
        let t0 = spec.at_ns + (delay_s * 1e9).round() as u64;
        // Walk coordinates: s < 0 before the edge, s > 0 after it.
        let (start_s, end_s) = match spec.direction {
            PersonDirection::Down => (-OUTSIDE_M, PORTAL_DEPTH_M),
            PersonDirection::Up => (-PORTAL_DEPTH_M, OUTSIDE_M - 1.0),
        };
        let mut b = TrackBuilder::new(t0, at(start_s, lateral));
        match spec.behaviour {
            Behaviour::Cross | Behaviour::StopAndGo => {
                if spec.pause_s > 0.0 {
                    b.walk(at(spec.pause_at_m, lateral), speed);
                    b.wait(spec.pause_s);
                }
                b.walk(at(end_s, lateral), speed);
            }
            Behaviour::TurnBack => {
                b.walk(at(spec.pause_at_m, lateral), speed);
                b.wait(spec.pause_s);
                b.walk(at(start_s, lateral), speed);
            }
            Behaviour::Loiter => {
                b.walk(at(spec.pause_at_m, lateral), speed);
                let mut spent = 0.0;
                while spent < spec.pause_s {
                    let s = r.random_range(-2.0..=-0.4);
                    let lat = lateral + r.random_range(-0.8..=0.8);
                    let before = b.t;
                    b.walk(at(s, lat), 0.5);
                    let stand = r.random_range(0.3..=1.2);
                    b.wait(stand);
                    spent += (b.t - before) / 1e9;
                }
                b.walk(at(0.0, lateral), speed);
                b.walk(at(end_s, lateral), speed);
            }
        }
        let look = PersonLook {
            height_m: r.random_range(1.55..=1.90),
            helmet: pick(r, &HELMETS),
            vest: pick(r, &VESTS),
            clothes: pick(r, &CLOTHES),
            carrying_tool: spec.tools.unwrap_or_else(|| r.random_bool(0.2)),
            lamp_on: false,
            gait_phase: r.random(),
            walking: true,
        };
        out.push(PlannedPerson {
            id: *next_id,
            camera: spec.camera,
            direction: spec.direction,
            behaviour: spec.behaviour,
            look,
            track: b.build(),
        });
        *next_id += 1;
    }
}

fn plan_convoy(
    spec: &TruckSpec,
    edge: &Edge,
    r: &mut rand_chacha::ChaCha12Rng,
    next_id: &mut u32,
    out: &mut Vec<PlannedTruck>,
) {
    let inward = edge.inward();
    let d = match spec.direction {
        TruckDirection::In => inward,
        TruckDirection::Out => [-inward[0], -inward[1]],
    };
    let right = [d[1], -d[0]];
    let mid = edge.mid();
    let at = |s: f64| {
        [
            mid[0] + TRUCK_LANE_M * right[0] + s * d[0],
            mid[1] + TRUCK_LANE_M * right[1] + s * d[1],
        ]
    };
    for k in 0..u64::from(spec.count.max(1)) {
        let t0 = spec.at_ns + (k as f64 * spec.spacing_s * 1e9).round() as u64;
        let mut b = TrackBuilder::new(t0, at(-TRUCK_RUN_M));
        b.walk(at(TRUCK_RUN_M), spec.speed_mps);
        let look = TruckLook {
            length_m: r.random_range(6.5..=8.5),
            width_m: r.random_range(2.3..=2.6),
            cab: pick(r, &CABS),
            loaded: spec.loaded,
        };
        out.push(PlannedTruck {
            id: *next_id,
            camera: spec.camera,
            direction: spec.direction,
            look,
            track: b.build(),
        });
        *next_id += 1;
    }
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
            actors.push(Actor {
                id: p.id,
                position: pos,
                heading: st.heading as f32,
                kind: ActorKind::Person(PersonLook {
                    gait_phase: phase,
                    walking: st.moving,
                    lamp_on,
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

fn active_key(s: &Scenario, t: u64) -> crate::scenario::LightKey {
    let i = s
        .lighting
        .partition_point(|k| k.at_ns <= t)
        .saturating_sub(1);
    s.lighting
        .get(i)
        .copied()
        .unwrap_or(crate::scenario::LightKey {
            at_ns: 0,
            ambient: 1.0,
            dusk: 0.0,
            mode: LightMode::Auto,
            flicker: 0.0,
        })
}

/// Ambient, dusk and colour mode at `t`: linear ramps between lighting keys; `auto` switches to
/// IR monochrome below [`IR_SWITCH_AMBIENT`] (C6).
pub fn light_level(s: &Scenario, t: u64) -> (f64, f64, ColourMode) {
    let i = s
        .lighting
        .partition_point(|k| k.at_ns <= t)
        .saturating_sub(1);
    let k = active_key(s, t);
    let (ambient, dusk) = match s.lighting.get(i + 1) {
        Some(n) if n.at_ns > k.at_ns => {
            let f = (t.saturating_sub(k.at_ns)) as f64 / (n.at_ns - k.at_ns) as f64;
            (
                k.ambient + (n.ambient - k.ambient) * f,
                k.dusk + (n.dusk - k.dusk) * f,
            )
        }
        _ => (k.ambient, k.dusk),
    };
    let mode = match k.mode {
        LightMode::Colour => ColourMode::Colour,
        LightMode::InfraredMono => ColourMode::InfraredMono,
        LightMode::Auto if ambient < IR_SWITCH_AMBIENT => ColourMode::InfraredMono,
        LightMode::Auto => ColourMode::Colour,
    };
    (ambient, dusk, mode)
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

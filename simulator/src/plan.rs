//! The plan: a validated [`Scenario`] expanded into what happens when. Every person and truck
//! gets a piecewise-linear ground [`Track`] (waypoints with exact nanosecond times), every belt
//! and skip a schedule, and the lighting is known at any instant ([`light_level`], C6). All
//! random choices are drawn from [`crate::rng`] streams (one per scenario entry, so adding an
//! entry never changes the others). The world samples the plan at frame times
//! ([`crate::world`]); the ground truth is solved on it in closed form ([`crate::truth`]).

use rand::Rng;

use crate::ground::{
    ABREAST_M, IN_FILE_M, OUTSIDE_M, PORTAL_DEPTH_M, PORTAL_HALF_OPENING_M, TRUCK_LANE_M,
    TRUCK_RUN_M,
};
use crate::rng::{self, labels};
use crate::scenario::{
    Behaviour, BeltState, Edge, Formation, GeneratorDirection, GeneratorKind, IR_SWITCH_AMBIENT,
    LightKey, LightMode, PeopleSpec, PersonDirection, Scenario, TruckDirection, TruckSpec,
};
use crate::scene::{ColourMode, Exposure, PersonLook, TruckLook};

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

pub(crate) fn belt_travel(p: &BeltPhase, t: u64) -> f64 {
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
            speed_mps: 0.0,
            gait_hz: 0.0,
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
// Lighting

pub(crate) fn active_key(s: &Scenario, t: u64) -> LightKey {
    let i = s
        .lighting
        .partition_point(|k| k.at_ns <= t)
        .saturating_sub(1);
    s.lighting.get(i).copied().unwrap_or(LightKey {
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

/// The camera's automatic exposure at `t` (the realistic path's shutter and exposure lag).
///
/// The camera meters the scene's light `B` (the ambient level in colour, the IR illuminator's
/// fixed level at night) and aims at a gain `B^-0.7` (it brightens dark scenes only partly, as
/// CCTV does) by lengthening the shutter first: `1/(500·B)` s, from 1/2000 s in full sun to the
/// frame time, 1/25 s, in the dark. Its gain follows the aim with a 0.5 s time constant (a
/// first-order filter of the aim over the last 2.5 s, at frame steps), so right after a sudden
/// change of light the picture is over- or under-exposed for a moment. The renderer draws the
/// settled picture; `lag_gain` is the ratio of the lagging gain to the aim.
pub fn exposure_at(s: &Scenario, t: u64) -> Exposure {
    const STEP_NS: u64 = 40_000_000;
    const TAU_S: f64 = 0.5;
    const TAPS: u64 = 63;
    let metered = |t: u64| {
        let (ambient, _, mode) = light_level(s, t);
        match mode {
            ColourMode::Colour => ambient.clamp(0.02, 1.0),
            ColourMode::InfraredMono => 0.05,
        }
    };
    let aim = |b: f64| -0.7 * b.ln();
    let now = metered(t);
    let (mut num, mut den) = (0.0, 0.0);
    for k in 0..TAPS {
        let w = (-(k as f64) * STEP_NS as f64 * 1e-9 / TAU_S).exp();
        num += w * aim(metered(t.saturating_sub(k * STEP_NS)));
        den += w;
    }
    let lag = (num / den - aim(now)).exp().clamp(0.25, 4.0);
    Exposure {
        shutter_s: (1.0 / (500.0 * now)).clamp(1.0 / 2000.0, 1.0 / 25.0) as f32,
        lag_gain: lag as f32,
    }
}

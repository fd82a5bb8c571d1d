//! Traffic: people at a shaft mouth and trucks at a vehicle gate.
//!
//! The run is cut into blocks of 40–120 s, each either **staged** (explicit `[[people]]` /
//! `[[trucks]]` entries, one episode after another) or **Poisson** (one `[[generators]]` entry
//! over the block, at a rate from a quiet hour up to a shift change). The first block is always
//! staged and opens with someone going down (or a truck leaving), so every scene gives the judge
//! something to count. Traffic starts 3 s into the run (the device's start-up) and stops
//! starting 15 s before its end, so every crossing can be seen to its end.
//!
//! Staged episodes never put two bodies in one place: a group crosses alone, or two groups cross
//! the opposite ways side by side in their own halves of the mouth (keeping right, as people do
//! and as the simulator's generators do), and the next episode starts when the last member of
//! the previous one has left. Trucks keep their lane (right-hand traffic) and a follower never
//! closes within 12.5 m of the truck ahead anywhere on its 50 m run. A Poisson block waits until
//! the staged traffic before it has cleared, and the next block waits for its last arrivals.
//!
//! | people episode | weight | drawn |
//! |---|---|---|
//! | one group | 0.8 | down 0.55 / up; cross 0.55, stop-and-go 0.15, turn back 0.12 (abreast), loiter 0.1 (alone), cross with a pause 0.08; in file 2–5 one time in three, else abreast 1–5 (0.35, 0.3, 0.15, 0.1, 0.1) |
//! | two flows | 0.2 | a group down and a group up at once (1–2 abreast or 2–3 in file each), 0.8 m apart |
//!
//! Trucks: out 0.55 / in; a convoy one time in three (2–6 trucks, one convoy in seven 9–13),
//! 2–7 m/s, spacing from the 12.5 m headway up to 8 s more; loaded 0.7 going out, 0.3 coming in.

use rand::Rng;
use rand_chacha::ChaCha12Rng;

use super::{offset, pick, uniform};
use crate::ground::{IN_FILE_M, OUTSIDE_M, PORTAL_DEPTH_M, PORTAL_HALF_OPENING_M, TRUCK_RUN_M};
use crate::scenario::file;
use crate::scenario::{
    Behaviour, Formation, GeneratorDirection, GeneratorKind, PersonDirection, TruckDirection,
};
use eseal_protocol::CameraCode;

/// Where traffic may start: `[from_s, until_s]` seconds after the run's start.
#[derive(Debug, Clone, Copy)]
pub(super) struct Span {
    pub from_s: f64,
    pub until_s: f64,
    /// The run's end.
    pub end_s: f64,
}

impl Span {
    pub fn of_run(duration_s: f64) -> Span {
        Span {
            from_s: 3.0,
            until_s: (duration_s - 15.0).max(10.0),
            end_s: duration_s,
        }
    }
}

/// Arrival rates per hour of a Poisson block: a quiet hour, a busy one, a shift change.
const RATES: [((f64, f64), f64); 3] = [
    ((30.0, 90.0), 0.35),
    ((90.0, 200.0), 0.4),
    ((200.0, 400.0), 0.25),
];

/// The blocks of a run; `staged(at, end, first)` returns when its traffic has cleared,
/// `poisson(at, end)` draws one generator.
fn blocks(
    r: &mut ChaCha12Rng,
    span: Span,
    p_staged: f64,
    clear_after_poisson_s: f64,
    mut staged: impl FnMut(&mut ChaCha12Rng, f64, f64, bool) -> f64,
    mut poisson: impl FnMut(&mut ChaCha12Rng, f64, f64),
) {
    let mut t = span.from_s;
    let mut first = true;
    while t < span.until_s - 10.0 {
        let end = (t + uniform(r, 40.0, 120.0, 1.0)).min(span.until_s);
        // A Poisson block shorter than 30 s would hardly draw anyone: stage it instead.
        if first || end - t < 30.0 || r.random_bool(p_staged) {
            t = staged(r, t, end, first).max(t + 1.0);
        } else {
            poisson(r, t, end);
            t = end + clear_after_poisson_s;
        }
        first = false;
    }
}

// ---------------------------------------------------------------------------------------------
// People

/// Draws the people of shaft camera `cam` into `root`.
pub(super) fn people(r: &mut ChaCha12Rng, cam: &file::Camera, span: Span, root: &mut file::Root) {
    let len = cam
        .edge
        .map_or(3.4, |[a, b]| (b[0] - a[0]).hypot(b[1] - a[1]));
    // The validator's fit: |offset| + half the group's width ≤ min(half edge, portal) − 0.1.
    let room = (len / 2.0).min(PORTAL_HALF_OPENING_M) - 0.15;
    let code = cam.code;
    let mut out: Vec<file::People> = Vec::new();
    let mut gens: Vec<file::Generator> = Vec::new();
    blocks(
        r,
        span,
        0.55,
        12.0,
        |r, mut at, end, first| {
            let mut opening = first;
            while at < end {
                let (groups, busy_s) = if !opening && r.random_bool(0.2) {
                    two_flows(r, code, room, at)
                } else {
                    one_group(r, code, room, at, opening)
                };
                if at + busy_s > span.end_s - 3.0 {
                    break;
                }
                out.extend(groups);
                at += busy_s + uniform(r, 0.5, 4.0, 0.1);
                opening = false;
            }
            at
        },
        |r, at, end| {
            let (lo, hi) = pick(r, &RATES);
            let some = |r: &mut ChaCha12Rng, hi: f64| {
                r.random_bool(0.5).then(|| uniform(r, 0.05, hi, 0.01))
            };
            gens.push(file::Generator {
                kind: GeneratorKind::People,
                camera: code,
                from: offset(at),
                until: offset(end),
                rate_per_hour: uniform(r, lo, hi, 1.0),
                direction: pick(
                    r,
                    &[
                        (GeneratorDirection::Both, 0.5),
                        (GeneratorDirection::Down, 0.3),
                        (GeneratorDirection::Up, 0.2),
                    ],
                ),
                group_max: Some(r.random_range(1..=4)),
                p_stop_and_go: some(r, 0.2).or(Some(0.0)),
                p_turn_back: some(r, 0.15).or(Some(0.0)),
                p_loaded: None,
            });
        },
    );
    root.people.extend(out);
    root.generators.extend(gens);
}

/// One group crossing alone: the entry and how long it keeps the mouth busy (s).
fn one_group(
    r: &mut ChaCha12Rng,
    camera: CameraCode,
    room: f64,
    at: f64,
    opening: bool,
) -> (Vec<file::People>, f64) {
    let direction = if opening || r.random_bool(0.55) {
        PersonDirection::Down
    } else {
        PersonDirection::Up
    };
    let mut behaviours = vec![
        (Behaviour::Cross, 0.63),
        (Behaviour::StopAndGo, 0.15),
        (Behaviour::Loiter, 0.1),
    ];
    if !opening {
        behaviours.push((Behaviour::TurnBack, 0.12));
    }
    let behaviour = pick(r, &behaviours);
    // Who turns back walks back the way they came, and a loiterer wanders: in file they would
    // walk into the people behind, abreast into their neighbours.
    let formation = if behaviour != Behaviour::TurnBack
        && behaviour != Behaviour::Loiter
        && r.random_bool(0.35)
    {
        Formation::File
    } else {
        Formation::SideBySide
    };
    let count: u8 = match (behaviour, formation) {
        (Behaviour::Loiter, _) => 1,
        (_, Formation::File) => r.random_range(2..=5),
        (_, Formation::SideBySide) => {
            pick(r, &[(1, 0.35), (2, 0.3), (3, 0.15), (4, 0.1), (5, 0.1)])
        }
    };
    let mut group = person_entry(r, camera, at, direction, formation, count);
    group.behaviour = behaviour;
    match group.behaviour {
        Behaviour::Cross if r.random_bool(0.13) => {
            group.pause_s = Some(uniform(r, 1.0, 3.0, 0.1));
            group.pause_at_m = Some(uniform(r, -2.5, 2.5, 0.1));
        }
        Behaviour::Cross => {}
        Behaviour::StopAndGo => group.pause_s = Some(uniform(r, 1.0, 4.0, 0.1)),
        Behaviour::TurnBack => {
            group.pause_s = Some(uniform(r, 0.5, 3.0, 0.1));
            group.pause_at_m = Some(uniform(r, -1.5, -0.3, 0.1));
        }
        Behaviour::Loiter => group.pause_s = Some(uniform(r, 3.0, 8.0, 0.1)),
    }
    // Whole 5 cm, rounded towards the middle, so the group still fits as written.
    let free = super::round(
        ((room - spread(&group)).max(0.0) / 0.05 - 1e-9).floor() * 0.05,
        0.05,
    );
    group.offset_m = Some(uniform(r, -free, free, 0.05));
    let busy = busy_s(&group);
    (vec![group], busy)
}

/// A group going down and a group coming up at the same time, each keeping to its right.
fn two_flows(
    r: &mut ChaCha12Rng,
    camera: CameraCode,
    room: f64,
    at: f64,
) -> (Vec<file::People>, f64) {
    let mut groups = Vec::new();
    let mut busy: f64 = 0.0;
    for (direction, side) in [(PersonDirection::Down, 1.0), (PersonDirection::Up, -1.0)] {
        let start = at + uniform(r, 0.0, 3.0, 0.1);
        let (formation, count) = if r.random_bool(0.5) {
            (Formation::SideBySide, r.random_range(1..=2))
        } else {
            (Formation::File, r.random_range(2..=3))
        };
        let mut g = person_entry(r, camera, start, direction, formation, count);
        if r.random_bool(0.2) {
            g.behaviour = Behaviour::StopAndGo;
            g.pause_s = Some(uniform(r, 1.0, 3.0, 0.1));
        }
        // The nearest members of the two groups walk 0.8 m apart.
        let near = spread(&g) + 0.4;
        let slack = (room - spread(&g) - near).max(0.0);
        let off = (near + uniform(r, 0.0, slack, 0.05)).min(room - spread(&g));
        // Rounded towards the middle, to the centimetre, so the group still fits as written.
        g.offset_m = Some(side * (off * 100.0).floor() / 100.0);
        busy = busy.max(start - at + busy_s(&g));
        groups.push(g);
    }
    (groups, busy)
}

/// A crossing group with its speed drawn and everything else at its default.
fn person_entry(
    r: &mut ChaCha12Rng,
    camera: CameraCode,
    at: f64,
    direction: PersonDirection,
    formation: Formation,
    count: u8,
) -> file::People {
    file::People {
        camera,
        at: offset(at),
        count,
        formation,
        direction,
        speed_mps: Some(uniform(r, 0.9, 1.5, 0.05)),
        behaviour: Behaviour::Cross,
        pause_s: None,
        pause_at_m: None,
        offset_m: None,
        tools: r.random_bool(0.15).then_some(true),
    }
}

/// Half the width of a group abreast (0 in file), metres.
fn spread(g: &file::People) -> f64 {
    match g.formation {
        Formation::SideBySide => 0.375 * f64::from(g.count.saturating_sub(1)),
        Formation::File => 0.0,
    }
}

/// How long from its start until the group's last member has left the scene, seconds (an upper
/// bound; loitering wanders up to ~6 s past its pause).
fn busy_s(g: &file::People) -> f64 {
    let speed = g.speed_mps.unwrap_or(0.8);
    let pause = g.pause_s.unwrap_or(0.0);
    let (start, end) = match g.direction {
        PersonDirection::Down => (OUTSIDE_M, PORTAL_DEPTH_M),
        PersonDirection::Up => (PORTAL_DEPTH_M, OUTSIDE_M - 1.0),
    };
    let one = match g.behaviour {
        Behaviour::Cross | Behaviour::StopAndGo => (start + end) / speed + pause,
        Behaviour::TurnBack => {
            2.0 * (start - g.pause_at_m.unwrap_or(-0.6).abs()).max(0.0) / speed + pause
        }
        Behaviour::Loiter => (start + end) / speed + pause + 6.0,
    };
    let behind = match g.formation {
        Formation::SideBySide => 0.0,
        Formation::File => f64::from(g.count.saturating_sub(1)) * (IN_FILE_M / speed + pause),
    };
    one + behind
}

// ---------------------------------------------------------------------------------------------
// Trucks

/// Headway a truck keeps to the one ahead, metres (the longest truck, 8.5 m, and 4 m).
const HEADWAY_M: f64 = 12.5;

/// The last truck started in one lane: when and how fast.
#[derive(Debug, Clone, Copy)]
struct Lane {
    start_s: f64,
    speed_mps: f64,
}

impl Lane {
    /// The earliest start of a truck at `speed` that never closes within the headway.
    fn earliest(&self, speed: f64) -> f64 {
        let run = 2.0 * TRUCK_RUN_M;
        self.start_s + HEADWAY_M / self.speed_mps + (run / self.speed_mps - run / speed).max(0.0)
    }

    /// When the truck has left the run.
    fn clear(&self) -> f64 {
        self.start_s + 2.0 * TRUCK_RUN_M / self.speed_mps
    }
}

/// Draws the trucks of gate camera `cam` into `root`.
pub(super) fn trucks(r: &mut ChaCha12Rng, cam: &file::Camera, span: Span, root: &mut file::Root) {
    let code = cam.code;
    let mut out: Vec<file::Trucks> = Vec::new();
    let mut gens: Vec<file::Generator> = Vec::new();
    // Generated trucks drive at 3 m/s: the run is clear 50/3 s after the last one starts.
    let generated_clear =
        (2.0 * TRUCK_RUN_M + HEADWAY_M) / crate::scenario::defaults::TRUCK_SPEED_MPS;
    blocks(
        r,
        span,
        0.65,
        generated_clear,
        |r, at, end, first| staged_trucks(r, code, at, end, first, span, &mut out),
        |r, at, end| {
            gens.push(file::Generator {
                kind: GeneratorKind::Trucks,
                camera: code,
                from: offset(at),
                until: offset(end),
                rate_per_hour: uniform(r, 20.0, 120.0, 1.0),
                direction: pick(
                    r,
                    &[
                        (GeneratorDirection::Both, 0.6),
                        (GeneratorDirection::Out, 0.25),
                        (GeneratorDirection::In, 0.15),
                    ],
                ),
                group_max: None,
                p_stop_and_go: None,
                p_turn_back: None,
                p_loaded: Some(uniform(r, 0.4, 0.9, 0.01)),
            });
        },
    );
    root.trucks.extend(out);
    root.generators.extend(gens);
}

/// A staged block of trucks from `at` to `end`; returns when both lanes are clear.
fn staged_trucks(
    r: &mut ChaCha12Rng,
    camera: CameraCode,
    mut at: f64,
    end: f64,
    first: bool,
    span: Span,
    out: &mut Vec<file::Trucks>,
) -> f64 {
    let mut lanes: [Option<Lane>; 2] = [None, None];
    let mut opening = first;
    while at < end {
        let direction = if opening || r.random_bool(0.55) {
            TruckDirection::Out
        } else {
            TruckDirection::In
        };
        let lane = &mut lanes[usize::from(direction == TruckDirection::Out)];
        let speed = uniform(r, 2.0, 7.0, 0.5);
        let start = lane.map_or(at, |l| l.earliest(speed).max(at));
        let mut count: u8 = if r.random_bool(1.0 / 3.0) {
            if r.random_bool(1.0 / 7.0) {
                r.random_range(9..=13)
            } else {
                r.random_range(2..=6)
            }
        } else {
            1
        };
        // The shortest spacing that keeps the headway, rounded up to the file's 0.5 s.
        let least = ((HEADWAY_M / speed).max(3.0) * 2.0).ceil() / 2.0;
        let spacing = uniform(r, least, least + 8.0, 0.5).max(least);
        // The last truck of the convoy reaches the gate line at least 10 s before the end.
        while count > 0
            && start + f64::from(count - 1) * spacing + TRUCK_RUN_M / speed > span.end_s - 10.0
        {
            count -= 1;
        }
        if count == 0 || start > span.until_s {
            break;
        }
        let loaded = r.random_bool(if direction == TruckDirection::Out {
            0.7
        } else {
            0.3
        });
        // Rounded up to the file's 0.1 s, so the headway holds as written.
        let start = (start * 10.0).ceil() / 10.0;
        out.push(file::Trucks {
            camera,
            at: offset(start),
            count,
            direction,
            loaded,
            spacing_s: (count > 1).then_some(spacing),
            speed_mps: Some(speed),
        });
        *lane = Some(Lane {
            start_s: start + f64::from(count - 1) * spacing,
            speed_mps: speed,
        });
        at += uniform(r, 3.0, 20.0, 0.1);
        opening = false;
    }
    lanes.iter().flatten().map(Lane::clear).fold(at, f64::max)
}

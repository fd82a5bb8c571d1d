//! Ground-truth events: what happened, when, exactly — the stream a device is judged against.
//!
//! Events are solved in closed form on the world's piecewise-linear tracks and schedules
//! ([`crate::plan::Plan`]), not sampled at frames, so times are exact to the nanosecond. They
//! are written as JSON Lines ([`write_jsonl`]), one object per line, in time order. Every object
//! has:
//!
//! | field      | type             | meaning |
//! |------------|------------------|---------|
//! | `t_ns`     | integer          | nanoseconds since the scenario start (virtual clock) |
//! | `time_cst` | string, 14 digits| `yyyyMMddHHmmss`, China Standard Time, truncated to the second (as U1–U5 names) |
//! | `camera`   | string, 2 digits | the camera code (absent for lock events) |
//! | `event`    | string           | the kind, below |
//!
//! Kinds and their extra fields:
//!
//! - `crossing` — a person's ground point crossed a counting edge (C3/E3, U1). `id` (the
//!   person's ground-truth id, as in the renderer's boxes), `direction` (`down` into the shaft /
//!   `up` out of it), and for `down` only `count`: the day's cumulative people down at this
//!   camera *including* this one — the number a U1 file name should carry.
//! - `truck` — a truck's footprint centre crossed the gate line (E5, U2). `id`, `direction`
//!   (`out` leaving / `in` entering), `loaded`, and for `out` only `count`: the day's trucks out
//!   at this camera including this one (U2).
//! - `transport` — a belt or skip changed state (E2, U3). `equipment` (`belt` | `skip`), `state`
//!   (U3 reference-profile code: `"00"` stopped, `"01"` running loaded, `"02"` running empty).
//! - `skip_trip` — the skip reached the top of its headframe (E2 trip count). `trip` (the day's
//!   trips at this camera including this one), `loaded`.
//! - `tamper_start` / `tamper_end` — tampering began / ended (U4). `kind` (`cover`, `smear`,
//!   `defocus`, `angle_moved`, `freeze`, `over_exposure`, `under_exposure`) and `analysis`
//!   (`"04"` occlusion or `"05"` angle moved, the U4 type a device should report).
//! - `lock` — an e-lock was moved or damaged (U5). `lock` (2-digit lock code), `state`
//!   (`"0001"` moved, `"0002"` damaged).
//! - `lighting` — the camera switched between colour and IR monochrome (C6). `mode`
//!   (`colour` | `infrared_mono`).
//! - `day_end` — 00:00:00 CST passed: the daily counters reset (U1/U2). Emitted per counting
//!   camera with the totals of the day that ended: `date` (`YYYY-MM-DD`), `people_down`,
//!   `people_up`, `trucks_out`, `trucks_in`, `skip_trips`. Events at exactly 00:00:00.000
//!   belong to the new day and come after `day_end`.
//!
//! Crossing rule: the edge is the segment `a → b`; a point strictly left of it (the inside,
//! shaft side) is *in*, a point on the line or right of it is *out*. A crossing is a change of
//! side at a point within the segment's extent; its time is where the linear piece meets the
//! line. So a person who stops with the feet exactly on the edge and walks on is counted once
//! (at arrival when going up, at departure when going down), a person who turns back before the
//! edge never, and people abreast once each. Example line:
//!
//! ```json
//! {"t_ns":10000000000,"time_cst":"20261128080010","camera":"20","event":"crossing","id":7,"direction":"down","count":3}
//! ```

use std::collections::BTreeMap;
use std::io::{self, Write};

use chrono::NaiveDate;
use eseal_protocol::{CameraCode, LockCode, LockState, MineTime, TransportState};
use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::plan::{Plan, Track, light_level};
use crate::scenario::{BeltState, Edge, PersonDirection, Scenario, TamperKindSpec, TruckDirection};
use crate::scene::{ColourMode, SiteKind};

/// One ground-truth event (one JSON line).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Nanoseconds since the scenario start.
    pub t_ns: u64,
    /// CST second of the event, `yyyyMMddHHmmss`.
    pub time_cst: MineTime,
    /// Camera code; `None` for lock events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub camera: Option<CameraCode>,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
}

/// Transport equipment (E2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EquipmentKind {
    Belt,
    Skip,
}

/// The kinds of event; see the module docs for every field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventKind {
    Crossing {
        id: u32,
        direction: PersonDirection,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        count: Option<u32>,
    },
    Truck {
        id: u32,
        direction: TruckDirection,
        loaded: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        count: Option<u32>,
    },
    Transport {
        equipment: EquipmentKind,
        state: TransportState,
    },
    SkipTrip {
        trip: u32,
        loaded: bool,
    },
    TamperStart {
        kind: TamperKindSpec,
        analysis: String,
    },
    TamperEnd {
        kind: TamperKindSpec,
        analysis: String,
    },
    Lock {
        lock: LockCode,
        state: LockState,
    },
    Lighting {
        mode: ColourMode,
    },
    DayEnd {
        date: NaiveDate,
        people_down: u32,
        people_up: u32,
        trucks_out: u32,
        trucks_in: u32,
        skip_trips: u32,
    },
}

impl EventKind {
    /// Order among events at the same instant: day ends first (counts reset before anything
    /// at 00:00:00 is counted), then state changes, then crossings.
    fn rank(&self) -> u8 {
        match self {
            EventKind::DayEnd { .. } => 0,
            EventKind::Lighting { .. } => 1,
            EventKind::TamperEnd { .. } => 2,
            EventKind::TamperStart { .. } => 3,
            EventKind::Transport { .. } => 4,
            EventKind::SkipTrip { .. } => 5,
            EventKind::Lock { .. } => 6,
            EventKind::Crossing { .. } => 7,
            EventKind::Truck { .. } => 8,
        }
    }
    fn id(&self) -> u32 {
        match self {
            EventKind::Crossing { id, .. } | EventKind::Truck { id, .. } => *id,
            _ => 0,
        }
    }
}

/// A counting-edge crossing found on a track.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Crossing {
    /// Exact time, ns since the start.
    pub t_ns: u64,
    /// `true` = from the outside (right) to the inside (left): down / in.
    pub inward: bool,
}

/// Signed distance of `p` from the edge's line, metres, positive on the inside (left).
pub fn side(edge: &Edge, p: [f64; 2]) -> f64 {
    let [ux, uy] = edge.along();
    ux * (p[1] - edge.a[1]) - uy * (p[0] - edge.a[0])
}

/// Every crossing of `edge` by `track`, in time order (see the module docs for the rule).
pub fn crossings(track: &Track, edge: &Edge) -> Vec<Crossing> {
    let len = edge.length();
    let along = edge.along();
    let mut out = Vec::new();
    for ((t0, p0), (t1, p1)) in track.segments() {
        let (s0, s1) = (side(edge, p0), side(edge, p1));
        let (in0, in1) = (s0 > 0.0, s1 > 0.0);
        if in0 == in1 {
            continue;
        }
        // Fraction of the piece where it meets the line (s = 0).
        let f = if s0 == s1 {
            0.0
        } else {
            (s0 / (s0 - s1)).clamp(0.0, 1.0)
        };
        let q = [p0[0] + (p1[0] - p0[0]) * f, p0[1] + (p1[1] - p0[1]) * f];
        let u = (q[0] - edge.a[0]) * along[0] + (q[1] - edge.a[1]) * along[1];
        if !(0.0..=len).contains(&u) {
            continue;
        }
        let t = t0 as f64 + (t1 - t0) as f64 * f;
        out.push(Crossing {
            t_ns: t.round() as u64,
            inward: in1,
        });
    }
    out
}

/// Per camera and CST day, what the day's counters show.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayCounts {
    pub people_down: u32,
    pub people_up: u32,
    pub trucks_out: u32,
    pub trucks_in: u32,
    pub skip_trips: u32,
}

/// The counters over a whole event stream: `(CST date, camera) → counts`.
pub fn daily_counts(events: &[Event]) -> BTreeMap<(NaiveDate, CameraCode), DayCounts> {
    let mut out: BTreeMap<(NaiveDate, CameraCode), DayCounts> = BTreeMap::new();
    for e in events {
        let Some(cam) = e.camera else { continue };
        let c = out.entry((e.time_cst.date(), cam)).or_default();
        match &e.kind {
            EventKind::Crossing {
                direction: PersonDirection::Down,
                ..
            } => c.people_down += 1,
            EventKind::Crossing {
                direction: PersonDirection::Up,
                ..
            } => c.people_up += 1,
            EventKind::Truck {
                direction: TruckDirection::Out,
                ..
            } => c.trucks_out += 1,
            EventKind::Truck {
                direction: TruckDirection::In,
                ..
            } => c.trucks_in += 1,
            EventKind::SkipTrip { .. } => c.skip_trips += 1,
            _ => {}
        }
    }
    out
}

/// Solves every event of the run, in time order, with daily counts filled in.
pub fn events(s: &Scenario, plan: &Plan, clock: &Clock) -> Vec<Event> {
    let dur = s.duration_ns;
    let mut raw: Vec<(u64, Option<CameraCode>, EventKind)> = Vec::new();
    let code = |c: usize| s.cameras.get(c).map(|c| c.code);

    for p in &plan.people {
        let Some(edge) = s.cameras.get(p.camera).and_then(|c| c.edge) else {
            continue;
        };
        for x in crossings(&p.track, &edge) {
            let direction = if x.inward {
                PersonDirection::Down
            } else {
                PersonDirection::Up
            };
            raw.push((
                x.t_ns,
                code(p.camera),
                EventKind::Crossing {
                    id: p.id,
                    direction,
                    count: None,
                },
            ));
        }
    }
    for k in &plan.trucks {
        let Some(edge) = s.cameras.get(k.camera).and_then(|c| c.edge) else {
            continue;
        };
        for x in crossings(&k.track, &edge) {
            let direction = if x.inward {
                TruckDirection::In
            } else {
                TruckDirection::Out
            };
            raw.push((
                x.t_ns,
                code(k.camera),
                EventKind::Truck {
                    id: k.id,
                    direction,
                    loaded: k.look.loaded,
                    count: None,
                },
            ));
        }
    }
    for (c, phases) in plan.belts.iter().enumerate() {
        let mut last = None;
        for p in phases {
            let state = match p.state {
                BeltState::Stopped => TransportState::Stopped,
                BeltState::RunningLoaded => TransportState::RunningLoaded,
                BeltState::RunningEmpty => TransportState::RunningEmpty,
            };
            // The first key always (the belt's initial state), then changes only.
            if last != Some(state) {
                raw.push((
                    p.at_ns,
                    code(c),
                    EventKind::Transport {
                        equipment: EquipmentKind::Belt,
                        state,
                    },
                ));
            }
            last = Some(state);
        }
    }
    for (c, phases) in plan.skips.iter().enumerate() {
        let mut last = TransportState::Stopped;
        for p in phases {
            let state = if p.h0 == p.h1 {
                TransportState::Stopped
            } else if p.loaded {
                TransportState::RunningLoaded
            } else {
                TransportState::RunningEmpty
            };
            if state != last {
                raw.push((
                    p.t0,
                    code(c),
                    EventKind::Transport {
                        equipment: EquipmentKind::Skip,
                        state,
                    },
                ));
                last = state;
            }
            if p.h1 > p.h0 {
                raw.push((
                    p.t1,
                    code(c),
                    EventKind::SkipTrip {
                        trip: 0,
                        loaded: p.loaded,
                    },
                ));
            }
        }
    }
    for t in &s.tamper {
        let analysis = t.kind.analysis_code().to_owned();
        raw.push((
            t.from_ns,
            code(t.camera),
            EventKind::TamperStart {
                kind: t.kind,
                analysis: analysis.clone(),
            },
        ));
        raw.push((
            t.until_ns,
            code(t.camera),
            EventKind::TamperEnd {
                kind: t.kind,
                analysis,
            },
        ));
    }
    for l in &s.locks {
        raw.push((
            l.at_ns,
            None,
            EventKind::Lock {
                lock: l.code,
                state: l.state,
            },
        ));
    }
    for (t, mode) in mode_switches(s) {
        for cam in &s.cameras {
            raw.push((t, Some(cam.code), EventKind::Lighting { mode }));
        }
    }
    raw.retain(|(t, _, _)| *t <= dur);

    // Midnights: a day_end per counting camera.
    let counting: Vec<CameraCode> = s
        .cameras
        .iter()
        .filter(|c| !matches!(c.site, SiteKind::Belt))
        .map(|c| c.code)
        .collect();
    let midnights = clock.midnights_until(dur);
    for m in &midnights {
        for cam in &counting {
            raw.push((
                *m,
                Some(*cam),
                EventKind::DayEnd {
                    date: clock.cst_day(*m).pred_opt().unwrap_or_default(),
                    people_down: 0,
                    people_up: 0,
                    trucks_out: 0,
                    trucks_in: 0,
                    skip_trips: 0,
                },
            ));
        }
    }

    raw.sort_by(|a, b| {
        (a.0, a.2.rank(), a.1.map(|c| c.get()), a.2.id()).cmp(&(
            b.0,
            b.2.rank(),
            b.1.map(|c| c.get()),
            b.2.id(),
        ))
    });

    let mut today: BTreeMap<CameraCode, DayCounts> = BTreeMap::new();
    let mut out = Vec::with_capacity(raw.len());
    for (t, camera, mut kind) in raw {
        if let Some(cam) = camera {
            let c = today.entry(cam).or_default();
            match &mut kind {
                EventKind::Crossing {
                    direction: PersonDirection::Down,
                    count,
                    ..
                } => {
                    c.people_down += 1;
                    *count = Some(c.people_down);
                }
                EventKind::Crossing {
                    direction: PersonDirection::Up,
                    ..
                } => c.people_up += 1,
                EventKind::Truck {
                    direction: TruckDirection::Out,
                    count,
                    ..
                } => {
                    c.trucks_out += 1;
                    *count = Some(c.trucks_out);
                }
                EventKind::Truck {
                    direction: TruckDirection::In,
                    ..
                } => c.trucks_in += 1,
                EventKind::SkipTrip { trip, .. } => {
                    c.skip_trips += 1;
                    *trip = c.skip_trips;
                }
                EventKind::DayEnd {
                    people_down,
                    people_up,
                    trucks_out,
                    trucks_in,
                    skip_trips,
                    ..
                } => {
                    let done = std::mem::take(c);
                    *people_down = done.people_down;
                    *people_up = done.people_up;
                    *trucks_out = done.trucks_out;
                    *trucks_in = done.trucks_in;
                    *skip_trips = done.skip_trips;
                }
                _ => {}
            }
        }
        out.push(Event {
            t_ns: t,
            time_cst: clock.mine_time(t),
            camera,
            kind,
        });
    }
    out
}

/// Instants where the colour mode changes (C6), with the new mode. Ramps are solved exactly.
fn mode_switches(s: &Scenario) -> Vec<(u64, ColourMode)> {
    let mut out = Vec::new();
    let mut mode = light_level(s, 0).2;
    // Candidate instants: each key and, inside each ramp, where ambient meets the threshold.
    let mut cands: Vec<u64> = s.lighting.iter().map(|k| k.at_ns).collect();
    for w in s.lighting.windows(2) {
        let (a, b) = (w[0], w[1]);
        let th = crate::scenario::IR_SWITCH_AMBIENT;
        if (a.ambient - th) * (b.ambient - th) < 0.0 {
            let f = (a.ambient - th) / (a.ambient - b.ambient);
            let t = a.at_ns as f64 + (b.at_ns - a.at_ns) as f64 * f;
            // The first instant on the new side.
            let t = t.ceil() as u64;
            cands.push(t);
            cands.push(t + 1);
        }
    }
    cands.sort_unstable();
    cands.dedup();
    for t in cands {
        let m = light_level(s, t).2;
        if m != mode {
            out.push((t, m));
            mode = m;
        }
    }
    out
}

/// Writes events as JSON Lines.
pub fn write_jsonl(events: &[Event], mut w: impl Write) -> io::Result<()> {
    for e in events {
        serde_json::to_writer(&mut w, e).map_err(io::Error::other)?;
        w.write_all(b"\n")?;
    }
    Ok(())
}

/// Reads events written by [`write_jsonl`].
pub fn read_jsonl(text: &str) -> Result<Vec<Event>, serde_json::Error> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str)
        .collect()
}

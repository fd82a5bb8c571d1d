//! The site: which cameras a kind of scene has, the mine under seal, and the equipment — belt
//! state changes and skip trips (E2, U3) and e-lock events (U5).
//!
//! - shaft: one people camera, a shaft mouth (code 20, 10 or 21) or, one time in five, a
//!   return-air shaft (12, as the public suite numbers it: the spec has no code for it, U8);
//! - gate: one vehicle-gate camera (30);
//! - site: shaft mouth 20, vehicle gate 30, and a belt (10) and/or a skip headframe (11), each
//!   in three scenes of four and at least one; one to five e-lock events of the equipment there.
//!
//! Belt: its first state at the start (stopped 0.4, running loaded 0.4, running empty 0.2), then
//! a change to another state every 15–45 s (20–120 s in runs of 10 minutes or more), at
//! 1–4 m/s; none in the last 12 s (a U3 clip is 10 s). Skips: entries of 1–3 trips, loaded
//! three times in four, 8–14 s of travel, 3–6 s of dwell, 12–16 m of hoist, up to 20 s apart,
//! finished 5 s before the end. Locks: 12 s apart at least (a U5 clip is 10 s), 8 s after the
//! start to 12 s before the end; moved 0.7, damaged 0.3.

use eseal_protocol::{CameraCode, CameraKind, LockCode, LockKind, LockState, MineCode};
use rand::Rng;
use rand_chacha::ChaCha12Rng;

use super::{Kind, offset, pick, uniform};
use crate::scenario::file;
use crate::scenario::{BeltState, MineState};
use crate::scene::SiteKind;

/// The counties a drawn mine lies in: code and region text (`省…市…县` names the units the
/// certification creates).
const COUNTIES: [(&str, &str, &str); 3] = [
    ("140923", "山西省忻州市代县", "代县"),
    ("140924", "山西省忻州市繁峙县", "繁峙县"),
    ("140421", "山西省长治市长治县", "长治县"),
];

/// The cameras of a `kind` of scene: site and code.
pub(super) fn cameras(kind: Kind, r: &mut ChaCha12Rng) -> Vec<(SiteKind, CameraCode)> {
    let code = |c: u8| {
        let kind = match c / 10 {
            1 => CameraKind::MainShaft,
            2 => CameraKind::AuxiliaryShaft,
            _ => CameraKind::VehicleGate,
        };
        CameraCode::new(kind, c % 10).expect("a units digit is 0–9")
    };
    match kind {
        Kind::Shaft => {
            if r.random_bool(0.2) {
                vec![(SiteKind::ReturnAirShaft, code(12))]
            } else {
                let c = pick(r, &[(20, 0.6), (10, 0.25), (21, 0.15)]);
                vec![(SiteKind::ShaftMouth, code(c))]
            }
        }
        Kind::Gate => vec![(SiteKind::VehicleGate, code(30))],
        Kind::Site => {
            let mut v = vec![
                (SiteKind::ShaftMouth, code(20)),
                (SiteKind::VehicleGate, code(30)),
            ];
            let (belt, skip) = pick(
                r,
                &[
                    ((true, true), 0.5),
                    ((true, false), 0.25),
                    ((false, true), 0.25),
                ],
            );
            if belt {
                v.push((SiteKind::Belt, code(10)));
            }
            if skip {
                v.push((SiteKind::SkipHeadframe, code(11)));
            }
            v
        }
    }
}

/// The mine under seal: a county of [`COUNTIES`], a number in it, a state.
pub(super) fn mine(r: &mut ChaCha12Rng, seed: u64) -> file::Mine {
    let (county, region, county_name) = COUNTIES[r.random_range(0..COUNTIES.len())];
    let number: u32 = r.random_range(1..=999_999);
    let code = MineCode::parse(&format!("{county}{number:06}"))
        .expect("a county code and 6 digits are a mine code (R1)");
    let ore = pick(r, &[("铁矿", 0.5), ("金矿", 0.2), ("煤矿", 0.3)]);
    file::Mine {
        code,
        name: format!("{county_name}随机{ore}（种子 {seed}）"),
        region: region.to_owned(),
        state: pick(
            r,
            &[
                (MineState::ProductionStopped, 0.5),
                (MineState::ConstructionStopped, 0.25),
                (MineState::Closed, 0.25),
            ],
        ),
    }
}

/// Belt state changes of belt camera `camera`.
pub(super) fn belt(
    r: &mut ChaCha12Rng,
    camera: CameraCode,
    duration_s: f64,
    root: &mut file::Root,
) {
    let mut state = pick(
        r,
        &[
            (BeltState::Stopped, 0.4),
            (BeltState::RunningLoaded, 0.4),
            (BeltState::RunningEmpty, 0.2),
        ],
    );
    let (lo, hi) = if duration_s >= 600.0 {
        (20.0, 120.0)
    } else {
        (15.0, 45.0)
    };
    let mut at = 0.0;
    loop {
        let speed_mps = (state != BeltState::Stopped).then(|| uniform(r, 1.0, 4.0, 0.1));
        root.belt.push(file::Belt {
            camera,
            at: offset(at),
            state,
            speed_mps,
        });
        at += uniform(r, lo, hi, 0.1);
        if at > duration_s - 12.0 {
            break;
        }
        let others: Vec<(BeltState, f64)> = [
            BeltState::Stopped,
            BeltState::RunningLoaded,
            BeltState::RunningEmpty,
        ]
        .into_iter()
        .filter(|s| *s != state)
        .map(|s| (s, 1.0))
        .collect();
        state = pick(r, &others);
    }
}

/// Skip trips of skip camera `camera`.
pub(super) fn skips(
    r: &mut ChaCha12Rng,
    camera: CameraCode,
    duration_s: f64,
    root: &mut file::Root,
) {
    let mut at = uniform(r, 2.0, 10.0, 0.1);
    loop {
        let travel = uniform(r, 8.0, 14.0, 0.1);
        let dwell = uniform(r, 3.0, 6.0, 0.1);
        let trip = 2.0 * (travel + dwell);
        let mut trips = r.random_range(1..=3u32);
        while trips > 0 && at + f64::from(trips) * trip > duration_s - 5.0 {
            trips -= 1;
        }
        if trips == 0 {
            break;
        }
        root.skips.push(file::Skip {
            camera,
            at: offset(at),
            trips,
            loaded: r.random_bool(0.75),
            travel_s: Some(travel),
            dwell_s: Some(dwell),
            height_m: Some(uniform(r, 12.0, 16.0, 0.1)),
        });
        // Rounded up to the file's 0.1 s so that entries never overlap as written.
        at = ((at + f64::from(trips) * trip + uniform(r, 0.0, 20.0, 0.1)) * 10.0).ceil() / 10.0
            + 0.1;
    }
}

/// E-lock events of the equipment on site: hoist 1x and skip 5x with a skip headframe, belt 2x
/// with a belt, winch 3x and tram 4x anywhere; the first of its kind (10, 20, …) four times in
/// five, else the second (11, 21, …).
pub(super) fn locks(
    r: &mut ChaCha12Rng,
    cameras: &[file::Camera],
    duration_s: f64,
    root: &mut file::Root,
) {
    let mut kinds = vec![LockKind::Winch, LockKind::Tram];
    if cameras.iter().any(|c| c.site == SiteKind::Belt) {
        kinds.push(LockKind::Belt);
    }
    if cameras.iter().any(|c| c.site == SiteKind::SkipHeadframe) {
        kinds.extend([LockKind::Hoist, LockKind::Skip]);
    }
    let most = (1 + (duration_s / 60.0) as u32).min(5);
    let n = r.random_range(1..=most);
    let mut at = uniform(r, 8.0, 20.0, 0.1);
    for _ in 0..n {
        if at > duration_s - 12.0 {
            break;
        }
        let kind = kinds[r.random_range(0..kinds.len())];
        // Now and then the second lock of its kind (11, 21, …: U5's numbering).
        let index = u8::from(r.random_bool(0.2));
        let code = LockCode::new(kind, index).expect("index 0 or 1 is a lock code");
        root.locks.push(file::Lock {
            code,
            state: pick(r, &[(LockState::Moved, 0.7), (LockState::Damaged, 0.3)]),
            at: offset(at),
        });
        at += uniform(r, 12.0, 40.0, 0.1);
    }
}

//! Tampering (U4): every kind the scenario format has, each with a parameter a device must
//! notice (not a 5 % cover): cover 40–100 %, smear 0.5–1, defocus 8–25 px at 1280 wide (scaled
//! with the image), the camera knocked 15–45° in pan and up to 10° in tilt, a frozen picture,
//! over-exposure ×3–10, under-exposure ×0.03–0.25.
//!
//! A camera is tampered with in `p` of the scenes, 1 to one window per minute of the run (at
//! most 4), each 12–25 s (up to 60 s in runs of 10 minutes or more). Windows start 12 s into
//! the run at the earliest (the device first learns its reference view), end 10 s before its
//! end at the latest (the U4 comes after a check), keep 15 s apart (the device learns the view
//! again in between) and together cover at most a quarter of the run — the judge leaves a
//! tamper window's events out of the counts, and a scene mostly left out proves nothing.
//!
//! The quarter bounds time, not events: traffic may bunch in a window. So once the scene is
//! written, [`overshadowing`] reads the truth the simulator solves from it and finds a window
//! that leaves out more than [`EXCLUDED_AT_MOST`] of a camera's crossings of one direction (or
//! trucks of one direction); the generator drops it and writes the scene again.

use rand::Rng;
use rand_chacha::ChaCha12Rng;

use super::{offset, uniform};
use crate::scenario::file;
use crate::scenario::{Scenario, TamperKindSpec};
use crate::truth::EventKind;

/// Every kind, drawn uniformly.
const KINDS: [TamperKindSpec; 7] = [
    TamperKindSpec::Cover,
    TamperKindSpec::Smear,
    TamperKindSpec::Defocus,
    TamperKindSpec::AngleMoved,
    TamperKindSpec::Freeze,
    TamperKindSpec::OverExposure,
    TamperKindSpec::UnderExposure,
];
const FIRST_S: f64 = 12.0;
const LAST_BEFORE_END_S: f64 = 10.0;
const GAP_S: f64 = 15.0;
const SHORTEST_S: f64 = 12.0;
const BUDGET: f64 = 0.25;
/// The judge leaves the events within 1 s of a tamper window out of the counts
/// (`src/judge/checks/exclusion.rs`, `MARGIN_S`) ...
const MARGIN_NS: u64 = 1_000_000_000;
/// ... and finds a count check INCONCLUSIVE when over half of them are left out
/// (`EXCLUSION_LIMIT`); drawn scenes keep below this share.
pub const EXCLUDED_AT_MOST: f64 = 0.4;

/// The tampering of camera `cam` in a run of `duration_s`, in time order.
pub(super) fn draw(
    r: &mut ChaCha12Rng,
    cam: &file::Camera,
    duration_s: f64,
    p: f64,
) -> Vec<file::Tamper> {
    if !r.random_bool(p) {
        return Vec::new();
    }
    let most = ((duration_s / 60.0).floor() as usize).clamp(1, 4);
    let n = r.random_range(1..=most);
    let longest = if duration_s >= 600.0 { 60.0 } else { 25.0 };
    let room = duration_s - FIRST_S - LAST_BEFORE_END_S;
    let mut budget = BUDGET * duration_s;
    let mut lengths = Vec::new();
    for _ in 0..n {
        let len = uniform(r, SHORTEST_S, longest, 0.1).min(budget);
        let used: f64 = lengths.iter().sum::<f64>() + GAP_S * lengths.len() as f64;
        if len < SHORTEST_S || used + len > room {
            break;
        }
        budget -= len;
        lengths.push(len);
    }
    // The free time, cut at random points, goes before each window.
    let free = room - lengths.iter().sum::<f64>() - GAP_S * lengths.len().saturating_sub(1) as f64;
    let mut cuts: Vec<f64> = (0..lengths.len())
        .map(|_| r.random_range(0.0..=free.max(0.0)))
        .collect();
    cuts.sort_by(f64::total_cmp);
    let mut out = Vec::new();
    let mut t = FIRST_S;
    let mut before = 0.0;
    for (len, cut) in lengths.into_iter().zip(cuts) {
        t += cut - before;
        before = cut;
        let from = (t * 10.0).ceil() / 10.0;
        let until = from + len;
        let kind = KINDS[r.random_range(0..KINDS.len())];
        out.push(window(r, cam, kind, from, until));
        t = until + GAP_S;
    }
    out
}

/// One window of `kind` with its parameter.
fn window(
    r: &mut ChaCha12Rng,
    cam: &file::Camera,
    kind: TamperKindSpec,
    from: f64,
    until: f64,
) -> file::Tamper {
    let mut t = file::Tamper {
        camera: cam.code,
        kind,
        from: offset(from),
        until: offset(until),
        fraction: None,
        strength: None,
        radius_px: None,
        pan_deg: None,
        tilt_deg: None,
        gain: None,
    };
    match kind {
        TamperKindSpec::Cover => t.fraction = Some(uniform(r, 0.4, 1.0, 0.01)),
        TamperKindSpec::Smear => t.strength = Some(uniform(r, 0.5, 1.0, 0.01)),
        TamperKindSpec::Defocus => {
            let scale = f64::from(cam.width) / 1280.0;
            let radius = uniform(r, 8.0, 25.0, 0.5) * scale;
            t.radius_px = Some(super::round(radius, 0.5).clamp(1.0, 100.0));
        }
        TamperKindSpec::AngleMoved => {
            let sign = if r.random_bool(0.5) { 1.0 } else { -1.0 };
            t.pan_deg = Some(sign * uniform(r, 15.0, 45.0, 0.5));
            t.tilt_deg = Some(uniform(r, -10.0, 10.0, 0.5));
        }
        TamperKindSpec::Freeze => {}
        TamperKindSpec::OverExposure => t.gain = Some(uniform(r, 3.0, 10.0, 0.1)),
        TamperKindSpec::UnderExposure => t.gain = Some(uniform(r, 0.03, 0.25, 0.01)),
    }
    t
}

/// The index (in file order) of a tamper window that leaves out more than [`EXCLUDED_AT_MOST`]
/// of one camera's people crossing one way, or trucks going one way, in the truth of `s` — the
/// window with the most of them — or `None` when every count stays judgeable.
pub fn overshadowing(s: &Scenario, events: &[crate::truth::Event]) -> Option<usize> {
    for (c, cam) in s.cameras.iter().enumerate() {
        let windows: Vec<(usize, u64, u64)> = s
            .tamper
            .iter()
            .enumerate()
            .filter(|(_, t)| t.camera == c)
            .map(|(i, t)| {
                (
                    i,
                    t.from_ns.saturating_sub(MARGIN_NS),
                    t.until_ns + MARGIN_NS,
                )
            })
            .collect();
        if windows.is_empty() {
            continue;
        }
        // One class per direction of people and of trucks: what a count check scores.
        let mut classes: std::collections::BTreeMap<String, Vec<u64>> = Default::default();
        for e in events.iter().filter(|e| e.camera == Some(cam.code)) {
            let class = match &e.kind {
                EventKind::Crossing { direction, .. } => format!("people {direction:?}"),
                EventKind::Truck { direction, .. } => format!("trucks {direction:?}"),
                _ => continue,
            };
            classes.entry(class).or_default().push(e.t_ns);
        }
        for times in classes.values() {
            let inside = |&(_, a, b): &(usize, u64, u64)| {
                times.iter().filter(|&&t| (a..=b).contains(&t)).count()
            };
            let left_out: usize = times
                .iter()
                .filter(|&&t| windows.iter().any(|&(_, a, b)| (a..=b).contains(&t)))
                .count();
            if left_out as f64 > EXCLUDED_AT_MOST * times.len() as f64 {
                return windows.iter().max_by_key(|w| inside(w)).map(|w| w.0);
            }
        }
    }
    None
}

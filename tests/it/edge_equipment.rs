//! The reference device's equipment (E2, U3) and tamper (U4) analysers on simulator footage,
//! scored against the simulator's ground truth.
//!
//! Key design decision: **the analysers see only what a device sees.** Frames are rendered
//! in-process and handed over as `eseal_vision::frame::Frame`s with their presentation times;
//! the camera configuration comes from the installer's survey (`eseal::edge::install`). Truth
//! events are read only here, after the fact, to score: every belt `transport` change once
//! (±2 s, the right U3 state), skip trips exactly (with their load), and for tampering one
//! finding of the right U4 type (04 / 05) inside every tamper interval and none at checks away
//! from one — on the public scenarios and on harder variants of them made here (night IR with
//! flicker and noise, a fast belt at dusk, half the frame rate).

use std::path::Path;
use std::time::{Duration, Instant};

use eseal_protocol::{TamperKind, TransportState};
use eseal_simulator::World;
use eseal_simulator::render::{Rendered, Renderer};
use eseal_simulator::truth::{EquipmentKind, EventKind};
use eseal_vision::config::CameraConfig;
use eseal_vision::equipment::{BeltAnalyzer, SkipAnalyzer, SkipEvent, TransportChange};
use eseal_vision::frame::Frame;
use eseal_vision::tamper::TamperAnalyzer;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const NS: f64 = 1e9;

/// A scenario from `scenarios/`, optionally edited (`(from, to)` text replacements, then text
/// appended), as the world and the cameras the device is installed with.
fn load(name: &str, edits: &[(&str, &str)], append: &str) -> (World, Vec<CameraConfig>) {
    let mut text = std::fs::read_to_string(format!("{ROOT}/scenarios/conformant/{name}")).unwrap();
    for (from, to) in edits {
        assert!(text.contains(from), "{name}: no {from:?} to edit");
        text = text.replacen(from, to, 1);
    }
    text.push_str(append);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    let (scenario, _) = eseal_simulator::check(&path).unwrap();
    let config = eseal::edge::install::device_config(&scenario, Path::new("/nonexistent"));
    (World::new(&scenario), config.cameras)
}

/// Renders frames `0, step, 2·step, …` of camera `cam` and hands each to `f`; returns the time
/// spent inside `f` and the number of frames.
fn each_frame(world: &World, cam: usize, step: u64, mut f: impl FnMut(&Frame)) -> (Duration, u64) {
    let mut renderer = Renderer::new();
    let mut out = Rendered::empty();
    let (mut spent, mut n) = (Duration::ZERO, 0);
    let mut k = 0;
    while k < world.frame_count(cam) {
        renderer
            .render_into(&world.scene_at(cam, k), &mut out)
            .unwrap();
        let frame = Frame::new(
            out.frame.width,
            out.frame.height,
            std::mem::take(&mut out.frame.rgb),
            out.frame.pts_ns,
        )
        .unwrap();
        let t0 = Instant::now();
        f(&frame);
        spent += t0.elapsed();
        n += 1;
        k += step;
    }
    (spent, n)
}

/// Truth transport changes of one equipment kind: `(t_ns, state)`.
fn truth_transport(world: &World, equipment: EquipmentKind) -> Vec<(u64, TransportState)> {
    world
        .events()
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Transport {
                equipment: q,
                state,
            } if *q == equipment => Some((e.t_ns, *state)),
            _ => None,
        })
        .collect()
}

fn secs(ns: u64) -> f64 {
    ns as f64 / NS
}

fn ms_per_frame(spent: Duration, n: u64) -> f64 {
    spent.as_secs_f64() * 1e3 / n.max(1) as f64
}

// ---------------------------------------------------------------------------------------------
// Belt (E2, U3).

/// Runs the belt analyser over a variant and checks it against the truth; returns the table row.
fn check_belt(label: &str, edits: &[(&str, &str)], append: &str, step: u64) -> String {
    let (world, cams) = load("belt-state-changes.toml", edits, append);
    let mut a = BeltAnalyzer::new(&cams[0]);
    let mut found: Vec<TransportChange> = Vec::new();
    let (spent, n) = each_frame(&world, 0, step, |f| found.extend(a.push(f)));
    // U3: an initially stopped belt is not a change.
    let expected: Vec<(u64, TransportState)> = truth_transport(&world, EquipmentKind::Belt)
        .into_iter()
        .filter(|(t, s)| !(*t == 0 && *s == TransportState::Stopped))
        .collect();
    let mut used = vec![false; found.len()];
    let mut errors = Vec::new();
    for (t, state) in &expected {
        let hit = found.iter().enumerate().find(|(i, c)| {
            !used[*i] && c.state == *state && (secs(c.pts_ns) - secs(*t)).abs() <= 2.0
        });
        let Some((i, c)) = hit else {
            panic!(
                "{label}: truth change to {state:?} at {:.2} s not found; found {found:?}",
                secs(*t)
            );
        };
        used[i] = true;
        errors.push(secs(c.pts_ns) - secs(*t));
    }
    assert_eq!(
        found.len(),
        expected.len(),
        "{label}: extra changes: {found:?} for truth {expected:?}"
    );
    let worst = errors.iter().fold(0.0f64, |m, e| m.max(e.abs()));
    let latency = found
        .iter()
        .map(|c| secs(c.recognised_ns - c.pts_ns))
        .fold(0.0f64, f64::max);
    format!(
        "  {label:<34} {:>2}/{:<2}  errors {:<30} worst {worst:.2} s  decided ≤ {latency:.2} s after  {:.3} ms/frame",
        found.len(),
        expected.len(),
        errors
            .iter()
            .map(|e| format!("{e:+.2}"))
            .collect::<Vec<_>>()
            .join(" "),
        ms_per_frame(spent, n),
    )
}

#[test]
fn every_belt_state_change_is_found_once_with_its_state_within_two_seconds() {
    let night = "\n[[lighting]]\nat = \"+00:00:00\"\nambient = 0.05\nflicker = 0.2\n";
    let dusk = concat!(
        "\n[[lighting]]\nat = \"+00:00:00\"\nambient = 0.7\ndusk = 0.3\nflicker = 0.1\n",
        "\n[[lighting]]\nat = \"+00:01:30\"\nambient = 0.3\ndusk = 0.8\nflicker = 0.1\n",
    );
    let slow_noisy = [
        ("speed_mps = 2.5", "speed_mps = 1.0"),
        ("hfov_deg = 60", "hfov_deg = 60\nnoise_sigma = 4.0"),
    ];
    let rows = [
        check_belt("belt-state-changes", &[], "", 1),
        check_belt("  at 12.5 fps (every 2nd frame)", &[], "", 2),
        check_belt("  night IR, flicker, noise 4, 1 m/s", &slow_noisy, night, 1),
        check_belt(
            "  dusk ramp, flicker, 6 m/s",
            &[("speed_mps = 2.5", "speed_mps = 6.0")],
            dusk,
            1,
        ),
    ];
    println!("belt (E2/U3): changes found/expected, pts error per change (found − truth)");
    for r in rows {
        println!("{r}");
    }
}

// ---------------------------------------------------------------------------------------------
// Skip (E2, U3).

fn check_skip(label: &str, edits: &[(&str, &str)], append: &str) -> String {
    let (world, cams) = load("skip-trips-locks.toml", edits, append);
    let mut a = SkipAnalyzer::new(&cams[0]);
    let mut events = Vec::new();
    let (spent, n) = each_frame(&world, 0, 1, |f| events.extend(a.push(f)));
    let truth_trips: Vec<(u64, bool)> = world
        .events()
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::SkipTrip { loaded, .. } => Some((e.t_ns, loaded)),
            _ => None,
        })
        .collect();
    let trips: Vec<(u64, bool, u32)> = events
        .iter()
        .filter_map(|e| match *e {
            SkipEvent::Trip {
                pts_ns,
                loaded,
                trip_of_day,
            } => Some((pts_ns, loaded, trip_of_day)),
            SkipEvent::Transport(_) => None,
        })
        .collect();
    assert_eq!(
        trips.len(),
        truth_trips.len(),
        "{label}: trips {trips:?}, truth {truth_trips:?}"
    );
    for (i, ((_, loaded, count), (t, want))) in trips.iter().zip(&truth_trips).enumerate() {
        assert_eq!(
            (*loaded, *count),
            (*want, i as u32 + 1),
            "{label}: trip {} (truth at {:.1} s): {trips:?}",
            i + 1,
            secs(*t)
        );
    }
    // Transport changes: the same sequence of states as the truth. The skip is out of this
    // camera's view at the top (its dwell and the last 2.8 s of the hoist and the first of the
    // descent) and at the bottom, so a stop at the top is seen when the skip leaves the
    // picture and a descent when it comes back into it: those are up to ~3 s off.
    let truth = truth_transport(&world, EquipmentKind::Skip);
    let changes: Vec<TransportChange> = events
        .iter()
        .filter_map(|e| match e {
            SkipEvent::Transport(c) => Some(*c),
            SkipEvent::Trip { .. } => None,
        })
        .collect();
    let states: Vec<TransportState> = changes.iter().map(|c| c.state).collect();
    let want: Vec<TransportState> = truth.iter().map(|(_, s)| *s).collect();
    assert_eq!(states, want, "{label}: {changes:?}");
    let errors: Vec<f64> = changes
        .iter()
        .zip(&truth)
        .map(|(c, (t, _))| secs(c.pts_ns) - secs(*t))
        .collect();
    assert!(errors.iter().all(|e| e.abs() <= 3.5), "{label}: {errors:?}");
    let trip_errors: Vec<String> = trips
        .iter()
        .zip(&truth_trips)
        .map(|(a, b)| format!("{:+.1}", secs(a.0) - secs(b.0)))
        .collect();
    format!(
        "  {label:<24} trips {}/{} (loaded {}), pts − arrival at the top {}\n  {:<24} changes {}/{}, errors {}  {:.3} ms/frame",
        trips.len(),
        truth_trips.len(),
        trips
            .iter()
            .map(|t| if t.1 { "y" } else { "n" })
            .collect::<String>(),
        trip_errors.join(" "),
        "",
        changes.len(),
        truth.len(),
        errors
            .iter()
            .map(|e| format!("{e:+.1}"))
            .collect::<Vec<_>>()
            .join(" "),
        ms_per_frame(spent, n),
    )
}

#[test]
fn skip_trips_are_counted_exactly_with_their_load() {
    let night = "\n[[lighting]]\nat = \"+00:00:00\"\nambient = 0.05\nflicker = 0.2\n";
    let rows = [
        check_skip("skip-trips-locks", &[], ""),
        check_skip(
            "  night IR, flicker, noise 4",
            &[("hfov_deg = 60", "hfov_deg = 60\nnoise_sigma = 4.0")],
            night,
        ),
    ];
    println!("skip (E2/U3):");
    for r in rows {
        println!("{r}");
    }
}

// ---------------------------------------------------------------------------------------------
// Tamper (U4).

/// Check cadence in the tests (U4 says once an hour).
const INTERVAL_S: f64 = 5.0;

/// One tamper interval on a camera from the truth: `[from, until)`, its kind and U4 type.
#[derive(Debug, Clone)]
struct Interval {
    from: u64,
    until: u64,
    kind: String,
    analysis: TamperKind,
}

fn intervals(world: &World, camera: &CameraConfig) -> Vec<Interval> {
    let mut open: Vec<(u64, String, String)> = Vec::new();
    let mut out = Vec::new();
    for e in world
        .events()
        .iter()
        .filter(|e| e.camera == Some(camera.code))
    {
        match &e.kind {
            EventKind::TamperStart { kind, analysis } => {
                open.push((e.t_ns, format!("{kind:?}"), analysis.clone()))
            }
            EventKind::TamperEnd { kind, .. } => {
                let k = format!("{kind:?}");
                let i = open.iter().position(|o| o.1 == k).unwrap();
                let (from, kind, analysis) = open.remove(i);
                out.push(Interval {
                    from,
                    until: e.t_ns,
                    kind,
                    analysis: TamperKind::parse(&analysis).unwrap(),
                });
            }
            _ => {}
        }
    }
    out
}

/// One check: its instant and the finding (type and score), if any.
type Check = (u64, Option<(TamperKind, f32)>);

/// Every check of one camera, and the analyser's time per frame (ms).
fn checks(world: &World, cam: usize, camera: &CameraConfig, step: u64) -> (Vec<Check>, f64) {
    let mut a = TamperAnalyzer::new(camera, INTERVAL_S);
    let mut out: Vec<Check> = Vec::new();
    let (spent, n) = each_frame(world, cam, step, |f| {
        let finding = a.push(f);
        if let Some(c) = a.last_check()
            && out.last().is_none_or(|(t, _)| *t != c.pts_ns)
        {
            out.push((c.pts_ns, None));
        }
        if let (Some(fd), Some(last)) = (finding, out.last_mut()) {
            assert_eq!(fd.pts_ns, last.0);
            last.1 = Some((fd.kind, fd.score));
        }
    });
    (out, ms_per_frame(spent, n))
}

#[test]
fn every_tamper_kind_is_found_with_its_type_and_nothing_else_is() {
    let (world, cams) = load("tamper-all-kinds.toml", &[], "");
    println!("tamper (U4), checks every {INTERVAL_S} s on tamper-all-kinds:");
    for (cam, camera) in cams.iter().enumerate() {
        let (checks, ms) = checks(&world, cam, camera, 1);
        let ivs = intervals(&world, camera);
        assert!(!ivs.is_empty());
        // A check straddles a boundary when it is the first at or after it: its evidence
        // (the last 7.5 s of thumbnails) holds frames from both sides.
        let first_at_or_after = |t: u64| checks.iter().map(|c| c.0).find(|c| *c >= t);
        for iv in &ivs {
            let inside: Vec<&Check> = checks
                .iter()
                .filter(|(t, _)| *t > iv.from && *t < iv.until)
                .collect();
            let hits: Vec<String> = inside
                .iter()
                .map(|(t, f)| match f {
                    Some((k, s)) => format!("{:.0}s:{}({s:.2})", secs(*t), k.code()),
                    None => format!("{:.0}s:-", secs(*t)),
                })
                .collect();
            println!(
                "  camera {} {:<14} {:>5.1}–{:<5.1} s  want {}  checks {}",
                camera.code,
                iv.kind,
                secs(iv.from),
                secs(iv.until),
                iv.analysis.code(),
                hits.join(" ")
            );
            assert!(
                inside
                    .iter()
                    .any(|(_, f)| f.is_some_and(|(k, _)| k == iv.analysis)),
                "camera {}: {} {:.1}–{:.1} s: no {} finding: {hits:?}",
                camera.code,
                iv.kind,
                secs(iv.from),
                secs(iv.until),
                iv.analysis.code()
            );
        }
        let mut false_positives = 0;
        for (t, f) in &checks {
            let Some((kind, _)) = f else { continue };
            let allowed = ivs.iter().any(|iv| {
                iv.analysis == *kind
                    && ((*t > iv.from && *t < iv.until)
                        || first_at_or_after(iv.from) == Some(*t)
                        || first_at_or_after(iv.until) == Some(*t))
            });
            if !allowed {
                false_positives += 1;
                println!(
                    "  camera {}: FALSE finding {} at {:.1} s",
                    camera.code,
                    kind.code(),
                    secs(*t)
                );
            }
        }
        println!(
            "  camera {}: {} checks, {} findings, {false_positives} outside tamper intervals, {ms:.3} ms/frame",
            camera.code,
            checks.len(),
            checks.iter().filter(|c| c.1.is_some()).count()
        );
        assert_eq!(false_positives, 0, "camera {}: {checks:?}", camera.code);
    }
}

#[test]
fn tamper_checks_stay_quiet_through_dusk_the_ir_switch_flicker_haze_and_crowds() {
    println!("tamper (U4), checks every {INTERVAL_S} s, scenarios without tampering:");
    for (name, what) in [
        ("shaft-night-ir.toml", "dusk → IR, flicker, haze, noise 3"),
        ("shaft-day-groups.toml", "groups of up to 5"),
        ("gate-trucks.toml", "trucks through the gate"),
    ] {
        let (world, cams) = load(name, &[], "");
        for (cam, camera) in cams.iter().enumerate() {
            assert!(intervals(&world, camera).is_empty(), "{name} has tampering");
            // Every second frame (12.5 fps): the analyser works on presentation times.
            let (checks, ms) = checks(&world, cam, camera, 2);
            let found: Vec<String> = checks
                .iter()
                .filter_map(|(t, f)| {
                    f.map(|(k, s)| format!("{:.0}s:{}({s:.2})", secs(*t), k.code()))
                })
                .collect();
            println!(
                "  {name:<24} camera {} ({what}): {} checks, {} findings  {ms:.3} ms/frame ({}×{})",
                camera.code,
                checks.len(),
                found.len(),
                camera.width,
                camera.height
            );
            assert!(checks.len() >= 10, "{name}: only {} checks", checks.len());
            assert!(found.is_empty(), "{name} camera {}: {found:?}", camera.code);
        }
    }
}

/// `eseal edge equipment`'s scoring (the E2 diagnosis): the public belt and skip scenarios are
/// matched change for change in the judge's window, skip trips with their loads; asked for
/// ±0.05 s, the same reports (backdated to estimated onsets) show as misses and extras.
#[test]
fn the_equipment_diagnosis_pairs_as_the_judge_and_shows_misses() {
    use eseal::edge::equipment::score_equipment;
    use eseal::judge::matching::Window;
    for name in ["belt-state-changes.toml", "skip-trips-locks.toml"] {
        let path = format!("{ROOT}/scenarios/conformant/{name}");
        let (scenario, _) = eseal_simulator::check(Path::new(&path)).unwrap();
        let scores = score_equipment(&scenario, Window::default());
        assert_eq!(scores.len(), 1, "{name}: {scores:?}");
        let s = &scores[0];
        assert!(s.true_changes > 0, "{name}: {s:?}");
        assert_eq!(
            (s.matched, s.device_changes),
            (s.true_changes, s.true_changes),
            "{name}: {:#?}",
            s.details
        );
        assert_eq!(s.trips_with_true_load, s.true_trips, "{name}: {s:?}");
        let strict = &score_equipment(&scenario, Window::symmetric(0.05))[0];
        assert!(strict.matched < strict.true_changes, "{name}: {strict:?}");
        let misses = strict
            .details
            .iter()
            .filter(|d| d.starts_with("MISSED"))
            .count();
        assert_eq!(
            misses as u32,
            strict.true_changes - strict.matched,
            "{name}: {strict:?}"
        );
    }
}

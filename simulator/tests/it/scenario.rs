//! Scenario files: every public scenario validates; bad files give file, line and field.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::path::{Path, PathBuf};

use eseal_simulator::{Scenario, check};

/// The repository's `scenarios/` directory.
pub fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios")
}

/// `scenarios/EXAMPLE.toml` and every `scenarios/conformant/*.toml`, sorted.
pub fn public_scenarios() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(scenarios_dir().join("conformant"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    out.push(scenarios_dir().join("EXAMPLE.toml"));
    out.sort();
    out
}

#[test]
fn every_public_scenario_validates() {
    let files = public_scenarios();
    assert!(
        files.len() >= 9,
        "EXAMPLE.toml and at least 8 scenarios, found {files:?}"
    );
    for f in files {
        match check(&f) {
            Ok((s, timeline)) => {
                assert!(!s.cameras.is_empty());
                let text = timeline.to_string();
                assert!(text.contains("cameras:"), "{text}");
            }
            Err(e) => panic!("{e}"),
        }
    }
}

/// A valid base scenario; each bad case replaces one line of it.
const BASE: &str = r#"seed = 7
start = "2026-11-28T08:00:00+08:00"
duration = "00:00:30"

[mine]
code = "140421007866"
name = "测试矿"
region = "山西省忻州市代县"
state = "停产"

[[cameras]]
code = "20"
site = "shaft_mouth"
width = 640
height = 360
fps = 10
position = [0.0, -4.0, 4.5]
tilt_deg = 45
yaw_deg = 90
hfov_deg = 70
edge = [[-2.5, 0.0], [2.5, 0.0]]

[[cameras]]
code = "30"
site = "vehicle_gate"
width = 640
height = 360
fps = 10
position = [0.0, -14.0, 6.0]
tilt_deg = 25
yaw_deg = 90
hfov_deg = 80
edge = [[-5.0, 0.0], [5.0, 0.0]]

[[people]]
camera = "20"
at = "+00:00:01"
direction = "down"

[[trucks]]
camera = "30"
at = 2
direction = "out"

[[tamper]]
camera = "20"
kind = "cover"
from = "+00:00:10"
until = "+00:00:15"
"#;

/// Replaces the first line equal to `old` (trimmed) with `new` and checks the error's line,
/// field and a fragment of its message.
#[track_caller]
fn check_bad(old: &str, new: &str, line: usize, field: &str, fragment: &str) {
    let mut found = false;
    let text: Vec<String> = BASE
        .lines()
        .map(|l| {
            if !found && l.trim() == old {
                found = true;
                new.to_owned()
            } else {
                l.to_owned()
            }
        })
        .collect();
    assert!(found, "base has no line {old:?}");
    let text = text.join("\n");
    let err = Scenario::parse(&text, "bad.toml").expect_err("should be rejected");
    let d = err
        .diagnostics()
        .first()
        .cloned()
        .unwrap_or_else(|| panic!("no diagnostic: {err}"));
    assert_eq!((d.line, d.field.as_str()), (line, field), "{err}");
    assert!(d.message.contains(fragment), "{err} lacks {fragment:?}");
    assert!(
        err.to_string()
            .starts_with(&format!("bad.toml:{line}: {field}: ")),
        "{err}"
    );
}

#[test]
fn base_is_valid() {
    Scenario::parse(BASE, "base.toml").unwrap();
}

#[test]
fn bad_scenarios_name_line_and_field() {
    // (line to replace, replacement, expected line, field, message fragment)
    let cases: &[(&str, &str, usize, &str, &str)] = &[
        (
            "tilt_deg = 45",
            "tilt_deg = 85",
            18,
            "cameras[0].tilt_deg",
            "expected 40–70° for a shaft mouth camera (C3), found 85",
        ),
        ("width = 640", "width = 3840", 14, "cameras[0].width", "C7"),
        (
            "code = \"30\"",
            "code = \"20\"",
            24,
            "cameras[1].code",
            "defined twice",
        ),
        (
            "code = \"30\"",
            "code = \"40\"",
            24,
            "cameras[1].code",
            "camera code 10-39",
        ),
        (
            "state = \"停产\"",
            "state = \"running\"",
            9,
            "mine.state",
            "unknown variant",
        ),
        (
            "code = \"140421007866\"",
            "code = \"14042100786\"",
            6,
            "mine.code",
            "12 digits",
        ),
        (
            "fps = 10",
            "fpss = 10",
            16,
            "cameras[0].fpss",
            "unknown field",
        ),
        (
            "fps = 10",
            "fps = \"ten\"",
            16,
            "cameras[0].fps",
            "invalid type",
        ),
        (
            "edge = [[-2.5, 0.0], [2.5, 0.0]]",
            "edge = [[-2.5, 30.0], [2.5, 0.0]]",
            21,
            "cameras[0].edge[0]",
            "outside camera 20's view",
        ),
        (
            "edge = [[-2.5, 0.0], [2.5, 0.0]]",
            "edge = [[0.0, 0.0], [0.5, 0.0]]",
            21,
            "cameras[0].edge",
            "at least 1 m",
        ),
        (
            "edge = [[-2.5, 0.0], [2.5, 0.0]]",
            "",
            11,
            "cameras[0]",
            "missing field `edge`",
        ),
        (
            "camera = \"20\"",
            "camera = \"21\"",
            36,
            "people[0].camera",
            "unknown camera 21",
        ),
        (
            "at = \"+00:00:01\"",
            "at = \"+00:01:01\"",
            37,
            "people[0].at",
            "after the end",
        ),
        (
            "at = \"+00:00:01\"",
            "at = \"+1 minute\"",
            37,
            "people[0].at",
            "HH:MM:SS",
        ),
        (
            "direction = \"down\"",
            "direction = \"sideways\"",
            38,
            "people[0].direction",
            "unknown variant",
        ),
        (
            "direction = \"out\"",
            "direction = \"down\"",
            43,
            "trucks[0].direction",
            "unknown variant",
        ),
        ("at = 2", "at = -2", 42, "trucks[0].at", "seconds ≥ 0"),
        (
            "until = \"+00:00:15\"",
            "until = \"+00:00:05\"",
            49,
            "tamper[0].until",
            "expected until after from",
        ),
        (
            "kind = \"cover\"",
            "kind = \"paint\"",
            47,
            "tamper[0].kind",
            "unknown variant",
        ),
        (
            "duration = \"00:00:30\"",
            "duration = \"2026-11-28T09:00:00+08:00\"",
            3,
            "duration",
            "length",
        ),
        (
            "start = \"2026-11-28T08:00:00+08:00\"",
            "start = \"+00:00:00\"",
            2,
            "start",
            "absolute CST",
        ),
        (
            "start = \"2026-11-28T08:00:00+08:00\"",
            "start = \"20261131080000\"",
            2,
            "start",
            "day",
        ),
        ("seed = 7", "seed = 7 7", 1, ".", ""),
    ];
    assert!(cases.len() >= 10);
    for (old, new, line, field, fragment) in cases {
        check_bad(old, new, *line, field, fragment);
    }
}

#[test]
fn overlapping_tampering_and_misplaced_actors_are_all_reported() {
    let extra = r#"
[[tamper]]
camera = "20"
kind = "freeze"
from = "+00:00:12"
until = "+00:00:20"
fraction = 0.5

[[people]]
camera = "30"
at = 3
count = 6
direction = "up"
"#;
    let text = format!("{BASE}{extra}");
    let err = Scenario::parse(&text, "bad.toml").unwrap_err();
    let got: Vec<(usize, &str)> = err
        .diagnostics()
        .iter()
        .map(|d| (d.line, d.field.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (54, "tamper[1].from"),
            (56, "tamper[1].fraction"),
            (59, "people[1].camera"),
            (61, "people[1].count"),
        ],
        "{err}"
    );
    assert!(
        err.to_string().contains("overlaps tamper[0] on camera 20"),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("people need a shaft_mouth or return_air_shaft camera"),
        "{err}"
    );
}

#[test]
fn times_offsets_and_absolute_cst_agree() {
    use eseal_simulator::scenario::TimeSpec;
    let start = chrono::DateTime::parse_from_rfc3339("2026-11-28T08:00:00+08:00").unwrap();
    let forms = [
        "+00:05:30",
        "00:05:30",
        "2026-11-28T08:05:30+08:00",
        "20261128080530",
        "2026-11-28T00:05:30Z",
    ];
    for f in forms {
        assert_eq!(
            TimeSpec::parse(f).unwrap().resolve(start),
            Some(330_000_000_000),
            "{f}"
        );
    }
    assert_eq!(
        TimeSpec::parse("+00:00:01.250").unwrap().resolve(start),
        Some(1_250_000_000)
    );
    assert_eq!(
        TimeSpec::parse("20261128075959").unwrap().resolve(start),
        None
    );
}

#[test]
fn public_shaft_cameras_meet_c4() {
    for f in public_scenarios() {
        let s = Scenario::load(&f).unwrap();
        for cam in &s.cameras {
            if let Some(fails) = eseal_simulator::timeline::c4_failures(cam) {
                assert!(
                    fails.is_empty(),
                    "{}: camera {}: {fails:?}",
                    f.display(),
                    cam.code
                );
            }
        }
    }
}

#[test]
fn a_whole_shift_from_generators_checks_fast() {
    // Eight hours of Poisson arrivals: planning and solving truth needs no frames.
    let extra = r#"
[[generators]]
kind = "people"
camera = "20"
from = 0
until = "+08:00:00"
rate_per_hour = 30
direction = "both"
p_stop_and_go = 0.1
p_turn_back = 0.1

[[generators]]
kind = "trucks"
camera = "30"
from = 0
until = "+08:00:00"
rate_per_hour = 6
direction = "out"
"#;
    let text =
        format!("{BASE}{extra}").replace("duration = \"00:00:30\"", "duration = \"08:00:00\"");
    let started = std::time::Instant::now();
    let s = Scenario::parse(&text, "shift.toml").unwrap();
    let timeline = eseal_simulator::Timeline::new(&s);
    assert!(
        started.elapsed().as_secs_f64() < 5.0,
        "{:?}",
        started.elapsed()
    );
    assert_eq!(timeline.frames(), &[288_000, 288_000]);
    let totals = timeline.totals();
    let shaft = totals
        .get(&eseal_protocol::CameraCode::parse("20").unwrap())
        .unwrap();
    let gate = totals
        .get(&eseal_protocol::CameraCode::parse("30").unwrap())
        .unwrap();
    // ≈ 240 groups of 1–3, 80 % crossing, half down: far outside these bounds means a bug.
    assert!(
        (100..=600).contains(&(shaft.people_down + shaft.people_up)),
        "{shaft:?}"
    );
    assert!((20..=80).contains(&gate.trucks_out), "{gate:?}");
}

#[test]
fn timeline_summary_of_the_midnight_scenario() {
    let text =
        std::fs::read_to_string(scenarios_dir().join("conformant/midnight-reset.toml")).unwrap();
    let s = Scenario::parse(&text, "scenarios/conformant/midnight-reset.toml").unwrap();
    insta::assert_snapshot!(eseal_simulator::Timeline::new(&s).to_string());
}

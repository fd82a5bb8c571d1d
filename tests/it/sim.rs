//! `eseal sim check` and `eseal sim render` as a certification engineer runs them.

use std::process::Command;

fn eseal(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_eseal")).args(args).output().unwrap()
}

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

#[test]
fn sim_check_prints_the_timeline_of_every_public_scenario() {
    let mut checked = 0;
    for entry in std::fs::read_dir(format!("{ROOT}/scenarios")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let out = eseal(&["sim", "check", path.to_str().unwrap()]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{}: {}{}", path.display(), text, String::from_utf8_lossy(&out.stderr));
        assert!(text.contains("seed"), "{text}");
        checked += 1;
    }
    assert!(checked >= 9, "expected at least 8 public scenarios and the example, found {checked}");
}

#[test]
fn sim_check_names_file_line_and_field_of_a_bad_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string(format!("{ROOT}/scenarios/shaft-day-groups.toml")).unwrap();
    let (line_no, line) = good
        .lines()
        .enumerate()
        .find(|(_, l)| l.trim_start().starts_with("tilt_deg"))
        .expect("the scenario sets tilt_deg");
    let bad = good.replacen(line, "tilt_deg = 89.0", 1);
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, bad).unwrap();
    let out = eseal(&["sim", "check", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("bad.toml:{}", line_no + 1)), "{err}");
    assert!(err.contains("tilt"), "{err}");
}

#[test]
fn sim_render_writes_truth_and_a_contact_sheet() {
    let dir = tempfile::tempdir().unwrap();
    let out = eseal(&[
        "sim", "render", &format!("{ROOT}/scenarios/shaft-day-groups.toml"), "--out", dir.path().to_str().unwrap(),
        "--seconds", "8",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let events = std::fs::read_to_string(dir.path().join("events.jsonl")).unwrap();
    let crossings = events.lines().filter(|l| l.contains("\"crossing\"")).count();
    assert!(crossings >= 1, "no crossing in the first 8 s: {events}");
    let objects = std::fs::read_to_string(dir.path().join("objects.jsonl")).unwrap();
    let first: serde_json::Value = serde_json::from_str(objects.lines().next().unwrap()).unwrap();
    assert_eq!(first["frame"], 0);
    assert!(objects.lines().count() >= 8 * 25, "one truth line per frame");
    let sheet = image::open(dir.path().join("20-contact.png")).unwrap();
    assert!(sheet.width() > 0);
}

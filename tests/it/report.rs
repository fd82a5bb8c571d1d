//! The report writers on a hand-built report (issue 5, deliver 4): the files, the manifest that
//! `sha256sum -c` accepts and that catches a changed byte, byte-identical rewrites, and a
//! headless-Chromium screenshot showing the verdict table and the plots.

use eseal::judge::report::{screenshot, write_report};
use eseal::judge::verdict::*;

fn check(id: &str, verdict: Verdict, value: Option<f64>, findings: &[&str]) -> Check {
    Check {
        id: id.to_owned(),
        clause: id.split('.').next().unwrap().to_owned(),
        title_zh: "人员双向计数".to_owned(),
        title_en: "People counted both ways".to_owned(),
        requirement: "Count pedestrians in both directions; counting accuracy ≥ 90 %.".to_owned(),
        verdict,
        expected: "≥ 90.0 %".to_owned(),
        actual: "8 of 10".to_owned(),
        value,
        bar: value.map(|_| 0.9),
        unit: "ratio".to_owned(),
        evidence: Vec::new(),
        findings: findings.iter().map(|s| (*s).to_owned()).collect(),
    }
}

fn sample(dir: &std::path::Path) -> (CertificationReport, Vec<Timing>) {
    // One evidence picture, written where the report links it.
    let pic = "14042100786620010001202611280800 05.jpg".replace(' ', "");
    let rel = format!("evidence/a/{pic}");
    let img = image::RgbImage::from_fn(64, 36, |x, y| image::Rgb([(x * 4) as u8, (y * 7) as u8, 90]));
    std::fs::create_dir_all(dir.join("evidence/a")).unwrap();
    img.save(dir.join(&rel)).unwrap();
    let bytes = std::fs::read(dir.join(&rel)).unwrap();
    let scenario = |name: &str, checks: Vec<Check>, evidence: Vec<EvidenceFile>| ScenarioReport {
        scenario: name.to_owned(),
        file: format!("scenarios/conformant/{name}.toml"),
        seed: 42,
        mine: "140421007866".to_owned(),
        start: "2026-11-28T08:00:00+08:00".to_owned(),
        duration_s: 120.0,
        verdict: Verdict::NotApplicable,
        checks,
        series: vec![CountSeries {
            what: "入井人数 people down, camera 20".to_owned(),
            truth_s: vec![5.0, 12.5, 30.0, 31.0, 80.0],
            reported_s: vec![6.0, 13.0, 31.5, 81.0],
        }],
        evidence,
    };
    let mut r = CertificationReport {
        schema: SCHEMA.to_owned(),
        tool: "eseal".to_owned(),
        tool_version: "0.1.0".to_owned(),
        device: DeviceIdentity { kind: "reference".into(), name: "test device".into(), version: "1".into(), faults: vec![] },
        skew_s: 5.0,
        latency_s: 10.0,
        verdict: Verdict::NotApplicable,
        scenarios: vec![
            scenario(
                "a",
                vec![
                    check("E3.down.count.20", Verdict::Fail, Some(0.8), &["person 4 going down at 30.0 s: no U1"]),
                    check("U3.form", Verdict::AmbiguousInSpec, None, &[]),
                    check("P4.alarm-closure", Verdict::NotApplicable, None, &[]),
                ],
                vec![EvidenceFile { name: pic.clone(), path: rel.clone(), sha256: String::new(), bytes: bytes.len() as u64 }],
            ),
            scenario("b", vec![check("E3.up.count.20", Verdict::Pass, Some(1.0), &[])], vec![]),
        ],
    };
    r.settle();
    let timings = vec![Timing { scenario: "a".into(), frames: 3000, wall_s: 12.5, scenario_s: 120.0, speedup: 9.6 }];
    (r, timings)
}

#[test]
fn the_manifest_verifies_and_catches_a_changed_byte_and_rewrites_are_identical() {
    let dir = tempfile::tempdir().unwrap();
    let (r, t) = sample(dir.path());
    assert_eq!(r.verdict, Verdict::Fail);
    let paths = write_report(dir.path(), &r, &t).unwrap();
    for p in [&paths.json, &paths.html, &paths.junit, &paths.timings, &paths.manifest] {
        assert!(p.is_file(), "{} missing", p.display());
    }
    let manifest = std::fs::read_to_string(&paths.manifest).unwrap();
    assert_eq!(manifest.lines().count(), 5, "four report files and one picture: {manifest}");
    let sha = |dir: &std::path::Path| {
        std::process::Command::new("sha256sum").args(["-c", "--status", "MANIFEST.sha256"]).current_dir(dir).status().unwrap().success()
    };
    assert!(sha(dir.path()), "sha256sum -c refused a fresh manifest:\n{manifest}");
    // Same report, same bytes.
    let before: Vec<Vec<u8>> = [&paths.json, &paths.junit, &paths.html].iter().map(|p| std::fs::read(p).unwrap()).collect();
    write_report(dir.path(), &r, &t).unwrap();
    let after: Vec<Vec<u8>> = [&paths.json, &paths.junit, &paths.html].iter().map(|p| std::fs::read(p).unwrap()).collect();
    assert!(before == after, "rewriting the same report changed a file");
    // The JSON reads back as the report.
    let back: CertificationReport = serde_json::from_slice(&before[0]).unwrap();
    assert_eq!(back, r);
    // One changed byte of evidence is caught.
    let pic = dir.path().join(&r.scenarios[0].evidence[0].path);
    let mut b = std::fs::read(&pic).unwrap();
    let last = b.len() - 3;
    b[last] ^= 0x01;
    std::fs::write(&pic, b).unwrap();
    assert!(!sha(dir.path()), "sha256sum -c accepted a changed evidence file");
}

#[test]
fn junit_parses_and_has_one_testcase_per_check() {
    let dir = tempfile::tempdir().unwrap();
    let (r, t) = sample(dir.path());
    let paths = write_report(dir.path(), &r, &t).unwrap();
    let xml = std::fs::read_to_string(&paths.junit).unwrap();
    // xmllint (libxml2-utils) is not assumed: a well-formedness check of our own on the tags.
    let mut stack: Vec<String> = Vec::new();
    let mut testcases = 0;
    let mut rest = xml.as_str();
    while let Some(i) = rest.find('<') {
        let j = rest[i..].find('>').unwrap() + i;
        let tag = &rest[i + 1..j];
        rest = &rest[j + 1..];
        if tag.starts_with('?') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop().as_deref(), Some(name), "unbalanced </{name}>");
        } else {
            let name = tag.split_whitespace().next().unwrap().trim_end_matches('/').to_owned();
            if name == "testcase" {
                testcases += 1;
            }
            if !tag.ends_with('/') {
                stack.push(name);
            }
        }
    }
    assert!(stack.is_empty(), "unclosed {stack:?}");
    assert_eq!(testcases, 4);
    assert!(xml.contains("failures=\"1\" skipped=\"1\""), "{xml}");
}

#[test]
fn a_headless_chromium_screenshot_shows_the_verdict_table_and_the_plots() {
    let dir = tempfile::tempdir().unwrap();
    let (r, t) = sample(dir.path());
    let paths = write_report(dir.path(), &r, &t).unwrap();
    let png = dir.path().join("report.png");
    screenshot(&paths.html, &png, 1280, 1600).unwrap();
    let img = image::open(&png).unwrap().to_rgb8();
    assert_eq!(img.width(), 1280);
    let count = |f: &dyn Fn(&image::Rgb<u8>) -> bool| img.pixels().filter(|p| f(p)).count();
    // The FAIL badges and the failed row (red-ish), the truth line of the plot (blue), text (dark).
    let red = count(&|p| p[0] > 150 && p[1] < 90 && p[2] < 110);
    let blue = count(&|p| p[2] > 150 && p[0] < 60 && p[1] > 70 && p[1] < 140);
    let dark = count(&|p| p[0] < 70 && p[1] < 70 && p[2] < 70);
    assert!(red > 200 && blue > 200 && dark > 5000, "red {red}, blue {blue}, dark {dark}: the page did not render");
    // Keep the picture for a human when asked.
    if let Ok(keep) = std::env::var("ESEAL_KEEP_SCREENSHOT") {
        std::fs::copy(&png, keep).unwrap();
    }
}

//! The judge's report directory as a certification lab receives it: written from a hand-built
//! report, screenshotted by headless Chromium (Debian package `chromium`), and the picture
//! checked to be the page (1280 px wide, a red FAIL banner, dark text), not a blank.

use std::path::Path;

use eseal::judge::report::{self, write_report};
use eseal::judge::verdict::{
    CertificationReport, Check, CountSeries, DeviceIdentity, EvidenceFile, SCHEMA, ScenarioReport,
    Timing, Verdict,
};
use sha2::{Digest, Sha256};

fn check(
    id: &str,
    title_zh: &str,
    title_en: &str,
    verdict: Verdict,
    expected: &str,
    actual: &str,
) -> Check {
    Check {
        id: id.to_owned(),
        clause: id.split('.').next().unwrap().to_owned(),
        title_zh: title_zh.to_owned(),
        title_en: title_en.to_owned(),
        requirement: format!("{title_en} ({id})"),
        verdict,
        expected: expected.to_owned(),
        actual: actual.to_owned(),
        value: None,
        bar: None,
        unit: String::new(),
        evidence: vec![],
        findings: vec![],
        excluded: None,
        supply: None,
    }
}

/// A small JPEG in `dir/evidence/` and its entry.
fn jpeg(dir: &Path, name: &str, shade: u8) -> EvidenceFile {
    let img = image::RgbImage::from_fn(64, 40, |x, y| {
        image::Rgb([shade, (x * 4) as u8, (y * 6) as u8])
    });
    let path = dir.join("evidence").join(name);
    img.save(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    EvidenceFile {
        name: name.to_owned(),
        path: format!("evidence/{name}"),
        sha256: hex::encode(Sha256::digest(&bytes)),
        bytes: bytes.len() as u64,
    }
}

/// Two scenarios: one with a failing count (findings, a plot), one with an ambiguous and a
/// not-applicable check.
fn sample(dir: &Path) -> CertificationReport {
    std::fs::create_dir_all(dir.join("evidence")).unwrap();
    let mut accuracy = check(
        "E3.down.count",
        "下井人数计数准确率",
        "People-down counting accuracy",
        Verdict::Fail,
        "≥ 0.90",
        "0.75 (3 of 4)",
    );
    (accuracy.value, accuracy.bar, accuracy.unit) = (Some(0.75), Some(0.9), "ratio".to_owned());
    accuracy.findings = vec![
        "missed: person 3 going down at 41.0 s (camera 20)".to_owned(),
        "extra: 1404210078662001000420210104080230.jpg matches no crossing".to_owned(),
    ];
    let mut name = check(
        "U1.name",
        "人员图片命名",
        "People picture names",
        Verdict::Pass,
        "34 digits + .jpg",
        "3 of 3 well formed",
    );
    name.evidence = vec!["evidence/1404210078662001000120210104080012.jpg".to_owned()];
    let mut form = check(
        "U3.form",
        "运输状态视频命名",
        "Transport-state clip name",
        Verdict::AmbiguousInSpec,
        "30 or 32 digits",
        "",
    );
    form.actual = "32-digit form with state 01 (running loaded)".to_owned();
    let trucks = check(
        "E5.count",
        "车辆计数",
        "Truck counting",
        Verdict::NotApplicable,
        "trucks counted",
        "no trucks in the scenario",
    );
    let evidence = vec![
        jpeg(dir, "1404210078662001000120210104080012.jpg", 200),
        jpeg(dir, "1404210078662001000220210104080044.jpg", 120),
        jpeg(dir, "1404210078662001000320210104080131.jpg", 40),
    ];
    let mut r = CertificationReport {
        schema: SCHEMA.to_owned(),
        tool: "eseal".to_owned(),
        tool_version: env!("CARGO_PKG_VERSION").to_owned(),
        device: DeviceIdentity {
            kind: "reference".to_owned(),
            name: "eseal reference edge device".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            faults: vec!["drop_every_nth_person=3".to_owned()],
            detector: None,
        },
        skew_s: 5.0,
        latency_s: 10.0,
        verdict: Verdict::Pass,
        must_supply: vec![],
        scenarios: vec![
            ScenarioReport {
                scenario: "shaft-day-groups".to_owned(),
                file: "scenarios/shaft-day-groups.toml".to_owned(),
                seed: 42,
                mine: "140421007866".to_owned(),
                start: "2021-01-04T08:00:00+08:00".to_owned(),
                duration_s: 150.0,
                verdict: Verdict::Pass,
                checks: vec![accuracy, name],
                series: vec![CountSeries {
                    what: "people down camera 20".to_owned(),
                    truth_s: vec![11.0, 43.0, 41.0, 90.5],
                    reported_s: vec![12.0, 44.0, 91.0],
                }],
                evidence,
                delays: vec![],
            },
            ScenarioReport {
                scenario: "belt-states".to_owned(),
                file: "scenarios/belt-states.toml".to_owned(),
                seed: 7,
                mine: "140421007866".to_owned(),
                start: "2021-01-04T12:00:00+08:00".to_owned(),
                duration_s: 60.0,
                verdict: Verdict::Pass,
                checks: vec![form, trucks],
                series: vec![],
                evidence: vec![],
                delays: vec![],
            },
        ],
    };
    r.settle();
    r
}

fn timings() -> Vec<Timing> {
    vec![
        Timing {
            scenario: "shaft-day-groups".to_owned(),
            frames: 3750,
            wall_s: 6.25,
            scenario_s: 150.0,
            speedup: 24.0,
        },
        Timing {
            scenario: "belt-states".to_owned(),
            frames: 1500,
            wall_s: 2.0,
            scenario_s: 60.0,
            speedup: 30.0,
        },
    ]
}

#[test]
fn report_directory_screenshots_as_a_page_with_a_red_fail_banner() {
    let dir = tempfile::tempdir().unwrap();
    let r = sample(dir.path());
    assert_eq!(r.verdict, Verdict::Fail);
    let paths = write_report(dir.path(), &r, &timings()).unwrap();
    let ok = std::process::Command::new("sha256sum")
        .args(["-c", "--quiet", report::MANIFEST])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(ok.status.success(), "{ok:?}");

    let png = dir.path().join("report.png");
    report::screenshot(&paths.html, &png).unwrap();
    let img = image::open(&png).unwrap().to_rgb8();
    assert_eq!(img.width(), report::SCREENSHOT_SIZE.0, "PNG width");
    assert_eq!(img.height(), report::SCREENSHOT_SIZE.1, "PNG height");

    let (mut red, mut dark, mut white) = (0usize, 0usize, 0usize);
    for p in img.pixels() {
        let [r, g, b] = p.0;
        if r > 150 && g < 80 && b < 80 {
            red += 1;
        }
        if r < 70 && g < 70 && b < 70 {
            dark += 1;
        }
        if r > 245 && g > 245 && b > 245 {
            white += 1;
        }
    }
    let total = (img.width() * img.height()) as usize;
    // The FAIL banner alone is ~1150 × 70 px of red; text is thousands of dark pixels.
    assert!(
        red > 20_000,
        "too few red-ish pixels for a FAIL banner: {red}"
    );
    assert!(dark > 5_000, "too few dark text pixels: {dark}");
    assert!(
        white > total / 2,
        "the page background should be mostly white: {white} of {total}"
    );
    // The banner sits near the top: its row band holds most of the red.
    let top_red = img
        .enumerate_pixels()
        .filter(|(_, y, p)| *y < 300 && p.0[0] > 150 && p.0[1] < 80 && p.0[2] < 80)
        .count();
    assert!(
        top_red > 20_000,
        "no red banner in the top 300 rows: {top_red}"
    );
}

#[test]
fn report_screenshot_subcommand_names_a_missing_page() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_eseal"))
        .args(["report", "screenshot", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("report.html"), "{err}");
}

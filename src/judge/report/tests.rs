#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;

use super::*;
use crate::judge::verdict::{
    Check, CountSeries, DeviceIdentity, EvidenceFile, SCHEMA, ScenarioReport, Verdict,
};

fn check(id: &str, verdict: Verdict) -> Check {
    Check {
        id: id.to_owned(),
        clause: id.split('.').next().unwrap().to_owned(),
        title_zh: "人员计数准确率".to_owned(),
        title_en: "People counting accuracy".to_owned(),
        requirement: "counting accuracy ≥ 90 %".to_owned(),
        verdict,
        expected: "≥ 0.9".to_owned(),
        actual: "0.8".to_owned(),
        value: Some(0.8),
        bar: Some(0.9),
        unit: "ratio".to_owned(),
        evidence: vec![],
        findings: vec![],
        excluded: None,
        supply: None,
    }
}

fn evidence(name: &str) -> EvidenceFile {
    EvidenceFile {
        name: name.to_owned(),
        path: format!("evidence/{name}"),
        sha256: "ab".repeat(32),
        bytes: 2048,
    }
}

/// Two scenarios: one failing (with a finding holding markup), one ambiguous and one N/A check.
fn sample() -> CertificationReport {
    let mut failing = check("E3.down.count", Verdict::Fail);
    failing.findings = vec![
        "missed person 7 at 41.0 s <script>alert('x')</script>".to_owned(),
        "extra upload 1404210078662001000920210104224600.jpg".to_owned(),
    ];
    failing.evidence = vec!["evidence/1404210078662001000520210104224515.jpg".to_owned()];
    let mut ambiguous = check("U3.form", Verdict::AmbiguousInSpec);
    ambiguous.actual = "32-digit form with state 01".to_owned();
    (ambiguous.value, ambiguous.bar, ambiguous.unit) = (None, None, String::new());
    let mut na = check("E5.count", Verdict::NotApplicable);
    na.actual = "no trucks in the scenario".to_owned();
    let mut r = CertificationReport {
        schema: SCHEMA.to_owned(),
        tool: "eseal".to_owned(),
        tool_version: "0.1.0".to_owned(),
        device: DeviceIdentity {
            kind: "reference".to_owned(),
            name: "eseal-vision".to_owned(),
            version: "0.1.0".to_owned(),
            faults: vec!["drop_every_nth_person=5".to_owned()],
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
                seed: 7,
                mine: "140421007866".to_owned(),
                start: "2021-01-04T08:00:00+08:00".to_owned(),
                duration_s: 120.0,
                verdict: Verdict::Pass,
                checks: vec![check("E3.up.count", Verdict::Pass), failing],
                series: vec![CountSeries {
                    what: "people down camera 20".to_owned(),
                    truth_s: vec![10.0, 41.0, 42.5, 90.0],
                    reported_s: vec![12.0, 43.0, 95.0],
                }],
                evidence: vec![evidence("1404210078662001000520210104224515.jpg")],
                delays: vec![],
            },
            ScenarioReport {
                scenario: "belt-states".to_owned(),
                file: "scenarios/belt-states.toml".to_owned(),
                seed: 11,
                mine: "140421007866".to_owned(),
                start: "2021-01-04T12:00:00+08:00".to_owned(),
                duration_s: 60.0,
                verdict: Verdict::Pass,
                checks: vec![ambiguous, na],
                series: vec![],
                evidence: vec![evidence("14042100786610030120210104121546.mp4")],
                delays: vec![],
            },
        ],
    };
    r.settle();
    r
}

fn timings() -> Vec<Timing> {
    vec![Timing {
        scenario: "shaft-day-groups".to_owned(),
        frames: 1200,
        wall_s: 4.0,
        scenario_s: 120.0,
        speedup: 30.0,
    }]
}

#[test]
fn html_escaper_neutralises_markup() {
    assert_eq!(
        html::escape(r#"<script>alert('x')</script> & "q""#),
        "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
    );
    let page = render_html(&sample(), &[]);
    assert!(
        !page.contains("<script"),
        "a finding's markup reached the page"
    );
    assert!(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
}

#[test]
fn html_has_a_verdict_row_per_check_and_a_plot_per_series() {
    let r = sample();
    let page = render_html(&r, &timings());
    for s in &r.scenarios {
        for c in &s.checks {
            let row = format!(
                "<tr class=\"check {}\" data-check=\"{}\">",
                html::class(c.verdict),
                c.id
            );
            assert_eq!(page.matches(&row).count(), 1, "{row}");
        }
    }
    let series: usize = r.scenarios.iter().map(|s| s.series.len()).sum();
    assert_eq!(page.matches("<svg class=\"count-plot\"").count(), series);
    assert!(page.contains(
        "<title id=\"plot-1-1-title\">累计计数 / Cumulative count: people down camera 20"
    ));
    assert!(page.contains("class=\"series-truth\"") && page.contains("class=\"series-reported\""));
    assert!(page.contains("真值 / truth (4)") && page.contains("上报 / reported (3)"));
    // Overall banner, findings under the failing check, evidence, timings.
    assert!(page.contains("<div class=\"banner v-fail\" id=\"overall\">"));
    assert!(page.contains("<li>extra upload 1404210078662001000920210104224600.jpg</li>"));
    assert!(
        page.contains(
            "<img src=\"evidence/1404210078662001000520210104224515.jpg\" loading=\"lazy\""
        )
    );
    assert!(
        page.contains("<a class=\"mono\" href=\"evidence/14042100786610030120210104121546.mp4\">")
    );
    assert!(page.contains("<td class=\"num\">30×</td>"));
}

#[test]
fn html_is_self_contained() {
    let page = render_html(&sample(), &timings());
    assert!(page.starts_with("<!DOCTYPE html>\n<html lang=\"zh-CN\">"));
    assert!(page.contains("<title>电子封条认证报告 / E-seal certification report</title>"));
    for banned in [
        "<script",
        "<link",
        "@import",
        "url(",
        "https://",
        "src=\"http",
        "src=\"//",
    ] {
        assert!(!page.contains(banned), "page holds {banned}");
    }
    // The only absolute URL is the SVG namespace name, which is never fetched.
    assert_eq!(
        page.matches("http://").count(),
        page.matches("xmlns=\"http://www.w3.org/2000/svg\"").count()
    );
}

#[test]
fn html_shows_the_first_thumbnails_and_counts_the_rest() {
    let mut r = sample();
    r.scenarios[0].evidence = (0..30).map(|i| evidence(&format!("{i:04}.jpg"))).collect();
    let page = render_html(&r, &[]);
    assert_eq!(page.matches("<img ").count(), html::MAX_THUMBNAILS);
    assert!(
        page.contains("另有 6 张图片未显示"),
        "no count of the hidden thumbnails"
    );
}

#[test]
fn evidence_paths_become_relative_urls() {
    assert_eq!(
        html::url_path("evidence/a b#1.jpg"),
        "evidence/a%20b%231.jpg"
    );
    assert_eq!(
        html::url_path("javascript:alert(1)"),
        "javascript%3Aalert%281%29"
    );
    assert_eq!(html::url_path("evidence/\"><x"), "evidence/%22%3E%3Cx");
}

#[test]
fn numbers_have_a_fixed_form() {
    for (x, s) in [
        (3.0, "3"),
        (0.8, "0.8"),
        (2.0 / 3.0, "0.667"),
        (-0.0, "0"),
        (-0.0001, "0"),
        (9.9999, "10"),
        (1e20, "100000000000000000000"),
    ] {
        assert_eq!(html::fmt_num(x), s, "{x}");
    }
    assert_eq!(html::fmt_num(f64::NAN), "—");
}

#[test]
fn junit_parses_with_one_suite_per_scenario_and_correct_counts() {
    let xml = render_junit(&sample());
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(
        (
            root.attribute("tests"),
            root.attribute("failures"),
            root.attribute("skipped")
        ),
        (Some("4"), Some("1"), Some("1"))
    );
    let suites: Vec<_> = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suites.len(), 2);
    assert_eq!(suites[0].attribute("name"), Some("shaft-day-groups"));
    assert_eq!(
        (
            suites[0].attribute("tests"),
            suites[0].attribute("failures"),
            suites[0].attribute("skipped")
        ),
        (Some("2"), Some("1"), Some("0"))
    );
    assert_eq!(
        (
            suites[1].attribute("tests"),
            suites[1].attribute("failures"),
            suites[1].attribute("skipped")
        ),
        (Some("2"), Some("0"), Some("1"))
    );

    let case = |name: &str| {
        doc.descendants()
            .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some(name))
            .unwrap()
    };
    let failed = case("E3.down.count (E3)");
    assert_eq!(failed.attribute("classname"), Some("shaft-day-groups"));
    let failure = failed
        .children()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    assert!(
        failure
            .attribute("message")
            .unwrap()
            .contains("expected ≥ 0.9; actual 0.8")
    );
    let body = failure.text().unwrap();
    assert!(
        body.contains("- missed person 7 at 41.0 s <script>alert('x')</script>"),
        "{body}"
    );
    assert!(body.contains("expected: ≥ 0.9\nactual: 0.8"), "{body}");

    assert!(
        case("E3.up.count (E3)").first_element_child().is_none(),
        "a pass has no child"
    );
    assert!(
        case("E5.count (E5)")
            .children()
            .any(|n| n.has_tag_name("skipped"))
    );
    let ambiguous = case("U3.form (U3)");
    assert!(
        !ambiguous
            .children()
            .any(|n| n.has_tag_name("failure") || n.has_tag_name("skipped"))
    );
    let out = ambiguous
        .children()
        .find(|n| n.has_tag_name("system-out"))
        .unwrap()
        .text()
        .unwrap();
    assert!(
        out.contains("the device chose: 32-digit form with state 01"),
        "{out}"
    );
}

/// Issue 15: a check the judge could not decide is an `<error>` in JUnit, colours the HTML
/// purple with 无法判定 / INCONCLUSIVE, and the overall verdict lists what the lab must supply.
#[test]
fn inconclusive_is_an_error_in_junit_and_its_supply_list_leads_the_html() {
    let mut r = sample();
    r.scenarios[0].checks.retain(|c| c.verdict != Verdict::Fail);
    let mut inc = check("E3.up.events.20", Verdict::Inconclusive);
    inc.actual = "14 true; the device gave no per-event record of people coming up".to_owned();
    inc.supply = Some("设备日报 / the device's day report".to_owned());
    r.scenarios[1].checks.push(inc);
    r.settle();
    assert_eq!(
        r.verdict,
        Verdict::Inconclusive,
        "nothing failed, one check undecided: not a pass"
    );
    assert_eq!(r.must_supply, ["设备日报 / the device's day report"]);
    let xml = render_junit(&r);
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let root = doc.root_element();
    assert_eq!(
        (root.attribute("failures"), root.attribute("errors")),
        (Some("0"), Some("1"))
    );
    let case = doc
        .descendants()
        .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some("E3.up.events.20 (E3)"))
        .unwrap();
    let error = case.children().find(|n| n.has_tag_name("error")).unwrap();
    assert_eq!(error.attribute("type"), Some("INCONCLUSIVE"));
    assert!(
        error
            .text()
            .unwrap()
            .contains("the lab must supply: 设备日报"),
        "{:?}",
        error.text()
    );
    let html = render_html(&r, &[]);
    assert!(
        html.contains("class=\"banner v-inc\" id=\"overall\""),
        "the overall banner is INCONCLUSIVE"
    );
    assert!(html.contains("无法判定 INCONCLUSIVE"));
    let supply = html.find("id=\"must-supply\"").unwrap();
    assert!(
        html[supply..].contains("<li>设备日报 / the device&#39;s day report</li>"),
        "the list of what to supply"
    );
}

#[test]
fn junit_escapes_attributes_and_drops_illegal_characters() {
    let mut r = sample();
    r.scenarios[0].scenario = "a\"<&>'\n\u{1}b".to_owned();
    let xml = render_junit(&r);
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let suite = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    assert_eq!(suite.attribute("name"), Some("a\"<&>'\n\u{FFFD}b"));
}

#[test]
fn writing_twice_gives_identical_bytes() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let pa = write_report(a.path(), &sample(), &timings()).unwrap();
    let pb = write_report(b.path(), &sample(), &timings()).unwrap();
    for (x, y) in [
        (&pa.json, &pb.json),
        (&pa.junit, &pb.junit),
        (&pa.html, &pb.html),
        (&pa.timings, &pb.timings),
        (&pa.manifest, &pb.manifest),
    ] {
        assert_eq!(
            std::fs::read(x).unwrap(),
            std::fs::read(y).unwrap(),
            "{} differs",
            x.display()
        );
    }
    // report.json and junit.xml do not depend on the timings.
    let c = tempfile::tempdir().unwrap();
    let pc = write_report(c.path(), &sample(), &[]).unwrap();
    assert_eq!(
        std::fs::read(&pa.json).unwrap(),
        std::fs::read(&pc.json).unwrap()
    );
    assert_eq!(
        std::fs::read(&pa.junit).unwrap(),
        std::fs::read(&pc.junit).unwrap()
    );
}

#[test]
fn report_json_is_the_pretty_serde_form_and_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let paths = write_report(dir.path(), &sample(), &timings()).unwrap();
    let bytes = std::fs::read(&paths.json).unwrap();
    let mut expected = serde_json::to_vec_pretty(&sample()).unwrap();
    expected.push(b'\n');
    assert_eq!(bytes, expected);
    let back: CertificationReport = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(back, sample());
    let t: Vec<Timing> = serde_json::from_slice(&std::fs::read(&paths.timings).unwrap()).unwrap();
    assert_eq!(t, timings());
}

fn sha256sum_check(dir: &Path) -> std::process::Output {
    Command::new("sha256sum")
        .args(["-c", "--strict", MANIFEST])
        .current_dir(dir)
        .output()
        .unwrap()
}

#[test]
fn manifest_verifies_with_sha256sum_and_catches_a_changed_evidence_byte() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join(EVIDENCE_DIR);
    std::fs::create_dir_all(ev.join("clips")).unwrap();
    std::fs::write(ev.join("b.jpg"), b"\xff\xd8 jpeg b").unwrap();
    std::fs::write(ev.join("a.jpg"), b"\xff\xd8 jpeg a").unwrap();
    std::fs::write(ev.join("clips/c.mp4"), b"mp4 c").unwrap();
    let paths = write_report(dir.path(), &sample(), &timings()).unwrap();

    let manifest = std::fs::read_to_string(&paths.manifest).unwrap();
    let listed: Vec<&str> = manifest
        .lines()
        .map(|l| l.split_once("  ").unwrap().1)
        .collect();
    assert_eq!(
        listed,
        [
            "evidence/a.jpg",
            "evidence/b.jpg",
            "evidence/clips/c.mp4",
            "junit.xml",
            "report.html",
            "report.json",
            "timings.json"
        ]
    );
    let ok = sha256sum_check(dir.path());
    assert!(
        ok.status.success(),
        "{}{}",
        String::from_utf8_lossy(&ok.stdout),
        String::from_utf8_lossy(&ok.stderr)
    );

    let mut bytes = std::fs::read(ev.join("clips/c.mp4")).unwrap();
    bytes[0] ^= 1;
    std::fs::write(ev.join("clips/c.mp4"), bytes).unwrap();
    let bad = sha256sum_check(dir.path());
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stdout).contains("evidence/clips/c.mp4: FAILED"));
}

#[test]
fn manifest_escapes_names_as_sha256sum_does() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join(EVIDENCE_DIR);
    std::fs::create_dir_all(&ev).unwrap();
    std::fs::write(ev.join("odd\\name.jpg"), b"x").unwrap();
    write_report(dir.path(), &sample(), &[]).unwrap();
    let ok = sha256sum_check(dir.path());
    assert!(
        ok.status.success(),
        "{}{}",
        String::from_utf8_lossy(&ok.stdout),
        String::from_utf8_lossy(&ok.stderr)
    );
}

#[test]
fn a_missing_chromium_names_the_package_to_install() {
    let dir = tempfile::tempdir().unwrap();
    let paths = write_report(dir.path(), &sample(), &[]).unwrap();
    let err = screenshot_with(
        "eseal-no-such-chromium",
        &paths.html,
        &dir.path().join("r.png"),
        Duration::from_secs(5),
    )
    .unwrap_err();
    assert!(
        matches!(err, ReportError::ChromiumMissing { .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("Debian package `chromium`"),
        "{err}"
    );
}

#[test]
fn a_hung_chromium_is_killed_at_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let paths = write_report(dir.path(), &sample(), &[]).unwrap();
    // A stand-in that takes chromium's flags and never finishes.
    let fake = dir.path().join("fake-chromium");
    std::fs::write(&fake, "#!/bin/sh\nexec sleep 30\n").unwrap();
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let started = Instant::now();
    let run = || {
        screenshot_with(
            fake.to_str().unwrap(),
            &paths.html,
            &dir.path().join("r.png"),
            Duration::from_millis(300),
        )
    };
    // A process forked meanwhile by another test may briefly hold the new script open for
    // writing ("text file busy"): try the start again.
    let mut err = run().unwrap_err();
    for _ in 0..20 {
        if !matches!(err, ReportError::Io { what: "start", .. }) {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
        err = run().unwrap_err();
    }
    assert!(
        matches!(err, ReportError::ChromiumTimeout { .. }),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

/// The page names the signing key's fingerprint, or says it is unsigned; a signed write leaves a
/// signature that verifies, and an unsigned write over it removes the stale signature and key.
#[test]
fn signed_reports_show_the_fingerprint_and_unsigned_ones_say_so() {
    use crate::judge::sign::{self, PUBLIC_KEY, SIGNATURE, UNSIGNED};
    let page = render_html(&sample(), &[]);
    assert_eq!(sign::page_fingerprint(&page).as_deref(), Some(UNSIGNED));
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("k.pem");
    let (_, fp) = sign::generate_key(&key).unwrap();
    let signer = sign::ReportSigner::from_pem_file(&key).unwrap();
    let out = dir.path().join("report");
    let paths = write_signed_report(&out, &sample(), &timings(), Some(&signer)).unwrap();
    let page = std::fs::read_to_string(&paths.html).unwrap();
    assert_eq!(sign::page_fingerprint(&page), Some(fp.clone()));
    assert!(page.contains("签名密钥指纹 / Signing key fingerprint"));
    let v = sign::verify_dir(&out, None).unwrap();
    assert!(v.ok(), "{:?}", v.problems);
    write_report(&out, &sample(), &timings()).unwrap();
    assert!(
        !out.join(SIGNATURE).exists() && !out.join(PUBLIC_KEY).exists(),
        "stale signature left"
    );
    assert!(!sign::verify_dir(&out, None).unwrap().ok());
}

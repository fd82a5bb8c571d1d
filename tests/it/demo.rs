//! The platform walk-through (`scripts/demo.sh`; the main job is `scripts/certify.sh`): `eseal demo` uploads the spec's five examples with curl and reports what
//! the reference platform recorded.

use std::process::Command;

use serde_json::Value;

#[test]
fn demo_uploads_the_five_spec_examples_and_reports_what_was_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_eseal"))
        .arg("demo")
        .arg("--out")
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "demo failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // It ends with the path of the report it wrote.
    let last = stdout.lines().last().unwrap();
    assert_eq!(std::path::Path::new(last), dir.path().join("report.json"));
    let report: Value = serde_json::from_slice(&std::fs::read(last).unwrap()).unwrap();

    let events = report["events"]["items"].as_array().unwrap();
    let by_name = |n: &str| {
        events
            .iter()
            .find(|e| e["name"] == n)
            .unwrap_or_else(|| panic!("no event {n}: {events:?}"))
    };
    assert_eq!(events.len(), 5, "{events:?}");
    let u1 = by_name("1404210078662001000520210104224515.jpg");
    assert_eq!(
        (
            u1["clause"].as_str(),
            u1["camera"].as_str(),
            u1["daily_count"].as_i64()
        ),
        (Some("U1"), Some("20"), Some(5))
    );
    assert_eq!(u1["mine_time"], "20210104224515");
    assert_eq!(u1["event_utc"], "2021-01-04T14:45:15Z");
    let u2 = by_name("1404210078663002001020210105200820.jpg");
    assert_eq!(
        (u2["camera"].as_str(), u2["daily_count"].as_i64()),
        (Some("30"), Some(10))
    );
    let u3 = by_name("14042100786610030120210104121546.mp4");
    assert_eq!(u3["transport_state"], "01");
    assert_eq!(u3["findings"][0]["kind"], "u3_example_form_32");
    assert_eq!(u3["evidence"]["codec"], "avc1");
    let dur = u3["evidence"]["duration_ms"].as_i64().unwrap();
    assert!(
        (9_500..=10_500).contains(&dur),
        "U3 clip is {dur} ms (R3: 10 s ± 0.5)"
    );
    let u4 = by_name("140421007866200420210104094515.jpg");
    assert_eq!(u4["analysis_type"], "04");
    let u5 = by_name("14042100786610000120210104121546.mp4");
    assert_eq!(
        (u5["clause"].as_str(), u5["channel"].as_str()),
        (Some("U5"), Some("https"))
    );
    assert_eq!(
        (u5["lock_code"].as_str(), u5["lock_state"].as_str()),
        (Some("10"), Some("0001"))
    );

    // The deliberately malformed name was refused, with the field named, and nothing else was.
    let violations = report["violations"]["items"].as_array().unwrap();
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert_eq!(violations[0]["field"], "count");
    assert!(violations[0]["reason"].as_str().unwrap().contains("16..20"));

    // U6: registered, then changed → revision 2.
    let streams = report["streams"]["items"].as_array().unwrap();
    assert_eq!(streams[0]["revision"], 2);
    assert_eq!(streams[0]["url"], "http://10.14.4.22:8080/?action=stream");
}

//! The spec's five example names parse to exactly the fields the spec
//! describes (U1–U5).

use eseal_protocol::{EvidenceName, ParsedName};
use serde_json::{Value, json};

use crate::SPEC_EXAMPLES;

/// Every field of a parsed name, for a snapshot.
fn view(raw: &str) -> Value {
    let ParsedName { name, findings } = match EvidenceName::parse(raw) {
        Ok(p) => p,
        Err(e) => return json!({ "name": raw, "error": e }),
    };
    json!({
        "name": raw,
        "clause": name.clause(),
        "mine": name.mine(),
        "county": name.mine().county_code(),
        "camera": name.camera(),
        "camera_kind": name.camera().map(|c| c.kind()),
        "camera_index": name.camera().map(|c| c.index()),
        "analysis_type": name.analysis_type(),
        "count": name.count(),
        "transport_state": name.transport_state(),
        "tamper_kind": name.tamper_kind(),
        "lock": name.lock(),
        "lock_kind": name.lock().map(|l| l.kind()),
        "lock_state": name.lock_state(),
        "time": name.time(),
        "time_cst": name.time().to_cst().to_rfc3339(),
        "time_utc": name.time().to_utc().to_rfc3339(),
        "cst_date": name.time().date().to_string(),
        "extension": name.extension(),
        "digits": name.digit_len(),
        "formatted": name.to_string(),
        "findings": findings,
    })
}

#[test]
fn u1_people_example() {
    insta::assert_json_snapshot!("u1_people", view(SPEC_EXAMPLES[0]));
}

#[test]
fn u2_truck_example() {
    insta::assert_json_snapshot!("u2_truck", view(SPEC_EXAMPLES[1]));
}

#[test]
fn u3_transport_example_32_digits() {
    insta::assert_json_snapshot!("u3_transport_32", view(SPEC_EXAMPLES[2]));
}

#[test]
fn u3_transport_rule_form_30_digits() {
    insta::assert_json_snapshot!(
        "u3_transport_30",
        view("140421007866100320210104121546.mp4")
    );
}

#[test]
fn u4_tamper_example() {
    insta::assert_json_snapshot!("u4_tamper", view(SPEC_EXAMPLES[3]));
}

#[test]
fn u5_lock_example() {
    insta::assert_json_snapshot!("u5_lock", view(SPEC_EXAMPLES[4]));
}

#[test]
fn u5_lock_with_table_jpg_extension() {
    insta::assert_json_snapshot!("u5_lock_jpg", view("14042100786610000120210104121546.jpg"));
}

/// The fields the spec's prose states for each example, asserted directly
/// (the snapshots show the rest).
#[test]
fn examples_match_the_spec_prose() {
    use eseal_protocol::{
        AnalysisType, CameraKind, Clause, Extension, FindingKind, LockKind, LockState,
        TransportState,
    };
    let p: Vec<ParsedName> = SPEC_EXAMPLES
        .iter()
        .map(|n| EvidenceName::parse(n).unwrap())
        .collect();

    // U1: camera 20 (auxiliary shaft), 5th person of 2021-01-04, 22:45:15.
    let u1 = &p[0].name;
    assert_eq!(u1.clause(), Clause::U1);
    assert_eq!(
        u1.camera().map(|c| (c.get(), c.kind())),
        Some((20, CameraKind::AuxiliaryShaft))
    );
    assert_eq!(u1.count().map(|c| c.get()), Some(5));
    assert_eq!(u1.time().to_string(), "20210104224515");
    // U2: camera 30 (vehicle gate), 10th truck of 2021-01-05, 20:08:20.
    let u2 = &p[1].name;
    assert_eq!(u2.analysis_type(), Some(AnalysisType::Vehicles));
    assert_eq!(
        u2.camera().map(|c| (c.get(), c.kind())),
        Some((30, CameraKind::VehicleGate))
    );
    assert_eq!(u2.count().map(|c| c.get()), Some(10));
    // U3: camera 10, became running with coal (01), 12:15:46; a finding.
    let u3 = &p[2];
    assert_eq!(
        u3.name.transport_state(),
        Some(TransportState::RunningLoaded)
    );
    assert_eq!(u3.name.camera().map(|c| c.get()), Some(10));
    assert_eq!(u3.name.extension(), Extension::Mp4);
    assert_eq!(
        u3.findings.iter().map(|f| f.kind).collect::<Vec<_>>(),
        [FindingKind::U3ExampleForm32]
    );
    // U4: camera 20 occluded (04) at 09:45:15.
    let u4 = &p[3].name;
    assert_eq!(u4.analysis_type(), Some(AnalysisType::Occlusion));
    assert_eq!(u4.camera().map(|c| c.get()), Some(20));
    assert_eq!(u4.count(), None);
    // U5: lock 10 (hoist) moved (0001) at 12:15:46, .mp4; no finding.
    let u5 = &p[4];
    assert_eq!(
        u5.name.lock().map(|l| (l.get(), l.kind())),
        Some((10, LockKind::Hoist))
    );
    assert_eq!(u5.name.lock_state(), Some(LockState::Moved));
    assert_eq!(u5.name.camera(), None);
    assert!(u5.findings.is_empty());
    // Every example formats back to itself.
    for (raw, parsed) in SPEC_EXAMPLES.iter().zip(&p) {
        assert_eq!(parsed.name.to_string(), *raw);
    }
}

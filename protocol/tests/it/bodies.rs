//! The U5 and U6 JSON bodies: serde, unknown fields, URL and name checks.

use eseal_protocol::{
    EvidenceName, Field, FindingKind, LockEventMetadata, StreamRegistration, TimeField,
};
use serde_json::json;

fn lock_event() -> serde_json::Value {
    json!({
        "mine_code": "140421007866",
        "lock_code": "10",
        "lock_state": "0001",
        "time": "20210104121546",
        "file_name": "14042100786610000120210104121546.mp4",
        "duration_s": 10.0,
        "device_id": "edge-01",
        "description": "提升机电子锁被挪动"
    })
}

fn parse_event(v: serde_json::Value) -> Result<LockEventMetadata, serde_json::Error> {
    serde_json::from_value(v)
}

#[test]
fn lock_event_round_trips_and_agrees_with_its_name() {
    let m = parse_event(lock_event()).unwrap();
    assert_eq!(serde_json::to_value(&m).unwrap(), lock_event());
    assert_eq!(m.expected_name().to_string(), m.file_name);
    let parsed = m.check_file_name().unwrap();
    assert!(parsed.findings.is_empty());
}

#[test]
fn lock_event_optional_fields_may_be_absent() {
    let mut v = lock_event();
    for k in ["duration_s", "device_id", "description"] {
        v.as_object_mut().unwrap().remove(k);
    }
    let m = parse_event(v.clone()).unwrap();
    assert_eq!(m.duration_s, None);
    assert_eq!(serde_json::to_value(&m).unwrap(), v);
}

#[test]
fn lock_event_unknown_field_is_named() {
    let mut v = lock_event();
    v["lockState"] = json!("0001");
    let e = parse_event(v).unwrap_err().to_string();
    assert!(e.contains("unknown field `lockState`"), "{e}");
}

#[test]
fn lock_event_missing_field_is_named() {
    let mut v = lock_event();
    v.as_object_mut().unwrap().remove("lock_code");
    let e = parse_event(v).unwrap_err().to_string();
    assert!(e.contains("missing field `lock_code`"), "{e}");
}

#[test]
fn lock_event_bad_values_name_the_field() {
    for (key, value, field) in [
        ("lock_state", json!("0003"), "field lock_state"),
        ("lock_state", json!(1), "a 4-digit lock state"),
        ("lock_code", json!("60"), "field lock"),
        ("mine_code", json!("14042100786"), "field mine"),
        ("time", json!("20210230121546"), "field time.day"),
    ] {
        let mut v = lock_event();
        v[key] = value;
        let e = parse_event(v).unwrap_err().to_string();
        assert!(e.contains(field), "{key}: {e}");
    }
}

#[test]
fn lock_event_name_mismatch_names_the_field() {
    let m = parse_event(lock_event()).unwrap();
    for (name, field, span) in [
        (
            "14042100786610000220210104121546.mp4",
            Field::LockState,
            14..18,
        ),
        ("14042100786611000120210104121546.mp4", Field::Lock, 12..14),
        ("14042100786710000120210104121546.mp4", Field::Mine, 0..12),
        (
            "14042100786610000120210104121547.mp4",
            Field::Time(TimeField::Whole),
            18..32,
        ),
    ] {
        let parsed = EvidenceName::parse(name).unwrap();
        let e = m.check_consistent(&parsed.name).unwrap_err();
        assert_eq!((e.field, e.span.clone()), (field, span), "{name}: {e}");
        assert!(e.expected.contains("JSON field"), "{e}");
    }
    let e = m
        .check_consistent(
            &EvidenceName::parse("140421007866200420210104094515.jpg")
                .unwrap()
                .name,
        )
        .unwrap_err();
    assert_eq!(e.field, Field::FileName);
    assert_eq!(
        e.to_string(),
        "field file_name: expected a U5 lock event name: mine + lock + lock state + time \
         (32 digits) at 0..30, found \"140421007866200420210104094515.jpg\" (U5)"
    );
}

#[test]
fn lock_event_with_jpg_name_passes_with_a_finding() {
    let mut v = lock_event();
    v["file_name"] = json!("14042100786610000120210104121546.jpg");
    let parsed = parse_event(v).unwrap().check_file_name().unwrap();
    assert_eq!(
        parsed.findings.iter().map(|f| f.kind).collect::<Vec<_>>(),
        [FindingKind::U5JpgExtension]
    );
}

#[test]
fn lock_event_with_malformed_name_reports_the_name_field() {
    let mut v = lock_event();
    v["file_name"] = json!("../14042100786610000120210104121546.mp4");
    let e = parse_event(v).unwrap().check_file_name().unwrap_err();
    assert_eq!(e.field, Field::Name);
}

fn stream(url: &str) -> serde_json::Value {
    json!({ "mine_code": "140421007866", "camera_code": "20", "url": url })
}

#[test]
fn stream_registration_accepts_mjpg_streamer_urls() {
    for url in [
        "http://10.0.0.5:8080/?action=stream",
        "https://cam.mine.example/?action=stream",
        "HTTP://host:8080/?action=snapshot",
        "http://user:pw@host:8080/?action=stream",
        "http://[fe80::1]:8080/?action=stream",
    ] {
        let r: StreamRegistration = serde_json::from_value(stream(url)).unwrap();
        assert_eq!(r.validate(), Ok(()), "{url}");
        assert_eq!(serde_json::to_value(&r).unwrap(), stream(url));
    }
}

#[test]
fn stream_registration_rejects_bad_urls() {
    let long = format!("http://host/{}", "a".repeat(3000));
    for url in [
        "rtsp://10.0.0.5:554/stream",
        "ftp://host/x",
        "10.0.0.5:8080/?action=stream",
        "http://",
        "http:///?action=stream",
        "http://:8080/?action=stream",
        "http://host name/",
        "http://host/\n",
        "javascript:alert(1)",
        "",
        long.as_str(),
    ] {
        let r: StreamRegistration = serde_json::from_value(stream(url)).unwrap();
        let e = r.validate().unwrap_err();
        assert_eq!(e.field, Field::Url, "{url:?}: {e}");
        assert_eq!(e.clause, "U6");
        assert!(url.get(e.span.clone()).is_some(), "{url:?}: {e}");
    }
}

#[test]
fn stream_registration_unknown_and_bad_fields_are_named() {
    let mut v = stream("http://h/");
    v["port"] = json!(8080);
    let e = serde_json::from_value::<StreamRegistration>(v)
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown field `port`"), "{e}");

    let mut v = stream("http://h/");
    v["camera_code"] = json!("40");
    let e = serde_json::from_value::<StreamRegistration>(v)
        .unwrap_err()
        .to_string();
    assert!(e.contains("field camera") && e.contains("U8"), "{e}");
}

//! Malformed names: each must fail with the expected field (and, for some,
//! span). One table, one `check` helper.

use std::fmt::Write as _;

use eseal_protocol::{EvidenceName, Field, NameError, TimeField};

/// `name` must fail to parse, naming `field`; the error's span must be a
/// valid byte range of `name` and `found` must stay short. Returns the error.
fn check(name: &str, field: Field) -> NameError {
    let err = match EvidenceName::parse(name) {
        Ok(p) => panic!(
            "{name:?} parsed as {:?}, expected an error on {field}",
            p.name
        ),
        Err(e) => e,
    };
    assert_eq!(err.field, field, "{name:?}: {err}");
    assert!(
        name.get(err.span.clone()).is_some(),
        "{name:?}: span {:?} is not a byte range of the input",
        err.span
    );
    assert!(
        err.found.chars().count() <= NameError::FOUND_MAX_CHARS + 20,
        "{name:?}: found too long"
    );
    assert!(!err.clause.is_empty());
    err
}

const U1: &str = "1404210078662001000520210104224515.jpg";

/// Digits of U1's example with `range` (byte offsets) replaced.
fn u1_with(range: std::ops::Range<usize>, replacement: &str) -> String {
    let mut s = U1.to_owned();
    s.replace_range(range, replacement);
    s
}

fn table() -> Vec<(String, Field)> {
    use Field::*;
    let t = |f: TimeField| Time(f);
    let mut cases: Vec<(String, Field)> = [
        // Name as a whole.
        ("", Name),
        ("../x.jpg", Name),
        ("a/b.jpg", Name),
        ("dir\\1404210078662001000520210104224515.jpg", Name),
        ("..1404210078662001000520210104224515.jpg", Name),
        ("+1404210078662001000520210104224515.jpg", Name),
        ("-1404210078662001000520210104224515.jpg", Name),
        (" 1404210078662001000520210104224515.jpg", Name),
        // Length: no form has it.
        ("140421007866200100052021010422451.jpg", Length), // 33 digits
        ("14042100786620010005202101042245155.jpg", Length), // 35 digits
        ("1404210078662004202101040945.jpg", Length),      // 28 digits
        ("140421007866.jpg", Length),
        (".jpg", Length),
        // Extension.
        ("1404210078662001000520210104224515.png", Extension),
        ("1404210078662001000520210104224515.mp4", Extension), // U1 is a JPEG
        ("1404210078662001000520210104224515.JPG", Extension),
        ("1404210078662001000520210104224515", Extension),
        ("1404210078662001000520210104224515.", Extension),
        ("1404210078662001000520210104224515.jpg.", Extension),
        ("1404210078662001000520210104224515.jpg.jpg", Extension),
        ("1404210078662001000520210104224515.jpeg", Extension),
        ("140421007866100320210104121546.jpg", Extension), // U3 rule form is an MP4
        ("14042100786610030120210104121546.jpg", Extension), // U3 example form is an MP4
        ("140421007866200420210104094515.mp4", Extension), // U4 is a JPEG
        ("14042100786610000120210104121546.MP4", Extension),
        // Mine.
        ("14042100786a2001000520210104224515.jpg", Mine),
        ("\u{0661}404210078662001000520210104224515.jpg", Mine), // Arabic-Indic one
        // Camera.
        ("1404210078664001000520210104224515.jpg", Camera),
        ("1404210078660001000520210104224515.jpg", Camera),
        ("1404210078669901000520210104224515.jpg", Camera),
        ("140421007866400420210104094515.jpg", Camera),
        // Analysis type.
        ("1404210078662006000520210104224515.jpg", AnalysisType),
        ("1404210078662000000520210104224515.jpg", AnalysisType),
        ("140421007866200620210104094515.jpg", AnalysisType),
        ("140421007866200020210104094515.jpg", AnalysisType),
        // Count: present where it must not be, missing where it must be, bad.
        ("1404210078662004000520210104094515.jpg", Count), // count on a tamper name
        ("1404210078662005000520210104094515.jpg", Count),
        ("1404210078661003000120210104121546.mp4", Count), // 34 digits with type 03
        ("140421007866200120210104224515.jpg", Count),     // people name without count
        ("140421007866300220210105200820.jpg", Count),     // truck name without count
        ("14042100786620010a0520210104224515.jpg", Count),
        ("14042100786620010 0520210104224515.jpg", Count),
        ("140421007866200100０520210104224515.jpg", Count), // full-width zero
        // Transport state.
        ("14042100786610030320210104121546.mp4", TransportState),
        ("14042100786610039920210104121546.mp4", TransportState),
        // Lock and lock state.
        ("14042100786660000120210104121546.mp4", Lock),
        ("14042100786600000120210104121546.mp4", Lock),
        ("14042100786610000320210104121546.mp4", LockState),
        ("14042100786610000020210104121546.mp4", LockState),
        ("14042100786610010020210104121546.mp4", LockState),
        // Time.
        ("1404210078662001000520210230224515.jpg", t(TimeField::Day)),
        ("1404210078662001000520210229224515.jpg", t(TimeField::Day)), // 2021 is no leap year
        ("1404210078662001000520210100224515.jpg", t(TimeField::Day)),
        (
            "1404210078662001000520211304224515.jpg",
            t(TimeField::Month),
        ),
        (
            "1404210078662001000520210004224515.jpg",
            t(TimeField::Month),
        ),
        ("1404210078662001000520210104244515.jpg", t(TimeField::Hour)),
        (
            "1404210078662001000520210104226015.jpg",
            t(TimeField::Minute),
        ),
        (
            "1404210078662001000520210104224560.jpg",
            t(TimeField::Second),
        ),
        ("1404210078662001000500000104224515.jpg", t(TimeField::Year)),
        ("140421007866200420210104x94515.jpg", t(TimeField::Whole)),
        ("14042100786610000120210104121546\u{0}.mp4", Name),
    ]
    .into_iter()
    .map(|(n, f)| (n.to_owned(), f))
    .collect();
    cases.push(("9".repeat(10_000), Length));
    cases.push((format!("{}.jpg", "1".repeat(61)), Length));
    cases.push((
        "１４０４２１００７８６６２００１０００５２０２１０１０４２２４５１５.jpg".to_owned(),
        Mine,
    ));
    cases.push((u1_with(16..20, "٠٠٠٥"), Count)); // Arabic-Indic digits
    cases.push((u1_with(0..0, "\u{200b}"), Name)); // zero-width space
    cases
}

#[test]
fn malformed_names_name_the_field() {
    let cases = table();
    assert!(cases.len() >= 30);
    let distinct: std::collections::HashSet<&String> = cases.iter().map(|(n, _)| n).collect();
    assert_eq!(distinct.len(), cases.len(), "duplicate case");
    for (name, field) in &cases {
        check(name, *field);
    }
}

/// The rendered message of every case, reviewed once and kept as a snapshot.
#[test]
fn malformed_messages() {
    let mut out = String::new();
    for (name, field) in table() {
        let shown: String = if name.len() > 60 {
            format!("<{} bytes>", name.len())
        } else {
            format!("{name:?}")
        };
        writeln!(out, "{shown}\n    {}", check(&name, field)).unwrap();
    }
    insta::assert_snapshot!(out);
}

#[test]
fn spans_point_at_the_right_bytes() {
    let e = check("14042100786620010a0520210104224515.jpg", Field::Count);
    assert_eq!(
        (e.span.clone(), e.found.as_str(), e.clause),
        (16..20, "0a05", "U1")
    );
    assert_eq!(
        e.to_string(),
        r#"field count: expected 4 digits at 16..20, found "0a05" (U1)"#
    );

    let e = check(
        "1404210078662001000520210230224515.jpg",
        Field::Time(TimeField::Day),
    );
    assert_eq!((e.span.clone(), e.found.as_str()), (26..28, "30"));
    assert!(
        e.to_string()
            .starts_with("field time.day: expected a day 01-28 of 2021-02"),
        "{e}"
    );

    let e = check("1404210078664001000520210104224515.jpg", Field::Camera);
    assert_eq!((e.span.clone(), e.found.as_str()), (12..14, "40"));
    assert!(
        e.expected.contains("1x") && e.expected.contains("U8"),
        "{e}"
    );

    let e = check("1404210078662001000520210104224515.mp4", Field::Extension);
    assert_eq!((e.span.clone(), e.found.as_str()), (34..38, ".mp4"));

    let e = check("1404210078662001000520210104224515.JPG", Field::Extension);
    assert!(e.expected.contains("\".jpg\""), "{e}");

    let e = check("1404210078662004000520210104094515.jpg", Field::Count);
    assert_eq!((e.span.clone(), e.clause), (16..20, "U4"));

    let e = check("140421007866200120210104224515.jpg", Field::Count);
    assert_eq!(e.span.clone(), 16..16);

    let e = check("../x.jpg", Field::Name);
    assert_eq!(e.span.clone(), 0..2);
    assert!(e.expected.contains("no path components"));

    let e = check("14042100786610000320210104121546.mp4", Field::LockState);
    assert_eq!((e.span.clone(), e.clause), (14..18, "U5"));

    // A full-width digit is 3 bytes: the count field spans 16..22.
    let e = check("140421007866200100０520210104224515.jpg", Field::Count);
    assert_eq!((e.span.clone(), e.found.as_str()), (16..22, "00０5"));
    assert!(e.expected.contains("ASCII digits 0-9"), "{e}");

    let long = "9".repeat(10_000);
    let e = check(&long, Field::Length);
    assert!(e.found.len() < 100 && e.to_string().len() < 300, "{e}");
}

#[test]
fn errors_serialize_with_field_names() {
    let e = check("14042100786620010a0520210104224515.jpg", Field::Count);
    let v = serde_json::to_value(&e).unwrap();
    assert_eq!(
        v,
        serde_json::json!({
            "field": "count",
            "span": { "start": 16, "end": 20 },
            "found": "0a05",
            "expected": "4 digits",
            "clause": "U1"
        })
    );
    let e = check(
        "1404210078662001000520210230224515.jpg",
        Field::Time(TimeField::Day),
    );
    assert_eq!(serde_json::to_value(&e).unwrap()["field"], "time.day");
}

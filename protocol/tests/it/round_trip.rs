//! Round-trips for every name form (typed → format → parse → same typed,
//! same text) and "parsing never panics" on any string.

use chrono::NaiveDate;
use eseal_protocol::{
    CameraCode, CameraKind, DailyCount, EvidenceName, Extension, FindingKind, LockCode, LockKind,
    LockState, MineCode, MineTime, NameError, TamperKind, TransportState,
};
use proptest::prelude::*;
use proptest::sample::select;

fn mine() -> impl Strategy<Value = MineCode> {
    "[0-9]{12}".prop_map(|s| MineCode::parse(&s).unwrap())
}

fn camera() -> impl Strategy<Value = CameraCode> {
    (
        select(vec![
            CameraKind::MainShaft,
            CameraKind::AuxiliaryShaft,
            CameraKind::VehicleGate,
        ]),
        0u8..=9,
    )
        .prop_map(|(k, i)| CameraCode::new(k, i).unwrap())
}

fn count() -> impl Strategy<Value = DailyCount> {
    (0u16..=9999).prop_map(|n| DailyCount::new(n).unwrap())
}

fn time() -> impl Strategy<Value = MineTime> {
    (
        1i32..=9999,
        1u32..=12,
        1u32..=31,
        0u32..24,
        0u32..60,
        0u32..60,
    )
        .prop_filter_map("no such day", |(y, mo, d, h, mi, s)| {
            let naive = NaiveDate::from_ymd_opt(y, mo, d)?.and_hms_opt(h, mi, s)?;
            MineTime::from_naive(naive).ok()
        })
}

fn lock() -> impl Strategy<Value = LockCode> {
    (
        select(vec![
            LockKind::Hoist,
            LockKind::Belt,
            LockKind::Winch,
            LockKind::Tram,
            LockKind::Skip,
        ]),
        0u8..=9,
    )
        .prop_map(|(k, i)| LockCode::new(k, i).unwrap())
}

fn transport_state() -> impl Strategy<Value = TransportState> {
    select(vec![
        TransportState::Stopped,
        TransportState::RunningLoaded,
        TransportState::RunningEmpty,
    ])
}

fn u1() -> impl Strategy<Value = EvidenceName> {
    (mine(), camera(), count(), time()).prop_map(|(mine, camera, count, time)| {
        EvidenceName::People {
            mine,
            camera,
            count,
            time,
        }
    })
}

fn u2() -> impl Strategy<Value = EvidenceName> {
    (mine(), camera(), count(), time()).prop_map(|(mine, camera, count, time)| {
        EvidenceName::Truck {
            mine,
            camera,
            count,
            time,
        }
    })
}

fn u3_30() -> impl Strategy<Value = EvidenceName> {
    (mine(), camera(), time()).prop_map(|(mine, camera, time)| EvidenceName::Transport {
        mine,
        camera,
        state: None,
        time,
    })
}

fn u3_32() -> impl Strategy<Value = EvidenceName> {
    (mine(), camera(), transport_state(), time()).prop_map(|(mine, camera, state, time)| {
        EvidenceName::Transport {
            mine,
            camera,
            state: Some(state),
            time,
        }
    })
}

fn u4(kind: TamperKind) -> impl Strategy<Value = EvidenceName> {
    (mine(), camera(), time()).prop_map(move |(mine, camera, time)| EvidenceName::Tamper {
        mine,
        camera,
        kind,
        time,
    })
}

fn u5(ext: Extension) -> impl Strategy<Value = EvidenceName> {
    (
        mine(),
        lock(),
        select(vec![LockState::Moved, LockState::Damaged]),
        time(),
    )
        .prop_map(move |(mine, lock, state, time)| EvidenceName::Lock {
            mine,
            lock,
            state,
            time,
            ext,
        })
}

fn any_name() -> impl Strategy<Value = EvidenceName> {
    prop_oneof![
        u1(),
        u2(),
        u3_30(),
        u3_32(),
        u4(TamperKind::Occlusion),
        u4(TamperKind::AngleMoved),
        u5(Extension::Mp4),
        u5(Extension::Jpg),
    ]
}

/// format → parse gives the same value, the same text, and the findings the
/// form carries.
fn round_trip(name: EvidenceName, findings: &[FindingKind]) -> Result<(), TestCaseError> {
    let text = name.to_string();
    prop_assert_eq!(text.len(), name.digit_len() + 4);
    let parsed =
        EvidenceName::parse(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
    prop_assert_eq!(parsed.name, name);
    prop_assert_eq!(parsed.name.to_string(), text);
    let kinds: Vec<FindingKind> = parsed.findings.iter().map(|f| f.kind).collect();
    prop_assert_eq!(kinds, findings);
    Ok(())
}

/// The error of a failed parse is well formed: the span is a byte range of
/// the input, `found` is bounded, the message is one line.
fn well_formed(input: &str, e: &NameError) -> Result<(), TestCaseError> {
    prop_assert!(
        input.get(e.span.clone()).is_some(),
        "span {:?} of {:?}",
        e.span,
        input
    );
    prop_assert!(e.found.chars().count() <= NameError::FOUND_MAX_CHARS + 20);
    let msg = e.to_string();
    prop_assert!(!msg.contains('\n') && msg.len() < 600, "{}", msg);
    Ok(())
}

proptest! {
    #[test]
    fn u1_people(name in u1()) { round_trip(name, &[])?; }

    #[test]
    fn u2_truck(name in u2()) { round_trip(name, &[])?; }

    #[test]
    fn u3_rule_form_30(name in u3_30()) { round_trip(name, &[FindingKind::U3RuleForm30])?; }

    #[test]
    fn u3_example_form_32(name in u3_32()) { round_trip(name, &[FindingKind::U3ExampleForm32])?; }

    #[test]
    fn u4_occlusion(name in u4(TamperKind::Occlusion)) { round_trip(name, &[])?; }

    #[test]
    fn u4_angle_moved(name in u4(TamperKind::AngleMoved)) { round_trip(name, &[])?; }

    #[test]
    fn u5_lock_mp4(name in u5(Extension::Mp4)) { round_trip(name, &[])?; }

    #[test]
    fn u5_lock_jpg(name in u5(Extension::Jpg)) { round_trip(name, &[FindingKind::U5JpgExtension])?; }

    #[test]
    fn codes_round_trip(t in time(), m in mine(), c in camera(), l in lock(), n in count()) {
        prop_assert_eq!(MineTime::parse(&t.to_string()).ok(), Some(t));
        prop_assert_eq!(MineTime::from_utc(t.to_utc()).ok(), Some(t));
        prop_assert_eq!(MineCode::parse(m.as_str()).ok(), Some(m));
        prop_assert_eq!(CameraCode::parse(&c.to_string()).ok(), Some(c));
        prop_assert_eq!(LockCode::parse(&l.to_string()).ok(), Some(l));
        prop_assert_eq!(DailyCount::parse(&n.to_string()).ok(), Some(n));
    }

    #[test]
    fn any_string_never_panics(s in any::<String>()) {
        if let Err(e) = EvidenceName::parse(&s) { well_formed(&s, &e)?; }
    }

    #[test]
    fn digits_and_dots_never_panic(s in "[0-9./\\\\a-zA-Z０-９٠-٩ ]{0,70}") {
        if let Err(e) = EvidenceName::parse(&s) { well_formed(&s, &e)?; }
    }

    /// One character of a valid name replaced, inserted or removed: either
    /// still a valid name (formats back to the input) or a well-formed error.
    #[test]
    fn mutated_names_never_panic(name in any_name(), pos in 0usize..40, c in any::<char>(), op in 0u8..3) {
        let mut s: Vec<char> = name.to_string().chars().collect();
        let pos = pos.min(s.len());
        match op {
            0 if pos < s.len() => s[pos] = c,
            1 => s.insert(pos, c),
            _ if pos < s.len() => { s.remove(pos); }
            _ => s.push(c),
        }
        let s: String = s.into_iter().collect();
        match EvidenceName::parse(&s) {
            Ok(p) => prop_assert_eq!(p.name.to_string(), s),
            Err(e) => well_formed(&s, &e)?,
        }
    }
}

//! Table tests of the reference rule table: for every rule, (configuration, events) → the
//! alarms raised, each written `kind grade message @ location`.

use chrono::NaiveDate;
use eseal_protocol::{
    CameraCode, LockCode, LockState, MineCode, MineTime, TamperKind, TransportState,
};

use super::*;
use crate::supervision::UnitCode;
use crate::supervision::mines::{CountyDefaults, MineConfig, MineState, Withdrawal};

const MINE: &str = "140421007866";

fn mine_code() -> MineCode {
    MineCode::parse(MINE).expect("mine")
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect(s)
}

fn at(t: &str) -> MineTime {
    MineTime::parse(t).expect(t)
}

fn camera(c: &str) -> Option<CameraCode> {
    Some(CameraCode::parse(c).expect(c))
}

/// An event; evidence ids are given by [`run`] (event n gets id n) unless set here.
fn ev(time: &str, cam: Option<&str>, kind: EventKind) -> RuleInput {
    RuleInput {
        mine: mine_code(),
        camera: cam.and_then(camera),
        kind,
        time: at(time),
        evidence: None,
    }
}

fn person(time: &str, n: u16) -> RuleInput {
    ev(time, Some("20"), EventKind::PersonDown { daily_count: n })
}
fn person_at(time: &str, cam: &str, n: u16) -> RuleInput {
    ev(time, Some(cam), EventKind::PersonDown { daily_count: n })
}
fn truck(time: &str, n: u16) -> RuleInput {
    ev(time, Some("30"), EventKind::TruckOut { daily_count: n })
}
fn transport(time: &str, cam: &str, state: Option<&str>) -> RuleInput {
    let state = state.map(|s| TransportState::parse(s).expect(s));
    ev(time, Some(cam), EventKind::Transport { state })
}
fn tamper(time: &str, cam: &str, t: &str) -> RuleInput {
    let kind = TamperKind::parse(t).expect(t);
    ev(time, Some(cam), EventKind::Tamper { kind })
}
fn lock(time: &str, code: &str, state: &str) -> RuleInput {
    let code = LockCode::parse(code).expect(code);
    let state = LockState::parse(state).expect(state);
    ev(time, None, EventKind::Lock { code, state })
}
fn offline(time: &str, since: &str) -> RuleInput {
    ev(time, None, EventKind::Offline { since: at(since) })
}

/// A stopped mine with "一停四不停" and 3 people expected per day, truck threshold 2, camera 20
/// named 副井口东.
fn duty_mine() -> MineConfig {
    let mut m = MineConfig::new(mine_code(), "示例铁矿", MineState::Stopped);
    m.one_stop_four_continue = true;
    m.expected_people_per_day = Some(3);
    m.truck_threshold = Some(2);
    m.cameras
        .insert(CameraCode::parse("20").expect("20"), "副井口东".to_owned());
    m
}

fn bare_mine(state: MineState) -> MineConfig {
    MineConfig::new(mine_code(), "示例铁矿", state)
}

fn county(people: Option<u16>, trucks: Option<u16>) -> CountyDefaults {
    CountyDefaults {
        county: UnitCode::parse("140421").expect("county"),
        people_threshold: people,
        truck_threshold: trucks,
    }
}

fn show(d: &AlarmDraft) -> String {
    format!(
        "{} {} {} @ {}",
        d.kind.id(),
        grade_id(d.grade),
        d.message,
        d.location
    )
}

/// Evaluates `events` in order with a fresh reference engine; the alarms of each event.
fn run(
    mine: &MineConfig,
    county: Option<&CountyDefaults>,
    events: &[RuleInput],
) -> Vec<Vec<AlarmDraft>> {
    let mut engine = RuleEngine::new(RuleTable::reference().expect("reference table"));
    events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let mut e = e.clone();
            if e.evidence.is_none() && !matches!(e.kind, EventKind::Offline { .. }) {
                e.evidence = Some(Evidence {
                    event_id: i as i64 + 1,
                    name: format!("event-{}", i + 1),
                });
            }
            let eff = mine.effective(e.time.date(), county);
            engine.evaluate(&e, &eff).expect("evaluates")
        })
        .collect()
}

/// One table row: a name, the configuration, the events and per event the alarms raised.
struct Case {
    name: &'static str,
    mine: MineConfig,
    county: Option<CountyDefaults>,
    events: Vec<RuleInput>,
    expect: Vec<Vec<&'static str>>,
}

fn check(cases: Vec<Case>) {
    for c in cases {
        assert_eq!(
            c.events.len(),
            c.expect.len(),
            "{}: one expectation per event",
            c.name
        );
        let got: Vec<Vec<String>> = run(&c.mine, c.county.as_ref(), &c.events)
            .iter()
            .map(|ds| ds.iter().map(show).collect())
            .collect();
        let want: Vec<Vec<String>> = c
            .expect
            .iter()
            .map(|ds| ds.iter().map(|s| s.to_string()).collect())
            .collect();
        assert_eq!(got, want, "case {}", c.name);
    }
}

fn case(
    name: &'static str,
    mine: MineConfig,
    events: Vec<RuleInput>,
    expect: Vec<Vec<&'static str>>,
) -> Case {
    Case {
        name,
        mine,
        county: None,
        events,
        expect,
    }
}

const NONE: Vec<&'static str> = Vec::new();

#[test]
fn people_over_limit_table() {
    let mut withdrawal = bare_mine(MineState::ConstructionStopped);
    withdrawal.withdrawal = Some(Withdrawal {
        deadline: day("2026-03-31"),
        expected_people_per_day: 12,
    });
    let mut unnamed = duty_mine();
    unnamed.cameras.clear();
    let mut county_only = bare_mine(MineState::Stopped);
    county_only.one_stop_four_continue = true;
    let p = |s: &'static str| vec![s];
    check(vec![
        case(
            "count == limit → none, limit+1 → general",
            duty_mine(),
            vec![person("20260302101500", 3), person("20260302101600", 4)],
            vec![
                NONE,
                p("people_over_limit general 入井人数 4 @ 副井口东 (20)"),
            ],
        ),
        case(
            "same band again the same day is suppressed",
            duty_mine(),
            vec![person("20260302101600", 4), person("20260302101700", 5)],
            vec![
                p("people_over_limit general 入井人数 4 @ 副井口东 (20)"),
                NONE,
            ],
        ),
        case(
            "a higher band the same day raises again, then not back down",
            duty_mine(),
            vec![
                person("20260302101600", 4),
                person("20260302101700", 6),
                person("20260302101800", 13),
                person("20260302101900", 14),
            ],
            vec![
                p("people_over_limit general 入井人数 4 @ 副井口东 (20)"),
                p("people_over_limit serious 入井人数 6 @ 副井口东 (20)"),
                p("people_over_limit major 入井人数 13 @ 副井口东 (20)"),
                NONE,
            ],
        ),
        case(
            "the next CST day starts afresh",
            duty_mine(),
            vec![person("20260302235959", 4), person("20260303000000", 4)],
            vec![
                p("people_over_limit general 入井人数 4 @ 副井口东 (20)"),
                p("people_over_limit general 入井人数 4 @ 副井口东 (20)"),
            ],
        ),
        case(
            "withdrawal period in force allows its number; expired: no flag, 0",
            withdrawal,
            vec![
                person("20260331090000", 12),
                person("20260331090100", 13),
                person("20260401090000", 1),
            ],
            vec![
                NONE,
                p("people_over_limit general 入井人数 13 @ 副井口 (20)"),
                p("people_over_limit general 入井人数 1 @ 副井口 (20)"),
            ],
        ),
        case(
            "no 一停四不停: the first person alarms, over by 10 is major",
            bare_mine(MineState::Stopped),
            vec![person("20260302080000", 1), person("20260302080100", 10)],
            vec![
                p("people_over_limit general 入井人数 1 @ 副井口 (20)"),
                p("people_over_limit major 入井人数 10 @ 副井口 (20)"),
            ],
        ),
        Case {
            county: Some(county(Some(5), None)),
            ..case(
                "county default used when the mine filed none",
                county_only,
                vec![person("20260302080000", 5), person("20260302080100", 6)],
                vec![
                    NONE,
                    p("people_over_limit general 入井人数 6 @ 副井口 (20)"),
                ],
            )
        },
        case(
            "a camera the configuration does not know still alarms with its camera",
            unnamed,
            vec![person_at("20260302080000", "21", 4)],
            vec![p("people_over_limit general 入井人数 4 @ 副井口 (21)")],
        ),
    ]);
}

#[test]
fn the_reason_names_the_limit_and_its_source() {
    let mut m = bare_mine(MineState::Stopped);
    m.withdrawal = Some(Withdrawal {
        deadline: day("2026-03-31"),
        expected_people_per_day: 3,
    });
    let d = &run(&m, None, &[person("20260302101500", 31)])[0][0];
    assert_eq!(
        d.reason,
        "rule people_over_limit: 31 people went down on CST day 2026-03-02, allowed 3 \
         (withdrawal period until 2026-03-31 (回撤期)), over by 28; mine state stopped (停产); \
         grade major 重大风险(红) (band from 10)"
    );
    assert_eq!(d.message, "入井人数 31");
    assert_eq!(d.dedup_scope, "people_over_limit/140421007866/2026-03-02");
    assert_eq!(
        d.dedup_key,
        "people_over_limit/140421007866/2026-03-02@major"
    );
    assert_eq!(d.evidence.as_ref().map(|e| e.event_id), Some(1));
    let c = county(Some(5), None);
    let mut flagged = bare_mine(MineState::Stopped);
    flagged.one_stop_four_continue = true;
    let d = &run(&flagged, Some(&c), &[person("20260302101500", 6)])[0][0];
    assert!(
        d.reason
            .contains("allowed 5 (county 140421 default (县默认阈值))"),
        "{}",
        d.reason
    );
}

#[test]
fn trucks_over_limit_table() {
    let p = |s: &'static str| vec![s];
    check(vec![
        case(
            "threshold 2: 2 none, 3 general, over by 5 serious",
            duty_mine(),
            vec![
                truck("20260302120000", 2),
                truck("20260302120100", 3),
                truck("20260302120200", 4),
                truck("20260302120300", 7),
            ],
            vec![
                NONE,
                p("trucks_over_limit general 入矿车辆 3 @ 车辆出入口 (30)"),
                NONE,
                p("trucks_over_limit serious 入矿车辆 7 @ 车辆出入口 (30)"),
            ],
        ),
        Case {
            county: Some(county(None, Some(4))),
            ..case(
                "county default truck threshold",
                bare_mine(MineState::Stopped),
                vec![truck("20260302120000", 4), truck("20260302120100", 5)],
                vec![
                    NONE,
                    p("trucks_over_limit general 入矿车辆 5 @ 车辆出入口 (30)"),
                ],
            )
        },
        case(
            "nothing filed anywhere: national default 0",
            bare_mine(MineState::Closing),
            vec![truck("20260302120000", 1), truck("20260303120000", 1)],
            vec![
                p("trucks_over_limit general 入矿车辆 1 @ 车辆出入口 (30)"),
                p("trucks_over_limit general 入矿车辆 1 @ 车辆出入口 (30)"),
            ],
        ),
    ]);
}

#[test]
fn transport_running_table() {
    let p = |s: &'static str| vec![s];
    let loaded = "transport_running serious 运输设备运行 @ 主井口 (10)";
    let empty = "transport_running general 皮带无煤运行 @ 主井口 (10)";
    check(vec![
        case(
            "00 stopped → none",
            duty_mine(),
            vec![transport("20260302121546", "10", Some("00"))],
            vec![NONE],
        ),
        case(
            "01 running loaded → serious",
            duty_mine(),
            vec![transport("20260302121546", "10", Some("01"))],
            vec![p(loaded)],
        ),
        case(
            "02 running empty → 皮带无煤运行",
            duty_mine(),
            vec![transport("20260302121546", "10", Some("02"))],
            vec![p(empty)],
        ),
        case(
            "30-digit form (no state) → 运输设备运行",
            duty_mine(),
            vec![transport("20260302121546", "10", None)],
            vec![p(loaded)],
        ),
        case(
            "at a 关闭 mine: loaded major, empty serious",
            bare_mine(MineState::Closing),
            vec![
                transport("20260302121546", "10", Some("01")),
                transport("20260302131546", "11", Some("02")),
            ],
            vec![
                p("transport_running major 运输设备运行 @ 主井口 (10)"),
                p("transport_running serious 皮带无煤运行 @ 主井口 (11)"),
            ],
        ),
        case(
            "once per start: load changes while running raise nothing more",
            duty_mine(),
            vec![
                transport("20260302121546", "10", Some("01")),
                transport("20260302122000", "10", Some("02")),
                transport("20260302122500", "10", Some("01")),
            ],
            vec![p(loaded), NONE, NONE],
        ),
        case(
            "empty turning loaded is an escalation, back to empty is not",
            duty_mine(),
            vec![
                transport("20260302121546", "10", Some("02")),
                transport("20260302122000", "10", Some("01")),
                transport("20260302122500", "10", Some("02")),
            ],
            vec![p(empty), p(loaded), NONE],
        ),
        case(
            "stopped then started again: a new start",
            duty_mine(),
            vec![
                transport("20260302121546", "10", Some("01")),
                transport("20260302122000", "10", Some("00")),
                transport("20260302122500", "10", Some("01")),
            ],
            vec![p(loaded), NONE, p(loaded)],
        ),
        case(
            "two cameras run two periods",
            duty_mine(),
            vec![
                transport("20260302121546", "10", Some("01")),
                transport("20260302121547", "20", Some("01")),
            ],
            vec![
                p(loaded),
                p("transport_running serious 运输设备运行 @ 副井口东 (20)"),
            ],
        ),
    ]);
}

#[test]
fn camera_tamper_table() {
    let p = |s: &'static str| vec![s];
    let occluded = "camera_occluded serious 摄像头遮挡 @ 副井口东 (20)";
    check(vec![
        case(
            "04 occluded, 05 moved",
            duty_mine(),
            vec![
                tamper("20260302094515", "20", "04"),
                tamper("20260302094516", "20", "05"),
            ],
            vec![
                p(occluded),
                p("camera_moved general 摄像头移位 @ 副井口东 (20)"),
            ],
        ),
        case(
            "hourly re-detection the same day is one alarm; next day again",
            duty_mine(),
            vec![
                tamper("20260302094515", "20", "04"),
                tamper("20260302104515", "20", "04"),
                tamper("20260303004515", "20", "04"),
            ],
            vec![p(occluded), NONE, p(occluded)],
        ),
        case(
            "each camera its own",
            duty_mine(),
            vec![
                tamper("20260302094515", "20", "04"),
                tamper("20260302094515", "30", "04"),
            ],
            vec![
                p(occluded),
                p("camera_occluded serious 摄像头遮挡 @ 车辆出入口 (30)"),
            ],
        ),
    ]);
}

#[test]
fn lock_tampered_table() {
    let p = |s: &'static str| vec![s];
    let moved = "lock_tampered serious 电子锁被移动 @ 电子锁 10 (提升机)";
    let mut again = lock("20260302121546", "10", "0001");
    again.evidence = Some(Evidence {
        event_id: 1,
        name: "event-1".to_owned(),
    });
    check(vec![
        case(
            "0001 moved serious, 0002 damaged major",
            duty_mine(),
            vec![
                lock("20260302121546", "10", "0001"),
                lock("20260302121600", "20", "0002"),
            ],
            vec![
                p(moved),
                p("lock_tampered major 电子锁被破坏 @ 电子锁 20 (皮带)"),
            ],
        ),
        case(
            "each lock event its own alarm; the same event twice raises once",
            duty_mine(),
            vec![
                lock("20260302121546", "10", "0001"),
                lock("20260302121547", "10", "0001"),
                again,
            ],
            vec![p(moved), p(moved), NONE],
        ),
    ]);
}

#[test]
fn mine_offline_table() {
    let p = |s: &'static str| vec![s];
    let general = "mine_offline general 矿山离线 @ 矿山";
    check(vec![
        case(
            "29 minutes → none, 30 → general, same period later → none",
            duty_mine(),
            vec![
                offline("20260302102900", "20260302100000"),
                offline("20260302103000", "20260302100000"),
                offline("20260302113000", "20260302100000"),
            ],
            vec![NONE, p(general), NONE],
        ),
        case(
            "24 hours offline escalates; a new period alarms anew",
            duty_mine(),
            vec![
                offline("20260302103000", "20260302100000"),
                offline("20260303100000", "20260302100000"),
                offline("20260303120000", "20260303113000"),
            ],
            vec![
                p(general),
                p("mine_offline serious 矿山离线 @ 矿山"),
                p(general),
            ],
        ),
    ]);
}

#[test]
fn wrong_mine_or_day_is_an_error_not_a_guess() {
    let mut engine = RuleEngine::new(RuleTable::reference().expect("table"));
    let m = duty_mine();
    let e = engine
        .evaluate(
            &person("20260302101500", 9),
            &m.effective(day("2026-03-01"), None),
        )
        .expect_err("day");
    assert!(e.to_string().contains("CST day 2026-03-02"), "{e}");
    let mut other = m.clone();
    other.mine = MineCode::parse("140421000001").expect("mine");
    let e = engine
        .evaluate(
            &person("20260302101500", 9),
            &other.effective(day("2026-03-02"), None),
        )
        .expect_err("mine");
    assert!(matches!(e, RuleInputError::WrongMine { .. }));
    assert!(engine.state().is_empty());
}

#[test]
fn the_dedup_memory_persists_and_prunes() {
    let mut engine = RuleEngine::new(RuleTable::reference().expect("table"));
    let m = duty_mine();
    let e = person("20260302101500", 9);
    let eff = m.effective(day("2026-03-02"), None);
    assert_eq!(engine.evaluate(&e, &eff).expect("ok").len(), 1);
    let saved = serde_json::to_string(engine.state()).expect("serialises");
    let state: DedupState = serde_json::from_str(&saved).expect("restores");
    let mut resumed = RuleEngine::with_state(RuleTable::reference().expect("table"), state);
    assert!(
        resumed.evaluate(&e, &eff).expect("ok").is_empty(),
        "remembered"
    );
    resumed.state_mut().prune_before(day("2026-03-03"));
    assert_eq!(resumed.state().len(), 0);
    assert_eq!(
        resumed.evaluate(&e, &eff).expect("ok").len(),
        1,
        "forgotten"
    );
}

#[test]
fn events_rows_normalise_by_clause() {
    let row = |clause: &str, camera: Option<&str>, at: Option<&str>, count: Option<i64>| EventRow {
        id: 7,
        name: "n".to_owned(),
        clause: clause.to_owned(),
        mine: MINE.to_owned(),
        camera: camera.map(str::to_owned),
        analysis_type: at.map(str::to_owned),
        daily_count: count,
        transport_state: None,
        lock_code: None,
        lock_state: None,
        mine_time: "20210104224515".to_owned(),
        event_utc: "2021-01-04T14:45:15Z".to_owned(),
        received_at: "2021-01-04T14:45:16Z".to_owned(),
        channel: "ftp".to_owned(),
        account: "a".to_owned(),
        sha256: "0".repeat(64),
        findings: serde_json::json!([]),
        metadata: None,
        evidence: None,
    };
    let u1 = RuleInput::from_event(&row("U1", Some("20"), Some("01"), Some(5))).expect("U1");
    assert_eq!(u1.kind, EventKind::PersonDown { daily_count: 5 });
    assert_eq!(u1.camera, camera("20"));
    assert_eq!(u1.evidence.map(|e| e.event_id), Some(7));
    let u3 = RuleInput::from_event(&row("U3", Some("10"), Some("03"), None)).expect("U3");
    assert_eq!(u3.kind, EventKind::Transport { state: None });
    let u4 = RuleInput::from_event(&row("U4", Some("20"), Some("05"), None)).expect("U4");
    assert_eq!(
        u4.kind,
        EventKind::Tamper {
            kind: TamperKind::AngleMoved
        }
    );
    let mut u5 = row("U5", None, None, None);
    u5.lock_code = Some("10".to_owned());
    u5.lock_state = Some("0002".to_owned());
    let u5 = RuleInput::from_event(&u5).expect("U5");
    assert_eq!(
        u5.kind,
        EventKind::Lock {
            code: LockCode::parse("10").expect("10"),
            state: LockState::Damaged
        }
    );
    let e = RuleInput::from_event(&row("U2", Some("30"), Some("02"), None)).expect_err("no count");
    assert_eq!(
        e.to_string(),
        r#"event 7: field daily_count: expected a daily count 0-9999, found "nothing" (U2)"#
    );
    let e =
        RuleInput::from_event(&row("U4", Some("20"), Some("03"), None)).expect_err("not tamper");
    assert!(
        e.to_string()
            .contains("field analysis_type: expected 04 or 05"),
        "{e}"
    );
}

#[test]
fn the_reference_table_has_a_rule_for_every_alarm_kind() {
    let t = RuleTable::reference().expect("the embedded table parses");
    for k in AlarmKind::ALL {
        assert!(t.rules().iter().any(|r| r.alarm == k), "{k:?}");
    }
}

/// A broken operator rule file: every error names its rule and field.
const BROKEN: &str = r#"
[[rule]]
id = "people"
alarm = "people_over_limit"
event = "person_down"
trigger = "over_people_limit"
grade = "red"
message = "入井人数 {count}"
dedup = "mine_day"

[[rule]]
alarm = "trucks_over_limit"
event = "truck_out"
trigger = "over_truck_limit"
grade = "general"
message = "入矿车辆 {count}"
dedup = "mine_day"

[[rule]]
id = "trucks"
alarm = "trucks_over_limit"
event = "truck_out"
trigger = "over_people_limit"
grade = "general"
bands = [{ from = 5, grade = "serious" }, { from = 5, grade = "major" }]
message = "入矿车辆 {count} {minutes}"
dedup = "episode"

[[rule]]
id = "lock"
alarm = "lock_tampered"
event = "lock"
trigger = "always"
grade = "major"
message = "电子锁被破坏"
dedup = "event"
colour = "red"
"#;

#[test]
fn a_broken_rule_file_names_rule_and_field() {
    let e = RuleTable::parse(BROKEN).expect_err("broken");
    let got: Vec<String> =
        e.0.iter()
            .map(|e| format!("{} / {}", e.rule, e.field))
            .collect();
    assert_eq!(
        got,
        [
            "people / grade",
            "#2 / id",
            "trucks / trigger",
            "trucks / bands[1].from",
            "trucks / message",
            "trucks / dedup",
            "lock / colour",
        ],
        "{e}"
    );
    let text = e.to_string();
    assert!(
        text.contains("rule people, field grade: unknown variant `red`"),
        "{text}"
    );
    assert!(
        text.contains("placeholder {minutes} is not known for event truck_out"),
        "{text}"
    );
    let e = RuleTable::parse("[[rule]\nid = ").expect_err("not TOML");
    assert!(
        e.to_string().contains("rule -, field -: expected TOML"),
        "{e}"
    );
    let e = RuleTable::parse("").expect_err("empty");
    assert!(
        e.to_string().contains("expected at least one [[rule]]"),
        "{e}"
    );
}

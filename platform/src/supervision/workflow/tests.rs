//! Workflow transitions (P5), refusals and automatic supervision on a virtual clock (P4).

use chrono::{TimeDelta, TimeZone};

use super::*;

const MINE: &str = "140421007866";
const PHOTO: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2021, 1, 4, 14, 45, 15)
        .single()
        .expect("t0")
}

fn mins(m: i64) -> DateTime<Utc> {
    t0() + TimeDelta::minutes(m)
}

fn unit(s: &str) -> UnitCode {
    UnitCode::parse(s).expect(s)
}

fn raise(grade: RiskGrade) -> Alarm {
    let raised = AlarmFacts {
        id: 7,
        kind: AlarmKind::PeopleOverLimit,
        grade,
        mine: MineCode::parse(MINE).expect("mine"),
        camera: Some("20".to_owned()),
        message: "入井人数 31".to_owned(),
        event_time: t0() - TimeDelta::seconds(3),
        evidence: vec![],
    };
    Alarm::raise(raised, &Policy::default(), t0()).expect("raise")
}

/// The actors of the table, by name.
fn actor(name: &str) -> Actor {
    let (u, role) = match name {
        "county_viewer" => ("140421", Role::Viewer),
        "county_inspector" => ("140421", Role::Inspector),
        "county_supervisor" => ("140421", Role::Supervisor),
        "city_inspector" => ("140400", Role::Inspector),
        "city_supervisor" => ("140400", Role::Supervisor),
        "province_admin" => ("140000", Role::Admin),
        "national_supervisor" => ("000000", Role::Supervisor),
        "other_county" => ("140422", Role::Supervisor),
        "other_city" => ("140500", Role::Supervisor),
        "mine_admin" => (MINE, Role::Admin),
        "system" => return Actor::System,
        other => panic!("no actor {other}"),
    };
    Actor::user(name, unit(u), role)
}

fn sample(kind: ActionKind, alarm: &Alarm) -> Action {
    match kind {
        ActionKind::Acknowledge => Action::Acknowledge {
            note: "已签收".to_owned(),
        },
        ActionKind::Handle => Action::Handle {
            result: InspectionResult::ConfirmedViolation,
            notes: "现场核查：3 人违规入井，已责令停止 (3 people went down; stopped)".to_owned(),
            photos: vec![PHOTO.to_owned()],
        },
        ActionKind::Close => Action::Close {
            remarks: "整改到位".to_owned(),
        },
        ActionKind::Supervise => Action::Supervise {
            note: "请立即核查并报告 (inspect and report at once)".to_owned(),
        },
        ActionKind::AutoSupervise => Action::AutoSupervise(AutoSupervision {
            rung: alarm
                .supervisions
                .iter()
                .filter(|s| s.automatic.is_some())
                .count(),
            level: UnitLevel::City,
            unit: unit("140400"),
            overdue: Milestone::Acknowledge,
            deadline: alarm.deadlines.acknowledge_by,
            due_at: alarm.deadlines.acknowledge_by,
        }),
    }
}

/// Does the sample action of `kind` as `who`.
fn act(a: &mut Alarm, who: &str, kind: ActionKind, at: DateTime<Utc>) -> Result<Step, Refusal> {
    let action = sample(kind, a);
    apply(a, &actor(who), action, at)
}

/// An alarm driven by the county to `state`.
fn in_state(state: AlarmState) -> Alarm {
    let mut a = raise(RiskGrade::Major);
    let path = [
        (
            AlarmState::Acknowledged,
            ActionKind::Acknowledge,
            "county_inspector",
        ),
        (AlarmState::Handled, ActionKind::Handle, "county_inspector"),
        (AlarmState::Closed, ActionKind::Close, "county_supervisor"),
    ];
    for (reached, kind, who) in path {
        if a.state == state {
            break;
        }
        act(&mut a, who, kind, mins(5)).expect("drive the alarm");
        assert_eq!(a.state, reached);
    }
    assert_eq!(a.state, state);
    a
}

enum Expect {
    To(AlarmState),
    Refused(u16, &'static str),
}
use Expect::{Refused, To};

const CONFLICT: Expect = Refused(409, "invalid_transition");
const LEVEL: Expect = Refused(403, "wrong_level");
const ROLE: Expect = Refused(403, "role_too_low");
const OUTSIDE: Expect = Refused(403, "outside_jurisdiction");

/// Applies `kind` by `who` to an alarm in `from` and checks the outcome; a refusal leaves the
/// alarm untouched.
fn check(from: AlarmState, who: &str, kind: ActionKind, expect: Expect) {
    let mut alarm = in_state(from);
    let before = alarm.clone();
    let action = sample(kind, &alarm);
    let got = apply(&mut alarm, &actor(who), action, mins(10));
    let case = format!("{kind} by {who} on {}", from.id());
    match (expect, got) {
        (To(to), Ok(step)) => {
            assert_eq!((step.from, step.to, alarm.state), (from, to, to), "{case}");
            assert_eq!(alarm.steps.last(), Some(&step), "{case}: step appended");
            assert_eq!(step.actor, who, "{case}");
            assert_eq!(step.action.kind(), kind, "{case}");
        }
        (Refused(status, code), Err(r)) => {
            assert_eq!(
                (r.http_status().as_u16(), r.code()),
                (status, code),
                "{case}: {r}"
            );
            assert_eq!(alarm, before, "{case}: a refusal changes nothing");
            let msg = r.to_string();
            assert!(
                msg.contains(r.clause()),
                "{case}: message names the clause: {msg}"
            );
            assert!(
                msg.chars().any(|c| c > '\u{2e80}'),
                "{case}: message in Chinese: {msg}"
            );
        }
        (To(to), Err(r)) => panic!("{case}: expected {} but refused: {r}", to.id()),
        (Refused(status, code), Ok(step)) => {
            panic!("{case}: expected {status} {code} but allowed: {step:?}")
        }
    }
}

#[test]
fn every_transition_allowed_and_refused() {
    use ActionKind::*;
    use AlarmState::*;
    let table = [
        // 签收 (P5): the county's Inspectors and up, from Pushed only.
        (Pushed, "county_inspector", Acknowledge, To(Acknowledged)),
        (Pushed, "county_supervisor", Acknowledge, To(Acknowledged)),
        (Pushed, "county_viewer", Acknowledge, ROLE),
        (Pushed, "city_supervisor", Acknowledge, LEVEL),
        (Pushed, "national_supervisor", Acknowledge, LEVEL),
        (Pushed, "mine_admin", Acknowledge, LEVEL),
        (Pushed, "other_county", Acknowledge, OUTSIDE),
        (Pushed, "system", Acknowledge, LEVEL),
        (Acknowledged, "county_inspector", Acknowledge, CONFLICT),
        (Handled, "county_inspector", Acknowledge, CONFLICT),
        (Closed, "county_inspector", Acknowledge, CONFLICT),
        // 处置 (P5): the county's Inspectors and up, after acknowledging.
        (Acknowledged, "county_inspector", Handle, To(Handled)),
        (Acknowledged, "county_supervisor", Handle, To(Handled)),
        (Pushed, "county_inspector", Handle, CONFLICT),
        (Handled, "county_inspector", Handle, CONFLICT),
        (Closed, "county_inspector", Handle, CONFLICT),
        (Acknowledged, "county_viewer", Handle, ROLE),
        (Acknowledged, "province_admin", Handle, LEVEL),
        (Acknowledged, "mine_admin", Handle, LEVEL),
        (Acknowledged, "other_county", Handle, OUTSIDE),
        (Acknowledged, "system", Handle, LEVEL),
        // 办结 (P5): a county Supervisor, only once handled.
        (Handled, "county_supervisor", Close, To(Closed)),
        (Handled, "county_inspector", Close, ROLE),
        (Handled, "city_supervisor", Close, LEVEL),
        (Handled, "other_county", Close, OUTSIDE),
        (Pushed, "county_supervisor", Close, CONFLICT),
        (Acknowledged, "county_supervisor", Close, CONFLICT),
        (Closed, "county_supervisor", Close, CONFLICT),
        // 人工督办 (P4): city-level Supervisors and up, on any alarm not closed.
        (Pushed, "city_supervisor", Supervise, To(Pushed)),
        (Acknowledged, "province_admin", Supervise, To(Acknowledged)),
        (Handled, "national_supervisor", Supervise, To(Handled)),
        (Closed, "city_supervisor", Supervise, CONFLICT),
        (Pushed, "county_supervisor", Supervise, LEVEL),
        (Pushed, "mine_admin", Supervise, LEVEL),
        (Pushed, "city_inspector", Supervise, ROLE),
        (Pushed, "other_city", Supervise, OUTSIDE),
        (Pushed, "system", Supervise, LEVEL),
        // 自动督办 (P4): the platform only, while acknowledging or handling is pending.
        (Pushed, "system", AutoSupervise, To(Pushed)),
        (Acknowledged, "system", AutoSupervise, To(Acknowledged)),
        (Handled, "system", AutoSupervise, CONFLICT),
        (Closed, "system", AutoSupervise, CONFLICT),
        (Pushed, "national_supervisor", AutoSupervise, LEVEL),
    ];
    for (from, who, kind, expect) in table {
        check(from, who, kind, expect);
    }
}

#[test]
fn closing_an_alarm_nobody_handled_is_409_naming_its_state() {
    let mut a = in_state(AlarmState::Acknowledged);
    let r = act(&mut a, "county_supervisor", ActionKind::Close, mins(9))
        .expect_err("close before handling");
    assert_eq!(r.http_status().as_u16(), 409);
    let msg = r.to_string();
    assert!(
        msg.contains("已签收") && msg.contains("acknowledged"),
        "{msg}"
    );
    assert!(msg.contains("allowed when handled"), "{msg}");
}

#[test]
fn a_county_user_supervising_is_403_naming_p4() {
    let mut a = raise(RiskGrade::Major);
    let r = act(&mut a, "county_supervisor", ActionKind::Supervise, mins(1))
        .expect_err("county supervising");
    assert_eq!(r.http_status().as_u16(), 403);
    assert_eq!(r.clause(), "P4");
    assert!(
        r.to_string().contains("督办") && r.to_string().contains("P4"),
        "{r}"
    );
    let api = crate::http::error::ApiError::from(r);
    assert_eq!(api.status.as_u16(), 403);
    assert_eq!(api.detail.clause.as_deref(), Some("P4"));
}

#[test]
fn a_user_outside_the_jurisdiction_reading_an_alarm_is_403() {
    let a = in_state(AlarmState::Handled);
    for who in ["other_county", "other_city"] {
        let r = view(&a, &actor(who), mins(20)).expect_err(who);
        assert_eq!(
            (r.http_status().as_u16(), r.code()),
            (403, "outside_jurisdiction")
        );
        assert!(r.to_string().contains(MINE), "{r}");
        assert!(!visible_to(&a, &actor(who)));
    }
    let outsider = Actor::user("x", unit("150000"), Role::Admin);
    assert!(view(&a, &outsider, mins(20)).is_err());
}

#[test]
fn every_higher_level_reads_every_step() {
    let mut a = raise(RiskGrade::Serious);
    act(&mut a, "city_supervisor", ActionKind::Supervise, mins(1)).expect("supervise");
    let path = [
        (ActionKind::Acknowledge, "county_inspector"),
        (ActionKind::Handle, "county_inspector"),
    ];
    for (kind, who) in path {
        act(&mut a, who, kind, mins(2)).expect("county work");
    }
    for who in [
        "county_viewer",
        "city_inspector",
        "province_admin",
        "national_supervisor",
        "mine_admin",
        "system",
    ] {
        let v = view(&a, &actor(who), mins(3)).expect(who);
        let seqs: Vec<u32> = v.alarm.steps.iter().map(|s| s.seq).collect();
        assert_eq!(seqs, [1, 2, 3], "{who}");
        assert_eq!(v.alarm.supervisions.len(), 1, "{who}");
        assert_eq!(v.result, Some(InspectionResult::ConfirmedViolation));
        assert_eq!(v.supervised_by, Some(UnitLevel::City));
        assert_eq!(v.state_zh, "已处置");
    }
    let allowed = |who| view(&a, &actor(who), mins(3)).expect(who).allowed;
    assert_eq!(allowed("county_supervisor"), [ActionKind::Close]);
    assert_eq!(allowed("county_inspector"), []);
    assert_eq!(allowed("province_admin"), [ActionKind::Supervise]);
    let json = serde_json::to_value(view(&a, &actor("province_admin"), mins(3)).expect("view"))
        .expect("json");
    assert_eq!(json["state"], "handled");
    assert_eq!(json["county"], "140421");
    assert_eq!(json["steps"][2]["action"]["action"], "handle");
    assert_eq!(json["steps"][2]["action"]["photos"][0], PHOTO);
}

#[test]
fn malformed_details_are_422_naming_the_field() {
    let mut a = in_state(AlarmState::Acknowledged);
    let cases = [
        (
            Action::Handle {
                result: InspectionResult::FalseAlarm,
                notes: "  ".to_owned(),
                photos: vec![],
            },
            "notes",
        ),
        (
            Action::Handle {
                result: InspectionResult::FalseAlarm,
                notes: "误报".to_owned(),
                photos: vec![PHOTO.to_owned(), "photo.jpg".to_owned()],
            },
            "photos[1]",
        ),
        (
            Action::Handle {
                result: InspectionResult::FalseAlarm,
                notes: "误报".to_owned(),
                photos: vec![PHOTO.to_uppercase()],
            },
            "photos[0]",
        ),
    ];
    for (action, field) in cases {
        let r = apply(&mut a, &actor("county_inspector"), action, mins(3)).expect_err(field);
        assert_eq!(
            (r.http_status().as_u16(), r.field()),
            (422, Some(field)),
            "{r}"
        );
    }
    let r = apply(
        &mut a,
        &actor("city_supervisor"),
        Action::Supervise {
            note: String::new(),
        },
        mins(3),
    )
    .expect_err("blank supervision");
    assert_eq!((r.field(), r.clause()), (Some("note"), "P4"));
    assert!(
        a.steps.len() == 1 && a.supervisions.is_empty(),
        "nothing recorded"
    );
}

#[test]
fn actions_parse_from_request_bodies() {
    let body = format!(
        r#"{{"action":"handle","result":"authorized_activity","notes":"通风值班人员","photos":["{PHOTO}"]}}"#
    );
    let a: Action = serde_json::from_str(&body).expect("handle body");
    assert_eq!(a.kind(), ActionKind::Handle);
    let a: Action = serde_json::from_str(r#"{"action":"acknowledge"}"#).expect("ack body");
    assert_eq!(
        a,
        Action::Acknowledge {
            note: String::new()
        }
    );
    let e = serde_json::from_str::<Action>(r#"{"action":"handle","notes":"x"}"#)
        .expect_err("no result");
    assert!(e.to_string().contains("result"), "{e}");
}

#[test]
fn alarms_round_trip_through_json() {
    let mut alarms = [in_state(AlarmState::Acknowledged)];
    tick(&mut alarms, &Policy::default(), mins(200));
    let json = serde_json::to_string(&alarms[0]).expect("to json");
    let back: Alarm = serde_json::from_str(&json).expect("from json");
    assert_eq!(back, alarms[0]);
    assert!(!back.supervisions.is_empty());
}

#[test]
fn a_mine_code_without_a_county_cannot_raise_an_alarm() {
    for bad in ["140400007866", "000000007866"] {
        let raised = AlarmFacts {
            id: 1,
            kind: AlarmKind::MineOffline,
            grade: RiskGrade::Low,
            mine: MineCode::parse(bad).expect("12 digits"),
            camera: None,
            message: String::new(),
            event_time: t0(),
            evidence: vec![],
        };
        let e = Alarm::raise(raised, &Policy::default(), t0()).expect_err(bad);
        assert!(
            e.to_string().contains("R1") && e.to_string().contains(bad),
            "{e}"
        );
    }
}

fn levels(a: &Alarm) -> Vec<(UnitLevel, String, Milestone, DateTime<Utc>)> {
    a.supervisions
        .iter()
        .filter_map(|s| {
            s.automatic
                .as_ref()
                .map(|x| (s.level, s.unit.to_string(), x.overdue, x.due_at))
        })
        .collect()
}

#[test]
fn overdue_escalation_climbs_the_ladder_on_a_virtual_clock() {
    // Major: acknowledge within 15 min, handle within 2 h; city at the deadline, province 2 h
    // later, national 24 h after that.
    let policy = Policy::default();
    let mut alarms = [raise(RiskGrade::Major)];
    assert!(
        tick(&mut alarms, &policy, mins(14)).is_empty(),
        "not yet overdue"
    );
    assert_eq!(alarms[0].overdue(mins(14)), None);

    let steps = tick(&mut alarms, &policy, mins(15));
    assert_eq!(
        steps.len(),
        1,
        "city supervises at the acknowledge deadline"
    );
    assert_eq!(
        (steps[0].actor.as_str(), steps[0].from, steps[0].to),
        ("system", AlarmState::Pushed, AlarmState::Pushed)
    );
    assert!(
        tick(&mut alarms, &policy, mins(15)).is_empty(),
        "once per rung"
    );
    assert!(
        tick(&mut alarms, &policy, mins(134)).is_empty(),
        "province not yet"
    );
    assert_eq!(
        tick(&mut alarms, &policy, mins(135)).len(),
        1,
        "province 2 h later"
    );
    assert!(tick(&mut alarms, &policy, mins(135)).is_empty());

    // Acknowledged late: the handle deadline (2 h) has passed too; the ladder goes on climbing
    // from the province's due time.
    act(
        &mut alarms[0],
        "county_inspector",
        ActionKind::Acknowledge,
        mins(180),
    )
    .expect("ack");
    assert_eq!(alarms[0].overdue(mins(180)), Some(Milestone::Handle));
    assert!(tick(&mut alarms, &policy, mins(180)).is_empty());
    let national = due(&alarms[0], &policy, mins(135 + 24 * 60)).expect("national due");
    assert_eq!(
        (national.level, national.overdue),
        (UnitLevel::National, Milestone::Handle)
    );

    // Handling stops the ladder.
    act(
        &mut alarms[0],
        "county_inspector",
        ActionKind::Handle,
        mins(300),
    )
    .expect("handle");
    assert!(
        tick(&mut alarms, &policy, mins(10 * 24 * 60)).is_empty(),
        "handled: no more"
    );
    assert_eq!(
        levels(&alarms[0]),
        [
            (
                UnitLevel::City,
                "140400".to_owned(),
                Milestone::Acknowledge,
                mins(15)
            ),
            (
                UnitLevel::Province,
                "140000".to_owned(),
                Milestone::Acknowledge,
                mins(135)
            ),
        ]
    );
    assert!(
        alarms[0].supervisions[0].note.contains("签收")
            && alarms[0].supervisions[0].note.contains("P4")
    );
}

#[test]
fn missing_the_handle_deadline_escalates_for_handling() {
    let policy = Policy::default();
    let mut alarms = [raise(RiskGrade::Major), raise(RiskGrade::Low)];
    for a in alarms.iter_mut() {
        act(a, "county_inspector", ActionKind::Acknowledge, mins(10)).expect("ack in time");
    }
    assert!(tick(&mut alarms, &policy, mins(119)).is_empty());
    let steps = tick(&mut alarms, &policy, mins(120));
    assert_eq!(steps.len(), 1, "only the Major alarm is late at 2 h");
    assert_eq!(
        levels(&alarms[0]),
        [(
            UnitLevel::City,
            "140400".to_owned(),
            Milestone::Handle,
            mins(120)
        )]
    );
    assert!(alarms[1].supervisions.is_empty(), "Low: 24 h to handle");
}

#[test]
fn a_late_tick_records_every_rung_due_at_once_and_only_once() {
    let policy = Policy::default();
    let mut alarms = [raise(RiskGrade::Major)];
    let later = mins(3 * 24 * 60);
    let steps = tick(&mut alarms, &policy, later);
    assert_eq!(steps.len(), 3);
    assert!(steps.iter().all(|s| s.at == later));
    assert_eq!(
        levels(&alarms[0])
            .iter()
            .map(|l| (l.0, l.3))
            .collect::<Vec<_>>(),
        [
            (UnitLevel::City, mins(15)),
            (UnitLevel::Province, mins(135)),
            (UnitLevel::National, mins(135 + 24 * 60)),
        ]
    );
    assert!(tick(&mut alarms, &policy, later).is_empty());
    assert!(
        tick(&mut alarms, &policy, later + TimeDelta::days(30)).is_empty(),
        "ladder exhausted"
    );
    // Replaying an automatic supervision already recorded is refused.
    let replay = Action::AutoSupervise(alarms[0].supervisions[0].automatic.clone().expect("auto"));
    let r = apply(&mut alarms[0], &Actor::System, replay, later).expect_err("replay");
    assert_eq!(r.field(), Some("rung"));
}

#[test]
fn policies_are_configurable_and_checked() {
    let p = Policy::builder()
        .acknowledge_within(RiskGrade::Major, TimeDelta::minutes(5))
        .handle_within(RiskGrade::Major, TimeDelta::minutes(30))
        .ladder(vec![Rung {
            level: UnitLevel::Province,
            after: TimeDelta::minutes(1),
        }])
        .build()
        .expect("policy");
    let a = Alarm::raise(
        AlarmFacts {
            id: 1,
            kind: AlarmKind::LockTampered,
            grade: RiskGrade::Major,
            mine: MineCode::parse(MINE).expect("mine"),
            camera: None,
            message: "电子锁异动".to_owned(),
            event_time: t0(),
            evidence: vec![],
        },
        &p,
        t0(),
    )
    .expect("raise");
    assert_eq!(a.deadlines.handle_by, mins(30));
    assert_eq!(due(&a, &p, mins(5)), None);
    assert_eq!(
        due(&a, &p, mins(6)).map(|d| d.unit.to_string()).as_deref(),
        Some("140000")
    );

    let bad = [
        Policy::builder().ladder(vec![Rung {
            level: UnitLevel::County,
            after: TimeDelta::zero(),
        }]),
        Policy::builder().ladder(vec![
            Rung {
                level: UnitLevel::Province,
                after: TimeDelta::zero(),
            },
            Rung {
                level: UnitLevel::City,
                after: TimeDelta::hours(1),
            },
        ]),
        Policy::builder().ladder(vec![Rung {
            level: UnitLevel::City,
            after: TimeDelta::hours(-1),
        }]),
        Policy::builder().handle_within(RiskGrade::Low, TimeDelta::minutes(1)),
        Policy::builder().acknowledge_within(RiskGrade::General, TimeDelta::zero()),
    ];
    let fields: Vec<String> = bad
        .into_iter()
        .map(|b| b.build().expect_err("bad policy").field)
        .collect();
    assert_eq!(
        fields,
        [
            "ladder[0].level",
            "ladder[1].level",
            "ladder[0].after",
            "handle_within[low]",
            "acknowledge_within[general]"
        ]
    );
}

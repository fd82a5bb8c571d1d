//! The rule table: its TOML form (documented in `platform/rules/default.toml`), parsing and
//! checking. Every error names the rule (its `id`, or `#n` when it has none) and the field.

use std::collections::{BTreeMap, BTreeSet};

use eseal_protocol::{LockState, TamperKind, TransportState};
use serde::{Deserialize, Serialize};

use crate::supervision::mines::MineState;
use crate::supervision::mines::import::serde_field;
use crate::supervision::{AlarmKind, RiskGrade};

/// The reference profile's rule table, embedded.
pub const DEFAULT_RULES: &str = include_str!("../../../rules/default.toml");

/// The event a rule reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventName {
    /// U1.
    PersonDown,
    /// U2.
    TruckOut,
    /// U3.
    Transport,
    /// U4.
    Tamper,
    /// U5.
    Lock,
    /// P2 patrol: the mine went offline.
    Offline,
}

impl EventName {
    fn has_camera(self) -> bool {
        matches!(
            self,
            EventName::PersonDown | EventName::TruckOut | EventName::Transport | EventName::Tamper
        )
    }
}

/// A U3 state a rule matches; `running` is the 30-digit form, which carries no state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransportMatch {
    /// 30-digit U3 form: recognised working, load unknown.
    Running,
    /// `01`.
    RunningLoaded,
    /// `02`.
    RunningEmpty,
    /// `00`.
    Stopped,
}

impl TransportMatch {
    /// The match of an event's state.
    pub fn of(state: Option<TransportState>) -> TransportMatch {
        match state {
            None => TransportMatch::Running,
            Some(TransportState::RunningLoaded) => TransportMatch::RunningLoaded,
            Some(TransportState::RunningEmpty) => TransportMatch::RunningEmpty,
            Some(TransportState::Stopped) => TransportMatch::Stopped,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum TamperName {
    Occluded,
    Moved,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum LockName {
    Moved,
    Damaged,
}

/// Which events of its kind a rule matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventMatch {
    /// Every U1 event.
    PersonDown,
    /// Every U2 event.
    TruckOut,
    /// U3 events in these states.
    Transport(Vec<TransportMatch>),
    /// U4 events of this type.
    Tamper(TamperKind),
    /// U5 events in these states.
    Lock(Vec<LockState>),
    /// Offline reports.
    Offline,
}

/// When a matching event raises an alarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerName {
    /// Always.
    Always,
    /// The daily count is above the allowed people (measure: people over).
    OverPeopleLimit,
    /// The daily count is above the allowed trucks (measure: trucks over).
    OverTruckLimit,
    /// Offline for at least `min` minutes (measure: minutes offline).
    OfflineMinutes,
}

/// A trigger with its parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// Every matching event.
    Always,
    /// Count above the effective people limit.
    OverPeopleLimit,
    /// Count above the effective truck limit.
    OverTruckLimit,
    /// Offline at least `min` minutes.
    OfflineMinutes {
        /// Minutes.
        min: u32,
    },
}

/// A grade band: from `from` on the rule's measure, at least `grade`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    /// Measure at which the band starts (people/trucks over the limit, minutes offline).
    pub from: u32,
    /// Grade from there on.
    pub grade: RiskGrade,
}

/// What counts as "the same alarm" (see the rules module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DedupScope {
    /// One scope per alarm kind, mine and CST day.
    MineDay,
    /// One per alarm kind, mine, camera and CST day.
    CameraDay,
    /// One per alarm kind and episode: a U3 running period per camera (start to `00`), or an
    /// offline period (by its `since`).
    Episode,
    /// One per event.
    Event,
}

impl DedupScope {
    /// Stable id.
    pub fn id(self) -> &'static str {
        match self {
            DedupScope::MineDay => "mine_day",
            DedupScope::CameraDay => "camera_day",
            DedupScope::Episode => "episode",
            DedupScope::Event => "event",
        }
    }
}

/// One checked rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Unique id.
    pub id: String,
    /// The alarm kind it raises.
    pub alarm: AlarmKind,
    /// The events it reads.
    pub event: EventMatch,
    /// When it fires.
    pub trigger: Trigger,
    /// Only at mines in these states, when given.
    pub mine_states: Option<Vec<MineState>>,
    /// Base grade.
    pub grade: RiskGrade,
    /// Grade bands on the measure, ascending.
    pub bands: Vec<Band>,
    /// Grades at mines of a state.
    pub grade_at: BTreeMap<MineState, RiskGrade>,
    /// Message template (Chinese).
    pub message: String,
    /// Dedup scope.
    pub dedup: DedupScope,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    alarm: AlarmKind,
    event: EventName,
    trigger: TriggerName,
    min: Option<u32>,
    transport: Option<Vec<TransportMatch>>,
    tamper: Option<TamperName>,
    lock: Option<Vec<LockName>>,
    mine_states: Option<Vec<MineState>>,
    grade: RiskGrade,
    #[serde(default)]
    bands: Vec<Band>,
    #[serde(default)]
    grade_at: BTreeMap<MineState, RiskGrade>,
    message: String,
    dedup: DedupScope,
}

/// One error of a rule table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rule {rule}, field {field}: {problem}")]
pub struct RuleTableError {
    /// The rule's id, `#n` (from 1) when it has none, or `-` for the file.
    pub rule: String,
    /// The field (a path such as `bands[1].grade`).
    pub field: String,
    /// What is wrong and what was expected.
    pub problem: String,
}

/// Every error of a refused rule table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rule table refused; {} error(s):\n{}", .0.len(), .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
pub struct RuleTableErrors(pub Vec<RuleTableError>);

/// A checked, ordered rule table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleTable {
    rules: Vec<Rule>,
}

/// Placeholders of message templates, and the events that have them.
const PLACEHOLDERS: [(&str, &[EventName]); 7] = [
    ("count", &[EventName::PersonDown, EventName::TruckOut]),
    ("limit", &[EventName::PersonDown, EventName::TruckOut]),
    ("over", &[EventName::PersonDown, EventName::TruckOut]),
    ("minutes", &[EventName::Offline]),
    ("hours", &[EventName::Offline]),
    (
        "camera",
        &[
            EventName::PersonDown,
            EventName::TruckOut,
            EventName::Transport,
            EventName::Tamper,
        ],
    ),
    ("lock", &[EventName::Lock]),
];

/// The placeholder names of a template, or the error text.
pub(super) fn placeholders(template: &str) -> Result<Vec<&str>, String> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            return Err("a '}' without its '{'".to_owned());
        }
        let after = &rest[open + 1..];
        let close = after
            .find('}')
            .ok_or_else(|| "a '{' without its '}'".to_owned())?;
        out.push(&after[..close]);
        rest = &after[close + 1..];
    }
    Ok(out)
}

impl RuleTable {
    /// The embedded reference-profile table ([`DEFAULT_RULES`]).
    pub fn reference() -> Result<RuleTable, RuleTableErrors> {
        RuleTable::parse(DEFAULT_RULES)
    }

    /// Parses and checks a table in the form of `platform/rules/default.toml`; all errors are
    /// collected, each naming the rule and field.
    pub fn parse(text: &str) -> Result<RuleTable, RuleTableErrors> {
        let file_err = |field: &str, problem: String| {
            RuleTableErrors(vec![RuleTableError {
                rule: "-".to_owned(),
                field: field.to_owned(),
                problem,
            }])
        };
        let mut doc: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            file_err("-", format!("expected TOML ({})", e.message()))
        })?;
        let mut errors = Vec::new();
        for key in doc.keys().filter(|k| k.as_str() != "rule") {
            errors.push(RuleTableError {
                rule: "-".to_owned(),
                field: key.clone(),
                problem: "unknown top-level key; expected only [[rule]] tables".to_owned(),
            });
        }
        let items = match doc.remove("rule") {
            Some(toml::Value::Array(items)) => items,
            Some(_) => return Err(file_err("rule", "expected [[rule]] tables".to_owned())),
            None => Vec::new(),
        };
        let mut rules = Vec::new();
        let mut ids = BTreeSet::new();
        for (i, item) in items.into_iter().enumerate() {
            let name = item
                .get("id")
                .and_then(toml::Value::as_str)
                .map_or_else(|| format!("#{}", i + 1), str::to_owned);
            let mut err = |field: &str, problem: String| {
                errors.push(RuleTableError {
                    rule: name.clone(),
                    field: field.to_owned(),
                    problem,
                })
            };
            let raw: RawRule = match serde_path_to_error::deserialize(item) {
                Ok(r) => r,
                Err(e) => {
                    let message = e.inner().message().to_owned();
                    err(&serde_field(&e.path().to_string(), &message), message);
                    continue;
                }
            };
            if !ids.insert(raw.id.clone()) {
                err(
                    "id",
                    format!("expected a unique id, found {:?} twice", raw.id),
                );
            }
            if let Some(rule) = check(raw, &mut err) {
                rules.push(rule);
            }
        }
        if rules.is_empty() && errors.is_empty() {
            errors.push(RuleTableError {
                rule: "-".to_owned(),
                field: "rule".to_owned(),
                problem: "expected at least one [[rule]]".to_owned(),
            });
        }
        if errors.is_empty() {
            Ok(RuleTable { rules })
        } else {
            Err(RuleTableErrors(errors))
        }
    }

    /// The rules, in table order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }
}

/// The snake_case name a value has in the table.
fn snake<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Checks one rule's fields against each other.
fn check(raw: RawRule, err: &mut impl FnMut(&str, String)) -> Option<Rule> {
    let before = std::cell::Cell::new(0usize);
    let mut fail = |field: &str, problem: String| {
        before.set(before.get() + 1);
        err(field, problem);
    };
    let ev = raw.event;
    let mut only = |field: &str, present: bool, wanted: bool, ev_name: &str| {
        if present && !wanted {
            fail(field, format!("only for event {ev_name}"));
        } else if !present && wanted {
            fail(field, format!("required for event {ev_name}"));
        }
    };
    only(
        "transport",
        raw.transport.is_some(),
        ev == EventName::Transport,
        "transport",
    );
    only(
        "tamper",
        raw.tamper.is_some(),
        ev == EventName::Tamper,
        "tamper",
    );
    only("lock", raw.lock.is_some(), ev == EventName::Lock, "lock");
    let trigger_ok = match raw.trigger {
        TriggerName::Always => true,
        TriggerName::OverPeopleLimit => ev == EventName::PersonDown,
        TriggerName::OverTruckLimit => ev == EventName::TruckOut,
        TriggerName::OfflineMinutes => ev == EventName::Offline,
    };
    if !trigger_ok {
        let t = snake(&raw.trigger);
        fail("trigger", format!("{t} does not read event {}", snake(&ev)));
    }
    let trigger = match (raw.trigger, raw.min) {
        (TriggerName::OfflineMinutes, Some(min)) => Some(Trigger::OfflineMinutes { min }),
        (TriggerName::OfflineMinutes, None) => {
            fail("min", "required for trigger offline_minutes".to_owned());
            None
        }
        (_, Some(_)) => {
            fail("min", "only for trigger offline_minutes".to_owned());
            None
        }
        (TriggerName::Always, None) => Some(Trigger::Always),
        (TriggerName::OverPeopleLimit, None) => Some(Trigger::OverPeopleLimit),
        (TriggerName::OverTruckLimit, None) => Some(Trigger::OverTruckLimit),
    };
    if !raw.bands.is_empty() && raw.trigger == TriggerName::Always {
        fail(
            "bands",
            "expected no bands for trigger always (it has no measure)".to_owned(),
        );
    }
    for (i, pair) in raw.bands.windows(2).enumerate() {
        if pair[1].from <= pair[0].from {
            fail(
                &format!("bands[{}].from", i + 1),
                format!(
                    "expected ascending `from`, found {} after {}",
                    pair[1].from, pair[0].from
                ),
            );
        }
    }
    if raw.bands.first().is_some_and(|b| b.from == 0) {
        fail("bands[0].from", "expected at least 1".to_owned());
    }
    if raw.message.trim().is_empty() {
        fail(
            "message",
            "expected a Chinese message, found an empty one".to_owned(),
        );
    }
    match placeholders(&raw.message) {
        Err(e) => fail(
            "message",
            format!("expected a template with balanced braces: {e}"),
        ),
        Ok(names) => {
            for n in names {
                match PLACEHOLDERS.iter().find(|(p, _)| *p == n) {
                    None => fail("message", format!("unknown placeholder {{{n}}}")),
                    Some((_, evs)) if !evs.contains(&ev) => fail(
                        "message",
                        format!("placeholder {{{n}}} is not known for event {}", snake(&ev)),
                    ),
                    Some(_) => {}
                }
            }
        }
    }
    let dedup_ok = match raw.dedup {
        DedupScope::MineDay | DedupScope::Event => true,
        DedupScope::CameraDay => ev.has_camera(),
        DedupScope::Episode => matches!(ev, EventName::Transport | EventName::Offline),
    };
    if !dedup_ok {
        fail(
            "dedup",
            format!("{} does not apply to event {}", raw.dedup.id(), snake(&ev)),
        );
    }
    for (field, empty) in [
        (
            "transport",
            raw.transport.as_ref().is_some_and(Vec::is_empty),
        ),
        ("lock", raw.lock.as_ref().is_some_and(Vec::is_empty)),
    ] {
        if empty {
            fail(field, "expected at least one state".to_owned());
        }
    }
    if raw.mine_states.as_ref().is_some_and(Vec::is_empty) {
        fail(
            "mine_states",
            "expected at least one state, or no field".to_owned(),
        );
    }
    let event = match ev {
        EventName::PersonDown => EventMatch::PersonDown,
        EventName::TruckOut => EventMatch::TruckOut,
        EventName::Offline => EventMatch::Offline,
        EventName::Transport => EventMatch::Transport(raw.transport.unwrap_or_default()),
        EventName::Tamper => EventMatch::Tamper(match raw.tamper {
            Some(TamperName::Moved) => TamperKind::AngleMoved,
            _ => TamperKind::Occlusion,
        }),
        EventName::Lock => EventMatch::Lock(
            raw.lock
                .unwrap_or_default()
                .into_iter()
                .map(|l| match l {
                    LockName::Moved => LockState::Moved,
                    LockName::Damaged => LockState::Damaged,
                })
                .collect(),
        ),
    };
    if before.get() > 0 {
        return None;
    }
    Some(Rule {
        id: raw.id,
        alarm: raw.alarm,
        event,
        trigger: trigger?,
        mine_states: raw.mine_states,
        grade: raw.grade,
        bands: raw.bands,
        grade_at: raw.grade_at,
        message: raw.message,
        dedup: raw.dedup,
    })
}

//! Alarm rules (P2, P3): from a normalised event ([`RuleInput`]) and the mine's numbers of the
//! day ([`Effective`]) to alarm drafts ([`AlarmDraft`]) with grade, location, the spec table's
//! message, evidence, a dedup key and a reason that names the limit and its source.
//!
//! Key design decision: **the rules are data.** What each rule reads, when it fires, its grade,
//! its message and what counts as "the same alarm" live in a TOML table — the reference
//! profile's is `platform/rules/default.toml`, embedded ([`DEFAULT_RULES`]); a platform operator
//! may load another with [`RuleTable::parse`], whose errors name the rule and the field. The
//! code knows a closed vocabulary (events, triggers, measures, dedup scopes, placeholders) and
//! nothing of any particular threshold.
//!
//! Evaluation: every rule that matches the event (its `event`, state filters and `mine_states`)
//! and whose trigger fires yields one draft. The grade is the highest of the rule's `grade`,
//! the highest band its measure reached (people or trucks over the limit, minutes offline) and
//! its `grade_at` for the mine's state.
//!
//! Dedup (reference profile): each draft belongs to a *scope*; the first draft of a scope is
//! raised, later ones only when their grade is higher than every grade already raised in the
//! scope (an escalation is a new alarm; a repeat is not). Scopes:
//! - `mine_day` — alarm kind + mine + CST day: people over the limit raise once a day, then again
//!   only when the count passes into a higher grade band; the next CST day starts afresh (daily
//!   counts reset at 00:00 CST, U1/U2).
//! - `camera_day` — + camera: a camera found occluded every hour (U4) raises once a day.
//! - `episode` — a U3 running period of one camera, from the first running upload to the next
//!   `00` (transport running raises once per start, and again if an empty belt turns loaded:
//!   higher grade), or an offline period by its `since`.
//! - `event` — each U5 lock event is its own alarm (re-evaluating the same event raises nothing).
//!
//! Scope keys use the alarm *kind*, not the rule, so the two transport rules share a running
//! period. The dedup memory ([`DedupState`]) is a plain value that storage may persist and
//! prune; events are assumed to arrive in time order per camera (late U3 uploads may open an
//! extra period).

mod table;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use eseal_protocol::{
    CameraCode, CameraKind, LockCode, LockKind, LockState, MineCode, MineTime, TamperKind,
    TransportState,
};
use serde::{Deserialize, Serialize};

pub use table::{
    Band, DEFAULT_RULES, DedupScope, EventMatch, EventName, Rule, RuleTable, RuleTableError,
    RuleTableErrors, TransportMatch, Trigger, TriggerName,
};

use super::mines::{Effective, Limit};
use super::{AlarmKind, RiskGrade};
use crate::query::EventRow;

/// What an alarm's evidence is: the event row and its file name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Evidence {
    /// `events.id`.
    pub event_id: i64,
    /// The file name as uploaded.
    pub name: String,
}

/// The event as the rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventKind {
    /// U1: a person went down; cumulative count of the CST day.
    PersonDown {
        /// Count of the day.
        daily_count: u16,
    },
    /// U2: a truck left; cumulative count of the CST day.
    TruckOut {
        /// Count of the day.
        daily_count: u16,
    },
    /// U3: transport state; `None` for the 30-digit form (recognised working, load unknown).
    Transport {
        /// `00`/`01`/`02`.
        state: Option<TransportState>,
    },
    /// U4: camera occluded (04) or moved (05).
    Tamper {
        /// The type.
        kind: TamperKind,
    },
    /// U5: an e-lock moved or damaged.
    Lock {
        /// The lock.
        code: LockCode,
        /// Its state.
        state: LockState,
    },
    /// P2 patrol: the mine has been offline since `since`.
    Offline {
        /// Last sign of life.
        since: MineTime,
    },
}

/// A normalised event: what the rules read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleInput {
    /// The mine.
    pub mine: MineCode,
    /// The camera (U1–U4).
    pub camera: Option<CameraCode>,
    /// The event.
    pub kind: EventKind,
    /// When, China Standard Time (the name's time; for offline, the time of the patrol).
    pub time: MineTime,
    /// The evidence (none for offline reports).
    pub evidence: Option<Evidence>,
}

/// An event that cannot be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleInputError {
    /// A field of an event row is missing or malformed.
    #[error("event {event}: field {field}: expected {expected}, found {found:?} ({clause})")]
    Field {
        /// `events.id`.
        event: i64,
        /// The column.
        field: &'static str,
        /// The event's clause.
        clause: String,
        /// The expected form.
        expected: &'static str,
        /// What was there.
        found: String,
    },
    /// The configuration is another mine's.
    #[error("event of mine {input} evaluated with the configuration of mine {config}")]
    WrongMine {
        /// The event's mine.
        input: MineCode,
        /// The configuration's.
        config: MineCode,
    },
    /// The configuration is of another CST day.
    #[error(
        "event of CST day {event} evaluated with the numbers of {config} (limits are per CST day, U1/U2)"
    )]
    WrongDay {
        /// The event's day.
        event: NaiveDate,
        /// The configuration's.
        config: NaiveDate,
    },
}

impl RuleInput {
    /// Normalises a stored event (the `events` table): clause, analysis type and state decide
    /// the [`EventKind`].
    pub fn from_event(row: &EventRow) -> Result<RuleInput, RuleInputError> {
        let bad = |field, expected, found: Option<&str>| RuleInputError::Field {
            event: row.id,
            field,
            clause: row.clause.clone(),
            expected,
            found: found.unwrap_or("nothing").to_owned(),
        };
        let need = |field, expected, v: &Option<String>| -> Result<String, RuleInputError> {
            v.clone().ok_or_else(|| bad(field, expected, None))
        };
        let mine = MineCode::parse(&row.mine)
            .map_err(|_| bad("mine", "12 digits (R1)", Some(&row.mine)))?;
        let time = MineTime::parse(&row.mine_time)
            .map_err(|_| bad("mine_time", "yyyyMMddHHmmss (R2)", Some(&row.mine_time)))?;
        let camera = match &row.camera {
            Some(c) => Some(
                CameraCode::parse(c).map_err(|_| bad("camera", "a camera code 10-39", Some(c)))?,
            ),
            None => None,
        };
        let count = || -> Result<u16, RuleInputError> {
            let n = row
                .daily_count
                .ok_or_else(|| bad("daily_count", "a daily count 0-9999", None))?;
            u16::try_from(n)
                .ok()
                .filter(|n| *n <= 9999)
                .ok_or_else(|| bad("daily_count", "a daily count 0-9999", Some(&n.to_string())))
        };
        let kind = match row.clause.as_str() {
            "U1" => EventKind::PersonDown {
                daily_count: count()?,
            },
            "U2" => EventKind::TruckOut {
                daily_count: count()?,
            },
            "U3" => EventKind::Transport {
                state: match &row.transport_state {
                    Some(s) => Some(
                        TransportState::parse(s)
                            .map_err(|_| bad("transport_state", "00, 01 or 02", Some(s)))?,
                    ),
                    None => None,
                },
            },
            "U4" => {
                let t = need("analysis_type", "04 or 05", &row.analysis_type)?;
                EventKind::Tamper {
                    kind: TamperKind::parse(&t)
                        .map_err(|_| bad("analysis_type", "04 or 05", Some(&t)))?,
                }
            }
            "U5" => {
                let c = need("lock_code", "a lock code 10-59", &row.lock_code)?;
                let s = need("lock_state", "0001 or 0002", &row.lock_state)?;
                EventKind::Lock {
                    code: LockCode::parse(&c)
                        .map_err(|_| bad("lock_code", "a lock code 10-59", Some(&c)))?,
                    state: LockState::parse(&s)
                        .map_err(|_| bad("lock_state", "0001 or 0002", Some(&s)))?,
                }
            }
            other => return Err(bad("clause", "U1, U2, U3, U4 or U5", Some(other))),
        };
        Ok(RuleInput {
            mine,
            camera,
            kind,
            time,
            evidence: Some(Evidence {
                event_id: row.id,
                name: row.name.clone(),
            }),
        })
    }
}

/// An alarm as the rules propose it; the workflow stores and pushes it (P3, P5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlarmDraft {
    /// The rule that raised it.
    pub rule: String,
    /// Alarm kind.
    pub kind: AlarmKind,
    /// Risk grade.
    pub grade: RiskGrade,
    /// The mine.
    pub mine: MineCode,
    /// The camera (U1–U4), even when the mine's configuration does not know it.
    pub camera: Option<CameraCode>,
    /// The lock (U5).
    pub lock: Option<LockCode>,
    /// Location shown in the alarm list (P3's 位置), e.g. `副井口 (20)`.
    pub location: String,
    /// Message as in the spec's table, e.g. `入井人数 31`.
    pub message: String,
    /// Event time, CST.
    pub event_time: MineTime,
    /// The evidence.
    pub evidence: Option<Evidence>,
    /// The dedup scope (see the module doc).
    pub dedup_scope: String,
    /// Unique key of this alarm: scope `@` grade.
    pub dedup_key: String,
    /// Why, in English, with the limit and its source.
    pub reason: String,
}

/// Highest grade raised in a scope, and the last CST day the scope was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Raised {
    grade: RiskGrade,
    last_seen: NaiveDate,
}

/// What the engine remembers between events: scopes raised, and running U3 periods.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DedupState {
    raised: BTreeMap<String, Raised>,
    running: BTreeMap<String, MineTime>,
}

impl DedupState {
    /// Whether a draft of `grade` in `scope` is raised; records it if so.
    fn admit(&mut self, scope: &str, grade: RiskGrade, day: NaiveDate) -> bool {
        match self.raised.get_mut(scope) {
            Some(r) => {
                r.last_seen = r.last_seen.max(day);
                if grade > r.grade {
                    r.grade = grade;
                    true
                } else {
                    false
                }
            }
            None => {
                self.raised.insert(
                    scope.to_owned(),
                    Raised {
                        grade,
                        last_seen: day,
                    },
                );
                true
            }
        }
    }

    /// Seeds a scope from a stored alarm (e.g. after a restart).
    pub fn remember(&mut self, scope: &str, grade: RiskGrade, day: NaiveDate) {
        self.admit(scope, grade, day);
    }

    /// Forgets scopes last seen before CST day `day` (day scopes are dead after their day;
    /// keep a horizon longer than offline periods last).
    pub fn prune_before(&mut self, day: NaiveDate) {
        self.raised.retain(|_, r| r.last_seen >= day);
    }

    /// Number of scopes remembered.
    pub fn len(&self) -> usize {
        self.raised.len()
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.raised.is_empty() && self.running.is_empty()
    }
}

/// A rule table with its dedup memory.
#[derive(Debug, Clone)]
pub struct RuleEngine {
    table: RuleTable,
    state: DedupState,
}

impl RuleEngine {
    /// An engine with empty memory.
    pub fn new(table: RuleTable) -> RuleEngine {
        RuleEngine::with_state(table, DedupState::default())
    }

    /// An engine resuming from saved memory.
    pub fn with_state(table: RuleTable, state: DedupState) -> RuleEngine {
        RuleEngine { table, state }
    }

    /// The table.
    pub fn table(&self) -> &RuleTable {
        &self.table
    }

    /// The memory, to persist.
    pub fn state(&self) -> &DedupState {
        &self.state
    }

    /// Mutable memory (seed with [`DedupState::remember`], prune).
    pub fn state_mut(&mut self) -> &mut DedupState {
        &mut self.state
    }

    /// The alarms `input` raises at a mine whose numbers of the event's CST day are `eff`.
    pub fn evaluate(
        &mut self,
        input: &RuleInput,
        eff: &Effective,
    ) -> Result<Vec<AlarmDraft>, RuleInputError> {
        if eff.mine != input.mine {
            return Err(RuleInputError::WrongMine {
                input: input.mine,
                config: eff.mine,
            });
        }
        let day = input.time.date();
        if eff.date != day {
            return Err(RuleInputError::WrongDay {
                event: day,
                config: eff.date,
            });
        }
        let episode = self.track_episode(input);
        let mut out = Vec::new();
        for rule in self.table.rules() {
            if let Some(d) = draft(rule, input, eff, episode)
                && self.state.admit(&d.dedup_scope, d.grade, day)
            {
                out.push(d);
            }
        }
        Ok(out)
    }

    /// Start of the episode the event belongs to: a U3 running period (opened by the first
    /// running upload of a camera, closed by `00`), or an offline period.
    fn track_episode(&mut self, input: &RuleInput) -> Option<MineTime> {
        match input.kind {
            EventKind::Transport { state } => {
                let key = format!("{}/{}", input.mine, camera_id(input.camera));
                if state == Some(TransportState::Stopped) {
                    Some(self.state.running.remove(&key).unwrap_or(input.time))
                } else {
                    Some(*self.state.running.entry(key).or_insert(input.time))
                }
            }
            EventKind::Offline { since } => Some(since),
            _ => None,
        }
    }
}

fn camera_id(c: Option<CameraCode>) -> String {
    c.map_or_else(|| "--".to_owned(), |c| c.to_string())
}

/// Stable id of a grade, as in the rule table.
pub fn grade_id(g: RiskGrade) -> &'static str {
    match g {
        RiskGrade::Low => "low",
        RiskGrade::General => "general",
        RiskGrade::Serious => "serious",
        RiskGrade::Major => "major",
    }
}

/// Where an alarm is: the camera's site (from the configuration, else from its code's kind),
/// the lock, or the mine.
fn location(input: &RuleInput, eff: &Effective) -> String {
    if let EventKind::Lock { code, .. } = input.kind {
        let what = match code.kind() {
            LockKind::Hoist => "提升机",
            LockKind::Belt => "皮带",
            LockKind::Winch => "绞车",
            LockKind::Tram => "串车",
            LockKind::Skip => "箕斗",
        };
        return format!("电子锁 {code} ({what})");
    }
    match input.camera {
        Some(c) => {
            let site = eff.cameras.get(&c).map_or(
                match c.kind() {
                    CameraKind::MainShaft => "主井口",
                    CameraKind::AuxiliaryShaft => "副井口",
                    CameraKind::VehicleGate => "车辆出入口",
                },
                String::as_str,
            );
            format!("{site} ({c})")
        }
        None => "矿山".to_owned(),
    }
}

/// The measure of an over-limit trigger and its reason, or `None` at or below the limit.
fn over(count: u16, limit: &Limit, what: &str, day: NaiveDate) -> Option<(u32, String)> {
    let over = count.checked_sub(limit.value).filter(|o| *o > 0)?;
    Some((
        u32::from(over),
        format!("{count} {what} on CST day {day}, allowed {limit}, over by {over}"),
    ))
}

fn describe(input: &RuleInput) -> String {
    match input.kind {
        EventKind::PersonDown { daily_count } => format!("U1 person down, count {daily_count}"),
        EventKind::TruckOut { daily_count } => format!("U2 truck out, count {daily_count}"),
        EventKind::Transport { state } => format!(
            "U3 transport state {}",
            state.map_or("running (30-digit form, no state)", TransportState::label)
        ),
        EventKind::Tamper { kind } => format!(
            "U4 type {} {}",
            kind.code(),
            match kind {
                TamperKind::Occlusion => "camera occluded",
                TamperKind::AngleMoved => "camera angle moved",
            }
        ),
        EventKind::Lock { code, state } => format!(
            "U5 lock {code} state {} {}",
            state.code(),
            match state {
                LockState::Moved => "moved",
                LockState::Damaged => "damaged",
            }
        ),
        EventKind::Offline { since } => format!("offline since {since}"),
    }
}

fn matches(rule: &Rule, kind: &EventKind) -> bool {
    match (&rule.event, kind) {
        (EventMatch::PersonDown, EventKind::PersonDown { .. })
        | (EventMatch::TruckOut, EventKind::TruckOut { .. })
        | (EventMatch::Offline, EventKind::Offline { .. }) => true,
        (EventMatch::Transport(states), EventKind::Transport { state }) => {
            states.contains(&TransportMatch::of(*state))
        }
        (EventMatch::Tamper(k), EventKind::Tamper { kind }) => k == kind,
        (EventMatch::Lock(states), EventKind::Lock { state, .. }) => states.contains(state),
        _ => false,
    }
}

/// The draft `rule` makes of `input`, before dedup.
fn draft(
    rule: &Rule,
    input: &RuleInput,
    eff: &Effective,
    episode: Option<MineTime>,
) -> Option<AlarmDraft> {
    if !matches(rule, &input.kind) {
        return None;
    }
    if let Some(states) = &rule.mine_states
        && !states.contains(&eff.state)
    {
        return None;
    }
    let day = input.time.date();
    let mut values: BTreeMap<&str, String> = BTreeMap::new();
    values.insert("camera", camera_id(input.camera));
    let (measure, why) = match (rule.trigger, input.kind) {
        (Trigger::Always, _) => (None, describe(input)),
        (Trigger::OverPeopleLimit, EventKind::PersonDown { daily_count: n })
        | (Trigger::OverTruckLimit, EventKind::TruckOut { daily_count: n }) => {
            let (limit, what) = if rule.trigger == Trigger::OverPeopleLimit {
                (&eff.people, "people went down")
            } else {
                (&eff.trucks, "trucks left")
            };
            let (m, why) = over(n, limit, what, day)?;
            values.insert("count", n.to_string());
            values.insert("limit", limit.value.to_string());
            values.insert("over", m.to_string());
            (Some(m), why)
        }
        (Trigger::OfflineMinutes { min }, EventKind::Offline { since }) => {
            let minutes = (input.time.to_utc() - since.to_utc()).num_minutes();
            let m = u32::try_from(minutes).ok().filter(|m| *m >= min)?;
            values.insert("minutes", m.to_string());
            values.insert("hours", (m / 60).to_string());
            (
                Some(m),
                format!("offline since {since} CST for {m} min, threshold {min} min"),
            )
        }
        _ => return None,
    };
    if let EventKind::Lock { code, .. } = input.kind {
        values.insert("lock", code.to_string());
    }
    let (grade, notes) = grade_of(rule, measure, eff);
    let scope = scope(rule, input, episode);
    let message = render(&rule.message, &values);
    Some(AlarmDraft {
        rule: rule.id.clone(),
        kind: rule.alarm,
        grade,
        mine: input.mine,
        camera: input.camera,
        lock: match input.kind {
            EventKind::Lock { code, .. } => Some(code),
            _ => None,
        },
        location: location(input, eff),
        message,
        event_time: input.time,
        evidence: input.evidence.clone(),
        dedup_key: format!("{scope}@{}", grade_id(grade)),
        dedup_scope: scope,
        reason: format!(
            "rule {}: {why}; mine state {} ({}); grade {} {}{notes}",
            rule.id,
            eff.state.id(),
            eff.state.zh(),
            grade_id(grade),
            grade.zh()
        ),
    })
}

/// The grade: highest of base, band reached and `grade_at`; with notes for the reason.
fn grade_of(rule: &Rule, measure: Option<u32>, eff: &Effective) -> (RiskGrade, String) {
    let mut grade = rule.grade;
    let mut notes = String::new();
    if let Some(band) = measure.and_then(|m| rule.bands.iter().rev().find(|b| m >= b.from))
        && band.grade > grade
    {
        grade = band.grade;
        notes.push_str(&format!(" (band from {})", band.from));
    }
    if let Some(g) = rule.grade_at.get(&eff.state).copied()
        && g > grade
    {
        grade = g;
        notes.push_str(&format!(" (at a {} mine)", eff.state.id()));
    }
    (grade, notes)
}

/// The dedup scope of a draft (module doc).
fn scope(rule: &Rule, input: &RuleInput, episode: Option<MineTime>) -> String {
    let (kind, mine, day) = (rule.alarm.id(), input.mine, input.time.date());
    match rule.dedup {
        DedupScope::MineDay => format!("{kind}/{mine}/{day}"),
        DedupScope::CameraDay => format!("{kind}/{mine}/{}/{day}", camera_id(input.camera)),
        DedupScope::Episode => format!(
            "{kind}/{mine}/{}/since-{}",
            camera_id(input.camera),
            episode.unwrap_or(input.time)
        ),
        DedupScope::Event => match &input.evidence {
            Some(e) => format!("{kind}/{mine}/event-{}", e.event_id),
            None => format!("{kind}/{mine}/{}/{}", rule.id, input.time),
        },
    }
}

/// Fills `{name}` placeholders (checked when the table was parsed).
fn render(template: &str, values: &BTreeMap<&str, String>) -> String {
    let mut out = template.to_owned();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

//! Alarm handling workflow (P5) and supervision (督办, P4): pure, clock-injected rules.
//!
//! An alarm is pushed to its mine's county (R1) and moves `Pushed → Acknowledged → Handled →
//! Closed`; supervision is recorded beside the state, never as one. Every function here takes
//! the time as a value (`now`) and does no I/O, so the store persists what [`apply`] and
//! [`tick`] return and the tests drive a virtual clock.
//!
//! Key design decision: **one gate, [`permit`], decides every action, and the same gate
//! answers the UI's "which buttons" question** ([`AlarmView::allowed`]). It checks, in this
//! order: jurisdiction (the actor's unit must cover the mine, else 403 — reading too), who may
//! act (level and role), then the state (409 naming the current state). Choices:
//!
//! - Acknowledging and handling are the **county's** on-site work (P5): a county Inspector or
//!   higher. A city, province or national user may not do them for the county — higher levels
//!   supervise instead (P4) — and mine users never handle alarms about their own mine.
//! - Closing (办结) is a county Supervisor's review of a handled alarm; closing an alarm nobody
//!   handled is a 409.
//! - Manual supervision is by a city-level or higher Supervisor, on any alarm not closed (a
//!   handled alarm may still be urged to closure). Automatic supervision is the platform's
//!   ([`Actor::System`]) alone and follows [`Policy`]: the ladder is **per alarm and only
//!   climbs** — each rung is recorded once, from the due time of the previous rung, and
//!   acknowledging late does not start it over; handling the alarm stops it.

mod policy;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use eseal_protocol::MineCode;
use serde::{Deserialize, Serialize};

pub use policy::{Deadlines, Policy, PolicyBuilder, PolicyError, Rung};

use super::{Actor, AlarmKind, AlarmState, RiskGrade, Role, UnitCode, UnitLevel};

/// Longest note, notes or remarks accepted, in characters.
pub const MAX_NOTE_CHARS: usize = 2000;
/// Most evidence photos one handling record may name.
pub const MAX_PHOTOS: usize = 20;

/// The result of the county's on-site inspection (现场核查结果, P5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InspectionResult {
    /// 违规属实 — the violation is confirmed (people went down, equipment ran…); rectification
    /// ordered and penalties to follow.
    ConfirmedViolation,
    /// 报备作业 — lawful, filed activity: ventilation, drainage, monitoring or duty staff under
    /// 一停四不停, withdrawal-period (回撤期) work, approved maintenance.
    AuthorizedActivity,
    /// 设备故障 — a fault of the camera, edge box, lock or network raised it.
    EquipmentFault,
    /// 误报 — nothing happened; the analysis was wrong.
    FalseAlarm,
}

impl InspectionResult {
    /// Chinese name, as shown to users.
    pub fn zh(self) -> &'static str {
        match self {
            InspectionResult::ConfirmedViolation => "违规属实",
            InspectionResult::AuthorizedActivity => "报备作业",
            InspectionResult::EquipmentFault => "设备故障",
            InspectionResult::FalseAlarm => "误报",
        }
    }
}

/// A deadline of the workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Milestone {
    /// 签收 — acknowledging.
    Acknowledge,
    /// 处置 — recording the on-site result.
    Handle,
}

impl Milestone {
    /// Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            Milestone::Acknowledge => "签收",
            Milestone::Handle => "处置",
        }
    }
}

/// An automatic supervision (自动督办): one rung of the [`Policy`] ladder, due because the
/// alarm missed a deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AutoSupervision {
    /// Index of the rung in the ladder (0 = first).
    pub rung: usize,
    /// Level of the supervising unit.
    pub level: UnitLevel,
    /// The supervising unit: the mine's city, province or the nation.
    pub unit: UnitCode,
    /// The deadline that was missed.
    pub overdue: Milestone,
    /// When that deadline was.
    pub deadline: DateTime<Utc>,
    /// When this rung became due (what the next rung counts from).
    pub due_at: DateTime<Utc>,
}

/// What an actor does to an alarm. As a request body: `{"action": "handle", "result":
/// "false_alarm", "notes": "…", "photos": ["<sha256>"]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// 签收 — the county takes the alarm on.
    Acknowledge {
        /// Optional note.
        #[serde(default)]
        note: String,
    },
    /// 处置 — the on-site inspection result.
    Handle {
        /// What the inspection found.
        result: InspectionResult,
        /// What was seen and done (required).
        notes: String,
        /// Evidence ids (sha256, 64 lowercase hex digits) of the photos uploaded.
        #[serde(default)]
        photos: Vec<String>,
    },
    /// 办结 — review and close a handled alarm.
    Close {
        /// Optional remarks.
        #[serde(default)]
        remarks: String,
    },
    /// 人工督办 — manual supervision by a city-level or higher user (required note: what is
    /// demanded of the county).
    Supervise {
        /// The supervision's demand.
        note: String,
    },
    /// 自动督办 — recorded by the platform only.
    AutoSupervise(AutoSupervision),
}

/// The kind of an [`Action`], without its details.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// 签收.
    Acknowledge,
    /// 处置.
    Handle,
    /// 办结.
    Close,
    /// 人工督办.
    Supervise,
    /// 自动督办.
    AutoSupervise,
}

impl ActionKind {
    /// Every kind.
    pub const ALL: [ActionKind; 5] = [
        ActionKind::Acknowledge,
        ActionKind::Handle,
        ActionKind::Close,
        ActionKind::Supervise,
        ActionKind::AutoSupervise,
    ];

    /// Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            ActionKind::Acknowledge => "签收",
            ActionKind::Handle => "处置",
            ActionKind::Close => "办结",
            ActionKind::Supervise => "督办",
            ActionKind::AutoSupervise => "自动督办",
        }
    }

    /// Stable snake_case id.
    pub fn id(self) -> &'static str {
        match self {
            ActionKind::Acknowledge => "acknowledge",
            ActionKind::Handle => "handle",
            ActionKind::Close => "close",
            ActionKind::Supervise => "supervise",
            ActionKind::AutoSupervise => "auto_supervise",
        }
    }

    /// The clause the action serves.
    pub fn clause(self) -> &'static str {
        match self {
            ActionKind::Supervise | ActionKind::AutoSupervise => "P4",
            _ => "P5",
        }
    }

    /// The states it may be done in.
    pub fn allowed_from(self) -> &'static [AlarmState] {
        match self {
            ActionKind::Acknowledge => &[AlarmState::Pushed],
            ActionKind::Handle => &[AlarmState::Acknowledged],
            ActionKind::Close => &[AlarmState::Handled],
            ActionKind::Supervise => &[
                AlarmState::Pushed,
                AlarmState::Acknowledged,
                AlarmState::Handled,
            ],
            ActionKind::AutoSupervise => &[AlarmState::Pushed, AlarmState::Acknowledged],
        }
    }

    /// The state it leaves the alarm in (supervision does not change the state).
    fn target(self, from: AlarmState) -> AlarmState {
        match self {
            ActionKind::Acknowledge => AlarmState::Acknowledged,
            ActionKind::Handle => AlarmState::Handled,
            ActionKind::Close => AlarmState::Closed,
            ActionKind::Supervise | ActionKind::AutoSupervise => from,
        }
    }
}

impl std::fmt::Display for ActionKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

impl Action {
    /// Its kind.
    pub fn kind(&self) -> ActionKind {
        match self {
            Action::Acknowledge { .. } => ActionKind::Acknowledge,
            Action::Handle { .. } => ActionKind::Handle,
            Action::Close { .. } => ActionKind::Close,
            Action::Supervise { .. } => ActionKind::Supervise,
            Action::AutoSupervise(_) => ActionKind::AutoSupervise,
        }
    }
}

/// One recorded step of an alarm's history (the audit trail every higher level reads).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Step {
    /// The alarm.
    pub alarm_id: i64,
    /// 1-based position in the alarm's history.
    pub seq: u32,
    /// When it was done.
    pub at: DateTime<Utc>,
    /// User name, or `system`.
    pub actor: String,
    /// The user's unit (`None` for the platform).
    pub unit: Option<UnitCode>,
    /// The user's role (`None` for the platform).
    pub role: Option<Role>,
    /// What was done, with its details (notes, result, photos, supervising unit).
    pub action: Action,
    /// State before.
    pub from: AlarmState,
    /// State after.
    pub to: AlarmState,
}

/// A supervision (督办) of an alarm, manual or automatic (P4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Supervision {
    /// When it was recorded.
    pub at: DateTime<Utc>,
    /// User name, or `system`.
    pub by: String,
    /// The supervising unit.
    pub unit: UnitCode,
    /// Its level.
    pub level: UnitLevel,
    /// The demand (manual) or the generated reason (automatic).
    pub note: String,
    /// Set for automatic supervisions: the ladder rung and the missed deadline.
    pub automatic: Option<AutoSupervision>,
}

/// What the alarm rules raise; [`Alarm::raise`] makes an alarm of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AlarmFacts {
    /// Id given by the store.
    pub id: i64,
    /// Alarm type (P3).
    pub kind: AlarmKind,
    /// Risk grade (P2).
    pub grade: RiskGrade,
    /// The mine.
    #[schema(value_type = String, pattern = "^[0-9]{12}$", example = "140421007866")]
    pub mine: MineCode,
    /// Location: the camera or lock code, when the alarm has one.
    pub camera: Option<String>,
    /// Message of the alarm table, e.g. `入井人数 31`.
    pub message: String,
    /// When the event happened (mine-side time, as UTC).
    pub event_time: DateTime<Utc>,
    /// The upload(s) that raised it (P3: every alarm carries its evidence).
    #[serde(default)]
    pub evidence: Vec<super::rules::Evidence>,
}

/// An alarm and its whole history. Serialised flat: the facts' fields beside the others.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Alarm {
    /// What was raised: id, kind, grade, mine, camera, message, event time.
    #[serde(flatten)]
    pub facts: AlarmFacts,
    /// When the platform raised the alarm and pushed it to the county.
    pub raised_at: DateTime<Utc>,
    /// Where it is in its handling.
    pub state: AlarmState,
    /// The county it was pushed to: the mine code's first six digits (R1).
    pub county: UnitCode,
    /// Every step so far, oldest first.
    pub steps: Vec<Step>,
    /// Every supervision so far, oldest first.
    pub supervisions: Vec<Supervision>,
    /// Its deadlines, fixed when it was raised.
    pub deadlines: Deadlines,
}

/// Error of an alarm that cannot be raised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "mine {mine}: 矿井编码前六位 {prefix} 不是县级行政区划代码 (the first six digits of the mine code are not a county code: expected XXXXXX with last two digits not 00, R1)"
)]
pub struct RaiseError {
    /// The mine code.
    pub mine: MineCode,
    /// Its first six digits.
    pub prefix: String,
}

impl Alarm {
    /// Raises an alarm at `now`: state `Pushed`, pushed to the mine's county (R1), deadlines
    /// from `policy`. Fails when the mine code's first six digits are not a county code.
    pub fn raise(
        facts: AlarmFacts,
        policy: &Policy,
        now: DateTime<Utc>,
    ) -> Result<Alarm, RaiseError> {
        let prefix = facts.mine.county_code().to_owned();
        let county = UnitCode::parse(&prefix)
            .ok()
            .filter(|c| c.level() == UnitLevel::County)
            .ok_or(RaiseError {
                mine: facts.mine,
                prefix,
            })?;
        Ok(Alarm {
            deadlines: policy.deadlines(facts.grade, now),
            facts,
            raised_at: now,
            state: AlarmState::Pushed,
            county,
            steps: Vec::new(),
            supervisions: Vec::new(),
        })
    }

    /// The deadline the alarm missed at `now`, if any (a handled or closed alarm is never
    /// overdue).
    pub fn overdue(&self, now: DateTime<Utc>) -> Option<Milestone> {
        let (milestone, deadline) = self.pending()?;
        (now >= deadline).then_some(milestone)
    }

    /// The next deadline it has to meet.
    fn pending(&self) -> Option<(Milestone, DateTime<Utc>)> {
        match self.state {
            AlarmState::Pushed => Some((Milestone::Acknowledge, self.deadlines.acknowledge_by)),
            AlarmState::Acknowledged => Some((Milestone::Handle, self.deadlines.handle_by)),
            AlarmState::Handled | AlarmState::Closed => None,
        }
    }

    /// The automatic supervisions recorded so far, in ladder order.
    fn automatic(&self) -> impl Iterator<Item = &AutoSupervision> {
        self.supervisions
            .iter()
            .filter_map(|s| s.automatic.as_ref())
    }

    /// The inspection result, once handled.
    pub fn result(&self) -> Option<InspectionResult> {
        self.steps.iter().rev().find_map(|s| match &s.action {
            Action::Handle { result, .. } => Some(*result),
            _ => None,
        })
    }
}

/// Why an action or a read was refused. Maps to an HTTP status ([`Refusal::http_status`]); the
/// message is Chinese with English, naming the clause.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The actor's unit does not cover the alarm's mine (403).
    #[error(
        "无权访问：单位 {unit} 不管辖矿山 {mine} (outside jurisdiction: unit {unit} does not cover mine {mine}, R1)"
    )]
    OutsideJurisdiction {
        /// The actor's unit.
        unit: UnitCode,
        /// The alarm's mine.
        mine: MineCode,
    },
    /// The actor's level may not do this (403).
    #[error("{zh}，不能{action_zh} ({action} refused: {en}, {clause})", action_zh = .action.zh())]
    WrongLevel {
        /// What was refused.
        action: ActionKind,
        /// The clause that says who does it.
        clause: &'static str,
        /// Who may, in Chinese.
        zh: &'static str,
        /// Who may, in English.
        en: &'static str,
    },
    /// The actor's role is too low (403).
    #[error(
        "{action_zh}需要{required_zh}及以上角色，当前为{role_zh} ({action} needs role {required:?} or higher, the user is {role:?}, {clause})",
        action_zh = .action.zh(), required_zh = .required.zh(), role_zh = .role.zh(), clause = .action.clause()
    )]
    RoleTooLow {
        /// What was refused.
        action: ActionKind,
        /// The lowest role that may.
        required: Role,
        /// The actor's role.
        role: Role,
    },
    /// Not in this state (409).
    #[error(
        "报警当前状态为「{state_zh}」，不能{action_zh} (invalid transition: cannot {action} an alarm that is {state_id}; allowed when {allowed}, P5)",
        state_zh = .state.zh(), state_id = .state.id(), action_zh = .action.zh(), allowed = states(.allowed)
    )]
    InvalidTransition {
        /// What was refused.
        action: ActionKind,
        /// The alarm's current state.
        state: AlarmState,
        /// The states it is allowed in.
        allowed: &'static [AlarmState],
    },
    /// A detail of the action is malformed (422).
    #[error("{field}：{zh} (invalid {field}: expected {expected}, {clause})")]
    InvalidInput {
        /// The offending field, e.g. `photos[2]`.
        field: String,
        /// What is expected, in Chinese.
        zh: &'static str,
        /// What is expected, in English.
        expected: String,
        /// The clause.
        clause: &'static str,
    },
}

fn states(s: &[AlarmState]) -> String {
    let ids: Vec<&str> = s.iter().map(|s| s.id()).collect();
    ids.join(" or ")
}

impl Refusal {
    /// The HTTP status: 403 for who may not, 409 for the wrong state, 422 for bad details.
    pub fn http_status(&self) -> axum::http::StatusCode {
        use axum::http::StatusCode;
        match self {
            Refusal::OutsideJurisdiction { .. }
            | Refusal::WrongLevel { .. }
            | Refusal::RoleTooLow { .. } => StatusCode::FORBIDDEN,
            Refusal::InvalidTransition { .. } => StatusCode::CONFLICT,
            Refusal::InvalidInput { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }

    /// Stable machine-readable kind.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::OutsideJurisdiction { .. } => "outside_jurisdiction",
            Refusal::WrongLevel { .. } => "wrong_level",
            Refusal::RoleTooLow { .. } => "role_too_low",
            Refusal::InvalidTransition { .. } => "invalid_transition",
            Refusal::InvalidInput { .. } => "invalid_input",
        }
    }

    /// The clause (REQUIREMENTS.md) behind the refusal.
    pub fn clause(&self) -> &'static str {
        match self {
            Refusal::OutsideJurisdiction { .. } => "R1",
            Refusal::WrongLevel { clause, .. } | Refusal::InvalidInput { clause, .. } => clause,
            Refusal::RoleTooLow { action, .. } => action.clause(),
            Refusal::InvalidTransition { .. } => "P5",
        }
    }

    /// The offending field, for malformed details.
    pub fn field(&self) -> Option<&str> {
        match self {
            Refusal::InvalidInput { field, .. } => Some(field),
            _ => None,
        }
    }
}

impl From<Refusal> for crate::http::error::ApiError {
    fn from(r: Refusal) -> Self {
        crate::http::error::ApiError::new(r.http_status(), r.code(), r.to_string())
            .clause(r.clause())
            .maybe_field(r.field())
    }
}

/// Whether `actor` may read `alarm` (its state, steps and supervisions): every unit covering
/// the mine — its county and every level above — and the platform.
pub fn visible_to(alarm: &Alarm, actor: &Actor) -> bool {
    actor.sees_mine(&alarm.facts.mine)
}

/// Checks that `actor` may read `alarm`.
pub fn check_visible(alarm: &Alarm, actor: &Actor) -> Result<(), Refusal> {
    match actor {
        Actor::User { unit, .. } if !visible_to(alarm, actor) => {
            Err(Refusal::OutsideJurisdiction {
                unit: unit.clone(),
                mine: alarm.facts.mine,
            })
        }
        _ => Ok(()),
    }
}

/// Whether `actor` may do `kind` to `alarm` now: jurisdiction, then level and role, then state.
pub fn permit(alarm: &Alarm, actor: &Actor, kind: ActionKind) -> Result<(), Refusal> {
    check_visible(alarm, actor)?;
    let wrong = |zh, en| Refusal::WrongLevel {
        action: kind,
        clause: kind.clause(),
        zh,
        en,
    };
    match (kind, actor) {
        (ActionKind::AutoSupervise, Actor::System) => {}
        (ActionKind::AutoSupervise, Actor::User { .. }) => {
            return Err(wrong(
                "自动督办只由平台记录",
                "automatic supervision is recorded by the platform only",
            ));
        }
        (ActionKind::Supervise, Actor::System) => {
            return Err(wrong(
                "人工督办由市级及以上用户进行",
                "manual supervision is by a city-level or higher user",
            ));
        }
        (ActionKind::Supervise, Actor::User { unit, role, .. }) => {
            if unit.level() > UnitLevel::City {
                return Err(wrong(
                    "县级及矿山用户不能督办，督办由市级及以上用户进行",
                    "county and mine users cannot supervise; supervision is by city level or higher",
                ));
            }
            need_role(kind, *role, Role::Supervisor)?;
        }
        (_, Actor::System) => {
            return Err(wrong(
                "现场核查由县级用户进行，平台不能代办",
                "the county does the on-site work; the platform cannot do it for them",
            ));
        }
        (_, Actor::User { unit, role, .. }) => {
            match unit.level() {
                UnitLevel::County => {}
                UnitLevel::Mine => {
                    return Err(wrong(
                        "矿山用户不能签收、处置或办结本矿报警，由所在县处置",
                        "mine users cannot acknowledge, handle or close alarms about their own mine; the county does",
                    ));
                }
                _ => {
                    return Err(wrong(
                        "签收、处置和办结由矿山所在县进行，上级单位请使用督办",
                        "the mine's county acknowledges, handles and closes alarms; higher levels supervise instead (P4)",
                    ));
                }
            }
            let required = match kind {
                ActionKind::Close => Role::Supervisor,
                _ => Role::Inspector,
            };
            need_role(kind, *role, required)?;
        }
    }
    if !kind.allowed_from().contains(&alarm.state) {
        return Err(Refusal::InvalidTransition {
            action: kind,
            state: alarm.state,
            allowed: kind.allowed_from(),
        });
    }
    Ok(())
}

fn need_role(action: ActionKind, role: Role, required: Role) -> Result<(), Refusal> {
    if role < required {
        return Err(Refusal::RoleTooLow {
            action,
            required,
            role,
        });
    }
    Ok(())
}

fn invalid(
    field: impl Into<String>,
    zh: &'static str,
    expected: String,
    clause: &'static str,
) -> Refusal {
    Refusal::InvalidInput {
        field: field.into(),
        zh,
        expected,
        clause,
    }
}

fn check_note(
    field: &str,
    text: &str,
    required: bool,
    clause: &'static str,
) -> Result<(), Refusal> {
    if required && text.trim().is_empty() {
        return Err(invalid(
            field,
            "不能为空",
            "a non-blank text".to_owned(),
            clause,
        ));
    }
    let n = text.chars().count();
    if n > MAX_NOTE_CHARS {
        return Err(invalid(
            field,
            "过长",
            format!("at most {MAX_NOTE_CHARS} characters, found {n}"),
            clause,
        ));
    }
    Ok(())
}

/// Checks the details of a user's action (notes, photos).
fn validate(action: &Action) -> Result<(), Refusal> {
    match action {
        Action::Acknowledge { note } => check_note("note", note, false, "P5"),
        Action::Close { remarks } => check_note("remarks", remarks, false, "P5"),
        Action::Supervise { note } => check_note("note", note, true, "P4"),
        Action::Handle { notes, photos, .. } => {
            check_note("notes", notes, true, "P5")?;
            if photos.len() > MAX_PHOTOS {
                return Err(invalid(
                    "photos",
                    "照片过多",
                    format!("at most {MAX_PHOTOS} evidence ids, found {}", photos.len()),
                    "P5",
                ));
            }
            for (i, p) in photos.iter().enumerate() {
                let hex =
                    p.len() == 64 && p.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
                if !hex {
                    return Err(invalid(
                        format!("photos[{i}]"),
                        "不是证据编号",
                        format!("an evidence id: 64 lowercase hex digits (sha256), found {p:?}"),
                        "P5",
                    ));
                }
            }
            Ok(())
        }
        Action::AutoSupervise(_) => Ok(()),
    }
}

/// Does `action` to `alarm` as `actor` at `now`: checks it ([`permit`], then its details),
/// changes the state, records the supervision if it is one, and appends and returns the
/// [`Step`] for the store to persist and the push channels to announce.
pub fn apply(
    alarm: &mut Alarm,
    actor: &Actor,
    action: Action,
    now: DateTime<Utc>,
) -> Result<Step, Refusal> {
    let kind = action.kind();
    permit(alarm, actor, kind)?;
    validate(&action)?;
    let (unit, role) = match actor {
        Actor::User { unit, role, .. } => (Some(unit.clone()), Some(*role)),
        Actor::System => (None, None),
    };
    match &action {
        Action::Supervise { note } => {
            // `permit` let only users of city level or higher through.
            if let Some(unit) = &unit {
                alarm.supervisions.push(Supervision {
                    at: now,
                    by: actor.name().to_owned(),
                    unit: unit.clone(),
                    level: unit.level(),
                    note: note.clone(),
                    automatic: None,
                });
            }
        }
        Action::AutoSupervise(auto) => {
            let next = alarm.automatic().count();
            if auto.rung != next {
                return Err(invalid(
                    "rung",
                    "督办层级已记录或跳级",
                    format!("the next rung {next}, found {}", auto.rung),
                    "P4",
                ));
            }
            alarm.supervisions.push(Supervision {
                at: now,
                by: actor.name().to_owned(),
                unit: auto.unit.clone(),
                level: auto.level,
                note: auto_note(auto),
                automatic: Some(auto.clone()),
            });
        }
        _ => {}
    }
    let from = alarm.state;
    alarm.state = kind.target(from);
    let step = Step {
        alarm_id: alarm.facts.id,
        seq: u32::try_from(alarm.steps.len() + 1).unwrap_or(u32::MAX),
        at: now,
        actor: actor.name().to_owned(),
        unit,
        role,
        action,
        from,
        to: alarm.state,
    };
    alarm.steps.push(step.clone());
    Ok(step)
}

fn auto_note(a: &AutoSupervision) -> String {
    format!(
        "超时未{}（期限 {}），自动督办至{}级 {} (not {} by the deadline; automatic supervision by the {:?} unit, P4)",
        a.overdue.zh(),
        a.deadline.to_rfc3339(),
        a.level.zh(),
        a.unit,
        match a.overdue {
            Milestone::Acknowledge => "acknowledged",
            Milestone::Handle => "handled",
        },
        a.level,
    )
}

/// The automatic supervision due on `alarm` at `now`, if any: the next rung of the ladder whose
/// due time has come while the alarm is still overdue. Rung 0 is due `after` the missed
/// deadline; each later rung `after` the previous rung's due time, and never before the
/// deadline currently missed.
pub fn due(alarm: &Alarm, policy: &Policy, now: DateTime<Utc>) -> Option<AutoSupervision> {
    let (overdue, deadline) = alarm.pending()?;
    let done: Vec<&AutoSupervision> = alarm.automatic().collect();
    let rung_index = done.len();
    let rung = policy.ladder().get(rung_index)?;
    let due_at = match done.last() {
        None => deadline + rung.after,
        Some(prev) => (prev.due_at + rung.after).max(deadline),
    };
    if now < due_at {
        return None;
    }
    let unit = alarm
        .county
        .ancestry()
        .into_iter()
        .find(|u| u.level() == rung.level)?;
    Some(AutoSupervision {
        rung: rung_index,
        level: rung.level,
        unit,
        overdue,
        deadline,
        due_at,
    })
}

/// Records every automatic supervision due at `now` on `alarms` and returns the steps.
/// Idempotent: calling it again at the same time records nothing more.
pub fn tick(alarms: &mut [Alarm], policy: &Policy, now: DateTime<Utc>) -> Vec<Step> {
    let mut steps = Vec::new();
    for alarm in alarms.iter_mut() {
        while let Some(auto) = due(alarm, policy, now) {
            match apply(alarm, &Actor::System, Action::AutoSupervise(auto), now) {
                Ok(step) => steps.push(step),
                Err(e) => {
                    tracing::warn!(alarm = alarm.facts.id, error = %e, "automatic supervision refused");
                    break;
                }
            }
        }
    }
    steps
}

/// What a reader sees of an alarm: the alarm with its steps and supervisions, and what the
/// reader may do next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AlarmView {
    /// The alarm, its steps and supervisions.
    #[serde(flatten)]
    pub alarm: Alarm,
    /// The state in Chinese.
    pub state_zh: &'static str,
    /// The deadline missed at the time of reading.
    pub overdue: Option<Milestone>,
    /// The on-site result, once handled.
    pub result: Option<InspectionResult>,
    /// The highest level that supervised it.
    pub supervised_by: Option<UnitLevel>,
    /// The actions the reader may do now.
    pub allowed: Vec<ActionKind>,
}

/// The view of `alarm` for `actor` at `now`; refused outside the jurisdiction.
pub fn view(alarm: &Alarm, actor: &Actor, now: DateTime<Utc>) -> Result<AlarmView, Refusal> {
    check_visible(alarm, actor)?;
    Ok(AlarmView {
        alarm: alarm.clone(),
        state_zh: alarm.state.zh(),
        overdue: alarm.overdue(now),
        result: alarm.result(),
        supervised_by: alarm.supervisions.iter().map(|s| s.level).min(),
        allowed: ActionKind::ALL
            .into_iter()
            .filter(|k| permit(alarm, actor, *k).is_ok())
            .collect(),
    })
}

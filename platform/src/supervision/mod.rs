//! Supervision: the regulators' half of the reference platform (P2–P5, P8–P10, P12, P14, L1–L3).
//!
//! Ingested events (U1–U5, see [`crate::ingest`]) become **alarms** by each mine's
//! configuration ([`mines`], [`rules`]); an alarm is pushed to the mine's county and driven to
//! closure ([`workflow`]); overdue alarms are supervised (督办) automatically and city-level or
//! higher users may supervise by hand; every step is visible to every higher level at once.
//!
//! This module holds the vocabulary every part shares — units and jurisdiction, roles, alarm
//! kinds, risk grades and alarm states — so that the rules, the workflow, the push channels and
//! the store agree on one meaning of each word.
//!
//! Key design decision: **jurisdiction is a property of codes, not of lookups.** Administrative
//! division codes (GB/T 2260) nest by prefix — province `14xxxx`, city `1404xx`, county
//! `140421` — and a mine code's first six digits are its county (R1). So "may this user see
//! this mine" is [`UnitCode::covers`], a pure function that cannot disagree with the database
//! and that every API call applies before it reads anything.

pub mod audit;
pub mod desk;
pub mod export;
pub mod mines;
pub mod patrol;
pub mod photos;
pub mod push;
pub mod rules;
pub mod service;
pub mod stats;
pub mod users;
pub mod workflow;

use std::fmt;

use eseal_protocol::MineCode;
use serde::{Deserialize, Serialize};

/// Level of an administrative unit, from the top.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum UnitLevel {
    /// 国家 — the national administration; code `000000`.
    National,
    /// 省 — code `XX0000`.
    Province,
    /// 市 — code `XXXX00`.
    City,
    /// 县 — code `XXXXXX` (last two digits not `00`).
    County,
    /// 矿山 — a 12-digit mine code whose first six digits are its county (R1).
    Mine,
}

impl UnitLevel {
    /// Chinese name, as shown to users.
    pub fn zh(self) -> &'static str {
        match self {
            UnitLevel::National => "国家",
            UnitLevel::Province => "省",
            UnitLevel::City => "市",
            UnitLevel::County => "县",
            UnitLevel::Mine => "矿山",
        }
    }
}

/// Error of a unit code that is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unit code {code:?}: {reason} (expected 6 digits — 000000 national, XX0000 province, XXXX00 city, XXXXXX county — or a 12-digit mine code, R1)"
)]
pub struct UnitCodeError {
    /// The code as given.
    pub code: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// The code of a unit: `000000` (national), a 6-digit division code, or a 12-digit mine code.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
#[schema(value_type = String, pattern = "^[0-9]{6}([0-9]{6})?$", example = "140421")]
#[serde(try_from = "String", into = "String")]
pub struct UnitCode(String);

impl UnitCode {
    /// The national administration.
    pub fn national() -> UnitCode {
        UnitCode("000000".to_owned())
    }

    /// Parses a unit code.
    pub fn parse(s: &str) -> Result<UnitCode, UnitCodeError> {
        let err = |reason| UnitCodeError {
            code: s.to_owned(),
            reason,
        };
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err("not all ASCII digits"));
        }
        match s.len() {
            6 => {
                if s != "000000" && s.starts_with("00") {
                    return Err(err("province part 00 of a non-national code"));
                }
                if s != "000000" && &s[2..4] == "00" && &s[4..6] != "00" {
                    return Err(err("county code under city part 00"));
                }
                Ok(UnitCode(s.to_owned()))
            }
            12 => {
                let county = &s[..6];
                if county.starts_with("00") || county.ends_with("00") {
                    return Err(err("a mine's first six digits must be a county code"));
                }
                Ok(UnitCode(s.to_owned()))
            }
            _ => Err(err("wrong length")),
        }
    }

    /// The code of a mine (a mine is a unit too: mine-level users see only their own mine).
    pub fn of_mine(mine: &MineCode) -> UnitCode {
        UnitCode(mine.as_str().to_owned())
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Its level, read from the code's shape.
    pub fn level(&self) -> UnitLevel {
        let s = self.0.as_str();
        if s.len() == 12 {
            UnitLevel::Mine
        } else if s == "000000" {
            UnitLevel::National
        } else if &s[2..] == "0000" {
            UnitLevel::Province
        } else if &s[4..] == "00" {
            UnitLevel::City
        } else {
            UnitLevel::County
        }
    }

    /// The unit directly above (national has none).
    pub fn parent(&self) -> Option<UnitCode> {
        let s = self.0.as_str();
        let up = match self.level() {
            UnitLevel::National => return None,
            UnitLevel::Province => "000000".to_owned(),
            UnitLevel::City => format!("{}0000", &s[..2]),
            UnitLevel::County => format!("{}00", &s[..4]),
            UnitLevel::Mine => s[..6].to_owned(),
        };
        Some(UnitCode(up))
    }

    /// This unit and every unit above it, from this one up to national.
    pub fn ancestry(&self) -> Vec<UnitCode> {
        let mut out = vec![self.clone()];
        while let Some(p) = out.last().and_then(UnitCode::parent) {
            out.push(p);
        }
        out
    }

    /// Whether `other` is inside this unit's jurisdiction (a unit covers itself).
    pub fn covers(&self, other: &UnitCode) -> bool {
        let (a, b) = (self.0.as_str(), other.0.as_str());
        match self.level() {
            UnitLevel::National => true,
            UnitLevel::Province => b.len() >= 6 && b[..2] == a[..2] && b != "000000",
            UnitLevel::City => b.len() >= 6 && b[..4] == a[..4] && other.level() >= UnitLevel::City,
            UnitLevel::County => b.len() >= 6 && b[..6] == a[..6],
            UnitLevel::Mine => a == b,
        }
    }

    /// The code prefix of this unit's jurisdiction: `covers(b)` is `b` starting with it (for
    /// codes that parse). Empty for national. Lets a query scope rows by
    /// `unit LIKE '<prefix>%'` with the same meaning as [`UnitCode::covers`].
    pub fn jurisdiction_prefix(&self) -> &str {
        let s = self.0.as_str();
        match self.level() {
            UnitLevel::National => "",
            UnitLevel::Province => &s[..2],
            UnitLevel::City => &s[..4],
            UnitLevel::County => &s[..6],
            UnitLevel::Mine => s,
        }
    }

    /// Whether this unit's jurisdiction includes `mine`.
    pub fn covers_mine(&self, mine: &MineCode) -> bool {
        self.covers(&UnitCode::of_mine(mine))
    }

    /// The county of a mine code, or of a county itself; `None` above county level.
    pub fn county(&self) -> Option<UnitCode> {
        match self.level() {
            UnitLevel::County => Some(self.clone()),
            UnitLevel::Mine => Some(UnitCode(self.0[..6].to_owned())),
            _ => None,
        }
    }
}

impl TryFrom<String> for UnitCode {
    type Error = UnitCodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        UnitCode::parse(&s)
    }
}

impl From<UnitCode> for String {
    fn from(c: UnitCode) -> String {
        c.0
    }
}

impl fmt::Display for UnitCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A user's role inside their unit. Ordered: each role may do what the ones before it may.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 查看 — reads the jurisdiction's alarms, evidence and statistics.
    Viewer,
    /// 检查员 — county inspectors acknowledge and handle alarms (on-site inspection).
    Inspector,
    /// 督办 — closes handled alarms (county) and supervises (city and above).
    Supervisor,
    /// 管理员 — manages users, mine configuration and thresholds of the unit.
    Admin,
}

impl Role {
    /// Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            Role::Viewer => "查看",
            Role::Inspector => "检查员",
            Role::Supervisor => "督办员",
            Role::Admin => "管理员",
        }
    }
}

/// Who acts: an authenticated user, or the platform itself (automatic supervision, rules).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Actor {
    /// A user of a unit.
    User {
        /// Login name.
        username: String,
        /// The unit the user belongs to; the jurisdiction is everything it covers.
        unit: UnitCode,
        /// Role in that unit.
        role: Role,
    },
    /// The platform (rules, automatic supervision, patrol).
    System,
}

impl Actor {
    /// A user actor.
    pub fn user(username: &str, unit: UnitCode, role: Role) -> Actor {
        Actor::User {
            username: username.to_owned(),
            unit,
            role,
        }
    }

    /// Name for the audit log: the user name, or `system`.
    pub fn name(&self) -> &str {
        match self {
            Actor::User { username, .. } => username,
            Actor::System => "system",
        }
    }

    /// Whether the actor may see `mine` at all (the system sees everything).
    pub fn sees_mine(&self, mine: &MineCode) -> bool {
        match self {
            Actor::User { unit, .. } => unit.covers_mine(mine),
            Actor::System => true,
        }
    }
}

/// The alarm types of the spec's alarm table (P3) and of the issue that built them.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AlarmKind {
    /// 入井人数超限 — more people went down than the mine's configuration allows (U1).
    PeopleOverLimit,
    /// 入矿车辆超限 — more trucks than the threshold (U2).
    TrucksOverLimit,
    /// 运输设备运行 — transport equipment running at a stopped mine, e.g. 皮带无煤运行 (U3).
    TransportRunning,
    /// 摄像头遮挡 — camera occluded or its picture degraded (U4 type 04).
    CameraOccluded,
    /// 摄像头移位 — camera angle moved (U4 type 05).
    CameraMoved,
    /// 电子锁异动 — an e-lock moved or damaged (U5).
    LockTampered,
    /// 矿山离线 — the mine stopped uploading / its streams stopped answering (P2, P8).
    MineOffline,
}

impl AlarmKind {
    /// Every kind, in table order.
    pub const ALL: [AlarmKind; 7] = [
        AlarmKind::PeopleOverLimit,
        AlarmKind::TrucksOverLimit,
        AlarmKind::TransportRunning,
        AlarmKind::CameraOccluded,
        AlarmKind::CameraMoved,
        AlarmKind::LockTampered,
        AlarmKind::MineOffline,
    ];

    /// The name in the spec's alarm table.
    pub fn zh(self) -> &'static str {
        match self {
            AlarmKind::PeopleOverLimit => "入井人数超限",
            AlarmKind::TrucksOverLimit => "入矿车辆超限",
            AlarmKind::TransportRunning => "运输设备运行",
            AlarmKind::CameraOccluded => "摄像头遮挡",
            AlarmKind::CameraMoved => "摄像头移位",
            AlarmKind::LockTampered => "电子锁异动",
            AlarmKind::MineOffline => "矿山离线",
        }
    }

    /// Stable snake_case id (API, database).
    pub fn id(self) -> &'static str {
        match self {
            AlarmKind::PeopleOverLimit => "people_over_limit",
            AlarmKind::TrucksOverLimit => "trucks_over_limit",
            AlarmKind::TransportRunning => "transport_running",
            AlarmKind::CameraOccluded => "camera_occluded",
            AlarmKind::CameraMoved => "camera_moved",
            AlarmKind::LockTampered => "lock_tampered",
            AlarmKind::MineOffline => "mine_offline",
        }
    }

    /// Parses [`AlarmKind::id`].
    pub fn from_id(s: &str) -> Option<AlarmKind> {
        AlarmKind::ALL.into_iter().find(|k| k.id() == s)
    }
}

/// Risk grade of an alarm (安全风险分级, red/orange/yellow/blue). Ordered: `Major` is highest.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RiskGrade {
    /// 低风险 (蓝).
    Low,
    /// 一般风险 (黄).
    General,
    /// 较大风险 (橙).
    Serious,
    /// 重大风险 (红).
    Major,
}

impl RiskGrade {
    /// Chinese name with colour.
    pub fn zh(self) -> &'static str {
        match self {
            RiskGrade::Low => "低风险(蓝)",
            RiskGrade::General => "一般风险(黄)",
            RiskGrade::Serious => "较大风险(橙)",
            RiskGrade::Major => "重大风险(红)",
        }
    }
}

/// Where an alarm is in its handling (P5). Supervision (督办, P4) is recorded beside the state,
/// not as a state: a supervised alarm is still waiting for the county.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AlarmState {
    /// 待签收 — raised and pushed to the mine's county.
    Pushed,
    /// 已签收 — a county inspector acknowledged it.
    Acknowledged,
    /// 已处置 — the on-site inspection result is recorded.
    Handled,
    /// 已办结 — reviewed and closed; the loop is closed.
    Closed,
}

impl AlarmState {
    /// Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            AlarmState::Pushed => "待签收",
            AlarmState::Acknowledged => "已签收",
            AlarmState::Handled => "已处置",
            AlarmState::Closed => "已办结",
        }
    }

    /// Stable snake_case id.
    pub fn id(self) -> &'static str {
        match self {
            AlarmState::Pushed => "pushed",
            AlarmState::Acknowledged => "acknowledged",
            AlarmState::Handled => "handled",
            AlarmState::Closed => "closed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> UnitCode {
        UnitCode::parse(s).expect(s)
    }

    #[test]
    fn levels_and_parents_follow_the_code_shape() {
        assert_eq!(u("000000").level(), UnitLevel::National);
        assert_eq!(u("140000").level(), UnitLevel::Province);
        assert_eq!(u("140400").level(), UnitLevel::City);
        assert_eq!(u("140421").level(), UnitLevel::County);
        assert_eq!(u("140421007866").level(), UnitLevel::Mine);
        let chain: Vec<String> = u("140421007866")
            .ancestry()
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(
            chain,
            ["140421007866", "140421", "140400", "140000", "000000"]
        );
    }

    #[test]
    fn jurisdiction_is_prefix_containment_by_level() {
        let mine = u("140421007866");
        for unit in ["000000", "140000", "140400", "140421", "140421007866"] {
            assert!(u(unit).covers(&mine), "{unit} covers the mine");
        }
        for unit in ["150000", "140500", "140422", "140421007867"] {
            assert!(!u(unit).covers(&mine), "{unit} must not cover the mine");
        }
        // A county never covers its city or province; a city covers itself and its counties.
        assert!(!u("140421").covers(&u("140400")));
        assert!(u("140400").covers(&u("140400")));
        assert!(!u("140400").covers(&u("140000")));
        assert!(!u("140000").covers(&u("000000")));
    }

    #[test]
    fn malformed_codes_name_the_problem() {
        for bad in [
            "14042",
            "14042a",
            "001234",
            "140021",
            "000000007866",
            "140400007866",
        ] {
            let e = UnitCode::parse(bad).expect_err(bad);
            assert!(e.to_string().contains("expected 6 digits"), "{e}");
        }
    }

    #[test]
    fn kinds_round_trip_their_ids() {
        for k in AlarmKind::ALL {
            assert_eq!(AlarmKind::from_id(k.id()), Some(k));
        }
    }
}

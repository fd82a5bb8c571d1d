//! Mine configuration (P9, P10) and the mines' lifecycle (L1–L3): the inputs of the alarm rules.
//!
//! A county files, for each mine of its jurisdiction, a [`MineConfig`]: the mine's state
//! (停产/停建/关闭), shutdown date, whether "一停四不停" applies, the expected people down per day,
//! the closing date, whether it is in a withdrawal period (回撤期) with its deadline and expected
//! people per day, and per-mine truck and people thresholds. A county also sets
//! [`CountyDefaults`] for mines that filed no number (P10). Base data comes in by CSV or JSON
//! ([`import_csv`], [`import_json`]); lifecycle records are in [`lifecycle`].
//!
//! Key design decision: **the rules never read a configuration, they read an [`Effective`]** —
//! the numbers in force for one mine on one China Standard Time day, each with the
//! [`LimitSource`] it came from, so an alarm can say *why* the limit was 3 ("withdrawal period
//! until 2026-03-31"). [`MineConfig::effective`] resolves them in one documented order:
//!
//! **Allowed people down per day** (入井人数):
//! 1. a withdrawal period in force (the day is on or before its deadline) → its expected people
//!    per day ([`LimitSource::Withdrawal`]);
//! 2. without "一停四不停" → **0** ([`LimitSource::NoDutyFlag`]);
//! 3. with it → the mine's filed expected people per day ([`LimitSource::MineExpected`]), else
//!    the county's per-mine people threshold ([`LimitSource::MineThreshold`]), else the county
//!    default ([`LimitSource::CountyDefault`]), else the built-in national default
//!    [`NATIONAL_DEFAULT_PEOPLE`] ([`LimitSource::NationalDefault`]).
//!
//! **Allowed trucks out per day** (入矿车辆): the per-mine truck threshold, else the county
//! default, else [`NATIONAL_DEFAULT_TRUCKS`]. A withdrawal period has no truck number in the
//! spec (P9 names only its people), so it does not change the truck limit.
//!
//! What "一停四不停" changes (reference profile, from the spec text): P9 glosses it as
//! "production stopped, but ventilation, drainage, monitoring and duty staff continue"
//! (停产但通风、排水、监测、值守人员不停). Those four need people underground, which is the only
//! lawful reason a stopped mine sends anyone down; P9 asks for "expected people down per day"
//! right beside that flag, and P10's default threshold is for "mines that filed no expected
//! number". So with the flag the allowed people per day is the filed expected number (falling
//! back to thresholds and defaults when none was filed). Without the flag nothing continues, the
//! mine is sealed, and anyone going down is the unlawful production the seal exists to catch
//! (attachment 2 §1): the allowed number is 0, whatever thresholds say — except in a withdrawal
//! period, which P9 gives its own expected people per day because equipment is being brought
//! out. A withdrawal period is in force from filing until its deadline, inclusive; after the
//! deadline the mine's ordinary numbers apply again (no grace day).
//!
//! Dates are CST calendar days (R2): the day a daily count belongs to (U1, U2) is
//! [`eseal_protocol::MineTime::date`].

pub(crate) mod import;
pub mod lifecycle;
pub mod records;

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use eseal_protocol::{CameraCode, MineCode};
use serde::{Deserialize, Serialize};

use super::UnitCode;

pub use import::{
    ImportError, ImportErrors, Place, import_csv, import_csv_placed, import_json,
    import_json_placed,
};

/// Built-in national default of allowed people down per day for a mine with "一停四不停" that
/// filed no number and whose county set no default (reference profile: a sealed mine sends
/// nobody down).
pub const NATIONAL_DEFAULT_PEOPLE: u16 = 0;
/// Built-in national default of allowed trucks out per day (reference profile: 0).
pub const NATIONAL_DEFAULT_TRUCKS: u16 = 0;

/// A mine's state as filed (P3's column 矿山类型, P9).
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
pub enum MineState {
    /// 停产 — production stopped.
    #[serde(alias = "停产")]
    Stopped,
    /// 停建 — construction stopped.
    #[serde(alias = "停建")]
    ConstructionStopped,
    /// 关闭 — being closed (正在实施关闭).
    #[serde(alias = "关闭")]
    Closing,
}

impl MineState {
    /// Every state.
    pub const ALL: [MineState; 3] = [
        MineState::Stopped,
        MineState::ConstructionStopped,
        MineState::Closing,
    ];

    /// Chinese name, as filed and shown.
    pub fn zh(self) -> &'static str {
        match self {
            MineState::Stopped => "停产",
            MineState::ConstructionStopped => "停建",
            MineState::Closing => "关闭",
        }
    }

    /// Stable snake_case id.
    pub fn id(self) -> &'static str {
        match self {
            MineState::Stopped => "stopped",
            MineState::ConstructionStopped => "construction_stopped",
            MineState::Closing => "closing",
        }
    }

    /// Parses the Chinese name or the id.
    pub fn parse(s: &str) -> Option<MineState> {
        MineState::ALL
            .into_iter()
            .find(|m| m.zh() == s || m.id() == s)
    }
}

impl fmt::Display for MineState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.zh())
    }
}

/// A withdrawal period (回撤期, P9): equipment is brought out of the mine until `deadline`, and
/// `expected_people_per_day` may go down meanwhile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Withdrawal {
    /// 回撤期限 — last CST day of the period, inclusive.
    pub deadline: NaiveDate,
    /// 回撤期每日下井人数 — expected people down per day during the period.
    pub expected_people_per_day: u16,
}

impl Withdrawal {
    /// Whether the period is in force on CST day `date` (on or before the deadline).
    pub fn in_force(&self, date: NaiveDate) -> bool {
        date <= self.deadline
    }
}

/// One mine's configuration as filed by its county (P9, P10).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MineConfig {
    /// 矿山编码 — 12 digits, first six the county (R1). JSON also accepts `mine_code`.
    #[serde(alias = "mine_code")]
    #[schema(value_type = String, pattern = "^[0-9]{12}$", example = "140421007866")]
    pub mine: MineCode,
    /// 矿山名称.
    pub name: String,
    /// 矿山状态 — 停产 / 停建 / 关闭.
    pub state: MineState,
    /// 停产日期 — the day production (or construction) stopped.
    #[serde(default)]
    pub shutdown_date: Option<NaiveDate>,
    /// 一停四不停 — ventilation, drainage, monitoring and duty staff continue (see module doc).
    #[serde(default)]
    pub one_stop_four_continue: bool,
    /// 每日预计下井人数 — expected people down per day (meaningful with the flag).
    #[serde(default)]
    pub expected_people_per_day: Option<u16>,
    /// 关闭日期 — closing date.
    #[serde(default)]
    pub closing_date: Option<NaiveDate>,
    /// 回撤期 — the withdrawal period, when the mine is in one.
    #[serde(default)]
    pub withdrawal: Option<Withdrawal>,
    /// 车辆阈值 — per-mine truck threshold set by the county (P10).
    #[serde(default)]
    pub truck_threshold: Option<u16>,
    /// 人员阈值 — per-mine people threshold set by the county (P10).
    #[serde(default)]
    pub people_threshold: Option<u16>,
    /// 摄像头位置 — names of the mine's camera sites (e.g. `20` → `副井口`), for alarm locations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schema(value_type = BTreeMap<String, String>, example = json!({"20": "副井口"}))]
    pub cameras: BTreeMap<CameraCode, String>,
}

impl MineConfig {
    /// A mine with only the required fields: no flag, no numbers, no withdrawal period.
    pub fn new(mine: MineCode, name: &str, state: MineState) -> MineConfig {
        MineConfig {
            mine,
            name: name.to_owned(),
            state,
            shutdown_date: None,
            one_stop_four_continue: false,
            expected_people_per_day: None,
            closing_date: None,
            withdrawal: None,
            truck_threshold: None,
            people_threshold: None,
            cameras: BTreeMap::new(),
        }
    }

    /// The mine's county (R1).
    pub fn county(&self) -> UnitCode {
        // A mine code's first six digits are a county code by R1; fall back to the mine itself
        // (which covers nothing else) if a code ever breaks that rule.
        let unit = UnitCode::of_mine(&self.mine);
        unit.county().unwrap_or(unit)
    }

    /// The numbers in force on CST day `date`, in the order of the module doc. `county` is the
    /// mine's county defaults, if the county set any (a different county's are ignored).
    pub fn effective(&self, date: NaiveDate, county: Option<&CountyDefaults>) -> Effective {
        let county = county.filter(|c| c.county == self.county());
        let county_limit = |n: Option<u16>| {
            county.and_then(|c| {
                n.map(|value| Limit {
                    value,
                    source: LimitSource::CountyDefault {
                        county: c.county.clone(),
                    },
                })
            })
        };
        let people = match self.withdrawal.filter(|w| w.in_force(date)) {
            Some(w) => Limit {
                value: w.expected_people_per_day,
                source: LimitSource::Withdrawal {
                    deadline: w.deadline,
                },
            },
            None if !self.one_stop_four_continue => Limit {
                value: 0,
                source: LimitSource::NoDutyFlag,
            },
            None => self
                .expected_people_per_day
                .map(|value| Limit {
                    value,
                    source: LimitSource::MineExpected,
                })
                .or_else(|| {
                    self.people_threshold.map(|value| Limit {
                        value,
                        source: LimitSource::MineThreshold,
                    })
                })
                .or_else(|| county_limit(county.and_then(|c| c.people_threshold)))
                .unwrap_or(Limit {
                    value: NATIONAL_DEFAULT_PEOPLE,
                    source: LimitSource::NationalDefault,
                }),
        };
        let trucks = self
            .truck_threshold
            .map(|value| Limit {
                value,
                source: LimitSource::MineThreshold,
            })
            .or_else(|| county_limit(county.and_then(|c| c.truck_threshold)))
            .unwrap_or(Limit {
                value: NATIONAL_DEFAULT_TRUCKS,
                source: LimitSource::NationalDefault,
            });
        Effective {
            mine: self.mine,
            name: self.name.clone(),
            date,
            state: self.state,
            people,
            trucks,
            cameras: self.cameras.clone(),
        }
    }
}

/// A county's defaults for its mines that filed no number (P10).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CountyDefaults {
    /// The county (must be county level).
    pub county: UnitCode,
    /// 默认人员阈值 — default allowed people down per day (mines with "一停四不停").
    #[serde(default)]
    pub people_threshold: Option<u16>,
    /// 默认车辆阈值 — default allowed trucks out per day.
    #[serde(default)]
    pub truck_threshold: Option<u16>,
}

/// Where a number of an [`Effective`] came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum LimitSource {
    /// The withdrawal period in force, until `deadline` (回撤期).
    Withdrawal {
        /// Last day of the period.
        deadline: NaiveDate,
    },
    /// No "一停四不停": nobody may go down.
    NoDutyFlag,
    /// The mine's filed expected people per day (每日预计下井人数).
    MineExpected,
    /// The county's per-mine threshold (人员阈值 / 车辆阈值).
    MineThreshold,
    /// The county's default for mines that filed none.
    CountyDefault {
        /// The county.
        county: UnitCode,
    },
    /// The built-in national default.
    NationalDefault,
}

impl fmt::Display for LimitSource {
    /// English with the Chinese term, for alarm reasons.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LimitSource::Withdrawal { deadline } => {
                write!(f, "withdrawal period until {deadline} (回撤期)")
            }
            LimitSource::NoDutyFlag => f.write_str("no 一停四不停 filed: nobody may go down"),
            LimitSource::MineExpected => {
                f.write_str("the mine's expected people per day (每日预计下井人数)")
            }
            LimitSource::MineThreshold => f.write_str("the mine's threshold (矿山阈值)"),
            LimitSource::CountyDefault { county } => {
                write!(f, "county {county} default (县默认阈值)")
            }
            LimitSource::NationalDefault => f.write_str("national default (国家默认值)"),
        }
    }
}

/// A number in force and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Limit {
    /// The allowed number per CST day; an alarm is raised above it.
    pub value: u16,
    /// Its source.
    pub source: LimitSource,
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.value, self.source)
    }
}

/// The numbers the rules use for one mine on one CST day ([`MineConfig::effective`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Effective {
    /// The mine.
    #[schema(value_type = String, pattern = "^[0-9]{12}$", example = "140421007866")]
    pub mine: MineCode,
    /// Its name.
    pub name: String,
    /// The CST day.
    pub date: NaiveDate,
    /// The mine's state.
    pub state: MineState,
    /// Allowed people down that day.
    pub people: Limit,
    /// Allowed trucks out that day.
    pub trucks: Limit,
    /// Camera site names known for the mine.
    #[schema(value_type = BTreeMap<String, String>, example = json!({"20": "副井口"}))]
    pub cameras: BTreeMap<CameraCode, String>,
}

/// The mines of a jurisdiction and their counties' defaults: resolves [`Effective`] by code.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MineBook {
    mines: BTreeMap<MineCode, MineConfig>,
    counties: BTreeMap<UnitCode, CountyDefaults>,
}

impl MineBook {
    /// An empty book.
    pub fn new() -> MineBook {
        MineBook::default()
    }

    /// Adds or replaces mines (an import is all-or-nothing before it reaches here).
    pub fn insert_mines(&mut self, mines: impl IntoIterator<Item = MineConfig>) {
        for m in mines {
            self.mines.insert(m.mine, m);
        }
    }

    /// Sets a county's defaults.
    pub fn set_county(&mut self, defaults: CountyDefaults) {
        self.counties.insert(defaults.county.clone(), defaults);
    }

    /// The mine's configuration.
    pub fn mine(&self, mine: &MineCode) -> Option<&MineConfig> {
        self.mines.get(mine)
    }

    /// The numbers in force for `mine` on CST day `date`; `None` for a mine never filed.
    pub fn effective(&self, mine: &MineCode, date: NaiveDate) -> Option<Effective> {
        let m = self.mines.get(mine)?;
        Some(m.effective(date, self.counties.get(&m.county())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect(s)
    }

    fn mine() -> MineConfig {
        MineConfig::new(
            MineCode::parse("140421007866").expect("code"),
            "示例铁矿",
            MineState::Stopped,
        )
    }

    fn county(people: Option<u16>, trucks: Option<u16>) -> CountyDefaults {
        CountyDefaults {
            county: UnitCode::parse("140421").expect("county"),
            people_threshold: people,
            truck_threshold: trucks,
        }
    }

    /// One case of the resolution order: the mine, the county defaults, the day, and the
    /// expected people and truck limits with their sources.
    fn check(
        m: &MineConfig,
        c: Option<&CountyDefaults>,
        date: &str,
        people: (u16, LimitSource),
        trucks: (u16, LimitSource),
    ) {
        let e = m.effective(day(date), c);
        assert_eq!(
            (e.people.value, e.people.source),
            people,
            "people on {date}"
        );
        assert_eq!(
            (e.trucks.value, e.trucks.source),
            trucks,
            "trucks on {date}"
        );
    }

    #[test]
    fn resolution_order_people_and_trucks_p9_p10() {
        let c = county(Some(4), Some(6));
        let county_src = LimitSource::CountyDefault {
            county: c.county.clone(),
        };
        let nat = LimitSource::NationalDefault;
        // No flag: nobody goes down, whatever the thresholds.
        let mut m = mine();
        m.people_threshold = Some(9);
        check(
            &m,
            Some(&c),
            "2026-03-01",
            (0, LimitSource::NoDutyFlag),
            (6, county_src.clone()),
        );
        // Flag: threshold when nothing was expected, expected when filed.
        m.one_stop_four_continue = true;
        check(
            &m,
            Some(&c),
            "2026-03-01",
            (9, LimitSource::MineThreshold),
            (6, county_src.clone()),
        );
        m.expected_people_per_day = Some(3);
        m.truck_threshold = Some(1);
        check(
            &m,
            Some(&c),
            "2026-03-01",
            (3, LimitSource::MineExpected),
            (1, LimitSource::MineThreshold),
        );
        // Filed nothing: county default, then national.
        let mut bare = mine();
        bare.one_stop_four_continue = true;
        check(
            &bare,
            Some(&c),
            "2026-03-01",
            (4, county_src.clone()),
            (6, county_src),
        );
        check(
            &bare,
            None,
            "2026-03-01",
            (0, nat.clone()),
            (0, nat.clone()),
        );
        // Another county's defaults never apply.
        let other = CountyDefaults {
            county: UnitCode::parse("140422").expect("county"),
            ..county(Some(50), Some(50))
        };
        check(
            &bare,
            Some(&other),
            "2026-03-01",
            (0, nat.clone()),
            (0, nat),
        );
    }

    #[test]
    fn withdrawal_period_in_force_until_its_deadline_inclusive_p9() {
        let mut m = mine();
        m.truck_threshold = Some(2);
        m.withdrawal = Some(Withdrawal {
            deadline: day("2026-03-31"),
            expected_people_per_day: 12,
        });
        let w = LimitSource::Withdrawal {
            deadline: day("2026-03-31"),
        };
        check(
            &m,
            None,
            "2026-03-31",
            (12, w),
            (2, LimitSource::MineThreshold),
        );
        check(
            &m,
            None,
            "2026-04-01",
            (0, LimitSource::NoDutyFlag),
            (2, LimitSource::MineThreshold),
        );
    }

    #[test]
    fn the_source_says_why_in_the_reason_text() {
        let l = Limit {
            value: 3,
            source: LimitSource::Withdrawal {
                deadline: day("2026-03-31"),
            },
        };
        assert_eq!(
            l.to_string(),
            "3 (withdrawal period until 2026-03-31 (回撤期))"
        );
    }

    #[test]
    fn the_book_resolves_by_code_with_the_mines_county() {
        let mut book = MineBook::new();
        let mut m = mine();
        m.one_stop_four_continue = true;
        book.insert_mines([m.clone()]);
        book.set_county(county(Some(5), None));
        let e = book.effective(&m.mine, day("2026-01-01")).expect("filed");
        assert_eq!(e.people.value, 5);
        assert_eq!(e.state, MineState::Stopped);
        let unknown = MineCode::parse("140421000001").expect("code");
        assert!(book.effective(&unknown, day("2026-01-01")).is_none());
    }

    #[test]
    fn mine_state_parses_chinese_and_ids() {
        for s in MineState::ALL {
            assert_eq!(MineState::parse(s.zh()), Some(s));
            assert_eq!(MineState::parse(s.id()), Some(s));
        }
        assert_eq!(MineState::parse("生产"), None);
    }
}

//! Deadlines and the escalation ladder of automatic supervision (督办, P4).
//!
//! Defaults (reference profile; every value is configurable through [`PolicyBuilder`]):
//!
//! | grade | acknowledge within | handle within |
//! |---|---|---|
//! | 重大风险(红) `Major` | 15 min | 2 h |
//! | 较大风险(橙) `Serious` | 30 min | 4 h |
//! | 一般风险(黄) `General` | 1 h | 12 h |
//! | 低风险(蓝) `Low` | 2 h | 24 h |
//!
//! Ladder: at the missed deadline the **city** supervises; still overdue 2 h after that, the
//! **province**; still overdue 24 h after that, the **national** administration.

use chrono::{DateTime, TimeDelta, Utc};

use crate::supervision::{RiskGrade, UnitLevel};

/// When an alarm of a grade must be acknowledged and handled, counted from when it was raised.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
pub struct Deadlines {
    /// The county must acknowledge (签收) by then.
    pub acknowledge_by: DateTime<Utc>,
    /// The county must record the on-site result (处置) by then.
    pub handle_by: DateTime<Utc>,
}

/// One step of the escalation ladder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rung {
    /// The level whose unit (the mine's city, province or the nation) supervises.
    pub level: UnitLevel,
    /// Delay: for the first rung, after the missed deadline; for the others, after the
    /// previous rung became due.
    pub after: TimeDelta,
}

/// Error of a policy that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("supervision policy {field}: {reason} (expected {expected}, P4)")]
pub struct PolicyError {
    /// The setting, e.g. `handle_within[major]` or `ladder[1]`.
    pub field: String,
    /// What is wrong.
    pub reason: String,
    /// The form expected.
    pub expected: &'static str,
}

/// Deadlines by risk grade and the escalation ladder (P4). Build with [`Policy::builder`];
/// [`Policy::default`] is the reference profile of the module table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    acknowledge_within: [TimeDelta; 4],
    handle_within: [TimeDelta; 4],
    ladder: Vec<Rung>,
}

fn grade_index(grade: RiskGrade) -> usize {
    match grade {
        RiskGrade::Low => 0,
        RiskGrade::General => 1,
        RiskGrade::Serious => 2,
        RiskGrade::Major => 3,
    }
}

const GRADES: [RiskGrade; 4] = [
    RiskGrade::Low,
    RiskGrade::General,
    RiskGrade::Serious,
    RiskGrade::Major,
];

fn grade_id(grade: RiskGrade) -> &'static str {
    match grade {
        RiskGrade::Low => "low",
        RiskGrade::General => "general",
        RiskGrade::Serious => "serious",
        RiskGrade::Major => "major",
    }
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            acknowledge_within: [
                TimeDelta::hours(2),
                TimeDelta::hours(1),
                TimeDelta::minutes(30),
                TimeDelta::minutes(15),
            ],
            handle_within: [
                TimeDelta::hours(24),
                TimeDelta::hours(12),
                TimeDelta::hours(4),
                TimeDelta::hours(2),
            ],
            ladder: vec![
                Rung {
                    level: UnitLevel::City,
                    after: TimeDelta::zero(),
                },
                Rung {
                    level: UnitLevel::Province,
                    after: TimeDelta::hours(2),
                },
                Rung {
                    level: UnitLevel::National,
                    after: TimeDelta::hours(24),
                },
            ],
        }
    }
}

impl Policy {
    /// A builder starting from the defaults.
    pub fn builder() -> PolicyBuilder {
        PolicyBuilder {
            policy: Policy::default(),
        }
    }

    /// Time allowed to acknowledge an alarm of `grade`.
    pub fn acknowledge_within(&self, grade: RiskGrade) -> TimeDelta {
        self.acknowledge_within[grade_index(grade)]
    }

    /// Time allowed to handle an alarm of `grade` (counted from raising, not acknowledging).
    pub fn handle_within(&self, grade: RiskGrade) -> TimeDelta {
        self.handle_within[grade_index(grade)]
    }

    /// The escalation ladder, lowest level first.
    pub fn ladder(&self) -> &[Rung] {
        &self.ladder
    }

    /// The deadlines of an alarm of `grade` raised at `raised_at`.
    pub fn deadlines(&self, grade: RiskGrade, raised_at: DateTime<Utc>) -> Deadlines {
        Deadlines {
            acknowledge_by: raised_at + self.acknowledge_within(grade),
            handle_by: raised_at + self.handle_within(grade),
        }
    }
}

/// Builder of a [`Policy`]; checks it in [`PolicyBuilder::build`].
#[derive(Debug, Clone)]
pub struct PolicyBuilder {
    policy: Policy,
}

impl PolicyBuilder {
    /// Time allowed to acknowledge alarms of `grade`.
    pub fn acknowledge_within(mut self, grade: RiskGrade, within: TimeDelta) -> Self {
        self.policy.acknowledge_within[grade_index(grade)] = within;
        self
    }

    /// Time allowed to handle alarms of `grade`, counted from raising.
    pub fn handle_within(mut self, grade: RiskGrade, within: TimeDelta) -> Self {
        self.policy.handle_within[grade_index(grade)] = within;
        self
    }

    /// The escalation ladder (empty: no automatic supervision).
    pub fn ladder(mut self, ladder: Vec<Rung>) -> Self {
        self.policy.ladder = ladder;
        self
    }

    /// Checks the policy: positive deadlines, acknowledging due no later than handling, and a
    /// ladder of strictly rising levels from city up (supervision is by city and higher, P4).
    pub fn build(self) -> Result<Policy, PolicyError> {
        let p = self.policy;
        for grade in GRADES {
            let (ack, handle) = (p.acknowledge_within(grade), p.handle_within(grade));
            let g = grade_id(grade);
            if ack <= TimeDelta::zero() {
                return Err(PolicyError {
                    field: format!("acknowledge_within[{g}]"),
                    reason: format!("{}s is not positive", ack.num_seconds()),
                    expected: "a positive duration",
                });
            }
            if handle < ack {
                return Err(PolicyError {
                    field: format!("handle_within[{g}]"),
                    reason: format!(
                        "{}s is shorter than acknowledge_within {}s",
                        handle.num_seconds(),
                        ack.num_seconds()
                    ),
                    expected: "a duration no shorter than the acknowledge deadline",
                });
            }
        }
        let mut below = UnitLevel::County;
        for (i, rung) in p.ladder.iter().enumerate() {
            let expected = "levels city, province, national, strictly rising, delays >= 0";
            if rung.level >= below {
                return Err(PolicyError {
                    field: format!("ladder[{i}].level"),
                    reason: format!("{:?} is not above the previous rung", rung.level),
                    expected,
                });
            }
            if rung.after < TimeDelta::zero() {
                return Err(PolicyError {
                    field: format!("ladder[{i}].after"),
                    reason: format!("{}s is negative", rung.after.num_seconds()),
                    expected,
                });
            }
            below = rung.level;
        }
        Ok(p)
    }
}

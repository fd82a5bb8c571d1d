//! A mine's lifecycle in the seal scheme (L1–L3), as records checked when they are made.
//!
//! - **L1 scope** ([`ScopeChange`], [`ScopeHistory`]): mines join and leave the scope
//!   ("动态管理", attachment 2 §5(3)); each change has a date, a reason and the regulator unit that
//!   made it. [`scope_basis`] says whether a mine's filed state puts it in scope by the spec's
//!   rule (stopped ≥ 6 months, or being closed); joining does not require it, since dynamic
//!   management also brings in e.g. coal mines whose three systems failed (L4).
//! - **L2 seal removal** ([`SealRemoval`]): removing a seal after a lawful restart needs the
//!   provincial department's approval (attachment 1 §5(4): "拆除要经省应急厅批准"). A removal
//!   without an approval record, or approved by a unit that is not a province covering the mine,
//!   is refused naming L2. A removal implies the mine leaves the scope
//!   ([`SealRemoval::scope_change`]).
//! - **L3 unfittable mines** ([`Unfittable`], [`PatrolRecord`], [`overdue_patrols`]): a mine
//!   that cannot be fitted is filed by the provincial department (attachment 2 §5(3):
//!   "由省级…上报备案，同时落实监管责任，定期巡查") with a patrol cadence and the unit responsible;
//!   a patrol is overdue the day after `last patrol (or filing) + cadence`.
//!
//! Key design decision: **a record that exists is lawful.** Constructors (and deserialisation,
//! which goes through them) refuse what the clause forbids, so storage and workflow never
//! re-check jurisdiction or approval.

use chrono::{Months, NaiveDate, TimeDelta};
use eseal_protocol::MineCode;
use serde::{Deserialize, Serialize};

use super::{MineConfig, MineState};
use crate::supervision::{UnitCode, UnitLevel};

/// A lifecycle record the clause forbids.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleError {
    /// A record without its reason / document text.
    #[error("{clause}: field {field} must not be empty")]
    Empty {
        /// Clause.
        clause: &'static str,
        /// Field.
        field: &'static str,
    },
    /// The acting unit does not cover the mine, or is of the wrong level.
    #[error("{clause}: {field} {unit} may not act for mine {mine}: expected {expected}")]
    Unit {
        /// Clause.
        clause: &'static str,
        /// Field naming the unit.
        field: &'static str,
        /// The unit as given.
        unit: UnitCode,
        /// The mine.
        mine: MineCode,
        /// What was expected of the unit.
        expected: &'static str,
    },
    /// A seal removal without the provincial approval record.
    #[error(
        "L2: removing the seal of mine {mine} needs a provincial approval record (省应急厅批准)"
    )]
    NoApproval {
        /// The mine.
        mine: MineCode,
    },
    /// Dates out of order.
    #[error("{clause}: {field} {found} must not be before {bound}")]
    Date {
        /// Clause.
        clause: &'static str,
        /// Field.
        field: &'static str,
        /// The date given.
        found: NaiveDate,
        /// The earliest allowed date.
        bound: NaiveDate,
    },
    /// A scope change that does not change anything (join while in, leave while out).
    #[error("L1: mine {mine} cannot {direction} the scope on {date}: it is already {state}")]
    Redundant {
        /// The mine.
        mine: MineCode,
        /// `join` or `leave`.
        direction: &'static str,
        /// The date.
        date: NaiveDate,
        /// `in scope` or `out of scope`.
        state: &'static str,
    },
    /// A patrol cadence of zero days.
    #[error("L3: field patrol_every_days: expected at least 1 day, found 0")]
    Cadence,
}

/// Deserialises a record through its checked constructor: a private mirror of its fields is
/// read, then the constructor runs on it, so a record read back from storage is as lawful as
/// a new one.
macro_rules! checked_serde {
    ($t:ident via $raw:ident { $($f:ident: $ty:ty),* $(,)? } => |$r:ident| $make:expr) => {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct $raw {
            $($f: $ty),*
        }

        impl TryFrom<$raw> for $t {
            type Error = LifecycleError;
            fn try_from($r: $raw) -> Result<Self, Self::Error> {
                $make
            }
        }
    };
}

fn not_empty(clause: &'static str, field: &'static str, s: &str) -> Result<(), LifecycleError> {
    if s.trim().is_empty() {
        Err(LifecycleError::Empty { clause, field })
    } else {
        Ok(())
    }
}

/// Requires `unit` to cover `mine` and to be a regulator (not the mine itself) of at least the
/// level `level` (e.g. province for L2).
fn regulator_of(
    clause: &'static str,
    field: &'static str,
    unit: &UnitCode,
    mine: &MineCode,
    level: Option<UnitLevel>,
    expected: &'static str,
) -> Result<(), LifecycleError> {
    let level_ok = match level {
        Some(l) => unit.level() == l,
        None => unit.level() != UnitLevel::Mine,
    };
    if level_ok && unit.covers_mine(mine) {
        Ok(())
    } else {
        Err(LifecycleError::Unit {
            clause,
            field,
            unit: unit.clone(),
            mine: *mine,
            expected,
        })
    }
}

/// Requires `unit` to be a regulator (any level above the mine) covering `mine`.
fn covering_regulator(
    clause: &'static str,
    field: &'static str,
    unit: &UnitCode,
    mine: &MineCode,
) -> Result<(), LifecycleError> {
    regulator_of(
        clause,
        field,
        unit,
        mine,
        None,
        "a regulator unit covering the mine",
    )
}

/// Join or leave (L1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScopeDirection {
    /// 纳入 — the mine joins the scope.
    Join,
    /// 移出 — the mine leaves the scope.
    Leave,
}

impl ScopeDirection {
    fn id(self) -> &'static str {
        match self {
            ScopeDirection::Join => "join",
            ScopeDirection::Leave => "leave",
        }
    }
}

/// A mine joins or leaves the seal scope (L1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "ScopeChangeRecord")]
pub struct ScopeChange {
    /// The mine.
    #[schema(value_type = String, pattern = "^[0-9]{12}$", example = "140421007866")]
    pub mine: MineCode,
    /// Join or leave.
    pub direction: ScopeDirection,
    /// The CST day it takes effect.
    pub date: NaiveDate,
    /// Why (e.g. "停产满6个月", "依法复工复产，省厅批准 晋应急〔2026〕12号").
    pub reason: String,
    /// The regulator unit that decided it; covers the mine.
    pub by: UnitCode,
}

checked_serde!(ScopeChange via ScopeChangeRecord {
    mine: MineCode, direction: ScopeDirection, date: NaiveDate, reason: String, by: UnitCode,
} => |r| ScopeChange::new(r.mine, r.direction, r.date, &r.reason, r.by));

impl ScopeChange {
    /// A scope change: the reason must be given and `by` must be a regulator covering the mine.
    pub fn new(
        mine: MineCode,
        direction: ScopeDirection,
        date: NaiveDate,
        reason: &str,
        by: UnitCode,
    ) -> Result<ScopeChange, LifecycleError> {
        not_empty("L1", "reason", reason)?;
        covering_regulator("L1", "by", &by, &mine)?;
        Ok(ScopeChange {
            mine,
            direction,
            date,
            reason: reason.to_owned(),
            by,
        })
    }
}

/// One mine's scope changes, in date order (L1).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ScopeHistory {
    changes: Vec<ScopeChange>,
}

impl ScopeHistory {
    /// An empty history: the mine was never in scope.
    pub fn new() -> ScopeHistory {
        ScopeHistory::default()
    }

    /// Records a change: it must be of the same mine, not dated before the last one, and change
    /// something (join while out, leave while in).
    pub fn record(&mut self, change: ScopeChange) -> Result<(), LifecycleError> {
        if let Some(last) = self.changes.last() {
            if last.mine != change.mine {
                return Err(LifecycleError::Unit {
                    clause: "L1",
                    field: "mine",
                    unit: UnitCode::of_mine(&change.mine),
                    mine: last.mine,
                    expected: "a change of the history's own mine",
                });
            }
            if change.date < last.date {
                return Err(LifecycleError::Date {
                    clause: "L1",
                    field: "date",
                    found: change.date,
                    bound: last.date,
                });
            }
        }
        let inside = self.changes.last().map(|c| c.direction) == Some(ScopeDirection::Join);
        let redundant = match change.direction {
            ScopeDirection::Join => inside.then_some("in scope"),
            ScopeDirection::Leave => (!inside).then_some("out of scope"),
        };
        if let Some(state) = redundant {
            return Err(LifecycleError::Redundant {
                mine: change.mine,
                direction: change.direction.id(),
                date: change.date,
                state,
            });
        }
        self.changes.push(change);
        Ok(())
    }

    /// Whether the mine is in scope on CST day `date`: the last change on or before it decides.
    pub fn in_scope(&self, date: NaiveDate) -> bool {
        self.changes
            .iter()
            .rev()
            .find(|c| c.date <= date)
            .is_some_and(|c| c.direction == ScopeDirection::Join)
    }

    /// The changes, oldest first.
    pub fn changes(&self) -> &[ScopeChange] {
        &self.changes
    }
}

/// Why a mine's filed state puts it in scope by the spec's rule (L1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "basis", rename_all = "snake_case")]
pub enum ScopeBasis {
    /// Stopped (or construction stopped) for 6 months or more, since `since`.
    LongStopped {
        /// The shutdown date.
        since: NaiveDate,
    },
    /// Being closed (正在实施关闭).
    BeingClosed,
}

/// Whether `mine` is in scope on `date` by the spec's rule: being closed, or stopped /
/// construction stopped for 6 months or more ("6个月以上（含6个月）", attachment 1 §2). A
/// stopped mine with no shutdown date has no basis.
pub fn scope_basis(mine: &MineConfig, date: NaiveDate) -> Option<ScopeBasis> {
    match mine.state {
        MineState::Closing => Some(ScopeBasis::BeingClosed),
        MineState::Stopped | MineState::ConstructionStopped => {
            let since = mine.shutdown_date?;
            let six = since.checked_add_months(Months::new(6))?;
            (six <= date).then_some(ScopeBasis::LongStopped { since })
        }
    }
}

/// The provincial department's approval of a seal removal (L2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProvincialApproval {
    /// The approving unit: must be a province covering the mine.
    pub approver: UnitCode,
    /// 批准文号 — the approval document's number.
    pub document: String,
    /// The day of approval.
    pub approved_on: NaiveDate,
}

/// Removal of a mine's seal after a lawful restart, with its provincial approval (L2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "SealRemovalRecord")]
pub struct SealRemoval {
    /// The mine.
    #[schema(value_type = String, pattern = "^[0-9]{12}$", example = "140421007866")]
    pub mine: MineCode,
    /// The CST day the seal is removed.
    pub removed_on: NaiveDate,
    /// The approval.
    pub approval: ProvincialApproval,
}

checked_serde!(SealRemoval via SealRemovalRecord {
    mine: MineCode, removed_on: NaiveDate, approval: Option<ProvincialApproval>,
} => |r| SealRemoval::new(r.mine, r.removed_on, r.approval));

impl SealRemoval {
    /// A seal removal: refused naming L2 without an approval, when the approver is not a
    /// province covering the mine, without a document number, or when removed before approval.
    pub fn new(
        mine: MineCode,
        removed_on: NaiveDate,
        approval: Option<ProvincialApproval>,
    ) -> Result<SealRemoval, LifecycleError> {
        let approval = approval.ok_or(LifecycleError::NoApproval { mine })?;
        regulator_of(
            "L2",
            "approval.approver",
            &approval.approver,
            &mine,
            Some(UnitLevel::Province),
            "the provincial unit (省应急厅) covering the mine",
        )?;
        not_empty("L2", "approval.document", &approval.document)?;
        if removed_on < approval.approved_on {
            return Err(LifecycleError::Date {
                clause: "L2",
                field: "removed_on",
                found: removed_on,
                bound: approval.approved_on,
            });
        }
        Ok(SealRemoval {
            mine,
            removed_on,
            approval,
        })
    }

    /// The mine leaves the scope the day the seal is removed (L1), decided by the approver.
    pub fn scope_change(&self) -> ScopeChange {
        ScopeChange {
            mine: self.mine,
            direction: ScopeDirection::Leave,
            date: self.removed_on,
            reason: format!(
                "seal removed after lawful restart, approved by {} ({}, {})",
                self.approval.approver, self.approval.document, self.approval.approved_on
            ),
            by: self.approval.approver.clone(),
        }
    }
}

/// A mine that cannot be fitted, filed by its province with a patrol cadence (L3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "UnfittableRecord")]
pub struct Unfittable {
    /// The mine.
    #[schema(value_type = String, pattern = "^[0-9]{12}$", example = "140421007866")]
    pub mine: MineCode,
    /// The CST day of filing (备案).
    pub filed_on: NaiveDate,
    /// The provincial unit that filed it.
    pub filed_by: UnitCode,
    /// Why it cannot be fitted.
    pub reason: String,
    /// The regulator responsible for patrols (落实监管责任); covers the mine.
    pub responsible: UnitCode,
    /// Days between patrols, at least 1.
    pub patrol_every_days: u32,
}

checked_serde!(Unfittable via UnfittableRecord {
    mine: MineCode, filed_on: NaiveDate, filed_by: UnitCode, reason: String,
    responsible: UnitCode, patrol_every_days: u32,
} => |r| Unfittable::new(
    r.mine, r.filed_on, r.filed_by, &r.reason, r.responsible, r.patrol_every_days,
));

impl Unfittable {
    /// A filing: by the province covering the mine, with a reason, a responsible regulator
    /// covering the mine and a cadence of at least one day.
    pub fn new(
        mine: MineCode,
        filed_on: NaiveDate,
        filed_by: UnitCode,
        reason: &str,
        responsible: UnitCode,
        patrol_every_days: u32,
    ) -> Result<Unfittable, LifecycleError> {
        regulator_of(
            "L3",
            "filed_by",
            &filed_by,
            &mine,
            Some(UnitLevel::Province),
            "the provincial unit covering the mine (省级上报备案)",
        )?;
        not_empty("L3", "reason", reason)?;
        covering_regulator("L3", "responsible", &responsible, &mine)?;
        if patrol_every_days == 0 {
            return Err(LifecycleError::Cadence);
        }
        Ok(Unfittable {
            mine,
            filed_on,
            filed_by,
            reason: reason.to_owned(),
            responsible,
            patrol_every_days,
        })
    }
}

/// One patrol of an unfittable mine (L3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "PatrolRecordRaw")]
pub struct PatrolRecord {
    /// The mine.
    #[schema(value_type = String, pattern = "^[0-9]{12}$", example = "140421007866")]
    pub mine: MineCode,
    /// The CST day of the patrol.
    pub date: NaiveDate,
    /// The patrolling regulator; covers the mine.
    pub by: UnitCode,
    /// What was found (巡查情况).
    pub findings: String,
}

checked_serde!(PatrolRecord via PatrolRecordRaw {
    mine: MineCode, date: NaiveDate, by: UnitCode, findings: String,
} => |r| PatrolRecord::new(r.mine, r.date, r.by, &r.findings));

impl PatrolRecord {
    /// A patrol by a regulator covering the mine, with its findings.
    pub fn new(
        mine: MineCode,
        date: NaiveDate,
        by: UnitCode,
        findings: &str,
    ) -> Result<PatrolRecord, LifecycleError> {
        covering_regulator("L3", "by", &by, &mine)?;
        not_empty("L3", "findings", findings)?;
        Ok(PatrolRecord {
            mine,
            date,
            by,
            findings: findings.to_owned(),
        })
    }
}

/// An unfittable mine whose patrol is overdue (L3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OverduePatrol {
    /// The mine.
    #[schema(value_type = String, pattern = "^[0-9]{12}$", example = "140421007866")]
    pub mine: MineCode,
    /// The responsible regulator.
    pub responsible: UnitCode,
    /// The last patrol on or after filing, if any.
    pub last_patrol: Option<NaiveDate>,
    /// The day the next patrol was due.
    pub due: NaiveDate,
    /// Days past `due` on the day asked.
    pub days_overdue: i64,
}

/// The filed mines whose patrol is overdue on CST day `on` (L3): a patrol is due
/// `patrol_every_days` after the last patrol on or before `on` (or after filing, if none), and
/// overdue from the day after. Patrols before filing do not count. Sorted by mine.
pub fn overdue_patrols(
    filings: &[Unfittable],
    patrols: &[PatrolRecord],
    on: NaiveDate,
) -> Vec<OverduePatrol> {
    let mut out: Vec<OverduePatrol> = filings
        .iter()
        .filter(|f| f.filed_on <= on)
        .filter_map(|f| {
            let last = patrols
                .iter()
                .filter(|p| p.mine == f.mine && p.date >= f.filed_on && p.date <= on)
                .map(|p| p.date)
                .max();
            let base = last.unwrap_or(f.filed_on);
            let due = base.checked_add_signed(TimeDelta::days(i64::from(f.patrol_every_days)))?;
            let days_overdue = (on - due).num_days();
            (days_overdue > 0).then(|| OverduePatrol {
                mine: f.mine,
                responsible: f.responsible.clone(),
                last_patrol: last,
                due,
                days_overdue,
            })
        })
        .collect();
    out.sort_by_key(|a| a.mine);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect(s)
    }
    fn unit(s: &str) -> UnitCode {
        UnitCode::parse(s).expect(s)
    }
    fn mine(s: &str) -> MineCode {
        MineCode::parse(s).expect(s)
    }

    fn approval(approver: &str, document: &str) -> Option<ProvincialApproval> {
        Some(ProvincialApproval {
            approver: unit(approver),
            document: document.to_owned(),
            approved_on: day("2026-05-01"),
        })
    }

    #[test]
    fn seal_removal_needs_the_covering_province_l2() {
        let m = mine("140421007866");
        let on = day("2026-05-02");
        let ok = SealRemoval::new(m, on, approval("140000", "晋应急〔2026〕12号")).expect("lawful");
        let leave = ok.scope_change();
        assert_eq!(leave.direction, ScopeDirection::Leave);
        assert_eq!(leave.by, unit("140000"));
        // (approval, removal day, expected error text)
        let cases: [(Option<ProvincialApproval>, &str, &str); 6] = [
            (
                None,
                "2026-05-02",
                "L2: removing the seal of mine 140421007866 needs a provincial approval record",
            ),
            (
                approval("150000", "x"),
                "2026-05-02",
                "L2: approval.approver 150000 may not act for mine 140421007866",
            ),
            (
                approval("140400", "x"),
                "2026-05-02",
                "L2: approval.approver 140400 may not act",
            ),
            (
                approval("000000", "x"),
                "2026-05-02",
                "L2: approval.approver 000000 may not act",
            ),
            (
                approval("140000", " "),
                "2026-05-02",
                "L2: field approval.document must not be empty",
            ),
            (
                approval("140000", "x"),
                "2026-04-30",
                "L2: removed_on 2026-04-30 must not be before 2026-05-01",
            ),
        ];
        for (a, removed, want) in cases {
            let e = SealRemoval::new(m, day(removed), a).expect_err(want);
            assert!(e.to_string().starts_with(want), "{e} / {want}");
        }
        // Deserialisation goes through the same checks.
        let json = r#"{"mine":"140421007866","removed_on":"2026-05-02","approval":null}"#;
        let e = serde_json::from_str::<SealRemoval>(json).expect_err("no approval");
        assert!(e.to_string().contains("L2"), "{e}");
    }

    #[test]
    fn scope_history_joins_and_leaves_l1() {
        let m = mine("140421007866");
        let change = |d: ScopeDirection, date: &str| {
            ScopeChange::new(m, d, day(date), "停产满6个月", unit("140421")).expect("change")
        };
        let mut h = ScopeHistory::new();
        assert!(!h.in_scope(day("2026-01-01")));
        h.record(change(ScopeDirection::Join, "2026-01-10"))
            .expect("join");
        let e = h
            .record(change(ScopeDirection::Join, "2026-02-01"))
            .expect_err("twice");
        assert!(
            e.to_string()
                .starts_with("L1: mine 140421007866 cannot join"),
            "{e}"
        );
        h.record(change(ScopeDirection::Leave, "2026-03-01"))
            .expect("leave");
        let e = h
            .record(change(ScopeDirection::Join, "2026-02-15"))
            .expect_err("back in time");
        assert!(
            e.to_string().contains("must not be before 2026-03-01"),
            "{e}"
        );
        for (date, inside) in [
            ("2026-01-09", false),
            ("2026-01-10", true),
            ("2026-02-28", true),
            ("2026-03-01", false),
        ] {
            assert_eq!(h.in_scope(day(date)), inside, "{date}");
        }
        let e = ScopeChange::new(
            m,
            ScopeDirection::Join,
            day("2026-01-01"),
            "x",
            unit("140422"),
        )
        .expect_err("other county");
        assert!(
            e.to_string().starts_with("L1: by 140422 may not act"),
            "{e}"
        );
        assert!(
            ScopeChange::new(
                m,
                ScopeDirection::Join,
                day("2026-01-01"),
                "",
                unit("140421")
            )
            .is_err()
        );
        assert!(
            ScopeChange::new(
                m,
                ScopeDirection::Join,
                day("2026-01-01"),
                "x",
                unit("140421007866")
            )
            .is_err()
        );
    }

    #[test]
    fn scope_basis_is_six_months_stopped_or_being_closed_l1() {
        let mut m = MineConfig::new(mine("140421007866"), "甲", MineState::Stopped);
        assert_eq!(scope_basis(&m, day("2026-01-01")), None);
        m.shutdown_date = Some(day("2025-08-31"));
        assert_eq!(scope_basis(&m, day("2026-02-27")), None);
        let since = day("2025-08-31");
        assert_eq!(
            scope_basis(&m, day("2026-02-28")),
            Some(ScopeBasis::LongStopped { since })
        );
        m.state = MineState::Closing;
        assert_eq!(
            scope_basis(&m, day("2025-09-01")),
            Some(ScopeBasis::BeingClosed)
        );
    }

    #[test]
    fn overdue_patrols_of_unfittable_mines_l3() {
        let (a, b) = (mine("140421007866"), mine("140421007867"));
        let file = |m, cadence| {
            Unfittable::new(
                m,
                day("2026-01-01"),
                unit("140000"),
                "井口坍塌无法安装",
                unit("140421"),
                cadence,
            )
            .expect("filing")
        };
        let filings = [file(a, 30), file(b, 7)];
        let patrol = |m, date: &str| {
            PatrolRecord::new(m, day(date), unit("140421"), "井口封闭完好").expect("patrol")
        };
        let patrols = [patrol(a, "2025-12-31"), patrol(b, "2026-01-05")];
        // (day, overdue mines with days overdue)
        let cases: [(&str, Vec<(MineCode, i64)>); 4] = [
            ("2026-01-12", vec![]),
            ("2026-01-13", vec![(b, 1)]),
            ("2026-01-31", vec![(b, 19)]),
            ("2026-02-01", vec![(a, 1), (b, 20)]),
        ];
        for (on, want) in cases {
            let got: Vec<(MineCode, i64)> = overdue_patrols(&filings, &patrols, day(on))
                .into_iter()
                .map(|o| (o.mine, o.days_overdue))
                .collect();
            assert_eq!(got, want, "{on}");
        }
        let o = &overdue_patrols(&filings, &patrols, day("2026-02-01"))[0];
        assert_eq!(o.last_patrol, None, "a patrol before filing does not count");
        assert_eq!(o.due, day("2026-01-31"));
    }

    #[test]
    fn unfittable_filing_is_provincial_l3() {
        let m = mine("140421007866");
        let e = Unfittable::new(m, day("2026-01-01"), unit("140421"), "x", unit("140421"), 7)
            .expect_err("county cannot file");
        assert!(
            e.to_string().starts_with("L3: filed_by 140421 may not act"),
            "{e}"
        );
        let e = Unfittable::new(m, day("2026-01-01"), unit("140000"), "x", unit("140421"), 0)
            .expect_err("cadence");
        assert_eq!(e, LifecycleError::Cadence);
        assert!(PatrolRecord::new(m, day("2026-01-01"), unit("150000"), "x").is_err());
    }
}

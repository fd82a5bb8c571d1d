//! The lifecycle records of the mines (L1–L3) in the database: scope changes, seal removals,
//! unfittable-mine filings and their patrols, in `lifecycle_records`, each with its audit row.
//!
//! Key design decision: **a record is stored only as the lawful value its constructor made, and
//! read back through the same constructor** ([`super::lifecycle`]'s checked deserialisation),
//! so what the database holds is lawful by construction; this module adds only what needs the
//! other records or the actor: a scope change must change something and come in date order
//! ([`ScopeHistory::record`]), a seal removal needs the mine in scope on the removal day and
//! records its leaving the scope beside it, and who may record what:
//!
//! - a scope change (L1), a seal removal (L2): an admin of a unit covering the mine — for a scope
//!   change, of the deciding unit `by` itself or above it;
//! - an unfittable filing (L3): an admin of the filing province (or above it);
//! - a patrol (L3): an inspector or higher of the patrolling unit (or above it).

use chrono::{DateTime, NaiveDate, Utc};
use eseal_protocol::MineCode;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::lifecycle::{
    LifecycleError, OverduePatrol, PatrolRecord, ScopeBasis, ScopeChange, ScopeHistory,
    SealRemoval, Unfittable, overdue_patrols, scope_basis,
};
use crate::db::{Conn, Db, Row};
use crate::error::Error;
use crate::supervision::audit::{self, Change};
use crate::supervision::desk::filed_config;
use crate::supervision::{Actor, Role, UnitCode};

/// Why a lifecycle record was not stored.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The clause forbids it (422, naming the clause and field).
    #[error(transparent)]
    Refused(#[from] LifecycleError),
    /// The actor may not record it, or the store failed.
    #[error(transparent)]
    Store(#[from] Error),
}

/// The kind of a row of `lifecycle_records`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    ScopeChange,
    SealRemoval,
    Unfittable,
    Patrol,
}

impl Kind {
    fn id(self) -> &'static str {
        match self {
            Kind::ScopeChange => "scope_change",
            Kind::SealRemoval => "seal_removal",
            Kind::Unfittable => "unfittable",
            Kind::Patrol => "patrol",
        }
    }
}

/// A stored record: its id and when and by whom it was recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Recorded<T> {
    /// Row id.
    pub id: i64,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
    /// Who recorded it.
    pub recorded_by: String,
    /// The record.
    pub record: T,
}

/// Everything on file about one mine's lifecycle (L1–L3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MineLifecycle {
    /// The mine.
    #[schema(value_type = String, pattern = "^[0-9]{12}$", example = "140421007866")]
    pub mine: MineCode,
    /// The CST day the answer is for.
    pub date: NaiveDate,
    /// Whether the mine is in the seal scope that day, by its scope changes (L1).
    pub in_scope: bool,
    /// Why its filed state puts it in scope by the spec's rule, if it does (L1: stopped ≥ 6
    /// months, or being closed).
    pub scope_basis: Option<ScopeBasis>,
    /// Its scope changes, oldest first (L1).
    pub scope_changes: Vec<Recorded<ScopeChange>>,
    /// Its seal removals with their provincial approvals (L2).
    pub seal_removals: Vec<Recorded<SealRemoval>>,
    /// The latest filing as a mine that cannot be fitted (L3).
    pub unfittable: Option<Recorded<Unfittable>>,
    /// Its patrols, oldest first (L3).
    pub patrols: Vec<Recorded<PatrolRecord>>,
    /// The patrol overdue that day, if any (L3).
    pub overdue_patrol: Option<OverduePatrol>,
}

/// The lifecycle records in a [`Db`]. Cheap to clone.
#[derive(Debug, Clone)]
pub struct LifecycleRecords {
    db: Db,
}

/// Refuses unless `actor` is the platform, or a user of role `role` or higher whose unit
/// covers `unit`.
fn may_record(
    actor: &Actor,
    unit: &UnitCode,
    role: Role,
    what: &str,
    clause: &str,
) -> Result<(), Error> {
    match actor {
        Actor::System => Ok(()),
        Actor::User {
            unit: own, role: r, ..
        } if *r >= role && own.covers(unit) => Ok(()),
        Actor::User {
            username,
            unit: own,
            role: r,
        } => Err(Error::Forbidden(format!(
            "{what}: only a {} or higher of a unit covering {unit} may ({clause}); {username} is {} of {own}",
            role.zh(),
            r.zh()
        ))),
    }
}

fn decode<T: DeserializeOwned>(r: &Row) -> Result<Recorded<T>, Error> {
    let details = r.json("details")?.unwrap_or_default();
    let record = serde_json::from_value(details).map_err(|e| {
        Error::Internal(format!(
            "stored lifecycle record {}: {e}",
            r.i64("id").unwrap_or(0)
        ))
    })?;
    Ok(Recorded {
        id: r.i64("id")?,
        recorded_at: r.time("at")?,
        recorded_by: r.text("actor")?,
        record,
    })
}

/// Every record of `mine` of `kind`, oldest first.
fn of_kind<T: DeserializeOwned>(
    c: &mut Conn,
    mine: &MineCode,
    kind: Kind,
) -> Result<Vec<Recorded<T>>, Error> {
    c.query(
        "SELECT id, at, actor, details FROM lifecycle_records WHERE mine = $1 AND kind = $2 ORDER BY id",
        &[mine.as_str().into(), kind.id().into()],
    )?
    .iter()
    .map(decode)
    .collect()
}

fn history(c: &mut Conn, mine: &MineCode) -> Result<Result<ScopeHistory, LifecycleError>, Error> {
    let mut h = ScopeHistory::new();
    for r in of_kind::<ScopeChange>(c, mine, Kind::ScopeChange)? {
        if let Err(e) = h.record(r.record) {
            return Ok(Err(e));
        }
    }
    Ok(Ok(h))
}

/// Inserts one record with its audit row; its id.
fn insert(
    c: &mut Conn,
    actor: &Actor,
    now: DateTime<Utc>,
    mine: &MineCode,
    kind: Kind,
    record: &impl Serialize,
) -> Result<i64, Error> {
    let details = serde_json::to_value(record)
        .map_err(|e| Error::Internal(format!("lifecycle record JSON: {e}")))?;
    let id = c.insert_id(
        "INSERT INTO lifecycle_records (mine, kind, at, actor, details) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        &[
            mine.as_str().into(),
            kind.id().into(),
            now.into(),
            actor.name().into(),
            (&details).into(),
        ],
    )?;
    audit::record(
        c,
        actor,
        now,
        Change {
            action: &format!("lifecycle.{}", kind.id()),
            object_kind: "lifecycle_record",
            object_id: &id.to_string(),
            unit: &UnitCode::of_mine(mine),
            before: None,
            after: Some(details),
        },
    )?;
    Ok(id)
}

impl LifecycleRecords {
    /// The records kept in `db`.
    pub fn new(db: Db) -> LifecycleRecords {
        LifecycleRecords { db }
    }

    /// Records a mine joining or leaving the scope (L1): after the mine's last change, and
    /// changing something.
    pub async fn scope_change(
        &self,
        actor: &Actor,
        change: ScopeChange,
        now: DateTime<Utc>,
    ) -> Result<i64, RecordError> {
        may_record(
            actor,
            &change.by,
            Role::Admin,
            "record a scope change",
            "L1",
        )?;
        let actor = actor.clone();
        self.db
            .transaction(move |c| {
                let mut h = match history(c, &change.mine)? {
                    Ok(h) => h,
                    Err(e) => return Ok(Err(e.into())),
                };
                if let Err(e) = h.record(change.clone()) {
                    return Ok(Err(e.into()));
                }
                insert(c, &actor, now, &change.mine, Kind::ScopeChange, &change).map(Ok)
            })
            .await?
    }

    /// Records a seal removal with its provincial approval (L2); the mine leaves the scope that
    /// day, recorded beside it ([`SealRemoval::scope_change`]), so it must be in scope then.
    pub async fn seal_removal(
        &self,
        actor: &Actor,
        removal: SealRemoval,
        now: DateTime<Utc>,
    ) -> Result<i64, RecordError> {
        let unit = UnitCode::of_mine(&removal.mine);
        may_record(actor, &unit, Role::Admin, "record a seal removal", "L2")?;
        let actor = actor.clone();
        self.db
            .transaction(move |c| {
                let mut h = match history(c, &removal.mine)? {
                    Ok(h) => h,
                    Err(e) => return Ok(Err(e.into())),
                };
                let leave = removal.scope_change();
                if let Err(e) = h.record(leave.clone()) {
                    return Ok(Err(e.into()));
                }
                let id = insert(c, &actor, now, &removal.mine, Kind::SealRemoval, &removal)?;
                insert(c, &actor, now, &removal.mine, Kind::ScopeChange, &leave)?;
                Ok(Ok(id))
            })
            .await?
    }

    /// Files a mine that cannot be fitted, with its patrol cadence (L3); a new filing replaces
    /// the old one for the overdue check.
    pub async fn unfittable(
        &self,
        actor: &Actor,
        filing: Unfittable,
        now: DateTime<Utc>,
    ) -> Result<i64, RecordError> {
        may_record(
            actor,
            &filing.filed_by,
            Role::Admin,
            "file an unfittable mine",
            "L3",
        )?;
        let actor = actor.clone();
        Ok(self
            .db
            .transaction(move |c| insert(c, &actor, now, &filing.mine, Kind::Unfittable, &filing))
            .await?)
    }

    /// Records a patrol of an unfittable mine (L3).
    pub async fn patrol(
        &self,
        actor: &Actor,
        record: PatrolRecord,
        now: DateTime<Utc>,
    ) -> Result<i64, RecordError> {
        may_record(actor, &record.by, Role::Inspector, "record a patrol", "L3")?;
        let actor = actor.clone();
        Ok(self
            .db
            .transaction(move |c| insert(c, &actor, now, &record.mine, Kind::Patrol, &record))
            .await?)
    }

    /// Everything on file about `mine` on CST day `date`, for `reader` (a unit covering it).
    pub async fn of_mine(
        &self,
        reader: &Actor,
        mine: MineCode,
        date: NaiveDate,
    ) -> Result<MineLifecycle, Error> {
        may_record(
            reader,
            &UnitCode::of_mine(&mine),
            Role::Viewer,
            "read the lifecycle of a mine",
            "L1-L3",
        )?;
        self.db
            .run(move |c| {
                let scope_changes: Vec<Recorded<ScopeChange>> =
                    of_kind(c, &mine, Kind::ScopeChange)?;
                let mut h = ScopeHistory::new();
                for r in &scope_changes {
                    // Stored changes were checked in order when recorded.
                    let _ = h.record(r.record.clone());
                }
                let seal_removals = of_kind(c, &mine, Kind::SealRemoval)?;
                let unfittable: Option<Recorded<Unfittable>> =
                    of_kind(c, &mine, Kind::Unfittable)?.pop();
                let patrols: Vec<Recorded<PatrolRecord>> = of_kind(c, &mine, Kind::Patrol)?;
                let overdue_patrol = unfittable.as_ref().and_then(|f| {
                    let ps: Vec<PatrolRecord> = patrols.iter().map(|p| p.record.clone()).collect();
                    overdue_patrols(std::slice::from_ref(&f.record), &ps, date).pop()
                });
                let scope_basis = filed_config(c, &mine)?.and_then(|m| scope_basis(&m, date));
                Ok(MineLifecycle {
                    mine,
                    date,
                    in_scope: h.in_scope(date),
                    scope_basis,
                    scope_changes,
                    seal_removals,
                    unfittable,
                    patrols,
                    overdue_patrol,
                })
            })
            .await
    }

    /// The unfittable mines of `unit` whose patrol is overdue on CST day `date` (L3), for
    /// `reader` (a unit covering `unit`).
    pub async fn overdue(
        &self,
        reader: &Actor,
        unit: UnitCode,
        date: NaiveDate,
    ) -> Result<Vec<OverduePatrol>, Error> {
        may_record(
            reader,
            &unit,
            Role::Viewer,
            "read the overdue patrols of a unit",
            "L3",
        )?;
        self.db
            .run(move |c| {
                let rows = c.query(
                    "SELECT id, mine, kind, at, actor, details FROM lifecycle_records \
                     WHERE mine LIKE $1 AND kind IN ('unfittable', 'patrol') ORDER BY id",
                    &[format!("{}%", unit.jurisdiction_prefix()).into()],
                )?;
                let mut filings: std::collections::BTreeMap<String, Unfittable> =
                    Default::default();
                let mut patrols = Vec::new();
                for r in &rows {
                    if r.text("kind")? == Kind::Unfittable.id() {
                        let f: Recorded<Unfittable> = decode(r)?;
                        filings.insert(f.record.mine.to_string(), f.record);
                    } else {
                        patrols.push(decode::<PatrolRecord>(r)?.record);
                    }
                }
                let filings: Vec<Unfittable> = filings.into_values().collect();
                Ok(overdue_patrols(&filings, &patrols, date))
            })
            .await
    }
}

//! The alarm desk: where the supervision parts meet the database — ingested events in, alarms
//! raised by the mine's configuration, handled by the county, supervised from above, and every
//! change pushed to the live feed (P2–P5, P9, P10, P14).
//!
//! Key design decision: **the workflow decides, the desk only loads and stores, in one
//! transaction per step.** An alarm's whole record (facts, deadlines, steps, supervisions) is the
//! [`Alarm`] the pure state machine in [`super::workflow`] works on; the desk reads it from
//! `alarms.doc`, lets [`workflow::apply`] accept or refuse the action, and writes the new record,
//! its projection (`alarms.state`, one `alarm_steps` row, a `supervisions` row when it was a
//! supervision) and an audit row together — so a step is either wholly recorded or not at all,
//! and the rules of who may do what live in exactly one place. Only after the commit is the
//! notice published on the [`Feed`], so nobody is told of a step that did not happen.
//!
//! Raising is idempotent by the rule engine's dedup key (`alarms.dedup_key` is unique): the
//! engine is run on each event with no memory, and a draft whose key is already stored raises
//! nothing, so a re-ingested or replayed event never raises twice and the dedup "memory"
//! survives restarts because it is the table itself.
//!
//! A mine nobody has configured is judged as a stopped mine (停产) without 一停四不停, with its
//! county's defaults: in the e-seal scope every mine is stopped, closing or stopped building
//! (L1), and a mine that filed nothing expects nobody to go down.

use chrono::{DateTime, Utc};
use eseal_protocol::MineCode;
use serde::Serialize;

use super::mines::{CountyDefaults, MineConfig, MineState};
use super::push::{Feed, Notice};
use super::rules::{AlarmDraft, RuleEngine, RuleInput, RuleInputError, RuleTable};
use super::workflow::{
    self, Action, Alarm, AlarmFacts, AlarmView, Policy, RaiseError, Refusal, Step,
};
use super::{Actor, AlarmKind, AlarmState, Role, UnitCode, UnitLevel, audit};
use crate::db::{Conn, Db, Row};
use crate::query::EventRow;

/// What went wrong at the desk.
#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    /// The workflow refused the action (403 / 409 / 422, naming the clause).
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// No such alarm (or none the reader may see).
    #[error("alarm {0}: no such alarm in your jurisdiction")]
    NoAlarm(i64),
    /// The event cannot be evaluated (a field the rules need is missing or malformed).
    #[error(transparent)]
    Event(#[from] RuleInputError),
    /// The mine code has no county (R1).
    #[error(transparent)]
    Raise(#[from] RaiseError),
    /// The database.
    #[error(transparent)]
    Store(#[from] crate::Error),
}

/// Result of the desk.
pub type DeskResult<T> = std::result::Result<T, DeskError>;

/// Filter of an alarm list (P3).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlarmFilter {
    /// Only this mine.
    pub mine: Option<MineCode>,
    /// Only alarms in this state.
    pub state: Option<AlarmState>,
    /// Only this kind.
    pub kind: Option<AlarmKind>,
    /// At most this many, newest first (default 100, at most 1000).
    pub limit: Option<u32>,
}

/// A mine's configuration as the county filed it and as the rules apply it (P9, P10).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Configuration {
    /// What was filed; `None` when nothing was (the rules then judge it as a stopped mine
    /// without 一停四不停: nobody may go down).
    pub filed: Option<MineConfig>,
    /// The county's default thresholds, when the county set any.
    pub county_defaults: Option<CountyDefaults>,
    /// The numbers in force on the day asked, each with where it came from.
    pub effective: super::mines::Effective,
}

/// A raised alarm and why it was raised.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Raised {
    /// The alarm as stored.
    pub alarm: Alarm,
    /// The rule's reason (English, with the limit and its source).
    pub reason: String,
    /// The rule id.
    pub rule: String,
}

/// The alarm desk. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Desk {
    db: Db,
    policy: Policy,
    rules: RuleTable,
    feed: Feed,
}

impl Desk {
    /// A desk on `db` with the handling `policy`, the alarm `rules`, publishing on `feed`.
    pub fn new(db: Db, policy: Policy, rules: RuleTable, feed: Feed) -> Desk {
        Desk {
            db,
            policy,
            rules,
            feed,
        }
    }

    /// The live feed it publishes on.
    pub fn feed(&self) -> &Feed {
        &self.feed
    }

    /// The handling policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Files (or replaces) a mine's configuration (P9, P10): an admin of a unit covering the
    /// mine, or the platform. Audited.
    pub async fn file_mine(
        &self,
        actor: &Actor,
        config: MineConfig,
        now: DateTime<Utc>,
    ) -> DeskResult<()> {
        let unit = UnitCode::of_mine(&config.mine);
        may_configure(actor, &unit, "file the configuration of mine")?;
        let after = to_json(&config, "mine config")?;
        let (actor, mine) = (actor.clone(), config.mine);
        self.db
            .transaction(move |c| {
                let doc = ConfigDoc {
                    table: "mine_configs",
                    key_column: "mine",
                    key: mine.as_str(),
                    county: Some(mine.county_code()),
                    unit: &unit,
                    action: "mine_config.file",
                    object_kind: "mine_config",
                };
                put_config(c, &actor, now, &doc, after)
            })
            .await?;
        Ok(())
    }

    /// Files (or replaces) several mines' configurations in one transaction (an import, P9):
    /// all of them or none. The actor must be allowed to configure every one.
    pub async fn file_mines(
        &self,
        actor: &Actor,
        configs: Vec<MineConfig>,
        now: DateTime<Utc>,
    ) -> DeskResult<()> {
        let mut docs = Vec::with_capacity(configs.len());
        for config in configs {
            let unit = UnitCode::of_mine(&config.mine);
            may_configure(actor, &unit, "file the configuration of mine")?;
            docs.push((config.mine, unit, to_json(&config, "mine config")?));
        }
        let actor = actor.clone();
        self.db
            .transaction(move |c| {
                for (mine, unit, after) in docs {
                    let doc = ConfigDoc {
                        table: "mine_configs",
                        key_column: "mine",
                        key: mine.as_str(),
                        county: Some(mine.county_code()),
                        unit: &unit,
                        action: "mine_config.file",
                        object_kind: "mine_config",
                    };
                    put_config(c, &actor, now, &doc, after)?;
                }
                Ok(())
            })
            .await?;
        Ok(())
    }

    /// Sets a county's default thresholds (P10): an admin of a unit covering the county.
    pub async fn set_county_defaults(
        &self,
        actor: &Actor,
        defaults: CountyDefaults,
        now: DateTime<Utc>,
    ) -> DeskResult<()> {
        may_configure(
            actor,
            &defaults.county,
            "set the default thresholds of county",
        )?;
        let after = to_json(&defaults, "county defaults")?;
        let actor = actor.clone();
        self.db
            .transaction(move |c| {
                let doc = ConfigDoc {
                    table: "county_defaults",
                    key_column: "county",
                    key: defaults.county.as_str(),
                    county: None,
                    unit: &defaults.county,
                    action: "county_defaults.set",
                    object_kind: "county_defaults",
                };
                put_config(c, &actor, now, &doc, after)
            })
            .await?;
        Ok(())
    }

    /// What is filed for `mine` (P9) and its county's defaults (P10), for `reader` (a unit
    /// covering the mine, else [`crate::Error::Forbidden`]), with the numbers in force on CST day
    /// `date` — for a mine that filed nothing, those the rules apply to it (a stopped mine).
    pub async fn configuration(
        &self,
        reader: &Actor,
        mine: MineCode,
        date: chrono::NaiveDate,
    ) -> DeskResult<Configuration> {
        may_read(
            reader,
            &UnitCode::of_mine(&mine),
            "read the configuration of mine",
        )?;
        let found = self
            .db
            .run(move |c| {
                let filed = filed_config(c, &mine)?;
                let config = filed
                    .clone()
                    .unwrap_or_else(|| MineConfig::new(mine, "", MineState::Stopped));
                let county = load_county(c, &config.county())?;
                let effective = config.effective(date, county.as_ref());
                Ok(Configuration {
                    filed,
                    county_defaults: county,
                    effective,
                })
            })
            .await?;
        Ok(found)
    }

    /// A county's default thresholds (P10), if set, for `reader` (a unit covering the county).
    pub async fn county_defaults(
        &self,
        reader: &Actor,
        county: UnitCode,
    ) -> DeskResult<Option<CountyDefaults>> {
        may_read(reader, &county, "read the default thresholds of county")?;
        Ok(self.db.run(move |c| load_county(c, &county)).await?)
    }

    /// Evaluates one ingested event (U1–U5) by its mine's configuration on the event's CST day
    /// and raises what the rules say, each alarm at most once (its dedup key). Returns the
    /// alarms raised now; publishes each on the feed after the commit.
    pub async fn on_event(&self, event: &EventRow, now: DateTime<Utc>) -> DeskResult<Vec<Raised>> {
        let input = RuleInput::from_event(event)?;
        self.evaluate(input, now).await
    }

    /// Evaluates a normalised input (an event, or a mine the patrol found offline).
    pub async fn evaluate(&self, input: RuleInput, now: DateTime<Utc>) -> DeskResult<Vec<Raised>> {
        let (rules, policy) = (self.rules.clone(), self.policy.clone());
        let raised = self
            .db
            .transaction(move |c| {
                let config = load_config(c, &input.mine)?;
                let county = load_county(c, &config.county())?;
                let eff = config.effective(input.time.date(), county.as_ref());
                let drafts = match RuleEngine::new(rules).evaluate(&input, &eff) {
                    Ok(d) => d,
                    Err(e) => return Ok(Err(DeskError::from(e))),
                };
                let mut out = Vec::new();
                for d in drafts {
                    match store_draft(c, &d, &policy, now)? {
                        Ok(Some(alarm)) => out.push(Raised {
                            alarm,
                            reason: d.reason,
                            rule: d.rule,
                        }),
                        Ok(None) => {}
                        Err(e) => return Ok(Err(DeskError::from(e))),
                    }
                }
                Ok(Ok(out))
            })
            .await??;
        for r in &raised {
            self.feed.publish(Notice::raised(&r.alarm));
        }
        Ok(raised)
    }

    /// Does `action` on alarm `id` as `actor` (acknowledge, handle, close, supervise), or is
    /// refused by the workflow. The step, its projection and an audit row are one transaction.
    pub async fn act(
        &self,
        actor: &Actor,
        id: i64,
        action: Action,
        now: DateTime<Utc>,
    ) -> DeskResult<Step> {
        let actor = actor.clone();
        let (alarm, step) = self
            .db
            .transaction(move |c| {
                let Some(mut alarm) = load_alarm(c, id)? else {
                    return Ok(Err(DeskError::NoAlarm(id)));
                };
                if !workflow::visible_to(&alarm, &actor) {
                    // Outside the jurisdiction the alarm does not exist for the reader (403 by
                    // the workflow's own refusal, so the status says why).
                    if let Err(r) = workflow::check_visible(&alarm, &actor) {
                        return Ok(Err(r.into()));
                    }
                }
                let before = serde_json::json!({ "state": alarm.state.id() });
                let step = match workflow::apply(&mut alarm, &actor, action, now) {
                    Ok(s) => s,
                    Err(r) => return Ok(Err(r.into())),
                };
                save_step(c, &alarm, &step)?;
                audit::record(
                    c,
                    &actor,
                    now,
                    audit::Change {
                        action: &format!("alarm.{}", step.action.kind().id()),
                        object_kind: "alarm",
                        object_id: &id.to_string(),
                        unit: &alarm.county,
                        before: Some(before),
                        after: Some(
                            serde_json::json!({ "state": alarm.state.id(), "step": step.seq }),
                        ),
                    },
                )?;
                Ok(Ok((alarm, step)))
            })
            .await??;
        self.feed.publish(Notice::step(&alarm, &step));
        Ok(step)
    }

    /// Records every automatic supervision due at `now` (P4) on the alarms not yet handled, and
    /// publishes them. Idempotent at a given `now`.
    ///
    /// What is due is found by a plain read: the scan parses every open alarm, and holding the
    /// write lock through it made every upload's commit and every alarm raised wait behind it
    /// (issue 6 load: seconds at a few thousand open alarms). Only the alarms found due are
    /// reloaded in the write transaction, where the workflow decides again on the stored record,
    /// so a step taken meanwhile is neither undone nor repeated.
    pub async fn tick(&self, now: DateTime<Utc>) -> DeskResult<Vec<Step>> {
        let policy = self.policy.clone();
        let p = policy.clone();
        let due: Vec<i64> = self
            .db
            .run(move |c| {
                let rows = c.query(
                    "SELECT doc FROM alarms WHERE state IN ('pushed', 'acknowledged') ORDER BY id",
                    &[],
                )?;
                let mut ids = Vec::new();
                for r in rows {
                    let alarm = parse_doc(&r)?;
                    if workflow::due(&alarm, &p, now).is_some() {
                        ids.push(alarm.facts.id);
                    }
                }
                Ok(ids)
            })
            .await?;
        if due.is_empty() {
            return Ok(Vec::new());
        }
        let done = self
            .db
            .transaction(move |c| {
                let mut out = Vec::new();
                for id in due {
                    let Some(alarm) = load_alarm(c, id)? else {
                        continue;
                    };
                    let mut alarm = [alarm];
                    let steps = workflow::tick(&mut alarm, &policy, now);
                    let [alarm] = alarm;
                    for s in &steps {
                        save_step(c, &alarm, s)?;
                    }
                    if !steps.is_empty() {
                        out.push((alarm, steps));
                    }
                }
                Ok(out)
            })
            .await?;
        let mut all = Vec::new();
        for (alarm, steps) in done {
            for s in steps {
                self.feed.publish(Notice::step(&alarm, &s));
                all.push(s);
            }
        }
        Ok(all)
    }

    /// One alarm as `reader` sees it (with what the reader may do next).
    pub async fn get(&self, reader: &Actor, id: i64, now: DateTime<Utc>) -> DeskResult<AlarmView> {
        let alarm = self
            .db
            .run(move |c| load_alarm(c, id))
            .await?
            .ok_or(DeskError::NoAlarm(id))?;
        Ok(workflow::view(&alarm, reader, now)?)
    }

    /// The evidence of alarm `id` (P3): the uploads that raised it, as event rows with their
    /// file's facts, for `reader` (refused outside the jurisdiction, as reading the alarm is).
    /// Empty for an alarm without evidence (a mine found offline).
    pub async fn evidence(&self, reader: &Actor, id: i64) -> DeskResult<Vec<EventRow>> {
        let reader = reader.clone();
        self.db
            .run(move |c| {
                let Some(row) = c.query_opt(
                    "SELECT doc, evidence FROM alarms WHERE id = $1",
                    &[id.into()],
                )?
                else {
                    return Ok(Err(DeskError::NoAlarm(id)));
                };
                if let Err(r) = workflow::check_visible(&parse_doc(&row)?, &reader) {
                    return Ok(Err(r.into()));
                }
                let refs: Vec<super::rules::Evidence> =
                    serde_json::from_value(row.json("evidence")?.unwrap_or_default())
                        .map_err(|e| internal("stored alarm evidence", e))?;
                let mut out = Vec::with_capacity(refs.len());
                for e in refs {
                    if let Some(ev) = crate::query::get_event(c, e.event_id)? {
                        out.push(ev);
                    }
                }
                Ok(Ok(out))
            })
            .await?
    }

    /// The alarms of `reader`'s jurisdiction, newest first (P3).
    pub async fn list(
        &self,
        reader: &Actor,
        filter: AlarmFilter,
        now: DateTime<Utc>,
    ) -> DeskResult<Vec<AlarmView>> {
        let prefix = match reader {
            Actor::User { unit, .. } => unit.jurisdiction_prefix().to_owned(),
            Actor::System => String::new(),
        };
        let limit = i64::from(filter.limit.unwrap_or(100).clamp(1, 1000));
        // Only the filters given, so every parameter has a type on PostgreSQL too.
        let mut sql = String::from("SELECT doc FROM alarms WHERE mine LIKE $1");
        let mut params: Vec<crate::db::Value> = vec![format!("{prefix}%").into()];
        for (column, value) in [
            ("mine", filter.mine.map(|m| m.as_str().to_owned())),
            ("state", filter.state.map(|s| s.id().to_owned())),
            ("kind", filter.kind.map(|k| k.id().to_owned())),
        ] {
            if let Some(v) = value {
                params.push(v.into());
                sql.push_str(&format!(" AND {column} = ${}", params.len()));
            }
        }
        params.push(limit.into());
        sql.push_str(&format!(
            " ORDER BY raised_at DESC, id DESC LIMIT ${}",
            params.len()
        ));
        let rows = self.db.query(sql, params).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let alarm = parse_doc(&r)?;
            // The prefix is a coarse filter; the workflow's own visibility is the rule.
            if let Ok(v) = workflow::view(&alarm, reader, now) {
                out.push(v);
            }
        }
        Ok(out)
    }
}

/// Reading is for a unit covering `unit` (or the platform).
fn may_read(actor: &Actor, unit: &UnitCode, what: &str) -> DeskResult<()> {
    match actor {
        Actor::User {
            unit: own,
            username,
            ..
        } if !own.covers(unit) => Err(crate::Error::Forbidden(format!(
            "{what} {unit}: outside the jurisdiction of {own} ({username}, R1)"
        ))
        .into()),
        _ => Ok(()),
    }
}

/// Configuration is an admin's (or the platform's) of a unit covering `unit`.
fn may_configure(actor: &Actor, unit: &UnitCode, what: &str) -> DeskResult<()> {
    match actor {
        Actor::System => Ok(()),
        Actor::User {
            unit: own,
            role,
            username,
        } => {
            if *role == Role::Admin && own.covers(unit) && own.level() < UnitLevel::Mine {
                Ok(())
            } else {
                Err(crate::Error::Forbidden(format!(
                    "{what} {unit}: only an admin of a unit covering it may (P9, P10); {username} is {} of {own}",
                    role.zh()
                ))
                .into())
            }
        }
    }
}

/// Where a configuration document is stored: its table, key and unit (who may read its audit).
struct ConfigDoc<'a> {
    table: &'static str,
    key_column: &'static str,
    key: &'a str,
    /// The `county` column, for tables that have one.
    county: Option<&'a str>,
    unit: &'a UnitCode,
    action: &'static str,
    object_kind: &'static str,
}

fn to_json(v: &impl Serialize, what: &str) -> crate::Result<serde_json::Value> {
    serde_json::to_value(v).map_err(|e| internal(what, e))
}

/// Stores (inserts or replaces) a configuration document and audits it, before and after.
fn put_config(
    c: &mut Conn,
    actor: &Actor,
    now: DateTime<Utc>,
    doc: &ConfigDoc<'_>,
    after: serde_json::Value,
) -> crate::Result<()> {
    let (table, key) = (doc.table, doc.key_column);
    let before = c
        .query_opt(
            &format!("SELECT config FROM {table} WHERE {key} = $1"),
            &[doc.key.into()],
        )?
        .map(|r| r.json("config"))
        .transpose()?
        .flatten();
    let (cols, vals, set) = match doc.county {
        Some(_) => (", county", ", $5", ", county = $5"),
        None => ("", "", ""),
    };
    let mut params = vec![
        doc.key.into(),
        (&after).into(),
        now.into(),
        actor.name().into(),
    ];
    if let Some(county) = doc.county {
        params.push(county.into());
    }
    c.execute(
        &format!(
            "INSERT INTO {table} ({key}, config, updated_at, updated_by{cols}) VALUES ($1, $2, $3, $4{vals}) \
             ON CONFLICT ({key}) DO UPDATE SET config = $2, updated_at = $3, updated_by = $4{set}"
        ),
        &params,
    )?;
    audit::record(
        c,
        actor,
        now,
        audit::Change {
            action: doc.action,
            object_kind: doc.object_kind,
            object_id: doc.key,
            unit: doc.unit,
            before,
            after: Some(after),
        },
    )?;
    Ok(())
}

fn internal(what: &str, e: impl std::fmt::Display) -> crate::Error {
    crate::Error::Internal(format!("{what}: {e}"))
}

/// The configuration filed for `mine`, if any.
pub(crate) fn filed_config(c: &mut Conn, mine: &MineCode) -> crate::Result<Option<MineConfig>> {
    c.query_opt(
        "SELECT config FROM mine_configs WHERE mine = $1",
        &[mine.as_str().into()],
    )?
    .map(|r| {
        serde_json::from_value(r.json("config")?.unwrap_or_default())
            .map_err(|e| internal("stored mine configuration", e))
    })
    .transpose()
}

/// The configuration the rules use: the filed one, or a stopped mine with nothing filed.
fn load_config(c: &mut Conn, mine: &MineCode) -> crate::Result<MineConfig> {
    Ok(filed_config(c, mine)?.unwrap_or_else(|| MineConfig::new(*mine, "", MineState::Stopped)))
}

fn load_county(c: &mut Conn, county: &UnitCode) -> crate::Result<Option<CountyDefaults>> {
    c.query_opt(
        "SELECT config FROM county_defaults WHERE county = $1",
        &[county.as_str().into()],
    )?
    .map(|r| {
        serde_json::from_value(r.json("config")?.unwrap_or_default())
            .map_err(|e| internal("stored county defaults", e))
    })
    .transpose()
}

fn parse_doc(r: &Row) -> crate::Result<Alarm> {
    let doc: String = r.get("doc")?;
    serde_json::from_str(&doc).map_err(|e| internal("stored alarm record", e))
}

fn load_alarm(c: &mut Conn, id: i64) -> crate::Result<Option<Alarm>> {
    c.query_opt("SELECT doc FROM alarms WHERE id = $1", &[id.into()])?
        .map(|r| parse_doc(&r))
        .transpose()
}

fn doc_text(alarm: &Alarm) -> crate::Result<String> {
    serde_json::to_string(alarm).map_err(|e| internal("alarm record JSON", e))
}

/// Inserts a draft unless its dedup key is stored; the new alarm, or `None`.
fn store_draft(
    c: &mut Conn,
    d: &AlarmDraft,
    policy: &Policy,
    now: DateTime<Utc>,
) -> crate::Result<Result<Option<Alarm>, RaiseError>> {
    let camera = d
        .camera
        .map(|c| c.to_string())
        .or_else(|| d.lock.map(|l| l.to_string()));
    let event_time = d.event_time.to_utc();
    let evidence = serde_json::to_value(d.evidence.iter().collect::<Vec<_>>())
        .map_err(|e| internal("evidence JSON", e))?;
    let id = c.query_opt(
        "INSERT INTO alarms (mine, county, camera, kind, grade, message, event_time, raised_at, state, dedup_key, evidence) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pushed', $9, $10) ON CONFLICT (dedup_key) DO NOTHING RETURNING id",
        &[
            d.mine.as_str().into(),
            d.mine.county_code().into(),
            camera.clone().into(),
            d.kind.id().into(),
            grade_id(d.grade).into(),
            d.message.as_str().into(),
            event_time.into(),
            now.into(),
            d.dedup_key.as_str().into(),
            (&evidence).into(),
        ],
    )?;
    let Some(id) = id else { return Ok(Ok(None)) };
    let id: i64 = id.get("id")?;
    let facts = AlarmFacts {
        id,
        kind: d.kind,
        grade: d.grade,
        mine: d.mine,
        camera,
        message: d.message.clone(),
        event_time,
        evidence: d.evidence.iter().cloned().collect(),
    };
    let alarm = match Alarm::raise(facts, policy, now) {
        Ok(a) => a,
        Err(e) => return Ok(Err(e)),
    };
    c.execute(
        "UPDATE alarms SET doc = $1, deadline = $2 WHERE id = $3",
        &[
            doc_text(&alarm)?.into(),
            alarm.deadlines.handle_by.into(),
            id.into(),
        ],
    )?;
    c.execute(
        "INSERT INTO alarm_steps (alarm_id, at, actor, action, state_before, state_after, details) VALUES ($1, $2, 'system', 'raise', NULL, 'pushed', $3)",
        &[id.into(), now.into(), serde_json::json!({ "rule": d.rule, "reason": d.reason }).to_string().into()],
    )?;
    Ok(Ok(Some(alarm)))
}

/// Writes an applied step: the record, the state, the step row, the supervision row.
fn save_step(c: &mut Conn, alarm: &Alarm, step: &Step) -> crate::Result<()> {
    c.execute(
        "UPDATE alarms SET doc = $1, state = $2 WHERE id = $3",
        &[
            doc_text(alarm)?.into(),
            alarm.state.id().into(),
            alarm.facts.id.into(),
        ],
    )?;
    let details = serde_json::to_string(step).map_err(|e| internal("step JSON", e))?;
    c.execute(
        "INSERT INTO alarm_steps (alarm_id, at, actor, action, state_before, state_after, details) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            alarm.facts.id.into(),
            step.at.into(),
            step.actor.as_str().into(),
            step.action.kind().id().into(),
            step.from.id().into(),
            step.to.id().into(),
            details.into(),
        ],
    )?;
    if matches!(
        step.action,
        Action::Supervise { .. } | Action::AutoSupervise(_)
    ) && let Some(s) = alarm.supervisions.last()
    {
        c.execute(
            "INSERT INTO supervisions (alarm_id, at, actor, level, automatic, note) VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                alarm.facts.id.into(),
                s.at.into(),
                s.by.as_str().into(),
                serde_json::to_value(s.level).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default().into(),
                s.automatic.is_some().into(),
                s.note.as_str().into(),
            ],
        )?;
    }
    Ok(())
}

fn grade_id(g: super::RiskGrade) -> &'static str {
    match g {
        super::RiskGrade::Low => "low",
        super::RiskGrade::General => "general",
        super::RiskGrade::Serious => "serious",
        super::RiskGrade::Major => "major",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::db::testing::on_both_backends;
    use crate::supervision::push::Item;
    use crate::supervision::push::NoticeEvent;
    use crate::supervision::workflow::InspectionResult;
    use chrono::Duration;

    const MINE: &str = "140421007866";

    fn u(s: &str) -> UnitCode {
        UnitCode::parse(s).unwrap()
    }

    fn t0() -> DateTime<Utc> {
        // 2026-11-28 11:00:00 CST.
        DateTime::parse_from_rfc3339("2026-11-28T03:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    /// A U1 as ingest stores it: person `n` of the day going down at 11:00:`n` CST.
    fn u1(id: i64, n: u16) -> EventRow {
        let name = format!("{MINE}2001{n:04}202611281100{n:02}.jpg");
        EventRow {
            id,
            name,
            clause: "U1".into(),
            mine: MINE.into(),
            camera: Some("20".into()),
            analysis_type: Some("01".into()),
            daily_count: Some(i64::from(n)),
            transport_state: None,
            lock_code: None,
            lock_state: None,
            mine_time: format!("202611281100{n:02}"),
            event_utc: String::new(),
            received_at: String::new(),
            channel: "ftp".into(),
            account: "m".into(),
            sha256: String::new(),
            findings: serde_json::json!([]),
            metadata: None,
            evidence: None,
        }
    }

    fn desk(db: Db) -> Desk {
        Desk::new(
            db,
            Policy::default(),
            RuleTable::reference().unwrap(),
            Feed::new(),
        )
    }

    fn inspector(unit: &str) -> Actor {
        Actor::user("insp", u(unit), Role::Inspector)
    }

    fn supervisor(unit: &str) -> Actor {
        Actor::user("lead", u(unit), Role::Supervisor)
    }

    /// Duty staff may go down: 一停四不停 with 3 people expected a day.
    async fn file_three_a_day(d: &Desk) {
        let mut cfg = MineConfig::new(
            MineCode::parse(MINE).unwrap(),
            "代县示例铁矿",
            MineState::Stopped,
        );
        cfg.one_stop_four_continue = true;
        cfg.expected_people_per_day = Some(3);
        d.file_mine(&Actor::user("admin", u("140421"), Role::Admin), cfg, t0())
            .await
            .unwrap();
    }

    on_both_backends!(
        people_beyond_the_filed_number_raise_one_alarm_pushed_to_the_county,
        an_unconfigured_mine_expects_nobody,
        the_county_closes_the_loop_and_refusals_change_nothing,
        overdue_alarms_are_supervised_once_per_rung,
        lists_are_scoped_to_the_jurisdiction,
        only_an_admin_over_the_mine_files_its_configuration,
        a_mine_that_filed_no_number_gets_its_countys_default,
    );

    async fn a_mine_that_filed_no_number_gets_its_countys_default(db: Db) {
        let d = desk(db.clone());
        let admin = Actor::user("admin", u("140421"), Role::Admin);
        let mut cfg = MineConfig::new(
            MineCode::parse(MINE).unwrap(),
            "代县示例铁矿",
            MineState::Stopped,
        );
        cfg.one_stop_four_continue = true;
        d.file_mine(&admin, cfg, t0()).await.unwrap();
        let defaults = CountyDefaults {
            county: u("140421"),
            people_threshold: Some(2),
            truck_threshold: None,
        };
        let e = d
            .set_county_defaults(
                &Actor::user("x", u("140422"), Role::Admin),
                defaults.clone(),
                t0(),
            )
            .await
            .unwrap_err();
        assert!(e.to_string().contains("P10"), "{e}");
        d.set_county_defaults(&admin, defaults, t0()).await.unwrap();
        assert!(d.on_event(&u1(1, 1), t0()).await.unwrap().is_empty());
        assert!(d.on_event(&u1(2, 2), t0()).await.unwrap().is_empty());
        let raised = d.on_event(&u1(3, 3), t0()).await.unwrap();
        assert_eq!(raised.len(), 1);
        assert_eq!(raised[0].alarm.facts.message, "入井人数 3");
        let kinds: Vec<String> = db
            .query("SELECT object_kind FROM audit_log ORDER BY id", vec![])
            .await
            .unwrap()
            .iter()
            .map(|r| r.get("object_kind").unwrap())
            .collect();
        assert_eq!(kinds, ["mine_config", "county_defaults"]);
    }

    async fn people_beyond_the_filed_number_raise_one_alarm_pushed_to_the_county(db: Db) {
        let d = desk(db.clone());
        file_three_a_day(&d).await;
        let mut county_feed = d.feed().subscribe(&inspector("140421"), None);
        let mut other_feed = d.feed().subscribe(&inspector("140422"), None);
        let mut raised = Vec::new();
        for n in 1..=5 {
            raised.extend(
                d.on_event(&u1(i64::from(n), n), t0() + Duration::seconds(i64::from(n)))
                    .await
                    .unwrap(),
            );
        }
        // The 4th person is one beyond the 3 filed; the 5th is the same alarm (same grade band).
        assert_eq!(raised.len(), 1, "{raised:#?}");
        let a = &raised[0].alarm;
        assert_eq!(
            (a.facts.kind, a.facts.message.as_str(), a.state),
            (AlarmKind::PeopleOverLimit, "入井人数 4", AlarmState::Pushed)
        );
        assert_eq!(a.county, u("140421"));
        assert!(raised[0].reason.contains('3'), "{}", raised[0].reason);
        // Replaying the event raises nothing more: the dedup key is the table's.
        assert!(
            d.on_event(&u1(4, 4), t0() + Duration::seconds(60))
                .await
                .unwrap()
                .is_empty()
        );
        let n: i64 = db
            .query_one("SELECT COUNT(*) AS n FROM alarms", vec![])
            .await
            .unwrap()
            .get("n")
            .unwrap();
        assert_eq!(n, 1);
        // Pushed to the county's live feed, not to the neighbouring county's.
        match county_feed.recv().await {
            Some(Item::Notice(p)) => assert_eq!(
                (p.notice.alarm_id, p.notice.event),
                (a.facts.id, NoticeEvent::Raised)
            ),
            other => panic!("county feed: {other:?}"),
        }
        d.feed().publish(Notice::raised(a)); // a second notice, so the next recv cannot hang
        let next =
            tokio::time::timeout(std::time::Duration::from_millis(200), other_feed.recv()).await;
        assert!(next.is_err(), "another county must not be told: {next:?}");
    }

    async fn an_unconfigured_mine_expects_nobody(db: Db) {
        let d = desk(db);
        let raised = d.on_event(&u1(1, 1), t0()).await.unwrap();
        assert_eq!(raised.len(), 1);
        assert_eq!(raised[0].alarm.facts.message, "入井人数 1");
    }

    async fn the_county_closes_the_loop_and_refusals_change_nothing(db: Db) {
        let d = desk(db.clone());
        let id = d.on_event(&u1(1, 1), t0()).await.unwrap()[0].alarm.facts.id;
        let at = |m| t0() + Duration::minutes(m);
        // Closing an alarm nobody handled: 409, naming its state.
        let e = d
            .act(
                &supervisor("140421"),
                id,
                Action::Close {
                    remarks: String::new(),
                },
                at(1),
            )
            .await
            .unwrap_err();
        let DeskError::Refused(r) = &e else {
            panic!("{e}")
        };
        assert_eq!(r.http_status().as_u16(), 409, "{r}");
        // A county user supervising: 403 naming P4. Another county's inspector: 403.
        let e = d
            .act(
                &supervisor("140421"),
                id,
                Action::Supervise { note: "快".into() },
                at(1),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&e, DeskError::Refused(r) if r.http_status().as_u16() == 403 && r.clause() == "P4"),
            "{e}"
        );
        let e = d
            .act(
                &inspector("140422"),
                id,
                Action::Acknowledge {
                    note: String::new(),
                },
                at(1),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&e, DeskError::Refused(r) if r.http_status().as_u16() == 403),
            "{e}"
        );
        let e = d.get(&inspector("140422"), id, at(1)).await.unwrap_err();
        assert!(
            matches!(&e, DeskError::Refused(r) if r.http_status().as_u16() == 403),
            "{e}"
        );
        // The loop: acknowledge, handle (with a photo), close; the city supervises on the way.
        d.act(
            &inspector("140421"),
            id,
            Action::Acknowledge {
                note: "收到".into(),
            },
            at(2),
        )
        .await
        .unwrap();
        d.act(
            &supervisor("140400"),
            id,
            Action::Supervise {
                note: "请尽快到现场".into(),
            },
            at(3),
        )
        .await
        .unwrap();
        let photo = "ab".repeat(32);
        d.act(
            &inspector("140421"),
            id,
            Action::Handle {
                result: InspectionResult::ConfirmedViolation,
                notes: "现场核查属实, 已责令停止".into(),
                photos: vec![photo],
            },
            at(30),
        )
        .await
        .unwrap();
        d.act(
            &supervisor("140421"),
            id,
            Action::Close {
                remarks: "办结".into(),
            },
            at(40),
        )
        .await
        .unwrap();
        // Every higher level reads the whole history.
        let v = d
            .get(&Actor::user("prov", u("140000"), Role::Viewer), id, at(41))
            .await
            .unwrap();
        assert_eq!(v.alarm.state, AlarmState::Closed);
        assert_eq!(v.alarm.steps.len(), 4);
        assert_eq!(v.alarm.supervisions.len(), 1);
        let steps: Vec<(String, Option<String>, String)> = db
            .query("SELECT action, state_before, state_after FROM alarm_steps WHERE alarm_id = $1 ORDER BY id", vec![id.into()])
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get("action").unwrap(), r.get("state_before").unwrap(), r.get("state_after").unwrap()))
            .collect();
        let s =
            |a: &str, b: Option<&str>, c: &str| (a.to_owned(), b.map(str::to_owned), c.to_owned());
        assert_eq!(
            steps,
            [
                s("raise", None, "pushed"),
                s("acknowledge", Some("pushed"), "acknowledged"),
                s("supervise", Some("acknowledged"), "acknowledged"),
                s("handle", Some("acknowledged"), "handled"),
                s("close", Some("handled"), "closed"),
            ]
        );
        let sup: Vec<(String, bool)> = db
            .query(
                "SELECT level, automatic FROM supervisions WHERE alarm_id = $1",
                vec![id.into()],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get("level").unwrap(), r.get("automatic").unwrap()))
            .collect();
        assert_eq!(sup, [("city".to_owned(), false)]);
        let audited: i64 = db
            .query_one("SELECT COUNT(*) AS n FROM audit_log WHERE object_kind = 'alarm' AND object_id = $1", vec![id.to_string().into()])
            .await
            .unwrap()
            .get("n")
            .unwrap();
        assert_eq!(audited, 4, "one audit row per step, none for the refusals");
    }

    async fn overdue_alarms_are_supervised_once_per_rung(db: Db) {
        let d = desk(db.clone());
        let a = d.on_event(&u1(1, 1), t0()).await.unwrap().remove(0).alarm;
        let ack_by = a.deadlines.acknowledge_by;
        assert!(
            d.tick(ack_by - Duration::seconds(1))
                .await
                .unwrap()
                .is_empty(),
            "not yet overdue"
        );
        let first = d.tick(ack_by + Duration::seconds(1)).await.unwrap();
        assert_eq!(first.len(), 1, "{first:#?}");
        assert!(
            d.tick(ack_by + Duration::seconds(1))
                .await
                .unwrap()
                .is_empty(),
            "the same rung twice"
        );
        // Handling stops the ladder.
        d.act(
            &inspector("140421"),
            a.facts.id,
            Action::Acknowledge {
                note: String::new(),
            },
            ack_by + Duration::minutes(1),
        )
        .await
        .unwrap();
        d.act(
            &inspector("140421"),
            a.facts.id,
            Action::Handle {
                result: InspectionResult::FalseAlarm,
                notes: "误报".into(),
                photos: vec![],
            },
            ack_by + Duration::minutes(2),
        )
        .await
        .unwrap();
        assert!(
            d.tick(ack_by + Duration::days(30))
                .await
                .unwrap()
                .is_empty()
        );
        let rows: Vec<(String, bool)> = db
            .query(
                "SELECT level, automatic FROM supervisions ORDER BY id",
                vec![],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get("level").unwrap(), r.get("automatic").unwrap()))
            .collect();
        assert_eq!(rows, [("city".to_owned(), true)]);
    }

    async fn lists_are_scoped_to_the_jurisdiction(db: Db) {
        let d = desk(db);
        d.on_event(&u1(1, 1), t0()).await.unwrap();
        let now = t0() + Duration::minutes(1);
        assert_eq!(
            d.list(&inspector("140421"), AlarmFilter::default(), now)
                .await
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            d.list(&supervisor("140400"), AlarmFilter::default(), now)
                .await
                .unwrap()
                .len(),
            1
        );
        assert!(
            d.list(&inspector("140422"), AlarmFilter::default(), now)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            d.list(&supervisor("140500"), AlarmFilter::default(), now)
                .await
                .unwrap()
                .is_empty()
        );
        let closed = AlarmFilter {
            state: Some(AlarmState::Closed),
            ..AlarmFilter::default()
        };
        assert!(
            d.list(&supervisor("140400"), closed, now)
                .await
                .unwrap()
                .is_empty()
        );
    }

    async fn only_an_admin_over_the_mine_files_its_configuration(db: Db) {
        let d = desk(db);
        let cfg = MineConfig::new(
            MineCode::parse(MINE).unwrap(),
            "代县示例铁矿",
            MineState::Stopped,
        );
        for actor in [
            Actor::user("a", u("140422"), Role::Admin),
            Actor::user("b", u("140421"), Role::Supervisor),
        ] {
            let e = d.file_mine(&actor, cfg.clone(), t0()).await.unwrap_err();
            assert!(e.to_string().contains("P9"), "{e}");
        }
        d.file_mine(&Actor::user("c", u("140400"), Role::Admin), cfg, t0())
            .await
            .unwrap();
    }
}

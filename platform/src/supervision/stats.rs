//! Statistics and reports (P12, P2, P7): alarms, handled, handling rate and handling time by
//! unit and period; one row per subordinate unit; the alarm type distribution; each mine's daily
//! analysis results; weekly and monthly reports, exported by [`super::export`].
//!
//! Key design decision: **a period is a half-open range of UTC instants cut at China Standard
//! Time midnights, and the rows are counted in Rust, not in SQL.** A CST day `d` is
//! `[d 00:00 CST, d+1 00:00 CST)`, so an alarm raised at 23:59:59 CST belongs to `d` and one at
//! 00:00:00 to `d+1`, on both backends, with nothing but text comparisons of fixed-width UTC
//! times (see [`crate::db::time_text`]). Durations between two text times cannot be computed in
//! SQL the same way on SQLite and PostgreSQL, so the query only selects the alarms of the
//! reader's jurisdiction with their first handling step, and one accumulator ([`AlarmStats`])
//! counts them for the total, for each subordinate unit and for each alarm kind alike.
//!
//! Definitions (reference profile; the spec names the figures without defining them):
//! - an alarm belongs to the period of its `raised_at`;
//! - **handled** = state `handled` or `closed` (已处置 or 已办结); `closed` counts too;
//! - **handling rate** = handled / alarms, in percent; none when there are no alarms;
//! - **handling time** = from `raised_at` to the first step of `alarm_steps` whose
//!   `state_after` is `handled` (or `closed`, for an alarm closed without a handled step);
//!   min, mean and max over the handled alarms, in seconds;
//! - weeks run Monday to Sunday and months are calendar months, both in CST (U1's "day").
//!
//! Jurisdiction (P8, P12): a user reads the statistics of units their own unit covers and
//! nothing else — asking for another unit is [`Error::Forbidden`], not an empty table, so a
//! wrong request is not mistaken for a quiet week.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use eseal_protocol::MineCode;
use serde::Serialize;

use super::export::{Cell, Column, Table};
use super::{Actor, AlarmKind, UnitCode, UnitLevel};
use crate::db::{Conn, Db, Row, Value, time_text};
use crate::error::{Error, Result};

/// China Standard Time's offset from UTC (DESIGN "Time"; mine times are CST).
const CST_HOURS: i64 = 8;

/// The UTC instant of 00:00 CST on `date`.
pub fn cst_midnight(date: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&(date.and_time(NaiveTime::MIN) - Duration::hours(CST_HOURS)))
}

/// The CST calendar day of an instant.
pub fn cst_date(t: DateTime<Utc>) -> NaiveDate {
    (t + Duration::hours(CST_HOURS)).date_naive()
}

/// A half-open range of instants `[from, to)`; built from CST days by the constructors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Period {
    /// First instant inside.
    pub from: DateTime<Utc>,
    /// First instant after.
    pub to: DateTime<Utc>,
}

impl Period {
    /// `[from, to)`; `from` must be before `to`.
    pub fn new(from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Period> {
        if from >= to {
            return Err(Error::invalid(
                "period",
                "from before to ([from, to), half-open)",
                format!("from {} to {}", time_text(from), time_text(to)),
            ));
        }
        Ok(Period { from, to })
    }

    /// CST days `first ..= last`.
    pub fn days(first: NaiveDate, last: NaiveDate) -> Result<Period> {
        let after = last.succ_opt().ok_or_else(|| {
            Error::invalid(
                "period",
                "a last day before the end of the calendar",
                last.to_string(),
            )
        })?;
        Period::new(cst_midnight(first), cst_midnight(after))
    }

    /// The CST day `date`.
    pub fn day(date: NaiveDate) -> Result<Period> {
        Period::days(date, date)
    }

    /// The Monday-to-Sunday CST week that contains `date`.
    pub fn week_of(date: NaiveDate) -> Result<Period> {
        let monday = date.week(Weekday::Mon).first_day();
        Period::days(monday, monday + Duration::days(6))
    }

    /// The calendar month `month` (1–12) of `year`, in CST.
    pub fn month(year: i32, month: u32) -> Result<Period> {
        let bad = || {
            Error::invalid(
                "month",
                "a year and a month 1-12",
                format!("{year}-{month}"),
            )
        };
        let first = NaiveDate::from_ymd_opt(year, month, 1).ok_or_else(bad)?;
        let next = first
            .checked_add_months(chrono::Months::new(1))
            .ok_or_else(bad)?;
        Period::new(cst_midnight(first), cst_midnight(next))
    }

    /// The first CST day inside.
    pub fn first_day(&self) -> NaiveDate {
        cst_date(self.from)
    }

    /// The last CST day inside (the day of the last instant before `to`).
    pub fn last_day(&self) -> NaiveDate {
        cst_date(self.to - Duration::milliseconds(1))
    }

    /// Every CST day the period touches, in order.
    pub fn each_day(&self) -> impl Iterator<Item = NaiveDate> + use<> {
        let last = self.last_day();
        self.first_day().iter_days().take_while(move |d| *d <= last)
    }

    /// `2021-01-04`, or `2021-01-04至2021-01-10` for several days.
    pub fn label(&self) -> String {
        let (a, b) = (self.first_day(), self.last_day());
        if a == b {
            a.to_string()
        } else {
            format!("{a}至{b}")
        }
    }
}

/// The unit whose jurisdiction the reader has: their unit, or national for the system.
pub(crate) fn reader_unit(reader: &Actor) -> UnitCode {
    match reader {
        Actor::User { unit, .. } => unit.clone(),
        Actor::System => UnitCode::national(),
    }
}

/// `Ok` when `reader` may read figures of `unit` (P8, P12), else [`Error::Forbidden`].
pub(crate) fn require_reader(reader: &Actor, unit: &UnitCode) -> Result<()> {
    let own = reader_unit(reader);
    if own.covers(unit) {
        Ok(())
    } else {
        Err(Error::Forbidden(format!(
            "{} of unit {own} may not read figures of unit {unit}: it is outside the \
             jurisdiction (P8, P12)",
            reader.name()
        )))
    }
}

/// The `LIKE` pattern of a unit's jurisdiction (digits only: nothing to escape).
pub(crate) fn like(unit: &UnitCode) -> String {
    format!("{}%", unit.jurisdiction_prefix())
}

/// A mine code column.
pub(crate) fn mine_col(row: &Row, column: &str) -> Result<MineCode> {
    let s = row.text(column)?;
    MineCode::parse(&s).map_err(|_| Error::Column {
        column: column.to_owned(),
        expected: "a 12-digit mine code".to_owned(),
        found: format!("text {s:?}"),
    })
}

/// What the platform knows of a mine beside its code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct MineInfo {
    /// Its name ("" when unknown).
    pub name: String,
    /// Its filed state id (`stopped`, ...), from the county's configuration (P9).
    pub state: Option<String>,
}

/// The Chinese name of a filed mine state id (P9); unknown ids as they are.
pub(crate) fn mine_state_zh(id: &str) -> &str {
    super::mines::MineState::parse(id).map_or(id, |m| m.zh())
}

/// Every mine of the jurisdiction `unit` that the platform knows of (a mine unit or a filed
/// configuration), by code.
pub(crate) fn known_mines(c: &mut Conn, unit: &UnitCode) -> Result<BTreeMap<String, MineInfo>> {
    let mut out: BTreeMap<String, MineInfo> = BTreeMap::new();
    let units = c.query(
        "SELECT code, name FROM units WHERE level = 'mine' AND code LIKE $1",
        &[like(unit).into()],
    )?;
    for r in units {
        out.entry(r.text("code")?).or_default().name = r.text("name")?;
    }
    let configs = c.query(
        "SELECT mine, config FROM mine_configs WHERE mine LIKE $1",
        &[like(unit).into()],
    )?;
    for r in configs {
        let info = out.entry(r.text("mine")?).or_default();
        let config = r.json("config")?.unwrap_or_default();
        if let Some(name) = config.get("name").and_then(|v| v.as_str())
            && info.name.is_empty()
        {
            name.clone_into(&mut info.name);
        }
        info.state = config
            .get("state")
            .and_then(|v| v.as_str())
            .map(str::to_owned);
    }
    Ok(out)
}

/// Runs `f` with a pooled connection on the blocking pool, for `reader`, `unit` and `period`.
async fn scoped<T, F>(db: &Db, reader: &Actor, unit: &UnitCode, period: Period, f: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce(&mut Conn, &Actor, &UnitCode, &Period) -> Result<T> + Send + 'static,
{
    let (reader, unit) = (reader.clone(), unit.clone());
    db.run(move |c| f(c, &reader, &unit, &period)).await
}

/// The label of a unit or mine in a table: its name, or its code when it has none.
pub(crate) fn label(code: &str, name: &str) -> String {
    if name.is_empty() { code } else { name }.to_owned()
}

/// The first two columns of a per-mine table.
pub(crate) const MINE_COLUMNS: [Column; 2] = [
    Column::new("矿山", "mine"),
    Column::new("矿山编码", "mine code"),
];

/// The cells under [`MINE_COLUMNS`] (or any name-and-code pair): the label and the code.
pub(crate) fn named(code: &str, name: &str) -> [Cell; 2] {
    [Cell::text(label(code, name)), Cell::text(code)]
}

/// Alarm figures of a set of alarms (see the module doc for the definitions).
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AlarmStats {
    /// 报警数 — alarms raised in the period.
    pub alarms: u64,
    /// 已处置数 — of them, handled or closed.
    pub handled: u64,
    /// 已办结数 — of them, closed.
    pub closed: u64,
    /// 处置率 — handled / alarms in percent; `None` without alarms.
    pub handling_rate: Option<f64>,
    /// 最短处置时长 — seconds.
    pub handling_time_min_s: Option<i64>,
    /// 平均处置时长 — seconds.
    pub handling_time_mean_s: Option<f64>,
    /// 最长处置时长 — seconds.
    pub handling_time_max_s: Option<i64>,
    #[serde(skip)]
    timed: u64,
    #[serde(skip)]
    total_s: i64,
}

impl AlarmStats {
    fn add(&mut self, a: &AlarmRow) {
        self.alarms += 1;
        if a.state == "handled" || a.state == "closed" {
            self.handled += 1;
        }
        if a.state == "closed" {
            self.closed += 1;
        }
        if let Some(t) = a.handled_at {
            let s = (t - a.raised_at).num_seconds();
            self.timed += 1;
            self.total_s += s;
            self.handling_time_min_s = Some(self.handling_time_min_s.map_or(s, |m| m.min(s)));
            self.handling_time_max_s = Some(self.handling_time_max_s.map_or(s, |m| m.max(s)));
        }
        self.handling_rate = Some(self.handled as f64 * 100.0 / self.alarms as f64);
        self.handling_time_mean_s =
            (self.timed > 0).then(|| self.total_s as f64 / self.timed as f64);
    }

    fn of<'a>(rows: impl IntoIterator<Item = &'a AlarmRow>) -> AlarmStats {
        let mut s = AlarmStats::default();
        rows.into_iter().for_each(|r| s.add(r));
        s
    }

    /// The columns of [`AlarmStats::cells`].
    pub const COLUMNS: [Column; 7] = [
        Column::new("报警数", "alarms"),
        Column::new("已处置", "handled"),
        Column::new("已办结", "closed"),
        Column::new("处置率%", "handling rate %"),
        Column::new("最短处置时长(分钟)", "min handling time, min"),
        Column::new("平均处置时长(分钟)", "mean handling time, min"),
        Column::new("最长处置时长(分钟)", "max handling time, min"),
    ];

    /// The figures as cells (times in minutes with one decimal).
    pub fn cells(&self) -> Vec<Cell> {
        let min = |s: Option<f64>| Cell::number(s.map(|s| s / 60.0), 1);
        vec![
            Cell::count(self.alarms),
            Cell::count(self.handled),
            Cell::count(self.closed),
            Cell::number(self.handling_rate, 1),
            min(self.handling_time_min_s.map(|s| s as f64)),
            min(self.handling_time_mean_s),
            min(self.handling_time_max_s.map(|s| s as f64)),
        ]
    }
}

/// One alarm as the figures need it.
#[derive(Debug, Clone)]
struct AlarmRow {
    mine: UnitCode,
    kind: String,
    state: String,
    raised_at: DateTime<Utc>,
    handled_at: Option<DateTime<Utc>>,
}

fn alarms_of(c: &mut Conn, unit: &UnitCode, period: &Period) -> Result<Vec<AlarmRow>> {
    let rows = c.query(
        "SELECT a.mine, a.kind, a.state, a.raised_at, \
                (SELECT MIN(s.at) FROM alarm_steps s \
                  WHERE s.alarm_id = a.id AND s.state_after IN ('handled', 'closed')) AS handled_at \
           FROM alarms a \
          WHERE a.mine LIKE $1 AND a.raised_at >= $2 AND a.raised_at < $3",
        &[like(unit).into(), period.from.into(), period.to.into()],
    )?;
    rows.iter()
        .map(|r| {
            Ok(AlarmRow {
                mine: UnitCode::of_mine(&mine_col(r, "mine")?),
                kind: r.text("kind")?,
                state: r.text("state")?,
                raised_at: r.time("raised_at")?,
                handled_at: r.get("handled_at")?,
            })
        })
        .collect()
}

/// The alarm figures of `unit` over `period`; `reader` must cover `unit`.
pub fn alarm_stats_conn(
    c: &mut Conn,
    reader: &Actor,
    unit: &UnitCode,
    period: &Period,
) -> Result<AlarmStats> {
    require_reader(reader, unit)?;
    Ok(AlarmStats::of(&alarms_of(c, unit, period)?))
}

/// [`alarm_stats_conn`] on the blocking pool.
pub async fn alarm_stats(
    db: &Db,
    reader: &Actor,
    unit: &UnitCode,
    period: Period,
) -> Result<AlarmStats> {
    scoped(db, reader, unit, period, alarm_stats_conn).await
}

/// One direct subordinate unit's figures.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SubordinateRow {
    /// The subordinate unit (city, county or mine).
    pub unit: UnitCode,
    /// Its name ("" when the platform has none).
    pub name: String,
    /// Its figures.
    pub stats: AlarmStats,
}

/// The direct child of `unit` on the way down to `inner`, if `inner` is below `unit`.
fn child_towards(unit: &UnitCode, inner: &UnitCode) -> Option<UnitCode> {
    inner
        .ancestry()
        .into_iter()
        .find(|a| a.parent().as_ref() == Some(unit))
}

/// One row per direct child of `unit` (province → cities, city → counties, county → mines),
/// including every child the platform knows with zero alarms, ordered by code.
pub fn by_subordinate_conn(
    c: &mut Conn,
    reader: &Actor,
    unit: &UnitCode,
    period: &Period,
) -> Result<Vec<SubordinateRow>> {
    require_reader(reader, unit)?;
    if unit.level() == UnitLevel::Mine {
        return Err(Error::invalid(
            "unit",
            "a national, province, city or county unit (a mine has no subordinate units)",
            unit.to_string(),
        ));
    }
    let mut names: BTreeMap<UnitCode, String> = BTreeMap::new();
    for r in c.query(
        "SELECT code, name FROM units WHERE parent = $1",
        &[unit.as_str().into()],
    )? {
        names.insert(r.get("code")?, r.text("name")?);
    }
    if unit.level() == UnitLevel::County {
        for (code, info) in known_mines(c, unit)? {
            if let Ok(code) = UnitCode::parse(&code) {
                let name = names.entry(code).or_default();
                if name.is_empty() {
                    name.clone_from(&info.name);
                }
            }
        }
    }
    let mut groups: BTreeMap<UnitCode, Vec<AlarmRow>> =
        names.keys().map(|k| (k.clone(), Vec::new())).collect();
    for a in alarms_of(c, unit, period)? {
        if let Some(child) = child_towards(unit, &a.mine) {
            groups.entry(child).or_default().push(a);
        }
    }
    Ok(groups
        .into_iter()
        .map(|(code, rows)| SubordinateRow {
            name: names.get(&code).cloned().unwrap_or_default(),
            stats: AlarmStats::of(&rows),
            unit: code,
        })
        .collect())
}

/// [`by_subordinate_conn`] on the blocking pool.
pub async fn by_subordinate(
    db: &Db,
    reader: &Actor,
    unit: &UnitCode,
    period: Period,
) -> Result<Vec<SubordinateRow>> {
    scoped(db, reader, unit, period, by_subordinate_conn).await
}

/// One alarm kind's figures (the type distribution, P2).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct KindRow {
    /// The kind.
    pub kind: AlarmKind,
    /// Its share of all alarms of the period, in percent; `None` without alarms.
    pub share: Option<f64>,
    /// Its figures.
    pub stats: AlarmStats,
}

/// One row per alarm kind, every kind, in table order.
pub fn by_kind_conn(
    c: &mut Conn,
    reader: &Actor,
    unit: &UnitCode,
    period: &Period,
) -> Result<Vec<KindRow>> {
    require_reader(reader, unit)?;
    let alarms = alarms_of(c, unit, period)?;
    Ok(AlarmKind::ALL
        .into_iter()
        .map(|kind| {
            let stats = AlarmStats::of(alarms.iter().filter(|a| a.kind == kind.id()));
            let share =
                (!alarms.is_empty()).then(|| stats.alarms as f64 * 100.0 / alarms.len() as f64);
            KindRow { kind, share, stats }
        })
        .collect())
}

/// [`by_kind_conn`] on the blocking pool.
pub async fn by_kind(
    db: &Db,
    reader: &Actor,
    unit: &UnitCode,
    period: Period,
) -> Result<Vec<KindRow>> {
    scoped(db, reader, unit, period, by_kind_conn).await
}

/// A U3 transport state code (reference profile of U3) in Chinese and English.
pub fn transport_state_label(code: Option<&str>) -> &'static str {
    match code {
        Some("00") => "停止(stopped)",
        Some("01") => "运行载货(running loaded)",
        Some("02") => "运行空载(running empty)",
        Some(_) => "未知(unknown code)",
        // The 30-digit form of U3 carries no state.
        None => "未标明(not stated)",
    }
}

/// One mine's analysis results of one CST day (P7), from the uploads (U1–U3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DailyAnalysis {
    /// The mine.
    #[schema(value_type = String, pattern = "^[0-9]{12}$", example = "140421007866")]
    pub mine: MineCode,
    /// Its name ("" when unknown).
    pub name: String,
    /// The CST day.
    pub date: NaiveDate,
    /// 下井人数 — the highest U1 daily count of the day (the count is cumulative, U1).
    pub people_down: i64,
    /// 出矿车辆 — the highest U2 daily count of the day.
    pub trucks_out: i64,
    /// 运输状态变化次数 — U3 uploads of the day (each one is a start or a loaded/empty change).
    pub transport_changes: u64,
    /// The U3 state codes of the day in order (`None`: the 30-digit form without a state).
    pub transport_states: Vec<Option<String>>,
}

/// `yyyyMMdd000000`: the first mine time of a CST day, as U1–U5 names write it.
fn mine_time_of(date: NaiveDate) -> String {
    format!("{}000000", date.format("%Y%m%d"))
}

fn day_of_mine_time(s: &str, column: &str) -> Result<NaiveDate> {
    s.get(..8)
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y%m%d").ok())
        .ok_or_else(|| Error::Column {
            column: column.to_owned(),
            expected: "a mine time yyyyMMddHHmmss".to_owned(),
            found: format!("text {s:?}"),
        })
}

/// Each mine's daily results over the CST days of `period` (P7), for every mine of `unit` the
/// platform knows or that uploaded, every day (a day without uploads is a row of zeros: nobody
/// went down is a result too). Read from the ingest `events` table by the mine-side time of
/// the uploads (U1–U3 count by the mine's day).
pub fn daily_analysis_conn(
    c: &mut Conn,
    reader: &Actor,
    unit: &UnitCode,
    period: &Period,
) -> Result<Vec<DailyAnalysis>> {
    require_reader(reader, unit)?;
    let after = period.last_day().succ_opt().ok_or_else(|| {
        Error::invalid(
            "period",
            "a day before the end of the calendar",
            period.label(),
        )
    })?;
    let range: [Value; 3] = [
        like(unit).into(),
        mine_time_of(period.first_day()).into(),
        mine_time_of(after).into(),
    ];
    let mut days: BTreeMap<(String, NaiveDate), DailyAnalysis> = BTreeMap::new();
    let mut mines = known_mines(c, unit)?;
    let counts = c.query(
        "SELECT mine, substr(mine_time, 1, 8) AS day, clause, MAX(daily_count) AS n \
           FROM events \
          WHERE mine LIKE $1 AND mine_time >= $2 AND mine_time < $3 AND clause IN ('U1', 'U2') \
          GROUP BY mine, substr(mine_time, 1, 8), clause",
        &range,
    )?;
    let transport = c.query(
        "SELECT mine, mine_time, transport_state FROM events \
          WHERE mine LIKE $1 AND mine_time >= $2 AND mine_time < $3 AND clause = 'U3' \
          ORDER BY mine, mine_time, id",
        &range,
    )?;
    for r in counts.iter().chain(&transport) {
        mines.entry(mine_col(r, "mine")?.to_string()).or_default();
    }
    for (code, info) in &mines {
        let Ok(mine) = MineCode::parse(code) else {
            continue;
        };
        for date in period.each_day() {
            days.insert(
                (code.clone(), date),
                DailyAnalysis {
                    mine,
                    name: info.name.clone(),
                    date,
                    people_down: 0,
                    trucks_out: 0,
                    transport_changes: 0,
                    transport_states: Vec::new(),
                },
            );
        }
    }
    for r in &counts {
        let key = (r.text("mine")?, day_of_mine_time(&r.text("day")?, "day")?);
        let n = r.get::<Option<i64>>("n")?.unwrap_or(0);
        if let Some(d) = days.get_mut(&key) {
            match r.text("clause")?.as_str() {
                "U1" => d.people_down = n,
                _ => d.trucks_out = n,
            }
        }
    }
    for r in &transport {
        let key = (
            r.text("mine")?,
            day_of_mine_time(&r.text("mine_time")?, "mine_time")?,
        );
        if let Some(d) = days.get_mut(&key) {
            d.transport_changes += 1;
            d.transport_states.push(r.get("transport_state")?);
        }
    }
    Ok(days.into_values().collect())
}

/// [`daily_analysis_conn`] on the blocking pool.
pub async fn daily_analysis(
    db: &Db,
    reader: &Actor,
    unit: &UnitCode,
    period: Period,
) -> Result<Vec<DailyAnalysis>> {
    scoped(db, reader, unit, period, daily_analysis_conn).await
}

/// The summary table of one unit's figures.
pub fn summary_table(unit: &UnitCode, name: &str, period: &Period, stats: &AlarmStats) -> Table {
    let lead = [
        Column::new("单位", "unit"),
        Column::new("单位编码", "unit code"),
        Column::new("统计周期", "period"),
    ];
    let mut cells = named(unit.as_str(), name).to_vec();
    cells.push(Cell::text(period.label()));
    let title = ("报警处置统计", "Alarm handling statistics");
    stats_table(title, lead, [(cells, stats)])
}

/// A table of [`AlarmStats`] rows, each after its own leading cells.
fn stats_table<'a>(
    title: (&str, &str),
    lead: impl IntoIterator<Item = Column>,
    rows: impl IntoIterator<Item = (Vec<Cell>, &'a AlarmStats)>,
) -> Table {
    let columns = lead.into_iter().chain(AlarmStats::COLUMNS);
    Table::new(title, columns, rows, |(mut row, stats)| {
        row.extend(stats.cells());
        row
    })
}

/// The per-subordinate-unit table (P2, P12).
pub fn subordinate_table(rows: &[SubordinateRow]) -> Table {
    let lead = [
        Column::new("下级单位", "subordinate unit"),
        Column::new("单位编码", "unit code"),
    ];
    let title = (
        "下级单位报警处置统计",
        "Alarms and handling by subordinate unit",
    );
    let rows = rows
        .iter()
        .map(|r| (named(r.unit.as_str(), &r.name).to_vec(), &r.stats));
    stats_table(title, lead, rows)
}

/// The alarm type distribution table (P2).
pub fn kind_table(rows: &[KindRow]) -> Table {
    let lead = [
        Column::new("报警类型", "alarm kind"),
        Column::new("占比%", "share %"),
    ];
    let rows = rows.iter().map(|r| {
        let cells = vec![Cell::text(r.kind.zh()), Cell::number(r.share, 1)];
        (cells, &r.stats)
    });
    stats_table(("报警类型分布", "Alarm type distribution"), lead, rows)
}

/// The daily analysis results table (P7).
pub fn daily_table(rows: &[DailyAnalysis]) -> Table {
    let columns = MINE_COLUMNS.into_iter().chain([
        Column::new("日期", "date"),
        Column::new("下井人数", "people down"),
        Column::new("出矿车辆", "trucks out"),
        Column::new("运输状态变化", "transport state changes"),
        Column::new("运输状态", "transport states"),
    ]);
    Table::new(
        ("每日分析结果", "Daily analysis results"),
        columns,
        rows,
        |d| {
            let states: Vec<&str> = d
                .transport_states
                .iter()
                .map(|s| transport_state_label(s.as_deref()))
                .collect();
            let mut row = named(d.mine.as_str(), &d.name).to_vec();
            row.extend([
                Cell::text(d.date.to_string()),
                Cell::Int(d.people_down),
                Cell::Int(d.trucks_out),
                Cell::count(d.transport_changes),
                Cell::text(states.join(" → ")),
            ]);
            row
        },
    )
}

/// Weekly or monthly (P2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// 周报 — Monday to Sunday, CST.
    Weekly,
    /// 月报 — a calendar month, CST.
    Monthly,
}

/// A weekly or monthly report of one unit (P2, P12, P7).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Report {
    /// Chinese title: `代县矿山电子封条周报（2021-01-04至2021-01-10）`.
    pub title_zh: String,
    /// English title.
    pub title_en: String,
    /// Weekly or monthly.
    pub kind: ReportKind,
    /// The period.
    pub period: Period,
    /// The unit.
    pub unit: UnitCode,
    /// Its name ("" when unknown).
    pub unit_name: String,
    /// The unit's figures.
    pub summary: AlarmStats,
    /// One row per direct subordinate (empty for a mine).
    pub subordinates: Vec<SubordinateRow>,
    /// The alarm type distribution.
    pub kinds: Vec<KindRow>,
    /// Each mine's daily results; filled for county and mine reports only (at city level and
    /// above the per-mine-per-day table is too long for a report: query it by county).
    pub daily: Vec<DailyAnalysis>,
}

impl Report {
    /// The report as tables, in order: summary, subordinates, kinds, daily results.
    pub fn tables(&self) -> Vec<Table> {
        let mut out = vec![summary_table(
            &self.unit,
            &self.unit_name,
            &self.period,
            &self.summary,
        )];
        if self.unit.level() != UnitLevel::Mine {
            out.push(subordinate_table(&self.subordinates));
        }
        out.push(kind_table(&self.kinds));
        if self.unit.level() >= UnitLevel::County {
            out.push(daily_table(&self.daily));
        }
        out
    }

    /// The whole report as one CSV ([`super::export::tables_csv`]).
    pub fn csv(&self) -> Result<Vec<u8>> {
        super::export::tables_csv(
            &format!("{}({})", self.title_zh, self.title_en),
            &self.tables(),
        )
    }

    /// The whole report as an XLSX workbook, a sheet per table.
    pub fn xlsx(&self) -> Result<Vec<u8>> {
        super::export::tables_xlsx(&self.tables())
    }
}

/// Builds the report of `unit` over `period` in one connection.
pub fn report_conn(
    c: &mut Conn,
    reader: &Actor,
    unit: &UnitCode,
    kind: ReportKind,
    period: &Period,
) -> Result<Report> {
    require_reader(reader, unit)?;
    let unit_name = match c.query_opt(
        "SELECT name FROM units WHERE code = $1",
        &[unit.as_str().into()],
    )? {
        Some(r) => r.text("name")?,
        None => String::new(),
    };
    let shown = label(unit.as_str(), &unit_name);
    let (zh, en) = match kind {
        ReportKind::Weekly => ("周报", "Weekly"),
        ReportKind::Monthly => ("月报", "Monthly"),
    };
    let subordinates = if unit.level() == UnitLevel::Mine {
        Vec::new()
    } else {
        by_subordinate_conn(c, reader, unit, period)?
    };
    let daily = if unit.level() >= UnitLevel::County {
        daily_analysis_conn(c, reader, unit, period)?
    } else {
        Vec::new()
    };
    Ok(Report {
        title_zh: format!("{shown}矿山电子封条{zh}（{}）", period.label()),
        title_en: format!(
            "{en} mine e-seal report of {shown}, {} to {}",
            period.first_day(),
            period.last_day()
        ),
        kind,
        period: *period,
        summary: AlarmStats::of(&alarms_of(c, unit, period)?),
        kinds: by_kind_conn(c, reader, unit, period)?,
        subordinates,
        daily,
        unit: unit.clone(),
        unit_name,
    })
}

/// The weekly report (Monday to Sunday CST) of the week that contains `day`.
pub async fn weekly_report(
    db: &Db,
    reader: &Actor,
    unit: &UnitCode,
    day: NaiveDate,
) -> Result<Report> {
    let period = Period::week_of(day)?;
    scoped(db, reader, unit, period, |c, r, u, p| {
        report_conn(c, r, u, ReportKind::Weekly, p)
    })
    .await
}

/// The monthly report (calendar month, CST).
pub async fn monthly_report(
    db: &Db,
    reader: &Actor,
    unit: &UnitCode,
    year: i32,
    month: u32,
) -> Result<Report> {
    let period = Period::month(year, month)?;
    scoped(db, reader, unit, period, |c, r, u, p| {
        report_conn(c, r, u, ReportKind::Monthly, p)
    })
    .await
}

/// Test fixtures shared with the patrol's tests: units, alarms and a minimal `events` table.
#[cfg(test)]
pub(crate) mod testing {
    #![allow(clippy::unwrap_used)]
    use chrono::NaiveDateTime;

    use super::*;

    /// An instant from a CST wall time `2021-01-05 10:00:00`.
    pub(crate) fn cst(s: &str) -> DateTime<Utc> {
        let t = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
        Utc.from_utc_datetime(&(t - Duration::hours(CST_HOURS)))
    }

    /// Readies the ingest `events` table (migration step 0) for [`event`]: the one evidence row
    /// its events reference. Idempotent.
    pub(crate) async fn create_events(db: &Db) {
        db.run(|c| {
            c.execute(
                "INSERT INTO evidence (sha256, size, media_type, stored_at) \
                 VALUES ($1, 0, 'image/jpeg', '2021-01-01T00:00:00.000Z') \
                 ON CONFLICT (sha256) DO NOTHING",
                &[TEST_EVIDENCE.into()],
            )
        })
        .await
        .unwrap();
    }

    /// The evidence every test event references.
    const TEST_EVIDENCE: &str = "test-evidence";

    /// One upload: `mine_time` is `yyyyMMddHHmmss` CST; received at that instant.
    pub(crate) fn event(
        c: &mut Conn,
        clause: &str,
        mine: &str,
        camera: Option<&str>,
        count: Option<i64>,
        state: Option<&str>,
        mine_time: &str,
    ) {
        let t = NaiveDateTime::parse_from_str(mine_time, "%Y%m%d%H%M%S").unwrap();
        let utc = Utc.from_utc_datetime(&(t - Duration::hours(CST_HOURS)));
        // Names are unique in `events` (U8); a counter keeps repeated uploads apart.
        static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        c.execute(
            "INSERT INTO events (name, clause, mine, camera, daily_count, transport_state, \
             mine_time, event_utc, received_at, channel, account, sha256, findings) \
             VALUES ($9, $1, $2, $3, $4, $5, $6, $7, $8, 'ftp', 'test', $10, '[]')",
            &[
                clause.into(),
                mine.into(),
                camera.into(),
                count.into(),
                state.into(),
                mine_time.into(),
                utc.into(),
                utc.into(),
                format!("{mine}-{mine_time}-{n}").into(),
                TEST_EVIDENCE.into(),
            ],
        )
        .unwrap();
    }

    /// Units, parents first.
    pub(crate) fn units(c: &mut Conn, units: &[(&str, &str)]) {
        for (code, name) in units {
            let code = UnitCode::parse(code).unwrap();
            let level = match code.level() {
                UnitLevel::National => "national",
                UnitLevel::Province => "province",
                UnitLevel::City => "city",
                UnitLevel::County => "county",
                UnitLevel::Mine => "mine",
            };
            c.execute(
                "INSERT INTO units (code, name, level, parent, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
                &[
                    code.as_str().into(),
                    (*name).into(),
                    level.into(),
                    code.parent().map(String::from).into(),
                    cst("2021-01-01 00:00:00").into(),
                ],
            )
            .unwrap();
        }
    }

    /// A filed mine configuration with its state id.
    pub(crate) fn mine_config(c: &mut Conn, mine: &str, name: &str, state: &str) {
        let config = serde_json::json!({ "mine": mine, "name": name, "state": state });
        c.execute(
            "INSERT INTO mine_configs (mine, county, config, updated_at, updated_by) \
             VALUES ($1, $2, $3, $4, 'test')",
            &[
                mine.into(),
                mine[..6].into(),
                (&config).into(),
                cst("2021-01-01 00:00:00").into(),
            ],
        )
        .unwrap();
    }

    /// An alarm raised at CST `raised`, with its steps `(minutes after raising, state_after)`;
    /// its state is the last step's, or `pushed`.
    pub(crate) fn alarm(
        c: &mut Conn,
        mine: &str,
        kind: AlarmKind,
        raised: &str,
        steps: &[(i64, &str)],
    ) {
        let raised_at = cst(raised);
        let state = steps.last().map_or("pushed", |(_, s)| s);
        let id = c
            .insert_id(
                "INSERT INTO alarms (mine, county, kind, grade, message, event_time, raised_at, \
                 state, dedup_key) VALUES ($1, $2, $3, 'general', 'test', $4, $4, $5, $6) \
                 RETURNING id",
                &[
                    mine.into(),
                    mine[..6].into(),
                    kind.id().into(),
                    raised_at.into(),
                    state.into(),
                    format!("{mine}/{}/{raised}", kind.id()).into(),
                ],
            )
            .unwrap();
        let mut before = "pushed";
        for (minutes, after) in steps {
            c.execute(
                "INSERT INTO alarm_steps (alarm_id, at, actor, action, state_before, state_after) \
                 VALUES ($1, $2, 'inspector', $3, $4, $5)",
                &[
                    id.into(),
                    (raised_at + Duration::minutes(*minutes)).into(),
                    format!("alarm.{after}").into(),
                    before.into(),
                    (*after).into(),
                ],
            )
            .unwrap();
            before = after;
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::testing::*;
    use super::*;
    use crate::db::testing::on_both_backends;
    use crate::supervision::Role;
    use crate::supervision::export::tests::{parse_csv, xlsx_part};

    fn u(s: &str) -> UnitCode {
        UnitCode::parse(s).unwrap()
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn viewer(unit: &str) -> Actor {
        Actor::user("viewer", u(unit), Role::Viewer)
    }

    const CITY: &str = "140900";
    const A: &str = "140923";
    const B: &str = "140924";
    const A1: &str = "140923000001";
    const A2: &str = "140923000002";
    const B1: &str = "140924000001";

    /// Xinzhou city with counties A (代县), B (繁峙县) and C (宁武县, no alarms); in the week of
    /// Monday 2021-01-04: A has 3 alarms (handled after 10 min; handled after 30 min then
    /// closed; pending), B has 1 at the week's last second. Outside it: one the second before
    /// the week (A), one the second after (B), one on 2021-02-01 00:00 (C).
    async fn world(db: &Db) {
        create_events(db).await;
        db.transaction(|c| {
            units(
                c,
                &[
                    ("000000", "国家"),
                    ("140000", "山西省"),
                    (CITY, "忻州市"),
                    (A, "代县"),
                    (B, "繁峙县"),
                    ("140925", "宁武县"),
                    (A1, "甲矿"),
                    (A2, "乙矿"),
                ],
            );
            mine_config(c, B1, "丙矿", "closing");
            use AlarmKind::*;
            alarm(
                c,
                A1,
                PeopleOverLimit,
                "2021-01-05 10:00:00",
                &[(2, "acknowledged"), (10, "handled")],
            );
            alarm(
                c,
                A2,
                TransportRunning,
                "2021-01-06 10:00:00",
                &[(5, "acknowledged"), (30, "handled"), (60, "closed")],
            );
            alarm(c, A1, CameraOccluded, "2021-01-07 10:00:00", &[]);
            alarm(c, B1, PeopleOverLimit, "2021-01-10 23:59:59", &[]);
            alarm(c, B1, PeopleOverLimit, "2021-01-11 00:00:00", &[]);
            alarm(c, A1, TrucksOverLimit, "2021-01-03 23:59:59", &[]);
            alarm(c, "140925000001", LockTampered, "2021-02-01 00:00:00", &[]);
            Ok(())
        })
        .await
        .unwrap();
    }

    fn week() -> Period {
        Period::week_of(day("2021-01-06")).unwrap()
    }

    on_both_backends!(
        county_figures_are_counted_and_timed_by_hand,
        readers_see_their_jurisdiction_only,
        subordinates_include_children_without_alarms,
        periods_cut_at_cst_midnight,
        the_type_distribution_lists_every_kind,
        daily_analysis_takes_the_days_highest_counts,
        weekly_and_monthly_reports_export_to_csv_and_xlsx,
    );

    async fn county_figures_are_counted_and_timed_by_hand(db: Db) {
        world(&db).await;
        let s = alarm_stats(&db, &viewer(A), &u(A), week()).await.unwrap();
        assert_eq!((s.alarms, s.handled, s.closed), (3, 2, 1));
        assert!((s.handling_rate.unwrap() - 200.0 / 3.0).abs() < 1e-9);
        assert_eq!(s.handling_time_min_s, Some(600));
        assert_eq!(s.handling_time_mean_s, Some(1200.0));
        assert_eq!(s.handling_time_max_s, Some(1800));
        let cells: Vec<String> = s.cells().iter().map(Cell::display).collect();
        assert_eq!(cells, ["3", "2", "1", "66.7", "10.0", "20.0", "30.0"]);
        // B: one alarm, nothing handled: a rate of 0 and no times.
        let b = alarm_stats(&db, &viewer(CITY), &u(B), week())
            .await
            .unwrap();
        assert_eq!((b.alarms, b.handled, b.handling_rate), (1, 0, Some(0.0)));
        assert_eq!(b.handling_time_mean_s, None);
        // C: nothing at all: no rate either.
        let c = alarm_stats(&db, &Actor::System, &u("140925"), week())
            .await
            .unwrap();
        assert_eq!(c, AlarmStats::default());
    }

    async fn readers_see_their_jurisdiction_only(db: Db) {
        world(&db).await;
        for unit in [CITY, B, "140000", "000000"] {
            let e = alarm_stats(&db, &viewer(A), &u(unit), week())
                .await
                .unwrap_err();
            assert!(matches!(e, Error::Forbidden(_)), "{unit}: {e}");
            assert!(e.to_string().contains("outside the jurisdiction"), "{e}");
        }
        assert!(matches!(
            by_subordinate(&db, &viewer(A), &u(CITY), week())
                .await
                .unwrap_err(),
            Error::Forbidden(_)
        ));
        // A mine user sees that mine and nothing of its neighbour.
        let m = alarm_stats(&db, &viewer(A1), &u(A1), week()).await.unwrap();
        assert_eq!(m.alarms, 2);
        assert!(alarm_stats(&db, &viewer(A1), &u(A2), week()).await.is_err());
        let city = alarm_stats(&db, &viewer(CITY), &u(CITY), week())
            .await
            .unwrap();
        assert_eq!(city.alarms, 4);
    }

    async fn subordinates_include_children_without_alarms(db: Db) {
        world(&db).await;
        let rows = by_subordinate(&db, &viewer(CITY), &u(CITY), week())
            .await
            .unwrap();
        let got: Vec<(&str, &str, u64, u64)> = rows
            .iter()
            .map(|r| {
                (
                    r.unit.as_str(),
                    r.name.as_str(),
                    r.stats.alarms,
                    r.stats.handled,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (A, "代县", 3, 2),
                (B, "繁峙县", 1, 0),
                ("140925", "宁武县", 0, 0)
            ]
        );
        assert_eq!(rows[2].stats.handling_rate, None);
        // County A → its mines, each with its own figures.
        let mines = by_subordinate(&db, &viewer(A), &u(A), week())
            .await
            .unwrap();
        let got: Vec<(&str, u64, Option<i64>)> = mines
            .iter()
            .map(|r| (r.unit.as_str(), r.stats.alarms, r.stats.handling_time_max_s))
            .collect();
        assert_eq!(got, [(A1, 2, Some(600)), (A2, 1, Some(1800))]);
        // County B's mine is known only by its filed configuration, and named from it.
        let b = by_subordinate(&db, &viewer(B), &u(B), week())
            .await
            .unwrap();
        assert_eq!((b[0].unit.as_str(), b[0].name.as_str()), (B1, "丙矿"));
        // The province sees the city as one row; a mine has no subordinates.
        let p = by_subordinate(&db, &Actor::System, &u("140000"), week())
            .await
            .unwrap();
        assert_eq!((p.len(), p[0].stats.alarms), (1, 4));
        let e = by_subordinate(&db, &Actor::System, &u(A1), week())
            .await
            .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("unit: expected a national, province"),
            "{e}"
        );
    }

    async fn periods_cut_at_cst_midnight(db: Db) {
        world(&db).await;
        let count = |unit: &'static str, p: Period| {
            let db = db.clone();
            async move {
                alarm_stats(&db, &Actor::System, &u(unit), p)
                    .await
                    .unwrap()
                    .alarms
            }
        };
        // 23:59:59 CST belongs to the earlier day, 00:00:00 to the next.
        assert_eq!(count(B, Period::day(day("2021-01-10")).unwrap()).await, 1);
        assert_eq!(count(B, Period::day(day("2021-01-11")).unwrap()).await, 1);
        assert_eq!(count(A, Period::day(day("2021-01-03")).unwrap()).await, 1);
        // The week is Monday 00:00 to Monday 00:00 CST.
        let w = week();
        assert_eq!(w.from, cst("2021-01-04 00:00:00"));
        assert_eq!(w.to, cst("2021-01-11 00:00:00"));
        assert_eq!(w.label(), "2021-01-04至2021-01-10");
        // January: everything but the alarm of 1 February 00:00 CST.
        assert_eq!(count(CITY, Period::month(2021, 1).unwrap()).await, 6);
        assert_eq!(count(CITY, Period::month(2021, 2).unwrap()).await, 1);
        assert_eq!(
            Period::month(2020, 12).unwrap().to,
            cst("2021-01-01 00:00:00")
        );
        let e = Period::month(2021, 13).unwrap_err().to_string();
        assert_eq!(e, "month: expected a year and a month 1-12, found 2021-13");
        assert!(Period::new(w.to, w.from).is_err());
    }

    async fn the_type_distribution_lists_every_kind(db: Db) {
        world(&db).await;
        let rows = by_kind(&db, &viewer(CITY), &u(CITY), week()).await.unwrap();
        assert_eq!(rows.len(), AlarmKind::ALL.len());
        let got: Vec<(AlarmKind, u64, Option<f64>)> = rows
            .iter()
            .map(|r| (r.kind, r.stats.alarms, r.share))
            .collect();
        use AlarmKind::*;
        assert_eq!(
            got,
            [
                (PeopleOverLimit, 2, Some(50.0)),
                (TrucksOverLimit, 0, Some(0.0)),
                (TransportRunning, 1, Some(25.0)),
                (CameraOccluded, 1, Some(25.0)),
                (CameraMoved, 0, Some(0.0)),
                (LockTampered, 0, Some(0.0)),
                (MineOffline, 0, Some(0.0)),
            ]
        );
        let t = kind_table(&rows);
        assert_eq!(t.rows[0][0], Cell::text("入井人数超限"));
        assert_eq!(t.columns[0].header(), "报警类型(alarm kind)");
    }

    async fn daily_analysis_takes_the_days_highest_counts(db: Db) {
        world(&db).await;
        db.transaction(|c| {
            for (n, t) in [
                (1, "20210105080000"),
                (3, "20210105235959"),
                (2, "20210105090000"),
            ] {
                event(c, "U1", A1, Some("20"), Some(n), None, t);
            }
            // The count resets at midnight: this one is the 6th's.
            event(c, "U1", A1, Some("20"), Some(1), None, "20210106000000");
            event(c, "U2", A1, Some("30"), Some(1), None, "20210105100000");
            event(c, "U2", A1, Some("30"), Some(2), None, "20210105110000");
            event(c, "U3", A1, Some("10"), None, Some("01"), "20210105100000");
            event(c, "U3", A1, Some("10"), None, Some("02"), "20210105103000");
            event(c, "U3", A1, Some("10"), None, None, "20210105110000");
            // Another county's mine and another day: not in county A's rows.
            event(c, "U1", B1, Some("20"), Some(9), None, "20210105100000");
            event(c, "U1", A1, Some("20"), Some(9), None, "20210107100000");
            Ok(())
        })
        .await
        .unwrap();
        let p = Period::days(day("2021-01-05"), day("2021-01-06")).unwrap();
        let rows = daily_analysis(&db, &viewer(A), &u(A), p).await.unwrap();
        let got: Vec<(&str, String, i64, i64, u64)> = rows
            .iter()
            .map(|d| {
                let (m, dt) = (d.mine.as_str(), d.date.to_string());
                (m, dt, d.people_down, d.trucks_out, d.transport_changes)
            })
            .collect();
        assert_eq!(
            got,
            [
                (A1, "2021-01-05".to_owned(), 3, 2, 3),
                (A1, "2021-01-06".to_owned(), 1, 0, 0),
                (A2, "2021-01-05".to_owned(), 0, 0, 0),
                (A2, "2021-01-06".to_owned(), 0, 0, 0),
            ]
        );
        let states = &rows[0].transport_states;
        assert_eq!(
            states,
            &[Some("01".to_owned()), Some("02".to_owned()), None]
        );
        let t = daily_table(&rows);
        assert_eq!(t.rows[0][0], Cell::text("甲矿"));
        assert_eq!(
            t.rows[0][6],
            Cell::text("运行载货(running loaded) → 运行空载(running empty) → 未标明(not stated)")
        );
        assert!(daily_analysis(&db, &viewer(A), &u(B), p).await.is_err());
    }

    async fn weekly_and_monthly_reports_export_to_csv_and_xlsx(db: Db) {
        world(&db).await;
        let r = weekly_report(&db, &viewer(CITY), &u(CITY), day("2021-01-06"))
            .await
            .unwrap();
        assert_eq!(
            r.title_zh,
            "忻州市矿山电子封条周报（2021-01-04至2021-01-10）"
        );
        assert_eq!(
            r.title_en,
            "Weekly mine e-seal report of 忻州市, 2021-01-04 to 2021-01-10"
        );
        assert_eq!(r.summary.alarms, 4);
        let tables = r.tables();
        let titles: Vec<&str> = tables.iter().map(|t| t.title_en.as_str()).collect();
        let expected = [
            "Alarm handling statistics",
            "Alarms and handling by subordinate unit",
        ];
        assert_eq!(titles[..2], expected);
        assert_eq!(titles.len(), 3, "no per-mine daily table at city level");
        let csv = parse_csv(&r.csv().unwrap());
        assert_eq!(csv[0], [format!("{}({})", r.title_zh, r.title_en)]);
        assert_eq!(csv[2][0], "报警处置统计(Alarm handling statistics)");
        assert_eq!(csv[3][3], "报警数(alarms)");
        assert_eq!(csv[4][..4], ["忻州市", CITY, "2021-01-04至2021-01-10", "4"]);
        // Subordinate rows: A, B and a zero row for C.
        assert_eq!(csv[8][..4], ["代县", A, "3", "2"]);
        assert_eq!(csv[10][..5], ["宁武县", "140925", "0", "0", "0"]);
        assert_eq!(csv[10][5], "", "no rate without alarms");

        // The county's monthly report has the daily table: 2 mines x 31 days.
        let m = monthly_report(&db, &viewer(A), &u(A), 2021, 1)
            .await
            .unwrap();
        assert_eq!(m.title_zh, "代县矿山电子封条月报（2021-01-01至2021-01-31）");
        assert_eq!((m.summary.alarms, m.daily.len()), (4, 62));
        let xlsx = m.xlsx().unwrap();
        let book = xlsx_part(&xlsx, "xl/workbook.xml");
        for sheet in [
            "报警处置统计",
            "下级单位报警处置统计",
            "报警类型分布",
            "每日分析结果",
        ] {
            assert!(
                book.contains(&format!("name=\"{sheet}\"")),
                "{sheet} in {book}"
            );
        }
        let sheet1 = xlsx_part(&xlsx, "xl/worksheets/sheet1.xml");
        assert!(sheet1.contains("<v>4</v>"), "4 alarms in {sheet1}");
        assert!(xlsx_part(&xlsx, "xl/sharedStrings.xml").contains("代县"));
        assert!(matches!(
            monthly_report(&db, &viewer(A), &u(CITY), 2021, 1)
                .await
                .unwrap_err(),
            Error::Forbidden(_)
        ));
    }
}

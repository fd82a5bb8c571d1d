//! Statistics and reports (P2, P7, P12): alarm and handling figures of a unit over a period,
//! one row per subordinate unit, the alarm type distribution, each mine's daily analysis
//! results, and the weekly and monthly reports — as JSON, or exported as CSV or XLSX
//! (`format=csv|xlsx`, an attachment with the right media type).
//!
//! Periods are China Standard Time days (`from`/`to` are `YYYY-MM-DD`, both inclusive, each
//! defaulting to the other and both to today by the supervision clock); figures are those of
//! [`crate::supervision::stats`], whose module doc defines them.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{
    Format, MAX_DAILY_DAYS, MAX_PERIOD_DAYS, Regulator, attachment, error, export, parse_date,
    period, period_stem,
};
use crate::http::error::{ApiError, ErrorBody};
use crate::supervision::stats::{
    self, AlarmStats, DailyAnalysis, KindRow, Period, Report, SubordinateRow, daily_table,
    kind_table, subordinate_table, summary_table,
};
use crate::supervision::{UnitCode, UnitLevel};

/// `?unit=&from=&to=&format=` of the statistics routes.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// A unit inside the caller's jurisdiction: national `000000`, province, city, county or a
    /// 12-digit mine (default: the caller's own unit).
    #[param(example = "140421")]
    pub unit: Option<String>,
    /// First CST day `YYYY-MM-DD` (default: `to`, or today).
    #[param(example = "2026-11-23")]
    pub from: Option<String>,
    /// Last CST day `YYYY-MM-DD`, inclusive (default: today when `from` is given, else `from`);
    /// at most 366 days after `from`.
    #[param(example = "2026-11-29")]
    pub to: Option<String>,
    /// `json` (default), `csv` or `xlsx`.
    pub format: Option<String>,
}

/// `?mine=&unit=&date=&from=&to=&format=` of the daily analysis (P7).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DailyQuery {
    /// One mine (12 digits) inside the caller's jurisdiction; else every mine of `unit`.
    #[param(example = "140421007866")]
    pub mine: Option<String>,
    /// A unit inside the caller's jurisdiction (default: the caller's own); ignored with `mine`.
    pub unit: Option<String>,
    /// One CST day `YYYY-MM-DD` (the same as `from` = `to` = it).
    #[param(example = "2026-11-28")]
    pub date: Option<String>,
    /// First CST day (with `to`), instead of `date`.
    pub from: Option<String>,
    /// Last CST day, inclusive; at most 62 days after `from`.
    pub to: Option<String>,
    /// `json` (default), `csv` or `xlsx`.
    pub format: Option<String>,
}

/// `?unit=&date=&format=` of a report.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// A unit inside the caller's jurisdiction (default: the caller's own).
    #[param(example = "140421")]
    pub unit: Option<String>,
    /// A CST day `YYYY-MM-DD` inside the week (Monday to Sunday) or calendar month of the
    /// report (default: today).
    #[param(example = "2026-11-28")]
    pub date: Option<String>,
    /// `json` (default), `csv` or `xlsx`.
    pub format: Option<String>,
}

/// A unit's alarm and handling figures over a period (P12).
#[derive(Debug, Serialize, ToSchema)]
pub struct UnitStats {
    /// The unit.
    pub unit: UnitCode,
    /// Its name ("" when the platform has none).
    pub unit_name: String,
    /// The period, `[from, to)` in UTC, cut at CST midnights.
    pub period: Period,
    /// Alarms, handled, closed, handling rate, handling time min / mean / max.
    pub stats: AlarmStats,
}

/// One row per direct subordinate unit (P2, P12).
#[derive(Debug, Serialize, ToSchema)]
pub struct SubordinateStats {
    /// The unit.
    pub unit: UnitCode,
    /// The period.
    pub period: Period,
    /// Every direct subordinate the platform knows, with zero rows too, by code.
    pub rows: Vec<SubordinateRow>,
}

/// The alarm type distribution (P2).
#[derive(Debug, Serialize, ToSchema)]
pub struct KindStats {
    /// The unit.
    pub unit: UnitCode,
    /// The period.
    pub period: Period,
    /// Every alarm type, in table order.
    pub rows: Vec<KindRow>,
}

/// Each mine's daily analysis results (P7).
#[derive(Debug, Serialize, ToSchema)]
pub struct DailyStats {
    /// The unit or mine asked for.
    pub unit: UnitCode,
    /// The period.
    pub period: Period,
    /// One row per mine and CST day (a day without uploads is a row of zeros).
    pub rows: Vec<DailyAnalysis>,
}

async fn unit_name(who: &Regulator, unit: &UnitCode) -> Result<String, ApiError> {
    Ok(who
        .sup
        .users()
        .unit(unit)
        .await
        .map_err(error)?
        .map(|u| u.name)
        .unwrap_or_default())
}

/// Alarms, handled, closed, handling rate and handling time (shortest, mean, longest) of a unit
/// over a period (P12). Export with `format=csv|xlsx`.
#[utoipa::path(
    get, path = "/api/v1/stats/alarms", tag = "supervision",
    params(StatsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The figures (JSON, CSV or XLSX by `format`)", content(
            (UnitStats = "application/json"),
            ("text/csv"),
            ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 400, description = "A malformed parameter (named)", body = ErrorBody),
        (status = 401, description = "No, unknown or expired session token", body = ErrorBody),
        (status = 403, description = "The unit is outside the caller's jurisdiction", body = ErrorBody),
        (status = 503, description = "Supervision is not enabled", body = ErrorBody),
    )
)]
pub(in crate::http) async fn get_alarm_stats(
    who: Regulator,
    q: Result<Query<StatsQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = q?;
    let (unit, p) = who.unit_and_period(q.unit.as_deref(), q.from.as_deref(), q.to.as_deref())?;
    let format = Format::parse(q.format.as_deref())?;
    let stats = stats::alarm_stats(who.sup.db(), &who.actor, &unit, p)
        .await
        .map_err(error)?;
    let answer = UnitStats {
        unit_name: unit_name(&who, &unit).await?,
        unit,
        period: p,
        stats,
    };
    let tables = || {
        vec![summary_table(
            &answer.unit,
            &answer.unit_name,
            &answer.period,
            &answer.stats,
        )]
    };
    export(
        format,
        &answer,
        "报警处置统计(alarm statistics)",
        tables,
        &period_stem("alarm-stats", &answer.unit, &p),
    )
}

/// One row of figures per direct subordinate unit — province → cities, city → counties,
/// county → mines — over a period (P2, P12), units without alarms included.
#[utoipa::path(
    get, path = "/api/v1/stats/subordinates", tag = "supervision",
    params(StatsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The rows (JSON, CSV or XLSX by `format`)", content(
            (SubordinateStats = "application/json"),
            ("text/csv"),
            ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 400, description = "A malformed parameter, or a mine (which has no subordinates; named)", body = ErrorBody),
        (status = 401, description = "No, unknown or expired session token", body = ErrorBody),
        (status = 403, description = "The unit is outside the caller's jurisdiction", body = ErrorBody),
        (status = 503, description = "Supervision is not enabled", body = ErrorBody),
    )
)]
pub(in crate::http) async fn get_subordinate_stats(
    who: Regulator,
    q: Result<Query<StatsQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = q?;
    let unit = who.unit("unit", q.unit.as_deref())?;
    if unit.level() == UnitLevel::Mine {
        return Err(ApiError::bad_request(
            "invalid_unit",
            format!("unit: 矿山没有下级单位 (a mine has no subordinate units; expected a national, province, city or county unit, found {unit}, P12)"),
        )
        .field("unit")
        .clause("P12"));
    }
    let format = Format::parse(q.format.as_deref())?;
    let p = period(
        who.today(),
        q.from.as_deref(),
        q.to.as_deref(),
        MAX_PERIOD_DAYS,
    )?;
    let rows = stats::by_subordinate(who.sup.db(), &who.actor, &unit, p)
        .await
        .map_err(error)?;
    let answer = SubordinateStats {
        unit,
        period: p,
        rows,
    };
    let tables = || vec![subordinate_table(&answer.rows)];
    export(
        format,
        &answer,
        "下级单位报警处置统计(by subordinate unit)",
        tables,
        &period_stem("subordinate-stats", &answer.unit, &p),
    )
}

/// The alarm type distribution of a unit over a period (P2): every alarm type with its share
/// and figures.
#[utoipa::path(
    get, path = "/api/v1/stats/kinds", tag = "supervision",
    params(StatsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The rows (JSON, CSV or XLSX by `format`)", content(
            (KindStats = "application/json"),
            ("text/csv"),
            ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 400, description = "A malformed parameter (named)", body = ErrorBody),
        (status = 401, description = "No, unknown or expired session token", body = ErrorBody),
        (status = 403, description = "The unit is outside the caller's jurisdiction", body = ErrorBody),
        (status = 503, description = "Supervision is not enabled", body = ErrorBody),
    )
)]
pub(in crate::http) async fn get_kind_stats(
    who: Regulator,
    q: Result<Query<StatsQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = q?;
    let (unit, p) = who.unit_and_period(q.unit.as_deref(), q.from.as_deref(), q.to.as_deref())?;
    let format = Format::parse(q.format.as_deref())?;
    let rows = stats::by_kind(who.sup.db(), &who.actor, &unit, p)
        .await
        .map_err(error)?;
    let answer = KindStats {
        unit,
        period: p,
        rows,
    };
    let tables = || vec![kind_table(&answer.rows)];
    export(
        format,
        &answer,
        "报警类型分布(alarm types)",
        tables,
        &period_stem("kind-stats", &answer.unit, &p),
    )
}

/// Each mine's daily analysis results (P7): people down, trucks out, transport state changes
/// and states, per CST day, for one mine or every mine of a unit.
#[utoipa::path(
    get, path = "/api/v1/stats/daily", tag = "supervision",
    params(DailyQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The rows (JSON, CSV or XLSX by `format`)", content(
            (DailyStats = "application/json"),
            ("text/csv"),
            ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 400, description = "A malformed parameter, or both `date` and `from`/`to` (named)", body = ErrorBody),
        (status = 401, description = "No, unknown or expired session token", body = ErrorBody),
        (status = 403, description = "The mine or unit is outside the caller's jurisdiction", body = ErrorBody),
        (status = 503, description = "Supervision is not enabled", body = ErrorBody),
    )
)]
pub(in crate::http) async fn get_daily(
    who: Regulator,
    q: Result<Query<DailyQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = q?;
    let unit = match q.mine.as_deref() {
        Some(m) => UnitCode::of_mine(&who.mine("mine", m)?),
        None => who.unit("unit", q.unit.as_deref())?,
    };
    let format = Format::parse(q.format.as_deref())?;
    let p = match q.date.as_deref() {
        Some(d) if q.from.is_some() || q.to.is_some() => {
            return Err(ApiError::bad_request(
                "invalid_query",
                format!("date: 不能与 from/to 同时使用 (give either date or from/to, found date {d:?} with from/to)"),
            )
            .field("date"));
        }
        Some(_) => {
            let d = parse_date("date", q.date.as_deref())?.unwrap_or_else(|| who.today());
            let d = d.to_string();
            period(who.today(), Some(&d), Some(&d), MAX_DAILY_DAYS)?
        }
        None => period(
            who.today(),
            q.from.as_deref(),
            q.to.as_deref(),
            MAX_DAILY_DAYS,
        )?,
    };
    let rows = stats::daily_analysis(who.sup.db(), &who.actor, &unit, p)
        .await
        .map_err(error)?;
    let answer = DailyStats {
        unit,
        period: p,
        rows,
    };
    let tables = || vec![daily_table(&answer.rows)];
    export(
        format,
        &answer,
        "每日分析结果(daily analysis)",
        tables,
        &period_stem("daily", &answer.unit, &p),
    )
}

/// The weekly (Monday to Sunday, CST) or monthly (calendar month) report of a unit (P2, P7,
/// P12): its figures, one row per subordinate unit, the alarm type distribution, and (county
/// and mine reports) each mine's daily results. As JSON, or one CSV (UTF-8 with a byte-order
/// mark, the tables one under the other) or an XLSX workbook (a sheet per table), as an
/// attachment.
#[utoipa::path(
    get, path = "/api/v1/reports/{kind}", tag = "supervision",
    params(("kind" = String, Path, description = "`weekly` or `monthly`"), ReportQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The report (JSON, CSV or XLSX by `format`)", content(
            (Report = "application/json"),
            ("text/csv"),
            ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 400, description = "A malformed parameter, or a kind other than weekly/monthly (named)", body = ErrorBody),
        (status = 401, description = "No, unknown or expired session token", body = ErrorBody),
        (status = 403, description = "The unit is outside the caller's jurisdiction", body = ErrorBody),
        (status = 503, description = "Supervision is not enabled", body = ErrorBody),
    )
)]
pub(in crate::http) async fn get_report(
    who: Regulator,
    kind: Result<Path<String>, PathRejection>,
    q: Result<Query<ReportQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Path(kind) = kind.map_err(|e| {
        ApiError::bad_request("invalid_path", format!("kind: {}", e.body_text())).field("kind")
    })?;
    let Query(q) = q?;
    let unit = who.unit("unit", q.unit.as_deref())?;
    let format = Format::parse(q.format.as_deref())?;
    let date = parse_date("date", q.date.as_deref())?.unwrap_or_else(|| who.today());
    let db = who.sup.db();
    let report = match kind.as_str() {
        "weekly" => stats::weekly_report(db, &who.actor, &unit, date).await,
        "monthly" => {
            use chrono::Datelike;
            stats::monthly_report(db, &who.actor, &unit, date.year(), date.month()).await
        }
        other => {
            return Err(ApiError::bad_request(
                "invalid_path",
                format!("kind: 报表类型应为 weekly（周报）或 monthly（月报） (expected weekly or monthly, found {other:?}, P2)"),
            )
            .field("kind")
            .clause("P2"));
        }
    }
    .map_err(error)?;
    let file = period_stem(&format!("report-{kind}"), &unit, &report.period);
    let bytes = match format {
        Format::Json => return export(format, &report, "", Vec::new, &file),
        Format::Csv => report.csv().map_err(error)?,
        Format::Xlsx => report.xlsx().map_err(error)?,
    };
    Ok(attachment(bytes, format, &file))
}

//! The automatic patrol's results (P2, P8): each mine's network status by region, mine state
//! and online state, and the data-stability figures over a period — as JSON, CSV or XLSX.

use axum::extract::Query;
use axum::extract::rejection::QueryRejection;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{Format, Regulator, error, export, period_stem, stem};
use crate::http::error::{ApiError, ErrorBody};
use crate::supervision::UnitCode;
use crate::supervision::mines::MineState;
use crate::supervision::patrol::{
    NetworkFilter, NetworkStatus, Stability, network_status, network_table, stability,
    stability_table,
};
use crate::supervision::stats::Period;

/// `?unit=&state=&online=&format=` of the network-status query (P8).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NetworkQuery {
    /// The region: a unit inside the caller's jurisdiction (province, city, county or mine;
    /// default: the caller's own).
    #[param(example = "140421")]
    pub unit: Option<String>,
    /// The filed mine state: 停产 / 停建 / 关闭, or `stopped` / `construction_stopped` / `closing`.
    #[param(example = "stopped")]
    pub state: Option<String>,
    /// `true` (online mines only) or `false` (offline only).
    pub online: Option<String>,
    /// `json` (default), `csv` or `xlsx`.
    pub format: Option<String>,
}

/// `?unit=&from=&to=&format=` of the stability figures (P2).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StabilityQuery {
    /// A unit inside the caller's jurisdiction (default: the caller's own).
    #[param(example = "140421")]
    pub unit: Option<String>,
    /// First CST day `YYYY-MM-DD` (default: `to`, or today).
    pub from: Option<String>,
    /// Last CST day, inclusive (default: today when `from` is given, else `from`).
    pub to: Option<String>,
    /// `json` (default), `csv` or `xlsx`.
    pub format: Option<String>,
}

/// The network status of the mines of a region (P8).
#[derive(Debug, Serialize, ToSchema)]
pub struct NetworkAnswer {
    /// The region asked for.
    pub unit: UnitCode,
    /// Mines online among those listed.
    pub online: usize,
    /// Mines offline among those listed.
    pub offline: usize,
    /// The mines the patrol has checked, by code.
    pub mines: Vec<NetworkStatus>,
}

/// The data-stability figures of the mines of a unit (P2).
#[derive(Debug, Serialize, ToSchema)]
pub struct StabilityAnswer {
    /// The unit asked for.
    pub unit: UnitCode,
    /// The period (clipped at now).
    pub period: Period,
    /// One row per mine, by code.
    pub mines: Vec<Stability>,
}

fn parse_online(s: &str) -> Result<bool, ApiError> {
    match s.trim() {
        "true" | "online" | "在线" => Ok(true),
        "false" | "offline" | "离线" => Ok(false),
        other => Err(ApiError::bad_request(
            "invalid_query",
            format!("online: 应为 true（在线）或 false（离线） (expected true or false, found {other:?}, P8)"),
        )
        .field("online")
        .clause("P8")),
    }
}

fn parse_state(s: &str) -> Result<String, ApiError> {
    MineState::parse(s.trim()).map(|m| m.id().to_owned()).ok_or_else(|| {
        ApiError::bad_request(
            "invalid_query",
            format!(
                "state: 不是矿山状态 (expected 停产, 停建 or 关闭 — stopped, construction_stopped or closing — found {s:?}, P8)"
            ),
        )
        .field("state")
        .clause("P8")
    })
}

/// The patrol's network status of each mine of a region (P2, P8): online or offline, since
/// when, last sign of life, cameras online — narrowed by filed mine state and online state.
/// Only mines the patrol has checked are listed.
#[utoipa::path(
    get, path = "/api/v1/network-status", tag = "supervision",
    params(NetworkQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The mines (JSON, CSV or XLSX by `format`)", content(
            (NetworkAnswer = "application/json"),
            ("text/csv"),
            ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 400, description = "A malformed parameter (named)", body = ErrorBody),
        (status = 401, description = "No, unknown or expired session token", body = ErrorBody),
        (status = 403, description = "The region is outside the caller's jurisdiction", body = ErrorBody),
        (status = 503, description = "Supervision is not enabled", body = ErrorBody),
    )
)]
pub(in crate::http) async fn get_network_status(
    who: Regulator,
    q: Result<Query<NetworkQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = q?;
    let unit = who.unit("unit", q.unit.as_deref())?;
    let format = Format::parse(q.format.as_deref())?;
    let filter = NetworkFilter {
        region: Some(unit.clone()),
        mine_state: q.state.as_deref().map(parse_state).transpose()?,
        online: q.online.as_deref().map(parse_online).transpose()?,
    };
    let mines = network_status(who.sup.db(), &who.actor, filter)
        .await
        .map_err(error)?;
    let online = mines.iter().filter(|m| m.online).count();
    let answer = NetworkAnswer {
        offline: mines.len() - online,
        online,
        unit,
        mines,
    };
    let file = stem(&[
        "network-status",
        answer.unit.as_str(),
        &who.today().to_string(),
    ]);
    let tables = || vec![network_table(&answer.mines)];
    export(format, &answer, "联网状态(network status)", tables, &file)
}

/// Data stability of each mine of a unit over a period (P2): availability (online time over
/// observed time), outages and the longest, uploads and their mean interval.
#[utoipa::path(
    get, path = "/api/v1/stability", tag = "supervision",
    params(StabilityQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The mines (JSON, CSV or XLSX by `format`)", content(
            (StabilityAnswer = "application/json"),
            ("text/csv"),
            ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 400, description = "A malformed parameter (named)", body = ErrorBody),
        (status = 401, description = "No, unknown or expired session token", body = ErrorBody),
        (status = 403, description = "The unit is outside the caller's jurisdiction", body = ErrorBody),
        (status = 503, description = "Supervision is not enabled", body = ErrorBody),
    )
)]
pub(in crate::http) async fn get_stability(
    who: Regulator,
    q: Result<Query<StabilityQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = q?;
    let (unit, p) = who.unit_and_period(q.unit.as_deref(), q.from.as_deref(), q.to.as_deref())?;
    let format = Format::parse(q.format.as_deref())?;
    let mines = stability(who.sup.db(), &who.actor, &unit, p, who.sup.now())
        .await
        .map_err(error)?;
    let answer = StabilityAnswer {
        unit,
        period: p,
        mines,
    };
    let file = period_stem("stability", &answer.unit, &p);
    let tables = || vec![stability_table(&answer.mines)];
    export(format, &answer, "数据稳定性(data stability)", tables, &file)
}

//! Mine configuration (P9), county default thresholds (P10), the import of mine base data
//! (P9) and the mines' lifecycle records (L1–L3).
//!
//! The configuration is what the alarm rules read, so every write is an admin's of a unit
//! covering the mine (the desk refuses anyone else, 403) and is audited. An import is
//! all-or-nothing, as the importer is: the answer lists every refused row with its row number,
//! column and the expected form, or every imported mine — never a silently dropped row.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{Regulator, desk_error, error, json_body, parse_date};
use crate::http::error::{ApiError, ErrorBody, ErrorDetail};
use crate::supervision::desk::Configuration;
use crate::supervision::mines::lifecycle::{
    LifecycleError, OverduePatrol, PatrolRecord, ProvincialApproval, ScopeChange, ScopeDirection,
    SealRemoval, Unfittable,
};
use crate::supervision::mines::records::{LifecycleRecords, MineLifecycle, RecordError};
use crate::supervision::mines::{
    CountyDefaults, ImportErrors, MineConfig, Place, import_csv_placed, import_json_placed,
};
use crate::supervision::{UnitCode, UnitLevel};

/// `?date=` of a read: the CST day the numbers are for (default today).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DayQuery {
    /// A China Standard Time day `YYYY-MM-DD` (default: today).
    #[param(example = "2026-11-28")]
    pub date: Option<String>,
}

/// `?unit=&date=` of the overdue-patrol query.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UnitDayQuery {
    /// A unit inside the caller's jurisdiction (default: the caller's own).
    #[param(example = "140000")]
    pub unit: Option<String>,
    /// A China Standard Time day `YYYY-MM-DD` (default: today).
    pub date: Option<String>,
}

fn mine_path(
    who: &Regulator,
    p: Result<Path<String>, PathRejection>,
) -> Result<eseal_protocol::MineCode, ApiError> {
    let Path(m) = p.map_err(|e| {
        ApiError::bad_request("invalid_path", format!("mine: {}", e.body_text())).field("mine")
    })?;
    who.mine("mine", &m)
}

fn day(who: &Regulator, q: Result<Query<DayQuery>, QueryRejection>) -> Result<NaiveDate, ApiError> {
    let Query(q) = q?;
    Ok(parse_date("date", q.date.as_deref())?.unwrap_or_else(|| who.today()))
}

/// A mine's configuration as filed (P9) and as the rules apply it on a day (P10): the
/// allowed people down and trucks out, each with where the number came from.
#[utoipa::path(
    get, path = "/api/v1/mines/{mine}/config", tag = "supervision",
    params(("mine" = String, Path, description = "12-digit mine code", pattern = "^[0-9]{12}$"), DayQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "What is filed and what is in force", body = Configuration),
        (status = 400, description = "A malformed mine code or date (named)", body = ErrorBody),
        (status = 401, description = "No, unknown or expired session token", body = ErrorBody),
        (status = 403, description = "The mine is outside the caller's jurisdiction", body = ErrorBody),
        (status = 503, description = "Supervision is not enabled", body = ErrorBody),
    )
)]
pub(in crate::http) async fn get_mine_config(
    who: Regulator,
    mine: Result<Path<String>, PathRejection>,
    q: Result<Query<DayQuery>, QueryRejection>,
) -> Result<Json<Configuration>, ApiError> {
    let mine = mine_path(&who, mine)?;
    let date = day(&who, q)?;
    let c = who
        .sup
        .desk()
        .configuration(&who.actor, mine, date)
        .await
        .map_err(desk_error)?;
    Ok(Json(c))
}

/// Files (or replaces) a mine's configuration (P9, P10): state, shutdown date, 一停四不停,
/// expected people down per day, closing date, withdrawal period, thresholds, camera sites. An
/// admin of a unit covering the mine; `mine` in the body must be the path's. Audited.
#[utoipa::path(
    put, path = "/api/v1/mines/{mine}/config", tag = "supervision",
    params(("mine" = String, Path, description = "12-digit mine code", pattern = "^[0-9]{12}$")),
    request_body(content = MineConfig, content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Filed; what is now in force today", body = Configuration),
        (status = 400, description = "Body is not JSON, or a malformed mine code", body = ErrorBody),
        (status = 401, description = "No, unknown or expired session token", body = ErrorBody),
        (status = 403, description = "Outside the jurisdiction, or not an admin (P9, P10)", body = ErrorBody),
        (status = 422, description = "A member is malformed, unknown, missing, or `mine` differs from the path (named)", body = ErrorBody),
        (status = 503, description = "Supervision is not enabled", body = ErrorBody),
    )
)]
pub(in crate::http) async fn put_mine_config(
    who: Regulator,
    mine: Result<Path<String>, PathRejection>,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<Json<Configuration>, ApiError> {
    let mine = mine_path(&who, mine)?;
    let config: MineConfig = json_body(body, "P9")?;
    if config.mine != mine {
        return Err(ApiError::unprocessable(
            "path_mismatch",
            format!(
                "mine: 请求体的矿山编码与路径不一致 ({} in the body, {mine} in the path)",
                config.mine
            ),
        )
        .field("mine")
        .clause("P9"));
    }
    let desk = who.sup.desk();
    desk.file_mine(&who.actor, config, who.sup.now())
        .await
        .map_err(desk_error)?;
    tracing::info!(%mine, actor = %who.actor.name(), "mine configuration filed");
    let c = desk
        .configuration(&who.actor, mine, who.today())
        .await
        .map_err(desk_error)?;
    Ok(Json(c))
}

/// One mine of an import that was filed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportedRow {
    /// CSV row (the header is row 1) or JSON array item (from 1).
    pub row: usize,
    /// The mine code.
    pub mine: String,
    /// The mine's name.
    pub name: String,
}

/// One refusal of an import.
#[derive(Debug, Serialize, ToSchema)]
pub struct RefusedRow {
    /// CSV row (the header is row 1) or JSON array item (from 1); absent for the input as a
    /// whole.
    pub row: Option<usize>,
    /// `row 3`, `item 2` or `input`.
    pub place: String,
    /// The column, `中文 (english)` for CSV, the member path for JSON.
    pub field: Option<String>,
    /// The expected form.
    pub expected: String,
    /// What was found.
    pub found: Option<String>,
    /// The whole reason, one line.
    pub reason: String,
}

/// The answer of an import: every mine filed, or every refusal (then nothing was filed).
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReport {
    /// Whether the mines were filed (all of them), or none (any refusal refuses the import).
    pub committed: bool,
    /// The mines filed, in input order.
    pub imported: Vec<ImportedRow>,
    /// Every refusal, in input order.
    pub refused: Vec<RefusedRow>,
    /// Set when the import was refused: the same `error` member every error answer has.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
}

fn row_of(p: Place) -> Option<usize> {
    match p {
        Place::File => None,
        Place::Row(n) | Place::Item(n) => Some(n),
    }
}

fn refused_report(errors: ImportErrors) -> Response {
    let refused: Vec<RefusedRow> = errors
        .0
        .iter()
        .map(|e| RefusedRow {
            row: row_of(e.place),
            place: e.place.to_string(),
            field: e.column.clone(),
            expected: e.expected.clone(),
            found: e.found.clone(),
            reason: e.to_string(),
        })
        .collect();
    let first = refused
        .first()
        .map(|r| r.reason.clone())
        .unwrap_or_default();
    let detail = *ApiError::unprocessable(
        "import_refused",
        format!(
            "矿山基础数据导入被拒绝，未导入任何数据 (mine import refused, nothing imported: {} error(s); first: {first}, P9)",
            refused.len()
        ),
    )
    .maybe_field(refused.first().and_then(|r| r.field.clone()))
    .clause("P9")
    .detail;
    let report = ImportReport {
        committed: false,
        imported: Vec::new(),
        refused,
        error: Some(detail),
    };
    (StatusCode::UNPROCESSABLE_ENTITY, Json(report)).into_response()
}

/// Imports mine base data (P9): `Content-Type: text/csv` (a header row, columns by their
/// Chinese or English names — 矿山编码/mine_code, 矿山名称/name, 矿山状态/state, 停产日期,
/// 一停四不停, 每日预计下井人数, 关闭日期, 回撤期, 回撤期限, 回撤期每日下井人数, 车辆阈值, 人员阈值,
/// 摄像头位置) or `application/json` (an array of MineConfig). All-or-nothing: any error refuses
/// the import with every refused row listed (row number, column, expected form, what was
/// found); otherwise every mine is filed in one transaction. An admin whose unit covers every
/// mine of the input.
#[utoipa::path(
    post, path = "/api/v1/mines/import", tag = "supervision",
    request_body(content = String, description = "CSV (UTF-8, a byte-order mark is ignored) or a JSON array of MineConfig",
        content(("text/csv"), ("application/json"))),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every mine filed", body = ImportReport),
        (status = 401, description = "No, unknown or expired session token", body = ErrorBody),
        (status = 403, description = "Not an admin, or a mine outside the caller's jurisdiction (named)", body = ErrorBody),
        (status = 413, description = "Larger than the request limit", body = ErrorBody),
        (status = 415, description = "Neither text/csv nor application/json", body = ErrorBody),
        (status = 422, description = "Refused: every refused row with its number, column and reason; nothing filed", body = ImportReport),
        (status = 503, description = "Supervision is not enabled", body = ErrorBody),
    )
)]
pub(in crate::http) async fn post_import(
    who: Regulator,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    who.require_admin("导入矿山基础数据 (import mine base data)", "P9")?;
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let csv = match essence.as_str() {
        "text/csv" => true,
        "application/json" => false,
        _ => {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                format!("Content-Type: 应为 text/csv 或 application/json (expected text/csv or application/json, found {ct:?})"),
            )
            .field("Content-Type")
            .clause("P9"));
        }
    };
    let body = body.map_err(|rej| {
        ApiError::new(
            rej.status(),
            "invalid_body",
            format!("body: 无法读取 ({})", rej.body_text()),
        )
        .field("body")
        .clause("P9")
    })?;
    let text = std::str::from_utf8(&body).map_err(|e| {
        ApiError::unprocessable(
            "invalid_body",
            format!("body: 不是 UTF-8 文本 (not UTF-8 text: {e})"),
        )
        .field("body")
        .clause("P9")
    })?;
    let parsed = if csv {
        import_csv_placed(text)
    } else {
        import_json_placed(text)
    };
    let mines = match parsed {
        Ok(m) => m,
        Err(errors) => return Ok(refused_report(errors)),
    };
    if let Some((place, m)) = mines.iter().find(|(_, m)| !who.unit.covers_mine(&m.mine)) {
        return Err(ApiError::forbidden(format!(
            "mine_code: {place} 的矿山 {} 不在本单位 {} 管辖范围内，未导入任何数据 (mine {} of {place} is outside the \
             jurisdiction of unit {}; nothing imported, R1)",
            m.mine, who.unit, m.mine, who.unit
        ))
        .field("mine_code")
        .clause("R1"));
    }
    let imported: Vec<ImportedRow> = mines
        .iter()
        .map(|(p, m)| ImportedRow {
            row: row_of(*p).unwrap_or(0),
            mine: m.mine.to_string(),
            name: m.name.clone(),
        })
        .collect();
    let configs = mines.into_iter().map(|(_, m)| m).collect();
    who.sup
        .desk()
        .file_mines(&who.actor, configs, who.sup.now())
        .await
        .map_err(desk_error)?;
    tracing::info!(mines = imported.len(), actor = %who.actor.name(), "mine base data imported");
    Ok(Json(ImportReport {
        committed: true,
        imported,
        refused: Vec::new(),
        error: None,
    })
    .into_response())
}

/// The body of `PUT /api/v1/counties/{county}/defaults` (P10).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DefaultsRequest {
    /// 默认人员阈值 — default allowed people down per day, for mines with 一停四不停 that filed no
    /// number; absent: none.
    #[serde(default)]
    pub people_threshold: Option<u16>,
    /// 默认车辆阈值 — default allowed trucks out per day; absent: none.
    #[serde(default)]
    pub truck_threshold: Option<u16>,
}

fn county_path(
    who: &Regulator,
    p: Result<Path<String>, PathRejection>,
) -> Result<UnitCode, ApiError> {
    let Path(c) = p.map_err(|e| {
        ApiError::bad_request("invalid_path", format!("county: {}", e.body_text())).field("county")
    })?;
    let county = who.unit("county", Some(&c))?;
    if county.level() != UnitLevel::County {
        return Err(ApiError::bad_request(
            "invalid_unit",
            format!(
                "county: 不是县级单位编码 (expected a county code XXXXXX, last two digits not 00; found {county}, a {} unit, P10)",
                county.level().zh()
            ),
        )
        .field("county")
        .clause("P10"));
    }
    Ok(county)
}

/// A county's default thresholds (P10); both absent when the county set none.
#[utoipa::path(
    get, path = "/api/v1/counties/{county}/defaults", tag = "supervision",
    params(("county" = String, Path, description = "6-digit county code", pattern = "^[0-9]{6}$")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The defaults", body = CountyDefaults),
        (status = 400, description = "Not a county code", body = ErrorBody),
        (status = 401, description = "No, unknown or expired session token", body = ErrorBody),
        (status = 403, description = "The county is outside the caller's jurisdiction", body = ErrorBody),
        (status = 503, description = "Supervision is not enabled", body = ErrorBody),
    )
)]
pub(in crate::http) async fn get_county_defaults(
    who: Regulator,
    county: Result<Path<String>, PathRejection>,
) -> Result<Json<CountyDefaults>, ApiError> {
    let county = county_path(&who, county)?;
    let d = who
        .sup
        .desk()
        .county_defaults(&who.actor, county.clone())
        .await
        .map_err(desk_error)?;
    Ok(Json(d.unwrap_or(CountyDefaults {
        county,
        people_threshold: None,
        truck_threshold: None,
    })))
}

/// Sets a county's default thresholds (P10): for mines that filed no expected number (people)
/// and every mine without its own truck threshold. An admin of a unit covering the county.
#[utoipa::path(
    put, path = "/api/v1/counties/{county}/defaults", tag = "supervision",
    params(("county" = String, Path, description = "6-digit county code", pattern = "^[0-9]{6}$")),
    request_body(content = DefaultsRequest, content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Set", body = CountyDefaults),
        (status = 400, description = "Not a county code, or body not JSON", body = ErrorBody),
        (status = 401, description = "No, unknown or expired session token", body = ErrorBody),
        (status = 403, description = "Outside the jurisdiction, or not an admin (P10)", body = ErrorBody),
        (status = 422, description = "A member is malformed or unknown (named)", body = ErrorBody),
        (status = 503, description = "Supervision is not enabled", body = ErrorBody),
    )
)]
pub(in crate::http) async fn put_county_defaults(
    who: Regulator,
    county: Result<Path<String>, PathRejection>,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<Json<CountyDefaults>, ApiError> {
    let county = county_path(&who, county)?;
    let req: DefaultsRequest = json_body(body, "P10")?;
    let defaults = CountyDefaults {
        county,
        people_threshold: req.people_threshold,
        truck_threshold: req.truck_threshold,
    };
    who.sup
        .desk()
        .set_county_defaults(&who.actor, defaults.clone(), who.sup.now())
        .await
        .map_err(desk_error)?;
    Ok(Json(defaults))
}

// ---- lifecycle (L1–L3) ---------------------------------------------------------------------

/// A lifecycle refusal: 403 when the caller's own unit may not (it is the recording unit), 422
/// for the record's content.
fn record_error(e: RecordError) -> ApiError {
    match e {
        RecordError::Store(e) => error(e),
        RecordError::Refused(l) => {
            let (clause, field) = match &l {
                LifecycleError::Empty { clause, field }
                | LifecycleError::Unit { clause, field, .. }
                | LifecycleError::Date { clause, field, .. } => (*clause, *field),
                LifecycleError::NoApproval { .. } => ("L2", "approval"),
                LifecycleError::Redundant { .. } => ("L1", "direction"),
                LifecycleError::Cadence => ("L3", "patrol_every_days"),
            };
            let caller_unit = matches!(
                &l,
                LifecycleError::Unit {
                    field: "by" | "filed_by",
                    ..
                }
            );
            let (status, code, zh) = match &l {
                _ if caller_unit => (StatusCode::FORBIDDEN, "forbidden", "本单位不能作此记录"),
                LifecycleError::Redundant { .. } => {
                    (StatusCode::CONFLICT, "conflict", "范围状态未变")
                }
                LifecycleError::NoApproval { .. } => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_record",
                    "拆除封条需省级批准记录",
                ),
                _ => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_record",
                    "记录不合规",
                ),
            };
            ApiError::new(status, code, format!("{field}: {zh} ({l})"))
                .field(field)
                .clause(clause)
        }
    }
}

async fn lifecycle_after(
    who: &Regulator,
    mine: eseal_protocol::MineCode,
) -> Result<(StatusCode, Json<MineLifecycle>), ApiError> {
    let records = LifecycleRecords::new(who.sup.db().clone());
    let l = records
        .of_mine(&who.actor, mine, who.today())
        .await
        .map_err(error)?;
    Ok((StatusCode::CREATED, Json(l)))
}

/// Everything on file about a mine's lifecycle on a day: in scope or not and why (L1), its
/// scope changes, seal removals with their provincial approvals (L2), its filing as a mine
/// that cannot be fitted, its patrols and the patrol overdue (L3).
#[utoipa::path(
    get, path = "/api/v1/mines/{mine}/lifecycle", tag = "supervision",
    params(("mine" = String, Path, description = "12-digit mine code", pattern = "^[0-9]{12}$"), DayQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The lifecycle", body = MineLifecycle),
        (status = 400, description = "A malformed mine code or date (named)", body = ErrorBody),
        (status = 401, description = "No, unknown or expired session token", body = ErrorBody),
        (status = 403, description = "The mine is outside the caller's jurisdiction", body = ErrorBody),
        (status = 503, description = "Supervision is not enabled", body = ErrorBody),
    )
)]
pub(in crate::http) async fn get_lifecycle(
    who: Regulator,
    mine: Result<Path<String>, PathRejection>,
    q: Result<Query<DayQuery>, QueryRejection>,
) -> Result<Json<MineLifecycle>, ApiError> {
    let mine = mine_path(&who, mine)?;
    let date = day(&who, q)?;
    let l = LifecycleRecords::new(who.sup.db().clone())
        .of_mine(&who.actor, mine, date)
        .await
        .map_err(error)?;
    Ok(Json(l))
}

/// The body of a scope change (L1); the deciding unit is the caller's.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScopeChangeRequest {
    /// `join` (纳入) or `leave` (移出).
    pub direction: ScopeDirection,
    /// The CST day it takes effect, not before the mine's last change.
    pub date: NaiveDate,
    /// Why, e.g. `停产满6个月`.
    pub reason: String,
}

/// Records a mine joining or leaving the seal scope (L1, dynamic management). An admin of a
/// unit covering the mine; the change must change something (join while out, leave while in).
#[utoipa::path(
    post, path = "/api/v1/mines/{mine}/lifecycle/scope-changes", tag = "supervision",
    params(("mine" = String, Path, description = "12-digit mine code", pattern = "^[0-9]{12}$")),
    request_body(content = ScopeChangeRequest, content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Recorded; the lifecycle after it", body = MineLifecycle),
        (status = 401, description = "No, unknown or expired session token", body = ErrorBody),
        (status = 403, description = "Outside the jurisdiction, or not an admin (L1)", body = ErrorBody),
        (status = 409, description = "Changes nothing: joining while in scope, leaving while out (L1)", body = ErrorBody),
        (status = 422, description = "A member is malformed, empty or dated before the last change (named)", body = ErrorBody),
        (status = 503, description = "Supervision is not enabled", body = ErrorBody),
    )
)]
pub(in crate::http) async fn post_scope_change(
    who: Regulator,
    mine: Result<Path<String>, PathRejection>,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<(StatusCode, Json<MineLifecycle>), ApiError> {
    let mine = mine_path(&who, mine)?;
    let req: ScopeChangeRequest = json_body(body, "L1")?;
    let change = ScopeChange::new(mine, req.direction, req.date, &req.reason, who.unit.clone())
        .map_err(|e| record_error(e.into()))?;
    LifecycleRecords::new(who.sup.db().clone())
        .scope_change(&who.actor, change, who.sup.now())
        .await
        .map_err(record_error)?;
    lifecycle_after(&who, mine).await
}

/// The body of a seal removal (L2).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SealRemovalRequest {
    /// The CST day the seal is removed, not before the approval.
    pub removed_on: NaiveDate,
    /// The provincial department's approval (省应急厅批准); required (L2).
    #[serde(default)]
    pub approval: Option<ProvincialApproval>,
}

/// Records the removal of a mine's seal after a lawful restart (L2): refused without the
/// approval record of the province covering the mine. The mine leaves the scope that day (L1),
/// so it must be in scope. An admin of a unit covering the mine.
#[utoipa::path(
    post, path = "/api/v1/mines/{mine}/lifecycle/seal-removals", tag = "supervision",
    params(("mine" = String, Path, description = "12-digit mine code", pattern = "^[0-9]{12}$")),
    request_body(content = SealRemovalRequest, content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Recorded; the lifecycle after it", body = MineLifecycle),
        (status = 401, description = "No, unknown or expired session token", body = ErrorBody),
        (status = 403, description = "Outside the jurisdiction, or not an admin", body = ErrorBody),
        (status = 409, description = "The mine is not in scope that day (L1)", body = ErrorBody),
        (status = 422, description = "No approval, an approver that is not the covering province, no document number, removed before approval (L2; named)", body = ErrorBody),
        (status = 503, description = "Supervision is not enabled", body = ErrorBody),
    )
)]
pub(in crate::http) async fn post_seal_removal(
    who: Regulator,
    mine: Result<Path<String>, PathRejection>,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<(StatusCode, Json<MineLifecycle>), ApiError> {
    let mine = mine_path(&who, mine)?;
    let req: SealRemovalRequest = json_body(body, "L2")?;
    let removal =
        SealRemoval::new(mine, req.removed_on, req.approval).map_err(|e| record_error(e.into()))?;
    LifecycleRecords::new(who.sup.db().clone())
        .seal_removal(&who.actor, removal, who.sup.now())
        .await
        .map_err(record_error)?;
    lifecycle_after(&who, mine).await
}

/// The body of an unfittable-mine filing (L3); the filing unit is the caller's (a province).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnfittableRequest {
    /// The CST day of filing (备案).
    pub filed_on: NaiveDate,
    /// Why the mine cannot be fitted.
    pub reason: String,
    /// The regulator responsible for patrols (落实监管责任); covers the mine.
    pub responsible: UnitCode,
    /// Days between patrols, at least 1.
    pub patrol_every_days: u32,
}

/// Files a mine that cannot be fitted (L3): by the province covering it (an admin of it), with
/// the unit responsible for patrols and the patrol cadence.
#[utoipa::path(
    post, path = "/api/v1/mines/{mine}/lifecycle/unfittable", tag = "supervision",
    params(("mine" = String, Path, description = "12-digit mine code", pattern = "^[0-9]{12}$")),
    request_body(content = UnfittableRequest, content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Filed; the lifecycle after it", body = MineLifecycle),
        (status = 401, description = "No, unknown or expired session token", body = ErrorBody),
        (status = 403, description = "Outside the jurisdiction, not an admin, or not a province (L3)", body = ErrorBody),
        (status = 422, description = "A member is malformed or empty, a responsible unit not covering the mine, a cadence of 0 (named)", body = ErrorBody),
        (status = 503, description = "Supervision is not enabled", body = ErrorBody),
    )
)]
pub(in crate::http) async fn post_unfittable(
    who: Regulator,
    mine: Result<Path<String>, PathRejection>,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<(StatusCode, Json<MineLifecycle>), ApiError> {
    let mine = mine_path(&who, mine)?;
    let req: UnfittableRequest = json_body(body, "L3")?;
    let filing = Unfittable::new(
        mine,
        req.filed_on,
        who.unit.clone(),
        &req.reason,
        req.responsible,
        req.patrol_every_days,
    )
    .map_err(|e| record_error(e.into()))?;
    LifecycleRecords::new(who.sup.db().clone())
        .unfittable(&who.actor, filing, who.sup.now())
        .await
        .map_err(record_error)?;
    lifecycle_after(&who, mine).await
}

/// The body of a patrol record (L3); the patrolling unit is the caller's.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatrolRequest {
    /// The CST day of the patrol.
    pub date: NaiveDate,
    /// What was found (巡查情况).
    pub findings: String,
}

/// Records a patrol of a mine that cannot be fitted (L3). An inspector or higher of a unit
/// covering the mine.
#[utoipa::path(
    post, path = "/api/v1/mines/{mine}/lifecycle/patrols", tag = "supervision",
    params(("mine" = String, Path, description = "12-digit mine code", pattern = "^[0-9]{12}$")),
    request_body(content = PatrolRequest, content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Recorded; the lifecycle after it", body = MineLifecycle),
        (status = 401, description = "No, unknown or expired session token", body = ErrorBody),
        (status = 403, description = "Outside the jurisdiction, or a viewer", body = ErrorBody),
        (status = 422, description = "A member is malformed or empty (named)", body = ErrorBody),
        (status = 503, description = "Supervision is not enabled", body = ErrorBody),
    )
)]
pub(in crate::http) async fn post_patrol(
    who: Regulator,
    mine: Result<Path<String>, PathRejection>,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<(StatusCode, Json<MineLifecycle>), ApiError> {
    let mine = mine_path(&who, mine)?;
    let req: PatrolRequest = json_body(body, "L3")?;
    let record = PatrolRecord::new(mine, req.date, who.unit.clone(), &req.findings)
        .map_err(|e| record_error(e.into()))?;
    LifecycleRecords::new(who.sup.db().clone())
        .patrol(&who.actor, record, who.sup.now())
        .await
        .map_err(record_error)?;
    lifecycle_after(&who, mine).await
}

/// Overdue patrols of a unit's unfittable mines on a day (L3).
#[derive(Debug, Serialize, ToSchema)]
pub struct OverduePatrols {
    /// The unit asked for.
    pub unit: UnitCode,
    /// The CST day.
    pub date: NaiveDate,
    /// One per filed mine whose patrol is overdue, by mine.
    pub overdue: Vec<OverduePatrol>,
}

/// The unfittable mines of a unit whose periodic patrol is overdue on a day (L3).
#[utoipa::path(
    get, path = "/api/v1/lifecycle/overdue-patrols", tag = "supervision",
    params(UnitDayQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The overdue patrols", body = OverduePatrols),
        (status = 400, description = "A malformed unit or date (named)", body = ErrorBody),
        (status = 401, description = "No, unknown or expired session token", body = ErrorBody),
        (status = 403, description = "The unit is outside the caller's jurisdiction", body = ErrorBody),
        (status = 503, description = "Supervision is not enabled", body = ErrorBody),
    )
)]
pub(in crate::http) async fn get_overdue_patrols(
    who: Regulator,
    q: Result<Query<UnitDayQuery>, QueryRejection>,
) -> Result<Json<OverduePatrols>, ApiError> {
    let Query(q) = q?;
    let unit = who.unit("unit", q.unit.as_deref())?;
    let date = parse_date("date", q.date.as_deref())?.unwrap_or_else(|| who.today());
    let overdue = LifecycleRecords::new(who.sup.db().clone())
        .overdue(&who.actor, unit.clone(), date)
        .await
        .map_err(error)?;
    Ok(Json(OverduePatrols {
        unit,
        date,
        overdue,
    }))
}

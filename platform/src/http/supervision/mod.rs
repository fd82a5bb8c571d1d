//! The regulators' API (issue 6): login sessions, the alarm desk (P3–P5), the live feed (P14),
//! mine configuration and lifecycle (P9, P10, L1–L3), statistics and reports (P2, P7, P12), the
//! network status (P2, P8), units, users and the audit log.
//!
//! Key design decision: **every route takes a [`Regulator`] and every unit or mine it names
//! goes through [`Regulator::unit`] / [`Regulator::mine`] before anything is read.** The
//! extractor turns `Authorization: Bearer <session token>` into the [`Actor`] with the user's
//! unit and role *as they are now* ([`crate::supervision::users::Users::authenticate`], at the
//! supervision clock's time, so certification runs on a virtual clock see sessions expire on
//! that clock); the two parameter helpers parse a code and refuse one outside the caller's
//! jurisdiction with a 403 that names the parameter and the unit. The library below applies the
//! same rules again (the workflow's own refusals, `require_reader`), so a forgotten check is
//! caught twice, never silently passed. Mine tokens and the administrator token of the read API
//! are not sessions and are refused here (401, saying which kind of token it was).
//!
//! Errors follow the house shape (`{"error": {"code", "message", "field", "clause"}}`),
//! messages in Chinese with the English in parentheses. When the platform runs without
//! supervision (an [`AppState`] without [`AppState::with_supervision`]), every route answers
//! 503.

pub(super) mod alarms;
pub(super) mod mines;
pub(super) mod network;
pub(super) mod reports;

pub(super) mod session;
pub(super) mod users;

use axum::Json;
use axum::body::Body;
use axum::extract::FromRequestParts;
use axum::extract::rejection::JsonRejection;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use eseal_protocol::MineCode;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::AppState;
use super::auth::{bearer, token_digest};
use super::error::ApiError;
use super::record::from_json;
use crate::error::Error;
use crate::supervision::desk::DeskError;
use crate::supervision::export::{Table, tables_csv, tables_xlsx};
use crate::supervision::service::Supervision;
use crate::supervision::stats::{Period, cst_date};
use crate::supervision::users::AuthError;
use crate::supervision::{Actor, Role, UnitCode, UnitLevel};

/// Longest period a statistics query may span, in CST days (a year and a day: a leap year).
pub(super) const MAX_PERIOD_DAYS: i64 = 366;

/// Longest period of the per-mine-per-day table (P7), in CST days.
pub(super) const MAX_DAILY_DAYS: i64 = 62;

impl AppState {
    /// The supervision service, or 503 when the platform runs without it.
    pub(crate) fn supervision(&self) -> Result<&Supervision, ApiError> {
        self.supervision.as_ref().ok_or_else(|| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "supervision_unavailable",
                "监管功能未启用 (supervision is not enabled on this platform: the regulators' routes \
                 are unavailable; the ingest and read API are not affected)",
            )
        })
    }
}

/// An authenticated regulator: the session's user as an [`Actor`], the token itself (for
/// logout) and the supervision service.
#[derive(Debug, Clone)]
pub(crate) struct Regulator {
    /// Who is calling, with the unit and role the user has now.
    pub actor: Actor,
    /// The user's unit (the jurisdiction is what it covers).
    pub unit: UnitCode,
    /// The user's role.
    pub role: Role,
    /// The session token as sent.
    pub token: String,
    /// The supervision service.
    pub sup: Supervision,
}

impl FromRequestParts<AppState> for Regulator {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let sup = state.supervision()?.clone();
        let token = bearer(&parts.headers)?.to_owned();
        match sup.users().authenticate(&token, sup.now()).await {
            Ok(actor) => match &actor {
                Actor::User { unit, role, .. } => Ok(Regulator {
                    unit: unit.clone(),
                    role: *role,
                    actor,
                    token,
                    sup,
                }),
                Actor::System => Err(ApiError::internal(
                    "a session authenticated as the platform itself",
                )),
            },
            Err(Error::Auth(AuthError::UnknownToken)) => Err(unknown_token(state, &token).await),
            Err(Error::Auth(e)) => Err(auth_error(&e)),
            Err(e) => Err(ApiError::internal(e)),
        }
    }
}

/// The 401 of a token that is no session: says when it is a mine's or the administrator's.
async fn unknown_token(state: &AppState, token: &str) -> ApiError {
    let admin = state
        .admin_token_sha256
        .is_some_and(|d| d == token_digest(token));
    let mine = if admin {
        None
    } else {
        match state.accounts.verify_token(token).await {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(error = %e, "could not check whether a refused token is a mine's");
                None
            }
        }
    };
    let what = match (admin, mine) {
        (true, _) => {
            "这是读取接口的管理员令牌，监管接口不接受 (this is the read API's administrator \
                      token; the regulators' routes need a session token)"
                .to_owned()
        }
        (false, Some(a)) => format!(
            "这是矿山 {} 的上传令牌，监管接口不接受 (this is the upload token of mine {}, U7; the \
             regulators' routes need a session token)",
            a.mine.as_str(),
            a.mine.as_str()
        ),
        (false, None) => "会话令牌无效 (unknown session token)".to_owned(),
    };
    ApiError::unauthorized(format!(
        "Authorization: {what}; 请先登录 (log in with POST /api/v1/session)"
    ))
}

/// The 401 of a refused session.
fn auth_error(e: &AuthError) -> ApiError {
    let zh = match e {
        AuthError::BadCredentials => "用户名或密码错误",
        AuthError::Disabled { .. } => "账号已停用",
        AuthError::UnknownToken => "会话令牌无效",
        AuthError::Expired { .. } => "会话已过期，请重新登录",
        AuthError::Revoked { .. } => "会话已注销，请重新登录",
        AuthError::Throttled { .. } => "登录失败次数过多，请稍后再试",
    };
    ApiError::unauthorized(format!("Authorization: {zh} ({e})"))
}

/// Refuses outside the jurisdiction: 403 naming the parameter and both units.
fn outside(field: &str, own: &UnitCode, asked: &str) -> ApiError {
    ApiError::forbidden(format!(
        "{field}: 无权访问 {asked}，不在本单位 {own} 管辖范围内 ({asked} is outside the jurisdiction \
         of unit {own}, R1)"
    ))
    .field(field)
    .clause("R1")
}

impl Regulator {
    /// The unit named by parameter `field` (default: the caller's own), parsed and inside the
    /// caller's jurisdiction.
    pub(super) fn unit(&self, field: &str, value: Option<&str>) -> Result<UnitCode, ApiError> {
        let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
            return Ok(self.unit.clone());
        };
        let unit = UnitCode::parse(v).map_err(|e| {
            ApiError::bad_request("invalid_unit", format!("{field}: 不是单位编码 ({e})"))
                .field(field)
                .clause("R1")
        })?;
        if !self.unit.covers(&unit) {
            return Err(outside(field, &self.unit, unit.as_str()));
        }
        Ok(unit)
    }

    /// The mine named by parameter `field`, parsed and inside the caller's jurisdiction.
    pub(super) fn mine(&self, field: &str, value: &str) -> Result<MineCode, ApiError> {
        let mine = parse_mine(field, value)?;
        if !self.unit.covers_mine(&mine) {
            return Err(outside(field, &self.unit, mine.as_str()));
        }
        Ok(mine)
    }

    /// The CST day now, by the supervision clock.
    pub(super) fn today(&self) -> NaiveDate {
        cst_date(self.sup.now())
    }

    /// The unit (`unit`, default the caller's; R1) and the period (`from`/`to`, at most
    /// [`MAX_PERIOD_DAYS`]) a statistics query asks for.
    pub(super) fn unit_and_period(
        &self,
        unit: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<(UnitCode, Period), ApiError> {
        let unit = self.unit("unit", unit)?;
        let p = period(self.today(), from, to, MAX_PERIOD_DAYS)?;
        Ok((unit, p))
    }

    /// Refuses unless the caller is an admin (P9, P10, user management).
    pub(super) fn require_admin(&self, doing: &str, clause: &str) -> Result<(), ApiError> {
        if self.role == Role::Admin && self.unit.level() < UnitLevel::Mine {
            return Ok(());
        }
        Err(ApiError::forbidden(format!(
            "{doing}需要管理员角色，当前为{} ({doing}: only an admin may; {} is {:?} of {}, {clause})",
            self.role.zh(),
            self.actor.name(),
            self.role,
            self.unit
        ))
        .clause(clause))
    }
}

/// A 12-digit mine code, or a 400 naming `field`.
pub(super) fn parse_mine(field: &str, value: &str) -> Result<MineCode, ApiError> {
    MineCode::parse(value.trim()).map_err(|e| {
        ApiError::bad_request("invalid_mine", format!("{field}: 不是矿山编码 ({e})"))
            .field(field)
            .clause("R1")
    })
}

/// A CST calendar day `YYYY-MM-DD`, or a 400 naming `field`.
pub(super) fn parse_date(field: &str, value: Option<&str>) -> Result<Option<NaiveDate>, ApiError> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .ok()
        .filter(|_| v.len() == 10)
        .map(Some)
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid_query",
                format!(
                    "{field}: 日期格式应为 YYYY-MM-DD (expected a China Standard Time day YYYY-MM-DD, found {v:?})"
                ),
            )
            .field(field)
        })
}

/// The period of `from` ..= `to` (CST days; each defaults to the other, both to today), at
/// most `max_days` long.
pub(super) fn period(
    today: NaiveDate,
    from: Option<&str>,
    to: Option<&str>,
    max_days: i64,
) -> Result<Period, ApiError> {
    let (from_d, to_d) = (parse_date("from", from)?, parse_date("to", to)?);
    let (first, last) = match (from_d, to_d) {
        (Some(a), Some(b)) => (a, b),
        (Some(a), None) => (a, a.max(today)),
        (None, Some(b)) => (b, b),
        (None, None) => (today, today),
    };
    if last < first {
        return Err(ApiError::bad_request(
            "invalid_query",
            format!(
                "to: 结束日期早于开始日期 (expected a day on or after from {first}, found {last})"
            ),
        )
        .field("to"));
    }
    let days = (last - first).num_days() + 1;
    if days > max_days {
        return Err(ApiError::bad_request(
            "invalid_query",
            format!(
                "to: 统计周期过长 (expected at most {max_days} days from {first}, found {days} days)"
            ),
        )
        .field("to"));
    }
    Period::days(first, last).map_err(|e| error(e).field("to"))
}

/// Maps a platform error of a supervision call: invalid input 422, forbidden 403, not found
/// 404, conflict 409, refused session 401; anything else is an internal error (logged, 500).
pub(super) fn error(e: Error) -> ApiError {
    match e {
        Error::Invalid {
            field,
            expected,
            found,
        } => ApiError::unprocessable(
            "invalid_input",
            format!("{field}: 格式不正确 (expected {expected}, found {found})"),
        )
        .field(field),
        Error::Forbidden(m) => ApiError::forbidden(format!("无权操作 (forbidden: {m})")),
        Error::NotFound(m) => ApiError::not_found(format!("不存在 (not found: {m})")),
        Error::Conflict(m) => ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            format!("已存在 (conflict: {m})"),
        ),
        Error::Auth(a) => auth_error(&a),
        other => ApiError::internal(other),
    }
}

/// Maps a desk error: the workflow's refusal keeps its status and clause.
pub(super) fn desk_error(e: DeskError) -> ApiError {
    match e {
        DeskError::Refused(r) => r.into(),
        DeskError::NoAlarm(id) => {
            ApiError::not_found(format!("id: 报警 {id} 不存在 (no alarm {id})")).field("id")
        }
        DeskError::Store(e) => error(e),
        other => ApiError::internal(other),
    }
}

/// Reads a JSON body into `T`, naming the offending member (400 when not JSON, 422 when a
/// member is wrong).
pub(super) fn json_body<T: DeserializeOwned>(
    body: Result<Json<serde_json::Value>, JsonRejection>,
    clause: &str,
) -> Result<T, ApiError> {
    let Json(value) = body.map_err(|rej| {
        ApiError::new(
            rej.status(),
            "invalid_json",
            format!("body: 请求体不是 JSON ({})", rej.body_text()),
        )
        .field("body")
        .clause(clause)
    })?;
    from_json(value).map_err(|(field, message)| {
        ApiError::unprocessable("invalid_body", message)
            .field(field)
            .clause(clause)
    })
}

/// The export format of a table-shaped answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Format {
    /// `application/json` (default).
    Json,
    /// UTF-8 CSV with a byte-order mark ([`crate::supervision::export`]).
    Csv,
    /// An Excel workbook.
    Xlsx,
}

impl Format {
    /// Parses `format=json|csv|xlsx` (default json), or a 400 naming `format`.
    pub(super) fn parse(value: Option<&str>) -> Result<Format, ApiError> {
        match value.map(str::trim) {
            None | Some("" | "json") => Ok(Format::Json),
            Some("csv") => Ok(Format::Csv),
            Some("xlsx") => Ok(Format::Xlsx),
            Some(other) => Err(ApiError::bad_request(
                "invalid_query",
                format!("format: 不支持的导出格式 (expected json, csv or xlsx, found {other:?})"),
            )
            .field("format")),
        }
    }
}

/// Media type of an XLSX workbook.
pub(super) const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Answers `json` as JSON, or the tables as a CSV / XLSX attachment named `<stem>.csv|xlsx`.
/// `title` heads a CSV of several tables.
pub(super) fn export(
    format: Format,
    json: &impl Serialize,
    title: &str,
    tables: impl FnOnce() -> Vec<Table>,
    stem: &str,
) -> Result<Response, ApiError> {
    let bytes = match format {
        Format::Json => {
            let body = serde_json::to_vec(json).map_err(ApiError::internal)?;
            return Ok((
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                )],
                body,
            )
                .into_response());
        }
        Format::Csv => match tables().as_slice() {
            [one] => crate::supervision::export::table_csv(one),
            many => tables_csv(title, many),
        }
        .map_err(ApiError::internal)?,
        Format::Xlsx => tables_xlsx(&tables()).map_err(ApiError::internal)?,
    };
    Ok(attachment(bytes, format, stem))
}

/// `bytes` of a CSV or XLSX export as an attachment named `<stem>.csv|xlsx`, with its media
/// type.
pub(super) fn attachment(bytes: Vec<u8>, format: Format, stem: &str) -> Response {
    let (media, ext) = match format {
        Format::Xlsx => (XLSX, "xlsx"),
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
        Format::Json => ("application/json", "json"),
    };
    let mut resp = Body::from(bytes).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{stem}.{ext}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    resp
}

/// A file-name stem of ASCII letters, digits, `-` and `_` only (codes and dates are).
/// The file stem of an export over a period: `what_unit_first_last`.
pub(super) fn period_stem(what: &str, unit: &UnitCode, p: &Period) -> String {
    stem(&[
        what,
        unit.as_str(),
        &p.first_day().to_string(),
        &p.last_day().to_string(),
    ])
}

pub(super) fn stem(parts: &[&str]) -> String {
    parts
        .iter()
        .map(|p| {
            p.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect(s)
    }

    #[test]
    fn periods_default_to_today_and_name_the_bad_parameter() {
        let today = day("2026-11-28");
        let p = period(today, None, None, 31).expect("today");
        assert_eq!((p.first_day(), p.last_day()), (today, today));
        let p = period(today, Some("2026-11-01"), None, 31).expect("from only");
        assert_eq!((p.first_day(), p.last_day()), (day("2026-11-01"), today));
        let p = period(today, Some("2026-11-01"), Some("2026-11-07"), 31).expect("both");
        assert_eq!(p.label(), "2026-11-01至2026-11-07");
        for (from, to, field) in [
            (Some("2026-11-1"), None, "from"),
            (Some("yesterday"), None, "from"),
            (None, Some("2026-13-01"), "to"),
            (Some("2026-11-07"), Some("2026-11-01"), "to"),
            (Some("2026-01-01"), Some("2026-11-01"), "to"),
        ] {
            let e = period(today, from, to, 31).expect_err("bad period");
            assert_eq!(e.status, StatusCode::BAD_REQUEST, "{from:?} {to:?}");
            assert_eq!(
                e.detail.field.as_deref(),
                Some(field),
                "{}",
                e.detail.message
            );
        }
    }

    #[test]
    fn formats_and_stems() {
        assert_eq!(Format::parse(None).ok(), Some(Format::Json));
        assert_eq!(Format::parse(Some("xlsx")).ok(), Some(Format::Xlsx));
        let e = Format::parse(Some("pdf")).expect_err("pdf");
        assert_eq!(e.detail.field.as_deref(), Some("format"));
        assert_eq!(
            stem(&["report", "weekly", "140421", "2026-11-23"]),
            "report-weekly-140421-2026-11-23"
        );
        assert_eq!(stem(&["a\"b/c"]), "a_b_c");
    }

    #[test]
    fn platform_errors_keep_their_meaning() {
        let e = error(Error::invalid(
            "password",
            "8 characters or more",
            "3 characters",
        ));
        assert_eq!(
            (e.status, e.detail.field.as_deref()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("password"))
        );
        assert_eq!(
            error(Error::Forbidden("x".into())).status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            error(Error::NotFound("x".into())).status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            error(Error::Conflict("x".into())).status,
            StatusCode::CONFLICT
        );
        assert!(
            !error(Error::Internal("secret".into()))
                .detail
                .message
                .contains("secret"),
            "internal details never leave the process"
        );
    }
}

//! Read endpoints: events, violations, evidence blobs. Every one needs a bearer token; a mine
//! token sees only its own mine (403 otherwise), the administrator token sees all.

use axum::Json;
use axum::body::Body;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use eseal_protocol::{CameraCode, MineCode};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::auth::{Principal, authenticate};
use super::error::{ApiError, ErrorBody};
use crate::query::{self, EventFilter, EventRow, ViolationFilter, ViolationRow};

/// Filters of `GET /api/v1/events`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// 12-digit mine code. A mine token may name only its own mine, and defaults to it.
    #[param(pattern = "^[0-9]{12}$")]
    pub mine: Option<String>,
    /// 2-digit camera code (U1–U4 events).
    #[param(pattern = "^[1-3][0-9]$")]
    pub camera: Option<String>,
    /// Analysis type `01`–`05` (U1–U4), or clause `U1`–`U5`.
    #[serde(rename = "type")]
    #[param(rename = "type", pattern = "^(0[1-5]|U[1-5])$")]
    pub kind: Option<String>,
    /// Event time (from the name) at or after: RFC 3339, or `yyyyMMddHHmmss` China Standard
    /// Time (R2).
    pub from: Option<String>,
    /// Event time strictly before (same forms as `from`).
    pub to: Option<String>,
    /// Page size, 1–1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Only rows with a greater id (same as `cursor`).
    pub after_id: Option<i64>,
}

/// Filters of `GET /api/v1/violations`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ViolationQuery {
    /// 12-digit mine code (the account's mine). A mine token may name only its own mine.
    #[param(pattern = "^[0-9]{12}$")]
    pub mine: Option<String>,
    /// Violation kind: `name`, `mine_mismatch`, `content`, `conflict`, `metadata`,
    /// `too_large`, `aborted`, `auth`, `request`.
    pub kind: Option<String>,
    /// Clause `U1`–`U8` (or `R1`…).
    pub clause: Option<String>,
    /// `ftp` or `https`.
    pub channel: Option<String>,
    /// Received at or after: RFC 3339 or `yyyyMMddHHmmss` CST.
    pub from: Option<String>,
    /// Received strictly before.
    pub to: Option<String>,
    /// Page size, 1–1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Only rows with a greater id (same as `cursor`).
    pub after_id: Option<i64>,
}

/// One page of events.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventPage {
    /// Oldest first (by id).
    pub items: Vec<EventRow>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// One page of violations.
#[derive(Debug, Serialize, ToSchema)]
pub struct ViolationPage {
    /// Oldest first (by id).
    pub items: Vec<ViolationRow>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

fn time_param(field: &str, value: Option<&str>) -> Result<Option<DateTime<Utc>>, ApiError> {
    value
        .map(|v| {
            query::parse_time_filter(v).ok_or_else(|| {
                ApiError::bad_request(
                    "invalid_query",
                    format!("{field}: expected RFC 3339 or yyyyMMddHHmmss (CST), found {v:?}"),
                )
                .field(field)
            })
        })
        .transpose()
}

fn limit_param(limit: Option<u32>) -> Result<u32, ApiError> {
    match limit {
        None => Ok(query::DEFAULT_LIMIT),
        Some(n) if (1..=query::MAX_LIMIT).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::bad_request(
            "invalid_query",
            format!("limit: expected 1..={}, found {n}", query::MAX_LIMIT),
        )
        .field("limit")),
    }
}

fn cursor_param(cursor: Option<&str>, after_id: Option<i64>) -> Result<Option<i64>, ApiError> {
    let cursor = cursor
        .map(|c| {
            c.parse::<i64>().map_err(|_| {
                ApiError::bad_request(
                    "invalid_query",
                    format!("cursor: expected a next_cursor value, found {c:?}"),
                )
                .field("cursor")
            })
        })
        .transpose()?;
    Ok(match (cursor, after_id) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    })
}

fn mine_param(mine: Option<&str>) -> Result<Option<&str>, ApiError> {
    if let Some(m) = mine {
        MineCode::parse(m).map_err(|e| {
            ApiError::bad_request("invalid_query", format!("mine: {e}"))
                .field("mine")
                .clause(e.clause)
        })?;
    }
    Ok(mine)
}

fn next_cursor(
    ids: impl DoubleEndedIterator<Item = i64>,
    len: usize,
    limit: u32,
) -> Option<String> {
    (len == limit as usize)
        .then(|| ids.last().map(|id| id.to_string()))
        .flatten()
}

/// Events (accepted uploads U1–U5) with every field parsed from the name, the evidence
/// digest and facts, the findings, `received_at` and channel.
#[utoipa::path(
    get, path = "/api/v1/events", tag = "read",
    params(EventQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of events", body = EventPage),
        (status = 400, description = "A malformed filter (the parameter is named)", body = ErrorBody),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "A mine token asked for another mine", body = ErrorBody),
    )
)]
pub(super) async fn list_events(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Result<Query<EventQuery>, QueryRejection>,
) -> Result<Json<EventPage>, ApiError> {
    let principal = authenticate(&state, &headers).await?;
    let Query(q) = q?;
    let mine = principal.read_scope(mine_param(q.mine.as_deref())?, "mine")?;
    if let Some(c) = &q.camera {
        CameraCode::parse(c).map_err(|e| {
            ApiError::bad_request("invalid_query", format!("camera: {e}"))
                .field("camera")
                .clause(e.clause)
        })?;
    }
    let (clause, analysis_type) = match q.kind.as_deref() {
        None => (None, None),
        Some(t @ ("01" | "02" | "03" | "04" | "05")) => (None, Some(t.to_owned())),
        Some(t @ ("U1" | "U2" | "U3" | "U4" | "U5")) => (Some(t.to_owned()), None),
        Some(t) => {
            return Err(ApiError::bad_request(
                "invalid_query",
                format!("type: expected an analysis type 01-05 or a clause U1-U5, found {t:?}"),
            )
            .field("type"));
        }
    };
    let limit = limit_param(q.limit)?;
    let filter = EventFilter {
        mine,
        camera: q.camera,
        clause,
        analysis_type,
        from: time_param("from", q.from.as_deref())?,
        to: time_param("to", q.to.as_deref())?,
        after_id: cursor_param(q.cursor.as_deref(), q.after_id)?,
        limit,
    };
    let items = state
        .store
        .read(move |c| query::list_events(c, &filter))
        .await?;
    let next_cursor = next_cursor(items.iter().map(|e| e.id), items.len(), limit);
    Ok(Json(EventPage { items, next_cursor }))
}

/// The `{id}` path segment, or a 400 naming `id`.
fn id_param(id: Result<Path<i64>, PathRejection>) -> Result<i64, ApiError> {
    id.map(|Path(id)| id).map_err(|e| {
        ApiError::bad_request("invalid_path", format!("id: {}", e.body_text())).field("id")
    })
}

/// One event by id.
#[utoipa::path(
    get, path = "/api/v1/events/{id}", tag = "read",
    params(("id" = i64, Path, description = "Event id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The event", body = EventRow),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "The event belongs to another mine", body = ErrorBody),
        (status = 404, description = "No such event", body = ErrorBody),
    )
)]
pub(super) async fn get_event(
    State(state): State<AppState>,
    headers: HeaderMap,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<EventRow>, ApiError> {
    let principal = authenticate(&state, &headers).await?;
    let id = id_param(id)?;
    let row = state
        .store
        .read(move |c| query::get_event(c, id))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("id: no event {id}")).field("id"))?;
    principal.read_scope(Some(&row.mine), "mine")?;
    Ok(Json(row))
}

/// Refused uploads and requests, with the reason (nothing is silently dropped).
#[utoipa::path(
    get, path = "/api/v1/violations", tag = "read",
    params(ViolationQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of violations", body = ViolationPage),
        (status = 400, description = "A malformed filter (the parameter is named)", body = ErrorBody),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "A mine token asked for another mine", body = ErrorBody),
    )
)]
pub(super) async fn list_violations(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Result<Query<ViolationQuery>, QueryRejection>,
) -> Result<Json<ViolationPage>, ApiError> {
    let principal = authenticate(&state, &headers).await?;
    let Query(q) = q?;
    let mine = principal.read_scope(mine_param(q.mine.as_deref())?, "mine")?;
    let limit = limit_param(q.limit)?;
    let filter = ViolationFilter {
        mine,
        kind: q.kind,
        clause: q.clause,
        channel: q.channel,
        from: time_param("from", q.from.as_deref())?,
        to: time_param("to", q.to.as_deref())?,
        after_id: cursor_param(q.cursor.as_deref(), q.after_id)?,
        limit,
    };
    let items = state
        .store
        .read(move |c| query::list_violations(c, &filter))
        .await?;
    let next_cursor = next_cursor(items.iter().map(|e| e.id), items.len(), limit);
    Ok(Json(ViolationPage { items, next_cursor }))
}

/// One violation by id.
#[utoipa::path(
    get, path = "/api/v1/violations/{id}", tag = "read",
    params(("id" = i64, Path, description = "Violation id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The violation", body = ViolationRow),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "The violation belongs to another mine", body = ErrorBody),
        (status = 404, description = "No such violation", body = ErrorBody),
    )
)]
pub(super) async fn get_violation(
    State(state): State<AppState>,
    headers: HeaderMap,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<ViolationRow>, ApiError> {
    let principal = authenticate(&state, &headers).await?;
    let id = id_param(id)?;
    let row = state
        .store
        .read(move |c| query::get_violation(c, id))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("id: no violation {id}")).field("id"))?;
    if let Principal::Mine(a) = &principal
        && row.mine.as_deref() != Some(a.mine.as_str())
    {
        return Err(ApiError::forbidden(format!(
            "id: violation {id} does not belong to mine {}",
            a.mine.as_str()
        ))
        .field("id"));
    }
    Ok(Json(row))
}

/// The evidence file (JPEG or MP4) with this SHA-256, streamed with its media type. A mine
/// token may read evidence of its own mine's events only.
#[utoipa::path(
    get, path = "/api/v1/evidence/{sha256}", tag = "read",
    params(("sha256" = String, Path, description = "SHA-256 of the file, lower-case hex",
        pattern = "^[0-9a-f]{64}$")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The file", content(
            ("image/jpeg"),
            ("video/mp4"),
        )),
        (status = 400, description = "Not a SHA-256 hex digest", body = ErrorBody),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "Evidence of another mine", body = ErrorBody),
        (status = 404, description = "No such evidence", body = ErrorBody),
    )
)]
pub(super) async fn get_evidence(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(sha256): Path<String>,
) -> Result<Response, ApiError> {
    let principal = authenticate(&state, &headers).await?;
    let path = state.evidence.path_of(&sha256).ok_or_else(|| {
        ApiError::bad_request(
            "invalid_path",
            format!("sha256: expected 64 lower-case hex digits, found {sha256:?}"),
        )
        .field("sha256")
    })?;
    let mine = principal.mine_account().map(|a| a.mine.as_str().to_owned());
    let sha = sha256.clone();
    let (info, visible) = state
        .store
        .read(move |c| {
            let info = query::evidence_info(c, &sha)?;
            let visible = match &mine {
                None => true,
                Some(m) => query::evidence_belongs_to(c, &sha, m)?,
            };
            Ok((info, visible))
        })
        .await?;
    let info = info.ok_or_else(|| {
        ApiError::not_found(format!("sha256: no evidence {sha256}")).field("sha256")
    })?;
    if !visible {
        return Err(ApiError::forbidden("sha256: evidence of another mine").field("sha256"));
    }
    let file = tokio::fs::File::open(&path).await.map_err(|e| {
        ApiError::internal(format!(
            "evidence {sha256} is in the database but not readable at {}: {e}",
            path.display()
        ))
    })?;
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(file));
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    let media = HeaderValue::from_str(&info.media_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    h.insert(header::CONTENT_TYPE, media);
    if let Ok(len) = HeaderValue::from_str(&info.size.to_string()) {
        h.insert(header::CONTENT_LENGTH, len);
    }
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{sha256}\"")) {
        h.insert(header::ETAG, etag);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=31536000, immutable"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(resp)
}

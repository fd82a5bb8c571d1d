//! The alarm desk over HTTP (P3–P5, P14): the jurisdiction's alarms, one alarm with its steps
//! and what the caller may do next, the workflow's actions, the handling photos they name, and
//! the live feed.
//!
//! Who may do what is decided by the workflow alone ([`crate::supervision::workflow::permit`]);
//! its refusals keep their status (403 who may not, 409 wrong state, 422 bad details) and clause.
//! This module adds only what HTTP needs: parameter parsing, `auto_supervise` refused as input
//! (the platform alone records it, P4), and the check that a handling names photos that were
//! uploaded (P5).

use std::convert::Infallible;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use futures::Stream;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{Regulator, desk_error, error, json_body};
use crate::error::Error;
use crate::http::AppState;
use crate::http::error::{ApiError, ErrorBody};
use crate::query::EventRow;
use crate::supervision::desk::AlarmFilter;
use crate::supervision::photos::{self, HandlingPhoto, PhotoError};
use crate::supervision::push::{self, Notice};
use crate::supervision::workflow::{Action, ActionKind, AlarmView, Step};
use crate::supervision::{AlarmKind, AlarmState, Role};

/// Filters of `GET /api/v1/alarms` (P3). Every one narrows.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AlarmQuery {
    /// 12-digit mine code inside the caller's jurisdiction.
    #[param(pattern = "^[0-9]{12}$", example = "140421007866")]
    pub mine: Option<String>,
    /// `pushed` (待签收), `acknowledged` (已签收), `handled` (已处置) or `closed` (已办结).
    pub state: Option<String>,
    /// Alarm type: `people_over_limit`, `trucks_over_limit`, `transport_running`,
    /// `camera_occluded`, `camera_moved`, `lock_tampered`, `mine_offline`.
    pub kind: Option<String>,
    /// At most this many, newest first: 1–1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<String>,
}

/// The alarms of the caller's jurisdiction, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlarmList {
    /// Each with its steps, supervisions and what the caller may do now.
    pub alarms: Vec<AlarmView>,
}

/// The result of an action: the step recorded and the alarm after it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionDone {
    /// The step as recorded (and pushed on the feed).
    pub step: Step,
    /// The alarm after the step, as the caller sees it.
    pub alarm: AlarmView,
}

fn bad_query(field: &str, message: String) -> ApiError {
    ApiError::bad_request("invalid_query", message).field(field)
}

fn parse_state(s: &str) -> Result<AlarmState, ApiError> {
    [
        AlarmState::Pushed,
        AlarmState::Acknowledged,
        AlarmState::Handled,
        AlarmState::Closed,
    ]
    .into_iter()
    .find(|st| st.id() == s)
    .ok_or_else(|| {
        bad_query(
            "state",
            format!(
                "state: 不是报警状态 (expected pushed, acknowledged, handled or closed, found {s:?})"
            ),
        )
        .clause("P5")
    })
}

fn parse_kind(s: &str) -> Result<AlarmKind, ApiError> {
    AlarmKind::from_id(s).ok_or_else(|| {
        let ids: Vec<&str> = AlarmKind::ALL.iter().map(|k| k.id()).collect();
        bad_query(
            "kind",
            format!(
                "kind: 不是报警类型 (expected one of {}, found {s:?})",
                ids.join(", ")
            ),
        )
        .clause("P3")
    })
}

fn parse_limit(s: &str) -> Result<u32, ApiError> {
    s.trim()
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=1000).contains(n))
        .ok_or_else(|| {
            bad_query(
                "limit",
                format!("limit: 条数应为 1–1000 (expected 1..=1000, found {s:?})"),
            )
        })
}

/// The `{id}` of an alarm route, or a 400 naming `id`.
fn alarm_id(id: Result<Path<i64>, PathRejection>) -> Result<i64, ApiError> {
    id.map(|Path(id)| id).map_err(|e| {
        ApiError::bad_request(
            "invalid_path",
            format!("id: 报警编号应为整数 ({})", e.body_text()),
        )
        .field("id")
    })
}

/// The alarms of the caller's jurisdiction, newest first, with evidence references, steps,
/// supervisions and the actions the caller may do (P3). A mine outside the jurisdiction is a
/// 403 naming it; alarms of other units are never listed.
#[utoipa::path(
    get, path = "/api/v1/alarms", tag = "supervision",
    params(AlarmQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The alarms", body = AlarmList),
        (status = 400, description = "A malformed filter (the parameter is named)", body = ErrorBody),
        (status = 401, description = "No, unknown or expired session token", body = ErrorBody),
        (status = 403, description = "`mine` is outside the caller's jurisdiction", body = ErrorBody),
        (status = 503, description = "Supervision is not enabled", body = ErrorBody),
    )
)]
pub(in crate::http) async fn list_alarms(
    who: Regulator,
    q: Result<Query<AlarmQuery>, QueryRejection>,
) -> Result<Json<AlarmList>, ApiError> {
    let Query(q) = q?;
    let filter = AlarmFilter {
        mine: q.mine.as_deref().map(|m| who.mine("mine", m)).transpose()?,
        state: q.state.as_deref().map(parse_state).transpose()?,
        kind: q.kind.as_deref().map(parse_kind).transpose()?,
        limit: q.limit.as_deref().map(parse_limit).transpose()?,
    };
    let alarms = who
        .sup
        .desk()
        .list(&who.actor, filter, who.sup.now())
        .await
        .map_err(desk_error)?;
    Ok(Json(AlarmList { alarms }))
}

/// One alarm: facts, state, deadlines, every step and supervision, the deadline missed now, and
/// the actions the caller may do (the UI's buttons).
#[utoipa::path(
    get, path = "/api/v1/alarms/{id}", tag = "supervision",
    params(("id" = i64, Path, description = "Alarm id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The alarm", body = AlarmView),
        (status = 400, description = "`id` is not an integer", body = ErrorBody),
        (status = 401, description = "No, unknown or expired session token", body = ErrorBody),
        (status = 403, description = "The alarm's mine is outside the caller's jurisdiction (R1)", body = ErrorBody),
        (status = 404, description = "No such alarm", body = ErrorBody),
        (status = 503, description = "Supervision is not enabled", body = ErrorBody),
    )
)]
pub(in crate::http) async fn get_alarm(
    who: Regulator,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<AlarmView>, ApiError> {
    let id = alarm_id(id)?;
    let view = who
        .sup
        .desk()
        .get(&who.actor, id, who.sup.now())
        .await
        .map_err(desk_error)?;
    Ok(Json(view))
}

/// Does an action on an alarm (P4, P5): the body is the action, tagged by `action`:
///
/// - `{"action": "acknowledge", "note": ""}` — 签收, a county inspector or higher, alarm pushed;
/// - `{"action": "handle", "result": "confirmed_violation" | "authorized_activity" |
///   "equipment_fault" | "false_alarm", "notes": "…", "photos": ["<sha256>"]}` — 处置, the
///   on-site result, a county inspector or higher, alarm acknowledged; each photo must have been
///   uploaded with `POST /api/v1/handling-photos` in the caller's jurisdiction;
/// - `{"action": "close", "remarks": ""}` — 办结, a county supervisor, alarm handled;
/// - `{"action": "supervise", "note": "…"}` — 人工督办, a city-level or higher supervisor,
///   alarm not closed.
///
/// `auto_supervise` is the platform's alone (P4) and refused as input. Every step is pushed on
/// the live feed of every unit covering the mine at once.
#[utoipa::path(
    post, path = "/api/v1/alarms/{id}/actions", tag = "supervision",
    params(("id" = i64, Path, description = "Alarm id")),
    request_body(content = Action, content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Done: the step and the alarm after it", body = ActionDone),
        (status = 400, description = "Body is not JSON, or `id` is not an integer", body = ErrorBody),
        (status = 401, description = "No, unknown or expired session token", body = ErrorBody),
        (status = 403, description = "Outside the jurisdiction (R1), wrong level or role too low (P4, P5)", body = ErrorBody),
        (status = 404, description = "No such alarm", body = ErrorBody),
        (status = 409, description = "Not allowed in the alarm's state, e.g. closing an alarm nobody handled (P5)", body = ErrorBody),
        (status = 422, description = "A detail is malformed or missing, a photo was not uploaded, or `auto_supervise` (named in `field`)", body = ErrorBody),
        (status = 503, description = "Supervision is not enabled", body = ErrorBody),
    )
)]
pub(in crate::http) async fn post_action(
    State(state): State<AppState>,
    who: Regulator,
    id: Result<Path<i64>, PathRejection>,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<Json<ActionDone>, ApiError> {
    let id = alarm_id(id)?;
    if let Ok(Json(v)) = &body
        && v.get("action").and_then(|a| a.as_str()) == Some(ActionKind::AutoSupervise.id())
    {
        return Err(ApiError::unprocessable(
            "invalid_body",
            "action: 自动督办只由平台记录，不能提交 (auto_supervise is recorded by the platform only; \
             users supervise with \"supervise\", P4)",
        )
        .field("action")
        .clause("P4"));
    }
    let action: Action = json_body(body, "P5")?;
    let desk = who.sup.desk();
    if let Action::Handle { photos, .. } = &action
        && !photos.is_empty()
    {
        // Photos are checked only for a handling the workflow would let through, so that a
        // caller who may not handle gets the workflow's refusal, not a photo error.
        let view = desk
            .get(&who.actor, id, who.sup.now())
            .await
            .map_err(desk_error)?;
        let well_formed = photos
            .iter()
            .all(|p| crate::evidence::digest_of(p).is_some());
        if view.allowed.contains(&ActionKind::Handle)
            && well_formed
            && let Some(i) = photos::first_unknown(&state.ingest, &who.actor, photos)
                .await
                .map_err(error)?
        {
            return Err(ApiError::unprocessable(
                "unknown_photo",
                format!(
                    "photos[{i}]: 处置照片未上传 (no handling photo {} was uploaded in the jurisdiction of {}; \
                     upload it first with POST /api/v1/handling-photos, P5)",
                    photos[i], who.unit
                ),
            )
            .field("photos")
            .clause("P5"));
        }
    }
    let step = desk
        .act(&who.actor, id, action, who.sup.now())
        .await
        .map_err(desk_error)?;
    tracing::info!(alarm = id, actor = %who.actor.name(), action = %step.action.kind(), "alarm step recorded");
    let alarm = desk
        .get(&who.actor, id, who.sup.now())
        .await
        .map_err(desk_error)?;
    Ok(Json(ActionDone { step, alarm }))
}

/// The evidence of an alarm (P3).
#[derive(Debug, Serialize, ToSchema)]
pub struct AlarmEvidence {
    /// The uploads that raised it, with every field of the name and the file's facts; fetch a
    /// file with `GET /api/v1/alarms/{id}/evidence/{sha256}`.
    pub evidence: Vec<EventRow>,
}

/// The evidence of an alarm (P3): the uploads (U1–U5) that raised it — name, fields, times,
/// the file's digest, media type and size. Empty for a mine found offline.
#[utoipa::path(
    get, path = "/api/v1/alarms/{id}/evidence", tag = "supervision",
    params(("id" = i64, Path, description = "Alarm id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The evidence", body = AlarmEvidence),
        (status = 400, description = "`id` is not an integer", body = ErrorBody),
        (status = 401, description = "No, unknown or expired session token", body = ErrorBody),
        (status = 403, description = "The alarm's mine is outside the caller's jurisdiction (R1)", body = ErrorBody),
        (status = 404, description = "No such alarm", body = ErrorBody),
        (status = 503, description = "Supervision is not enabled", body = ErrorBody),
    )
)]
pub(in crate::http) async fn get_alarm_evidence(
    who: Regulator,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<AlarmEvidence>, ApiError> {
    let id = alarm_id(id)?;
    let evidence = who
        .sup
        .desk()
        .evidence(&who.actor, id)
        .await
        .map_err(desk_error)?;
    Ok(Json(AlarmEvidence { evidence }))
}

/// One evidence file of an alarm (the JPEG or MP4 a mine uploaded, P3), for a reader who may
/// read the alarm.
#[utoipa::path(
    get, path = "/api/v1/alarms/{id}/evidence/{sha256}", tag = "supervision",
    params(
        ("id" = i64, Path, description = "Alarm id"),
        ("sha256" = String, Path, description = "SHA-256 of the file, lower-case hex", pattern = "^[0-9a-f]{64}$"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The file", content(("image/jpeg"), ("video/mp4"))),
        (status = 400, description = "A malformed id or digest", body = ErrorBody),
        (status = 401, description = "No, unknown or expired session token", body = ErrorBody),
        (status = 403, description = "The alarm's mine is outside the caller's jurisdiction (R1)", body = ErrorBody),
        (status = 404, description = "No such alarm, or the file is not its evidence", body = ErrorBody),
        (status = 503, description = "Supervision is not enabled", body = ErrorBody),
    )
)]
pub(in crate::http) async fn get_alarm_evidence_file(
    State(state): State<AppState>,
    who: Regulator,
    path: Result<Path<(i64, String)>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path((id, sha256)) = path.map_err(|e| {
        ApiError::bad_request("invalid_path", format!("id, sha256: {}", e.body_text()))
    })?;
    let file = state
        .evidence
        .path_of(&sha256)
        .ok_or_else(|| bad_digest(&sha256))?;
    let evidence = who
        .sup
        .desk()
        .evidence(&who.actor, id)
        .await
        .map_err(desk_error)?;
    let info = evidence
        .iter()
        .find(|e| e.sha256 == sha256)
        .and_then(|e| e.evidence.clone())
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "sha256: 不是报警 {id} 的证据 (no evidence {sha256} of alarm {id})"
            ))
            .field("sha256")
        })?;
    file_response(&file, &info.media_type, &sha256).await
}

fn bad_digest(sha256: &str) -> ApiError {
    ApiError::bad_request(
        "invalid_path",
        format!("sha256: 不是文件编号 (expected 64 lower-case hex digits, found {sha256:?})"),
    )
    .field("sha256")
}

/// The file at `path` as an immutable, content-addressed answer of type `media`.
async fn file_response(
    path: &std::path::Path,
    media: &str,
    sha256: &str,
) -> Result<Response, ApiError> {
    let bytes = tokio::fs::read(path).await.map_err(|e| {
        ApiError::internal(format!(
            "evidence {sha256} is recorded but not readable at {}: {e}",
            path.display()
        ))
    })?;
    let mut resp = Body::from(bytes).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(media)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
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

/// A handling photo as stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct PhotoStored {
    /// The photo; name its `sha256` in `photos` of a handling.
    #[serde(flatten)]
    pub photo: HandlingPhoto,
}

/// Uploads a photo of the on-site inspection (P5): the body is the JPEG itself
/// (`Content-Type: image/jpeg`), at most the platform's maximum upload size. It must be a
/// complete JPEG that decodes. Answers its SHA-256, which a handling names in `photos`.
/// Uploading the same bytes again is no error.
#[utoipa::path(
    post, path = "/api/v1/handling-photos", tag = "supervision",
    request_body(content = Vec<u8>, content_type = "image/jpeg", description = "The JPEG"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Stored", body = PhotoStored),
        (status = 401, description = "No, unknown or expired session token", body = ErrorBody),
        (status = 403, description = "A viewer (who does not handle alarms)", body = ErrorBody),
        (status = 413, description = "Larger than the maximum upload size", body = ErrorBody),
        (status = 415, description = "`Content-Type` is not image/jpeg", body = ErrorBody),
        (status = 422, description = "Not a complete, decodable JPEG", body = ErrorBody),
        (status = 503, description = "Supervision is not enabled", body = ErrorBody),
    )
)]
pub(in crate::http) async fn post_handling_photo(
    State(state): State<AppState>,
    who: Regulator,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<PhotoStored>), ApiError> {
    if who.role < Role::Inspector {
        return Err(ApiError::forbidden(format!(
            "处置照片由检查员及以上角色上传，当前为{} (handling photos are uploaded by an inspector or higher; {} is {:?}, P5)",
            who.role.zh(),
            who.actor.name(),
            who.role
        ))
        .clause("P5"));
    }
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = ct.split(';').next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case("image/jpeg") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("Content-Type: 处置照片应为 JPEG (expected image/jpeg, found {ct:?})"),
        )
        .field("Content-Type")
        .clause("P5"));
    }
    let bytes = body.map_err(|rej| {
        let status = rej.status();
        let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
            format!(
                "body: 照片过大 (larger than the platform's maximum upload size of {} bytes)",
                state.max_upload_size
            )
        } else {
            format!("body: 无法读取 ({})", rej.body_text())
        };
        ApiError::new(status, "invalid_body", message)
            .field("body")
            .clause("P5")
    })?;
    let photo = photos::store(&state.ingest, &who.actor, bytes.to_vec(), who.sup.now())
        .await
        .map_err(|e| match e {
            PhotoError::Content(r) => ApiError::unprocessable(
                "invalid_content",
                format!("body: 不是完整的 JPEG 图片 ({})", r.reason),
            )
            .field("body")
            .clause("P5"),
            PhotoError::NotAUser => ApiError::forbidden(e.to_string()),
            PhotoError::Store(e) => error(e),
        })?;
    tracing::info!(sha256 = %photo.sha256, unit = %photo.unit, "handling photo stored");
    Ok((StatusCode::CREATED, Json(PhotoStored { photo })))
}

/// A handling photo (the JPEG), for users of a unit covering the uploader's (the county's
/// photos are seen by every level above it, P5).
#[utoipa::path(
    get, path = "/api/v1/handling-photos/{sha256}", tag = "supervision",
    params(("sha256" = String, Path, description = "SHA-256 of the photo, lower-case hex", pattern = "^[0-9a-f]{64}$")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The photo", content_type = "image/jpeg"),
        (status = 400, description = "Not a SHA-256 hex digest", body = ErrorBody),
        (status = 401, description = "No, unknown or expired session token", body = ErrorBody),
        (status = 404, description = "No such photo in the caller's jurisdiction", body = ErrorBody),
        (status = 503, description = "Supervision is not enabled", body = ErrorBody),
    )
)]
pub(in crate::http) async fn get_handling_photo(
    State(state): State<AppState>,
    who: Regulator,
    sha256: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(sha256) = sha256.map_err(|e| {
        ApiError::bad_request("invalid_path", format!("sha256: {}", e.body_text())).field("sha256")
    })?;
    let path = state
        .evidence
        .path_of(&sha256)
        .ok_or_else(|| bad_digest(&sha256))?;
    photos::visible(&state.ingest, &who.actor, &sha256)
        .await
        .map_err(error)?
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "sha256: 本辖区没有该处置照片 (no handling photo {sha256} in the jurisdiction of {})",
                who.unit
            ))
            .field("sha256")
        })?;
    file_response(&path, "image/jpeg", &sha256).await
}

/// The live feed of the caller's jurisdiction (P1, P5, P14) as Server-Sent Events: an `alarm`
/// event for every alarm raised and every workflow step of the mines the caller's unit covers
/// (`id` = the notice's sequence number, `data` = a `Notice` as JSON), a `lagged` event when
/// the connection fell behind and notices were lost (reload the alarm list), and keep-alive
/// comments. Send `Last-Event-ID` to resume after the last event received. The stream ends with
/// a `session_ended` event when the session expires or is closed, or the user's unit or role
/// changes (checked at every keep-alive interval).
#[utoipa::path(
    get, path = "/api/v1/feed", tag = "supervision",
    params(("Last-Event-ID" = Option<u64>, Header, description = "Resume after this event id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The event stream; each `alarm` event's data is a Notice", body = Notice, content_type = "text/event-stream"),
        (status = 400, description = "`Last-Event-ID` is not an event id", body = ErrorBody),
        (status = 401, description = "No, unknown or expired session token", body = ErrorBody),
        (status = 503, description = "Supervision is not enabled", body = ErrorBody),
    )
)]
pub(in crate::http) async fn get_feed(
    who: Regulator,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let last = push::last_event_id(&headers)?;
    let every = who.sup.feed().keep_alive_interval();
    let ended = session_ended(who.sup.clone(), who.token.clone(), who.actor.clone(), every);
    Ok(push::sse_until(who.sup.feed(), &who.actor, last, ended))
}

/// Completes, with a `session_ended` event, once the session of `token` no longer stands for
/// `actor` (checked `every`): expired, logged out, revoked, the account disabled, or the
/// user's unit or role changed (the feed was filtered for the old jurisdiction). A store that
/// fails to answer is asked again at the next check.
async fn session_ended(
    sup: crate::supervision::service::Supervision,
    token: String,
    actor: crate::supervision::Actor,
    every: std::time::Duration,
) -> Event {
    loop {
        tokio::time::sleep(every).await;
        let why = match sup.users().authenticate(&token, sup.now()).await {
            Ok(now) if now == actor => continue,
            Ok(_) => {
                "用户的单位或角色已变更，请重新连接 (the user's unit or role changed; reconnect)"
                    .to_owned()
            }
            Err(Error::Auth(e)) => format!("会话已结束，请重新登录 (session ended: {e})"),
            Err(e) => {
                tracing::warn!(error = %e, "live feed: session check failed; trying again");
                continue;
            }
        };
        return Event::default()
            .event("session_ended")
            .data(serde_json::json!({ "message": why }).to_string());
    }
}

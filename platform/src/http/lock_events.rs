//! `POST /api/v1/lock-events` (U5): a lock on key equipment was moved or damaged; the mine side
//! sends the 10-second H.264 MP4 and its JSON description in one multipart/form-data request.
//!
//! Checks made here, in order, each refusal recorded as a violation: the bearer token (U7), the
//! multipart parts (`metadata` JSON + `video` MP4 with the U5 file name as filename), the JSON
//! against `LockEventMetadata` (the member is named), `file_name` = the part's filename, and the
//! JSON fields against the name. Then the ingest judges the name, mine, content and duplicates
//! exactly as it judges FTP uploads.

use axum::Json;
use axum::extract::State;
use axum::extract::multipart::{Field, Multipart, MultipartRejection};
use axum::http::{HeaderMap, StatusCode, Uri};
use eseal_protocol::{EvidenceName, Field as NameField, Finding, LockEventMetadata};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::auth::{Principal, authenticate};
use super::error::{ApiError, ErrorBody};
use super::record::{Rejected, from_json};
use super::schema::LockEventUpload;
use crate::evidence::sha256_hex;
use crate::ingest::{Channel, RefusalKind, Upload};

/// Path of the route.
pub(crate) const PATH: &str = "/api/v1/lock-events";

/// An accepted (or idempotently re-sent) lock event.
#[derive(Debug, Serialize, ToSchema)]
pub struct LockEventAccepted {
    /// `GET /api/v1/events/{event_id}`.
    pub event_id: i64,
    /// The U5 file name.
    #[schema(example = "14042100786610000120210104121546.mp4")]
    pub name: String,
    /// SHA-256 of the clip, lower-case hex (`GET /api/v1/evidence/{sha256}`).
    pub sha256: String,
    /// True when this exact event (same name, same bytes) had been accepted before.
    pub duplicate: bool,
    /// Ambiguities the name hit (e.g. `.jpg` for U5): reported, not failed.
    #[schema(value_type = Vec<super::schema::FindingDoc>)]
    pub findings: Vec<Finding>,
}

/// The JSON member a name field corresponds to in `LockEventMetadata`.
fn json_member(field: NameField) -> &'static str {
    match field {
        NameField::Mine => "mine_code",
        NameField::Lock => "lock_code",
        NameField::LockState => "lock_state",
        NameField::Time(_) => "time",
        _ => "file_name",
    }
}

fn refusal_status(kind: RefusalKind) -> (StatusCode, &'static str) {
    match kind {
        RefusalKind::Name => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_name"),
        RefusalKind::MineMismatch => (StatusCode::FORBIDDEN, "mine_mismatch"),
        RefusalKind::Channel => (StatusCode::UNPROCESSABLE_ENTITY, "wrong_channel"),
        RefusalKind::Content => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_content"),
        RefusalKind::Conflict => (StatusCode::CONFLICT, "conflict"),
        RefusalKind::Metadata => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_metadata"),
        RefusalKind::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
        RefusalKind::Aborted => (StatusCode::BAD_REQUEST, "aborted"),
        RefusalKind::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
    }
}

/// A part that was read.
struct Part {
    bytes: bytes::Bytes,
    file_name: Option<String>,
}

async fn read_part(field: Field<'_>) -> Result<Part, axum::extract::multipart::MultipartError> {
    let file_name = field.file_name().map(str::to_owned);
    let bytes = field.bytes().await?;
    Ok(Part { bytes, file_name })
}

fn content_type_ok(ct: Option<&str>, allowed: &[&str]) -> bool {
    ct.is_none_or(|ct| {
        let essence = ct.split(';').next().unwrap_or("").trim();
        allowed.iter().any(|a| essence.eq_ignore_ascii_case(a))
    })
}

/// Uploads a U5 lock event: multipart/form-data with part `metadata` (application/json,
/// `LockEventMetadata`) and part `video` (video/mp4, filename = the U5 file name, e.g.
/// `14042100786610000120210104121546.mp4`). Needs the token of the mine in the name.
/// Multipart only: a JSON body with base64 video is not accepted.
///
/// 201 for a new event, 200 when the same name with the same bytes was accepted before
/// (idempotent re-send). Every refusal is recorded as a violation and answered with the
/// offending field named.
#[utoipa::path(
    post, path = "/api/v1/lock-events", tag = "uploads",
    request_body(content = LockEventUpload, content_type = "multipart/form-data",
        description = "Part `metadata` (application/json) and part `video` (video/mp4, filename = U5 file name)"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Accepted: a new event", body = LockEventAccepted),
        (status = 200, description = "Accepted before with the same bytes (idempotent)", body = LockEventAccepted),
        (status = 400, description = "Not readable as multipart/form-data", body = ErrorBody),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "Token of another mine than the name's, or the administrator token", body = ErrorBody),
        (status = 409, description = "Same name accepted before with different bytes (U8)", body = ErrorBody),
        (status = 413, description = "Larger than the platform's maximum upload size", body = ErrorBody),
        (status = 415, description = "A part has the wrong content type", body = ErrorBody),
        (status = 422, description = "Missing part, invalid JSON member, name/JSON mismatch, invalid name or content (named in `field`)", body = ErrorBody),
    )
)]
pub(super) async fn post_lock_event(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<LockEventAccepted>), ApiError> {
    let mut who = Rejected {
        name: uri.path().to_owned(),
        ..Default::default()
    };
    let account = match authenticate(&state, &headers).await {
        Ok(Principal::Mine(a)) => a,
        Ok(Principal::Admin) => {
            who.account = "admin".to_owned();
            let e = ApiError::forbidden(
                "Authorization: lock events are uploaded with the mine's own token",
            )
            .field("Authorization")
            .clause("U5");
            return Err(state.reject_upload(&who, "auth", e).await);
        }
        Err(e) => return Err(state.reject_upload(&who, "auth", e.clause("U7")).await),
    };
    who.account = account.username.clone();
    who.mine = Some(account.mine.as_str().to_owned());

    let mut multipart = match multipart {
        Ok(m) => m,
        Err(rej) => {
            let e = ApiError::new(
                rej.status(),
                "invalid_multipart",
                format!("Content-Type: {}", rej.body_text()),
            )
            .field("Content-Type")
            .clause("U5");
            return Err(state.reject_upload(&who, "request", e).await);
        }
    };

    let (mut metadata, mut video): (Option<Part>, Option<Part>) = (None, None);
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(err) => {
                let status = err.status();
                let kind = if status == StatusCode::PAYLOAD_TOO_LARGE {
                    "too_large"
                } else {
                    "request"
                };
                let e = ApiError::new(
                    status,
                    "invalid_multipart",
                    format!("body: {}", err.body_text()),
                )
                .field("body")
                .clause("U5");
                return Err(state.reject_upload(&who, kind, e).await);
            }
        };
        let part_name = field.name().unwrap_or("").to_owned();
        let content_type = field.content_type().map(str::to_owned);
        let (slot, allowed, kind): (&mut Option<Part>, &[&str], &'static str) =
            match part_name.as_str() {
                "metadata" => (
                    &mut metadata,
                    &["application/json", "text/json"],
                    "metadata",
                ),
                "video" => (
                    &mut video,
                    &["video/mp4", "application/octet-stream"],
                    "content",
                ),
                other => {
                    let e = ApiError::unprocessable(
                        "unknown_part",
                        format!("{other:?}: unknown part; send exactly \"metadata\" and \"video\""),
                    )
                    .field(other)
                    .clause("U5");
                    return Err(state.reject_upload(&who, "request", e).await);
                }
            };
        if slot.is_some() {
            let e = ApiError::unprocessable(
                "duplicate_part",
                format!("{part_name}: sent more than once"),
            )
            .field(part_name.as_str())
            .clause("U5");
            return Err(state.reject_upload(&who, "request", e).await);
        }
        if !content_type_ok(content_type.as_deref(), allowed) {
            let e = ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "wrong_content_type",
                format!(
                    "{part_name}: content type {:?}, expected {}",
                    content_type.unwrap_or_default(),
                    allowed[0]
                ),
            )
            .field(part_name.as_str())
            .clause("U5");
            return Err(state.reject_upload(&who, kind, e).await);
        }
        match read_part(field).await {
            Ok(p) => *slot = Some(p),
            Err(err) => {
                let status = err.status();
                let kind = if status == StatusCode::PAYLOAD_TOO_LARGE {
                    "too_large"
                } else {
                    "aborted"
                };
                let e = ApiError::new(
                    status,
                    "invalid_multipart",
                    format!("{part_name}: {}", err.body_text()),
                )
                .field(part_name.as_str())
                .clause("U5");
                return Err(state.reject_upload(&who, kind, e).await);
            }
        }
    }

    if let Some(v) = &video {
        who.size = i64::try_from(v.bytes.len()).ok();
        who.sha256 = Some(sha256_hex(&v.bytes));
        if let Some(n) = &v.file_name {
            who.name = n.clone();
        }
    }
    let Some(metadata) = metadata else {
        let e = ApiError::unprocessable(
            "missing_part",
            "metadata: part missing; send the lock event JSON as part \"metadata\"",
        )
        .field("metadata")
        .clause("U5");
        return Err(state.reject_upload(&who, "metadata", e).await);
    };
    let Some(video) = video else {
        let e = ApiError::unprocessable(
            "missing_part",
            "video: part missing; send the MP4 clip as part \"video\"",
        )
        .field("video")
        .clause("U5");
        return Err(state.reject_upload(&who, "content", e).await);
    };
    let file_name = match video.file_name.as_deref().map(str::trim) {
        Some(n) if !n.is_empty() => n.to_owned(),
        _ => {
            let e = ApiError::unprocessable(
                "missing_filename",
                "video: the part needs filename=<U5 file name>",
            )
            .field("video")
            .clause("U5");
            return Err(state.reject_upload(&who, "name", e).await);
        }
    };

    let value: serde_json::Value = match serde_json::from_slice(&metadata.bytes) {
        Ok(v) => v,
        Err(err) => {
            let e = ApiError::unprocessable("invalid_json", format!("metadata: not JSON: {err}"))
                .field("metadata")
                .clause("U5");
            return Err(state.reject_upload(&who, "metadata", e).await);
        }
    };
    let meta: LockEventMetadata = match from_json(value.clone()) {
        Ok(m) => m,
        Err((field, message)) => {
            let e = ApiError::unprocessable("invalid_metadata", message)
                .field(field)
                .clause("U5");
            return Err(state.reject_upload(&who, "metadata", e).await);
        }
    };
    if meta.file_name != file_name {
        let e = ApiError::unprocessable(
            "name_mismatch",
            format!(
                "file_name: {:?} in the JSON, {file_name:?} as the video part's filename",
                meta.file_name
            ),
        )
        .field("file_name")
        .clause("U5");
        return Err(state.reject_upload(&who, "metadata", e).await);
    }
    // A name that does not parse is the ingest's to refuse (kind `name`, with the name field).
    if let Ok(parsed) = EvidenceName::parse(&file_name)
        && let Err(err) = meta.check_consistent(&parsed.name)
    {
        let member = json_member(err.field);
        let e = ApiError::unprocessable(
            "name_mismatch",
            format!(
                "{member}: the file name has {:?} at {}..{}, the JSON says {}",
                err.found, err.span.start, err.span.end, err.expected
            ),
        )
        .field(member)
        .clause(err.clause);
        return Err(state.reject_upload(&who, "metadata", e).await);
    }

    let outcome = state
        .ingest
        .accept(Upload {
            account: &account,
            channel: Channel::Https,
            name: &file_name,
            body: Vec::from(video.bytes).into(),
            metadata: Some(value),
        })
        .await;
    match outcome {
        Ok(acc) => {
            let status = if acc.duplicate {
                StatusCode::OK
            } else {
                StatusCode::CREATED
            };
            Ok((
                status,
                Json(LockEventAccepted {
                    event_id: acc.event_id,
                    name: acc.name,
                    sha256: acc.sha256,
                    duplicate: acc.duplicate,
                    findings: acc.findings,
                }),
            ))
        }
        Err(refusal) => {
            let (status, code) = refusal_status(refusal.kind);
            if refusal.kind == RefusalKind::Internal {
                return Err(ApiError::internal(format!(
                    "ingest of {file_name} failed: {}",
                    refusal.reason
                )));
            }
            let field = refusal.field.clone().or_else(|| match refusal.kind {
                RefusalKind::Content | RefusalKind::TooLarge => Some("video".to_owned()),
                RefusalKind::Name | RefusalKind::Conflict => Some("file_name".to_owned()),
                _ => None,
            });
            let message = match &field {
                Some(f) => format!("{f}: {}", refusal.reason),
                None => refusal.reason.clone(),
            };
            Err(ApiError::new(status, code, message)
                .maybe_field(field)
                .maybe_clause(refusal.clause)
                .violation(Some(refusal.violation_id).filter(|&id| id != 0)))
        }
    }
}

/// States each multipart part's content type in the OpenAPI document (utoipa has no attribute
/// for multipart encodings).
pub(super) fn document_multipart_encoding(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::encoding::Encoding;
    let Some(content) = doc
        .paths
        .paths
        .get_mut(PATH)
        .and_then(|item| item.post.as_mut())
        .and_then(|op| op.request_body.as_mut())
        .and_then(|body| body.content.get_mut("multipart/form-data"))
    else {
        return;
    };
    content.encoding.insert(
        "metadata".to_owned(),
        Encoding::builder()
            .content_type(Some("application/json"))
            .build(),
    );
    content.encoding.insert(
        "video".to_owned(),
        Encoding::builder().content_type(Some("video/mp4")).build(),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_content_types() {
        assert!(content_type_ok(None, &["video/mp4"]));
        assert!(content_type_ok(
            Some("application/json; charset=utf-8"),
            &["application/json"]
        ));
        assert!(!content_type_ok(
            Some("image/jpeg"),
            &["video/mp4", "application/octet-stream"]
        ));
    }
}

//! U6 live-stream addresses: the mine side registers each camera's mjpg-streamer style URL
//! and registers it again at once whenever it changes. The platform keeps the current address
//! with a revision (+1 per change) and every registration in a history.

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::{Extension, Json};
use eseal_protocol::{CameraCode, MineCode, StreamRegistration};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::auth::{Principal, authenticate};
use super::error::{ApiError, ErrorBody};
use super::record::{Rejected, from_json};
use super::schema::StreamRegistrationDoc;
use crate::query::{self, StreamChange, StreamHistoryRow, StreamRow};

/// Result of a registration.
#[derive(Debug, Serialize, ToSchema)]
pub struct StreamRegistered {
    /// The camera's current address after this registration.
    #[serde(flatten)]
    pub stream: StreamRow,
    /// `created` (first registration, 201), `updated` (new URL, revision + 1) or `unchanged`
    /// (same URL, same revision).
    pub change: StreamChange,
}

/// A camera's current address and every registration of it.
#[derive(Debug, Serialize, ToSchema)]
pub struct StreamDetail {
    #[serde(flatten)]
    pub stream: StreamRow,
    /// Every registration, oldest first.
    pub history: Vec<StreamHistoryRow>,
}

/// Current addresses.
#[derive(Debug, Serialize, ToSchema)]
pub struct StreamList {
    /// Ordered by mine, then camera.
    pub items: Vec<StreamRow>,
}

/// Filters of `GET /api/v1/streams`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StreamQuery {
    /// 12-digit mine code. A mine token may name only its own mine, and defaults to it.
    #[param(pattern = "^[0-9]{12}$")]
    pub mine: Option<String>,
}

fn path_error(e: PathRejection) -> ApiError {
    ApiError::bad_request("invalid_path", e.body_text())
}

fn check_codes(mine: &str, camera: &str) -> Result<(), ApiError> {
    MineCode::parse(mine).map_err(|e| {
        ApiError::unprocessable("invalid_path", format!("mine: {e}"))
            .field("mine")
            .clause("U6")
    })?;
    CameraCode::parse(camera).map_err(|e| {
        ApiError::unprocessable("invalid_path", format!("camera: {e}"))
            .field("camera")
            .clause("U6")
    })?;
    Ok(())
}

/// Registers (or re-registers) the live-stream URL of one camera (U6). Needs the token of
/// that mine. Answers 201 on a camera's first registration, 200 afterwards; the revision goes
/// up by one only when the URL changes. Every registration is kept in the history with the IP
/// address it came from (`peer`), and every refused one is recorded as a violation.
#[utoipa::path(
    put, path = "/api/v1/mines/{mine}/cameras/{camera}/stream", tag = "uploads",
    params(
        ("mine" = String, Path, description = "12-digit mine code (the token's own mine)", pattern = "^[0-9]{12}$"),
        ("camera" = String, Path, description = "2-digit camera code 10–39", pattern = "^[1-3][0-9]$"),
    ),
    request_body(content = StreamRegistrationDoc, content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "First registration of this camera", body = StreamRegistered),
        (status = 200, description = "Registered again (URL changed, or unchanged)", body = StreamRegistered),
        (status = 400, description = "Body is not JSON", body = ErrorBody),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "Token of another mine, or the administrator token", body = ErrorBody),
        (status = 415, description = "Body is not application/json", body = ErrorBody),
        (status = 422, description = "A field is invalid or disagrees with the path (named in `field`)", body = ErrorBody),
    )
)]
pub(super) async fn put_stream(
    State(state): State<AppState>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    uri: Uri,
    path: Result<Path<(String, String)>, PathRejection>,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<(StatusCode, Json<StreamRegistered>), ApiError> {
    let mut who = Rejected {
        name: uri.path().to_owned(),
        ..Default::default()
    };
    let principal = match authenticate(&state, &headers).await {
        Ok(p) => p,
        Err(e) => return Err(state.reject(&who, "auth", e.clause("U7")).await),
    };
    let account = match principal {
        Principal::Mine(a) => a,
        Principal::Admin => {
            who.account = "admin".to_owned();
            let e = ApiError::forbidden(
                "Authorization: stream addresses are registered with the mine's own token",
            )
            .field("Authorization")
            .clause("U6");
            return Err(state.reject(&who, "auth", e).await);
        }
    };
    who.account = account.username.clone();
    who.mine = Some(account.mine.as_str().to_owned());
    let Path((mine, camera)) = match path {
        Ok(p) => p,
        Err(e) => {
            return Err(state
                .reject(&who, "request", path_error(e).clause("U6"))
                .await);
        }
    };
    if mine != account.mine.as_str() {
        let e = ApiError::forbidden(format!(
            "mine: the token of mine {} may not register streams of mine {mine:?}",
            account.mine.as_str()
        ))
        .field("mine")
        .clause("U7");
        return Err(state.reject(&who, "mine_mismatch", e).await);
    }
    if let Err(e) = check_codes(&mine, &camera) {
        return Err(state.reject(&who, "metadata", e).await);
    }
    let value = match body {
        Ok(Json(v)) => v,
        Err(rej) => {
            let e = ApiError::new(
                rej.status(),
                "invalid_json",
                format!("body: {}", rej.body_text()),
            )
            .field("body")
            .clause("U6");
            return Err(state.reject(&who, "metadata", e).await);
        }
    };
    let reg: StreamRegistration = match from_json(value) {
        Ok(r) => r,
        Err((field, message)) => {
            let e = ApiError::unprocessable("invalid_body", message)
                .field(field)
                .clause("U6");
            return Err(state.reject(&who, "metadata", e).await);
        }
    };
    if let Err(e) = reg.validate() {
        let e = ApiError::unprocessable("invalid_body", format!("url: {e}"))
            .field("url")
            .clause(e.clause);
        return Err(state.reject(&who, "metadata", e).await);
    }
    let disagree = if reg.mine_code.as_str() != mine {
        Some(("mine_code", reg.mine_code.as_str().to_owned(), mine.clone()))
    } else if reg.camera_code.to_string() != camera {
        Some(("camera_code", reg.camera_code.to_string(), camera.clone()))
    } else {
        None
    };
    if let Some((field, body_value, path_value)) = disagree {
        let e = ApiError::unprocessable(
            "path_mismatch",
            format!("{field}: {body_value:?} in the body, {path_value:?} in the path"),
        )
        .field(field)
        .clause("U6");
        return Err(state.reject(&who, "metadata", e).await);
    }
    let username = account.username.clone();
    let url = reg.url.clone();
    // The address the request came from, as the TCP connection says (no forwarding header is
    // trusted: a device talks to the platform directly).
    let peer = connect.map(|Extension(ConnectInfo(a))| a.ip().to_canonical().to_string());
    let (stream, change) = state
        .store
        .call(move |c| query::register_stream(c, &mine, &camera, &url, &username, peer.as_deref()))
        .await?;
    tracing::info!(mine = %stream.mine, camera = %stream.camera, revision = stream.revision, ?change, "U6 stream registered");
    let status = if change == StreamChange::Created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(StreamRegistered { stream, change })))
}

/// The current address of one camera and its registration history.
#[utoipa::path(
    get, path = "/api/v1/mines/{mine}/cameras/{camera}/stream", tag = "read",
    params(
        ("mine" = String, Path, description = "12-digit mine code", pattern = "^[0-9]{12}$"),
        ("camera" = String, Path, description = "2-digit camera code", pattern = "^[1-3][0-9]$"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Current address and history", body = StreamDetail),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "A mine token asked for another mine", body = ErrorBody),
        (status = 404, description = "Never registered", body = ErrorBody),
    )
)]
pub(super) async fn get_stream(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Json<StreamDetail>, ApiError> {
    let principal = authenticate(&state, &headers).await?;
    let Path((mine, camera)) = path.map_err(path_error)?;
    principal.read_scope(Some(&mine), "mine")?;
    let (m, c) = (mine.clone(), camera.clone());
    let found = state
        .store
        .read(move |conn| {
            Ok(match query::get_stream(conn, &m, &c)? {
                Some(stream) => Some((stream, query::stream_history(conn, &m, &c)?)),
                None => None,
            })
        })
        .await?;
    match found {
        Some((stream, history)) => Ok(Json(StreamDetail { stream, history })),
        None => Err(ApiError::not_found(format!(
            "camera: no stream registered for mine {mine} camera {camera}"
        ))
        .field("camera")),
    }
}

/// Current stream addresses (U6), of one mine or of all (administrator).
#[utoipa::path(
    get, path = "/api/v1/streams", tag = "read",
    params(StreamQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Current addresses", body = StreamList),
        (status = 400, description = "A malformed filter", body = ErrorBody),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "A mine token asked for another mine", body = ErrorBody),
    )
)]
pub(super) async fn list_streams(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Result<Query<StreamQuery>, QueryRejection>,
) -> Result<Json<StreamList>, ApiError> {
    let principal = authenticate(&state, &headers).await?;
    let Query(q) = q?;
    if let Some(m) = &q.mine {
        MineCode::parse(m).map_err(|e| {
            ApiError::bad_request("invalid_query", format!("mine: {e}")).field("mine")
        })?;
    }
    let mine = principal.read_scope(q.mine.as_deref(), "mine")?;
    let items = state
        .store
        .read(move |c| query::list_streams(c, mine.as_deref()))
        .await?;
    Ok(Json(StreamList { items }))
}

//! Login sessions: `POST /api/v1/session` opens one (the token is shown once), `DELETE`
//! closes it, `GET /api/v1/me` tells who the token is.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Regulator, error, json_body};
use crate::error::Error;
use crate::http::AppState;
use crate::http::error::{ApiError, ErrorBody};
use crate::supervision::users::{AuthError, Login, MAX_PASSWORD_BYTES, Unit, User};

/// The body of `POST /api/v1/session`. `Debug` does not show the password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Login name, e.g. `inspector.140421`.
    #[schema(example = "inspector.140421")]
    pub username: String,
    /// Password.
    #[schema(format = Password)]
    pub password: String,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// Who the session is: the user (never the password) and the unit.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// The user as stored now.
    pub user: User,
    /// The user's unit; the jurisdiction is everything its code covers (R1).
    pub unit: Unit,
}

fn bad_credentials() -> ApiError {
    ApiError::unauthorized(format!(
        "用户名或密码错误 ({}; 不提示是哪一项 — which of the two is not told)",
        AuthError::BadCredentials
    ))
    .field("password")
}

/// Logs in: checks the password and opens a session. The token in the answer is shown only
/// here; send it as `Authorization: Bearer <token>` on every regulators' route. An unknown
/// user and a wrong password get the same 401.
#[utoipa::path(
    post, path = "/api/v1/session", tag = "supervision",
    request_body(content = LoginRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Logged in; the session token (shown once), its end and the actor", body = Login),
        (status = 400, description = "Body is not JSON", body = ErrorBody),
        (status = 401, description = "Wrong user name or password (the same answer for both)", body = ErrorBody),
        (status = 403, description = "The account is disabled", body = ErrorBody),
        (status = 422, description = "A member is missing or unknown (named in `field`)", body = ErrorBody),
        (status = 429, description = "Too many failed logins of this user name lately (`Retry-After` seconds)", body = ErrorBody),
        (status = 503, description = "Supervision is not enabled", body = ErrorBody),
    )
)]
pub(in crate::http) async fn post_session(
    State(state): State<AppState>,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<(StatusCode, Json<Login>), ApiError> {
    let sup = state.supervision()?;
    let req: LoginRequest = json_body(body, "P5")?;
    if req.password.len() > MAX_PASSWORD_BYTES || req.username.len() > 64 {
        return Err(bad_credentials());
    }
    match sup
        .users()
        .login(&req.username, &req.password, sup.now())
        .await
    {
        Ok(login) => {
            tracing::info!(user = %req.username, "regulator logged in");
            Ok((StatusCode::CREATED, Json(login)))
        }
        Err(Error::Auth(AuthError::BadCredentials)) => Err(bad_credentials()),
        Err(Error::Auth(e @ AuthError::Throttled { until, .. })) => {
            let wait = (until - sup.now())
                .num_seconds()
                .clamp(1, i64::from(u32::MAX)) as u32;
            tracing::warn!(user = %req.username, "regulator login throttled");
            Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_logins",
                format!("登录失败次数过多，请 {wait} 秒后再试 ({e})"),
            )
            .field("username")
            .retry_after(wait))
        }
        Err(Error::Auth(e @ AuthError::Disabled { .. })) => Err(ApiError::forbidden(format!(
            "账号已停用，请联系本单位管理员 ({e})"
        ))
        .field("username")),
        Err(e) => Err(error(e)),
    }
}

/// Logs out: the session of the token ends now (logging out twice is no error).
#[utoipa::path(
    delete, path = "/api/v1/session", tag = "supervision",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "The session is closed"),
        (status = 401, description = "No, unknown, expired or closed session token", body = ErrorBody),
        (status = 503, description = "Supervision is not enabled", body = ErrorBody),
    )
)]
pub(in crate::http) async fn delete_session(who: Regulator) -> Result<StatusCode, ApiError> {
    who.sup
        .users()
        .logout(&who.token, who.sup.now())
        .await
        .map_err(error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// The user of the session and the unit: role and jurisdiction as they are now (a role change
/// applies on the next request, not at the next login).
#[utoipa::path(
    get, path = "/api/v1/me", tag = "supervision",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The user and the unit", body = Me),
        (status = 401, description = "No, unknown, expired or closed session token", body = ErrorBody),
        (status = 503, description = "Supervision is not enabled", body = ErrorBody),
    )
)]
pub(in crate::http) async fn get_me(who: Regulator) -> Result<Json<Me>, ApiError> {
    let users = who.sup.users();
    let user = users
        .user(&who.actor, who.actor.name())
        .await
        .map_err(error)?
        .ok_or_else(|| ApiError::internal(format!("user {} vanished", who.actor.name())))?;
    let unit = users
        .unit(&who.unit)
        .await
        .map_err(error)?
        .ok_or_else(|| ApiError::internal(format!("unit {} vanished", who.unit)))?;
    Ok(Json(Me { user, unit }))
}

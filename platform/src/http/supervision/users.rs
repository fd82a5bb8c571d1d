//! Units, users and the audit log of the caller's jurisdiction. Creating units and users is
//! for an admin whose unit covers the new one ([`crate::supervision::users`]); passwords are
//! taken, never returned.

use axum::Json;
use axum::extract::Query;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{Regulator, error, json_body};
use crate::error::Error;
use crate::http::error::{ApiError, ErrorBody};
use crate::supervision::audit::{self, AuditPage, AuditQuery, MAX_PAGE};
use crate::supervision::users::{NewUser, Unit, User, Username};
use crate::supervision::{Role, UnitCode};

/// The units of the caller's jurisdiction.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnitList {
    /// Its own unit and every unit it covers, by code.
    pub units: Vec<Unit>,
}

/// The body of `POST /api/v1/units`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUnitRequest {
    /// The unit's code; its parent (from the code) must exist.
    pub code: UnitCode,
    /// Its name, e.g. `代县`.
    pub name: String,
}

/// The users of the caller's jurisdiction.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    /// Every user of a unit the caller's covers, by name (no passwords).
    pub users: Vec<User>,
}

/// The body of `POST /api/v1/users`. `Debug` does not show the password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserRequest {
    /// Login name: 3–32 lowercase ASCII letters, digits, `.`, `_`, `-`, starting with a letter.
    #[schema(example = "inspector2.140421")]
    pub username: String,
    /// The name shown.
    pub display_name: String,
    /// The user's unit (must exist, inside the caller's jurisdiction).
    pub unit: UnitCode,
    /// `viewer`, `inspector`, `supervisor` or `admin`.
    pub role: Role,
    /// The initial password, 8 characters or more.
    #[schema(format = Password)]
    pub password: String,
}

impl std::fmt::Debug for NewUserRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUserRequest")
            .field("username", &self.username)
            .field("unit", &self.unit)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// Filters of `GET /api/v1/audit`, newest first.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Only rows about this kind of object: `user`, `unit`, `session`, `alarm`, `mine_config`,
    /// `county_defaults`, `lifecycle_record`, `handling_photo` …
    pub object_kind: Option<String>,
    /// Only rows about this object id (with `object_kind`), e.g. an alarm id.
    pub object_id: Option<String>,
    /// Only rows written by this user (or `system`).
    pub actor: Option<String>,
    /// Only rows older than this id: the previous page's `next`.
    pub before_id: Option<String>,
    /// Rows per page, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<String>,
}

/// A referenced unit that does not exist is the body's fault: 422 naming `field`.
fn missing_unit(e: Error, field: &str) -> ApiError {
    match e {
        Error::NotFound(m) => ApiError::unprocessable(
            "unknown_unit",
            format!("{field}: 单位不存在，请先创建 (not found: {m})"),
        )
        .field(field),
        other => error(other),
    }
}

/// The units of the caller's jurisdiction: its own and every unit it covers.
#[utoipa::path(
    get, path = "/api/v1/units", tag = "supervision",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The units", body = UnitList),
        (status = 401, description = "No, unknown or expired session token", body = ErrorBody),
        (status = 503, description = "Supervision is not enabled", body = ErrorBody),
    )
)]
pub(in crate::http) async fn list_units(who: Regulator) -> Result<Json<UnitList>, ApiError> {
    let units = who.sup.users().units(&who.actor).await.map_err(error)?;
    Ok(Json(UnitList { units }))
}

/// Creates a unit under an existing parent (its code says which): an admin whose unit covers
/// the new one. Audited.
#[utoipa::path(
    post, path = "/api/v1/units", tag = "supervision",
    request_body(content = NewUnitRequest, content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = Unit),
        (status = 400, description = "Body is not JSON", body = ErrorBody),
        (status = 401, description = "No, unknown or expired session token", body = ErrorBody),
        (status = 403, description = "Outside the jurisdiction, or not an admin", body = ErrorBody),
        (status = 409, description = "The unit exists already", body = ErrorBody),
        (status = 422, description = "A member is malformed, or the parent unit does not exist (named)", body = ErrorBody),
        (status = 503, description = "Supervision is not enabled", body = ErrorBody),
    )
)]
pub(in crate::http) async fn post_unit(
    who: Regulator,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<(StatusCode, Json<Unit>), ApiError> {
    let req: NewUnitRequest = json_body(body, "R1")?;
    let code = who.unit("code", Some(req.code.as_str()))?;
    let unit = who
        .sup
        .users()
        .create_unit(&who.actor, &code, &req.name, who.sup.now())
        .await
        .map_err(|e| missing_unit(e, "code"))?;
    Ok((StatusCode::CREATED, Json(unit)))
}

/// The users of the caller's jurisdiction (never their passwords).
#[utoipa::path(
    get, path = "/api/v1/users", tag = "supervision",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The users", body = UserList),
        (status = 401, description = "No, unknown or expired session token", body = ErrorBody),
        (status = 503, description = "Supervision is not enabled", body = ErrorBody),
    )
)]
pub(in crate::http) async fn list_users(who: Regulator) -> Result<Json<UserList>, ApiError> {
    let users = who.sup.users().users(&who.actor).await.map_err(error)?;
    Ok(Json(UserList { users }))
}

/// Creates a user in an existing unit: an admin whose unit covers it. The answer never holds
/// the password. Audited.
#[utoipa::path(
    post, path = "/api/v1/users", tag = "supervision",
    request_body(content = NewUserRequest, content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = User),
        (status = 400, description = "Body is not JSON", body = ErrorBody),
        (status = 401, description = "No, unknown or expired session token", body = ErrorBody),
        (status = 403, description = "The unit is outside the jurisdiction, or not an admin", body = ErrorBody),
        (status = 409, description = "The user name is taken", body = ErrorBody),
        (status = 422, description = "A member is malformed (user name, password too short …) or the unit does not exist (named)", body = ErrorBody),
        (status = 503, description = "Supervision is not enabled", body = ErrorBody),
    )
)]
pub(in crate::http) async fn post_user(
    who: Regulator,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    let req: NewUserRequest = json_body(body, "R1")?;
    let unit = who.unit("unit", Some(req.unit.as_str()))?;
    let new = NewUser {
        username: Username::parse(&req.username).map_err(error)?,
        display_name: req.display_name,
        unit,
        role: req.role,
        password: req.password,
    };
    let user = who
        .sup
        .users()
        .create_user(&who.actor, new, who.sup.now())
        .await
        .map_err(|e| missing_unit(e, "unit"))?;
    tracing::info!(user = %user.username, unit = %user.unit, by = %who.actor.name(), "user created");
    Ok((StatusCode::CREATED, Json(user)))
}

fn number<T: std::str::FromStr>(
    field: &str,
    value: Option<&str>,
    expected: &str,
) -> Result<Option<T>, ApiError> {
    value
        .map(|v| {
            v.trim().parse::<T>().map_err(|_| {
                ApiError::bad_request(
                    "invalid_query",
                    format!("{field}: 应为{expected} (expected {expected}, found {v:?})"),
                )
                .field(field)
            })
        })
        .transpose()
}

/// The audit log of the caller's jurisdiction, newest first: every change — who, when, what,
/// before and after — of objects of units the caller's covers.
#[utoipa::path(
    get, path = "/api/v1/audit", tag = "supervision",
    params(AuditParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page", body = AuditPage),
        (status = 400, description = "A malformed parameter (named)", body = ErrorBody),
        (status = 401, description = "No, unknown or expired session token", body = ErrorBody),
        (status = 503, description = "Supervision is not enabled", body = ErrorBody),
    )
)]
pub(in crate::http) async fn get_audit(
    who: Regulator,
    q: Result<Query<AuditParams>, QueryRejection>,
) -> Result<Json<AuditPage>, ApiError> {
    let Query(q) = q?;
    let limit: Option<u32> = number("limit", q.limit.as_deref(), "1-500")?;
    if let Some(n) = limit
        && !(1..=MAX_PAGE).contains(&n)
    {
        return Err(ApiError::bad_request(
            "invalid_query",
            format!("limit: 应为 1–{MAX_PAGE} (expected 1..={MAX_PAGE}, found {n})"),
        )
        .field("limit"));
    }
    let query = AuditQuery {
        object_kind: q.object_kind,
        object_id: q.object_id,
        actor: q.actor,
        before_id: number("before_id", q.before_id.as_deref(), "an audit row id")?,
        limit,
    };
    let page = audit::query(who.sup.db(), &who.actor, query)
        .await
        .map_err(error)?;
    Ok(Json(page))
}

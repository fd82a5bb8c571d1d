//! The one error type of the HTTPS API.
//!
//! Every non-2xx response has the body
//! `{"error": {"code": "...", "message": "...", "field": "...", "clause": "U5"}}`: `code` is a
//! stable machine-readable kind, `message` names the offending field, `field`/`clause` are set
//! when known, and `violation_id` points at the recorded refusal when there is one. Internal
//! failures are logged with their cause and answered with a generic 500: details never leave
//! the process.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// Body of every error response.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong, for clients and for the conformance report.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct ErrorDetail {
    /// Stable machine-readable kind, e.g. `unauthorized`, `forbidden`, `invalid_metadata`,
    /// `name_mismatch`, `invalid_name`, `invalid_content`, `conflict`, `not_found`.
    #[schema(example = "invalid_metadata")]
    pub code: String,
    /// Human-readable reason naming the field.
    pub message: String,
    /// The offending field (JSON member, multipart part, query parameter or name field).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The requirement clause (REQUIREMENTS.md) the request broke, e.g. `U5`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clause: Option<String>,
    /// Id of the recorded violation (`GET /api/v1/violations`), for refused uploads.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub violation_id: Option<i64>,
}

/// An HTTP error response.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    /// Boxed: a `Result` carrying an `ApiError` stays small.
    pub detail: Box<ErrorDetail>,
    /// Seconds for a `Retry-After` header (429, 503).
    pub retry_after: Option<u32>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            detail: Box::new(ErrorDetail {
                code: code.to_owned(),
                message: message.into(),
                field: None,
                clause: None,
                violation_id: None,
            }),
            retry_after: None,
        }
    }

    /// Asks the client to wait `secs` seconds (`Retry-After`).
    pub fn retry_after(mut self, secs: u32) -> Self {
        self.retry_after = Some(secs);
        self
    }

    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.detail.field = Some(field.into());
        self
    }

    pub fn maybe_field(mut self, field: Option<impl Into<String>>) -> Self {
        self.detail.field = field.map(Into::into);
        self
    }

    pub fn clause(mut self, clause: impl Into<String>) -> Self {
        self.detail.clause = Some(clause.into());
        self
    }

    pub fn maybe_clause(mut self, clause: Option<impl Into<String>>) -> Self {
        self.detail.clause = clause.map(Into::into);
        self
    }

    pub fn violation(mut self, id: Option<i64>) -> Self {
        self.detail.violation_id = id;
        self
    }

    /// 401: no or unknown bearer token.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message).field("Authorization")
    }

    /// 403: authenticated, but not for this mine.
    pub fn forbidden(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 404.
    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 400: a malformed query parameter or request.
    pub fn bad_request(code: &str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 422: well-formed but semantically invalid input.
    pub fn unprocessable(code: &str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    /// 500: logs `cause` and answers with a message that reveals nothing of it.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error in HTTPS API");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; see the platform log",
        )
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: (*self.detail).clone(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (self.status, Json(self.body())).into_response();
        if let Some(secs) = self.retry_after {
            resp.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(secs),
            );
        }
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"eseal\""),
            );
        }
        resp
    }
}

impl From<crate::error::Error> for ApiError {
    fn from(e: crate::error::Error) -> Self {
        ApiError::internal(e)
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> Self {
        ApiError::internal(e)
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(e: tokio::task::JoinError) -> Self {
        ApiError::internal(e)
    }
}

/// Turns axum's query-string rejection into a 400 naming the parameter.
impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(r: axum::extract::rejection::QueryRejection) -> Self {
        let text = r.body_text();
        let field = backquoted(&text);
        ApiError::bad_request("invalid_query", text).maybe_field(field)
    }
}

/// The first `` `name` `` in a serde message (the field serde complains about).
pub(crate) fn backquoted(msg: &str) -> Option<String> {
    let start = msg.find('`')? + 1;
    let len = msg[start..].find('`')?;
    Some(msg[start..start + len].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backquoted_finds_the_field() {
        assert_eq!(
            backquoted("missing field `lock_state` at line 1").as_deref(),
            Some("lock_state")
        );
        assert_eq!(backquoted("no field"), None);
    }

    #[test]
    fn body_shape() {
        let e = ApiError::unprocessable("invalid_metadata", "lock_state: expected 0001 or 0002")
            .field("lock_state")
            .clause("U5");
        let v = serde_json::to_value(e.body()).expect("json");
        assert_eq!(
            v,
            serde_json::json!({"error": {"code": "invalid_metadata",
                "message": "lock_state: expected 0001 or 0002", "field": "lock_state", "clause": "U5"}})
        );
    }
}

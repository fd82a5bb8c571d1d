//! Recording refusals the HTTPS API makes itself (before or beside the ingest), so that every
//! refused upload or registration is a `violations` row, as the ingest's own refusals are.

use serde::de::DeserializeOwned;

use super::AppState;
use super::error::{ApiError, backquoted};
use crate::ingest::{Channel, FrontRefusal};

/// What is known about a refused request.
#[derive(Debug, Clone, Default)]
pub(crate) struct Rejected {
    /// The account's user name; empty when the token was missing or unknown.
    pub account: String,
    /// The account's mine.
    pub mine: Option<String>,
    /// The file name as sent, or the request path when there is none.
    pub name: String,
    /// Size of the refused bytes, when they were read.
    pub size: Option<i64>,
    /// SHA-256 of the refused bytes, when they were read completely.
    pub sha256: Option<String>,
}

impl AppState {
    /// Records `err` as a violation of `kind` for `who` (not an upload: e.g. a U6
    /// registration) and returns it with the violation id. A failure to record is logged as an
    /// error (the client still gets `err`).
    pub(crate) async fn reject(
        &self,
        who: &Rejected,
        kind: &'static str,
        err: ApiError,
    ) -> ApiError {
        let r = front_refusal(who, kind, &err);
        let recorded = self.ingest.record_violation(r).await;
        with_violation(recorded, kind, err)
    }

    /// As [`AppState::reject`], for an upload refused before it reached the ingest: also counted
    /// as a refused upload.
    pub(crate) async fn reject_upload(
        &self,
        who: &Rejected,
        kind: &'static str,
        err: ApiError,
    ) -> ApiError {
        let r = front_refusal(who, kind, &err);
        let recorded = self.ingest.record_refused_upload(r).await;
        with_violation(recorded, kind, err)
    }
}

fn front_refusal(who: &Rejected, kind: &'static str, err: &ApiError) -> FrontRefusal {
    FrontRefusal {
        channel: Channel::Https,
        account: who.account.clone(),
        mine: who.mine.clone(),
        name: who.name.clone(),
        kind,
        clause: err.detail.clause.clone(),
        field: err.detail.field.clone(),
        reason: err.detail.message.clone(),
        sha256: who.sha256.clone(),
        size: who.size,
    }
}

fn with_violation(recorded: crate::Result<i64>, kind: &str, err: ApiError) -> ApiError {
    match recorded {
        Ok(id) => err.violation(Some(id)),
        Err(e) => {
            tracing::error!(error = %e, kind, reason = %err.detail.message, "could not record a violation");
            err
        }
    }
}

/// Deserializes a JSON value into `T`, naming the offending member on failure:
/// `Err((field, message))`.
pub(crate) fn from_json<T: DeserializeOwned>(
    value: serde_json::Value,
) -> Result<T, (String, String)> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        let field = if path.is_empty() || path == "." {
            // Root-level errors ("missing field `x`", "unknown field `x`, expected ...").
            backquoted(&inner).unwrap_or_else(|| "body".to_owned())
        } else {
            path
        };
        let message = format!("{field}: {inner}");
        (field, message)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use eseal_protocol::LockEventMetadata;

    #[test]
    fn json_errors_name_the_member() {
        let ok = serde_json::json!({"mine_code": "140421007866", "lock_code": "10",
            "lock_state": "0001", "time": "20210104121546",
            "file_name": "14042100786610000120210104121546.mp4"});
        assert!(from_json::<LockEventMetadata>(ok.clone()).is_ok());
        let mut bad = ok.clone();
        bad["lock_state"] = "0003".into();
        let (field, msg) = from_json::<LockEventMetadata>(bad).expect_err("bad state");
        assert_eq!(field, "lock_state", "{msg}");
        let mut missing = ok.clone();
        missing.as_object_mut().expect("object").remove("time");
        assert_eq!(
            from_json::<LockEventMetadata>(missing)
                .expect_err("missing")
                .0,
            "time"
        );
        let mut extra = ok;
        extra["colour"] = "red".into();
        assert_eq!(
            from_json::<LockEventMetadata>(extra)
                .expect_err("unknown")
                .0,
            "colour"
        );
    }
}

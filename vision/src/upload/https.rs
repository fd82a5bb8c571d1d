//! The HTTPS channel: U5 lock events (`POST /api/v1/lock-events`, multipart `metadata` JSON +
//! `video` MP4) and U6 stream registrations (`PUT /api/v1/mines/{mine}/cameras/{camera}/stream`,
//! JSON), each with the mine's bearer token (U7), as the reference platform's OpenAPI document
//! defines them.
//!
//! Key design decision: **trust exactly the platform's certificate when one is configured.** The
//! reference platform serves a self-signed certificate it keeps across restarts; the device pins
//! it ([`PlatformLink::ca_cert`], PEM) as its only root instead of turning verification off.
//!
//! Status classes: `2xx` is success (`200` for a lock event means the same name with the same
//! bytes had been accepted before: an idempotent re-send, counted as success). `408`, `429`,
//! `5xx`, `401` (the token, not the item, is wrong: fixing the configuration must let the queue
//! drain) and every transport error are retryable; any other `4xx` is the platform refusing this
//! item and is permanent. The reason keeps the platform's `code` and `message` (which name the
//! field and clause).

use std::time::Duration;

use eseal_protocol::{LockEventMetadata, StreamRegistration};
use reqwest::StatusCode;

use super::Failure;
use crate::Error;
use crate::config::PlatformLink;

/// The HTTPS side of the uploader.
pub(crate) struct HttpsLink {
    client: reqwest::Client,
    base: String,
    token: String,
}

impl std::fmt::Debug for HttpsLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the token.
        f.debug_struct("HttpsLink")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

/// Classifies a non-2xx status.
pub(crate) fn classify_status(status: StatusCode, reason: String) -> Failure {
    // Server errors and anything that is not a 4xx say nothing against the item.
    let retryable = matches!(status.as_u16(), 401 | 408 | 429) || !status.is_client_error();
    if retryable {
        Failure::retryable(reason)
    } else {
        Failure::permanent(reason)
    }
}

fn transport(what: &str, e: &reqwest::Error) -> Failure {
    // The whole source chain: reqwest's own text alone ("error sending request") hides the cause.
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    Failure::retryable(format!("HTTPS {what}: {text}"))
}

/// `HTTP 422 invalid_name: file_name: …` from the platform's error body.
fn refusal_text(status: StatusCode, body: &[u8]) -> String {
    let detail = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            let e = v.get("error")?;
            let code = e.get("code").and_then(|c| c.as_str()).unwrap_or("error");
            let message = e.get("message").and_then(|m| m.as_str()).unwrap_or("");
            Some(format!("{code}: {message}"))
        });
    let detail = detail.unwrap_or_else(|| {
        let text = String::from_utf8_lossy(body);
        text.chars().take(300).collect::<String>().trim().to_owned()
    });
    format!("HTTP {} {detail}", status.as_u16())
}

impl HttpsLink {
    pub(crate) fn new(
        link: &PlatformLink,
        connect_timeout: Duration,
        io_timeout: Duration,
    ) -> Result<HttpsLink, Error> {
        let mut builder = reqwest::Client::builder()
            .connect_timeout(connect_timeout)
            .timeout(io_timeout)
            .user_agent(concat!("eseal-vision/", env!("CARGO_PKG_VERSION")));
        if let Some(path) = &link.ca_cert {
            let pem = std::fs::read(path).map_err(|e| {
                Error::io(
                    format!("could not read the platform certificate {}", path.display()),
                    e,
                )
            })?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| Error::Upload {
                label: "https".to_owned(),
                message: format!("{}: not a PEM certificate: {e}", path.display()),
                retryable: false,
            })?;
            if certs.is_empty() {
                return Err(Error::Upload {
                    label: "https".to_owned(),
                    message: format!("{}: holds no certificate", path.display()),
                    retryable: false,
                });
            }
            builder = builder.tls_certs_only(certs);
        }
        let client = builder.build().map_err(|e| Error::Upload {
            label: "https".to_owned(),
            message: format!("could not build the HTTPS client: {e}"),
            retryable: false,
        })?;
        Ok(HttpsLink {
            client,
            base: link.https_url.trim_end_matches('/').to_owned(),
            token: link.token.clone(),
        })
    }

    /// U5: posts a lock event with its clip. `Ok(true)` when the platform had it already.
    pub(crate) async fn post_lock_event(
        &self,
        metadata: &LockEventMetadata,
        video: &[u8],
    ) -> Result<bool, Failure> {
        let what = format!("POST lock event {}", metadata.file_name);
        let json = serde_json::to_string(metadata).map_err(|e| {
            Failure::retryable(format!("{what}: could not encode the metadata: {e}"))
        })?;
        let meta_part = reqwest::multipart::Part::text(json)
            .mime_str("application/json")
            .map_err(|e| transport(&what, &e))?;
        let video_part = reqwest::multipart::Part::bytes(video.to_vec())
            .file_name(metadata.file_name.clone())
            .mime_str("video/mp4")
            .map_err(|e| transport(&what, &e))?;
        let form = reqwest::multipart::Form::new()
            .part("metadata", meta_part)
            .part("video", video_part);
        let resp = self
            .client
            .post(format!("{}/api/v1/lock-events", self.base))
            .bearer_auth(&self.token)
            .multipart(form)
            .send()
            .await
            .map_err(|e| transport(&what, &e))?;
        let status = resp.status();
        let body = resp.bytes().await.map_err(|e| transport(&what, &e))?;
        if status.is_success() {
            let duplicate = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v.get("duplicate").and_then(serde_json::Value::as_bool))
                .unwrap_or(status == StatusCode::OK);
            return Ok(duplicate);
        }
        Err(classify_status(status, refusal_text(status, &body)))
    }

    /// U6: registers a camera's stream address. `Ok(true)` when the platform had this URL already.
    pub(crate) async fn put_stream(&self, reg: &StreamRegistration) -> Result<bool, Failure> {
        let what = format!("PUT stream of camera {}", reg.camera_code);
        let resp = self
            .client
            .put(format!(
                "{}/api/v1/mines/{}/cameras/{}/stream",
                self.base, reg.mine_code, reg.camera_code
            ))
            .bearer_auth(&self.token)
            .json(reg)
            .send()
            .await
            .map_err(|e| transport(&what, &e))?;
        let status = resp.status();
        let body = resp.bytes().await.map_err(|e| transport(&what, &e))?;
        if status.is_success() {
            let unchanged = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| {
                    v.get("change")
                        .and_then(|c| c.as_str())
                        .map(|c| c == "unchanged")
                })
                .unwrap_or(false);
            return Ok(unchanged);
        }
        Err(classify_status(status, refusal_text(status, &body)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_classes() {
        for code in [400u16, 403, 404, 409, 413, 415, 422] {
            let s = StatusCode::from_u16(code).expect("status");
            assert!(!classify_status(s, String::new()).retryable, "{code}");
        }
        for code in [301u16, 401, 408, 429, 500, 502, 503, 504] {
            let s = StatusCode::from_u16(code).expect("status");
            assert!(classify_status(s, String::new()).retryable, "{code}");
        }
    }

    #[test]
    fn refusal_text_keeps_code_and_message() {
        let body =
            br#"{"error":{"code":"mine_mismatch","message":"mine: not yours","field":"mine"}}"#;
        assert_eq!(
            refusal_text(StatusCode::FORBIDDEN, body),
            "HTTP 403 mine_mismatch: mine: not yours"
        );
        assert_eq!(
            refusal_text(StatusCode::BAD_GATEWAY, b"upstream down"),
            "HTTP 502 upstream down"
        );
    }
}

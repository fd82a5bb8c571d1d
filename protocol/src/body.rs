//! JSON bodies of the reference profile's HTTP API: the U5 lock event and the
//! U6 stream registration. The spec gives neither (U5, U6 are "ambiguous" /
//! "not specified further"); these are the reference platform's definitions
//! and their `///` docs are its OpenAPI descriptions.

use serde::{Deserialize, Serialize};

use crate::codes::{CameraCode, Extension, LockCode, LockState, MineCode};
use crate::error::{Field, NameError, TimeField};
use crate::name::{EvidenceName, ParsedName};
use crate::time::MineTime;

/// U5 lock event: the JSON part of the HTTPS POST that carries a lock's
/// 10-second H.264 MP4 clip. Strings are UTF-8. Unknown fields are rejected
/// (the error names the field).
///
/// Example:
/// `{"mine_code":"140421007866","lock_code":"10","lock_state":"0001",
/// "time":"20210104121546","file_name":"14042100786610000120210104121546.mp4"}`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockEventMetadata {
    /// Mine code 矿井编码: 12 ASCII digits; the first 6 are the county
    /// division code (R1). Example `"140421007866"`.
    pub mine_code: MineCode,
    /// Lock code 电子锁编码: 2 digits, hoist 10–19, belt 20–29, winch 30–39,
    /// tram 40–49, skip 50–59 (U5). Example `"10"`.
    pub lock_code: LockCode,
    /// Lock state 电子锁状态编码: `"0001"` moved, `"0002"` damaged (U5).
    pub lock_state: LockState,
    /// When the lock was moved or damaged: `yyyyMMddHHmmss`, China Standard
    /// Time (UTC+8; R2). Example `"20210104121546"`.
    pub time: MineTime,
    /// The U5 file name of the attached MP4: mine code + lock code + lock
    /// state + time + `.mp4` (32 digits). Must agree with the fields above.
    /// Example `"14042100786610000120210104121546.mp4"`.
    pub file_name: String,
    /// Clip length in seconds as the device measured it; 10 s is expected,
    /// 9.5–10.5 s accepted (R3). Optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_s: Option<f64>,
    /// Identifier of the mine-side device that sent the event (edge box serial
    /// or similar). Optional, free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    /// Free-text description, UTF-8 (e.g. `"提升机电子锁被挪动"`). Optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl LockEventMetadata {
    /// The reference-profile (`.mp4`) name these fields give.
    pub fn expected_name(&self) -> EvidenceName {
        EvidenceName::Lock {
            mine: self.mine_code,
            lock: self.lock_code,
            state: self.lock_state,
            time: self.time,
            ext: Extension::Mp4,
        }
    }

    /// `Ok` when `name` is a U5 name whose fields equal this body's. The
    /// error names the disagreeing field, with its span in the file name,
    /// the file name's text as `found` and the JSON value in `expected`.
    /// The extension is not compared (a `.jpg` name carries a finding).
    pub fn check_consistent(&self, name: &EvidenceName) -> Result<(), NameError> {
        let EvidenceName::Lock {
            mine,
            lock,
            state,
            time,
            ..
        } = *name
        else {
            return Err(NameError::new(
                Field::FileName,
                0..name.digit_len(),
                &name.to_string(),
                "a U5 lock event name: mine + lock + lock state + time (32 digits)",
                "U5",
            ));
        };
        let mismatch = |field: Field, span, found: String, json: String, key: &str| {
            Err(NameError::new(
                field,
                span,
                &found,
                format!("\"{json}\" as in the JSON field {key}"),
                "U5",
            ))
        };
        if mine != self.mine_code {
            return mismatch(
                Field::Mine,
                0..12,
                mine.to_string(),
                self.mine_code.to_string(),
                "mine_code",
            );
        }
        if lock != self.lock_code {
            return mismatch(
                Field::Lock,
                12..14,
                lock.to_string(),
                self.lock_code.to_string(),
                "lock_code",
            );
        }
        if state != self.lock_state {
            return mismatch(
                Field::LockState,
                14..18,
                state.to_string(),
                self.lock_state.to_string(),
                "lock_state",
            );
        }
        if time != self.time {
            return mismatch(
                Field::Time(TimeField::Whole),
                18..32,
                time.to_string(),
                self.time.to_string(),
                "time",
            );
        }
        Ok(())
    }

    /// Parses [`file_name`](Self::file_name) and checks it agrees with the
    /// other fields. Findings (e.g. a `.jpg` extension) are passed on.
    pub fn check_file_name(&self) -> Result<ParsedName, NameError> {
        let parsed = EvidenceName::parse(&self.file_name)?;
        self.check_consistent(&parsed.name)?;
        Ok(parsed)
    }
}

/// U6 live stream registration: the body of the PUT by which the mine side
/// tells the platform where a camera's live stream is, at start-up and again
/// at once whenever it changes. Unknown fields are rejected.
///
/// Example: `{"mine_code":"140421007866","camera_code":"20",
/// "url":"http://10.0.0.5:8080/?action=stream"}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamRegistration {
    /// Mine code 矿井编码: 12 ASCII digits (R1).
    pub mine_code: MineCode,
    /// Camera code 摄像头编码: 2 digits, 10–39 (main shaft 1x, auxiliary
    /// shaft 2x, vehicle gate 3x).
    pub camera_code: CameraCode,
    /// The live stream, an mjpg-streamer style `http://` or `https://` URL,
    /// e.g. `http://host:8080/?action=stream`. At most 2048 bytes, no
    /// whitespace or control characters (U6).
    pub url: String,
    /// Stream codec as the device names it, e.g. `"mjpeg"`, `"h264"`.
    /// Optional; informational.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codec: Option<String>,
}

impl StreamRegistration {
    /// Longest accepted URL, in bytes.
    pub const MAX_URL_LEN: usize = 2048;

    /// Checks what serde cannot: the URL (see [`validate_stream_url`]).
    pub fn validate(&self) -> Result<(), NameError> {
        validate_stream_url(&self.url)
    }
}

/// `Ok` for an `http://` or `https://` URL with a host, at most
/// [`StreamRegistration::MAX_URL_LEN`] bytes, without whitespace or control
/// characters. Errors name [`Field::Url`] with a span into `url` (U6).
pub fn validate_stream_url(url: &str) -> Result<(), NameError> {
    const EXPECTED: &str = "an http:// or https:// URL with a host, mjpg-streamer style, e.g. http://host:8080/?action=stream";
    let bad = |span: std::ops::Range<usize>, expected: &str| {
        let found = url.get(span.clone()).unwrap_or_default();
        Err(NameError::new(Field::Url, span, found, expected, "U6"))
    };
    if url.len() > StreamRegistration::MAX_URL_LEN {
        return bad(0..url.len(), "a URL of at most 2048 bytes");
    }
    if let Some((i, c)) = url
        .char_indices()
        .find(|(_, c)| c.is_whitespace() || c.is_control())
    {
        return bad(
            i..i + c.len_utf8(),
            "no whitespace or control characters in the URL",
        );
    }
    let lower = |n: usize| url.get(..n).map(str::to_ascii_lowercase);
    let rest_at = if lower(7).as_deref() == Some("http://") {
        7
    } else if lower(8).as_deref() == Some("https://") {
        8
    } else {
        let end = url.find("://").map_or(url.len().min(8), |i| i + 3);
        return bad(0..end, EXPECTED);
    };
    let rest = url.get(rest_at..).unwrap_or_default();
    let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = rest.get(..authority_len).unwrap_or_default();
    let host = authority.rsplit('@').next().unwrap_or_default();
    if host.is_empty() || host.starts_with(':') {
        return bad(rest_at..rest_at + authority_len, EXPECTED);
    }
    Ok(())
}

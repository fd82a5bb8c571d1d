//! OpenAPI schemas of the wire bodies (the reference profile for U5 and U6, which the spec
//! leaves open: U5 "JSON fields are not given", U6 "not specified further", U8).
//!
//! The bodies themselves live in `eseal-protocol`, which stays free of documentation
//! machinery; these mirrors carry the same fields and docs for `utoipa`. The test
//! `mirrors_match_protocol` fails when a protocol body gains, loses or renames a field that
//! the mirror does not.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// U5 lock event: the `metadata` part of `POST /api/v1/lock-events`, UTF-8 JSON. Unknown
/// members are refused (422 naming the member).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(
    as = LockEventMetadata,
    example = json!({"mine_code": "140421007866", "lock_code": "10", "lock_state": "0001",
        "time": "20210104121546", "file_name": "14042100786610000120210104121546.mp4",
        "duration_s": 10.0, "device_id": "edge-01", "description": "提升机电子锁被挪动"})
)]
pub struct LockEventMetadataDoc {
    /// Mine code 矿井编码: 12 ASCII digits; the first 6 are the county division code (R1).
    #[schema(pattern = "^[0-9]{12}$", example = "140421007866")]
    pub mine_code: String,
    /// Lock code 电子锁编码: 2 digits, hoist 10–19, belt 20–29, winch 30–39, tram 40–49,
    /// skip 50–59 (U5).
    #[schema(pattern = "^[1-5][0-9]$", example = "10")]
    pub lock_code: String,
    /// Lock state 电子锁状态编码: `0001` moved, `0002` damaged (U5).
    #[schema(pattern = "^000[12]$", example = "0001")]
    pub lock_state: String,
    /// When the lock was moved or damaged: `yyyyMMddHHmmss`, China Standard Time (UTC+8; R2).
    #[schema(pattern = "^[0-9]{14}$", example = "20210104121546")]
    pub time: String,
    /// The U5 file name of the attached MP4: mine code + lock code + lock state + time +
    /// `.mp4` (32 digits). Must equal the `video` part's filename and agree with the fields
    /// above.
    #[schema(
        pattern = "^[0-9]{32}\\.(mp4|jpg)$",
        example = "14042100786610000120210104121546.mp4"
    )]
    pub file_name: String,
    /// Clip length in seconds as the device measured it; 10 s expected, 9.5–10.5 s accepted
    /// (R3). Optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = 10.0)]
    pub duration_s: Option<f64>,
    /// Identifier of the mine-side device that sent the event (edge box serial or similar).
    /// Optional, free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    /// Free-text description, UTF-8. Optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// U6 live stream registration: the body of
/// `PUT /api/v1/mines/{mine}/cameras/{camera}/stream`, sent at start-up and again at once
/// whenever the address changes. Unknown members are refused.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(
    as = StreamRegistration,
    example = json!({"mine_code": "140421007866", "camera_code": "20",
        "url": "http://10.0.0.5:8080/?action=stream", "codec": "mjpeg"})
)]
pub struct StreamRegistrationDoc {
    /// Mine code 矿井编码: 12 ASCII digits (R1). Must equal `{mine}` in the path.
    #[schema(pattern = "^[0-9]{12}$", example = "140421007866")]
    pub mine_code: String,
    /// Camera code 摄像头编码: 2 digits, 10–39 (main shaft 1x, auxiliary shaft 2x, vehicle
    /// gate 3x). Must equal `{camera}` in the path.
    #[schema(pattern = "^[1-3][0-9]$", example = "20")]
    pub camera_code: String,
    /// The live stream, an mjpg-streamer style `http://` or `https://` URL with a host, at most
    /// 2048 bytes, no whitespace or control characters (U6).
    #[schema(max_length = 2048, example = "http://10.0.0.5:8080/?action=stream")]
    pub url: String,
    /// Stream codec as the device names it, e.g. `mjpeg`, `h264`. Optional; informational.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codec: Option<String>,
}

/// The multipart/form-data body of `POST /api/v1/lock-events` (U5). Exactly two parts.
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documentation only
pub struct LockEventUpload {
    /// Part `metadata`, content type `application/json`: the lock event.
    #[schema(value_type = LockEventMetadataDoc)]
    pub metadata: String,
    /// Part `video`, content type `video/mp4`, filename = the U5 file name: the 10-second
    /// H.264 MP4 clip.
    #[schema(value_type = String, format = Binary, content_media_type = "video/mp4")]
    pub video: Vec<u8>,
}

/// An ambiguity the upload's name hit: reported, neither passed silently nor failed (U3, U5).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Finding)]
#[allow(dead_code)] // documentation only
pub struct FindingDoc {
    /// The ambiguous clause, e.g. `U5`.
    #[schema(example = "U5")]
    pub clause: String,
    /// Which ambiguity: `u3_example_form32`, `u3_rule_form30`, `u5_jpg_extension`.
    #[schema(example = "u5_jpg_extension")]
    pub kind: String,
    /// One sentence for a report.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use eseal_protocol::{LockEventMetadata, StreamRegistration};
    use utoipa::PartialSchema;

    fn property_names<T: PartialSchema>() -> Vec<String> {
        let v = serde_json::to_value(T::schema()).expect("schema json");
        let mut keys: Vec<String> = v["properties"]
            .as_object()
            .expect("properties")
            .keys()
            .cloned()
            .collect();
        keys.sort();
        keys
    }

    fn keys(v: &serde_json::Value) -> Vec<String> {
        let mut k: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
        k.sort();
        k
    }

    #[test]
    fn mirrors_match_protocol() {
        let full = serde_json::json!({"mine_code": "140421007866", "lock_code": "10",
            "lock_state": "0001", "time": "20210104121546",
            "file_name": "14042100786610000120210104121546.mp4", "duration_s": 10.0,
            "device_id": "d", "description": "x"});
        let m: LockEventMetadata = serde_json::from_value(full.clone()).expect("protocol body");
        let round = serde_json::to_value(&m).expect("serialize");
        assert_eq!(keys(&round), property_names::<LockEventMetadataDoc>());
        let _: LockEventMetadataDoc =
            serde_json::from_value(round).expect("mirror accepts protocol");

        let full = serde_json::json!({"mine_code": "140421007866", "camera_code": "20",
            "url": "http://h:8080/?action=stream", "codec": "mjpeg"});
        let s: StreamRegistration = serde_json::from_value(full).expect("protocol body");
        let round = serde_json::to_value(&s).expect("serialize");
        assert_eq!(keys(&round), property_names::<StreamRegistrationDoc>());
        let _: StreamRegistrationDoc =
            serde_json::from_value(round).expect("mirror accepts protocol");
    }
}

//! The device's configuration: the mine, each camera's site and calibration, the e-locks wired
//! to the box, where to upload, and the analysis settings. Read from TOML (`eseal edge run
//! --config FILE`, see `docs/edge.toml.example`) or built in code by the in-process runner.
//!
//! Errors name the key (`cameras[1].edge: expected two different ground points …`); unknown
//! keys are refused.

use std::path::{Path, PathBuf};

use eseal_protocol::{CameraCode, LockCode, MineCode};
use serde::{Deserialize, Serialize};

use crate::calib::Calibration;

/// What a camera looks at; decides which analyser runs on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Site {
    /// Personnel / material shaft mouth: people counted across the edge (E3, E4, U1).
    ShaftMouth,
    /// Return-air shaft mouth: people counted as at a shaft mouth.
    ReturnAirShaft,
    /// Vehicle gate: trucks counted across the gate line (E5, U2).
    VehicleGate,
    /// Transport belt at the material shaft: running / loaded (E2, U3).
    Belt,
    /// Skip headframe: skip running / loaded and trips (E2, U3).
    SkipHeadframe,
}

impl Site {
    /// Sites where people are counted across an edge.
    pub fn counts_people(self) -> bool {
        matches!(self, Site::ShaftMouth | Site::ReturnAirShaft)
    }
}

/// One camera wired to the box.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraConfig {
    /// Spec camera code (U1–U4).
    pub code: CameraCode,
    /// What it looks at.
    pub site: Site,
    /// Frame size the analysers expect (the stream's size).
    pub width: u32,
    pub height: u32,
    /// Nominal frame rate.
    pub fps: u32,
    /// The installer's survey of the camera.
    pub calibration: Calibration,
    /// The counting edge (shaft mouths) or gate line (vehicle gates) on the ground, `[a, b]` in
    /// metres; the inside (shaft, site) is on the left of `a → b`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edge: Option<[[f64; 2]; 2]>,
    /// Live mode: the stream to pull (`rtsp://…`, `http://…?action=stream`, or an MP4 path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// An e-lock on key equipment, wired to the box (U5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockConfig {
    /// Lock code (U5): hoist 1x, belt 2x, winch 3x, tram 4x, skip 5x.
    pub code: LockCode,
    /// The camera whose footage goes into the lock event's 10-second clip.
    pub camera: CameraCode,
}

/// Where and how to upload (U7: the administration issues the FTP address and account).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformLink {
    /// FTP control address, `host:port`.
    pub ftp_addr: String,
    /// FTP user name of this mine.
    pub ftp_user: String,
    /// FTP password of this mine.
    pub ftp_password: String,
    /// HTTPS base URL of the platform API, e.g. `https://platform.example:8443`.
    pub https_url: String,
    /// Bearer token of this mine for the HTTPS API.
    pub token: String,
    /// PEM file of the certificate (or CA) to trust for the HTTPS API; the system roots when
    /// absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_cert: Option<PathBuf>,
}

/// Analysis settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AnalysisConfig {
    /// Tamper check cadence, seconds (U4: once an hour; shorter for tests).
    pub tamper_interval_s: f64,
    /// Clip length of U3 / U5 videos, seconds (10 in the spec, R3: 9.5–10.5 accepted).
    pub clip_s: f64,
    /// Part of a clip before the event, seconds.
    pub clip_pre_s: f64,
    /// The person detector of the shaft-mouth cameras.
    pub detector: DetectorConfig,
}

/// Which person detector the shaft-mouth cameras run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DetectorKind {
    /// Calibrated person templates on the foreground (`people::detect`), the default.
    #[default]
    Classical,
    /// The learned network through ONNX Runtime (`people::learned`); needs `model`.
    Learned,
}

/// The person detector's settings (`[analysis.detector]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DetectorConfig {
    pub kind: DetectorKind,
    /// The learned detector's ONNX file (relative paths from the working directory).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<PathBuf>,
    /// Least heat-map peak the learned detector keeps, 0–1.
    pub threshold: f32,
    /// Threads ONNX Runtime uses inside one operator, per camera.
    pub threads: usize,
}

impl Default for DetectorConfig {
    fn default() -> Self {
        DetectorConfig {
            kind: DetectorKind::Classical,
            model: None,
            threshold: 0.3,
            threads: 1,
        }
    }
}

impl Default for AnalysisConfig {
    fn default() -> Self {
        AnalysisConfig {
            tamper_interval_s: 3600.0,
            clip_s: 10.0,
            clip_pre_s: 5.0,
            detector: DetectorConfig::default(),
        }
    }
}

/// The device's own MJPEG server (U6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamConfig {
    /// Listen address, e.g. `0.0.0.0:8090`.
    pub listen: String,
    /// Base URL the platform can reach it at, e.g. `http://10.0.0.5:8090`; the registered URL is
    /// `<base>/cam/<code>?action=stream`.
    pub public_url: String,
}

/// The whole device configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceConfig {
    /// Identifier of this box (serial), sent with U5 events.
    pub device_id: String,
    /// The mine under seal.
    pub mine: MineCode,
    /// Durable state: the spool and the daily counters.
    pub state_dir: PathBuf,
    /// Cameras, at least one.
    pub cameras: Vec<CameraConfig>,
    /// E-locks.
    #[serde(default)]
    pub locks: Vec<LockConfig>,
    /// Upload target; required for `edge run`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<PlatformLink>,
    /// The device's MJPEG server (U6); no registration without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub streams: Option<StreamConfig>,
    #[serde(default)]
    pub analysis: AnalysisConfig,
}

/// A configuration that cannot be used: the key and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{key}: {message}")]
pub struct ConfigError {
    /// `path:line: ` prefix when read from a file, else empty.
    pub file: String,
    /// The key, e.g. `cameras[1].edge`.
    pub key: String,
    /// What was expected and found.
    pub message: String,
}

impl ConfigError {
    fn new(key: impl Into<String>, message: impl Into<String>) -> ConfigError {
        ConfigError {
            file: String::new(),
            key: key.into(),
            message: message.into(),
        }
    }
}

impl DeviceConfig {
    /// Reads and validates a TOML file.
    pub fn from_file(path: &Path) -> Result<DeviceConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: format!("{}: ", path.display()),
            key: String::new(),
            message: format!("could not read: {e}"),
        })?;
        Self::from_toml(&text).map_err(|mut e| {
            e.file = format!("{}: {}", path.display(), e.file);
            e
        })
    }

    /// Parses and validates TOML text.
    pub fn from_toml(text: &str) -> Result<DeviceConfig, ConfigError> {
        let config: DeviceConfig = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].lines().count().max(1));
            ConfigError {
                file: line.map(|l| format!("line {l}: ")).unwrap_or_default(),
                key: String::new(),
                message: e.message().to_owned(),
            }
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Checks what the types cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.cameras.is_empty() {
            return Err(ConfigError::new("cameras", "expected at least one camera"));
        }
        for (i, c) in self.cameras.iter().enumerate() {
            let key = |k: &str| format!("cameras[{i}].{k}");
            if self.cameras[..i].iter().any(|o| o.code == c.code) {
                return Err(ConfigError::new(
                    key("code"),
                    format!("camera code {} appears twice", c.code),
                ));
            }
            if c.width == 0
                || c.height == 0
                || c.width > 2560
                || c.height > 1440
                || c.width % 2 == 1
                || c.height % 2 == 1
            {
                return Err(ConfigError::new(
                    key("width"),
                    format!(
                        "expected an even size up to 2560×1440 (C7), found {}×{}",
                        c.width, c.height
                    ),
                ));
            }
            if !(1..=60).contains(&c.fps) {
                return Err(ConfigError::new(
                    key("fps"),
                    format!("expected 1–60, found {}", c.fps),
                ));
            }
            let cal = &c.calibration;
            if cal.position[2] <= 0.0 || !cal.position.iter().all(|v| v.is_finite()) {
                return Err(ConfigError::new(
                    key("calibration.position"),
                    "expected finite [x, y, z] with z > 0 (mounting height)",
                ));
            }
            if !(1.0..=170.0).contains(&cal.hfov_deg) {
                return Err(ConfigError::new(
                    key("calibration.hfov_deg"),
                    format!("expected 1–170°, found {}", cal.hfov_deg),
                ));
            }
            if !(-89.0..=89.0).contains(&cal.tilt_deg) {
                return Err(ConfigError::new(
                    key("calibration.tilt_deg"),
                    format!("expected −89–89°, found {}", cal.tilt_deg),
                ));
            }
            let needs_edge = c.site.counts_people() || c.site == Site::VehicleGate;
            match c.edge {
                None if needs_edge => {
                    return Err(ConfigError::new(
                        key("edge"),
                        "expected the counting edge [[x, y], [x, y]] for this site",
                    ));
                }
                Some([a, b]) if ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt() < 0.5 => {
                    return Err(ConfigError::new(
                        key("edge"),
                        "expected two ground points at least 0.5 m apart",
                    ));
                }
                _ => {}
            }
        }
        for (i, l) in self.locks.iter().enumerate() {
            if !self.cameras.iter().any(|c| c.code == l.camera) {
                return Err(ConfigError::new(
                    format!("locks[{i}].camera"),
                    format!("no camera with code {}", l.camera),
                ));
            }
        }
        let a = &self.analysis;
        if a.tamper_interval_s.is_nan() || a.tamper_interval_s <= 0.0 {
            return Err(ConfigError::new(
                "analysis.tamper_interval_s",
                "expected a positive number of seconds",
            ));
        }
        if !(1.0..=60.0).contains(&a.clip_s) || !(0.0..=a.clip_s).contains(&a.clip_pre_s) {
            return Err(ConfigError::new(
                "analysis.clip_s",
                "expected 1 ≤ clip_s ≤ 60 and 0 ≤ clip_pre_s ≤ clip_s",
            ));
        }
        let d = &a.detector;
        if d.kind == DetectorKind::Learned && d.model.is_none() {
            return Err(ConfigError::new(
                "analysis.detector.model",
                "expected the ONNX file of the learned detector for kind = \"learned\"",
            ));
        }
        if !(d.threshold > 0.0 && d.threshold < 1.0) {
            return Err(ConfigError::new(
                "analysis.detector.threshold",
                format!(
                    "expected a heat-map score between 0 and 1, found {}",
                    d.threshold
                ),
            ));
        }
        if !(1..=16).contains(&d.threads) {
            return Err(ConfigError::new(
                "analysis.detector.threads",
                format!("expected 1–16, found {}", d.threads),
            ));
        }
        if let Some(st) = &self.streams {
            if st.listen.parse::<std::net::SocketAddr>().is_err() {
                return Err(ConfigError::new(
                    "streams.listen",
                    format!(
                        "expected an address such as 0.0.0.0:8090, found {:?}",
                        st.listen
                    ),
                ));
            }
            // U6: the address is registered on the platform, which must be able to open it.
            let rest = st
                .public_url
                .strip_prefix("http://")
                .or_else(|| st.public_url.strip_prefix("https://"));
            let authority = rest.map(|r| r.split('/').next().unwrap_or_default());
            let port_zero = authority.is_some_and(|a| {
                a.rsplit_once(':')
                    .is_some_and(|(_, p)| p.parse::<u16>() == Ok(0))
            });
            if authority.is_none_or(str::is_empty) || port_zero {
                return Err(ConfigError::new(
                    "streams.public_url",
                    format!(
                        "expected the URL the platform reaches this device at, e.g. http://10.0.0.5:8090 (U6), found {:?}",
                        st.public_url
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The camera with this code.
    pub fn camera(&self, code: CameraCode) -> Option<&CameraConfig> {
        self.cameras.iter().find(|c| c.code == code)
    }
}

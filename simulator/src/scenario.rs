//! Scenario files: the TOML that describes one simulated mine run, parsed and validated into a
//! [`Scenario`] whose every value is usable as is (times resolved to nanoseconds since the start,
//! cameras referenced by index, defaults filled in).
//!
//! The format is documented key by key in `scenarios/EXAMPLE.toml`. Every error, whether the
//! TOML is malformed, a key is unknown or mistyped (`deny_unknown_fields` everywhere), or a value
//! breaks a rule checked after parsing (C3 tilt, C7 resolution, an actor naming an unknown camera,
//! a counting edge out of view, overlapping tampering on one camera ...), is a [`Diagnostic`] with
//! the file, the 1-based line and the field path, displayed as
//!
//! ```text
//! scenarios/x.toml:23: cameras[1].tilt_deg: expected 40–70° for a shaft mouth camera (C3), found 85
//! ```
//!
//! Parse errors stop at the first (serde cannot continue); validation reports every problem.
//! Field paths come from `serde_path_to_error`; lines from the spans of `toml`'s document tree
//! ([`toml::de::DeTable`]), looked up by the same path, so validation errors point at the value.
//!
//! Times in a scenario are either **offsets** from the start — `"+00:05:30"`, `"00:05:30.250"`,
//! or a number of seconds (`330`, `12.5`) — or **absolute** China Standard Time instants —
//! `"20261128080530"` (the spec's yyyyMMddHHmmss) or RFC 3339 `"2026-11-28T08:05:30+08:00"`
//! (any offset, converted to CST).

use std::fmt;
use std::ops::Range;
use std::path::Path;

use chrono::{DateTime, Datelike, FixedOffset};
use eseal_protocol::{CameraCode, LockCode, LockState, MineCode, MineTime};
use serde::{Deserialize, Deserializer};

use crate::clock::NS_PER_S;
use crate::scene::{CameraPose, SiteKind, Vec3};

// ---------------------------------------------------------------------------------------------
// Errors

/// One problem in a scenario file, located by file, line and field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file as given to the loader (e.g. `scenarios/x.toml`).
    pub file: String,
    /// 1-based line of the offending value (or of its table when the value is missing).
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// Field path, e.g. `cameras[1].tilt_deg`; `.` for the whole document.
    pub field: String,
    /// What is wrong: expected and found.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.file, self.line, self.field, self.message
        )
    }
}

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("{path}: cannot read scenario file: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The file is not a valid scenario; every problem found, in file order.
    #[error("{}", join_lines(.0))]
    Invalid(Vec<Diagnostic>),
}

impl ScenarioError {
    /// The diagnostics (empty for I/O errors).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            ScenarioError::Io { .. } => &[],
            ScenarioError::Invalid(d) => d,
        }
    }
}

fn join_lines(diags: &[Diagnostic]) -> String {
    diags
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

// ---------------------------------------------------------------------------------------------
// Times

/// A time as written in a scenario: an offset from the start or an absolute instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeSpec {
    /// Nanoseconds after the scenario start.
    Offset(u64),
    /// An absolute instant (shown in CST).
    Absolute(DateTime<FixedOffset>),
}

impl TimeSpec {
    /// Parses `"+HH:MM:SS[.fff]"`, `"HH:MM:SS[.fff]"`, `"yyyyMMddHHmmss"` (CST) or RFC 3339.
    pub fn parse(s: &str) -> Result<TimeSpec, String> {
        let t = s.trim();
        if let Some(rest) = t.strip_prefix('+') {
            return parse_hms(rest).map(TimeSpec::Offset);
        }
        if t.len() == 14 && t.bytes().all(|b| b.is_ascii_digit()) {
            return MineTime::parse(t)
                .map(|m| TimeSpec::Absolute(m.to_cst()))
                .map_err(|e| e.to_string());
        }
        if t.contains('T') || (t.contains('-') && t.len() > 10) {
            return DateTime::parse_from_rfc3339(t)
                .map(|d| TimeSpec::Absolute(d.with_timezone(&MineTime::CST)))
                .map_err(|e| format!("not an RFC 3339 date-time ({e}): {t:?}"));
        }
        if t.contains(':') {
            return parse_hms(t).map(TimeSpec::Offset);
        }
        Err(format!(
            "expected an offset \"+HH:MM:SS\" or seconds, or an absolute CST time \"yyyyMMddHHmmss\" \
             or \"2026-11-28T08:00:00+08:00\", found {t:?}"
        ))
    }

    /// Nanoseconds after `start`, or `None` if the instant is before it.
    pub fn resolve(self, start: DateTime<FixedOffset>) -> Option<u64> {
        match self {
            TimeSpec::Offset(ns) => Some(ns),
            TimeSpec::Absolute(at) => (at - start)
                .num_nanoseconds()
                .and_then(|n| u64::try_from(n).ok()),
        }
    }
}

fn parse_hms(s: &str) -> Result<u64, String> {
    let bad = || format!("expected an offset HH:MM:SS[.fff], found {s:?}");
    let parts: Vec<&str> = s.split(':').collect();
    let [h, m, sec] = parts.as_slice() else {
        return Err(bad());
    };
    let h: u64 = h.parse().map_err(|_| bad())?;
    let m: u64 = m.parse().map_err(|_| bad())?;
    if m > 59 || !sec.chars().all(|c| c.is_ascii_digit() || c == '.') || sec.is_empty() {
        return Err(bad());
    }
    let secs: f64 = sec.parse().map_err(|_| bad())?;
    if secs >= 60.0 {
        return Err(bad());
    }
    Ok((h * 3600 + m * 60) * NS_PER_S + seconds_to_ns(secs))
}

fn seconds_to_ns(s: f64) -> u64 {
    // Non-negative and bounded by the callers.
    (s * 1e9).round() as u64
}

impl<'de> Deserialize<'de> for TimeSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = TimeSpec;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a time: \"+HH:MM:SS\", seconds, \"yyyyMMddHHmmss\" or RFC 3339")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<TimeSpec, E> {
                u64::try_from(v)
                    .ok()
                    .and_then(|s| s.checked_mul(NS_PER_S))
                    .map(TimeSpec::Offset)
                    .ok_or_else(|| E::custom(format!("expected seconds ≥ 0, found {v}")))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<TimeSpec, E> {
                v.checked_mul(NS_PER_S)
                    .map(TimeSpec::Offset)
                    .ok_or_else(|| E::custom(format!("seconds out of range: {v}")))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<TimeSpec, E> {
                if v.is_finite() && (0.0..1e9).contains(&v) {
                    Ok(TimeSpec::Offset(seconds_to_ns(v)))
                } else {
                    Err(E::custom(format!("expected seconds ≥ 0, found {v}")))
                }
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<TimeSpec, E> {
                TimeSpec::parse(v).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

// ---------------------------------------------------------------------------------------------
// Shared enums (used by the file and by the validated model)

/// The mine's state (P3/P9: 停产 stopped production, 停建 construction stopped, 关闭 closing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
pub enum MineState {
    #[serde(rename = "停产", alias = "production_stopped")]
    ProductionStopped,
    #[serde(rename = "停建", alias = "construction_stopped")]
    ConstructionStopped,
    #[serde(rename = "关闭", alias = "closed")]
    Closed,
}

impl MineState {
    /// The Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            MineState::ProductionStopped => "停产",
            MineState::ConstructionStopped => "停建",
            MineState::Closed => "关闭",
        }
    }
}

/// Which way people walk: `down` = into the shaft (U1 counts these), `up` = out of it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, serde::Serialize,
)]
#[serde(rename_all = "snake_case")]
pub enum PersonDirection {
    Down,
    Up,
}

/// Which way trucks drive through the gate: `out` = leaving the site (U2 counts these).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, serde::Serialize,
)]
#[serde(rename_all = "snake_case")]
pub enum TruckDirection {
    In,
    Out,
}

/// How a group is arranged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Formation {
    /// Abreast, 0.75 m apart along the edge; all cross at about the same time.
    #[default]
    SideBySide,
    /// One behind the other, 1.3 m apart along the path.
    File,
}

/// What people do at the counting edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Behaviour {
    /// Walk straight across (optionally pausing `pause_s` at `pause_at_m`).
    #[default]
    Cross,
    /// Walk to the edge, stand with the feet on it for `pause_s`, walk on: one crossing.
    StopAndGo,
    /// Walk towards the edge, stop `pause_at_m` before it (default −0.6 m), wait `pause_s`, walk
    /// back: no crossing.
    TurnBack,
    /// Walk up, mill about within 0.4–2 m before the edge for `pause_s`, then cross.
    Loiter,
}

/// Belt state (U3's transport state for a belt).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BeltState {
    Stopped,
    RunningLoaded,
    RunningEmpty,
}

/// The kinds of camera tampering (U4: cover/smear/defocus/freeze/exposure are occlusion `04`,
/// angle moved is `05`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TamperKindSpec {
    Cover,
    Smear,
    Defocus,
    AngleMoved,
    Freeze,
    OverExposure,
    UnderExposure,
}

impl TamperKindSpec {
    /// The U4 analysis type the spec's device should report: `05` for angle moved, else `04`.
    pub fn analysis_code(self) -> &'static str {
        if self == TamperKindSpec::AngleMoved {
            "05"
        } else {
            "04"
        }
    }
    /// snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            TamperKindSpec::Cover => "cover",
            TamperKindSpec::Smear => "smear",
            TamperKindSpec::Defocus => "defocus",
            TamperKindSpec::AngleMoved => "angle_moved",
            TamperKindSpec::Freeze => "freeze",
            TamperKindSpec::OverExposure => "over_exposure",
            TamperKindSpec::UnderExposure => "under_exposure",
        }
    }
}

/// Forced colour mode for a lighting key, or automatic switching (C6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LightMode {
    /// Infrared monochrome when `ambient` < [`IR_SWITCH_AMBIENT`], colour otherwise.
    #[default]
    Auto,
    Colour,
    InfraredMono,
}

/// Ambient level under which an `auto` camera switches to IR monochrome (C6).
pub const IR_SWITCH_AMBIENT: f64 = 0.25;

/// What a generator produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GeneratorKind {
    People,
    Trucks,
}

/// Directions a generator draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GeneratorDirection {
    Down,
    Up,
    In,
    Out,
    /// Each arrival goes either way with probability ½.
    Both,
}

// ---------------------------------------------------------------------------------------------
// The file as written (private; every key documented in scenarios/EXAMPLE.toml)

mod file {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Root {
        pub seed: u64,
        pub start: TimeSpec,
        pub duration: TimeSpec,
        pub mine: Mine,
        pub cameras: Vec<Camera>,
        #[serde(default)]
        pub lighting: Vec<Light>,
        #[serde(default)]
        pub people: Vec<People>,
        #[serde(default)]
        pub trucks: Vec<Trucks>,
        #[serde(default)]
        pub belt: Vec<Belt>,
        #[serde(default)]
        pub skips: Vec<Skip>,
        #[serde(default)]
        pub tamper: Vec<Tamper>,
        #[serde(default)]
        pub locks: Vec<Lock>,
        #[serde(default)]
        pub generators: Vec<Generator>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Mine {
        pub code: MineCode,
        pub name: String,
        pub region: String,
        pub state: MineState,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Camera {
        pub code: CameraCode,
        #[serde(default)]
        pub name: Option<String>,
        pub site: SiteKind,
        pub width: u32,
        pub height: u32,
        pub fps: u32,
        pub position: [f64; 3],
        pub tilt_deg: f64,
        pub yaw_deg: f64,
        pub hfov_deg: f64,
        #[serde(default)]
        pub edge: Option<[[f64; 2]; 2]>,
        #[serde(default)]
        pub noise_sigma: Option<f64>,
        #[serde(default)]
        pub haze: Option<f64>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Light {
        pub at: TimeSpec,
        pub ambient: f64,
        #[serde(default)]
        pub dusk: f64,
        #[serde(default)]
        pub mode: LightMode,
        #[serde(default)]
        pub flicker: f64,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct People {
        pub camera: CameraCode,
        pub at: TimeSpec,
        #[serde(default = "one")]
        pub count: u8,
        #[serde(default)]
        pub formation: Formation,
        pub direction: PersonDirection,
        #[serde(default)]
        pub speed_mps: Option<f64>,
        #[serde(default)]
        pub behaviour: Behaviour,
        #[serde(default)]
        pub pause_s: Option<f64>,
        #[serde(default)]
        pub pause_at_m: Option<f64>,
        #[serde(default)]
        pub offset_m: Option<f64>,
        #[serde(default)]
        pub tools: Option<bool>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Trucks {
        pub camera: CameraCode,
        pub at: TimeSpec,
        #[serde(default = "one")]
        pub count: u8,
        pub direction: TruckDirection,
        #[serde(default = "yes")]
        pub loaded: bool,
        #[serde(default)]
        pub spacing_s: Option<f64>,
        #[serde(default)]
        pub speed_mps: Option<f64>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Belt {
        pub camera: CameraCode,
        pub at: TimeSpec,
        pub state: BeltState,
        #[serde(default)]
        pub speed_mps: Option<f64>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Skip {
        pub camera: CameraCode,
        pub at: TimeSpec,
        #[serde(default = "one_u32")]
        pub trips: u32,
        #[serde(default = "yes")]
        pub loaded: bool,
        #[serde(default)]
        pub travel_s: Option<f64>,
        #[serde(default)]
        pub dwell_s: Option<f64>,
        #[serde(default)]
        pub height_m: Option<f64>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Tamper {
        pub camera: CameraCode,
        pub kind: TamperKindSpec,
        pub from: TimeSpec,
        pub until: TimeSpec,
        #[serde(default)]
        pub fraction: Option<f64>,
        #[serde(default)]
        pub strength: Option<f64>,
        #[serde(default)]
        pub radius_px: Option<f64>,
        #[serde(default)]
        pub pan_deg: Option<f64>,
        #[serde(default)]
        pub tilt_deg: Option<f64>,
        #[serde(default)]
        pub gain: Option<f64>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Lock {
        pub code: LockCode,
        pub state: LockState,
        pub at: TimeSpec,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Generator {
        pub kind: GeneratorKind,
        pub camera: CameraCode,
        pub from: TimeSpec,
        pub until: TimeSpec,
        pub rate_per_hour: f64,
        #[serde(default = "both")]
        pub direction: GeneratorDirection,
        #[serde(default)]
        pub group_max: Option<u8>,
        #[serde(default)]
        pub p_stop_and_go: Option<f64>,
        #[serde(default)]
        pub p_turn_back: Option<f64>,
        #[serde(default)]
        pub p_loaded: Option<f64>,
    }

    fn one() -> u8 {
        1
    }
    fn one_u32() -> u32 {
        1
    }
    fn yes() -> bool {
        true
    }
    fn both() -> GeneratorDirection {
        GeneratorDirection::Both
    }
}

// ---------------------------------------------------------------------------------------------
// The validated model

/// A validated scenario: every time in ns since `start`, every camera reference an index into
/// `cameras`, every default filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Where it came from (as given to the loader), for messages.
    pub file: String,
    /// Seed of every random choice ([`crate::rng`]).
    pub seed: u64,
    /// The start instant, CST.
    pub start: DateTime<FixedOffset>,
    /// Length of the run, ns.
    pub duration_ns: u64,
    pub mine: Mine,
    pub cameras: Vec<Camera>,
    /// Lighting keys, sorted by time (a day key at 0 if the file has none).
    pub lighting: Vec<LightKey>,
    pub people: Vec<PeopleSpec>,
    pub trucks: Vec<TruckSpec>,
    pub belt: Vec<BeltChange>,
    pub skips: Vec<SkipSpec>,
    pub tamper: Vec<TamperSpec>,
    pub locks: Vec<LockSpec>,
    pub generators: Vec<GeneratorSpec>,
}

/// The mine under seal.
#[derive(Debug, Clone, PartialEq)]
pub struct Mine {
    pub code: MineCode,
    pub name: String,
    pub region: String,
    pub state: MineState,
}

/// A counting edge (or gate line) on the ground, `a → b`, metres.
///
/// The **inside** (shaft or mine site) is on the left of `a → b` (counter-clockwise side): going
/// from the right side to the left is `down` / `in`, from left to right `up` / `out`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Edge {
    pub a: [f64; 2],
    pub b: [f64; 2],
}

impl Edge {
    /// Length, metres.
    pub fn length(&self) -> f64 {
        (self.b[0] - self.a[0]).hypot(self.b[1] - self.a[1])
    }
    /// Unit vector along `a → b`.
    pub fn along(&self) -> [f64; 2] {
        let l = self.length().max(1e-12);
        [(self.b[0] - self.a[0]) / l, (self.b[1] - self.a[1]) / l]
    }
    /// Unit normal pointing to the inside (left of `a → b`).
    pub fn inward(&self) -> [f64; 2] {
        let [ux, uy] = self.along();
        [-uy, ux]
    }
    /// Midpoint.
    pub fn mid(&self) -> [f64; 2] {
        [(self.a[0] + self.b[0]) / 2.0, (self.a[1] + self.b[1]) / 2.0]
    }
}

/// One camera.
#[derive(Debug, Clone, PartialEq)]
pub struct Camera {
    pub code: CameraCode,
    pub name: Option<String>,
    pub site: SiteKind,
    /// Pose and image size, radians (as the renderer takes it).
    pub pose: CameraPose,
    pub fps: u32,
    /// The counting edge (shaft mouths) or gate line (vehicle gates).
    pub edge: Option<Edge>,
    /// Sensor-noise std-dev, 8-bit levels.
    pub noise_sigma: f32,
    /// Haze / dust, 0..=1.
    pub haze: f32,
}

/// A lighting key: values hold from `at_ns`; `ambient` and `dusk` ramp linearly to the next key.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LightKey {
    pub at_ns: u64,
    pub ambient: f64,
    pub dusk: f64,
    pub mode: LightMode,
    pub flicker: f64,
}

/// A group of people (1–5) at one camera's counting edge.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PeopleSpec {
    pub camera: usize,
    /// When the first member starts walking (6 m before the edge).
    pub at_ns: u64,
    pub count: u8,
    pub formation: Formation,
    pub direction: PersonDirection,
    /// `None`: drawn uniformly from 0.8–1.6 m/s.
    pub speed_mps: Option<f64>,
    pub behaviour: Behaviour,
    pub pause_s: f64,
    /// Signed distance from the edge along the walk where the pause happens (negative = before).
    pub pause_at_m: f64,
    /// Lateral offset of the group's centre from the edge midpoint, along `a → b`.
    pub offset_m: f64,
    /// `None`: each member carries a tool with probability 0.2.
    pub tools: Option<bool>,
}

/// Trucks through one vehicle gate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TruckSpec {
    pub camera: usize,
    /// When the first truck starts, 25 m before the gate line.
    pub at_ns: u64,
    pub count: u8,
    pub direction: TruckDirection,
    pub loaded: bool,
    pub spacing_s: f64,
    pub speed_mps: f64,
}

/// The belt in view of `camera` changes to `state` at `at_ns`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BeltChange {
    pub camera: usize,
    pub at_ns: u64,
    pub state: BeltState,
    pub speed_mps: f64,
}

/// Skip trips in the headframe seen by `camera`: up (loaded or not), dump, down, load.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SkipSpec {
    pub camera: usize,
    pub at_ns: u64,
    pub trips: u32,
    pub loaded: bool,
    pub travel_s: f64,
    pub dwell_s: f64,
    pub height_m: f64,
}

/// Tampering of one camera over `[from_ns, until_ns)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TamperSpec {
    pub camera: usize,
    pub kind: TamperKindSpec,
    pub from_ns: u64,
    pub until_ns: u64,
    /// The kind's parameter: cover fraction, smear strength, defocus radius (px), exposure gain;
    /// for angle moved the pan (degrees).
    pub amount: f64,
    /// Angle moved: tilt change (degrees); 0 otherwise.
    pub tilt_deg: f64,
}

/// An e-lock event (U5).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LockSpec {
    pub code: LockCode,
    pub state: LockState,
    pub at_ns: u64,
}

/// Poisson arrivals at one camera over `[from_ns, until_ns)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeneratorSpec {
    pub kind: GeneratorKind,
    pub camera: usize,
    pub from_ns: u64,
    pub until_ns: u64,
    pub rate_per_hour: f64,
    pub direction: GeneratorDirection,
    pub group_max: u8,
    pub p_stop_and_go: f64,
    pub p_turn_back: f64,
    pub p_loaded: f64,
}

impl Scenario {
    /// Reads and validates a scenario file; the path as given appears in every diagnostic.
    pub fn load(path: impl AsRef<Path>) -> Result<Scenario, ScenarioError> {
        let path = path.as_ref();
        let label = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Io {
            path: label.clone(),
            source,
        })?;
        Scenario::parse(&text, &label)
    }

    /// Parses and validates scenario text; `file` names it in diagnostics.
    pub fn parse(text: &str, file: &str) -> Result<Scenario, ScenarioError> {
        let locator = Locator::new(text, file);
        let de = toml::Deserializer::parse(text).map_err(|e| {
            ScenarioError::Invalid(vec![locator.at_span(e.span(), ".", e.message())])
        })?;
        let root: file::Root = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let diag = match inner.span() {
                Some(span) => locator.at_span(Some(span), &path, inner.message()),
                None => locator.at_path(&path, inner.message()),
            };
            ScenarioError::Invalid(vec![diag])
        })?;
        let mut v = Validator {
            loc: locator,
            diags: Vec::new(),
        };
        let scenario = v.scenario(root, file);
        if v.diags.is_empty() {
            Ok(scenario)
        } else {
            v.diags.sort_by_key(|d| (d.line, d.column));
            Err(ScenarioError::Invalid(v.diags))
        }
    }

    /// Index of the camera with `code`.
    pub fn camera_index(&self, code: CameraCode) -> Option<usize> {
        self.cameras.iter().position(|c| c.code == code)
    }
}

// ---------------------------------------------------------------------------------------------
// Locating fields

struct Locator<'a> {
    text: &'a str,
    file: String,
    doc: Option<toml::Spanned<toml::de::DeTable<'a>>>,
}

impl<'a> Locator<'a> {
    fn new(text: &'a str, file: &str) -> Locator<'a> {
        Locator {
            text,
            file: file.to_owned(),
            doc: toml::de::DeTable::parse(text).ok(),
        }
    }

    fn at_span(&self, span: Option<Range<usize>>, field: &str, message: &str) -> Diagnostic {
        let start = span.map_or(0, |s| s.start).min(self.text.len());
        let before = self.text.get(..start).unwrap_or_default();
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Diagnostic {
            file: self.file.clone(),
            line,
            column,
            field: field.to_owned(),
            message: message.trim().to_owned(),
        }
    }

    /// The span of the value at `path` (`a.b[2].c`), or of its nearest existing ancestor.
    fn span_of(&self, path: &str) -> Option<Range<usize>> {
        let doc = self.doc.as_ref()?;
        let mut best = doc.span();
        let mut table: Option<&toml::de::DeTable<'_>> = Some(doc.get_ref());
        let mut value: Option<&toml::Spanned<toml::de::DeValue<'_>>> = None;
        for seg in path_segments(path) {
            let next = match (seg, table, value) {
                (Seg::Key(k), Some(t), _) => t.get(k),
                (Seg::Key(k), None, Some(v)) => v.get_ref().get(k),
                (Seg::Index(i), _, Some(v)) => v.get_ref().get(i),
                _ => None,
            };
            let Some(next) = next else { break };
            best = next.span();
            value = Some(next);
            table = None;
        }
        Some(best)
    }

    fn at_path(&self, path: &str, message: &str) -> Diagnostic {
        self.at_span(self.span_of(path), path, message)
    }
}

enum Seg<'p> {
    Key(&'p str),
    Index(usize),
}

fn path_segments(path: &str) -> Vec<Seg<'_>> {
    let mut out = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (key, rest) = part.split_once('[').map_or((part, ""), |(k, r)| (k, r));
        if !key.is_empty() {
            out.push(Seg::Key(key));
        }
        for idx in rest.split('[') {
            if let Ok(i) = idx.trim_end_matches(']').parse() {
                out.push(Seg::Index(i));
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Validation

struct Validator<'a> {
    loc: Locator<'a>,
    diags: Vec<Diagnostic>,
}

/// Default site geometry figures, metres / seconds.
pub mod defaults {
    /// Belt speed when running.
    pub const BELT_SPEED_MPS: f64 = 2.0;
    /// Truck speed through the gate.
    pub const TRUCK_SPEED_MPS: f64 = 3.0;
    /// Convoy spacing.
    pub const TRUCK_SPACING_S: f64 = 6.0;
    /// Skip travel time one way.
    pub const SKIP_TRAVEL_S: f64 = 10.0;
    /// Skip dwell at top (dump) and bottom (load).
    pub const SKIP_DWELL_S: f64 = 4.0;
    /// Skip travel height in view.
    pub const SKIP_HEIGHT_M: f64 = 15.0;
    /// Sensor noise.
    pub const NOISE_SIGMA: f64 = 1.5;
    /// Stop-and-go / loiter / turn-back pause.
    pub const PAUSE_S: f64 = 2.0;
    /// Turn-back distance before the edge.
    pub const TURN_BACK_AT_M: f64 = -0.6;
}

impl Validator<'_> {
    fn err(&mut self, path: &str, message: impl Into<String>) {
        let d = self.loc.at_path(path, &message.into());
        self.diags.push(d);
    }

    fn range(&mut self, path: &str, v: f64, lo: f64, hi: f64, what: &str) {
        if !(v.is_finite() && (lo..=hi).contains(&v)) {
            self.err(path, format!("expected {what} {lo}–{hi}, found {v}"));
        }
    }

    fn time(&mut self, path: &str, t: TimeSpec, start: DateTime<FixedOffset>, dur: u64) -> u64 {
        match t.resolve(start) {
            Some(ns) if ns <= dur => ns,
            Some(ns) => {
                self.err(
                    path,
                    format!(
                        "time {} is after the end of the scenario ({})",
                        fmt_offset(ns),
                        fmt_offset(dur)
                    ),
                );
                dur
            }
            None => {
                self.err(path, "time is before the scenario start");
                0
            }
        }
    }

    fn camera_ref(
        &mut self,
        path: &str,
        code: CameraCode,
        cams: &[Camera],
        sites: &[SiteKind],
        what: &str,
    ) -> usize {
        match cams.iter().position(|c| c.code == code) {
            None => {
                let known: Vec<String> = cams.iter().map(|c| c.code.to_string()).collect();
                self.err(
                    path,
                    format!("unknown camera {code} (cameras: {})", known.join(", ")),
                );
                0
            }
            Some(i) => {
                if !sites.contains(&cams[i].site) {
                    self.err(
                        path,
                        format!(
                            "{what} need a {} camera; camera {code} is a {}",
                            sites
                                .iter()
                                .map(|s| site_name(*s))
                                .collect::<Vec<_>>()
                                .join(" or "),
                            site_name(cams[i].site)
                        ),
                    );
                }
                i
            }
        }
    }

    fn scenario(&mut self, r: file::Root, file: &str) -> Scenario {
        let start = match r.start {
            TimeSpec::Absolute(t) => {
                if !(2000..=2099).contains(&t.year()) {
                    self.err(
                        "start",
                        format!("expected a year 2000–2099, found {}", t.year()),
                    );
                }
                t
            }
            TimeSpec::Offset(_) => {
                self.err("start", "expected an absolute CST time (\"2026-11-28T08:00:00+08:00\" or \"20261128080000\"), found an offset");
                DateTime::UNIX_EPOCH.with_timezone(&MineTime::CST)
            }
        };
        let duration_ns = match r.duration {
            TimeSpec::Offset(ns) if ns > 0 && ns <= 7 * 24 * 3600 * NS_PER_S => ns,
            TimeSpec::Offset(ns) => {
                self.err(
                    "duration",
                    format!("expected 0 < duration ≤ 7 days, found {}", fmt_offset(ns)),
                );
                NS_PER_S
            }
            TimeSpec::Absolute(_) => {
                self.err(
                    "duration",
                    "expected a length (\"00:01:00\" or seconds), found an absolute time",
                );
                NS_PER_S
            }
        };
        if r.seed > i64::MAX as u64 {
            self.err("seed", "expected a seed 0–9223372036854775807");
        }
        let mine = Mine {
            code: r.mine.code,
            name: r.mine.name,
            region: r.mine.region,
            state: r.mine.state,
        };

        if r.cameras.is_empty() {
            self.err("cameras", "expected at least one [[cameras]]");
        }
        let mut cameras = Vec::new();
        for (i, c) in r.cameras.into_iter().enumerate() {
            cameras.push(self.camera(i, c, &cameras_codes(&cameras)));
        }

        let mut lighting = Vec::new();
        for (i, l) in r.lighting.into_iter().enumerate() {
            let p = format!("lighting[{i}]");
            let at_ns = self.time(&format!("{p}.at"), l.at, start, duration_ns);
            self.range(
                &format!("{p}.ambient"),
                l.ambient,
                0.0,
                1.0,
                "ambient light",
            );
            self.range(&format!("{p}.dusk"), l.dusk, 0.0, 1.0, "dusk tint");
            self.range(
                &format!("{p}.flicker"),
                l.flicker,
                0.0,
                0.5,
                "lamp flicker amplitude",
            );
            if let Some(prev) = lighting.last().map(|k: &LightKey| k.at_ns)
                && at_ns <= prev
            {
                self.err(
                    &format!("{p}.at"),
                    "lighting keys must be in increasing time order",
                );
            }
            lighting.push(LightKey {
                at_ns,
                ambient: l.ambient,
                dusk: l.dusk,
                mode: l.mode,
                flicker: l.flicker,
            });
        }
        if lighting.first().is_none_or(|k| k.at_ns > 0) {
            let first = lighting.first().copied();
            lighting.insert(
                0,
                first.map_or(
                    LightKey {
                        at_ns: 0,
                        ambient: 1.0,
                        dusk: 0.0,
                        mode: LightMode::Auto,
                        flicker: 0.0,
                    },
                    |k| LightKey { at_ns: 0, ..k },
                ),
            );
        }

        let edge_sites = [SiteKind::ShaftMouth, SiteKind::ReturnAirShaft];
        let mut people = Vec::new();
        for (i, g) in r.people.into_iter().enumerate() {
            let p = format!("people[{i}]");
            let camera = self.camera_ref(
                &format!("{p}.camera"),
                g.camera,
                &cameras,
                &edge_sites,
                "people",
            );
            let at_ns = self.time(&format!("{p}.at"), g.at, start, duration_ns);
            if !(1..=5).contains(&g.count) {
                self.err(
                    &format!("{p}.count"),
                    format!("expected a group of 1–5 people, found {}", g.count),
                );
            }
            if let Some(s) = g.speed_mps {
                self.range(
                    &format!("{p}.speed_mps"),
                    s,
                    0.8,
                    1.6,
                    "walking speed (m/s)",
                );
            }
            let pause_s = g.pause_s.unwrap_or(match g.behaviour {
                Behaviour::Cross => 0.0,
                _ => defaults::PAUSE_S,
            });
            self.range(&format!("{p}.pause_s"), pause_s, 0.0, 600.0, "pause (s)");
            let pause_at_m = g.pause_at_m.unwrap_or(match g.behaviour {
                Behaviour::TurnBack => defaults::TURN_BACK_AT_M,
                Behaviour::Loiter => -1.2,
                _ => 0.0,
            });
            match g.behaviour {
                Behaviour::TurnBack => self.range(
                    &format!("{p}.pause_at_m"),
                    pause_at_m,
                    -2.9,
                    -0.1,
                    "turn-back point before the edge (m)",
                ),
                Behaviour::StopAndGo | Behaviour::Loiter => {
                    if g.pause_at_m.is_some() {
                        self.err(
                            &format!("{p}.pause_at_m"),
                            format!(
                                "{:?} pauses at a fixed place; remove pause_at_m",
                                g.behaviour
                            )
                            .to_lowercase(),
                        );
                    }
                }
                Behaviour::Cross => self.range(
                    &format!("{p}.pause_at_m"),
                    pause_at_m,
                    -2.9,
                    2.9,
                    "pause point (m from the edge; the portal is 3 m beyond it)",
                ),
            }
            let offset_m = g.offset_m.unwrap_or(0.0);
            let shaft_edge = cameras
                .get(camera)
                .filter(|c| edge_sites.contains(&c.site) && (1..=5).contains(&g.count))
                .and_then(|c| c.edge);
            if let Some(edge) = shaft_edge {
                let half = edge.length() / 2.0;
                let spread = match g.formation {
                    Formation::SideBySide => 0.375 * f64::from(g.count.saturating_sub(1)),
                    Formation::File => 0.0,
                };
                let half = half.min(crate::ground::PORTAL_HALF_OPENING_M);
                if offset_m.abs() + spread > half - 0.1 {
                    self.err(
                        &format!("{p}.offset_m"),
                        format!("the group ({:.2} m wide) at offset {offset_m} m does not fit through the {:.2} m of counting edge and 3.4 m portal opening", 2.0 * spread, edge.length()),
                    );
                }
            }
            people.push(PeopleSpec {
                camera,
                at_ns,
                count: g.count,
                formation: g.formation,
                direction: g.direction,
                speed_mps: g.speed_mps,
                behaviour: g.behaviour,
                pause_s,
                pause_at_m,
                offset_m,
                tools: g.tools,
            });
        }

        let mut trucks = Vec::new();
        for (i, t) in r.trucks.into_iter().enumerate() {
            let p = format!("trucks[{i}]");
            let camera = self.camera_ref(
                &format!("{p}.camera"),
                t.camera,
                &cameras,
                &[SiteKind::VehicleGate],
                "trucks",
            );
            let at_ns = self.time(&format!("{p}.at"), t.at, start, duration_ns);
            if !(1..=20).contains(&t.count) {
                self.err(
                    &format!("{p}.count"),
                    format!("expected a convoy of 1–20 trucks, found {}", t.count),
                );
            }
            if let Some(edge) = cameras.get(camera).and_then(|c| c.edge)
                && edge.length() / 2.0 < crate::ground::TRUCK_LANE_M + 0.5
            {
                self.err(
                    &format!("{p}.camera"),
                    format!(
                        "camera {}'s gate line is {:.1} m long; trucks keep {} m right of its middle, so it must be at least {:.1} m",
                        t.camera,
                        edge.length(),
                        crate::ground::TRUCK_LANE_M,
                        2.0 * (crate::ground::TRUCK_LANE_M + 0.5)
                    ),
                );
            }
            let spacing_s = t.spacing_s.unwrap_or(defaults::TRUCK_SPACING_S);
            self.range(
                &format!("{p}.spacing_s"),
                spacing_s,
                3.0,
                600.0,
                "convoy spacing (s)",
            );
            let speed_mps = t.speed_mps.unwrap_or(defaults::TRUCK_SPEED_MPS);
            self.range(
                &format!("{p}.speed_mps"),
                speed_mps,
                1.0,
                15.0,
                "truck speed (m/s)",
            );
            trucks.push(TruckSpec {
                camera,
                at_ns,
                count: t.count,
                direction: t.direction,
                loaded: t.loaded,
                spacing_s,
                speed_mps,
            });
        }

        let mut belt: Vec<BeltChange> = Vec::new();
        for (i, b) in r.belt.into_iter().enumerate() {
            let p = format!("belt[{i}]");
            let camera = self.camera_ref(
                &format!("{p}.camera"),
                b.camera,
                &cameras,
                &[SiteKind::Belt],
                "belt changes",
            );
            let at_ns = self.time(&format!("{p}.at"), b.at, start, duration_ns);
            let speed_mps = b.speed_mps.unwrap_or(defaults::BELT_SPEED_MPS);
            self.range(
                &format!("{p}.speed_mps"),
                speed_mps,
                0.5,
                6.0,
                "belt speed (m/s)",
            );
            if belt.iter().any(|o| o.camera == camera && o.at_ns >= at_ns) {
                self.err(
                    &format!("{p}.at"),
                    "belt changes of one camera must be in increasing time order",
                );
            }
            belt.push(BeltChange {
                camera,
                at_ns,
                state: b.state,
                speed_mps,
            });
        }

        let mut skips: Vec<SkipSpec> = Vec::new();
        for (i, s) in r.skips.into_iter().enumerate() {
            let p = format!("skips[{i}]");
            let camera = self.camera_ref(
                &format!("{p}.camera"),
                s.camera,
                &cameras,
                &[SiteKind::SkipHeadframe],
                "skip trips",
            );
            let at_ns = self.time(&format!("{p}.at"), s.at, start, duration_ns);
            let travel_s = s.travel_s.unwrap_or(defaults::SKIP_TRAVEL_S);
            let dwell_s = s.dwell_s.unwrap_or(defaults::SKIP_DWELL_S);
            let height_m = s.height_m.unwrap_or(defaults::SKIP_HEIGHT_M);
            self.range(
                &format!("{p}.travel_s"),
                travel_s,
                2.0,
                300.0,
                "one-way travel time (s)",
            );
            self.range(
                &format!("{p}.dwell_s"),
                dwell_s,
                0.5,
                300.0,
                "dwell time (s)",
            );
            self.range(
                &format!("{p}.height_m"),
                height_m,
                2.0,
                60.0,
                "skip travel height (m)",
            );
            if !(1..=1000).contains(&s.trips) {
                self.err(
                    &format!("{p}.trips"),
                    format!("expected 1–1000 trips, found {}", s.trips),
                );
            }
            let spec = SkipSpec {
                camera,
                at_ns,
                trips: s.trips,
                loaded: s.loaded,
                travel_s,
                dwell_s,
                height_m,
            };
            let end = |k: &SkipSpec| {
                k.at_ns + seconds_to_ns(f64::from(k.trips) * 2.0 * (k.travel_s + k.dwell_s))
            };
            if skips
                .iter()
                .any(|o| o.camera == camera && o.at_ns < end(&spec) && spec.at_ns < end(o))
            {
                self.err(&format!("{p}.at"), "overlaps an earlier [[skips]] entry of the same camera (one skip per headframe)");
            }
            skips.push(spec);
        }

        let mut tamper: Vec<TamperSpec> = Vec::new();
        for (i, t) in r.tamper.into_iter().enumerate() {
            let p = format!("tamper[{i}]");
            let any_site = [
                SiteKind::ShaftMouth,
                SiteKind::ReturnAirShaft,
                SiteKind::VehicleGate,
                SiteKind::Belt,
                SiteKind::SkipHeadframe,
            ];
            let camera = self.camera_ref(
                &format!("{p}.camera"),
                t.camera,
                &cameras,
                &any_site,
                "tampering",
            );
            let from_ns = self.time(&format!("{p}.from"), t.from, start, duration_ns);
            let until_ns = self.time(&format!("{p}.until"), t.until, start, duration_ns);
            if until_ns <= from_ns {
                self.err(
                    &format!("{p}.until"),
                    format!(
                        "expected until after from ({}), found {}",
                        fmt_offset(from_ns),
                        fmt_offset(until_ns)
                    ),
                );
            }
            let (amount, tilt_deg) = self.tamper_params(&p, &t);
            if let Some((j, _)) = tamper
                .iter()
                .enumerate()
                .find(|(_, o)| o.camera == camera && o.from_ns < until_ns && from_ns < o.until_ns)
            {
                self.err(
                    &format!("{p}.from"),
                    format!(
                        "overlaps tamper[{j}] on camera {} (one tampering at a time per camera)",
                        t.camera
                    ),
                );
            }
            tamper.push(TamperSpec {
                camera,
                kind: t.kind,
                from_ns,
                until_ns,
                amount,
                tilt_deg,
            });
        }

        let mut locks = Vec::new();
        for (i, l) in r.locks.into_iter().enumerate() {
            let at_ns = self.time(&format!("locks[{i}].at"), l.at, start, duration_ns);
            locks.push(LockSpec {
                code: l.code,
                state: l.state,
                at_ns,
            });
        }

        let mut generators = Vec::new();
        for (i, g) in r.generators.into_iter().enumerate() {
            let p = format!("generators[{i}]");
            let (sites, what): (&[SiteKind], &str) = match g.kind {
                GeneratorKind::People => (&edge_sites, "people"),
                GeneratorKind::Trucks => (&[SiteKind::VehicleGate], "trucks"),
            };
            let camera = self.camera_ref(&format!("{p}.camera"), g.camera, &cameras, sites, what);
            let from_ns = self.time(&format!("{p}.from"), g.from, start, duration_ns);
            let until_ns = self.time(&format!("{p}.until"), g.until, start, duration_ns);
            if until_ns <= from_ns {
                self.err(&format!("{p}.until"), "expected until after from");
            }
            self.range(
                &format!("{p}.rate_per_hour"),
                g.rate_per_hour,
                0.001,
                3600.0,
                "arrivals per hour",
            );
            let ok_dir = match (g.kind, g.direction) {
                (_, GeneratorDirection::Both) => true,
                (GeneratorKind::People, d) => {
                    matches!(d, GeneratorDirection::Down | GeneratorDirection::Up)
                }
                (GeneratorKind::Trucks, d) => {
                    matches!(d, GeneratorDirection::In | GeneratorDirection::Out)
                }
            };
            if !ok_dir {
                self.err(
                    &format!("{p}.direction"),
                    "expected down/up/both for people, in/out/both for trucks",
                );
            }
            let group_max = g.group_max.unwrap_or(if g.kind == GeneratorKind::People {
                3
            } else {
                1
            });
            if g.kind == GeneratorKind::People && !(1..=5).contains(&group_max) {
                self.err(
                    &format!("{p}.group_max"),
                    format!("expected a group size 1–5, found {group_max}"),
                );
            }
            let p_stop_and_go = g.p_stop_and_go.unwrap_or(0.0);
            let p_turn_back = g.p_turn_back.unwrap_or(0.0);
            let p_loaded = g.p_loaded.unwrap_or(0.7);
            self.range(
                &format!("{p}.p_stop_and_go"),
                p_stop_and_go,
                0.0,
                1.0,
                "probability",
            );
            self.range(
                &format!("{p}.p_turn_back"),
                p_turn_back,
                0.0,
                1.0,
                "probability",
            );
            self.range(&format!("{p}.p_loaded"), p_loaded, 0.0, 1.0, "probability");
            if p_stop_and_go + p_turn_back > 1.0 {
                self.err(
                    &format!("{p}.p_turn_back"),
                    "p_stop_and_go + p_turn_back must be ≤ 1",
                );
            }
            for (key, present, kind) in [
                ("group_max", g.group_max.is_some(), GeneratorKind::People),
                (
                    "p_stop_and_go",
                    g.p_stop_and_go.is_some(),
                    GeneratorKind::People,
                ),
                (
                    "p_turn_back",
                    g.p_turn_back.is_some(),
                    GeneratorKind::People,
                ),
                ("p_loaded", g.p_loaded.is_some(), GeneratorKind::Trucks),
            ] {
                if present && g.kind != kind {
                    self.err(
                        &format!("{p}.{key}"),
                        format!("{key} applies to {kind:?} generators only").to_lowercase(),
                    );
                }
            }
            generators.push(GeneratorSpec {
                kind: g.kind,
                camera,
                from_ns,
                until_ns,
                rate_per_hour: g.rate_per_hour,
                direction: g.direction,
                group_max,
                p_stop_and_go,
                p_turn_back,
                p_loaded,
            });
        }

        Scenario {
            file: file.to_owned(),
            seed: r.seed,
            start,
            duration_ns,
            mine,
            cameras,
            lighting,
            people,
            trucks,
            belt,
            skips,
            tamper,
            locks,
            generators,
        }
    }

    fn camera(&mut self, i: usize, c: file::Camera, earlier: &[CameraCode]) -> Camera {
        let p = format!("cameras[{i}]");
        if earlier.contains(&c.code) {
            self.err(
                &format!("{p}.code"),
                format!("camera {} is defined twice", c.code),
            );
        }
        if c.width == 0 || c.width > 2560 || !c.width.is_multiple_of(2) {
            self.err(
                &format!("{p}.width"),
                format!(
                    "expected an even width 2–2560 px (C7: at most 2560×1440), found {}",
                    c.width
                ),
            );
        }
        if c.height == 0 || c.height > 1440 || !c.height.is_multiple_of(2) {
            self.err(
                &format!("{p}.height"),
                format!(
                    "expected an even height 2–1440 px (C7: at most 2560×1440), found {}",
                    c.height
                ),
            );
        }
        if !(1..=60).contains(&c.fps) {
            self.err(
                &format!("{p}.fps"),
                format!("expected 1–60 frames per second, found {}", c.fps),
            );
        }
        let shaft = matches!(c.site, SiteKind::ShaftMouth | SiteKind::ReturnAirShaft);
        if shaft && !(40.0..=70.0).contains(&c.tilt_deg) {
            self.err(
                &format!("{p}.tilt_deg"),
                format!(
                    "expected 40–70° for a shaft mouth camera (C3), found {}",
                    c.tilt_deg
                ),
            );
        } else {
            self.range(
                &format!("{p}.tilt_deg"),
                c.tilt_deg,
                -45.0,
                89.0,
                "tilt below the horizon (°; 90 = vertical is never allowed, C3)",
            );
        }
        self.range(
            &format!("{p}.hfov_deg"),
            c.hfov_deg,
            10.0,
            130.0,
            "horizontal field of view (°)",
        );
        self.range(&format!("{p}.yaw_deg"), c.yaw_deg, -360.0, 360.0, "yaw (°)");
        self.range(
            &format!("{p}.position[2]"),
            c.position[2],
            0.5,
            60.0,
            "mounting height (m)",
        );
        let noise_sigma = c.noise_sigma.unwrap_or(defaults::NOISE_SIGMA);
        self.range(
            &format!("{p}.noise_sigma"),
            noise_sigma,
            0.0,
            50.0,
            "noise std-dev (8-bit levels)",
        );
        let haze = c.haze.unwrap_or(0.0);
        self.range(&format!("{p}.haze"), haze, 0.0, 1.0, "haze");
        let pose = CameraPose {
            position: Vec3::new(
                c.position[0] as f32,
                c.position[1] as f32,
                c.position[2] as f32,
            ),
            yaw: c.yaw_deg.to_radians() as f32,
            tilt: c.tilt_deg.to_radians() as f32,
            hfov: c.hfov_deg.to_radians() as f32,
            width: c.width,
            height: c.height,
        };
        let needs_edge = matches!(
            c.site,
            SiteKind::ShaftMouth | SiteKind::ReturnAirShaft | SiteKind::VehicleGate
        );
        let edge = c.edge.map(|[a, b]| Edge { a, b });
        match edge {
            None if needs_edge => self.err(
                &p,
                format!(
                    "missing field `edge`: a {} camera needs its counting edge (two ground points)",
                    site_name(c.site)
                ),
            ),
            Some(e) => {
                if e.length() < 1.0 {
                    self.err(
                        &format!("{p}.edge"),
                        format!(
                            "expected an edge at least 1 m long, found {:.2} m",
                            e.length()
                        ),
                    );
                } else if c.width > 0 && c.height > 0 {
                    for (k, q) in [e.a, e.b].into_iter().enumerate() {
                        let inside =
                            crate::ground::project(&pose, Vec3::new(q[0] as f32, q[1] as f32, 0.0))
                                .is_some_and(|(u, v)| {
                                    (0.0..=c.width as f32).contains(&u)
                                        && (0.0..=c.height as f32).contains(&v)
                                });
                        if !inside {
                            self.err(
                                &format!("{p}.edge[{k}]"),
                                format!(
                                    "edge end ({}, {}) is outside camera {}'s view",
                                    q[0], q[1], c.code
                                ),
                            );
                        }
                    }
                }
            }
            None => {}
        }
        Camera {
            code: c.code,
            name: c.name,
            site: c.site,
            pose,
            fps: c.fps,
            edge,
            noise_sigma: noise_sigma as f32,
            haze: haze as f32,
        }
    }

    fn tamper_params(&mut self, p: &str, t: &file::Tamper) -> (f64, f64) {
        use TamperKindSpec as K;
        let allowed: &[&str] = match t.kind {
            K::Cover => &["fraction"],
            K::Smear => &["strength"],
            K::Defocus => &["radius_px"],
            K::AngleMoved => &["pan_deg", "tilt_deg"],
            K::Freeze => &[],
            K::OverExposure | K::UnderExposure => &["gain"],
        };
        for (key, present) in [
            ("fraction", t.fraction.is_some()),
            ("strength", t.strength.is_some()),
            ("radius_px", t.radius_px.is_some()),
            ("pan_deg", t.pan_deg.is_some()),
            ("tilt_deg", t.tilt_deg.is_some()),
            ("gain", t.gain.is_some()),
        ] {
            if present && !allowed.contains(&key) {
                self.err(
                    &format!("{p}.{key}"),
                    format!("{key} does not apply to {} tampering", t.kind.name()),
                );
            }
        }
        match t.kind {
            K::Cover => {
                let v = t.fraction.unwrap_or(0.7);
                self.range(
                    &format!("{p}.fraction"),
                    v,
                    0.05,
                    1.0,
                    "covered fraction of the image",
                );
                (v, 0.0)
            }
            K::Smear => {
                let v = t.strength.unwrap_or(0.8);
                self.range(&format!("{p}.strength"), v, 0.05, 1.0, "smear strength");
                (v, 0.0)
            }
            K::Defocus => {
                let v = t.radius_px.unwrap_or(12.0);
                self.range(&format!("{p}.radius_px"), v, 1.0, 100.0, "blur radius (px)");
                (v, 0.0)
            }
            K::AngleMoved => {
                let pan = t.pan_deg.unwrap_or(25.0);
                let tilt = t.tilt_deg.unwrap_or(0.0);
                self.range(
                    &format!("{p}.pan_deg"),
                    pan,
                    -180.0,
                    180.0,
                    "pan change (°)",
                );
                self.range(
                    &format!("{p}.tilt_deg"),
                    tilt,
                    -30.0,
                    30.0,
                    "tilt change (°)",
                );
                if pan.abs() < 2.0 && tilt.abs() < 2.0 {
                    self.err(
                        &format!("{p}.pan_deg"),
                        "an angle move needs |pan| or |tilt| ≥ 2°",
                    );
                }
                (pan, tilt)
            }
            K::Freeze => (0.0, 0.0),
            K::OverExposure => {
                let v = t.gain.unwrap_or(4.0);
                self.range(&format!("{p}.gain"), v, 1.5, 50.0, "over-exposure gain");
                (v, 0.0)
            }
            K::UnderExposure => {
                let v = t.gain.unwrap_or(0.15);
                self.range(&format!("{p}.gain"), v, 0.0, 0.7, "under-exposure gain");
                (v, 0.0)
            }
        }
    }
}

fn cameras_codes(cams: &[Camera]) -> Vec<CameraCode> {
    cams.iter().map(|c| c.code).collect()
}

/// snake_case name of a site kind, as in scenario files.
pub fn site_name(s: SiteKind) -> &'static str {
    match s {
        SiteKind::ShaftMouth => "shaft_mouth",
        SiteKind::ReturnAirShaft => "return_air_shaft",
        SiteKind::VehicleGate => "vehicle_gate",
        SiteKind::Belt => "belt",
        SiteKind::SkipHeadframe => "skip_headframe",
    }
}

/// `+HH:MM:SS.mmm` of an offset in ns.
pub fn fmt_offset(ns: u64) -> String {
    let ms = ns / 1_000_000;
    let (h, m, s, milli) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    if milli == 0 {
        format!("+{h:02}:{m:02}:{s:02}")
    } else {
        format!("+{h:02}:{m:02}:{s:02}.{milli:03}")
    }
}

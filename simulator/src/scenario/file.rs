//! The file as written: the serde structs of the TOML, one per table (every key documented in
//! `scenarios/EXAMPLE.toml`; `deny_unknown_fields` everywhere). Validation turns a [`Root`] into
//! a [`super::Scenario`]; the scenario generator (`crate::random`) builds a [`Root`] and writes
//! it out (absent optional keys are left out), so a drawn file uses exactly the keys a written
//! one may.

use eseal_protocol::{CameraCode, LockCode, LockState, MineCode};
use serde::{Deserialize, Serialize};

use super::time::TimeSpec;
use super::vocabulary::{
    Behaviour, BeltState, Formation, GeneratorDirection, GeneratorKind, LightMode, MineState,
    PersonDirection, TamperKindSpec, TruckDirection,
};
use crate::scene::{RenderStyle, SiteKind};

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Root {
    pub seed: u64,
    pub start: TimeSpec,
    #[serde(serialize_with = "super::time::serialize_length")]
    pub duration: TimeSpec,
    #[serde(default)]
    pub render: RenderStyle,
    pub mine: Mine,
    pub cameras: Vec<Camera>,
    #[serde(default)]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lighting: Vec<Light>,
    #[serde(default)]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub people: Vec<People>,
    #[serde(default)]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub trucks: Vec<Trucks>,
    #[serde(default)]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub belt: Vec<Belt>,
    #[serde(default)]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skips: Vec<Skip>,
    #[serde(default)]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tamper: Vec<Tamper>,
    #[serde(default)]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub locks: Vec<Lock>,
    #[serde(default)]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub generators: Vec<Generator>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Mine {
    pub code: MineCode,
    pub name: String,
    pub region: String,
    pub state: MineState,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Camera {
    pub code: CameraCode,
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edge: Option<[[f64; 2]; 2]>,
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub noise_sigma: Option<f64>,
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub haze: Option<f64>,
}

impl Camera {
    /// The camera's pose as the renderer and the checks use it (degrees to radians, f32).
    pub fn pose(&self) -> crate::scene::CameraPose {
        crate::scene::CameraPose {
            position: crate::scene::Vec3::new(
                self.position[0] as f32,
                self.position[1] as f32,
                self.position[2] as f32,
            ),
            yaw: self.yaw_deg.to_radians() as f32,
            tilt: self.tilt_deg.to_radians() as f32,
            hfov: self.hfov_deg.to_radians() as f32,
            width: self.width,
            height: self.height,
        }
    }
}

#[derive(Debug, Deserialize, Serialize)]
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

#[derive(Debug, Deserialize, Serialize)]
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speed_mps: Option<f64>,
    #[serde(default)]
    pub behaviour: Behaviour,
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pause_s: Option<f64>,
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pause_at_m: Option<f64>,
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset_m: Option<f64>,
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tools: Option<bool>,
}

#[derive(Debug, Deserialize, Serialize)]
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spacing_s: Option<f64>,
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speed_mps: Option<f64>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Belt {
    pub camera: CameraCode,
    pub at: TimeSpec,
    pub state: BeltState,
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speed_mps: Option<f64>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Skip {
    pub camera: CameraCode,
    pub at: TimeSpec,
    #[serde(default = "one_u32")]
    pub trips: u32,
    #[serde(default = "yes")]
    pub loaded: bool,
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub travel_s: Option<f64>,
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dwell_s: Option<f64>,
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height_m: Option<f64>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Tamper {
    pub camera: CameraCode,
    pub kind: TamperKindSpec,
    pub from: TimeSpec,
    pub until: TimeSpec,
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fraction: Option<f64>,
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strength: Option<f64>,
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub radius_px: Option<f64>,
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pan_deg: Option<f64>,
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tilt_deg: Option<f64>,
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gain: Option<f64>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Lock {
    pub code: LockCode,
    pub state: LockState,
    pub at: TimeSpec,
}

#[derive(Debug, Deserialize, Serialize)]
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_max: Option<u8>,
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_stop_and_go: Option<f64>,
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_turn_back: Option<f64>,
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
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

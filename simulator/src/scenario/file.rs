//! The file as written: the serde structs of the TOML, one per table (every key documented in
//! `scenarios/EXAMPLE.toml`; `deny_unknown_fields` everywhere). Private to the scenario module:
//! validation turns a [`Root`] into a [`super::Scenario`].

use eseal_protocol::{CameraCode, LockCode, LockState, MineCode};
use serde::Deserialize;

use super::time::TimeSpec;
use super::vocabulary::{
    Behaviour, BeltState, Formation, GeneratorDirection, GeneratorKind, LightMode, MineState,
    PersonDirection, TamperKindSpec, TruckDirection,
};
use crate::scene::{RenderStyle, SiteKind};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Root {
    pub seed: u64,
    pub start: TimeSpec,
    pub duration: TimeSpec,
    #[serde(default)]
    pub render: RenderStyle,
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

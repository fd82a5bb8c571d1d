//! The validated model: a [`Scenario`] whose every value is usable as is (times in nanoseconds
//! since the start, cameras referenced by index, defaults filled in).

use chrono::{DateTime, FixedOffset};
use eseal_protocol::{CameraCode, LockCode, LockState, MineCode};

use super::vocabulary::{
    Behaviour, BeltState, Formation, GeneratorDirection, GeneratorKind, LightMode, MineState,
    PersonDirection, TamperKindSpec, TruckDirection,
};
use crate::scene::{CameraPose, RenderStyle, SiteKind};

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
    /// How people and trucks are drawn (`render = "flat" | "realistic"`, default flat).
    pub render: RenderStyle,
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
    /// Index of the camera with `code`.
    pub fn camera_index(&self, code: CameraCode) -> Option<usize> {
        self.cameras.iter().position(|c| c.code == code)
    }
}

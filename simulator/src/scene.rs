//! What the renderer draws: one camera's view of the world at one instant.
//!
//! This is the contract between the world model (`world`, which moves actors by the scenario)
//! and the renderer (`render`, which turns a scene into pixels and per-object truth). The world
//! builds a [`RenderScene`] per camera per frame; the renderer never sees the scenario, and the
//! world never sees pixels.
//!
//! Coordinates: world space in metres, right-handed, `z` up, the ground is `z = 0`. Headings
//! and yaw are radians counter-clockwise from the `+x` axis in the ground plane.
//!
//! Projection: [`CameraPose::project`] and [`CameraPose::pixel_to_ground`] (implemented in
//! `render::Camera`) map world points to pixels and image pixels back to the ground; pixel
//! `(0, 0)` is the top-left corner of the image, the optical axis hits the image centre.
//!
//! Where the fixed structures stand is decided by the renderer from the scene alone (see
//! `render::SiteLayout`): relative to the counting edge when there is one (a shaft portal's
//! front wall stands `render::PORTAL_SETBACK_M` beyond the edge, away from the camera, its
//! opening centred on the edge's midpoint), else around the point where the optical axis meets
//! the ground (vehicle-gate road along the view direction, belt across it, headframe on it).
//! Structures and equipment never hide actors: the world should retire a person who walks into
//! the portal.

use serde::{Deserialize, Serialize};

/// A point or vector in world space, metres.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Vec3 {
    pub x: f32,
    pub y: f32,
    pub z: f32,
}

impl Vec3 {
    /// A new vector.
    pub const fn new(x: f32, y: f32, z: f32) -> Self {
        Vec3 { x, y, z }
    }
}

/// A point on the ground plane, metres.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Vec2 {
    pub x: f32,
    pub y: f32,
}

impl Vec2 {
    /// A new point.
    pub const fn new(x: f32, y: f32) -> Self {
        Vec2 { x, y }
    }
}

/// Where a camera is and how it looks (C3: tilt 40–70° below horizontal at shaft mouths).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CameraPose {
    /// Camera centre; `z` is the mounting height.
    pub position: Vec3,
    /// Heading of the optical axis in the ground plane (radians, CCW from +x).
    pub yaw: f32,
    /// Angle of the optical axis below the horizon (radians), e.g. 55° = 0.96.
    pub tilt: f32,
    /// Horizontal field of view (radians).
    pub hfov: f32,
    /// Image width in pixels (≤ 2560, C7).
    pub width: u32,
    /// Image height in pixels (≤ 1440, C7).
    pub height: u32,
}

/// What the camera site is; decides the fixed structures drawn (portal, gate, belt, headframe).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SiteKind {
    /// Personnel / material shaft mouth (运人井口): a portal with a counting edge in front.
    ShaftMouth,
    /// Return-air shaft mouth (回风井口).
    ReturnAirShaft,
    /// Vehicle gate (车辆出入口): a gate with a barrier and a road.
    VehicleGate,
    /// Main transport belt (皮带) at the material shaft.
    Belt,
    /// Skip (箕斗) headframe.
    SkipHeadframe,
}

/// Day colour or night infrared monochrome (C6: automatic switching).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColourMode {
    /// Colour image under visible light.
    Colour,
    /// IR fill light: grey-scale image, bright near the camera.
    InfraredMono,
}

/// Light on the scene at this instant.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Lighting {
    /// Colour or IR monochrome.
    pub mode: ColourMode,
    /// Overall scene brightness, 0 (black) ..= 1 (full daylight).
    pub ambient: f32,
    /// Warm tint of dusk, 0 ..= 1.
    pub dusk: f32,
    /// Site lamps' brightness multiplier this frame (flicker), around 1.
    pub lamp: f32,
}

/// Image degradations that are not tampering.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Atmosphere {
    /// Std-dev of Gaussian sensor noise, in 8-bit levels.
    pub noise_sigma: f32,
    /// Haze / dust: 0 (clear) ..= 1 (opaque grey), stronger with distance.
    pub haze: f32,
}

/// Tampering of this camera at this instant (U4; the scenario gives start and end).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Tamper {
    /// Part of the lens covered: `fraction` of the image area, from the top edge of the image
    /// down (a dark band with a soft lower edge).
    Cover { fraction: f32 },
    /// Spray / smear over the lens: blur and grey veil of this strength (0..=1).
    Smear { strength: f32 },
    /// Out of focus: blur radius in pixels.
    Defocus { radius_px: f32 },
    /// Camera knocked off its angle: the pose is already moved by the world; drawn normally.
    AngleMoved { pan: f32, tilt: f32 },
    /// The image stops changing (the renderer repeats the frame given as frozen).
    Freeze,
    /// Exposure gain (≫ 1 over-, ≪ 1 under-exposed).
    Exposure { gain: f32 },
}

/// A person's look and pose this frame.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PersonLook {
    /// Standing height, metres (1.55–1.90).
    pub height_m: f32,
    /// Helmet colour, RGB.
    pub helmet: [u8; 3],
    /// Reflective vest colour, RGB.
    pub vest: [u8; 3],
    /// Work clothes colour, RGB.
    pub clothes: [u8; 3],
    /// Carrying a tool (a long handle over the shoulder).
    pub carrying_tool: bool,
    /// Cap lamp on.
    pub lamp_on: bool,
    /// Walking-cycle phase, 0..1 (legs and arms swing with it).
    pub gait_phase: f32,
    /// Walking (true) or standing still (false).
    pub walking: bool,
    /// Ground speed this frame, m/s (the realistic path's motion blur).
    #[serde(default)]
    pub speed_mps: f32,
    /// How fast the walking cycle turns, cycles/s (the realistic path's motion blur).
    #[serde(default)]
    pub gait_hz: f32,
}

/// A truck's look this frame.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TruckLook {
    /// Body length, metres.
    pub length_m: f32,
    /// Body width, metres.
    pub width_m: f32,
    /// Cab colour, RGB.
    pub cab: [u8; 3],
    /// Carrying ore/coal.
    pub loaded: bool,
}

/// What an actor is.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "class", rename_all = "snake_case")]
pub enum ActorKind {
    Person(PersonLook),
    Truck(TruckLook),
}

/// A moving object in view.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Actor {
    /// Stable id over the whole scenario (ground truth id), ≥ 1.
    pub id: u32,
    /// Ground point (feet centre / truck footprint centre), `z = 0` on the ground.
    pub position: Vec3,
    /// Direction the actor faces (radians, CCW from +x).
    pub heading: f32,
    /// Person or truck.
    pub kind: ActorKind,
}

/// Transport equipment in view (E2).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Equipment {
    /// Belt: running, carrying ore, surface travel so far (metres; moves the texture and lumps).
    pub belt: Option<BeltView>,
    /// Skip: height of the skip in its headframe (metres above the collar), loaded.
    pub skip: Option<SkipView>,
}

/// The belt this frame.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BeltView {
    pub running: bool,
    pub loaded: bool,
    /// Distance the belt surface has travelled since the start (metres).
    pub travel_m: f32,
    /// Seed of the ore-lump pattern (stable per scenario).
    pub pattern_seed: u64,
}

/// The skip this frame.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SkipView {
    /// Height above the shaft collar, metres (0 = at the bottom of the view).
    pub height_m: f32,
    pub loaded: bool,
}

/// How people and vehicles are drawn (issue 16).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RenderStyle {
    /// Flat-coloured primitives (boxes, capsules, domes): fast, and what the reference device
    /// was first built against.
    #[default]
    Flat,
    /// Skinned human meshes in work clothes, lit per vertex with cast shadows, through a
    /// camera with lens softness: footage that detectors trained on real photos recognise.
    Realistic,
}

/// Everything one camera sees at one instant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RenderScene {
    /// Frame index from the start of the scenario.
    pub frame_index: u64,
    /// Virtual time since the scenario start, nanoseconds.
    pub time_ns: u64,
    /// The camera (already moved when tampered with `AngleMoved`).
    pub camera: CameraPose,
    /// The site's fixed structures.
    pub site: SiteKind,
    /// The counting edge on the ground (shaft mouths), drawn as a painted line.
    pub counting_edge: Option<(Vec2, Vec2)>,
    pub lighting: Lighting,
    pub atmosphere: Atmosphere,
    /// Active tampering, if any.
    pub tamper: Option<Tamper>,
    /// Moving objects.
    pub actors: Vec<Actor>,
    /// Belt / skip.
    pub equipment: Equipment,
    /// Seed for this frame's noise (derived from the scenario seed, camera and frame index).
    pub noise_seed: u64,
    /// How actors are drawn.
    #[serde(default)]
    pub style: RenderStyle,
    /// The camera's automatic exposure this frame (used by the realistic path).
    #[serde(default)]
    pub exposure: Exposure,
}

/// What the camera's automatic exposure chose for a frame: a shutter time (long in the dark, so
/// moving limbs blur) and the gain error while it catches up with a change of light.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Exposure {
    /// Shutter (exposure) time, seconds; 0 draws no motion blur.
    pub shutter_s: f32,
    /// Brightness factor of the lag: 1 once the exposure has settled, above 1 just after the
    /// scene got brighter (over-exposed), below 1 just after it got darker.
    pub lag_gain: f32,
}

impl Default for Exposure {
    fn default() -> Self {
        Exposure {
            shutter_s: 0.0,
            lag_gain: 1.0,
        }
    }
}

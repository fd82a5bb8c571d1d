//! The scenario's vocabulary: the enums that the file and the validated model share.

use serde::Deserialize;

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GeneratorKind {
    People,
    Trucks,
}

/// Directions a generator draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GeneratorDirection {
    Down,
    Up,
    In,
    Out,
    /// Each arrival goes either way with probability ½.
    Both,
}

//! eseal-simulator: a deterministic, scenario-driven synthetic mine whose cameras look like the
//! spec's cameras (C1–C7), with exact ground truth so a device can be judged.
//!
//! Key design decision: **the world and the pixels are separate, and all time is virtual.** A
//! scenario file (TOML) drives a world stepped at a fixed time step from one seeded RNG; for each
//! camera and frame the world produces a [`scene::RenderScene`], which the CPU renderer turns into
//! pixels *and* per-object truth (boxes measured on an id mask drawn with the same geometry).
//! Events (counting-edge crossings, trucks, belt/skip changes, tampering, locks) are computed in
//! world coordinates. Nothing reads the wall clock, so the same scenario and seed give the same
//! bytes on any machine and any number of threads. Depends only on `eseal-protocol`.

pub mod clock;
pub mod frame;
pub mod ground;
pub mod output;
pub mod plan;
pub mod random;
pub mod render;
pub mod rng;
pub mod scenario;
pub mod scene;
pub mod timeline;
pub mod truth;
pub mod world;

pub use scenario::{Scenario, ScenarioError};
pub use timeline::{Timeline, check};
pub use world::{SimFrame, Simulation, World};

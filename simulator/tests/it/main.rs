//! The one integration-test binary of eseal-simulator.

mod output;
mod random;
mod render;
mod scenario;
mod truth;
mod world;

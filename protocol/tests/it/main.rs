//! Integration tests of the wire contract: the spec's examples (snapshots),
//! malformed names (one `check` table), round-trips (proptest) and the JSON
//! bodies.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

mod bodies;
mod examples;
mod malformed;
mod round_trip;

/// The five names the spec gives as examples (U1–U5).
pub const SPEC_EXAMPLES: [&str; 5] = [
    "1404210078662001000520210104224515.jpg",
    "1404210078663002001020210105200820.jpg",
    "14042100786610030120210104121546.mp4",
    "140421007866200420210104094515.jpg",
    "14042100786610000120210104121546.mp4",
];

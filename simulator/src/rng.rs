//! The simulator's one source of randomness: ChaCha12 streams split from the scenario seed.
//!
//! Every random choice in the world (group sizes, speeds, colours, Poisson arrivals, lamp flicker,
//! per-frame noise seeds) comes from a *stream* named by a purpose label and an index:
//!
//! ```text
//! stream(seed, label, index) = ChaCha12Rng::from_seed(key)
//! key (32 bytes) = seed.to_le_bytes()            // bytes  0..8:  the scenario seed
//!                ‖ fnv1a64(label).to_le_bytes()  // bytes  8..16: the purpose, e.g. "people"
//!                ‖ index.to_le_bytes()           // bytes 16..24: which one, e.g. the entry number
//!                ‖ b"eseal-v1"                   // bytes 24..32: version of this derivation
//! ```
//!
//! ChaCha is a pseudo-random function of its key, so distinct `(seed, label, index)` triples give
//! independent streams, and a stream's output does not depend on how many values any other
//! stream drew. That is what keeps the output stable when a scenario gains an entry, and what
//! makes the world identical whatever order (or thread) the cameras are rendered in. The labels
//! in use are the constants of [`labels`]; changing the derivation changes every scenario's
//! output, so it is versioned by the last 8 bytes.
//!
//! [`derive_u64`] is the first `u64` of a stream, for one-off seeds such as a frame's
//! `noise_seed`.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha12Rng;

/// The purpose labels used by the simulator.
pub mod labels {
    /// One explicit `[[people]]` entry (index = entry number).
    pub const PEOPLE: &str = "people";
    /// One explicit `[[trucks]]` entry (index = entry number).
    pub const TRUCKS: &str = "trucks";
    /// One `[[generators]]` entry's arrivals (index = entry number).
    pub const GENERATOR: &str = "generator";
    /// One generated arrival (index = generator number << 32 | arrival number).
    pub const GENERATED: &str = "generated";
    /// A frame's sensor-noise seed (index = camera code << 40 | frame index).
    pub const NOISE: &str = "noise";
    /// Lamp flicker (index = camera code << 40 | frame index).
    pub const FLICKER: &str = "flicker";
    /// A generated group's walking lane (index as for `GENERATED`).
    pub const LANE: &str = "lane";
    /// A belt's ore-lump pattern (index = camera code).
    pub const BELT: &str = "belt";

    // The scenario generator (`crate::random`, `eseal sim random`): one stream per concern, so
    // a change to how one concern is drawn leaves the others' draws as they were.
    /// Which kind of scene, when not given.
    pub const DRAW_KIND: &str = "draw.kind";
    /// The mine under seal.
    pub const DRAW_MINE: &str = "draw.mine";
    /// Start instant and lighting keys.
    pub const DRAW_LIGHT: &str = "draw.light";
    /// One camera's pose, image and haze (index = camera number in the file).
    pub const DRAW_CAMERA: &str = "draw.camera";
    /// People at one camera (index = camera number in the file).
    pub const DRAW_PEOPLE: &str = "draw.people";
    /// Trucks at one camera (index = camera number in the file).
    pub const DRAW_TRUCKS: &str = "draw.trucks";
    /// Tampering of one camera (index = camera number in the file).
    pub const DRAW_TAMPER: &str = "draw.tamper";
    /// Belt changes, skip trips and lock events.
    pub const DRAW_EQUIPMENT: &str = "draw.equipment";
}

/// 64-bit FNV-1a of the label's UTF-8 bytes.
pub const fn fnv1a64(label: &str) -> u64 {
    let bytes = label.as_bytes();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    hash
}

/// The random stream for `label` number `index` of the scenario with `seed`.
pub fn stream(seed: u64, label: &str, index: u64) -> ChaCha12Rng {
    let mut key = [0u8; 32];
    key[0..8].copy_from_slice(&seed.to_le_bytes());
    key[8..16].copy_from_slice(&fnv1a64(label).to_le_bytes());
    key[16..24].copy_from_slice(&index.to_le_bytes());
    key[24..32].copy_from_slice(b"eseal-v1");
    ChaCha12Rng::from_seed(key)
}

/// The first `u64` of [`stream`]`(seed, label, index)`.
pub fn derive_u64(seed: u64, label: &str, index: u64) -> u64 {
    stream(seed, label, index).random()
}

/// Index for per-camera, per-frame streams: `camera << 40 | frame`.
pub const fn camera_frame_index(camera: u8, frame: u64) -> u64 {
    ((camera as u64) << 40) | (frame & ((1 << 40) - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_reference_values() {
        // Published FNV-1a 64 test vectors.
        assert_eq!(fnv1a64(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64("a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn streams_are_stable_and_distinct() {
        assert_eq!(derive_u64(1, "people", 0), derive_u64(1, "people", 0));
        assert_ne!(derive_u64(1, "people", 0), derive_u64(1, "people", 1));
        assert_ne!(derive_u64(1, "people", 0), derive_u64(1, "trucks", 0));
        assert_ne!(derive_u64(1, "people", 0), derive_u64(2, "people", 0));
    }
}

//! Walking and standing poses from published sagittal joint-angle curves.
//!
//! The curves are smooth fits to the average adult gait at a natural speed (about 1.3 m/s) as
//! tabulated in D. A. Winter, *Biomechanics and Motor Control of Human Movement* (4th ed.,
//! appendix A) and J. Perry, *Gait Analysis* (ch. 4–7), over one cycle from the right heel
//! strike (phase 0) to the next:
//! - hip flexion: ~+30° at heel strike, ~−12° at late stance (50 %), back to +30° by 85 %;
//! - knee flexion: ~15° loading response (15 %), ~5° mid-stance (40 %), ~60° peak in swing (72 %);
//! - ankle: ~−7° plantar flexion after heel strike, ~+10° dorsiflexion at 45 %, ~−20° at toe-off
//!   (62 %), neutral through swing;
//! - shoulder: flexion opposite to the same side's hip, ±15°; elbow ~20° bent, more as the arm
//!   swings forward;
//! - pelvis: rises twice a cycle (~3 cm), turns about the vertical (±4°) and drops on the swing
//!   side (±3°); the chest turns against the pelvis.
//!
//! The left side runs half a cycle behind the right. Amplitudes scale with a per-person vigour;
//! the stride of one cycle is the world's (`world::STRIDE_M`, 1.5 m), which these angles cover
//! with a 0.9 m leg.

use std::f32::consts::TAU;

use super::asset::{BodyAsset, bone};
use super::skin::{Affine, Pose};
use crate::render::vector::V3;

/// How one person moves and stands (drawn once per person from its seed).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Style {
    /// Scales the swing of every joint (0.8–1.15).
    pub vigour: f32,
    /// Forward lean of the trunk (radians).
    pub lean: f32,
    /// Head pitched down (radians).
    pub head_down: f32,
    /// Arms hang this far out from the body (radians).
    pub arm_out: f32,
    /// Standing: weight on the left (+1) or right (−1) leg, 0 even.
    pub weight_side: f32,
    /// Carries a tool on the right shoulder (arm bent up to hold it).
    pub shoulder_tool: bool,
}

fn deg(d: f32) -> f32 {
    d.to_radians()
}

/// A bump of height 1 at phase `c` with width `w`, periodic over the cycle.
fn bump(phase: f32, c: f32, w: f32) -> f32 {
    let mut d = (phase - c).rem_euclid(1.0);
    if d > 0.5 {
        d -= 1.0;
    }
    (-0.5 * (d / w) * (d / w)).exp()
}

/// Sagittal angles (degrees) of one leg and the arm on the same side at `phase` (0 = this
/// leg's heel strike): hip flexion, knee flexion, ankle dorsiflexion, shoulder flexion, elbow
/// flexion.
pub(crate) fn angles(phase: f32) -> [f32; 5] {
    let hip = 9.0 + 21.0 * (TAU * (phase + 0.06)).cos();
    let knee = 4.0 + 14.0 * bump(phase, 0.15, 0.06) + 56.0 * bump(phase, 0.72, 0.09);
    let ankle = -7.0 * bump(phase, 0.06, 0.035) + 10.0 * bump(phase, 0.44, 0.09)
        - 22.0 * bump(phase, 0.62, 0.045);
    let shoulder = -15.0 * (TAU * (phase + 0.06)).cos();
    let elbow = 20.0 + 10.0 * (0.5 - 0.5 * (TAU * (phase + 0.06)).cos());
    [hip, knee, ankle, shoulder, elbow]
}

fn z_turn(a: f32) -> Affine {
    Affine::rotation(V3::new(0.0, 0.0, 1.0), a)
}
fn pitch(a: f32) -> Affine {
    // Positive = the top of the bone tips forward (toward +x).
    Affine::rotation(V3::new(0.0, 1.0, 0.0), a)
}
fn roll(a: f32) -> Affine {
    Affine::rotation(V3::new(1.0, 0.0, 0.0), a)
}

/// The rotation that hangs a limb segment (from joint `a` to joint `b` in the rest pose)
/// straight down, opened sideways by `out` radians toward `side` (+1 left, −1 right).
fn hang(a: V3, b: V3, out: f32, side: f32) -> Affine {
    let target = V3::new(0.0, side * out.sin(), -out.cos());
    Affine::between((b - a).norm(), target)
}

/// The pose at `phase` (cycles, from the right heel strike) for a person walking or standing.
pub(crate) fn pose(asset: &BodyAsset, joints: &[V3], phase: f32, walking: bool, s: &Style) -> Pose {
    let j = |k: usize| joints[k];
    let v = if walking { s.vigour } else { 0.0 };
    let ph = phase.rem_euclid(1.0);
    let right = angles(ph).map(|x| x * v);
    let left = angles(ph + 0.5).map(|x| x * v);
    let pelvis_turn = deg(4.0) * v * (TAU * ph).cos();
    let pelvis_drop = deg(3.0) * v * (TAU * (ph + 0.1)).sin();
    let stand_tilt = if walking {
        0.0
    } else {
        deg(3.0) * s.weight_side
    };
    let pelvis = z_turn(pelvis_turn).then_after(&roll(pelvis_drop + stand_tilt));
    let chest = z_turn(-0.7 * pelvis_turn).then_after(&pitch(s.lean));
    let mut rot = [Affine::IDENTITY; bone::COUNT];
    rot[bone::PELVIS] = pelvis;
    rot[bone::SPINE] = z_turn(-0.2 * pelvis_turn).then_after(&pitch(0.5 * s.lean));
    rot[bone::CHEST] = chest;
    rot[bone::NECK] = chest.then_after(&pitch(0.5 * s.head_down));
    rot[bone::HEAD] = chest.then_after(&pitch(s.head_down));
    let legs = [
        (bone::THIGH_R, bone::SHIN_R, bone::FOOT_R, right, -1.0),
        (bone::THIGH_L, bone::SHIN_L, bone::FOOT_L, left, 1.0),
    ];
    for (thigh, shin, foot, a, side) in legs {
        let turn = z_turn(pelvis_turn);
        let spread = if walking {
            0.02
        } else {
            0.05 + 0.03 * side * s.weight_side
        };
        let h = hang(j(thigh), j(shin), spread, side);
        let k = hang(j(shin), j(foot), spread, side);
        rot[thigh] = turn.then_after(&pitch(-deg(a[0]))).then_after(&h);
        rot[shin] = turn.then_after(&pitch(deg(a[1] - a[0]))).then_after(&k);
        rot[foot] = turn.then_after(&pitch(deg(a[1] - a[0] - a[2])));
    }
    let arms = [
        (bone::UPPERARM_R, bone::FOREARM_R, bone::HAND_R, right, -1.0),
        (bone::UPPERARM_L, bone::FOREARM_L, bone::HAND_L, left, 1.0),
    ];
    for (upper, fore, hand, a, side) in arms {
        let (mut sh, mut el) = (a[3], if walking { a[4] } else { 12.0 });
        if s.shoulder_tool && side < 0.0 {
            // Holding a tool at the side: the arm stays still, bent at the elbow.
            (sh, el) = (8.0, 35.0);
        }
        let h = hang(j(upper), j(fore), s.arm_out, side);
        let f = hang(j(fore), j(hand), s.arm_out, side);
        let tip = hand_tip(asset, joints, hand);
        let g = hang(j(hand), tip, s.arm_out, side);
        rot[upper] = chest.then_after(&pitch(-deg(sh))).then_after(&h);
        rot[fore] = chest.then_after(&pitch(-deg(sh + el))).then_after(&f);
        rot[hand] = chest.then_after(&pitch(-deg(sh + el))).then_after(&g);
    }
    let bob = if walking {
        0.015 * v * (2.0 * TAU * ph).cos()
    } else {
        0.0
    };
    Pose {
        rot,
        root: V3::new(0.0, 0.0, bob),
    }
}

/// The rest position of the hand's far end: the mean of the vertices the hand carries most.
fn hand_tip(asset: &BodyAsset, joints: &[V3], hand: usize) -> V3 {
    let wrist = joints[hand];
    let mut far = wrist;
    let mut best = 0.0;
    for (p, (b, w)) in asset.rest.iter().zip(&asset.skin) {
        if b[0] as usize == hand && w[0] > 0.9 {
            let d = (*p - wrist).len();
            if d > best {
                best = d;
                far = *p;
            }
        }
    }
    wrist.lerp(far, 0.8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_curves_have_the_published_extremes() {
        let samples: Vec<[f32; 5]> = (0..100).map(|i| angles(i as f32 / 100.0)).collect();
        let max = |k: usize| samples.iter().map(|a| a[k]).fold(f32::MIN, f32::max);
        let min = |k: usize| samples.iter().map(|a| a[k]).fold(f32::MAX, f32::min);
        assert!((25.0..35.0).contains(&max(0)) && (-16.0..-8.0).contains(&min(0)));
        assert!((55.0..65.0).contains(&max(1)) && min(1) >= 0.0);
        assert!((-24.0..-16.0).contains(&min(2)) && (6.0..12.0).contains(&max(2)));
        // Peak knee flexion in swing, after toe-off.
        let k = samples
            .iter()
            .enumerate()
            .max_by(|a, b| a.1[1].total_cmp(&b.1[1]))
            .expect("a hundred samples")
            .0;
        assert!((65..80).contains(&k), "{k}");
    }
}

//! Where each vertex of a person moves while the shutter is open: the screen displacement from
//! the frame's instant to half a shutter time later (the blur runs that far both ways), from a
//! second pose of the same gait and the body's ground speed. Helmet and tool vertices move with
//! the head and the right hand.

use super::asset::{self, BodyAsset, bone};
use super::gait;
use super::skin;
use super::{Mesh, Scratch};
use crate::render::NEAR_M;
use crate::render::camera::Camera;
use crate::render::vector::V3;
use crate::scene::PersonLook;

/// What the second pose needs of the first.
pub(super) struct Placed<'a> {
    pub joints: &'a [V3],
    pub style: &'a gait::Style,
    pub pos: V3,
    pub heading: f32,
    /// The number of skinned body vertices (the helmet's follow, then the tool's).
    pub body_verts: usize,
    /// Where the tool's vertices start (the vertex count when there is none).
    pub tool_start: usize,
}

/// Fills `out.motion` (one displacement per vertex, pixels) for a shutter of `shutter_s`
/// seconds; leaves it empty when nothing moves.
pub(super) fn fill(
    out: &mut Mesh,
    scratch: &mut Scratch,
    cam: &Camera,
    a: &BodyAsset,
    look: &PersonLook,
    at: &Placed<'_>,
    shutter_s: f32,
) {
    out.motion.clear();
    let half = 0.5 * shutter_s;
    if half <= 0.0 || (look.speed_mps <= 0.0 && look.gait_hz <= 0.0) {
        return;
    }
    let phase = (look.gait_phase + look.gait_hz * half).rem_euclid(1.0);
    let pose = gait::pose(a, at.joints, phase, look.walking, at.style);
    let bones = skin::bone_transforms(a, at.joints, &pose);
    skin::skin(
        a,
        &bones,
        &out.dressed.rest,
        &out.dressed.normals,
        &mut scratch.pos2,
        &mut scratch.nrm2,
    );
    let lift = -scratch.pos2.iter().map(|p| p.z).fold(f32::MAX, f32::min);
    let (c, s) = (at.heading.cos(), at.heading.sin());
    let ahead = V3::new(c, s, 0.0) * (look.speed_mps * half);
    for (p, v) in scratch.pos2.iter().zip(&out.verts) {
        let w = V3::new(p.x * c - p.y * s, p.x * s + p.y * c, p.z + lift) + at.pos + ahead;
        let cs = cam.cam_space(w);
        out.motion.push(if cs.z >= NEAR_M && v.inv_z > 0.0 {
            let (x, y) = cam.cam_to_px(cs);
            (x - v.x, y - v.y)
        } else {
            (0.0, 0.0)
        });
    }
    // The hard hat rides on the skull's top, the tool in the right hand.
    let (head, hand) = anchors();
    let (mh, mt) = (out.motion[head], out.motion[hand]);
    for i in at.body_verts..out.verts.len() {
        out.motion.push(if i < at.tool_start { mh } else { mt });
    }
}

/// The rest mesh's skull-top vertex and the vertex nearest the right hand's joint.
fn anchors() -> (usize, usize) {
    static ANCHORS: std::sync::OnceLock<(usize, usize)> = std::sync::OnceLock::new();
    *ANCHORS.get_or_init(|| {
        let a = asset::body();
        let top = (0..a.rest.len())
            .max_by(|&i, &j| a.rest[i].z.total_cmp(&a.rest[j].z))
            .unwrap_or(0);
        let grip = a.bones[bone::HAND_R].joint;
        let hand = (0..a.rest.len())
            .min_by(|&i, &j| {
                (a.rest[i] - grip)
                    .len()
                    .total_cmp(&(a.rest[j] - grip).len())
            })
            .unwrap_or(0);
        (top, hand)
    })
}

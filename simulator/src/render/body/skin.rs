//! Forward kinematics and linear-blend skinning: joint rotations → one rigid transform per bone
//! → every vertex as the weighted sum of its bones' transforms of its rest position (and its
//! normal, by the rotations alone).

use super::asset::{BodyAsset, bone};
use crate::render::vector::V3;

/// A 3×3 rotation (rows) and a translation: `p ↦ R p + t`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Affine {
    pub r: [[f32; 3]; 3],
    pub t: V3,
}

impl Affine {
    pub const IDENTITY: Affine = Affine {
        r: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        t: V3::new(0.0, 0.0, 0.0),
    };

    /// Rotation by `angle` (radians, right-handed) about the unit `axis`.
    pub fn rotation(axis: V3, angle: f32) -> Affine {
        let (s, c) = angle.sin_cos();
        let (x, y, z) = (axis.x, axis.y, axis.z);
        let k = 1.0 - c;
        Affine {
            r: [
                [c + x * x * k, x * y * k - z * s, x * z * k + y * s],
                [y * x * k + z * s, c + y * y * k, y * z * k - x * s],
                [z * x * k - y * s, z * y * k + x * s, c + z * z * k],
            ],
            t: V3::default(),
        }
    }

    /// The rotation taking unit vector `a` onto unit vector `b` (shortest arc).
    pub fn between(a: V3, b: V3) -> Affine {
        let axis = a.cross(b);
        let s = axis.len();
        let c = a.dot(b).clamp(-1.0, 1.0);
        if s < 1e-6 {
            return Affine::IDENTITY;
        }
        Affine::rotation(axis * (1.0 / s), s.atan2(c))
    }

    /// Rotation `self` about the point `pivot`.
    #[cfg(test)]
    pub fn about(self, pivot: V3) -> Affine {
        Affine {
            r: self.r,
            t: pivot - self.rotate(pivot) + self.t,
        }
    }

    pub fn rotate(&self, v: V3) -> V3 {
        let r = &self.r;
        V3::new(
            r[0][0] * v.x + r[0][1] * v.y + r[0][2] * v.z,
            r[1][0] * v.x + r[1][1] * v.y + r[1][2] * v.z,
            r[2][0] * v.x + r[2][1] * v.y + r[2][2] * v.z,
        )
    }

    pub fn apply(&self, p: V3) -> V3 {
        self.rotate(p) + self.t
    }

    /// `self ∘ o`: first `o`, then `self`.
    pub fn then_after(&self, o: &Affine) -> Affine {
        let mut r = [[0.0; 3]; 3];
        for (i, row) in r.iter_mut().enumerate() {
            for (j, x) in row.iter_mut().enumerate() {
                *x = (0..3).map(|k| self.r[i][k] * o.r[k][j]).sum();
            }
        }
        Affine {
            r,
            t: self.apply(o.t),
        }
    }
}

/// A pose: the orientation of every bone in the body frame (rotations only: global, not
/// relative to the parent), and the offset of the pelvis joint from its rest position.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Pose {
    pub rot: [Affine; bone::COUNT],
    pub root: V3,
}

impl Pose {
    /// The rest pose.
    #[cfg(test)]
    pub const REST: Pose = Pose {
        rot: [Affine::IDENTITY; bone::COUNT],
        root: V3::new(0.0, 0.0, 0.0),
    };
}

/// Transform of every bone: its rotation about its own joint, carried to where its parent put
/// that joint (so the chain stays connected whatever the rotations).
pub(crate) fn bone_transforms(
    asset: &BodyAsset,
    joints: &[V3],
    pose: &Pose,
) -> [Affine; bone::COUNT] {
    let mut out = [Affine::IDENTITY; bone::COUNT];
    for (i, b) in asset.bones.iter().enumerate() {
        let anchor = match b.parent {
            Some(p) => out[p].apply(joints[i]),
            None => joints[i] + pose.root,
        };
        let r = pose.rot[i];
        out[i] = Affine {
            r: r.r,
            t: anchor - r.rotate(joints[i]),
        };
    }
    out
}

/// Skins `rest` (positions) and `normals` into `pos` and `nrm`.
pub(crate) fn skin(
    asset: &BodyAsset,
    bones: &[Affine; bone::COUNT],
    rest: &[V3],
    normals: &[V3],
    pos: &mut Vec<V3>,
    nrm: &mut Vec<V3>,
) {
    pos.clear();
    nrm.clear();
    for ((p, n), (b, w)) in rest.iter().zip(normals).zip(&asset.skin) {
        let mut sp = V3::default();
        let mut sn = V3::default();
        for k in 0..4 {
            if w[k] > 0.0 {
                let m = &bones[b[k] as usize];
                sp = sp + m.apply(*p) * w[k];
                sn = sn + m.rotate(*n) * w[k];
            }
        }
        pos.push(sp);
        nrm.push(sn.norm());
    }
}

/// Area-weighted vertex normals of a mesh.
pub(crate) fn vertex_normals(verts: &[V3], tris: &[[u16; 3]]) -> Vec<V3> {
    let mut n = vec![V3::default(); verts.len()];
    for t in tris {
        let [a, b, c] = t.map(|i| i as usize);
        let f = (verts[b] - verts[a]).cross(verts[c] - verts[a]);
        n[a] = n[a] + f;
        n[b] = n[b] + f;
        n[c] = n[c] + f;
    }
    n.into_iter().map(V3::norm).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: V3, b: V3) -> bool {
        (a - b).len() < 1e-4
    }

    #[test]
    fn rotations_compose_and_turn_about_their_pivot() {
        let q = Affine::rotation(V3::new(0.0, 0.0, 1.0), std::f32::consts::FRAC_PI_2);
        assert!(close(
            q.apply(V3::new(1.0, 0.0, 0.0)),
            V3::new(0.0, 1.0, 0.0)
        ));
        let about = q.about(V3::new(1.0, 1.0, 0.0));
        assert!(close(
            about.apply(V3::new(1.0, 1.0, 0.0)),
            V3::new(1.0, 1.0, 0.0)
        ));
        let twice = q.then_after(&q);
        assert!(close(
            twice.apply(V3::new(1.0, 0.0, 0.0)),
            V3::new(-1.0, 0.0, 0.0)
        ));
        let a = V3::new(0.3, -0.5, 0.8).norm();
        let b = V3::new(-0.1, 0.9, 0.2).norm();
        assert!(close(Affine::between(a, b).apply(a), b));
    }

    #[test]
    fn the_rest_pose_skins_to_the_rest_mesh() {
        let asset = super::super::asset::body();
        let joints: Vec<V3> = asset.bones.iter().map(|b| b.joint).collect();
        let bones = bone_transforms(asset, &joints, &Pose::REST);
        let normals = vertex_normals(&asset.rest, &asset.tris);
        let (mut p, mut n) = (Vec::new(), Vec::new());
        skin(asset, &bones, &asset.rest, &normals, &mut p, &mut n);
        assert!(p.iter().zip(&asset.rest).all(|(a, b)| close(*a, *b)));
    }
}

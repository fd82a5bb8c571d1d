//! Mesh building blocks for the vehicles, in the truck's own frame (`x` forward, `y` to the
//! left, `z` up, metres from the footprint centre on the ground): flat quads, boxes from eight
//! corners, wheels (tyre and rim), a height field for the load.
//!
//! Every vertex is lit as the realistic bodies' are (sun and sky by day, the camera's IR
//! illuminator with its fall-off at night, the lens's vignetting and beam) and projected. Its
//! attributes (see [`attr`]) carry the local point divided by depth, so the pixel shader gets the
//! point on the truck perspective-correct and can draw panel lines, dirt and lettering exactly
//! where they belong however large a face is on screen.

use crate::render::body::Mesh;
use crate::render::camera::{Camera, NEAR_M};
use crate::render::lens;
use crate::render::light::{Light, SUN};
use crate::render::raster::{N_ATTR, STri, SVert};
use crate::render::vector::V3;

/// What each of a vehicle vertex's [`N_ATTR`] attributes holds.
pub(super) mod attr {
    /// Local `x, y, z` × `1/depth` (three slots from here).
    pub const POS: usize = 0;
    /// Diffuse light (sun + sky, or IR fill), vignetting and ambient occlusion included.
    pub const DIFFUSE: usize = 3;
    /// Mirror-like light: by day the sky and the sun's glint a gloss surface reflects toward the
    /// camera, under IR the illuminator's light returned by a surface facing it.
    pub const GLOSS: usize = 4;
    /// Haze veil amount.
    pub const HAZE: usize = 5;
    /// Light a retro-reflector returns to the camera (as the bodies' tape).
    pub const RETRO: usize = 6;
    /// `1/depth` (interpolates exactly in screen space).
    pub const INV_Z: usize = 7;
}

const UP: V3 = V3::new(0.0, 0.0, 1.0);

/// Builds one vehicle's mesh.
pub(super) struct Builder<'a> {
    pub out: &'a mut Mesh,
    cam: &'a Camera,
    light: &'a Light,
    origin: V3,
    fwd: V3,
    left: V3,
    sun: V3,
    /// Occlusion applied to the diffuse light of the vertices added next (1 = open sky).
    pub ao: f32,
    /// Where the triangles added next go: drawn, casting the shadow, or both.
    pub casts: Casts,
}

/// Whether a triangle is drawn, casts the truck's shadow, or both: the shadow is cast by the
/// large parts and by stand-ins for the wheels, not by every detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Casts {
    Both,
    /// Drawn only (details, wheels).
    Drawn,
    /// Shadow only (the wheels' stand-ins).
    Shadow,
}

impl<'a> Builder<'a> {
    pub fn new(
        out: &'a mut Mesh,
        cam: &'a Camera,
        light: &'a Light,
        origin: V3,
        heading: f32,
    ) -> Builder<'a> {
        out.verts.clear();
        out.tris.clear();
        out.world.clear();
        out.shadow.clear();
        Builder {
            out,
            cam,
            light,
            origin,
            fwd: V3::new(heading.cos(), heading.sin(), 0.0),
            left: V3::new(-heading.sin(), heading.cos(), 0.0),
            sun: V3::from_array(SUN).norm(),
            ao: 1.0,
            casts: Casts::Both,
        }
    }

    /// Local point → world.
    pub fn world(&self, p: V3) -> V3 {
        self.origin + self.fwd * p.x + self.left * p.y + UP * p.z
    }

    /// Local direction → world.
    pub fn world_dir(&self, n: V3) -> V3 {
        self.fwd * n.x + self.left * n.y + UP * n.z
    }

    /// Adds a lit, projected vertex at local point `p` with local unit normal `n`.
    pub fn vert(&mut self, p: V3, n: V3) -> u32 {
        let w = self.world(p);
        let nw = self.world_dir(n);
        let c = self.cam.cam_space(w);
        let depth = c.z;
        let to_cam = (self.cam.centre - w).norm();
        let facing = nw.dot(to_cam).max(0.0);
        let (diffuse, gloss, retro) = if self.light.is_ir() {
            let fill = Light::ir_fill(depth);
            (
                fill * (0.15 + 0.85 * facing),
                fill * facing.powi(40),
                (2.6 * fill * facing.sqrt()).min(1.6),
            )
        } else {
            let level = self.light.light_level();
            let sky = 0.45 + 0.2 * nw.z;
            let direct = 0.75 * nw.dot(self.sun).max(0.0);
            // The view ray mirrored about the normal: a gloss surface shows the sky above the
            // horizon (Schlick's Fresnel term) and the sun's glint near the mirror direction.
            let refl = nw * (2.0 * facing) - to_cam;
            let fresnel = 0.04 + 0.96 * (1.0 - facing).powi(5);
            let sky_seen = (0.35 + 0.65 * refl.z.max(0.0).sqrt()).min(1.0);
            let glint = refl.dot(self.sun).max(0.0).powi(60);
            (
                level * (sky + direct) * 0.9,
                level * (fresnel * sky_seen + 1.5 * glint),
                level * 0.35 * facing,
            )
        };
        let (x, y, inv_z) = if depth >= NEAR_M {
            let (x, y) = self.cam.cam_to_px(c);
            (x, y, 1.0 / depth)
        } else {
            (0.0, 0.0, -1.0)
        };
        let k = lens::falloff(self.cam, x, y, self.light.is_ir());
        let mut a = [0.0f32; N_ATTR];
        a[attr::POS] = p.x * inv_z;
        a[attr::POS + 1] = p.y * inv_z;
        a[attr::POS + 2] = p.z * inv_z;
        a[attr::DIFFUSE] = diffuse * k * self.ao;
        a[attr::GLOSS] = gloss * k;
        a[attr::HAZE] = self.light.haze_at(depth);
        a[attr::RETRO] = retro * k;
        a[attr::INV_Z] = inv_z;
        self.out.world.push(w);
        self.out.verts.push(SVert { x, y, inv_z, a });
        (self.out.verts.len() - 1) as u32
    }

    /// Adds a triangle of `part` (drawn, shadow or both: [`Builder::casts`]).
    pub fn tri(&mut self, part: u8, v: [u32; 3]) {
        if self.casts != Casts::Shadow {
            self.out.tris.push(STri { v, part });
        }
        if self.casts != Casts::Drawn {
            self.out.shadow.push(STri { v, part });
        }
    }

    /// A flat quad (corners in order around it, either way) facing along the local normal `n`.
    pub fn quad(&mut self, part: u8, q: [V3; 4], n: V3) {
        let n = n.norm();
        let q = if (q[1] - q[0]).cross(q[2] - q[0]).dot(n) < 0.0 {
            [q[3], q[2], q[1], q[0]]
        } else {
            q
        };
        let i = q.map(|p| self.vert(p, n));
        self.tri(part, [i[0], i[1], i[2]]);
        self.tri(part, [i[0], i[2], i[3]]);
    }

    /// A quad seen from both sides (a thin plate: mud flap, mirror glass).
    pub fn plate(&mut self, part: u8, q: [V3; 4], n: V3) {
        self.quad(part, q, n);
        self.quad(part, q, -n);
    }

    /// A hexahedron from eight corners indexed by bits (bit 0: front `x`, bit 1: left `y`,
    /// bit 2: top `z`), each face flat with its own normal; faces in `skip` (bits of
    /// [`Face`]) are left out (against another part, or never seen).
    pub fn hexa(&mut self, part: u8, c: [V3; 8], skip: u8) {
        let centre = c.iter().fold(V3::default(), |a, b| a + *b) * 0.125;
        // Faces by corner indices.
        let faces: [(u8, [usize; 4]); 6] = [
            (Face::FRONT, [1, 3, 7, 5]),
            (Face::BACK, [0, 4, 6, 2]),
            (Face::LEFT, [2, 6, 7, 3]),
            (Face::RIGHT, [0, 1, 5, 4]),
            (Face::TOP, [4, 5, 7, 6]),
            (Face::BOTTOM, [0, 2, 3, 1]),
        ];
        for (bit, idx) in faces {
            if skip & bit != 0 {
                continue;
            }
            let q = idx.map(|i| c[i]);
            let mut n = (q[2] - q[0]).cross(q[3] - q[1]).norm();
            let mid = (q[0] + q[1] + q[2] + q[3]) * 0.25;
            if n.dot(mid - centre) < 0.0 {
                n = -n;
            }
            self.quad(part, q, n);
        }
    }

    /// An axis-aligned box:
    /// A prism stacked from horizontal outlines (`(z, points)` from the bottom up, each the same
    /// number of points, counter-clockwise seen from above): flat sides between consecutive
    /// outlines, closed by a bottom and a top cap.
    pub fn prism(&mut self, part: u8, layers: &[(f32, &[(f32, f32)])]) {
        let Some(&(zb, bottom)) = layers.first() else {
            return;
        };
        let n = bottom.len();
        let centre = |pts: &[(f32, f32)]| {
            let s = pts.iter().fold((0.0, 0.0), |a, p| (a.0 + p.0, a.1 + p.1));
            (s.0 / pts.len() as f32, s.1 / pts.len() as f32)
        };
        for w in layers.windows(2) {
            let ((za, a), (zc, c)) = (w[0], w[1]);
            let (ca, cc) = (centre(a), centre(c));
            let axis = V3::new(0.5 * (ca.0 + cc.0), 0.5 * (ca.1 + cc.1), 0.5 * (za + zc));
            for i in 0..n {
                let j = (i + 1) % n;
                let q = [
                    V3::new(a[i].0, a[i].1, za),
                    V3::new(a[j].0, a[j].1, za),
                    V3::new(c[j].0, c[j].1, zc),
                    V3::new(c[i].0, c[i].1, zc),
                ];
                let mut nrm = (q[2] - q[0]).cross(q[3] - q[1]).norm();
                let mid = (q[0] + q[1] + q[2] + q[3]) * 0.25;
                if nrm.dot(mid - V3::new(axis.x, axis.y, mid.z)) < 0.0 {
                    nrm = -nrm;
                }
                self.quad(part, q, nrm);
            }
        }
        let &(zt, top) = layers.last().unwrap_or(&(zb, bottom));
        for (z, pts, up) in [(zb, bottom, -1.0f32), (zt, top, 1.0)] {
            let nrm = V3::new(0.0, 0.0, up);
            let c = centre(pts);
            let ci = self.vert(V3::new(c.0, c.1, z), nrm);
            let first = self.out.verts.len() as u32;
            for p in pts {
                self.vert(V3::new(p.0, p.1, z), nrm);
            }
            for i in 0..n as u32 {
                let j = (i + 1) % n as u32;
                self.facing_tri(part, [ci, first + i, first + j], nrm);
            }
        }
    }

    /// The box spanned by two opposite corners `a` and `c`, in any order.
    pub fn block(&mut self, part: u8, a: V3, c: V3, skip: u8) {
        let lo = V3::new(a.x.min(c.x), a.y.min(c.y), a.z.min(c.z));
        let hi = V3::new(a.x.max(c.x), a.y.max(c.y), a.z.max(c.z));
        self.hexa(part, box_corners(lo, hi), skip);
    }

    /// A wheel on the axle at `x`: centre height `r` (tyre radius), its outer face at `y_out`
    /// (the side the sign of `y_out` says), `width` wide (a dual pair is one unit with a
    /// groove drawn by the shader). The tyre is `tyre` part, the rim `rim` part, both faces
    /// closed.
    pub fn wheel(
        &mut self,
        (tyre, rim): (u8, u8),
        x: f32,
        y_out: f32,
        r: f32,
        rim_r: f32,
        width: f32,
    ) {
        const SEG: usize = 14;
        let s = y_out.signum();
        let (ys_out, ys_in) = (y_out, y_out - s * width);
        // The tyre's cross-section, from the outer rim edge round the tread to the inner one:
        // (radius, y, normal radial part, normal axial part).
        let sh = 0.06f32.min(width * 0.2);
        let prof = [
            (rim_r, ys_out, 0.0, s),
            (r - sh, ys_out, 0.45, 0.9 * s),
            (r, ys_out - s * sh, 0.95, 0.3 * s),
            (r, ys_in + s * sh, 0.95, -0.3 * s),
            (r - sh, ys_in, 0.45, -0.9 * s),
            (rim_r, ys_in, 0.0, -s),
        ];
        let ring = |k: usize| std::f32::consts::TAU * k as f32 / SEG as f32;
        let base = self.out.verts.len() as u32;
        for &(rad, y, nr, ny) in &prof {
            for k in 0..SEG {
                let (sa, ca) = ring(k).sin_cos();
                let p = V3::new(x + rad * ca, y, r + rad * sa);
                let n = V3::new(nr * ca, ny, nr * sa).norm();
                self.vert(p, n);
            }
        }
        let at = |j: usize, k: usize| base + (j * SEG + k % SEG) as u32;
        for j in 0..prof.len() - 1 {
            let (nr, ny) = (prof[j].2 + prof[j + 1].2, prof[j].3 + prof[j + 1].3);
            for k in 0..SEG {
                let (sa, ca) = (ring(k) + 0.5 * ring(1)).sin_cos();
                let n = V3::new(nr * ca, ny, nr * sa);
                let (a0, a1, b0, b1) = (at(j, k), at(j, k + 1), at(j + 1, k), at(j + 1, k + 1));
                self.facing_tri(tyre, [a0, b0, b1], n);
                self.facing_tri(tyre, [a0, b1, a1], n);
            }
        }
        // The rims: a dished disc on the outer face, flat inside.
        for (y, dish, ny) in [
            (ys_out - s * 0.05, s * 0.02, s),
            (ys_in + s * 0.03, 0.0, -s),
        ] {
            let n = V3::new(0.0, ny, 0.0);
            let c = self.vert(V3::new(x, y + dish, r), n);
            let b = self.out.verts.len() as u32;
            for k in 0..SEG {
                let (sa, ca) = ring(k).sin_cos();
                self.vert(V3::new(x + rim_r * ca, y, r + rim_r * sa), n);
            }
            for k in 0..SEG as u32 {
                let (p, q) = (b + k, b + (k + 1) % SEG as u32);
                self.facing_tri(rim, [c, p, q], n);
            }
        }
    }

    /// Adds triangle `v` of `part` wound so that it faces along local normal `n`.
    pub fn facing_tri(&mut self, part: u8, v: [u32; 3], n: V3) {
        let w = |i: u32| self.out.world[i as usize];
        let (a, b, c) = (w(v[0]), w(v[1]), w(v[2]));
        let face = (b - a).cross(c - a).dot(self.world_dir(n));
        if face >= 0.0 {
            self.tri(part, v);
        } else {
            self.tri(part, [v[0], v[2], v[1]]);
        }
    }
}

/// Face bits for [`Builder::hexa`]'s `skip`.
pub(super) struct Face;

impl Face {
    pub const FRONT: u8 = 1;
    pub const BACK: u8 = 2;
    pub const LEFT: u8 = 4;
    pub const RIGHT: u8 = 8;
    pub const TOP: u8 = 16;
    pub const BOTTOM: u8 = 32;
}

/// The eight corners of the axis-aligned box `lo`..`hi`, indexed as [`Builder::hexa`] wants.
pub(super) fn box_corners(lo: V3, hi: V3) -> [V3; 8] {
    std::array::from_fn(|i| {
        V3::new(
            if i & 1 == 0 { lo.x } else { hi.x },
            if i & 2 == 0 { lo.y } else { hi.y },
            if i & 4 == 0 { lo.z } else { hi.z },
        )
    })
}

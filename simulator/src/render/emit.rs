//! Emits 3-D primitives as projected draw ops.

use super::camera::Camera;
use super::geom::{Cuboid, Face, Mat, Op, Shape, hull_path, line_path, poly_path, px_width};
use super::light::Light;
use super::vector::V3;

/// Collects ops for one object (or the background).
#[derive(Debug)]
pub(crate) struct Emitter<'a> {
    pub cam: &'a Camera,
    pub light: &'a Light,
    pub ops: &'a mut Vec<Op>,
    faces: Vec<Face>,
}

impl<'a> Emitter<'a> {
    pub fn new(cam: &'a Camera, light: &'a Light, ops: &'a mut Vec<Op>) -> Emitter<'a> {
        Emitter {
            cam,
            light,
            ops,
            faces: Vec::with_capacity(6),
        }
    }

    fn to_cam_dir(&self, p: V3) -> [f32; 3] {
        let d = (self.cam.centre - p).norm();
        [d.x, d.y, d.z]
    }

    /// Orientation brightness of a surface normal at a point.
    pub fn facing(&self, n: V3, at: V3) -> f32 {
        self.light.facing([n.x, n.y, n.z], self.to_cam_dir(at))
    }

    fn mean_depth(&self, pts: &[V3]) -> f32 {
        let s: f32 = pts.iter().map(|p| self.cam.depth(*p)).sum();
        s / pts.len().max(1) as f32
    }

    /// A flat polygon with a given normal.
    pub fn poly(&mut self, pts: &[V3], n: V3, rgb: [u8; 3], mat: Mat) {
        self.poly_a(pts, n, rgb, mat, 1.0);
    }

    /// A flat polygon, translucent.
    pub fn poly_a(&mut self, pts: &[V3], n: V3, rgb: [u8; 3], mat: Mat, alpha: f32) {
        if let Some(p) = poly_path(self.cam, pts) {
            let c = pts.iter().fold(V3::default(), |a, b| a + *b) * (1.0 / pts.len() as f32);
            let facing = self.facing(n, c);
            let depth = self.mean_depth(pts);
            let u = n.norm();
            self.ops.push(Op {
                shape: Shape::Fill(p),
                rgb,
                alpha,
                mat,
                facing_light: facing,
                depth,
                plane: Some([u.x, u.y, u.z, u.dot(c)]),
            });
        }
    }

    /// The projected convex hull of points (solid round-ish things), lit as facing the camera.
    pub fn hull(&mut self, pts: &[V3], rgb: [u8; 3], mat: Mat, facing: f32) {
        if let Some(p) = hull_path(self.cam, pts) {
            let depth = self.mean_depth(pts);
            self.ops.push(Op {
                shape: Shape::Fill(p),
                rgb,
                alpha: 1.0,
                mat,
                facing_light: facing,
                depth,
                plane: None,
            });
        }
    }

    /// A round-capped limb / bar through points, `width_m` thick (width at the mean depth).
    pub fn stroke(&mut self, pts: &[V3], width_m: f32, rgb: [u8; 3], mat: Mat, facing: f32) {
        if let Some(p) = line_path(self.cam, pts) {
            let depth = self.mean_depth(pts);
            let w = px_width(self.cam, width_m, depth).max(0.6);
            self.ops.push(Op {
                shape: Shape::Stroke(p, w),
                rgb,
                alpha: 1.0,
                mat,
                facing_light: facing,
                depth,
                plane: None,
            });
        }
    }

    /// A sphere as a projected disc.
    pub fn ball(&mut self, c: V3, r: f32, rgb: [u8; 3], mat: Mat, alpha: f32) {
        let cc = self.cam.cam_space(c);
        if cc.z < super::camera::NEAR_M + r {
            return;
        }
        let (x, y) = self.cam.cam_to_px(cc);
        let rp = px_width(self.cam, r, cc.z).max(0.5);
        if let Some(p) = tiny_skia::PathBuilder::from_circle(x, y, rp) {
            let facing = if self.light.is_ir() { 1.0 } else { 0.9 };
            self.ops.push(Op {
                shape: Shape::Fill(p),
                rgb,
                alpha,
                mat,
                facing_light: facing,
                depth: cc.z,
                plane: None,
            });
        }
    }

    /// The visible faces of a box, each shaded by its orientation; calls `deco` after each face
    /// so details (windows, stripes) are drawn on it.
    pub fn cuboid(&mut self, b: &Cuboid, rgb: [u8; 3], mut deco: impl FnMut(&mut Self, &Face)) {
        let mut faces = std::mem::take(&mut self.faces);
        faces.clear();
        b.visible_faces(self.cam, &mut faces);
        for f in &faces {
            self.poly(&f.corners, f.normal, rgb, Mat::Diffuse);
            deco(self, f);
        }
        self.faces = faces;
    }
}

/// A box standing on the ground-aligned frame `(fwd, left, up)`: centre, half extents.
pub(crate) fn upright_box(centre: V3, fwd: V3, left: V3, half: [f32; 3]) -> Cuboid {
    Cuboid {
        centre,
        axes: [fwd, left, V3::new(0.0, 0.0, 1.0)],
        half,
    }
}

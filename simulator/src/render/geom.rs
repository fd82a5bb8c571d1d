//! Small 3-D helpers: projected polygons (near-plane clipped), convex hulls, boxes and the draw
//! list the rasteriser consumes (the vector arithmetic is in `vector`).

use tiny_skia::{Path, PathBuilder, Rect};

use super::camera::{Camera, NEAR_M};
use super::vector::V3;

/// Surface behaviour under light.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mat {
    /// Ordinary diffuse surface.
    Diffuse,
    /// Retro-reflective tape: silver by day, very bright under the IR fill.
    Retro,
    /// Emits light (cap lamp): unaffected by ambient light.
    Emissive,
    /// Translucent glow around a lamp (not part of the object's silhouette).
    Glow,
    /// Bloom around a bright lamp: like [`Mat::Glow`], but fading from the shape's centre to
    /// nothing at its edge (a radial gradient). Only the realistic trucks use it.
    Bloom,
}

/// A shape in pixel coordinates.
#[derive(Debug, Clone)]
pub(crate) enum Shape {
    Fill(Path),
    /// Round-capped stroke of the given width in pixels.
    Stroke(Path, f32),
}

impl Shape {
    /// Pixel bounds (stroke widths included).
    pub fn bounds(&self) -> Rect {
        match self {
            Shape::Fill(p) => p.bounds(),
            Shape::Stroke(p, w) => {
                let b = p.bounds();
                let h = w * 0.5 + 1.0;
                Rect::from_ltrb(b.left() - h, b.top() - h, b.right() + h, b.bottom() + h)
                    .unwrap_or(b)
            }
        }
    }
}

/// One primitive to draw: shape, base colour, material and the depth it is shaded at.
#[derive(Debug, Clone)]
pub(crate) struct Op {
    pub shape: Shape,
    pub rgb: [u8; 3],
    /// 1.0 = opaque; glows and texture blotches are translucent.
    pub alpha: f32,
    pub mat: Mat,
    /// Brightness factor from the surface orientation (1 = facing the light).
    pub facing_light: f32,
    /// Depth (m) for haze and IR fall-off.
    pub depth: f32,
    /// The world plane of a flat polygon, `(nx, ny, nz, d)` with `n·p = d` and `n` the unit
    /// normal it was given; `None` for hulls, strokes and discs. The realistic site's texture
    /// finds the point seen at a pixel with it.
    pub plane: Option<[f32; 4]>,
}

impl Op {
    /// Part of the object's silhouette (drawn into the id mask).
    pub fn in_mask(&self) -> bool {
        !matches!(self.mat, Mat::Glow | Mat::Bloom) && self.alpha >= 1.0
    }
}

/// Clips a world polygon against the near plane and projects it; `None` if nothing remains.
pub(crate) fn poly_path(cam: &Camera, pts: &[V3]) -> Option<Path> {
    let mut cs: [V3; 32] = [V3::default(); 32];
    let mut n = 0;
    let count = pts.len().min(31);
    for i in 0..count {
        let a = cam.cam_space(pts[i]);
        let b = cam.cam_space(pts[(i + 1) % count]);
        let a_in = a.z >= NEAR_M;
        let b_in = b.z >= NEAR_M;
        if a_in && n < 32 {
            cs[n] = a;
            n += 1;
        }
        if a_in != b_in && n < 32 {
            let t = (NEAR_M - a.z) / (b.z - a.z);
            cs[n] = a.lerp(b, t);
            n += 1;
        }
    }
    if n < 3 {
        return None;
    }
    let mut pb = PathBuilder::with_capacity(n + 1, n + 1);
    let (x, y) = cam.cam_to_px(cs[0]);
    pb.move_to(x, y);
    for c in &cs[1..n] {
        let (x, y) = cam.cam_to_px(*c);
        pb.line_to(x, y);
    }
    pb.close();
    pb.finish()
}

/// A polyline (stroke centre line) projected; `None` if any point is behind the near plane.
pub(crate) fn line_path(cam: &Camera, pts: &[V3]) -> Option<Path> {
    let mut pb = PathBuilder::with_capacity(pts.len(), pts.len());
    for (i, p) in pts.iter().enumerate() {
        let c = cam.cam_space(*p);
        if c.z < NEAR_M {
            return None;
        }
        let (x, y) = cam.cam_to_px(c);
        if i == 0 {
            pb.move_to(x, y)
        } else {
            pb.line_to(x, y)
        }
    }
    pb.finish()
}

/// Pixel width of a world length seen at a depth.
pub(crate) fn px_width(cam: &Camera, metres: f32, depth: f32) -> f32 {
    metres * cam.focal / depth.max(NEAR_M)
}

/// Convex hull (monotone chain) of projected points, as a closed path. Points behind the near
/// plane are dropped.
pub(crate) fn hull_path(cam: &Camera, pts: &[V3]) -> Option<Path> {
    let mut p2: Vec<(f32, f32)> = pts
        .iter()
        .filter_map(|p| {
            let c = cam.cam_space(*p);
            (c.z >= NEAR_M).then(|| cam.cam_to_px(c))
        })
        .collect();
    if p2.len() < 3 {
        return None;
    }
    p2.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let cross = |o: (f32, f32), a: (f32, f32), b: (f32, f32)| {
        (a.0 - o.0) * (b.1 - o.1) - (a.1 - o.1) * (b.0 - o.0)
    };
    let mut h: Vec<(f32, f32)> = Vec::with_capacity(p2.len() * 2);
    for &p in &p2 {
        while h.len() >= 2 && cross(h[h.len() - 2], h[h.len() - 1], p) <= 0.0 {
            h.pop();
        }
        h.push(p);
    }
    let lower = h.len() + 1;
    for &p in p2.iter().rev().skip(1) {
        while h.len() >= lower && cross(h[h.len() - 2], h[h.len() - 1], p) <= 0.0 {
            h.pop();
        }
        h.push(p);
    }
    h.pop();
    if h.len() < 3 {
        return None;
    }
    let mut pb = PathBuilder::with_capacity(h.len() + 1, h.len() + 1);
    pb.move_to(h[0].0, h[0].1);
    for p in &h[1..] {
        pb.line_to(p.0, p.1);
    }
    pb.close();
    pb.finish()
}

/// An oriented box: centre, three unit axes and half extents along them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cuboid {
    pub centre: V3,
    pub axes: [V3; 3],
    pub half: [f32; 3],
}

/// A visible face of a box: its four corners (counter-clockwise seen from outside), outward
/// normal and which axis/sign it is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Face {
    pub corners: [V3; 4],
    pub normal: V3,
    pub axis: usize,
    pub sign: f32,
}

impl Face {
    /// A point on the face at face coordinates `(u, v)` in `0..=1` along its two edges.
    pub fn at(&self, u: f32, v: f32) -> V3 {
        let a = self.corners[0].lerp(self.corners[1], u);
        let b = self.corners[3].lerp(self.corners[2], u);
        a.lerp(b, v)
    }
    /// The sub-quad `u0..u1 × v0..v1`, lifted slightly off the face toward the viewer.
    pub fn sub(&self, u0: f32, u1: f32, v0: f32, v1: f32) -> [V3; 4] {
        let lift = self.normal * 0.004;
        [
            self.at(u0, v0) + lift,
            self.at(u1, v0) + lift,
            self.at(u1, v1) + lift,
            self.at(u0, v1) + lift,
        ]
    }
}

impl Cuboid {
    /// Faces whose outward normal points toward the camera centre.
    pub fn visible_faces(&self, cam: &Camera, out: &mut Vec<Face>) {
        for axis in 0..3 {
            for sign in [1.0f32, -1.0] {
                let n = self.axes[axis] * sign;
                let fc = self.centre + n * self.half[axis];
                if n.dot(cam.centre - fc) <= 0.0 {
                    continue;
                }
                // Two in-face axes, ordered so that for the vertical faces u runs horizontally
                // and v runs upwards (when axis 2 is up).
                let (a, b) = match axis {
                    0 => (1, 2),
                    1 => (0, 2),
                    _ => (0, 1),
                };
                let ua = self.axes[a] * self.half[a];
                let vb = self.axes[b] * self.half[b];
                out.push(Face {
                    corners: [fc - ua - vb, fc + ua - vb, fc + ua + vb, fc - ua + vb],
                    normal: n,
                    axis,
                    sign,
                });
            }
        }
    }
}

/// Points of an ellipse in a plane: centre, two half-axis vectors, `n` points.
pub(crate) fn ellipse_pts(c: V3, a: V3, b: V3, n: usize) -> Vec<V3> {
    (0..n)
        .map(|i| {
            let t = i as f32 / n as f32 * std::f32::consts::TAU;
            c + a * t.cos() + b * t.sin()
        })
        .collect()
}

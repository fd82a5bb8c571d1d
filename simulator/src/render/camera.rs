//! Pinhole perspective camera built from a [`CameraPose`].
//!
//! Image coordinates are continuous pixels: `(0, 0)` is the top-left corner of the top-left
//! pixel, `x` grows to the right and `y` downwards, pixel `(i, j)` covers `[i, i+1) × [j, j+1)`.
//! The optical axis passes through the image centre `(width / 2, height / 2)`. Pixels are square
//! (the vertical field of view follows from `hfov` and the aspect ratio); the camera never rolls.

use super::vector::V3;
use crate::scene::{CameraPose, Vec2, Vec3};

/// Points closer than this along the optical axis (metres) are not projected.
pub const NEAR_M: f32 = 0.05;

/// A camera ready to project: pose, basis vectors and focal length in pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Camera {
    pub(crate) centre: V3,
    /// Optical axis (unit).
    pub(crate) fwd: V3,
    /// Image right (unit, horizontal).
    pub(crate) right: V3,
    /// Image up (unit).
    pub(crate) up: V3,
    /// Focal length in pixels.
    pub(crate) focal: f32,
    pub(crate) cx: f32,
    pub(crate) cy: f32,
    pub(crate) width: u32,
    pub(crate) height: u32,
}

impl Camera {
    /// The camera of a pose.
    pub fn new(pose: &CameraPose) -> Camera {
        let (sy, cyaw) = pose.yaw.sin_cos();
        let (st, ct) = pose.tilt.sin_cos();
        let fwd = V3::new(cyaw * ct, sy * ct, -st);
        let right = V3::new(sy, -cyaw, 0.0);
        let up = right.cross(fwd);
        let half = (pose.hfov.clamp(0.01, 3.1) * 0.5).tan();
        let focal = pose.width as f32 * 0.5 / half;
        Camera {
            centre: V3::from(pose.position),
            fwd,
            right,
            up,
            focal,
            cx: pose.width as f32 * 0.5,
            cy: pose.height as f32 * 0.5,
            width: pose.width,
            height: pose.height,
        }
    }

    /// Focal length in pixels (pixels per metre at one metre of depth).
    pub fn focal_px(&self) -> f32 {
        self.focal
    }

    /// World point → camera space `(right, up, depth)` metres.
    pub(crate) fn cam_space(&self, p: V3) -> V3 {
        let d = p - self.centre;
        V3::new(d.dot(self.right), d.dot(self.up), d.dot(self.fwd))
    }

    /// Camera-space point (depth ≥ [`NEAR_M`]) → pixel.
    pub(crate) fn cam_to_px(&self, c: V3) -> (f32, f32) {
        (
            self.cx + self.focal * c.x / c.z,
            self.cy - self.focal * c.y / c.z,
        )
    }

    /// Depth along the optical axis of a world point (negative behind the camera).
    pub(crate) fn depth(&self, p: V3) -> f32 {
        (p - self.centre).dot(self.fwd)
    }

    /// Projects a world point to `(x, y, depth)`: pixel coordinates and the distance along the
    /// optical axis in metres. `None` for points behind the camera or nearer than [`NEAR_M`].
    /// Points outside the image still project (coordinates outside `0..width`, `0..height`).
    pub fn project(&self, p: Vec3) -> Option<(f32, f32, f32)> {
        let c = self.cam_space(V3::from(p));
        if c.z < NEAR_M {
            return None;
        }
        let (x, y) = self.cam_to_px(c);
        Some((x, y, c.z))
    }

    /// The ground point (`z = 0`) seen at pixel `(x, y)`, or `None` when that pixel looks at or
    /// above the horizon (or the camera is not above the ground). Inverse of [`Camera::project`]
    /// for ground points.
    pub fn pixel_to_ground(&self, x: f32, y: f32) -> Option<Vec2> {
        let dir = self.ray(x, y);
        if dir.z >= -1e-6 || self.centre.z <= 0.0 {
            return None;
        }
        let t = -self.centre.z / dir.z;
        Some(Vec2::new(
            self.centre.x + dir.x * t,
            self.centre.y + dir.y * t,
        ))
    }

    /// Direction (not unit) of the ray through pixel `(x, y)`, with unit depth component.
    pub(crate) fn ray(&self, x: f32, y: f32) -> V3 {
        self.fwd + self.right * ((x - self.cx) / self.focal)
            - self.up * ((y - self.cy) / self.focal)
    }

    /// Depth of the ground seen at image row `y` in the centre column (`None` above horizon).
    pub(crate) fn ground_depth_at_row(&self, y: f32) -> Option<f32> {
        let g = self.pixel_to_ground(self.cx, y)?;
        Some(self.depth(V3::new(g.x, g.y, 0.0)))
    }

    /// Where the optical axis meets the ground, if it does.
    pub fn axis_ground_point(&self) -> Option<Vec2> {
        self.pixel_to_ground(self.cx, self.cy)
    }
}

impl CameraPose {
    /// Projects a world point: `(x, y, depth)` in pixels and metres; see [`Camera::project`].
    pub fn project(&self, p: Vec3) -> Option<(f32, f32, f32)> {
        Camera::new(self).project(p)
    }

    /// The ground point seen at pixel `(x, y)`; see [`Camera::pixel_to_ground`].
    pub fn pixel_to_ground(&self, x: f32, y: f32) -> Option<Vec2> {
        Camera::new(self).pixel_to_ground(x, y)
    }
}

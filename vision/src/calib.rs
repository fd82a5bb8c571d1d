//! Camera calibration: where an installed camera is and how it looks, as the installer surveys it.
//!
//! An edge box is configured per camera with its mounting position, heading, tilt and field of
//! view (the survey an installer makes when fitting the seal, C3/C4). From that the device maps
//! image pixels to the ground plane and back, so detections can be reasoned about in metres:
//! where a person's feet are relative to the counting edge, how tall a person at that spot
//! should look. This is installation data, not ground truth: the device never learns where any
//! object *is* except from its pixels.
//!
//! Model: a pinhole camera that never rolls, square pixels, optical axis through the image
//! centre; image `(0, 0)` is the top-left corner of the top-left pixel, `x` right, `y` down.
//! Ground coordinates: metres, `z` up, the ground at `z = 0`; headings counter-clockwise from `+x`.

use serde::{Deserialize, Serialize};

/// A camera's pose and optics, as configured (degrees in the file, radians inside).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// Camera centre `[x, y, z]`, metres; `z` is the mounting height.
    pub position: [f64; 3],
    /// Heading of the optical axis, degrees counter-clockwise from `+x`.
    pub yaw_deg: f64,
    /// Optical axis below the horizon, degrees (C3: 40–70 at shaft mouths).
    pub tilt_deg: f64,
    /// Horizontal field of view, degrees.
    pub hfov_deg: f64,
}

/// A calibration ready to project, for one image size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Projector {
    centre: [f64; 3],
    fwd: [f64; 3],
    right: [f64; 3],
    up: [f64; 3],
    focal: f64,
    cx: f64,
    cy: f64,
    width: u32,
    height: u32,
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

impl Projector {
    /// The projector of `calibration` for `width × height` images.
    pub fn new(calibration: &Calibration, width: u32, height: u32) -> Projector {
        let (sy, cyaw) = calibration.yaw_deg.to_radians().sin_cos();
        let (st, ct) = calibration.tilt_deg.to_radians().sin_cos();
        let fwd = [cyaw * ct, sy * ct, -st];
        let right = [sy, -cyaw, 0.0];
        // up = right × fwd
        let up = [
            right[1] * fwd[2] - right[2] * fwd[1],
            right[2] * fwd[0] - right[0] * fwd[2],
            right[0] * fwd[1] - right[1] * fwd[0],
        ];
        let half = (calibration.hfov_deg.to_radians().clamp(0.01, 3.1) * 0.5).tan();
        Projector {
            centre: calibration.position,
            fwd,
            right,
            up,
            focal: f64::from(width) * 0.5 / half,
            cx: f64::from(width) * 0.5,
            cy: f64::from(height) * 0.5,
            width,
            height,
        }
    }

    /// Image width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Image height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Focal length in pixels.
    pub fn focal_px(&self) -> f64 {
        self.focal
    }

    /// Mounting height, metres.
    pub fn mount_height(&self) -> f64 {
        self.centre[2]
    }

    /// A world point `[x, y, z]` → pixel `(x, y)` and depth along the optical axis (metres);
    /// `None` behind the camera or nearer than 5 cm.
    pub fn project(&self, p: [f64; 3]) -> Option<(f64, f64, f64)> {
        let d = [
            p[0] - self.centre[0],
            p[1] - self.centre[1],
            p[2] - self.centre[2],
        ];
        let z = dot(d, self.fwd);
        if z < 0.05 {
            return None;
        }
        let x = dot(d, self.right);
        let y = dot(d, self.up);
        Some((
            self.cx + self.focal * x / z,
            self.cy - self.focal * y / z,
            z,
        ))
    }

    /// The ground point (`z = 0`) seen at pixel `(x, y)`; `None` at or above the horizon.
    pub fn pixel_to_ground(&self, x: f64, y: f64) -> Option<[f64; 2]> {
        let a = (x - self.cx) / self.focal;
        let b = (y - self.cy) / self.focal;
        let dir = [
            self.fwd[0] + self.right[0] * a - self.up[0] * b,
            self.fwd[1] + self.right[1] * a - self.up[1] * b,
            self.fwd[2] + self.right[2] * a - self.up[2] * b,
        ];
        if dir[2] >= -1e-9 || self.centre[2] <= 0.0 {
            return None;
        }
        let t = -self.centre[2] / dir[2];
        Some([self.centre[0] + dir[0] * t, self.centre[1] + dir[1] * t])
    }

    /// Whether a pixel lies inside the image.
    pub fn in_image(&self, x: f64, y: f64) -> bool {
        x >= 0.0 && y >= 0.0 && x < f64::from(self.width) && y < f64::from(self.height)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn shaft() -> Projector {
        let c = Calibration {
            position: [0.0, -4.0, 4.5],
            yaw_deg: 90.0,
            tilt_deg: 45.0,
            hfov_deg: 70.0,
        };
        Projector::new(&c, 1280, 720)
    }

    #[test]
    fn the_optical_axis_meets_the_ground_at_the_image_centre() {
        let p = shaft();
        let g = p.pixel_to_ground(640.0, 360.0).unwrap();
        // 45° down from 4.5 m: 4.5 m ahead of the camera along +y.
        assert!((g[0]).abs() < 1e-9 && (g[1] - 0.5).abs() < 1e-9, "{g:?}");
    }

    #[test]
    fn ground_points_round_trip_through_the_image() {
        let p = shaft();
        for &(x, y) in &[(0.0, 0.0), (-2.0, 1.5), (1.7, -1.2), (2.5, 3.0)] {
            let (u, v, _) = p.project([x, y, 0.0]).unwrap();
            let g = p.pixel_to_ground(u, v).unwrap();
            assert!(
                (g[0] - x).abs() < 1e-6 && (g[1] - y).abs() < 1e-6,
                "{x},{y} → {u},{v} → {g:?}"
            );
        }
    }

    #[test]
    fn above_the_horizon_has_no_ground_point() {
        let c = Calibration {
            position: [0.0, 0.0, 3.0],
            yaw_deg: 90.0,
            tilt_deg: 5.0,
            hfov_deg: 60.0,
        };
        let p = Projector::new(&c, 640, 360);
        assert!(p.pixel_to_ground(320.0, 0.0).is_none());
        assert!(p.project([0.0, -1.0, 0.0]).is_none(), "behind the camera");
    }
}

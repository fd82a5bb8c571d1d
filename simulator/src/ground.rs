//! The ground around a counting edge, as the world plans on it and scenario validation checks
//! against it: the site measures (metres) and the pinhole projection used for culling and for
//! checking that an edge is in view (the renderer has its own, `render::Camera`).

use crate::scene::{CameraPose, Vec3};

/// The open-air side of a shaft mouth: people going down start this far outside the counting
/// edge, people coming up walk this far out past it before leaving the scene (metres).
pub const OUTSIDE_M: f64 = 6.0;
/// The shaft side: the portal's front wall stands this far beyond the edge (the renderer's
/// `render::PORTAL_SETBACK_M`); people going down leave the scene there, people coming up
/// appear there.
pub const PORTAL_DEPTH_M: f64 = 3.0;
/// Half the portal opening (the renderer's `render::PORTAL_OPENING_M` / 2): people walk through
/// the opening, so their lateral offsets stay within it.
pub const PORTAL_HALF_OPENING_M: f64 = 1.7;
/// Distance between people abreast.
pub const ABREAST_M: f64 = 0.75;
/// Distance between people in file.
pub const IN_FILE_M: f64 = 1.3;
/// Trucks start this far before the gate line and end this far after it.
pub const TRUCK_RUN_M: f64 = 25.0;
/// A truck keeps this far right of the gate's centre line.
pub const TRUCK_LANE_M: f64 = 1.8;
/// One walking cycle (two steps), metres.
pub const STRIDE_M: f64 = 1.5;

// ---------------------------------------------------------------------------------------------
// Projection (for culling and validation; the renderer has its own)

/// Pinhole projection of a world point to pixel coordinates `(u, v)` (origin top-left), or
/// `None` behind the camera. Axis conventions as [`CameraPose`]: forward is `yaw` in the ground
/// plane tilted down by `tilt`; `hfov` spans the image width.
pub fn project(pose: &CameraPose, p: Vec3) -> Option<(f32, f32)> {
    let (sy, cy) = pose.yaw.sin_cos();
    let (st, ct) = pose.tilt.sin_cos();
    let f = [cy * ct, sy * ct, -st];
    let r = [sy, -cy, 0.0];
    // up = r × f
    let up = [
        r[1] * f[2] - r[2] * f[1],
        r[2] * f[0] - r[0] * f[2],
        r[0] * f[1] - r[1] * f[0],
    ];
    let d = [
        p.x - pose.position.x,
        p.y - pose.position.y,
        p.z - pose.position.z,
    ];
    let dot = |a: [f32; 3]| a[0] * d[0] + a[1] * d[1] + a[2] * d[2];
    let z = dot(f);
    if z <= 0.05 {
        return None;
    }
    let focal = (pose.width as f32 / 2.0) / (pose.hfov / 2.0).tan();
    Some((
        pose.width as f32 / 2.0 + focal * dot(r) / z,
        pose.height as f32 / 2.0 - focal * dot(up) / z,
    ))
}

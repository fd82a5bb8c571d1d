//! `[[cameras]]`: image size and rate (C7), mounting angles (C3), and the counting edge, which
//! must lie in view.

use super::Validator;
use crate::scenario::defaults;
use crate::scenario::diagnostic::site_name;
use crate::scenario::file;
use crate::scenario::model::{Camera, Edge};
use crate::scene::{CameraPose, SiteKind, Vec3};

impl Validator<'_> {
    pub(super) fn cameras(&mut self, rows: Vec<file::Camera>) -> Vec<Camera> {
        if rows.is_empty() {
            self.err("cameras", "expected at least one [[cameras]]");
        }
        self.table("cameras", rows, |v, p, c, earlier| v.camera(p, c, earlier))
    }

    fn camera(&mut self, p: &str, c: file::Camera, earlier: &[Camera]) -> Camera {
        if earlier.iter().any(|e| e.code == c.code) {
            self.err(
                &format!("{p}.code"),
                format!("camera {} is defined twice", c.code),
            );
        }
        self.camera_image(p, &c);
        self.camera_mounting(p, &c);
        let noise_sigma = c.noise_sigma.unwrap_or(defaults::NOISE_SIGMA);
        self.range(
            &format!("{p}.noise_sigma"),
            noise_sigma,
            0.0,
            50.0,
            "noise std-dev (8-bit levels)",
        );
        let haze = c.haze.unwrap_or(0.0);
        self.range(&format!("{p}.haze"), haze, 0.0, 1.0, "haze");
        let pose = c.pose();
        let edge = self.camera_edge(p, &c, &pose);
        Camera {
            code: c.code,
            name: c.name,
            site: c.site,
            pose,
            fps: c.fps,
            edge,
            noise_sigma: noise_sigma as f32,
            haze: haze as f32,
        }
    }

    /// Width, height (C7: at most 2560×1440) and frame rate.
    fn camera_image(&mut self, p: &str, c: &file::Camera) {
        if c.width == 0 || c.width > 2560 || !c.width.is_multiple_of(2) {
            self.err(
                &format!("{p}.width"),
                format!(
                    "expected an even width 2–2560 px (C7: at most 2560×1440), found {}",
                    c.width
                ),
            );
        }
        if c.height == 0 || c.height > 1440 || !c.height.is_multiple_of(2) {
            self.err(
                &format!("{p}.height"),
                format!(
                    "expected an even height 2–1440 px (C7: at most 2560×1440), found {}",
                    c.height
                ),
            );
        }
        if !(1..=60).contains(&c.fps) {
            self.err(
                &format!("{p}.fps"),
                format!("expected 1–60 frames per second, found {}", c.fps),
            );
        }
    }

    /// Tilt (C3: 40–70° at a shaft mouth, never vertical), field of view, yaw and height.
    fn camera_mounting(&mut self, p: &str, c: &file::Camera) {
        let shaft = matches!(c.site, SiteKind::ShaftMouth | SiteKind::ReturnAirShaft);
        if shaft && !(40.0..=70.0).contains(&c.tilt_deg) {
            self.err(
                &format!("{p}.tilt_deg"),
                format!(
                    "expected 40–70° for a shaft mouth camera (C3), found {}",
                    c.tilt_deg
                ),
            );
        } else {
            self.range(
                &format!("{p}.tilt_deg"),
                c.tilt_deg,
                -45.0,
                89.0,
                "tilt below the horizon (°; 90 = vertical is never allowed, C3)",
            );
        }
        self.range(
            &format!("{p}.hfov_deg"),
            c.hfov_deg,
            10.0,
            130.0,
            "horizontal field of view (°)",
        );
        self.range(&format!("{p}.yaw_deg"), c.yaw_deg, -360.0, 360.0, "yaw (°)");
        self.range(
            &format!("{p}.position[2]"),
            c.position[2],
            0.5,
            60.0,
            "mounting height (m)",
        );
    }

    /// The counting edge (gate line): required where people or trucks are counted, at least
    /// 1 m long, both ends in view.
    fn camera_edge(&mut self, p: &str, c: &file::Camera, pose: &CameraPose) -> Option<Edge> {
        let needs_edge = matches!(
            c.site,
            SiteKind::ShaftMouth | SiteKind::ReturnAirShaft | SiteKind::VehicleGate
        );
        let edge = c.edge.map(|[a, b]| Edge { a, b });
        match edge {
            None if needs_edge => self.err(
                p,
                format!(
                    "missing field `edge`: a {} camera needs its counting edge (two ground points)",
                    site_name(c.site)
                ),
            ),
            Some(e) => {
                if e.length() < 1.0 {
                    self.err(
                        &format!("{p}.edge"),
                        format!(
                            "expected an edge at least 1 m long, found {:.2} m",
                            e.length()
                        ),
                    );
                } else if c.width > 0 && c.height > 0 {
                    for (k, q) in [e.a, e.b].into_iter().enumerate() {
                        let inside =
                            crate::ground::project(pose, Vec3::new(q[0] as f32, q[1] as f32, 0.0))
                                .is_some_and(|(u, v)| {
                                    (0.0..=c.width as f32).contains(&u)
                                        && (0.0..=c.height as f32).contains(&v)
                                });
                        if !inside {
                            self.err(
                                &format!("{p}.edge[{k}]"),
                                format!(
                                    "edge end ({}, {}) is outside camera {}'s view",
                                    q[0], q[1], c.code
                                ),
                            );
                        }
                    }
                }
            }
            None => {}
        }
        edge
    }
}

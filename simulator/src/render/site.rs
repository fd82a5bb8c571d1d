//! The fixed site (ground, painted counting edge, portal / gate / belt frame / headframe) and the
//! moving equipment (belt surface and ore lumps, the skip in its headframe).
//!
//! Where structures stand ([`SiteLayout`]): the anchor is the counting edge's midpoint when the
//! scene has one, else the point where the optical axis meets the ground (else 10 m ahead of the
//! camera). `across` runs along the edge (or the image's right direction), `away` is horizontal
//! and points away from the camera.
//! - Shaft mouth / return-air shaft: the portal's front wall stands [`PORTAL_SETBACK_M`] beyond
//!   the anchor on the `away` side, its dark opening centred on the anchor line, facing the camera.
//! - Vehicle gate: a road along `away` through the anchor, [`ROAD_WIDTH_M`] wide; gate posts
//!   either side of it on the anchor line; raised barrier; guard booth.
//! - Belt: the belt runs along `across` through the anchor, surface [`BELT_TOP_M`] high,
//!   [`BELT_WIDTH_M`] wide; its surface moves toward `+across`.
//! - Skip headframe: the tower stands on the anchor; the skip moves between its guides.

use super::camera::Camera;
use super::emit::{Emitter, upright_box};
use super::geom::{Mat, ellipse_pts};
use super::vector::V3;
use crate::scene::{BeltView, RenderScene, RenderStyle, SiteKind, SkipView};

/// Distance from the counting edge to the portal's front wall (m).
pub const PORTAL_SETBACK_M: f32 = 3.0;
/// Width of the opening of a shaft portal (m).
pub const PORTAL_OPENING_M: f32 = 3.4;
/// Road width at the vehicle gate (m).
pub const ROAD_WIDTH_M: f32 = 7.0;
/// Belt surface height (m) and width (m).
pub const BELT_TOP_M: f32 = 1.0;
pub const BELT_WIDTH_M: f32 = 1.2;
/// Visible belt length (m), centred on the anchor.
pub const BELT_LENGTH_M: f32 = 40.0;
/// Headframe height (m).
pub const HEADFRAME_M: f32 = 24.0;

/// Where the fixed structures stand; see the module docs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SiteLayout {
    pub anchor: (f32, f32),
    /// Unit vector along the edge / image right.
    pub across: (f32, f32),
    /// Unit vector away from the camera, horizontal.
    pub away: (f32, f32),
}

impl SiteLayout {
    /// The layout for a scene.
    pub fn of(scene: &RenderScene) -> SiteLayout {
        let cam = Camera::new(&scene.camera);
        let (anchor, across) = match scene.counting_edge {
            Some((a, b)) => {
                let d = V3::new(b.x - a.x, b.y - a.y, 0.0);
                let across = if d.len() > 1e-3 {
                    d.norm()
                } else {
                    V3::new(cam.right.x, cam.right.y, 0.0)
                };
                (V3::new((a.x + b.x) * 0.5, (a.y + b.y) * 0.5, 0.0), across)
            }
            None => {
                let g = cam
                    .axis_ground_point()
                    .map(|g| V3::new(g.x, g.y, 0.0))
                    .unwrap_or_else(|| {
                        let f = V3::new(cam.fwd.x, cam.fwd.y, 0.0).norm();
                        V3::new(cam.centre.x, cam.centre.y, 0.0) + f * 10.0
                    });
                (g, V3::new(cam.right.x, cam.right.y, 0.0).norm())
            }
        };
        let mut away = V3::new(-across.y, across.x, 0.0);
        if away.dot(anchor - V3::new(cam.centre.x, cam.centre.y, 0.0)) < 0.0 {
            away = -away;
        }
        SiteLayout {
            anchor: (anchor.x, anchor.y),
            across: (across.x, across.y),
            away: (away.x, away.y),
        }
    }

    fn v(&self) -> (V3, V3, V3) {
        (
            V3::new(self.anchor.0, self.anchor.1, 0.0),
            V3::new(self.across.0, self.across.1, 0.0),
            V3::new(self.away.0, self.away.1, 0.0),
        )
    }
}

/// Deterministic hash → 0..1.
pub(crate) fn hash01(seed: u64, i: u64) -> f32 {
    let mut z = seed ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 40) as f32 / (1u64 << 24) as f32
}

const UP: V3 = V3::new(0.0, 0.0, 1.0);
pub(crate) const DIRT: [u8; 3] = [122, 108, 90];
pub(crate) const CONCRETE: [u8; 3] = [150, 148, 142];
pub(crate) const ASPHALT: [u8; 3] = [72, 72, 74];
pub(crate) const PAINT_YELLOW: [u8; 3] = [226, 190, 40];
pub(crate) const WHITE: [u8; 3] = [230, 230, 225];
/// The shaft portal's wall, the return-air shaft's, the canopy over the mouth.
pub(crate) const PORTAL_WALL: [u8; 3] = [168, 162, 150];
pub(crate) const RETURN_AIR_WALL: [u8; 3] = [120, 112, 100];
pub(crate) const CANOPY: [u8; 3] = [128, 124, 118];
/// Gate posts and the guard booth's walls.
pub(crate) const POST: [u8; 3] = [200, 200, 195];
pub(crate) const BOOTH: [u8; 3] = [215, 210, 200];
const DARK: [u8; 3] = [14, 14, 16];
const STEEL: [u8; 3] = [96, 104, 112];
const RUBBER: [u8; 3] = [38, 38, 40];

/// Ground texture seed: a function of where the camera is (stable per camera, not per frame).
pub(crate) fn ground_seed(scene: &RenderScene) -> u64 {
    let p = scene.camera.position;
    (p.x.to_bits() as u64) << 32
        ^ (p.y.to_bits() as u64)
        ^ ((p.z.to_bits() as u64) << 13)
        ^ scene.site as u64
}

/// Static background ops, back to front: flat ground ops first, then standing structures;
/// returns the index of the first structure op. The caller draws sky and depth overlays.
pub(crate) fn background(e: &mut Emitter<'_>, scene: &RenderScene) -> usize {
    let lay = SiteLayout::of(scene);
    let (a, across, away) = lay.v();
    let seed = ground_seed(scene);
    let g = |u: f32, v: f32| a + across * u + away * v;

    // Ground: a large dirt plane, then the apron / road.
    let big = 400.0;
    e.poly(
        &[g(-big, -big), g(big, -big), g(big, big), g(-big, big)],
        UP,
        DIRT,
        Mat::Diffuse,
    );
    // Dirt texture: translucent blotches on a 1.6 m grid around the anchor (the realistic style
    // textures the ground per pixel instead, `texture`).
    let flat = scene.style == RenderStyle::Flat;
    let (r0, r1) = if flat { (-24i32, 40i32) } else { (0, 0) };
    for j in r0..r1 {
        for i in -24i32..24 {
            let k = ((j as i64 + 1000) as u64) << 20 | (i as i64 + 1000) as u64;
            let h = hash01(seed, k);
            if h > 0.55 {
                continue;
            }
            let u = i as f32 * 1.6 + hash01(seed, k + 1) * 1.6;
            let v = j as f32 * 1.6 + hash01(seed, k + 2) * 1.6;
            let r = 0.25 + hash01(seed, k + 3) * 0.7;
            let dark = hash01(seed, k + 4) < 0.5;
            let rgb = if dark { [80, 70, 58] } else { [168, 156, 136] };
            let pts = ellipse_pts(g(u, v), across * r, away * (r * (0.5 + h)), 8);
            e.poly_a(&pts, UP, rgb, Mat::Diffuse, 0.28);
        }
    }
    let shaft = matches!(scene.site, SiteKind::ShaftMouth | SiteKind::ReturnAirShaft);
    if shaft {
        // Concrete apron with slab joints.
        let (w, d0, d1) = (9.0, -14.0, PORTAL_SETBACK_M);
        e.poly(
            &[g(-w, d0), g(w, d0), g(w, d1), g(-w, d1)],
            UP,
            CONCRETE,
            Mat::Diffuse,
        );
        for k in 0..if flat { 60u64 } else { 0 } {
            let u = -w + hash01(seed, 7000 + k) * 2.0 * w;
            let v = d0 + hash01(seed, 8000 + k) * (d1 - d0);
            let r = 0.2 + hash01(seed, 9000 + k) * 0.5;
            let rgb = if k % 2 == 0 {
                [120, 118, 112]
            } else {
                [172, 170, 164]
            };
            e.poly_a(
                &ellipse_pts(g(u, v), across * r, away * r * 0.6, 8),
                UP,
                rgb,
                Mat::Diffuse,
                0.3,
            );
        }
        let mut v = d1 - 4.0;
        while v > d0 {
            e.stroke(
                &[g(-w, v), g(w, v)],
                0.03,
                [110, 108, 104],
                Mat::Diffuse,
                1.0,
            );
            v -= 4.0;
        }
        let mut u = -w + 3.0;
        while u < w {
            e.stroke(
                &[g(u, d0), g(u, d1)],
                0.03,
                [110, 108, 104],
                Mat::Diffuse,
                1.0,
            );
            u += 4.5;
        }
    }
    match scene.site {
        SiteKind::VehicleGate => road(e, &lay, seed, flat),
        SiteKind::Belt => walkway(e, &lay),
        SiteKind::SkipHeadframe => collar(e, &lay),
        SiteKind::ShaftMouth | SiteKind::ReturnAirShaft => {}
    }
    // The painted counting edge (any site that has one), with hatching blocks at the ends.
    if let Some((p, q)) = scene.counting_edge {
        let p = V3::new(p.x, p.y, 0.005);
        let q = V3::new(q.x, q.y, 0.005);
        let half = away * 0.08;
        e.poly(
            &[p - half, q - half, q + half, p + half],
            UP,
            PAINT_YELLOW,
            Mat::Diffuse,
        );
        let dir = (q - p).norm();
        for (end, s) in [(p, 1.0f32), (q, -1.0f32)] {
            let b = end + dir * (0.2 * s);
            let c = b + dir * (0.5 * s);
            e.poly(
                &[
                    b - away * 0.3,
                    c - away * 0.3,
                    c + away * 0.3,
                    b + away * 0.3,
                ],
                UP,
                PAINT_YELLOW,
                Mat::Diffuse,
            );
        }
    }
    let split = e.ops.len();
    match scene.site {
        SiteKind::ShaftMouth | SiteKind::ReturnAirShaft => {
            portal(e, &lay, scene.site == SiteKind::ReturnAirShaft)
        }
        SiteKind::VehicleGate => gate(e, &lay),
        SiteKind::Belt => belt_frame(e, &lay),
        SiteKind::SkipHeadframe => headframe(e, &lay),
    }
    split
}

fn portal(e: &mut Emitter<'_>, lay: &SiteLayout, return_air: bool) {
    let (a, across, away) = lay.v();
    let wall_rgb = if return_air {
        RETURN_AIR_WALL
    } else {
        PORTAL_WALL
    };
    let front = a + away * PORTAL_SETBACK_M;
    let depth = 4.0;
    let (hw, h) = (6.0, 5.2);
    let wall = upright_box(
        front + away * (depth * 0.5) + UP * (h * 0.5),
        away,
        across,
        [depth * 0.5, hw, h * 0.5],
    );
    e.cuboid(&wall, wall_rgb, |_, _| {});
    // Dark opening: rectangle plus semicircular arch, on the front face.
    let ow = PORTAL_OPENING_M * 0.5;
    let oh = 2.7;
    let lift = -away * 0.01;
    let mut pts = vec![front + across * -ow + lift, front + across * ow + lift];
    for k in 0..=12 {
        let t = k as f32 / 12.0 * std::f32::consts::PI;
        pts.push(front + across * (ow * t.cos()) + UP * (oh + ow * 0.6 * t.sin()) + lift);
    }
    e.poly(&pts, -away, DARK, Mat::Diffuse);
    // Steel frame around the opening, yellow-black.
    let mut rim = pts.clone();
    rim.remove(0);
    rim.push(pts[0]);
    let rim: Vec<V3> = rim.iter().map(|p| *p - away * 0.02).collect();
    e.stroke(&rim, 0.22, PAINT_YELLOW, Mat::Diffuse, 0.95);
    // Canopy slab over the mouth.
    let canopy = upright_box(
        front - away * 0.6 + UP * (h - 0.15),
        away,
        across,
        [0.9, hw + 0.2, 0.18],
    );
    e.cuboid(&canopy, CANOPY, |_, _| {});
    if return_air {
        // Fan duct beside the mouth.
        let duct = upright_box(
            front + across * (hw + 2.2) + away * 1.5 + UP * 1.6,
            away,
            across,
            [2.0, 1.5, 1.6],
        );
        e.cuboid(&duct, [95, 105, 95], |e, f| {
            if f.axis == 0 && f.sign < 0.0 {
                let c = f.at(0.5, 0.55) - away * 0.01;
                e.poly(
                    &ellipse_pts(c, across * 1.1, UP * 1.1, 18),
                    -away,
                    DARK,
                    Mat::Diffuse,
                );
            }
        });
    }
}

fn road(e: &mut Emitter<'_>, lay: &SiteLayout, seed: u64, flat: bool) {
    let (a, across, away) = lay.v();
    let g = |u: f32, v: f32| a + across * u + away * v + UP * 0.002;
    let hw = ROAD_WIDTH_M * 0.5;
    e.poly(
        &[g(-hw, -60.0), g(hw, -60.0), g(hw, 120.0), g(-hw, 120.0)],
        UP,
        ASPHALT,
        Mat::Diffuse,
    );
    for k in 0..if flat { 40u64 } else { 0 } {
        let u = -hw + hash01(seed, 100 + k) * ROAD_WIDTH_M;
        let v = -20.0 + hash01(seed, 200 + k) * 50.0;
        let r = 0.3 + hash01(seed, 300 + k) * 0.8;
        e.poly_a(
            &ellipse_pts(g(u, v), across * r, away * r, 8),
            UP,
            [50, 50, 52],
            Mat::Diffuse,
            0.35,
        );
    }
    // Edge lines, centre dashes, stop line.
    for u in [-hw + 0.25, hw - 0.25] {
        e.poly(
            &[
                g(u - 0.08, -60.0),
                g(u + 0.08, -60.0),
                g(u + 0.08, 120.0),
                g(u - 0.08, 120.0),
            ],
            UP,
            WHITE,
            Mat::Diffuse,
        );
    }
    let mut v = -40.0;
    while v < 100.0 {
        e.poly(
            &[g(-0.08, v), g(0.08, v), g(0.08, v + 2.0), g(-0.08, v + 2.0)],
            UP,
            WHITE,
            Mat::Diffuse,
        );
        v += 5.0;
    }
    e.poly(
        &[g(-hw, -0.6), g(hw, -0.6), g(hw, -0.2), g(-hw, -0.2)],
        UP,
        WHITE,
        Mat::Diffuse,
    );
}

fn gate(e: &mut Emitter<'_>, lay: &SiteLayout) {
    let (a, across, away) = lay.v();
    let hw = ROAD_WIDTH_M * 0.5;
    // Posts, raised barrier arm (red/white), booth.
    for s in [-1.0f32, 1.0] {
        let post = upright_box(
            a + across * ((hw + 0.6) * s) + UP * 0.6,
            away,
            across,
            [0.25, 0.25, 0.6],
        );
        e.cuboid(&post, POST, |_, _| {});
    }
    let pivot = a + across * (-(hw + 0.6)) + UP * 1.2;
    let tip = pivot + across * 1.2 + UP * 5.0;
    for k in 0..6 {
        let t0 = k as f32 / 6.0;
        let t1 = (k + 1) as f32 / 6.0;
        let rgb = if k % 2 == 0 { [210, 40, 35] } else { WHITE };
        e.stroke(
            &[pivot.lerp(tip, t0), pivot.lerp(tip, t1)],
            0.12,
            rgb,
            Mat::Diffuse,
            1.0,
        );
    }
    let booth = upright_box(
        a + across * (hw + 3.5) - away * 2.0 + UP * 1.3,
        away,
        across,
        [1.2, 1.2, 1.3],
    );
    e.cuboid(&booth, BOOTH, |e, f| {
        if f.axis != 2 {
            e.poly(
                &f.sub(0.15, 0.85, 0.5, 0.85),
                f.normal,
                [60, 80, 95],
                Mat::Diffuse,
            );
        }
    });
    let roof = upright_box(
        a + across * (hw + 3.5) - away * 2.0 + UP * 2.7,
        away,
        across,
        [1.4, 1.4, 0.1],
    );
    e.cuboid(&roof, [60, 90, 140], |_, _| {});
}

fn walkway(e: &mut Emitter<'_>, lay: &SiteLayout) {
    let (a, across, away) = lay.v();
    let hl = BELT_LENGTH_M * 0.5;
    let hw = BELT_WIDTH_M * 0.5;
    let g = |u: f32, v: f32| a + across * u + away * v + UP * 0.002;
    e.poly(
        &[
            g(-hl, -hw - 1.6),
            g(hl, -hw - 1.6),
            g(hl, -hw - 0.3),
            g(-hl, -hw - 0.3),
        ],
        UP,
        CONCRETE,
        Mat::Diffuse,
    );
}

fn belt_frame(e: &mut Emitter<'_>, lay: &SiteLayout) {
    let (a, across, away) = lay.v();
    let hl = BELT_LENGTH_M * 0.5;
    let hw = BELT_WIDTH_M * 0.5;
    // Legs every 3 m, then the stringers.
    let mut u = -hl;
    while u <= hl {
        for s in [-1.0f32, 1.0] {
            let base = a + across * u + away * ((hw + 0.12) * s);
            e.stroke(
                &[base, base + UP * (BELT_TOP_M - 0.12)],
                0.08,
                STEEL,
                Mat::Diffuse,
                0.9,
            );
        }
        u += 3.0;
    }
    for s in [1.0f32, -1.0] {
        let st = upright_box(
            a + away * ((hw + 0.12) * s) + UP * (BELT_TOP_M - 0.12),
            across,
            away,
            [hl, 0.06, 0.1],
        );
        e.cuboid(&st, [200, 160, 40], |_, _| {});
    }
}

fn collar(e: &mut Emitter<'_>, lay: &SiteLayout) {
    let (a, across, away) = lay.v();
    // Collar: dark shaft opening on a concrete pad.
    let g = |u: f32, v: f32| a + across * u + away * v + UP * 0.002;
    e.poly(
        &[g(-5.0, -5.0), g(5.0, -5.0), g(5.0, 5.0), g(-5.0, 5.0)],
        UP,
        CONCRETE,
        Mat::Diffuse,
    );
    e.poly(
        &[g(-1.4, -1.3), g(1.4, -1.3), g(1.4, 1.3), g(-1.4, 1.3)],
        UP,
        DARK,
        Mat::Diffuse,
    );
}

fn headframe(e: &mut Emitter<'_>, lay: &SiteLayout) {
    let (a, across, away) = lay.v();
    let h = HEADFRAME_M;
    let legs = [(-3.0f32, 2.5f32), (3.0, 2.5), (-3.0, -2.5), (3.0, -2.5)];
    let top = |u: f32, v: f32| a + across * (u * 0.45) + away * (v * 0.45) + UP * h;
    let foot = |u: f32, v: f32| a + across * u + away * v;
    let tower_rgb = [150, 60, 45];
    // Back legs first.
    for &(u, v) in legs.iter().rev() {
        e.stroke(
            &[foot(u, v), top(u, v)],
            0.35,
            tower_rgb,
            Mat::Diffuse,
            0.85,
        );
    }
    // Bracing on the front and side faces: horizontals every 3 m and diagonals.
    let front = [(-3.0f32, -2.5f32), (3.0, -2.5)];
    let mut z = 0.0;
    while z < h - 0.1 {
        let t0 = z / h;
        let t1 = ((z + 3.0) / h).min(1.0);
        for pair in [
            front,
            [(-3.0, -2.5), (-3.0, 2.5)],
            [(3.0, -2.5), (3.0, 2.5)],
        ] {
            let p0 = foot(pair[0].0, pair[0].1).lerp(top(pair[0].0, pair[0].1), t0);
            let q0 = foot(pair[1].0, pair[1].1).lerp(top(pair[1].0, pair[1].1), t0);
            let p1 = foot(pair[0].0, pair[0].1).lerp(top(pair[0].0, pair[0].1), t1);
            let q1 = foot(pair[1].0, pair[1].1).lerp(top(pair[1].0, pair[1].1), t1);
            e.stroke(&[p0, q0], 0.14, tower_rgb, Mat::Diffuse, 0.8);
            e.stroke(&[p0, q1], 0.09, tower_rgb, Mat::Diffuse, 0.8);
            e.stroke(&[q0, p1], 0.09, tower_rgb, Mat::Diffuse, 0.8);
        }
        z += 3.0;
    }
    // Guides for the skip.
    for s in [-1.0f32, 1.0] {
        let b = a + across * (0.95 * s);
        e.stroke(&[b, b + UP * h], 0.08, STEEL, Mat::Diffuse, 0.9);
    }
    // Sheave wheel on top.
    let c = a + UP * (h + 1.2);
    let wheel = ellipse_pts(c, away * 1.6, UP * 1.6, 24);
    let mut closed = wheel.clone();
    closed.push(wheel[0]);
    e.stroke(&closed, 0.18, [60, 60, 64], Mat::Diffuse, 1.0);
    e.stroke(
        &[c - away * 1.6, c + away * 1.6],
        0.08,
        [60, 60, 64],
        Mat::Diffuse,
        1.0,
    );
    e.stroke(
        &[c - UP * 1.6, c + UP * 1.6],
        0.08,
        [60, 60, 64],
        Mat::Diffuse,
        1.0,
    );
    // Platform at the top.
    let plat = upright_box(a + UP * (h - 0.2), across, away, [1.8, 1.6, 0.2]);
    e.cuboid(&plat, [90, 90, 95], |_, _| {});
}

/// Moving equipment ops for this frame (drawn over the background, under the actors).
pub(crate) fn equipment(e: &mut Emitter<'_>, scene: &RenderScene) {
    let lay = SiteLayout::of(scene);
    if let Some(b) = scene.equipment.belt {
        belt_surface(e, &lay, &b);
    }
    if let Some(s) = scene.equipment.skip {
        skip(e, &lay, &s);
    }
}

fn belt_surface(e: &mut Emitter<'_>, lay: &SiteLayout, b: &BeltView) {
    let (a, across, away) = lay.v();
    let hl = BELT_LENGTH_M * 0.5;
    let hw = BELT_WIDTH_M * 0.5;
    let s = |u: f32, v: f32, z: f32| a + across * u + away * v + UP * z;
    // Rubber surface, slightly troughed: a flat middle and raised edges.
    e.poly(
        &[
            s(-hl, -hw, BELT_TOP_M + 0.08),
            s(hl, -hw, BELT_TOP_M + 0.08),
            s(hl, -hw * 0.55, BELT_TOP_M),
            s(-hl, -hw * 0.55, BELT_TOP_M),
        ],
        UP,
        [50, 50, 52],
        Mat::Diffuse,
    );
    e.poly(
        &[
            s(-hl, hw * 0.55, BELT_TOP_M),
            s(hl, hw * 0.55, BELT_TOP_M),
            s(hl, hw, BELT_TOP_M + 0.08),
            s(-hl, hw, BELT_TOP_M + 0.08),
        ],
        UP,
        [44, 44, 46],
        Mat::Diffuse,
    );
    e.poly(
        &[
            s(-hl, -hw * 0.55, BELT_TOP_M),
            s(hl, -hw * 0.55, BELT_TOP_M),
            s(hl, hw * 0.55, BELT_TOP_M),
            s(-hl, hw * 0.55, BELT_TOP_M),
        ],
        UP,
        RUBBER,
        Mat::Diffuse,
    );
    let travel = b.travel_m.rem_euclid(1000.0);
    // Cross marks (splices / wear) every 1.5 m, moving with the surface.
    let z = BELT_TOP_M + 0.01;
    let off = travel.rem_euclid(1.5);
    let mut u = -hl + off;
    while u < hl {
        e.poly(
            &[
                s(u, -hw * 0.6, z),
                s(u + 0.1, -hw * 0.6, z),
                s(u + 0.1, hw * 0.6, z),
                s(u, hw * 0.6, z),
            ],
            UP,
            [74, 74, 76],
            Mat::Diffuse,
        );
        u += 1.5;
    }
    if b.loaded {
        // Ore bed along the middle, then lumps at fixed belt positions moving with the surface.
        let zb = BELT_TOP_M + 0.05;
        e.poly(
            &[
                s(-hl, -hw * 0.45, zb),
                s(hl, -hw * 0.45, zb),
                s(hl, hw * 0.45, zb),
                s(-hl, hw * 0.45, zb),
            ],
            UP,
            [84, 74, 62],
            Mat::Diffuse,
        );
        let spacing = 0.35;
        let n = (BELT_LENGTH_M / spacing) as u64;
        let shift = travel.rem_euclid(BELT_LENGTH_M);
        for k in 0..n {
            let base = k as f32 * spacing + hash01(b.pattern_seed, k) * spacing;
            let u = (base + shift).rem_euclid(BELT_LENGTH_M) - hl;
            let v = (hash01(b.pattern_seed, k + 50_000) - 0.5) * hw * 0.8;
            let r = 0.07 + hash01(b.pattern_seed, k + 100_000) * 0.12;
            let light = hash01(b.pattern_seed, k + 150_000);
            let rgb = if light < 0.5 {
                [40, 36, 33]
            } else {
                [130, 120, 105]
            };
            let c = s(u, v, zb + r * 0.6);
            e.poly(
                &ellipse_pts(c, across * r, away * (r * 0.8), 6),
                UP,
                rgb,
                Mat::Diffuse,
            );
        }
    }
    // Idler ends visible at the stringers, every 1.2 m (fixed: the frame does not move).
    let mut u = -hl;
    while u < hl {
        for sd in [-1.0f32, 1.0] {
            let c = s(u, (hw + 0.02) * sd, BELT_TOP_M - 0.02);
            e.stroke(
                &[c, c + away * (0.04 * sd)],
                0.1,
                [30, 30, 32],
                Mat::Diffuse,
                1.0,
            );
        }
        u += 1.2;
    }
}

fn skip(e: &mut Emitter<'_>, lay: &SiteLayout, s: &SkipView) {
    let (a, across, away) = lay.v();
    let z0 = s.height_m.clamp(0.0, HEADFRAME_M - 3.2);
    let c = a + UP * (z0 + 1.5);
    // Rope from the skip to the sheave.
    e.stroke(
        &[c + UP * 1.5, a + UP * (HEADFRAME_M + 1.2)],
        0.05,
        [30, 30, 30],
        Mat::Diffuse,
        1.0,
    );
    let body = upright_box(c, across, away, [0.8, 0.7, 1.5]);
    let loaded = s.loaded;
    e.cuboid(&body, [70, 110, 150], |e, f| {
        if f.axis != 2 {
            e.poly(
                &f.sub(0.0, 1.0, 0.45, 0.52),
                f.normal,
                [230, 200, 40],
                Mat::Diffuse,
            );
        }
    });
    if loaded {
        let top = c + UP * 1.5;
        let mut pts = vec![];
        for (u, v) in [
            (-0.78f32, -0.68f32),
            (0.78, -0.68),
            (0.78, 0.68),
            (-0.78, 0.68),
        ] {
            pts.push(top + across * u + away * v);
        }
        pts.push(top + UP * 0.55);
        pts.push(top + UP * 0.45 + across * 0.4);
        pts.push(top + UP * 0.45 - across * 0.4);
        e.hull(&pts, [52, 46, 40], Mat::Diffuse, 0.95);
        for k in 0..5 {
            let p = top + across * (k as f32 * 0.3 - 0.6) + UP * (0.25 + 0.05 * (k % 2) as f32);
            e.ball(p, 0.13, [110, 100, 88], Mat::Diffuse, 1.0);
        }
        // Ore spilling over the rim on the faces too.
        e.poly(
            &[
                top + across * -0.8 - away * 0.71,
                top + across * 0.8 - away * 0.71,
                top + across * 0.8 - away * 0.71 - UP * 0.25,
                top + across * -0.8 - away * 0.71 - UP * 0.25,
            ],
            -away,
            [52, 46, 40],
            Mat::Diffuse,
        );
    }
}

//! The realistic site's surfaces, per pixel (issue 16, "textured ground and walls"): the flat
//! style's ground and structures are flat-coloured polygons; here each background pixel is
//! multiplied by the texture of the surface it shows — dirt and gravel with coal dust and
//! puddle stains, asphalt with aggregate, cracks and the tyre tracks of the lanes at a vehicle
//! gate, concrete with slab tones and stains, worn paint, stone masonry with mortar joints,
//! streaks run down from the top and splash at the foot, plaster.
//!
//! How: the background's opaque polygons are drawn once more, each in its own index (the last
//! drawn wins, as in the picture); for a pixel showing polygon `i` the camera ray through the
//! pixel centre meets `i`'s plane ([`Op::plane`]) at the world point seen there, and the texture
//! is a function of that point and the pixel's footprint on the surface (detail finer than the
//! footprint fades to its mean, so far ground does not shimmer). The surface kind follows from
//! the polygon's colour and orientation (the constants in `site`).
//!
//! Cost: the multipliers depend on the camera pose, site and counting edge only, not on the
//! light, so they are computed once per camera and kept ([`Cache`]); the background, rendered
//! again whenever the quantised light changes, is only multiplied. Per frame: nothing. All from
//! deterministic hashes of the world point and a seed of the camera's place (no random state).

use tiny_skia::{FillRule, Paint, Pixmap, Stroke, Transform};

use super::camera::Camera;
use super::geom::{Op, Shape};
use super::site::{self, ROAD_WIDTH_M, SiteLayout};
use super::vector::V3;
use crate::scene::{CameraPose, RenderScene, SiteKind, Vec2};

#[derive(Debug, Clone, PartialEq)]
struct Key {
    pose: CameraPose,
    site: SiteKind,
    edge: Option<(Vec2, Vec2)>,
}

/// The texture multipliers of one camera's background, per pixel (RGB, 128 = × 1).
#[derive(Debug, Default)]
pub(crate) struct Cache {
    key: Option<Key>,
    factor: Vec<[u8; 3]>,
}

/// Multiplier 1.0 in the cache's fixed point.
const ONE: f32 = 128.0;

impl Cache {
    /// Multiplies the background `pm`, just drawn from `ops`, by the texture of what each pixel
    /// shows.
    pub fn apply(&mut self, pm: &mut Pixmap, scene: &RenderScene, cam: &Camera, ops: &[Op]) {
        let key = Key {
            pose: scene.camera,
            site: scene.site,
            edge: scene.counting_edge,
        };
        if self.key.as_ref() != Some(&key)
            || self.factor.len() != (pm.width() * pm.height()) as usize
        {
            self.build(pm.width(), pm.height(), scene, cam, ops);
            self.key = Some(key);
        }
        for (px, f) in pm.data_mut().chunks_exact_mut(4).zip(&self.factor) {
            for c in 0..3 {
                px[c] = ((px[c] as u32 * f[c] as u32 + 64) >> 7).min(255) as u8;
            }
        }
    }

    fn build(&mut self, w: u32, h: u32, scene: &RenderScene, cam: &Camera, ops: &[Op]) {
        self.factor.clear();
        self.factor.resize((w * h) as usize, [ONE as u8; 3]);
        let Some(mut index) = Pixmap::new(w, h) else {
            return;
        };
        // Each opaque polygon in its own index, in drawing order.
        let mut paint = Paint {
            anti_alias: false,
            ..Paint::default()
        };
        for (i, op) in ops.iter().enumerate() {
            if !op.in_mask() || i + 1 > 0xffff {
                continue;
            }
            let v = (i + 1) as u16;
            paint.set_color_rgba8((v & 0xff) as u8, (v >> 8) as u8, 0, 255);
            match &op.shape {
                Shape::Fill(p) => {
                    index.fill_path(p, &paint, FillRule::Winding, Transform::identity(), None)
                }
                Shape::Stroke(p, wd) => {
                    let stroke = Stroke {
                        width: *wd,
                        ..Stroke::default()
                    };
                    index.stroke_path(p, &paint, &stroke, Transform::identity(), None);
                }
            }
        }
        let ground = Ground::new(scene);
        let data = index.data();
        for y in 0..h {
            for x in 0..w {
                let i = (y * w + x) as usize;
                let px = &data[i * 4..i * 4 + 4];
                if px[3] != 255 {
                    continue;
                }
                let k = (px[0] as usize | (px[1] as usize) << 8) - 1;
                let op = &ops[k];
                let Some(pl) = op.plane else {
                    continue;
                };
                let n = V3::new(pl[0], pl[1], pl[2]);
                let ray = cam.ray(x as f32 + 0.5, y as f32 + 0.5);
                let along = n.dot(ray);
                if along.abs() < 1e-6 {
                    continue;
                }
                // The ray has a unit depth component: t is the depth of the point.
                let t = (pl[3] - n.dot(cam.centre)) / along;
                if t <= 0.0 {
                    continue;
                }
                let p = cam.centre + ray * t;
                let cos = (along.abs() / ray.len()).max(0.25);
                let fp = t / cam.focal_px() / cos;
                let f = ground.texture(op.rgb, n, p, fp);
                self.factor[i] = f.map(|c| (c * ONE).round().clamp(0.0, 255.0) as u8);
            }
        }
    }
}

/// What a surface is, from its colour and orientation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Surface {
    Dirt,
    Asphalt,
    Concrete,
    Paint,
    Masonry,
    Cast,
    Plaster,
    Plain,
}

fn classify(rgb: [u8; 3], n: V3) -> Surface {
    let up = n.z > 0.9;
    let upright = n.z.abs() < 0.5;
    match rgb {
        site::DIRT if up => Surface::Dirt,
        site::ASPHALT if up => Surface::Asphalt,
        site::CONCRETE if up => Surface::Concrete,
        site::WHITE | site::PAINT_YELLOW if up => Surface::Paint,
        site::PORTAL_WALL | site::RETURN_AIR_WALL if upright => Surface::Masonry,
        site::PORTAL_WALL | site::RETURN_AIR_WALL | site::CANOPY | site::POST => Surface::Cast,
        site::BOOTH if upright => Surface::Plaster,
        _ => Surface::Plain,
    }
}

/// The site's textures, placed by its layout.
struct Ground {
    seed: u32,
    lay: (V3, V3, V3),
    gate: bool,
    shaft: bool,
}

use crate::render::hash::cell01 as hash;

/// Bilinear value noise in 0..1 at lattice spacing 1.
fn noise(u: f32, v: f32, seed: u32) -> f32 {
    let (fu, fv) = (u.floor(), v.floor());
    let (x, y) = (fu as i32, fv as i32);
    let s = |t: f32| t * t * (3.0 - 2.0 * t);
    let (tu, tv) = (s(u - fu), s(v - fv));
    let (a, b) = (hash(x, y, seed), hash(x + 1, y, seed));
    let (c, d) = (hash(x, y + 1, seed), hash(x + 1, y + 1, seed));
    let top = a + (b - a) * tu;
    top + (c + (d - c) * tu - top) * tv
}

/// Value noise with detail finer than `fp` faded to its mean: `scale` is the feature size (m).
fn fnoise(u: f32, v: f32, scale: f32, fp: f32, seed: u32) -> f32 {
    let k = detail(scale, fp);
    if k <= 0.0 {
        return 0.5;
    }
    0.5 + (noise(u / scale, v / scale, seed) - 0.5) * k
}

/// How much of a feature `size` m across survives a footprint of `fp` m: 1 when it spans three
/// pixels or more, 0 below one.
fn detail(size: f32, fp: f32) -> f32 {
    ((size / fp - 1.0) * 0.5).clamp(0.0, 1.0)
}

/// A grain of cells `size` m wide, each its own shade in −0.5..0.5, faded with the footprint.
fn grain(u: f32, v: f32, size: f32, fp: f32, seed: u32) -> f32 {
    let k = detail(size, fp);
    if k <= 0.0 {
        return 0.0;
    }
    (hash((u / size).floor() as i32, (v / size).floor() as i32, seed) - 0.5) * k
}

/// Stones of about `size` m (cells of a jittered grid, the nearest centre wins): the stone's
/// own shade in −0.5..0.5 and how close the point is to a crevice between stones (0..1), both
/// faded with the footprint.
fn stones(u: f32, v: f32, size: f32, fp: f32, seed: u32) -> (f32, f32) {
    let k = detail(size, fp);
    if k <= 0.0 {
        return (0.0, 0.0);
    }
    let (gu, gv) = (u / size, v / size);
    // The four cells nearest the point (a feature point of a farther cell is seldom nearer).
    let (cu, cv) = ((gu - 0.5).floor() as i32, (gv - 0.5).floor() as i32);
    let (mut d1, mut d2, mut id) = (f32::MAX, f32::MAX, (0, 0));
    for dy in 0..=1 {
        for dx in 0..=1 {
            let (x, y) = (cu + dx, cv + dy);
            let px = x as f32 + hash(x, y, seed);
            let py = y as f32 + hash(x, y, seed ^ 0x5bd1);
            let d = (px - gu) * (px - gu) + (py - gv) * (py - gv);
            if d < d1 {
                d2 = d1;
                d1 = d;
                id = (x, y);
            } else if d < d2 {
                d2 = d;
            }
        }
    }
    let gap = d2.sqrt() - d1.sqrt();
    let crevice = 1.0 - smooth(0.0, 0.25, gap);
    ((hash(id.0, id.1, seed ^ 0x77) - 0.5) * k, crevice * k)
}

/// Coverage of a line `width` m wide at signed distance `d` m with footprint `fp` m.
fn line(d: f32, width: f32, fp: f32) -> f32 {
    ((0.5 * (width + fp) - d.abs()) / fp).clamp(0.0, (width / fp).min(1.0))
}

fn smooth(lo: f32, hi: f32, x: f32) -> f32 {
    let t = ((x - lo) / (hi - lo)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

fn grey(k: f32) -> [f32; 3] {
    [k; 3]
}

fn tinted(k: f32, tint: [f32; 3], amount: f32) -> [f32; 3] {
    tint.map(|t| k * (1.0 + (t - 1.0) * amount))
}

/// Coal dust's colour as a multiplier (toward dark grey, a little blue of anthracite).
const COAL: [f32; 3] = [0.42, 0.42, 0.45];

impl Ground {
    fn new(scene: &RenderScene) -> Ground {
        let lay = SiteLayout::of(scene);
        let v = |p: (f32, f32)| V3::new(p.0, p.1, 0.0);
        Ground {
            seed: (site::ground_seed(scene) ^ (site::ground_seed(scene) >> 32)) as u32,
            lay: (v(lay.anchor), v(lay.across), v(lay.away)),
            gate: scene.site == SiteKind::VehicleGate,
            shaft: matches!(scene.site, SiteKind::ShaftMouth | SiteKind::ReturnAirShaft),
        }
    }

    /// Site coordinates of a ground point: along the edge / across the road (`u`), away from
    /// the camera (`v`).
    fn uv(&self, p: V3) -> (f32, f32) {
        let (a, across, away) = self.lay;
        let d = p - a;
        (d.dot(across), d.dot(away))
    }

    fn texture(&self, rgb: [u8; 3], n: V3, p: V3, fp: f32) -> [f32; 3] {
        match classify(rgb, n) {
            Surface::Dirt => self.dirt(p, fp),
            Surface::Asphalt => self.asphalt(p, fp),
            Surface::Concrete => self.concrete(p, fp),
            Surface::Paint => self.paint(p, fp),
            Surface::Masonry => self.masonry(n, p, fp),
            Surface::Cast => self.cast(n, p, fp),
            Surface::Plaster => self.plaster(n, p, fp),
            Surface::Plain => grey(1.0 + 0.5 * grain(p.x + p.z, p.y + p.z, 0.03, fp, self.seed)),
        }
    }

    /// Tyre tracks of the gate's two lanes at ground point `(u, v)`: 0 (none) .. 1.
    fn tracks(&self, u: f32, v: f32, fp: f32) -> f32 {
        if !self.gate {
            return 0.0;
        }
        let lane = crate::ground::TRUCK_LANE_M as f32;
        let mut t = 0.0f32;
        for c in [-lane, lane] {
            for wheel in [-0.95f32, 0.95] {
                // A band of wheel paths worn over each other, wandering a little.
                let wander = 0.12 * (noise(v * 0.15, c, self.seed ^ 0x71) - 0.5);
                let d = (u - c - wheel - wander).abs();
                let band = 1.0 - smooth(0.1, 0.5, d);
                t = t.max(band);
            }
        }
        if t <= 0.0 {
            return 0.0;
        }
        // Tread marks across the track, close up only; the track comes and goes.
        let tread = 0.5 + 0.5 * (v * std::f32::consts::TAU / 0.16).sin();
        let tread = 1.0 + (tread - 0.5) * 0.3 * detail(0.05, fp);
        let patchy = smooth(0.3, 0.7, noise(v * 0.5, u * 0.8, self.seed ^ 0x72));
        t * tread * (0.3 + 0.7 * patchy)
    }

    fn dirt(&self, p: V3, fp: f32) -> [f32; 3] {
        let s = self.seed;
        let (u, v) = self.uv(p);
        let large = noise(p.x / 7.0, p.y / 7.0, s ^ 1);
        let mid = fnoise(p.x, p.y, 1.3, fp, s ^ 2);
        let mut k = 0.9 + 0.2 * large + 0.18 * (mid - 0.5);
        // Gravel: stones of a few centimetres, each its own shade, dark between them.
        let (shade, crevice) = stones(p.x, p.y, 0.05, fp, s ^ 3);
        k *= (1.0 + 0.5 * shade) * (1.0 - 0.35 * crevice);
        let mut c = grey(k);
        // Coal dust: dark patches, heavier near the road and the shaft.
        let near = if self.gate {
            1.0 - smooth(ROAD_WIDTH_M * 0.5, ROAD_WIDTH_M * 0.5 + 5.0, u.abs())
        } else {
            1.0 - smooth(2.0, 12.0, u.abs() + (v - 1.0).abs() * 0.5)
        };
        let patch =
            0.7 * noise(p.x / 2.2, p.y / 2.2, s ^ 5) + 0.3 * noise(p.x / 0.6, p.y / 0.6, s ^ 8);
        let dust = smooth(0.5, 0.85, patch + 0.2 * near);
        c = mix3(c, mul3(c, COAL), 0.5 * dust);
        // Puddle stains: darker, smoother ground where water stood.
        let wet =
            0.7 * noise(p.x / 3.5, p.y / 3.5, s ^ 6) + 0.3 * noise(p.x / 0.7, p.y / 0.7, s ^ 9);
        let stain = smooth(0.6, 0.78, wet);
        c = mix3(c, tinted(0.72, [0.96, 1.0, 1.05], 1.0), 0.5 * stain);
        // Tyre tracks pressed into the dirt beside the road's ends.
        let t = self.tracks(u, v, fp);
        mix3(c, mul3(c, grey(0.75)), 0.8 * t)
    }

    fn asphalt(&self, p: V3, fp: f32) -> [f32; 3] {
        let s = self.seed ^ 0x100;
        let (u, v) = self.uv(p);
        let large = noise(p.x / 5.0, p.y / 5.0, s ^ 1);
        let mut k = 0.9 + 0.2 * large;
        // Aggregate: light chips in the black binder.
        let (chip, binder) = stones(p.x, p.y, 0.02, fp, s ^ 2);
        k *= (1.0 + 0.5 * chip) * (1.0 - 0.2 * binder);
        // Cracks: thin dark lines along the ridges of a noise field.
        let cn = noise(p.x / 1.7, p.y / 1.7, s ^ 3);
        let crack =
            line(cn - 0.5, 0.006, fp * 0.5) * smooth(0.55, 0.7, noise(p.x / 6.0, p.y / 6.0, s ^ 4));
        k *= 1.0 - 0.55 * crack;
        let mut c = grey(k);
        // Oil drips down the middle of each lane, coal dust along the road's edges, tracks.
        let lane = crate::ground::TRUCK_LANE_M as f32;
        let mid_lane = (1.0 - smooth(0.2, 0.6, (u.abs() - lane).abs()))
            * smooth(0.5, 0.85, noise(p.x / 0.8, p.y / 0.8, s ^ 5));
        c = mix3(c, grey(0.6), 0.6 * mid_lane);
        let edge = smooth(ROAD_WIDTH_M * 0.5 - 1.0, ROAD_WIDTH_M * 0.5, u.abs());
        c = mix3(
            c,
            mul3(c, tinted(1.1, [1.08, 1.0, 0.9], 1.0)),
            0.6 * edge * noise(p.x / 1.5, p.y / 1.5, s ^ 6),
        );
        let t = self.tracks(u, v, fp);
        let wet = smooth(0.72, 0.78, noise(p.x / 4.0, p.y / 4.0, s ^ 7));
        c = mix3(c, grey(0.7), 0.6 * wet);
        mix3(c, mul3(c, grey(0.75)), 0.5 * t)
    }

    fn concrete(&self, p: V3, fp: f32) -> [f32; 3] {
        let s = self.seed ^ 0x200;
        let (u, v) = self.uv(p);
        // Slabs of the apron (joints every 4.5 m across, 4 m away: see `site`), each its own tone.
        let slab = hash((u / 4.5).floor() as i32, (v / 4.0).floor() as i32, s);
        let mut k = 0.93 + 0.12 * slab;
        k *= 1.0 + 0.12 * (fnoise(p.x, p.y, 0.6, fp, s ^ 1) - 0.5);
        // Aggregate in the cement: fine and low in contrast (a broom finish, not terrazzo).
        k *= 1.0 + 0.1 * grain(p.x, p.y, 0.015, fp, s ^ 2);
        let mut c = grey(k);
        // Worn and coal-dusted where people walk (toward the mouth), stains, rust drips.
        let path = if self.shaft {
            1.0 - smooth(0.8, 3.5, u.abs())
        } else {
            0.0
        };
        let patch =
            0.6 * noise(p.x / 1.8, p.y / 1.8, s ^ 3) + 0.4 * noise(p.x / 0.45, p.y / 0.45, s ^ 6);
        // A film of dust trodden thin, not a dark cloud: seen from a camera, a dark cloud on the
        // apron reads as a shadow.
        let dust = smooth(0.4, 0.95, 0.75 * patch + 0.4 * path);
        c = mix3(c, mul3(c, COAL), 0.3 * dust);
        // Water and oil stains: darker, irregular, their edges soaked in (not cut out).
        let wet =
            0.65 * noise(p.x / 2.5, p.y / 2.5, s ^ 4) + 0.35 * noise(p.x / 0.6, p.y / 0.6, s ^ 7);
        let stain = smooth(0.62, 0.8, wet);
        c = mix3(c, mul3(c, tinted(0.8, [1.02, 1.0, 0.97], 1.0)), 0.5 * stain);
        // Rust stains where steel lay: rare, irregular and faint (not a field of spots).
        let rust = smooth(0.78, 0.9, noise(p.x / 0.6, p.y / 0.35, s ^ 5))
            * smooth(0.72, 0.82, noise(p.x / 4.0, p.y / 4.0, s ^ 8));
        mix3(c, mul3(c, [0.88, 0.78, 0.66]), 0.45 * rust)
    }

    fn paint(&self, p: V3, fp: f32) -> [f32; 3] {
        let s = self.seed ^ 0x300;
        let (u, v) = self.uv(p);
        // Worn by tyres and boots: patches where the dark ground shows through.
        let wear = smooth(
            0.5,
            0.75,
            noise(p.x / 0.35, p.y / 0.35, s) * 0.8 + 0.3 * self.tracks(u, v, fp),
        );
        let k = 1.0 + 0.12 * grain(p.x, p.y, 0.02, fp, s ^ 1);
        let c = grey(k * 0.95);
        mix3(c, grey(0.55), 0.7 * wear)
    }

    /// Horizontal coordinate along a vertical wall with horizontal normal `n`.
    fn along_wall(n: V3, p: V3) -> f32 {
        let t = V3::new(-n.y, n.x, 0.0).norm();
        p.dot(t)
    }

    fn masonry(&self, n: V3, p: V3, fp: f32) -> [f32; 3] {
        let s = self.seed ^ 0x400;
        let (a, z) = (Self::along_wall(n, p), p.z);
        // Dressed stone blocks in courses, joints staggered by half a block.
        let (course_h, block_l) = (0.34, 0.68);
        let row = (z / course_h).floor();
        let shift = if (row as i32) % 2 == 0 {
            0.0
        } else {
            0.5 * block_l
        };
        let col = ((a + shift) / block_l).floor();
        let (dz, da) = (z - row * course_h, a + shift - col * block_l);
        let joint =
            line(dz.min(course_h - dz), 0.022, fp).max(line(da.min(block_l - da), 0.022, fp));
        let stone = hash(col as i32, row as i32, s);
        let mut k = 0.86 + 0.24 * stone;
        k *= 1.0 + 0.3 * grain(a, z, 0.02, fp, s ^ 1);
        k *= 1.0 - 0.3 * joint;
        let mut c = tinted(k, [1.03, 1.0, 0.95], 0.5 + stone);
        // Rain streaks from the top and splashed coal dust at the foot.
        let streak = noise(a / 0.22, z / 2.5, s ^ 2);
        c = mix3(c, mul3(c, grey(0.72)), smooth(0.55, 0.85, streak) * 0.8);
        let foot = 1.0 - smooth(0.1, 0.9, z + 0.25 * noise(a / 0.6, 0.0, s ^ 3));
        mix3(c, mul3(c, COAL), 0.8 * foot)
    }

    fn cast(&self, n: V3, p: V3, fp: f32) -> [f32; 3] {
        let s = self.seed ^ 0x500;
        let (a, z) = if n.z.abs() > 0.5 {
            (p.x, p.y)
        } else {
            (Self::along_wall(n, p), p.z)
        };
        let mut k = 0.92 + 0.16 * fnoise(a, z, 0.5, fp, s);
        k *= 1.0 + 0.2 * grain(a, z, 0.015, fp, s ^ 1);
        // Formwork lines every 1.2 m, streaks.
        k *= 1.0 - 0.15 * line(((z / 1.2).fract() - 0.5) * 1.2, 0.01, fp);
        let streak = noise(a / 0.3, z / 2.0, s ^ 2);
        grey(k * (1.0 - 0.22 * smooth(0.6, 0.9, streak)))
    }

    fn plaster(&self, n: V3, p: V3, fp: f32) -> [f32; 3] {
        let s = self.seed ^ 0x600;
        let (a, z) = (Self::along_wall(n, p), p.z);
        let mut k = 0.95 + 0.1 * fnoise(a, z, 0.4, fp, s);
        k *= 1.0 + 0.12 * grain(a, z, 0.01, fp, s ^ 1);
        let streak = noise(a / 0.25, z / 1.5, s ^ 2);
        let foot = 1.0 - smooth(0.05, 0.6, z);
        let c = grey(k * (1.0 - 0.25 * smooth(0.6, 0.9, streak)));
        mix3(c, mul3(c, [0.7, 0.66, 0.6]), foot)
    }
}

fn mix3(a: [f32; 3], b: [f32; 3], t: f32) -> [f32; 3] {
    [
        a[0] + (b[0] - a[0]) * t,
        a[1] + (b[1] - a[1]) * t,
        a[2] + (b[2] - a[2]) * t,
    ]
}

fn mul3(a: [f32; 3], b: [f32; 3]) -> [f32; 3] {
    [a[0] * b[0], a[1] * b[1], a[2] * b[2]]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detail_fades_with_the_footprint_and_lines_keep_their_average() {
        assert_eq!(detail(0.1, 0.01), 1.0);
        assert_eq!(detail(0.1, 0.2), 0.0);
        assert_eq!(fnoise(3.3, 1.7, 0.05, 1.0, 9), 0.5);
        // A 1 cm line seen with a 5 cm footprint covers a fifth of the pixel it falls in.
        assert!((line(0.0, 0.01, 0.05) - 0.2).abs() < 1e-6);
        assert_eq!(line(0.2, 0.01, 0.05), 0.0);
    }
}

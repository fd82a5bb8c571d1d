//! The colour of a truck's pixel: what the point on the truck is (paint, glass, steel, rubber,
//! tape, load, lamp — the triangle's part, refined by where the point lies: seams, slats, tread,
//! nuts, lettering) and how dirty it is (mud splashed up from the wheels, dust, rust), then lit
//! with the vertex light interpolated to it. The same light model as the realistic bodies: linear
//! albedo × diffuse light, a gloss term (sky mirrored by paint and glass, the sun's glint),
//! retro-reflection for the marking tape, the dusk tint, square-root display encoding, haze.
//! Under IR the picture is near-infrared grey: paints are bright there whatever their colour,
//! rubber and coal stay dark, lit lamps saturate.

use super::shapes::attr;
use super::{Kind, Plan, part};
use crate::render::camera::Camera;
use crate::render::light::Light;
use crate::render::raster::N_ATTR;
use crate::render::vector::V3;
use crate::scene::TruckLook;

/// What the pixel shader needs of one truck this frame.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Shading {
    plan: Plan,
    ir: bool,
    tint: [f32; 3],
    /// The sky's colour (linear) a gloss surface mirrors by day.
    sky: [f32; 3],
    /// How much the lamps outshine their surroundings: 0 in daylight … 1 in the dark.
    lamps: f32,
    /// 1 / focal length in pixels.
    inv_focal: f32,
    seed: u32,
    cab: [f32; 3],
    bed: [f32; 3],
    rim: [f32; 3],
    mud: [f32; 3],
    /// How dirty the truck is, 0..1.
    dirt: f32,
    coal: bool,
    /// Wheel turn (radians).
    roll: f32,
}

/// sRGB byte → linear 0..1 (the square law the realistic bodies use).
fn lin(c: [u8; 3]) -> [f32; 3] {
    c.map(|v| {
        let x = v as f32 / 255.0;
        x * x
    })
}

impl Shading {
    pub(super) fn new(
        plan: &Plan,
        look: &TruckLook,
        seed: u64,
        cam: &Camera,
        light: &Light,
        roll: f32,
    ) -> Shading {
        let pick = |k: u32, n: u32| ((seed >> (k * 8)) as u32 & 0xff) % n;
        let cab = lin(look.cab);
        // Dump bodies are painted like the cab or in a body colour of their own; flatbeds are
        // grey or like the cab.
        let bed = match (plan.kind, pick(1, 4)) {
            (_, 0) => cab,
            (Kind::Dump, 1) => lin([150, 42, 30]),
            (Kind::Dump, 2) => lin([70, 80, 92]),
            (Kind::Dump, _) => lin([176, 140, 40]),
            (Kind::Light, 1) => lin([60, 90, 150]),
            (Kind::Light, _) => lin([120, 122, 124]),
        };
        let rim = match pick(2, 3) {
            0 => lin([190, 190, 186]),
            1 => lin([150, 40, 30]),
            _ => lin([90, 92, 96]),
        };
        let coal = pick(3, 3) != 0;
        let mud = if coal {
            [0.035, 0.032, 0.03]
        } else {
            [0.09, 0.075, 0.06]
        };
        let sky = if light.is_ir() {
            [0.0; 3]
        } else {
            let l = light.light_level();
            let t = light.tint();
            lin([
                (0.62 * l * t[0] * 255.0) as u8,
                (0.70 * l * t[1] * 255.0) as u8,
                (0.80 * l * t[2] * 255.0) as u8,
            ])
        };
        Shading {
            plan: *plan,
            ir: light.is_ir(),
            tint: if light.is_ir() {
                [1.0; 3]
            } else {
                light.tint()
            },
            sky,
            lamps: if light.is_ir() {
                1.0
            } else {
                ((0.55 - light.ambient) / 0.3).clamp(0.0, 1.0)
            },
            inv_focal: 1.0 / cam.focal_px(),
            seed: (seed >> 32) as u32,
            cab,
            bed,
            rim,
            mud,
            dirt: 0.35 + 0.6 * (pick(4, 256) as f32 / 255.0),
            coal,
            roll,
        }
    }

    /// The lamps glow (it is dark, or the picture is IR).
    pub(super) fn dark(&self) -> bool {
        self.lamps > 0.0
    }
}

/// How a surface answers light.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Finish {
    /// Painted steel: a clear-coat gloss.
    Paint,
    /// Bare or black steel, plastic: matte.
    Matte,
    /// Rubber.
    Rubber,
    /// Retro-reflective marking tape.
    Retro,
    /// Coal or ore.
    Load,
}

use crate::render::hash::cell01 as hash;

/// Side of the value-noise lattice table (it repeats every `TABLE` lattice cells, 38 m and more
/// at the scales used: never twice on one truck).
const TABLE: usize = 128;

/// The lattice values of [`noise`], hashed once.
static LATTICE: std::sync::LazyLock<Vec<f32>> = std::sync::LazyLock::new(|| {
    (0..TABLE * TABLE)
        .map(|i| hash((i % TABLE) as i32, (i / TABLE) as i32, 0x6e6f_6973))
        .collect()
});

/// `x.floor()` without the library call baseline x86-64 makes for it (the pixel path is hot).
#[inline(always)]
fn floor(x: f32) -> f32 {
    let t = x as i32 as f32;
    if t > x { t - 1.0 } else { t }
}

/// Bilinear value noise in 0..1 at lattice spacing 1; `seed` shifts the lattice.
#[inline]
fn noise(u: f32, v: f32, seed: u32) -> f32 {
    let (u, v) = (
        u + (seed & 0xff) as f32 * 7.31,
        v + (seed >> 8 & 0xff) as f32 * 5.17,
    );
    let (fu, fv) = (floor(u), floor(v));
    let (x, y) = (fu as i32 as usize, fv as i32 as usize);
    let s = |t: f32| t * t * (3.0 - 2.0 * t);
    let (tu, tv) = (s(u - fu), s(v - fv));
    let l: &[f32] = &LATTICE;
    let at = |x: usize, y: usize| l[(y % TABLE) * TABLE + x % TABLE];
    let (x1, y1) = (x.wrapping_add(1), y.wrapping_add(1));
    let a = at(x, y) + (at(x1, y) - at(x, y)) * tu;
    let b = at(x, y1) + (at(x1, y1) - at(x, y1)) * tu;
    a + (b - a) * tv
}

/// `f` per colour channel (written out: the per-pixel path stays inlined).
#[inline(always)]
fn rgb(f: impl Fn(usize) -> f32) -> [f32; 3] {
    [f(0), f(1), f(2)]
}

#[inline(always)]
fn mix(a: [f32; 3], b: [f32; 3], t: f32) -> [f32; 3] {
    rgb(|i| a[i] + (b[i] - a[i]) * t)
}

#[inline(always)]
fn scale(a: [f32; 3], k: f32) -> [f32; 3] {
    rgb(|i| a[i] * k)
}

/// Coverage (0..1) of a line `width` m wide at signed distance `d` m, seen with a pixel
/// footprint of `fp` m: an anti-aliased seam that fades to its average as it gets thinner.
fn line(d: f32, width: f32, fp: f32) -> f32 {
    ((0.5 * (width + fp) - d.abs()) / fp).clamp(0.0, (width / fp).min(1.0))
}

/// A blocky glyph cell (3 × 5) of the lettering: whether sub-cell `(cx, cy)` of glyph `g` is
/// ink.
fn glyph(seed: u32, g: i32, cx: i32, cy: i32) -> bool {
    if cx == 1 && (cy == 1 || cy == 3) {
        return false;
    }
    let edge = cx != 1 || cy == 0 || cy == 2 || cy == 4;
    edge && hash(g, cx * 5 + cy, seed) < 0.72
}

/// Lettering of `n` glyphs over a `w × h` field at `(u, v)` (metres from its lower left):
/// whether the point is ink.
fn lettering(seed: u32, u: f32, v: f32, w: f32, h: f32, n: i32) -> bool {
    if u < 0.0 || v < 0.0 || u >= w || v >= h {
        return false;
    }
    let cell = w / n as f32;
    let g = (u / cell) as i32;
    let (gu, gv) = ((u - g as f32 * cell) / cell, v / h);
    // Glyph body in the middle 80 % of its cell.
    if !(0.1..0.9).contains(&gu) {
        return false;
    }
    let cx = ((gu - 0.1) / 0.8 * 3.0) as i32;
    let cy = (gv * 5.0) as i32;
    glyph(seed, g, cx.min(2), cy.min(4))
}

/// The colour of a pixel of a truck (sRGB bytes).
pub(crate) fn shade(s: &Shading, part: u8, at: &[f32; N_ATTR]) -> [u8; 3] {
    // The depth here (one division), the point on the truck, and metres per pixel.
    let z = 1.0 / at[attr::INV_Z].max(1e-6);
    let p = V3::new(
        at[attr::POS] * z,
        at[attr::POS + 1] * z,
        at[attr::POS + 2] * z,
    );
    let fp = z * s.inv_focal;
    let diffuse = at[attr::DIFFUSE].max(0.0);
    let gloss = at[attr::GLOSS].max(0.0);
    let retro = at[attr::RETRO].max(0.0);
    let haze = at[attr::HAZE];
    // Lamps and glass first: they are not painted, and a lit lamp is not lit by anything.
    match part {
        part::HEADLIGHT | part::TAILLIGHT => {
            let head = part == part::HEADLIGHT;
            let lens = if head {
                [0.5, 0.52, 0.55]
            } else {
                [0.32, 0.015, 0.012]
            };
            let emit = if head {
                [1.0, 0.97, 0.9]
            } else {
                [1.0, 0.1, 0.05]
            };
            // By day a lamp is a lens over a reflector, a little lit; in the dark it outshines
            // everything (an IR camera sees halogen lamps and red tail lights alike bright).
            let on = if head { 0.25 } else { 0.12 };
            let k = on + (1.0 - on) * s.lamps;
            let c = if s.ir {
                let g = (0.5 * diffuse + gloss).max(if head { 1.0 } else { 0.8 } * k);
                [g; 3]
            } else {
                rgb(|i| (lens[i] * diffuse + gloss * s.sky[i]).max(emit[i] * k))
            };
            return finish(s, c, haze * (1.0 - s.lamps));
        }
        part::GLASS => {
            // Dark glass: the cab's shadowy inside, the sky mirrored (more toward the top of a
            // windscreen, which curves back), dust low on the pane, the wipers at rest.
            let pl = &s.plan;
            let dust = s.dirt * 0.25 * noise(p.x * 3.0 + p.y * 3.0, p.z * 6.0, s.seed ^ 0x91);
            let (gz0, gz1) = pl.glass_z;
            let screen = p.x > pl.front_at(p.z) - 0.05;
            let (mut sheen, mut wiper) = (0.0, 0.0);
            if screen {
                sheen = ((p.z - gz0) / (gz1 - gz0)).clamp(0.0, 1.0);
                for (py, len) in [
                    (-0.55 * pl.cab_hw, 0.75 * pl.cab_hw),
                    (0.1, 0.7 * pl.cab_hw),
                ] {
                    // An arm from its pivot low on the glass, lying almost flat.
                    let (dy, dz) = (p.y - py, p.z - (gz0 + 0.05));
                    let along = dy * 0.985 + dz * 0.17;
                    if (0.0..len).contains(&along) {
                        wiper = f32::max(wiper, line(dz * 0.985 - dy * 0.17, 0.025, fp));
                    }
                }
            }
            let c = if s.ir {
                [(0.02 * diffuse + 0.9 * gloss + 0.1 * dust * diffuse) * (1.0 - wiper); 3]
            } else {
                let inside = [0.010, 0.011, 0.012];
                let level = diffuse.min(1.0);
                rgb(|i| {
                    let glass = inside[i] * diffuse
                        + (1.6 * gloss + level * (0.01 + 0.05 * sheen)) * s.sky[i]
                        + dust * s.mud[i] * diffuse;
                    glass * (1.0 - wiper) + wiper * 0.01 * diffuse
                })
            };
            return finish(s, c, haze);
        }
        _ => {}
    }
    // One patchiness noise for the mud, the paint's fading, rust and the heap's tone.
    let n = noise(
        (p.x + 0.71 * p.z) * 3.5,
        (p.y + 1.37 * p.z) * 3.5,
        s.seed ^ 0x3d,
    );
    let (mut base, fin) = surface(s, part, p, fp, n);
    // Mud and dust: heavier low down and on the wheels, patchy.
    if fin != Finish::Retro && fin != Finish::Load {
        let m = mud(s, p, part, n);
        base = mix(base, s.mud, m);
    }
    let c = if s.ir {
        let lum = 0.30 * base[0] + 0.59 * base[1] + 0.11 * base[2];
        let nir = match fin {
            // Paint pigments reflect near infrared strongly, whatever their colour.
            Finish::Paint => 0.25 + 0.6 * lum.sqrt(),
            Finish::Matte => 0.05 + 0.9 * lum,
            Finish::Rubber => 0.05,
            Finish::Retro => 0.7,
            Finish::Load => {
                if s.coal {
                    0.06 + 0.5 * lum
                } else {
                    0.2 + 1.2 * lum
                }
            }
        };
        let mut g = nir * diffuse;
        match fin {
            Finish::Retro => g = g.max(retro),
            Finish::Paint => g += 0.25 * gloss,
            _ => {}
        }
        [g; 3]
    } else {
        let (spec, extra) = match fin {
            Finish::Paint => (0.5, 0.0),
            Finish::Matte => (0.08, 0.0),
            Finish::Rubber => (0.04, 0.0),
            Finish::Retro => (0.2, retro * 0.3),
            Finish::Load => (if s.coal { 0.3 } else { 0.05 }, 0.0),
        };
        rgb(|i| base[i] * diffuse + spec * gloss * s.sky[i].max(0.3) + extra)
    };
    finish(s, c, haze)
}

/// Tint, display encoding and haze.
#[inline(always)]
fn finish(s: &Shading, c: [f32; 3], haze: f32) -> [u8; 3] {
    let hz = if s.ir { 0.35 } else { 0.7 };
    let one = |i: usize| {
        let x = (c[i] * s.tint[i]).max(0.0).sqrt();
        ((x + (hz - x) * haze).clamp(0.0, 1.0) * 255.0 + 0.5) as u8
    };
    [one(0), one(1), one(2)]
}

/// Mud on the truck at `p`: 0 (clean) .. ~0.9.
fn mud(s: &Shading, p: V3, part: u8, n: f32) -> f32 {
    // Low parts, and everything a wheel throws mud at.
    let low = ((1.4 - p.z) / 1.2).clamp(0.0, 1.0);
    let wheel = if (part::TYRE..part::RIM + 3).contains(&part) {
        0.5
    } else {
        0.0
    };
    let m = s.dirt * (0.3 * n + (low * low + wheel) * (0.3 + 0.9 * n));
    ((m - 0.18) * 1.6).clamp(0.0, 0.9)
}

/// The base colour (linear) and finish of the point `p` on a triangle of `part`.
fn surface(s: &Shading, part: u8, p: V3, fp: f32, n: f32) -> ([f32; 3], Finish) {
    let pl = &s.plan;
    match part {
        part::CAB => (cab_paint(s, p, fp, n), Finish::Paint),
        part::BED => (bed_paint(s, p, fp), Finish::Paint),
        part::STEEL => {
            let rust = noise(p.x * 5.0 + p.z * 3.0, p.y * 5.0 + p.z * 4.0, s.seed ^ 0x77);
            let base = [0.03, 0.03, 0.032];
            (
                mix(
                    base,
                    [0.09, 0.035, 0.015],
                    ((rust - 0.6) * 3.0).clamp(0.0, 0.8),
                ),
                Finish::Matte,
            )
        }
        part::BUMPER => (
            match pl.kind {
                Kind::Dump => [0.05, 0.05, 0.055],
                Kind::Light => [0.12, 0.12, 0.125],
            },
            Finish::Paint,
        ),
        part::MIRROR | part::RUBBER => ([0.015, 0.015, 0.016], Finish::Rubber),
        part::GRILLE => {
            // Horizontal slats over a dark opening.
            let t = (p.z / 0.065).fract();
            let slat = if fp < 0.03 {
                if t < 0.55 { 1.0 } else { 0.0 }
            } else {
                0.55
            };
            (
                mix([0.006, 0.006, 0.007], [0.07, 0.07, 0.072], slat),
                Finish::Matte,
            )
        }
        part::INDICATOR => ([0.45, 0.2, 0.02], Finish::Paint),
        part::TANK => {
            let rib = line(((p.z * 8.0).fract() - 0.5) / 8.0, 0.01, fp);
            (scale([0.32, 0.32, 0.33], 1.0 - 0.4 * rib), Finish::Paint)
        }
        part::PLATE => {
            // A yellow plate (large vehicles in China) with a black border and lettering.
            let front = p.x > 0.0;
            let z0 = if front {
                pl.bumper.1 + 0.05
            } else {
                super::tail_lamp_place(pl).1.0 - 0.23
            };
            let (u, v) = (if front { p.y + 0.22 } else { 0.22 - p.y }, p.z - z0);
            let border = !(0.015..=0.425).contains(&u) || !(0.012..=0.138).contains(&v);
            let ink = border || lettering(s.seed ^ 0x51, u - 0.03, v - 0.03, 0.38, 0.09, 7);
            (
                if ink { [0.01; 3] } else { [0.62, 0.42, 0.0] },
                Finish::Paint,
            )
        }
        part::TAPE => {
            // Red and white segments (GB 7258), along the side or across the back.
            let along = if p.x < pl.bed_x.0 + 0.01 { p.y } else { p.x };
            let white = (along / 0.3).rem_euclid(2.0) < 1.0;
            (
                if white {
                    [0.55, 0.55, 0.56]
                } else {
                    [0.5, 0.02, 0.02]
                },
                Finish::Retro,
            )
        }
        part::BED_INSIDE => {
            // Scraped steel: streaks along the length where the load slides out, rust, dust.
            // Streaks run along the floor and down the walls.
            let floor = p.z < pl.bed_z.0 + 0.12;
            let streak = if floor {
                noise(p.x * 1.2, p.y * 16.0, s.seed ^ 0x21)
            } else {
                noise((p.x + p.y) * 16.0, p.z * 1.5, s.seed ^ 0x21)
            };
            let rust = noise(p.x * 3.0 + p.z * 2.0, p.y * 3.0 + p.z * 2.0, s.seed ^ 0x22);
            let base = mix([0.035, 0.034, 0.033], [0.11, 0.105, 0.1], streak * streak);
            let c = mix(
                base,
                [0.07, 0.035, 0.018],
                ((rust - 0.5) * 2.0).clamp(0.0, 0.7),
            );
            (mix(c, s.mud, 0.45 * s.dirt), Finish::Matte)
        }
        part::LOAD => (load(s, p, fp, n), Finish::Load),
        t if (part::TYRE..part::TYRE + 3).contains(&t) => {
            (tyre(s, (t - part::TYRE) as usize, p, fp), Finish::Rubber)
        }
        r if (part::RIM..part::RIM + 3).contains(&r) => rim(s, (r - part::RIM) as usize, p, fp),
        _ => ([0.05; 3], Finish::Matte),
    }
}

/// Cab paint with its seams: door outline, handle, the tilting front panel's edge.
fn cab_paint(s: &Shading, p: V3, fp: f32, n: f32) -> [f32; 3] {
    let pl = &s.plan;
    let mut seam = 0.0f32;
    let side = p.y.abs() > pl.cab_hw_top - 0.01 && p.x < pl.front_at(p.z) - 0.14;
    if side {
        let (dx0, dx1) = pl.door_x;
        let top = pl.glass_z.1 + 0.02;
        if p.z < top && p.z > pl.cab_z0 + 0.04 {
            seam = seam.max(line(p.x - dx0, 0.012, fp));
            if p.x < dx1 + 0.06 {
                seam = seam.max(line(
                    p.x - (dx1 + 0.04).min(pl.front_at(p.z) - 0.05),
                    0.012,
                    fp,
                ));
            }
        }
        if p.x > dx0 && p.x < dx1 {
            seam = seam.max(line(p.z - (pl.cab_z0 + 0.05), 0.012, fp));
            // The handle: a dark recess under the window at the back of the door.
            let hz = pl.glass_z.0 - 0.12;
            if (p.x - (dx0 + 0.1)).abs() < 0.09 && (p.z - hz).abs() < 0.025 {
                seam = seam.max(0.8);
            }
        }
    } else if p.x > pl.front_at(p.z) - 0.03 {
        // The front: the panel edge under the windscreen.
        seam = seam.max(line(p.z - (pl.glass_z.0 - 0.1), 0.012, fp));
    }
    scale(s.cab, (0.95 + 0.1 * n) * (1.0 - 0.85 * seam))
}

/// Body paint: streaks of grime running down, worn rims, the plate number painted large on the
/// tailgate.
fn bed_paint(s: &Shading, p: V3, fp: f32) -> [f32; 3] {
    let pl = &s.plan;
    let (bz0, bz1) = pl.bed_z;
    let streak = noise((p.x + p.y) * 9.0, p.z * 0.9, s.seed ^ 0x31);
    let mut c = scale(s.bed, 1.0 - s.dirt * 0.35 * streak);
    // Rust and wear at the top rail where the bucket scrapes.
    if p.z > bz1 - 0.1 {
        let wear = noise(p.x * 6.0, p.y * 6.0, s.seed ^ 0x32);
        c = mix(
            c,
            [0.11, 0.045, 0.02],
            ((wear - 0.45) * 2.0).clamp(0.0, 0.8),
        );
    }
    if p.x < pl.bed_x.0 + 0.004 {
        // The tailgate's enlarged plate number (放大号), white.
        let h = ((bz1 - bz0) * 0.45).min(0.45);
        let w = h * 0.55 * 5.0;
        // Seen from behind, the viewer's left is +y.
        let (u, v) = (w * 0.5 - p.y, p.z - ((bz0 + bz1) * 0.5 - h * 0.5));
        if fp < h * 0.2 && lettering(s.seed ^ 0x52, u, v, w, h, 5) {
            c = [0.6, 0.6, 0.58];
        }
    }
    c
}

/// A tyre: black rubber, tread lugs turning with the wheel, the groove between dual tyres.
fn tyre(s: &Shading, axle: usize, p: V3, fp: f32) -> [f32; 3] {
    let pl = &s.plan;
    let (xc, dual) = pl.axle[axle];
    let r = pl.tyre_r;
    let (dx, dz) = (p.x - xc, p.z - r);
    let rho = (dx * dx + dz * dz).sqrt();
    let base = [0.014, 0.014, 0.015];
    if rho > r - 0.01 {
        // Tread: lugs every 18° while the pixel still resolves them.
        let a = dz.atan2(dx) + s.roll;
        let lug = ((a * 20.0 / std::f32::consts::TAU).rem_euclid(1.0) < 0.45) as u8 as f32;
        let k = if fp < 0.05 { 0.55 + 0.6 * lug } else { 0.8 };
        let mut c = scale(base, k);
        if dual {
            let y_mid = pl.hw - 0.06 - 0.3;
            c = scale(c, 1.0 - 0.9 * line(p.y.abs() - y_mid, 0.03, fp));
        }
        c
    } else {
        // The sidewall, a lighter bead ring next to the rim.
        let bead = line(rho - (pl.rim_r + 0.025), 0.02, fp);
        mix(base, [0.05, 0.05, 0.05], bead)
    }
}

/// A steel disc rim: hub, nut ring, hand holes, the flange — turning with the wheel.
fn rim(s: &Shading, axle: usize, p: V3, fp: f32) -> ([f32; 3], Finish) {
    let pl = &s.plan;
    let (xc, _) = pl.axle[axle];
    let (dx, dz) = (p.x - xc, p.z - pl.tyre_r);
    let rho = (dx * dx + dz * dz).sqrt() / pl.rim_r;
    let a = dz.atan2(dx) + s.roll;
    let sector = |n: f32| (a * n / std::f32::consts::TAU).rem_euclid(1.0);
    let detail = fp < pl.rim_r * 0.25;
    let c = if rho < 0.22 {
        [0.05, 0.05, 0.052]
    } else if detail && (0.3..0.42).contains(&rho) && (sector(10.0) - 0.5).abs() < 0.18 {
        [0.35, 0.35, 0.33]
    } else if detail && (0.55..0.78).contains(&rho) && (sector(8.0) - 0.5).abs() < 0.2 {
        [0.01, 0.01, 0.01]
    } else if rho > 0.9 {
        scale(s.rim, 0.6)
    } else {
        s.rim
    };
    (c, Finish::Paint)
}

/// Coal or ore: lumps of a few centimetres, each its own shade, coal with glinting facets.
fn load(s: &Shading, p: V3, fp: f32, big: f32) -> [f32; 3] {
    let cell = 0.09;
    // Close up, lumps: the nearest of four jittered centres, dark in the gaps between lumps.
    let (lump, gap) = if fp < cell * 0.5 {
        let (gu, gv) = (p.x / cell, p.y / cell);
        let (cu, cv) = (floor(gu - 0.5) as i32, floor(gv - 0.5) as i32);
        let (mut d1, mut d2, mut id) = (f32::MAX, f32::MAX, (0, 0));
        for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
            let (x, y) = (cu + dx, cv + dy);
            let cx = x as f32 + hash(x, y, s.seed ^ 0x63);
            let cy = y as f32 + hash(x, y, s.seed ^ 0x64);
            let d = (cx - gu) * (cx - gu) + (cy - gv) * (cy - gv);
            if d < d1 {
                (d2, d1, id) = (d1, d, (x, y));
            } else if d < d2 {
                d2 = d;
            }
        }
        let edge = 1.0 - ((d2.sqrt() - d1.sqrt()) * 5.0).min(1.0);
        (hash(id.0, id.1, s.seed ^ 0x61), edge * edge)
    } else {
        (0.5, 0.0)
    };
    let k = (0.6 + 0.8 * lump) * (1.0 - 0.6 * gap);
    if s.coal {
        scale([0.011, 0.011, 0.012], k * (0.8 + 0.4 * big))
    } else {
        let base = mix([0.10, 0.055, 0.035], [0.09, 0.085, 0.08], big);
        scale(base, k)
    }
}

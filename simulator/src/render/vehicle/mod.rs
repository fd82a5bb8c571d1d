//! The realistic trucks (issue 16, "trucks and site"): triangle meshes with real proportions,
//! lit and shaded like the realistic bodies, drawn by the same rasteriser so the truth stays
//! pixel-exact against the id mask.
//!
//! **Which truck.** A [`TruckLook`] says only length, width, cab colour and whether it is
//! loaded, so the body type follows from the length: **7 m and longer** is a three-axle (6×4)
//! cab-over mining dump truck (the HOWO / Shacman class seen at Chinese mine gates: flat-fronted
//! cab, 12.00R20 tyres of 1.1 m, twin rear axles on dual wheels, a box dump body with external
//! ribs and a raised headboard); **shorter** is a two-axle cab-over light truck (轻卡: 0.8 m
//! tyres, dual rear wheels, a drop-side flatbed with a headboard). Both are scaled along their
//! length to `length_m` and fill `width_m` with their mirrors; every part stays inside the box
//! of [`super::truck::bounds_pts`] (height 3.0 m, 3.2 m loaded), which truth and culling use.
//!
//! **What is drawn.** Cab with windscreen and side windows (dark glass mirroring the sky by
//! day), sun visor, grille, mirrors on arms, steps, bumper with headlights, indicators and a
//! yellow plate; frame rails, fuel tank, battery box, mudguards and flaps; wheels with treaded
//! tyres and steel disc rims; the bed with ribs and rails, retro-reflective red-and-white
//! marking tape along the sides and the rear (required on Chinese goods vehicles, GB 7258), the
//! rear plate number painted large on the tailgate, tail lights; a heap of coal or ore when
//! loaded. Per pixel ([`paint`]): panel seams, door handles, grille slats, tread, rim nuts and
//! hand holes, mud splashed up from the wheels, dust, rust on steel, scraped steel inside the
//! bed, lumps and glints in the load; all from deterministic hash noise of the point on the
//! truck and a seed hashed from the actor's id and look (no random state).
//!
//! **Lights.** Headlights and tail lights are on. By day they are bright lenses; when it is dark
//! (colour at low ambient light, or IR) they saturate, and a soft glow (radial, translucent
//! [`Mat::Bloom`] discs, which are not part of the truck's silhouette and so never enter the id
//! mask) blooms around the lamps that face the camera.

mod paint;
mod shapes;

pub(crate) use paint::{Shading, shade};

use super::body::Mesh;
use super::emit::Emitter;
use super::geom::Mat;
use super::vector::V3;
use crate::scene::TruckLook;
use shapes::{Builder, Casts, Face, box_corners};

/// Triangle part codes (the pixel shader decides by them).
pub(super) mod part {
    pub const CAB: u8 = 1;
    pub const BED: u8 = 2;
    pub const STEEL: u8 = 3;
    pub const BUMPER: u8 = 4;
    pub const GLASS: u8 = 5;
    pub const GRILLE: u8 = 6;
    pub const HEADLIGHT: u8 = 7;
    pub const TAILLIGHT: u8 = 8;
    pub const INDICATOR: u8 = 9;
    pub const MIRROR: u8 = 10;
    pub const BED_INSIDE: u8 = 11;
    pub const LOAD: u8 = 12;
    pub const RUBBER: u8 = 13;
    pub const TANK: u8 = 14;
    pub const PLATE: u8 = 15;
    pub const TAPE: u8 = 16;
    /// Tyre of axle `k` is `TYRE + k`.
    pub const TYRE: u8 = 20;
    /// Rim of axle `k` is `RIM + k`.
    pub const RIM: u8 = 30;
}

/// The body type, from the length (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Three-axle cab-over dump truck.
    Dump,
    /// Two-axle cab-over light truck with a drop-side flatbed.
    Light,
}

/// Length from which a truck is a dump truck (m).
pub(crate) const DUMP_MIN_LENGTH_M: f32 = 7.0;

impl Kind {
    pub fn of(look: &TruckLook) -> Kind {
        if look.length_m >= DUMP_MIN_LENGTH_M {
            Kind::Dump
        } else {
            Kind::Light
        }
    }
}

/// Highest point of the truck without a load (m): the cab roof, under the bounds' 3.0 m.
const TOP_M: f32 = 2.95;
/// Highest point of a load (m), under the bounds' 3.2 m.
const LOAD_TOP_M: f32 = 3.12;

/// Where everything goes, in the truck's frame (see `shapes`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan {
    pub kind: Kind,
    /// Front and rear ends (x).
    pub xf: f32,
    pub xr: f32,
    /// Half width over the mirrors (the look's width).
    pub hw: f32,
    /// Tyre and rim radius.
    pub tyre_r: f32,
    pub rim_r: f32,
    /// Axles: x, dual wheels; `axles` of them.
    pub axle: [(f32, bool); 3],
    pub axles: usize,
    /// Frame rails' bottom and top.
    pub rail: (f32, f32),
    /// Cab: back x, front x at the bottom and at the roof, bottom and roof z, half widths at
    /// the bottom and at the roof.
    pub cab_x0: f32,
    pub cab_x1: f32,
    pub cab_x1_top: f32,
    pub cab_z0: f32,
    pub cab_z1: f32,
    pub cab_hw: f32,
    pub cab_hw_top: f32,
    /// Windscreen and side windows' bottom and top (z); door's back and front edges (x).
    pub glass_z: (f32, f32),
    pub door_x: (f32, f32),
    /// Bumper: back x, bottom and top z.
    pub bumper: (f32, f32, f32),
    /// Bed: back and front x, floor bottom and wall top z, half width, headboard top.
    pub bed_x: (f32, f32),
    pub bed_z: (f32, f32),
    pub bed_hw: f32,
    pub head_top: f32,
}

impl Plan {
    /// The cab front's x at height `z` (the front face leans back toward the roof).
    pub fn front_at(&self, z: f32) -> f32 {
        self.cab_x1
            + (self.cab_x1_top - self.cab_x1) * ((z - self.cab_z0) / (self.cab_z1 - self.cab_z0))
    }

    pub fn of(look: &TruckLook) -> Plan {
        let kind = Kind::of(look);
        let len = look.length_m.clamp(4.0, 14.0);
        let hw = look.width_m.clamp(1.6, 3.2) * 0.5;
        let (xf, xr) = (len * 0.5, -len * 0.5);
        match kind {
            Kind::Dump => {
                let tyre_r = 0.54;
                let cab_x0 = xf - 2.3;
                Plan {
                    kind,
                    xf,
                    xr,
                    hw,
                    tyre_r,
                    rim_r: 0.3,
                    axle: [(xf - 1.35, false), (xr + 2.95, true), (xr + 1.6, true)],
                    axles: 3,
                    rail: (0.78, 1.06),
                    cab_x0,
                    cab_x1: xf - 0.24,
                    cab_x1_top: xf - 0.42,
                    cab_z0: 1.12,
                    cab_z1: TOP_M,
                    cab_hw: hw - 0.14,
                    cab_hw_top: hw - 0.22,
                    glass_z: (1.88, 2.7),
                    door_x: (xf - 1.45, xf - 0.34),
                    bumper: (xf - 0.3, 0.42, 0.95),
                    bed_x: (xr + 0.06, cab_x0 - 0.2),
                    bed_z: (1.32, 2.3),
                    bed_hw: hw - 0.08,
                    head_top: 2.62,
                }
            }
            Kind::Light => {
                let tyre_r = 0.39;
                let cab_x0 = xf - 1.85;
                Plan {
                    kind,
                    xf,
                    xr,
                    hw,
                    tyre_r,
                    rim_r: 0.22,
                    axle: [(xf - 1.1, false), (xr + 1.75, true), (0.0, false)],
                    axles: 2,
                    rail: (0.55, 0.73),
                    cab_x0,
                    cab_x1: xf - 0.12,
                    cab_x1_top: xf - 0.4,
                    cab_z0: 0.82,
                    cab_z1: 2.38,
                    cab_hw: hw - 0.18,
                    cab_hw_top: hw - 0.25,
                    glass_z: (1.48, 2.26),
                    door_x: (xf - 1.72, xf - 0.5),
                    bumper: (xf - 0.17, 0.33, 0.6),
                    bed_x: (xr + 0.02, cab_x0 - 0.12),
                    bed_z: (0.92, 1.45),
                    bed_hw: hw - 0.04,
                    head_top: 2.05,
                }
            }
        }
    }
}

use crate::render::hash::mix64 as mix32;

/// A truck's seed: its id and look, so the same truck looks the same in every frame and run.
fn seed_of(id: u32, look: &TruckLook) -> u64 {
    let mut h = mix32(u64::from(id) ^ 0x7275_636b);
    h = mix32(
        h ^ u64::from(u32::from_le_bytes([
            look.cab[0],
            look.cab[1],
            look.cab[2],
            0,
        ])),
    );
    h = mix32(h ^ u64::from(look.length_m.to_bits()));
    mix32(h ^ u64::from(look.width_m.to_bits()))
}

/// Builds the truck's mesh for this frame into `out` (cleared first), emits the glow of its lit
/// lamps into `e`'s ops, and returns how to shade its pixels. `pos` is the footprint centre on
/// the ground, `heading` the direction it faces.
pub(crate) fn build(
    out: &mut Mesh,
    e: &mut Emitter<'_>,
    id: u32,
    pos: V3,
    heading: f32,
    look: &TruckLook,
) -> Shading {
    let plan = Plan::of(look);
    let seed = seed_of(id, look);
    let mut b = Builder::new(out, e.cam, e.light, pos, heading);
    // Nearer parts first: a pixel hidden by what is already drawn is neither shaded nor written
    // again. Cab and body in the order the camera sees them; the load hides the bed's inside;
    // chassis and wheels are mostly hidden.
    let depth = |x: f32, z: f32| e.cam.depth(b.world(v(x, 0.0, z)));
    let cab_first = depth(
        plan.cab_x0.midpoint(plan.cab_x1),
        plan.cab_z0.midpoint(plan.cab_z1),
    ) < depth(
        plan.bed_x.0.midpoint(plan.bed_x.1),
        plan.bed_z.0.midpoint(plan.bed_z.1),
    );
    if cab_first {
        cab(&mut b, &plan);
    }
    if look.loaded {
        load(&mut b, &plan, seed);
    }
    match plan.kind {
        Kind::Dump => dump_body(&mut b, &plan),
        Kind::Light => flatbed(&mut b, &plan),
    }
    if !cab_first {
        cab(&mut b, &plan);
    }
    chassis(&mut b, &plan);
    wheels(&mut b, &plan);
    let lamps = lamps(&plan);
    // The distance along the heading stands in for the distance driven: the wheels turn.
    let roll = (pos.x * heading.cos() + pos.y * heading.sin()) / plan.tyre_r;
    let shading = Shading::new(&plan, look, seed, e.cam, e.light, roll);
    if shading.dark() {
        for l in &lamps {
            glow(e, &b, l);
        }
    }
    shading
}

/// A lamp: centre and outward normal (local), half size, headlight or tail light.
struct Lamp {
    at: V3,
    n: V3,
    size: f32,
    head: bool,
}

fn lamps(p: &Plan) -> Vec<Lamp> {
    let fwd = V3::new(1.0, 0.0, 0.0);
    let mut v = Vec::with_capacity(4);
    let (head_y, head_z) = head_lamp_place(p);
    for s in [-1.0f32, 1.0] {
        v.push(Lamp {
            at: V3::new(
                head_x(p) + 0.01,
                s * head_y.0.midpoint(head_y.1),
                head_z.0.midpoint(head_z.1),
            ),
            n: fwd,
            size: 0.5 * (head_y.1 - head_y.0),
            head: true,
        });
        let (ty, tz) = tail_lamp_place(p);
        v.push(Lamp {
            at: V3::new(p.xr - 0.01, s * ty.0.midpoint(ty.1), tz.0.midpoint(tz.1)),
            n: -fwd,
            size: 0.5 * (ty.1 - ty.0),
            head: false,
        });
    }
    v
}

/// The glow around a lit lamp facing the camera: two translucent discs, wider and brighter the
/// more squarely a headlight's beam points at the camera.
fn glow(e: &mut Emitter<'_>, b: &Builder<'_>, l: &Lamp) {
    let at = b.world(l.at);
    let n = b.world_dir(l.n);
    let facing = n.dot((e.cam.centre - at).norm());
    if facing <= 0.05 {
        return;
    }
    let (rgb, k) = if l.head {
        ([255, 250, 232], facing * facing)
    } else {
        ([255, 70, 50], facing.sqrt() * 0.6)
    };
    e.ball(
        at + n * 0.05,
        l.size * (2.5 + 5.0 * k),
        rgb,
        Mat::Bloom,
        0.85 * k,
    );
}

/// Headlights' half-width span (y from, to) and height span (z).
fn head_lamp_place(p: &Plan) -> ((f32, f32), (f32, f32)) {
    match p.kind {
        Kind::Dump => ((p.hw - 0.55, p.hw - 0.24), (0.66, 0.86)),
        Kind::Light => ((p.cab_hw - 0.42, p.cab_hw - 0.08), (0.9, 1.08)),
    }
}

/// The x of the face the headlights sit on.
fn head_x(p: &Plan) -> f32 {
    match p.kind {
        Kind::Dump => p.xf,
        Kind::Light => p.front_at(head_lamp_place(p).1.0.midpoint(head_lamp_place(p).1.1)),
    }
}

/// Tail lights' spans (y, z) on the rear light bar.
fn tail_lamp_place(p: &Plan) -> ((f32, f32), (f32, f32)) {
    match p.kind {
        Kind::Dump => ((p.hw - 0.45, p.hw - 0.17), (0.82, 0.98)),
        Kind::Light => ((p.hw - 0.4, p.hw - 0.12), (0.58, 0.72)),
    }
}

fn v(x: f32, y: f32, z: f32) -> V3 {
    V3::new(x, y, z)
}

fn wheels(b: &mut Builder<'_>, p: &Plan) {
    b.casts = Casts::Drawn;
    for (k, &(x, dual)) in p.axle[..p.axles].iter().enumerate() {
        let width = if dual { 0.6 } else { 0.32 };
        let y_out = if dual { p.hw - 0.06 } else { p.hw - 0.12 };
        for s in [-1.0f32, 1.0] {
            let parts = (part::TYRE + k as u8, part::RIM + k as u8);
            b.wheel(parts, x, s * y_out, p.tyre_r, p.rim_r, width);
            // The shadow's stand-in: an octagonal drum.
            b.casts = Casts::Shadow;
            let r = p.tyre_r;
            let oct: Vec<(f32, f32)> = (0..8)
                .map(|k| {
                    let a = std::f32::consts::TAU * (k as f32 + 0.5) / 8.0;
                    (x + r * a.cos(), r + r * a.sin())
                })
                .collect();
            let (ya, yb) = (s * y_out, s * (y_out - width));
            for w in 0..8 {
                let (c0, c1) = (oct[w], oct[(w + 1) % 8]);
                b.quad(
                    parts.0,
                    [
                        v(c0.0, ya, c0.1),
                        v(c1.0, ya, c1.1),
                        v(c1.0, yb, c1.1),
                        v(c0.0, yb, c0.1),
                    ],
                    v(0.0, 1.0, 0.0),
                );
            }
            b.casts = Casts::Drawn;
        }
    }
}

fn chassis(b: &mut Builder<'_>, p: &Plan) {
    b.casts = Casts::Drawn;
    let (z0, z1) = p.rail;
    b.ao = 0.6;
    // Frame rails, a cross member at each end.
    for s in [-1.0f32, 1.0] {
        let (y0, y1) = if s > 0.0 {
            (0.38, 0.48)
        } else {
            (-0.48, -0.38)
        };
        b.block(part::STEEL, v(p.xr + 0.2, y0, z0), v(p.bumper.0, y1, z1), 0);
    }
    b.ao = 1.0;
    // Mudguards over the wheels and the flaps behind the rear ones.
    let r = p.tyre_r;
    let rear: Vec<f32> = p.axle[1..p.axles].iter().map(|a| a.0).collect();
    let (rx0, rx1) = (
        rear.iter().fold(f32::MAX, |a, &x| a.min(x)) - r - 0.12,
        rear.iter().fold(f32::MIN, |a, &x| a.max(x)) + r + 0.12,
    );
    for s in [-1.0f32, 1.0] {
        let (yi, yo) = (s * (p.hw - 0.7), s * (p.hw - 0.03));
        let (ylo, yhi) = (yi.min(yo), yi.max(yo));
        b.block(
            part::STEEL,
            v(rx0, ylo, 2.0 * r + 0.06),
            v(rx1, yhi, 2.0 * r + 0.09),
            0,
        );
        let fx = rear.iter().fold(f32::MAX, |a, &x| a.min(x)) - r - 0.15;
        b.plate(
            part::RUBBER,
            [
                v(fx, ylo, 0.3),
                v(fx, yhi, 0.3),
                v(fx, yhi, 2.0 * r + 0.07),
                v(fx, ylo, 2.0 * r + 0.07),
            ],
            v(-1.0, 0.0, 0.0),
        );
    }
    // Tank (aluminium) on the right, battery box on the left, behind the cab.
    let x0 = p.cab_x0 - 0.95;
    let x1 = p.cab_x0 - 0.15;
    let (tz0, tz1) = (p.rail.0 - 0.4, p.rail.1 - 0.05);
    b.casts = Casts::Both;
    b.block(
        part::TANK,
        v(x0, -(p.hw - 0.22), tz0),
        v(x1, -0.5, tz1),
        Face::LEFT,
    );
    b.casts = Casts::Drawn;
    b.block(
        part::STEEL,
        v(x0 + 0.2, 0.5, tz0 + 0.1),
        v(x1 - 0.1, p.hw - 0.3, tz1 - 0.05),
        Face::RIGHT,
    );
    // Rear: under-run guard with tape, and the light bar.
    let xr = p.xr;
    let (ly, lz) = tail_lamp_place(p);
    let bar_z = (lz.0 - 0.03, lz.1 + 0.03);
    b.block(
        part::STEEL,
        v(xr + 0.01, -(p.hw - 0.1), bar_z.0),
        v(xr + 0.15, p.hw - 0.1, bar_z.1),
        0,
    );
    let guard_z = (bar_z.0 - 0.38, bar_z.0 - 0.24);
    b.block(
        part::STEEL,
        v(xr + 0.02, -(p.hw - 0.2), guard_z.0),
        v(xr + 0.12, p.hw - 0.2, guard_z.1),
        0,
    );
    b.quad(
        part::TAPE,
        [
            v(xr + 0.019, -(p.hw - 0.22), guard_z.0 + 0.02),
            v(xr + 0.019, p.hw - 0.22, guard_z.0 + 0.02),
            v(xr + 0.019, p.hw - 0.22, guard_z.1 - 0.02),
            v(xr + 0.019, -(p.hw - 0.22), guard_z.1 - 0.02),
        ],
        v(-1.0, 0.0, 0.0),
    );
    for s in [-1.0f32, 1.0] {
        let lamp = |y0: f32, y1: f32, part: u8, b: &mut Builder<'_>| {
            b.quad(
                part,
                [
                    v(xr + 0.005, s * y0, lz.0),
                    v(xr + 0.005, s * y1, lz.0),
                    v(xr + 0.005, s * y1, lz.1),
                    v(xr + 0.005, s * y0, lz.1),
                ],
                v(-1.0, 0.0, 0.0),
            );
        };
        lamp(ly.0, ly.1, part::TAILLIGHT, b);
        lamp(ly.1 + 0.01, ly.1 + 0.07, part::INDICATOR, b);
    }
    // The rear plate under the light bar.
    b.quad(
        part::PLATE,
        [
            v(xr + 0.005, -0.22, bar_z.0 - 0.2),
            v(xr + 0.005, 0.22, bar_z.0 - 0.2),
            v(xr + 0.005, 0.22, bar_z.0 - 0.05),
            v(xr + 0.005, -0.22, bar_z.0 - 0.05),
        ],
        v(-1.0, 0.0, 0.0),
    );
}

/// The cab: a box raked at the front, glass, visor, grille, bumper and lamps, steps, mirrors.
fn cab(b: &mut Builder<'_>, p: &Plan) {
    b.casts = Casts::Drawn;
    let (x0, x1, x1t) = (p.cab_x0, p.cab_x1, p.cab_x1_top);
    let (z0, z1) = (p.cab_z0, p.cab_z1);
    let (w0, w1) = (p.cab_hw, p.cab_hw_top);
    // Front x at height z (the front face leans back).
    let front_at = |z: f32| p.front_at(z);
    // Half width at height z (the sides lean in above the waist).
    let waist = z0 + 0.45 * (z1 - z0);
    let half_at = |z: f32| {
        if z <= waist {
            w0
        } else {
            w0 + (w1 - w0) * ((z - waist) / (z1 - waist))
        }
    };
    // The body: outlines with rounded-off front corners, stacked from the floor to a roof
    // whose edge is rounded off too.
    let chamfer = 0.13;
    let outline = |z: f32, inset: f32| {
        let (xb, xf, w) = (x0 + inset, front_at(z) - inset, half_at(z) - inset);
        let c = chamfer;
        [
            (xb, -w),
            (xf - c, -w),
            (xf - 0.3 * c, -w + 0.3 * c),
            (xf, -w + c),
            (xf, w - c),
            (xf - 0.3 * c, w - 0.3 * c),
            (xf - c, w),
            (xb, w),
        ]
    };
    let eave = z1 - 0.09;
    let (l0, l1, l2, l3) = (
        outline(z0, 0.0),
        outline(waist, 0.0),
        outline(eave, 0.0),
        outline(z1, 0.06),
    );
    // The front face's normal (leaning back) and a point on it at (y, z), lifted off it.
    let lean = (x1t - x1) / (z1 - z0);
    let nf = V3::new(1.0, 0.0, -lean).norm();
    let on_front = |y: f32, z: f32, lift: f32| v(front_at(z), y, z) + nf * lift;
    let front_quad = |y0: f32, y1: f32, za: f32, zb: f32, lift: f32| {
        [
            on_front(y0, za, lift),
            on_front(y1, za, lift),
            on_front(y1, zb, lift),
            on_front(y0, zb, lift),
        ]
    };
    let (gz0, gz1) = p.glass_z;
    // Windscreen (two panes on a dump truck, one on a light truck).
    let m = chamfer + 0.03;
    let top_half = half_at(gz1) - m;
    let bot_half = half_at(gz0) - m;
    let screen = [
        on_front(-bot_half, gz0, 0.01),
        on_front(bot_half, gz0, 0.01),
        on_front(top_half, gz1, 0.01),
        on_front(-top_half, gz1, 0.01),
    ];
    b.quad(part::GLASS, screen, nf);
    // Sun visor over it.
    let vz = gz1 + 0.06;
    b.hexa(
        part::CAB,
        box_like(
            [front_at(vz) - 0.05, front_at(vz) + 0.16],
            [-(half_at(vz) - 0.03), half_at(vz) - 0.03],
            [vz, vz + 0.05],
        ),
        0,
    );
    // Grille and the badge bar under the windscreen.
    let (gr0, gr1) = match p.kind {
        Kind::Dump => (z0 + 0.1, gz0 - 0.18),
        Kind::Light => (1.1, 1.36),
    };
    b.quad(
        part::GRILLE,
        front_quad(-(w0 - 0.38), w0 - 0.38, gr0, gr1, 0.008),
        nf,
    );
    // Side windows and door handles are on the sides; side glass follows the rake at the front.
    for s in [-1.0f32, 1.0] {
        let ns = V3::new(0.0, s, (w0 - w1) / (z1 - waist)).norm();
        let side_pt = |x: f32, z: f32| v(x, s * (half_at(z) + 0.008), z);
        let (dx0, dx1) = p.door_x;
        let win = [
            side_pt(dx0 + 0.06, gz0),
            side_pt((front_at(gz0) - chamfer - 0.05).min(dx1), gz0),
            side_pt((front_at(gz1) - chamfer - 0.1).min(dx1), gz1 - 0.05),
            side_pt(dx0 + 0.06, gz1 - 0.05),
        ];
        b.quad(part::GLASS, win, ns);
        // Small window behind the door (sleeper cab of the dump truck).
        if p.kind == Kind::Dump {
            let q = [
                side_pt(x0 + 0.2, gz0 + 0.15),
                side_pt(dx0 - 0.08, gz0 + 0.15),
                side_pt(dx0 - 0.08, gz1 - 0.15),
                side_pt(x0 + 0.2, gz1 - 0.15),
            ];
            b.quad(part::GLASS, q, ns);
        }
        // Mirror: an arm from the cab's front corner out to a tall black head.
        let mh = if p.kind == Kind::Dump { 0.42 } else { 0.3 };
        let mz = (gz1 - 0.1 - mh, gz1 - 0.1);
        let ax = front_at(mz.1) - 0.08;
        b.block(
            part::MIRROR,
            v(ax - 0.03, s * half_at(mz.1), mz.1 - 0.03),
            v(ax + 0.03, s * (p.hw - 0.1), mz.1),
            0,
        );
        b.block(
            part::MIRROR,
            v(ax - 0.05, s * (p.hw - 0.24), mz.0),
            v(ax + 0.04, s * (p.hw - 0.01), mz.1),
            0,
        );
        b.quad(
            part::GLASS,
            [
                v(ax - 0.056, s * (p.hw - 0.22), mz.0 + 0.03),
                v(ax - 0.056, s * (p.hw - 0.03), mz.0 + 0.03),
                v(ax - 0.056, s * (p.hw - 0.03), mz.1 - 0.03),
                v(ax - 0.056, s * (p.hw - 0.22), mz.1 - 0.03),
            ],
            v(-1.0, 0.0, 0.0),
        );
        // Steps under the door, in front of the front wheel on a dump truck.
        let (sx0, sx1) = match p.kind {
            Kind::Dump => (p.axle[0].0 + p.tyre_r + 0.06, x1 - 0.06),
            Kind::Light => (p.axle[0].0 + p.tyre_r + 0.04, x1 - 0.04),
        };
        if sx1 > sx0 + 0.15 {
            b.ao = 0.75;
            b.block(
                part::STEEL,
                v(sx0, s * (w0 - 0.3), p.bumper.2 - 0.35),
                v(sx1, s * w0, z0),
                0,
            );
            b.ao = 1.0;
        }
        // Front mudguard over the front wheel.
        let fx = p.axle[0].0;
        let r = p.tyre_r;
        b.block(
            part::STEEL,
            v(fx - r - 0.08, s * (p.hw - 0.5), 2.0 * r + 0.03),
            v(fx + r + 0.05, s * (p.hw - 0.08), 2.0 * r + 0.07),
            0,
        );
    }
    // Bumper with its lamps and the plate.
    let (bx0, bz0, bz1) = p.bumper;
    let bw = p.hw - 0.12;
    if p.kind == Kind::Light {
        // The apron between bumper and cab, over the frame.
        b.block(
            part::STEEL,
            v(x1 - 0.5, -(w0 - 0.15), bz1),
            v(x1 - 0.02, w0 - 0.15, z0),
            0,
        );
    }
    let (hy, hz) = head_lamp_place(p);
    let hx = head_x(p);
    for s in [-1.0f32, 1.0] {
        let lamp_quad = |y0: f32, y1: f32, za: f32, zb: f32| -> [V3; 4] {
            if p.kind == Kind::Light {
                [
                    on_front(s * y0, za, 0.01),
                    on_front(s * y1, za, 0.01),
                    on_front(s * y1, zb, 0.01),
                    on_front(s * y0, zb, 0.01),
                ]
            } else {
                [
                    v(hx - 0.005, s * y0, za),
                    v(hx - 0.005, s * y1, za),
                    v(hx - 0.005, s * y1, zb),
                    v(hx - 0.005, s * y0, zb),
                ]
            }
        };
        let n = if p.kind == Kind::Light {
            nf
        } else {
            v(1.0, 0.0, 0.0)
        };
        b.quad(part::HEADLIGHT, lamp_quad(hy.0, hy.1, hz.0, hz.1), n);
        b.quad(
            part::INDICATOR,
            lamp_quad(hy.1 + 0.02, hy.1 + 0.1, hz.0, hz.1),
            n,
        );
    }
    b.quad(
        part::PLATE,
        [
            v(p.xf - 0.005, -0.22, bz0 + 0.05),
            v(p.xf - 0.005, 0.22, bz0 + 0.05),
            v(p.xf - 0.005, 0.22, bz0 + 0.19),
            v(p.xf - 0.005, -0.22, bz0 + 0.19),
        ],
        v(1.0, 0.0, 0.0),
    );
    // The large surfaces last: the details in front of them are drawn already.
    b.casts = Casts::Both;
    b.block(part::BUMPER, v(bx0, -bw, bz0), v(p.xf - 0.01, bw, bz1), 0);
    b.casts = Casts::Drawn;
    b.casts = Casts::Both;
    b.prism(
        part::CAB,
        &[(z0, &l0), (waist, &l1), (eave, &l2), (z1, &l3)],
    );
    b.casts = Casts::Drawn;
}

/// Corners of the box `x0..x1 × y0..y1 × z0..z1` from ranges.
fn box_like(x: [f32; 2], y: [f32; 2], z: [f32; 2]) -> [V3; 8] {
    box_corners(v(x[0], y[0], z[0]), v(x[1], y[1], z[1]))
}

/// A box dump body: outer walls with ribs and rails, the inside, the raised headboard, tape.
fn dump_body(b: &mut Builder<'_>, p: &Plan) {
    b.casts = Casts::Drawn;
    let (bx0, bx1) = p.bed_x;
    let (bz0, bz1) = p.bed_z;
    let hw = p.bed_hw;
    let t = 0.06;
    // Subframe under the floor.
    b.ao = 0.6;
    b.block(
        part::STEEL,
        v(bx0 + 0.1, -0.55, p.rail.1),
        v(bx1 - 0.05, 0.55, bz0),
        0,
    );
    b.ao = 1.0;
    // Ribs: vertical stiffeners along the sides, rails along the top and the bottom (before the
    // walls they stand on, which they hide in part).
    let ribs = ((bx1 - bx0) / 0.75).round().max(3.0) as usize;
    for s in [-1.0f32, 1.0] {
        for k in 1..ribs {
            let x = bx0 + (bx1 - bx0) * k as f32 / ribs as f32;
            b.block(
                part::BED,
                v(x - 0.05, s * hw, bz0 + 0.14),
                v(x + 0.05, s * (hw + 0.065), bz1 - 0.1),
                if s > 0.0 { Face::RIGHT } else { Face::LEFT },
            );
        }
        b.block(
            part::BED,
            v(bx0, s * hw, bz1 - 0.1),
            v(bx1, s * (hw + 0.06), bz1),
            if s > 0.0 { Face::RIGHT } else { Face::LEFT },
        );
        b.block(
            part::BED,
            v(bx0, s * hw, bz0),
            v(bx1, s * (hw + 0.06), bz0 + 0.14),
            if s > 0.0 { Face::RIGHT } else { Face::LEFT },
        );
        // Marking tape on the bottom rail.
        let ty = s * (hw + 0.062);
        b.quad(
            part::TAPE,
            [
                v(bx0 + 0.05, ty, bz0 + 0.03),
                v(bx1 - 0.05, ty, bz0 + 0.03),
                v(bx1 - 0.05, ty, bz0 + 0.11),
                v(bx0 + 0.05, ty, bz0 + 0.11),
            ],
            v(0.0, s, 0.0),
        );
    }
    // Tailgate: hinge beam on top and a tape band across.
    b.block(
        part::BED,
        v(bx0 - 0.06, -hw, bz1 - 0.12),
        v(bx0, hw, bz1),
        Face::FRONT,
    );
    b.quad(
        part::TAPE,
        [
            v(bx0 - 0.004, -(hw - 0.05), bz0 + 0.06),
            v(bx0 - 0.004, hw - 0.05, bz0 + 0.06),
            v(bx0 - 0.004, hw - 0.05, bz0 + 0.14),
            v(bx0 - 0.004, -(hw - 0.05), bz0 + 0.14),
        ],
        v(-1.0, 0.0, 0.0),
    );
    // Hoist cylinder between cab and body.
    b.block(
        part::STEEL,
        v(bx1 + 0.04, -0.09, p.rail.1),
        v(bx1 + 0.16, 0.09, bz1 - 0.3),
        0,
    );
    walls(b, p, (bx0, bx1), (bz0, bz1), hw, t, p.head_top);
}

/// A drop-side flatbed: floor, low sides, a tall headboard frame, tape on the sides.
fn flatbed(b: &mut Builder<'_>, p: &Plan) {
    b.casts = Casts::Drawn;
    let (bx0, bx1) = p.bed_x;
    let (bz0, bz1) = p.bed_z;
    let hw = p.bed_hw;
    b.ao = 0.6;
    b.block(
        part::STEEL,
        v(bx0 + 0.1, -0.5, p.rail.1),
        v(bx1 - 0.05, 0.5, bz0),
        0,
    );
    b.ao = 1.0;
    for s in [-1.0f32, 1.0] {
        // Stakes at the ends and the middle of each side.
        for x in [bx0 + 0.04, 0.5 * (bx0 + bx1), bx1 - 0.04] {
            b.block(
                part::STEEL,
                v(x - 0.035, s * hw, bz0 + 0.1),
                v(x + 0.035, s * (hw + 0.03), bz1),
                0,
            );
        }
        let ty = s * (hw + 0.004);
        b.quad(
            part::TAPE,
            [
                v(bx0 + 0.1, ty, bz0 + 0.16),
                v(bx1 - 0.1, ty, bz0 + 0.16),
                v(bx1 - 0.1, ty, bz0 + 0.23),
                v(bx0 + 0.1, ty, bz0 + 0.23),
            ],
            v(0.0, s, 0.0),
        );
    }
    b.quad(
        part::TAPE,
        [
            v(bx0 - 0.004, -(hw - 0.05), bz0 + 0.16),
            v(bx0 - 0.004, hw - 0.05, bz0 + 0.16),
            v(bx0 - 0.004, hw - 0.05, bz0 + 0.23),
            v(bx0 - 0.004, -(hw - 0.05), bz0 + 0.23),
        ],
        v(-1.0, 0.0, 0.0),
    );
    walls(b, p, (bx0, bx1), (bz0, bz1), hw, 0.035, p.head_top);
}

/// The bed's walls, outside (`BED`) and inside (`BED_INSIDE`), the floor and the headboard.
#[allow(clippy::too_many_arguments)]
fn walls(
    b: &mut Builder<'_>,
    _p: &Plan,
    (x0, x1): (f32, f32),
    (z0, z1): (f32, f32),
    hw: f32,
    t: f32,
    head_top: f32,
) {
    b.casts = Casts::Both;
    let floor = z0 + 0.1;
    // Outside: the sides, the tailgate, the underside; the headboard is its own block.
    b.block(
        part::BED,
        v(x0, -hw, z0),
        v(x1 - t, -hw + t, z1),
        Face::LEFT,
    );
    b.block(part::BED, v(x0, hw - t, z0), v(x1 - t, hw, z1), Face::RIGHT);
    b.block(
        part::BED,
        v(x0, -hw + t, z0),
        v(x0 + t, hw - t, z1),
        Face::LEFT | Face::RIGHT | Face::FRONT,
    );
    b.block(
        part::BED,
        v(x1 - t, -hw, z0),
        v(x1, hw, head_top),
        Face::BACK,
    );
    b.quad(
        part::BED,
        [
            v(x0 + t, -hw + t, z0),
            v(x1 - t, -hw + t, z0),
            v(x1 - t, hw - t, z0),
            v(x0 + t, hw - t, z0),
        ],
        v(0.0, 0.0, -1.0),
    );
    // Inside faces of the walls and the floor.
    b.casts = Casts::Drawn;
    let inside = |b: &mut Builder<'_>, q: [V3; 4], n: V3| b.quad(part::BED_INSIDE, q, n);
    let (ix0, ix1, iy) = (x0 + t + 0.002, x1 - t - 0.002, hw - t - 0.002);
    inside(
        b,
        [
            v(ix0, -iy, floor),
            v(ix1, -iy, floor),
            v(ix1, iy, floor),
            v(ix0, iy, floor),
        ],
        v(0.0, 0.0, 1.0),
    );
    for s in [-1.0f32, 1.0] {
        inside(
            b,
            [
                v(ix0, s * iy, floor),
                v(ix1, s * iy, floor),
                v(ix1, s * iy, z1),
                v(ix0, s * iy, z1),
            ],
            v(0.0, -s, 0.0),
        );
    }
    inside(
        b,
        [
            v(ix0, -iy, floor),
            v(ix0, iy, floor),
            v(ix0, iy, z1),
            v(ix0, -iy, z1),
        ],
        v(1.0, 0.0, 0.0),
    );
    inside(
        b,
        [
            v(ix1, -iy, floor),
            v(ix1, iy, floor),
            v(ix1, iy, head_top),
            v(ix1, -iy, head_top),
        ],
        v(-1.0, 0.0, 0.0),
    );
}

/// The heap of coal or ore in the bed: a height field rising from just under the walls' top at
/// the edges to a ridge along the middle, lumpy.
fn load(b: &mut Builder<'_>, p: &Plan, seed: u64) {
    b.casts = Casts::Drawn;
    let (bx0, bx1) = p.bed_x;
    let (_, z1) = p.bed_z;
    let t = if p.kind == Kind::Dump { 0.06 } else { 0.035 };
    let (x0, x1, hw) = (bx0 + t + 0.003, bx1 - t - 0.003, p.bed_hw - t - 0.003);
    let edge = z1 - 0.1;
    let peak = match p.kind {
        Kind::Dump => LOAD_TOP_M - 0.03,
        Kind::Light => z1 + 0.4,
    };
    const NX: usize = 10;
    const NY: usize = 6;
    let height = |i: usize, j: usize| {
        let u = i as f32 / NX as f32 * 2.0 - 1.0;
        let w = j as f32 / NY as f32 * 2.0 - 1.0;
        let interior = i > 0 && i < NX && j > 0 && j < NY;
        let bump = if interior {
            let h = mix32(seed ^ ((i as u64) << 8 | j as u64));
            ((h >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.16
        } else {
            0.0
        };
        let mound = (1.0 - u.abs().powf(2.5)) * (1.0 - w.abs().powf(1.6));
        (edge + (peak - edge) * mound + bump).min(LOAD_TOP_M)
    };
    let mut pts = [[V3::default(); NY + 1]; NX + 1];
    for (i, row) in pts.iter_mut().enumerate() {
        for (j, q) in row.iter_mut().enumerate() {
            let x = x0 + (x1 - x0) * i as f32 / NX as f32;
            let y = -hw + 2.0 * hw * j as f32 / NY as f32;
            *q = v(x, y, height(i, j));
        }
    }
    let base = b.out.verts.len() as u32;
    for i in 0..=NX {
        for j in 0..=NY {
            let (ia, ib) = (i.saturating_sub(1), (i + 1).min(NX));
            let (ja, jb) = (j.saturating_sub(1), (j + 1).min(NY));
            let dx = pts[ib][j] - pts[ia][j];
            let dy = pts[i][jb] - pts[i][ja];
            let n = dx.cross(dy).norm();
            b.vert(pts[i][j], n);
        }
    }
    let at = |i: usize, j: usize| base + (i * (NY + 1) + j) as u32;
    for i in 0..NX {
        for j in 0..NY {
            let up = v(0.0, 0.0, 1.0);
            b.facing_tri(part::LOAD, [at(i, j), at(i + 1, j), at(i + 1, j + 1)], up);
            b.facing_tri(part::LOAD, [at(i, j), at(i + 1, j + 1), at(i, j + 1)], up);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::camera::Camera;
    use crate::render::light::Light;
    use crate::scene::{CameraPose, ColourMode, Lighting, Vec3};

    fn look(length_m: f32, width_m: f32, loaded: bool) -> TruckLook {
        TruckLook {
            length_m,
            width_m,
            cab: [200, 40, 30],
            loaded,
        }
    }

    /// Truth and culling use `truck::bounds_pts`: every vertex must lie in that box.
    #[test]
    fn every_vertex_lies_inside_the_trucks_bounding_box() {
        let pose = CameraPose {
            position: Vec3::new(-20.0, 3.0, 6.0),
            yaw: 0.0,
            tilt: 0.3,
            hfov: 1.2,
            width: 320,
            height: 180,
        };
        let cam = Camera::new(&pose);
        let lighting = Lighting {
            mode: ColourMode::Colour,
            ambient: 0.9,
            dusk: 0.0,
            lamp: 1.0,
        };
        let light = Light::new(&lighting, 0.0);
        let (pos, heading) = (V3::new(1.0, 2.0, 0.0), 0.7f32);
        let (fwd, left) = (
            V3::new(heading.cos(), heading.sin(), 0.0),
            V3::new(-heading.sin(), heading.cos(), 0.0),
        );
        for length in [4.0, 5.5, 6.5, 6.99, 7.0, 7.5, 8.5, 12.0] {
            for width in [2.0, 2.3, 2.6] {
                for loaded in [false, true] {
                    let l = look(length, width, loaded);
                    let mut mesh = Mesh::default();
                    let mut ops = Vec::new();
                    let mut e = Emitter::new(&cam, &light, &mut ops);
                    build(&mut mesh, &mut e, 3, pos, heading, &l);
                    assert!(
                        mesh.tris.len() > 500,
                        "{length} m: {} tris",
                        mesh.tris.len()
                    );
                    let b = crate::render::truck::bounds_pts(pos, heading, &l);
                    let top = b.iter().fold(0.0f32, |a, p| a.max(p.z));
                    for w in &mesh.world {
                        let d = *w - pos;
                        let (x, y) = (d.dot(fwd), d.dot(left));
                        assert!(
                            x.abs() <= length * 0.5 + 1e-3
                                && y.abs() <= width * 0.5 + 1e-3
                                && (-1e-3..=top + 1e-3).contains(&w.z),
                            "{length}×{width} m, loaded {loaded}: vertex ({x}, {y}, {}) outside",
                            w.z
                        );
                    }
                    for t in &mesh.tris {
                        assert!(t.v.iter().all(|&i| (i as usize) < mesh.verts.len()));
                    }
                }
            }
        }
    }

    #[test]
    fn the_body_type_follows_from_the_length() {
        assert_eq!(Kind::of(&look(8.0, 2.5, true)), Kind::Dump);
        assert_eq!(Kind::of(&look(DUMP_MIN_LENGTH_M, 2.5, true)), Kind::Dump);
        assert_eq!(Kind::of(&look(6.8, 2.4, false)), Kind::Light);
    }
}

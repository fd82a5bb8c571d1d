//! The realistic person (issue 16): the MakeHuman body (see `asset`) shaped and sized per
//! person, posed by a published gait (`gait`), skinned (`skin`), dressed (`garment`), with a
//! helmet and cap lamp, lit per vertex (sun and sky by day, the camera's IR illuminator at
//! night, retro-reflective tape returning light to the camera) and projected into triangles for
//! the rasteriser.
//!
//! Everything about a person that is not in the scene (body shape, outfit, gait style) is drawn
//! from a seed hashed from its id and look, so the same scenario and seed give the same
//! person in every frame and every run, and the flat path's random draws are untouched.

mod asset;
mod gait;
mod garment;
mod motion;
mod skin;

use super::camera::{Camera, NEAR_M};
use super::light::Light;
use super::raster::{N_ATTR, STri, SVert};
use super::vector::V3;
use crate::scene::PersonLook;
use asset::{BodyAsset, bone, shape};
use garment::{Cut, Finish, Outfit, Surface, lin};
use skin::Affine;

/// Triangle part codes beyond the body's bones.
const PART_HELMET: u8 = 100;
const PART_LAMP: u8 = 101;
const PART_HANDLE: u8 = 102;
const PART_BLADE: u8 = 103;

/// Whether triangles of `part` belong to the closed body (the skin and clothes of the skinned
/// MakeHuman mesh), not to the open hard hat, the one-sided lamp or the tool.
pub(crate) fn is_closed_part(part: u8) -> bool {
    part < PART_HELMET
}

/// Head-top of the flat model's 1.75 m person is 1.80 m with its helmet; the body is sized so its
/// scalp is at `height_m × SCALP`, and the helmet adds the rest.
const SCALP: f32 = 1.72 / 1.75;

/// A person's lasting traits, from its seed.
#[derive(Debug, Clone, Copy)]
struct Traits {
    shape: [f32; shape::COUNT],
    outfit: Outfit,
    style: gait::Style,
}

use crate::render::hash::mix64 as mix32;

/// A stream of uniform numbers in 0..1 from a seed (splitmix-style; no global state).
struct Draws(u64);

impl Draws {
    fn next(&mut self) -> f32 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        (mix32(self.0) >> 40) as f32 / (1u64 << 24) as f32
    }
    fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.next()
    }
}

fn traits(id: u32, look: &PersonLook) -> Traits {
    let mut h = u64::from(id);
    for c in [look.helmet, look.vest, look.clothes] {
        h = mix32(h ^ u64::from(u32::from_le_bytes([c[0], c[1], c[2], 0])));
    }
    h = mix32(h ^ u64::from(look.height_m.to_bits()));
    let mut r = Draws(h);
    let mut shape = [0.0; shape::COUNT];
    shape[shape::FEMALE] = if r.next() < 0.08 {
        r.range(0.7, 1.0)
    } else {
        0.0
    };
    let build = r.range(-1.0, 1.0);
    shape[shape::HEAVY] = 0.7 * build.max(0.0);
    shape[shape::THIN] = 0.6 * (-build).max(0.0);
    shape[shape::MUSCULAR] = r.range(0.0, 0.6);
    shape[shape::EAST_ASIAN] = r.range(0.6, 1.0);
    let cut = match r.next() {
        x if x < 0.45 => Cut::Uniform,
        x if x < 0.85 => Cut::Vest,
        _ => Cut::Coverall,
    };
    let tone = r.range(0.0, 1.0);
    let mut outfit = Outfit {
        cut,
        clothes: lin(look.clothes),
        vest: lin(look.vest),
        skin: lin([
            (205.0 - 45.0 * tone) as u8,
            (160.0 - 45.0 * tone) as u8,
            (125.0 - 40.0 * tone) as u8,
        ]),
        boot_top: if r.next() < 0.7 { 0.38 } else { 0.13 },
        gloves: r.next() < 0.5,
        dirt: r.range(0.1, 0.8),
        seed: (h >> 32) as u32,
        nir_jacket: 0.0,
        nir_trousers: 0.0,
        nir_vest: 0.0,
    };
    let style = gait::Style {
        vigour: r.range(0.8, 1.15),
        lean: r.range(0.0, 0.12),
        head_down: r.range(0.0, 0.25),
        arm_out: r.range(0.08, 0.2),
        weight_side: r.range(-1.0, 1.0),
        shoulder_tool: look.carrying_tool,
    };
    // NIR reflectance of the fabrics (drawn last, so the draws above keep their values): most
    // dyed work wear is light in NIR, one garment in five is carbon-black dyed and dark.
    let mut fabric = |lo: f32, hi: f32| {
        if r.next() < 0.2 {
            r.range(0.10, 0.22)
        } else {
            r.range(lo, hi)
        }
    };
    outfit.nir_jacket = fabric(0.38, 0.70);
    outfit.nir_trousers = fabric(0.38, 0.70);
    outfit.nir_vest = r.range(0.55, 0.80);
    Traits {
        shape,
        outfit,
        style,
    }
}

/// Scratch buffers reused from frame to frame.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    pos: Vec<V3>,
    nrm: Vec<V3>,
    pos2: Vec<V3>,
    nrm2: Vec<V3>,
}

/// A person's shaped and dressed rest mesh, its normals and its folds and dust: they depend only
/// on who the person is (id and look), so they are kept from frame to frame while the same
/// person is built into the same mesh.
#[derive(Debug, Default)]
struct Dressed {
    key: Option<(u32, [[u8; 3]; 3], u32)>,
    rest: Vec<V3>,
    normals: Vec<V3>,
    folds: Vec<(f32, f32)>,
}

/// What the pixel shader needs of each person drawn this frame.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Shading {
    outfit: Outfit,
    helmet: [f32; 3],
    lamp_on: bool,
    ir: bool,
    tint: [f32; 3],
}

/// One person's triangles, appended to the frame's buffers.
#[derive(Debug, Default)]
pub(crate) struct Mesh {
    pub verts: Vec<SVert>,
    pub tris: Vec<STri>,
    /// World positions of the vertices (for the cast shadow).
    pub world: Vec<V3>,
    /// Screen displacement of each vertex over half the shutter time, pixels (empty: still).
    pub motion: Vec<(f32, f32)>,
    /// The cap lamp's glare when it is lit and turned toward the camera.
    pub glare: Option<Glare>,
    /// The triangles that cast the shadow when they are not simply `tris` (a truck's shadow is
    /// cast by its large parts and stand-ins for its wheels); empty: `tris`.
    pub shadow: Vec<STri>,
    dressed: Dressed,
}

/// A lit cap lamp seen from in front: where it is on screen, how big, how straight at the camera.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Glare {
    pub x: f32,
    pub y: f32,
    /// The lamp's radius on screen, pixels.
    pub radius_px: f32,
    /// 0 (turned away) ..= 1 (straight at the camera): the LED's beam is a cone.
    pub toward: f32,
}

impl Mesh {
    /// Appends a vertex at world point `w` with world normal `n`, lit and projected.
    fn push_vertex(&mut self, cam: &Camera, light: &Light, w: V3, n: V3, rest: V3) {
        self.world.push(w);
        self.verts.push(vertex(cam, light, w, n, rest));
    }

    /// Appends triangles (vertex indices) of one part.
    fn push_tris(&mut self, part: u8, tris: &[[u32; 3]]) {
        self.tris.extend(tris.iter().map(|&v| STri { v, part }));
    }

    /// Pixel bounds (x0, y0, x1, y1) of the vertices in front of the camera, unclipped.
    pub fn screen_bounds(&self) -> Option<(f32, f32, f32, f32)> {
        let mut b: Option<(f32, f32, f32, f32)> = None;
        for v in self.verts.iter().filter(|v| v.inv_z > 0.0) {
            b = Some(match b {
                None => (v.x, v.y, v.x, v.y),
                Some(a) => (a.0.min(v.x), a.1.min(v.y), a.2.max(v.x), a.3.max(v.y)),
            });
        }
        b
    }
}

/// Builds the person's mesh for this frame into `out` (cleared first) and returns how to shade
/// it. Vertices behind the camera's near plane make their triangles vanish (`inv_z` ≤ 0).
#[allow(clippy::too_many_arguments)]
pub(crate) fn build(
    out: &mut Mesh,
    scratch: &mut Scratch,
    cam: &Camera,
    light: &Light,
    id: u32,
    pos: V3,
    heading: f32,
    look: &PersonLook,
    shutter_s: f32,
) -> Shading {
    let a = asset::body();
    let t = traits(id, look);
    let scale = look.height_m.clamp(0.5, 2.5) * SCALP / a.height;
    let d = &mut out.dressed;
    let key = (
        id,
        [look.helmet, look.vest, look.clothes],
        look.height_m.to_bits(),
    );
    if d.key != Some(key) {
        shaped_rest(a, &t.shape, scale, &mut d.rest);
        d.normals = skin::vertex_normals(&d.rest, &a.tris);
        dress(a, &t.outfit, scale, &mut d.rest, &d.normals);
        d.folds.clear();
        d.folds
            .extend(a.rest.iter().map(|r| t.outfit.folds_and_dust(*r)));
        d.key = Some(key);
    }
    let joints: Vec<V3> = a.bones.iter().map(|b| b.joint * scale).collect();
    let pose = gait::pose(a, &joints, look.gait_phase, look.walking, &t.style);
    let bones = skin::bone_transforms(a, &joints, &pose);
    skin::skin(
        a,
        &bones,
        &out.dressed.rest,
        &out.dressed.normals,
        &mut scratch.pos,
        &mut scratch.nrm,
    );
    let lift = -scratch.pos.iter().map(|p| p.z).fold(f32::MAX, f32::min);
    let (c, s) = (heading.cos(), heading.sin());
    let to_world = |p: V3| V3::new(p.x * c - p.y * s, p.x * s + p.y * c, p.z + lift) + pos;
    let turn = |n: V3| V3::new(n.x * c - n.y * s, n.x * s + n.y * c, n.z);
    out.verts.clear();
    out.tris.clear();
    out.world.clear();
    out.shadow.clear();
    for (i, (p, n)) in scratch.pos.iter().zip(&scratch.nrm).enumerate() {
        let w = to_world(*p);
        out.world.push(w);
        let mut v = vertex(cam, light, w, turn(*n), a.rest[i]);
        (v.a[6], v.a[7]) = out.dressed.folds[i];
        out.verts.push(v);
    }
    for (tri, &part) in a.tris.iter().zip(&a.part) {
        out.tris.push(STri {
            v: tri.map(u32::from),
            part,
        });
    }
    let body_verts = out.verts.len();
    let lamp = helmet(out, cam, light, &bones[bone::HEAD], scale, &to_world, &turn);
    out.glare = look.lamp_on.then_some(lamp).flatten();
    let tool_start = out.verts.len();
    if look.carrying_tool {
        let grip = bones[bone::HAND_R].apply(joints[bone::HAND_R]);
        tool(out, cam, light, grip, scale, &to_world, &turn);
    }
    let placed = motion::Placed {
        joints: &joints,
        style: &t.style,
        pos,
        heading,
        body_verts,
        tool_start,
    };
    motion::fill(out, scratch, cam, a, look, &placed, shutter_s);
    Shading {
        outfit: t.outfit,
        helmet: lin(look.helmet),
        lamp_on: look.lamp_on,
        ir: light.is_ir(),
        tint: if light.is_ir() {
            [1.0; 3]
        } else {
            light.tint()
        },
    }
}

fn shaped_rest(a: &BodyAsset, w: &[f32; shape::COUNT], scale: f32, out: &mut Vec<V3>) {
    out.clear();
    for (i, r) in a.rest.iter().enumerate() {
        let mut p = *r;
        for (k, d) in a.shapes.iter().enumerate() {
            if w[k] != 0.0 {
                p = p + d[i] * w[k];
            }
        }
        out.push(p * scale);
    }
}

/// Clothes have volume: each vertex moves out along its normal by the thickness of what covers
/// it (a work jacket over a shirt ~3 cm at the torso, sleeves and trousers ~2 cm, boots ~1.5 cm,
/// nothing on the face and hands; a coverall a little less). Skinning then carries the cloth with
/// the body.
fn dress(a: &BodyAsset, outfit: &Outfit, scale: f32, rest: &mut [V3], normals: &[V3]) {
    let coverall = outfit.cut == Cut::Coverall;
    for ((p, n), (b, _)) in rest.iter_mut().zip(normals).zip(&a.skin) {
        let thick = match b[0] as usize {
            bone::HEAD | bone::HAND_L | bone::HAND_R => 0.0,
            bone::NECK => 0.008,
            bone::FOOT_L | bone::FOOT_R => 0.015,
            bone::PELVIS | bone::SPINE | bone::CHEST => {
                if coverall {
                    0.022
                } else {
                    0.03
                }
            }
            _ => {
                if coverall {
                    0.016
                } else {
                    0.02
                }
            }
        };
        *p = *p + *n * (thick * scale);
    }
}

/// A projected vertex with its lighting: attributes are the rest-frame point (for the garment),
/// the diffuse light, the retro-reflected light and the haze veil.
fn vertex(cam: &Camera, light: &Light, w: V3, n: V3, rest: V3) -> SVert {
    let c = cam.cam_space(w);
    let depth = c.z;
    let to_cam = (cam.centre - w).norm();
    let facing_cam = n.dot(to_cam).max(0.0);
    let (diffuse, retro) = if light.is_ir() {
        let fill = Light::ir_fill(depth);
        (
            fill * (0.15 + 0.85 * facing_cam),
            (2.6 * fill * facing_cam.sqrt()).min(1.6),
        )
    } else {
        let sun = V3::from_array(super::light::SUN).norm();
        let level = light.light_level();
        let sky = 0.45 + 0.2 * n.z;
        let direct = 0.75 * n.dot(sun).max(0.0);
        (level * (sky + direct) * 0.9, level * 0.35 * facing_cam)
    };
    let (x, y) = if depth >= NEAR_M {
        cam.cam_to_px(c)
    } else {
        (0.0, 0.0)
    };
    let k = super::lens::falloff(cam, x, y, light.is_ir());
    SVert {
        x,
        y,
        inv_z: if depth >= NEAR_M { 1.0 / depth } else { -1.0 },
        a: [
            rest.x,
            rest.y,
            rest.z,
            diffuse * k,
            retro * k,
            light.haze_at(depth),
            // Folds and dust: body vertices fill them in; 1 and 0 leave a surface as it is.
            1.0,
            0.0,
        ],
    }
}

/// The hard hat (a dome with a brim) and its cap lamp, carried by the head bone.
fn helmet(
    out: &mut Mesh,
    cam: &Camera,
    light: &Light,
    head: &Affine,
    scale: f32,
    to_world: &dyn Fn(V3) -> V3,
    turn: &dyn Fn(V3) -> V3,
) -> Option<Glare> {
    let a = asset::body();
    // The skull's top and centre on the rest mesh.
    let (mut top, mut cx, mut n) = (0.0f32, 0.0f32, 0.0f32);
    for p in &a.rest {
        top = top.max(p.z);
        if p.z > a.height - 0.12 {
            cx += p.x;
            n += 1.0;
        }
    }
    // A miner's hard hat: shell about 25 × 21 cm and 15 cm tall, its rim at the brow, a peak
    // some 4 cm beyond the shell at the front and a narrow brim elsewhere (so a camera above
    // still sees the face below the peak).
    let centre = V3::new(cx / n.max(1.0), 0.0, top - 0.065) * scale;
    let (rx, ry, rz) = (0.125 * scale, 0.106 * scale, 0.11 * scale);
    const SEG: usize = 14;
    const RINGS: usize = 4;
    let base = out.verts.len() as u32;
    let mut add = |p: V3, nrm: V3, rest: V3| {
        let w = to_world(head.apply(p));
        out.push_vertex(cam, light, w, turn(head.rotate(nrm)).norm(), rest);
    };
    // Dome rings from the rim (k = 0) to the pole, and the brim's outer ring.
    for k in 0..=RINGS {
        let el = (k as f32 / RINGS as f32) * std::f32::consts::FRAC_PI_2 * 0.98;
        for i in 0..SEG {
            let az = i as f32 / SEG as f32 * std::f32::consts::TAU;
            let d = V3::new(az.cos() * el.cos(), az.sin() * el.cos(), el.sin());
            let p = centre + V3::new(d.x * rx, d.y * ry, d.z * rz);
            add(p, d, V3::new(d.x, d.y, 10.0 + d.z));
        }
    }
    for i in 0..SEG {
        let az = i as f32 / SEG as f32 * std::f32::consts::TAU;
        let peak = if az.cos() > 0.3 { 1.3 } else { 1.12 };
        let p = centre + V3::new(az.cos() * rx * peak, az.sin() * ry * 1.12, -0.012 * scale);
        add(p, V3::new(0.0, 0.0, 1.0), V3::new(0.0, 0.0, 10.0));
    }
    let ring = |k: usize, i: usize| base + (k * SEG + i % SEG) as u32;
    for k in 0..RINGS {
        for i in 0..SEG {
            let (a0, a1) = (ring(k, i), ring(k, i + 1));
            let (b0, b1) = (ring(k + 1, i), ring(k + 1, i + 1));
            out.push_tris(PART_HELMET, &[[a0, a1, b1], [a0, b1, b0]]);
        }
    }
    for i in 0..SEG {
        let (r0, r1) = (ring(0, i), ring(0, i + 1));
        let (o0, o1) = (ring(RINGS + 1, i), ring(RINGS + 1, i + 1));
        // The brim, seen from above and from below.
        let brim = [[o0, o1, r1], [o0, r1, r0], [o0, r1, o1], [o0, r0, r1]];
        out.push_tris(PART_HELMET, &brim);
    }
    // The cap lamp: a small square facing forward on the front of the dome.
    let lamp_c = centre + V3::new(rx * 0.97, 0.0, rz * 0.35);
    let (h, lb) = (0.024 * scale, out.verts.len() as u32);
    let facing = turn(head.rotate(V3::new(1.0, 0.0, 0.0)));
    for (dy, dz) in [(-h, -h), (h, -h), (h, h), (-h, h)] {
        let w = to_world(head.apply(lamp_c + V3::new(0.012 * scale, dy, dz)));
        out.push_vertex(cam, light, w, facing, V3::default());
    }
    out.push_tris(PART_LAMP, &[[lb, lb + 1, lb + 2], [lb, lb + 2, lb + 3]]);
    let q = &out.verts[lb as usize..];
    if q.iter().any(|v| v.inv_z <= 0.0) {
        return None;
    }
    let lamp_w = to_world(head.apply(lamp_c));
    let toward = facing.dot((cam.centre - lamp_w).norm()).max(0.0);
    Some(Glare {
        x: q.iter().map(|v| v.x).sum::<f32>() / 4.0,
        y: q.iter().map(|v| v.y).sum::<f32>() / 4.0,
        radius_px: 0.5 * ((q[2].x - q[0].x).powi(2) + (q[2].y - q[0].y).powi(2)).sqrt(),
        toward,
    })
}

/// A shovel carried at the side in the right hand: a wooden handle from just behind the grip to
/// 0.8 m in front of it, sloping down, and a steel blade at its end (both faces drawn).
fn tool(
    out: &mut Mesh,
    cam: &Camera,
    light: &Light,
    grip: V3,
    scale: f32,
    to_world: &dyn Fn(V3) -> V3,
    turn: &dyn Fn(V3) -> V3,
) {
    let dir = V3::new(0.94, -0.05, -0.34).norm();
    let side = V3::new(0.0, 1.0, 0.0).cross(dir).norm();
    let up = dir.cross(side).norm();
    let (a, b) = (grip - dir * (0.15 * scale), grip + dir * (0.8 * scale));
    let r = 0.018 * scale;
    let base = out.verts.len() as u32;
    const SIDES: u32 = 6;
    for end in [a, b] {
        for k in 0..SIDES {
            let t = k as f32 / SIDES as f32 * std::f32::consts::TAU;
            let n = side * t.cos() + up * t.sin();
            out.push_vertex(cam, light, to_world(end + n * r), turn(n), V3::default());
        }
    }
    for k in 0..SIDES {
        let (i0, i1) = (base + k, base + (k + 1) % SIDES);
        let (j0, j1) = (i0 + SIDES, i1 + SIDES);
        out.push_tris(PART_HANDLE, &[[i0, j0, j1], [i0, j1, i1]]);
    }
    // The blade: a flat plate below the handle's end, facing sideways and up.
    let (hw, hl) = (0.11 * scale, 0.28 * scale);
    let c = b + dir * (0.5 * hl);
    let corners = [
        c - side * hw - dir * (0.5 * hl),
        c + side * hw - dir * (0.5 * hl),
        c + side * hw + dir * (0.5 * hl),
        c - side * hw + dir * (0.5 * hl),
    ];
    let bb = out.verts.len() as u32;
    for p in corners {
        out.push_vertex(cam, light, to_world(p), turn(up), V3::default());
    }
    let faces = [[0, 1, 2], [0, 2, 3], [0, 2, 1], [0, 3, 2]];
    out.push_tris(PART_BLADE, &faces.map(|f: [u32; 3]| f.map(|i| bb + i)));
}

/// The colour of a pixel of a person (sRGB bytes).
pub(crate) fn shade(s: &Shading, part: u8, at: &[f32; N_ATTR]) -> [u8; 3] {
    let rest = V3::new(at[0], at[1], at[2]);
    let (diffuse, retro, haze) = (at[3].max(0.0), at[4].max(0.0), at[5]);
    let surface = match part {
        // Wood is bright in NIR, bare steel middling; a hard hat's plastic is bright whatever
        // its colour unless it is black.
        PART_HANDLE => Surface::new([0.30, 0.17, 0.07], 0.55, Finish::Cloth),
        PART_BLADE => Surface::new([0.22, 0.23, 0.24], 0.30, Finish::Gloss),
        PART_HELMET => {
            let lum = 0.30 * s.helmet[0] + 0.59 * s.helmet[1] + 0.11 * s.helmet[2];
            Surface::new(s.helmet, if lum < 0.05 { 0.06 } else { 0.7 }, Finish::Gloss)
        }
        PART_LAMP => {
            let v = if s.lamp_on { 1.0 } else { 0.05 };
            return [v, v, v * 0.92].map(|x| (x * 255.0) as u8);
        }
        _ => s.outfit.surface(part, rest, &JOINTS_UNSCALED, at[6], at[7]),
    };
    let mut c = if s.ir {
        let g = surface.nir * diffuse;
        let g = if surface.finish == Finish::Retro {
            g.max(retro)
        } else {
            g
        };
        [g; 3]
    } else {
        let extra = match surface.finish {
            Finish::Retro => retro,
            Finish::Gloss => 0.15 * retro,
            _ => 0.0,
        };
        [0, 1, 2].map(|i| (surface.rgb[i] * diffuse + extra * 0.3) * s.tint[i])
    };
    // Back to the display's (square-root) encoding, then haze.
    for x in &mut c {
        *x = x.max(0.0).sqrt();
    }
    let hz = if s.ir { 0.35 } else { 0.7 };
    c.map(|x| ((x + (hz - x) * haze).clamp(0.0, 1.0) * 255.0 + 0.5) as u8)
}

/// Rest-frame joints of the unshaped body (garment edges are measured on it).
static JOINTS_UNSCALED: std::sync::LazyLock<Vec<V3>> =
    std::sync::LazyLock::new(|| asset::body().bones.iter().map(|b| b.joint).collect());

//! The software renderer: a [`RenderScene`] → RGB pixels, an id mask and per-object truth.
//!
//! Key design decision: **one geometry, two rasterisations.** Every object is built as 3-D
//! primitives (boxes, limbs as round-capped strokes, spheres, projected hulls), projected by a
//! pinhole [`Camera`] and drawn back to front with tiny-skia: anti-aliased into the colour image,
//! and *without* anti-aliasing into an id mask whose colour encodes the object id. Boxes and
//! visible fractions are measured on that mask, so the truth is pixel-exact with what is drawn.
//!
//! Painter's order: the static background (sky, ground, painted edge, site structures — cached
//! per camera pose, site and quantised lighting), then moving equipment (belt surface, skip),
//! then actors sorted far to near by the depth of their centre (ties by id); each actor's parts
//! are ordered by the actor's own builder. Consequences, by design: structures never occlude
//! actors, and equipment never occludes actors.
//!
//! Light is per primitive (see `light`), except the per-frame lamp flicker and exposure gain,
//! which are one global gain applied with the noise in the final pass. Tamper effects: cover (a
//! dark band from the top edge with a soft lower edge), smear (blur + grey veil), defocus (blur),
//! exposure (gain), freeze (the last unfrozen frame's pixels repeat — the renderer re-renders
//! that frame's scene, so they are byte-identical; the first frame of a renderer is never
//! frozen); angle moved is already
//! in the pose. Tampering never changes the truth: ids and objects always describe the live
//! scene (under cover or freeze they describe what the camera would see untampered).
//!
//! Determinism: no global state, no wall clock, no threads; every loop runs in a fixed order.
//! The same scene gives the same bytes whether or not the background cache was warm.

mod blur;
mod body;
mod border;
mod camera;
mod emit;
mod geom;
mod glare;
mod hash;
mod lens;
mod light;
mod num;
mod person;
mod post;
mod raster;
mod site;
mod texture;
mod truck;
mod vector;
mod vehicle;

pub use camera::{Camera, NEAR_M};
pub use site::{
    BELT_LENGTH_M, BELT_TOP_M, BELT_WIDTH_M, HEADFRAME_M, PORTAL_OPENING_M, PORTAL_SETBACK_M,
    ROAD_WIDTH_M, SiteLayout,
};

use serde::{Deserialize, Serialize};
use tiny_skia::{
    Color, FillRule, GradientStop, LinearGradient, Paint, Pixmap, Point, RadialGradient, Rect,
    SpreadMode, Stroke, Transform,
};

use crate::frame::Frame;
use crate::scene::{
    Actor, ActorKind, CameraPose, ColourMode, RenderScene, RenderStyle, SiteKind, Tamper, Vec2,
};
use emit::Emitter;
use geom::{Mat, Op, Shape};
use light::Light;
use vector::V3;

/// Largest image side accepted (pixels).
pub const MAX_SIDE: u32 = 8192;

/// Why a scene cannot be rendered.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RenderError {
    #[error("image size {width}×{height} is outside 1..={MAX_SIDE} per side")]
    BadSize { width: u32, height: u32 },
}

/// What kind of object a truth record is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    Person,
    Truck,
}

/// Which side of an object faces the camera: its front (a person's face), its back, or a side.
/// Decided from the object's heading against the horizontal direction to the camera: within
/// 60° of facing the camera is `front`, within 60° of facing away is `back`, else `side`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Facing {
    Front,
    Back,
    Side,
}

/// An axis-aligned pixel box, half-open: columns `x0..x1`, rows `y0..y1` (so a one-pixel box at
/// `(3, 4)` is `{x0: 3, y0: 4, x1: 4, y1: 5}`); always inside the image, never empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoxPx {
    pub x0: u32,
    pub y0: u32,
    pub x1: u32,
    pub y1: u32,
}

impl BoxPx {
    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.x1 - self.x0
    }
    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.y1 - self.y0
    }
    /// Whether `other` lies inside this box.
    pub fn contains(&self, other: &BoxPx) -> bool {
        self.x0 <= other.x0 && self.y0 <= other.y0 && self.x1 >= other.x1 && self.y1 >= other.y1
    }
}

/// Ground truth of one object in one frame (a JSON Lines record field).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectTruth {
    /// The actor's id (full `u32`; the id mask holds [`IdMask::value_of`] of it).
    pub id: u32,
    /// Person or truck.
    pub class: Class,
    /// Bounds of the object's pixels were it alone in the scene (nothing in front of it),
    /// clipped to the image; `None` when no pixel of it falls in the image.
    pub full_box: Option<BoxPx>,
    /// Bounds of the object's pixels in the id mask (what is actually seen); `None` when fully
    /// occluded or outside.
    pub visible_box: Option<BoxPx>,
    /// How much of the whole object is seen: `visible_px / whole_px`, so both what nearer
    /// objects hide and what lies beyond the image border count as unseen (a person cut in half
    /// by the image edge reads about 0.5). 1 only for an object wholly inside the image with
    /// nothing in front of it; 0 when it has no pixel in the image.
    pub visible_fraction: f32,
    /// Visible pixel count in the id mask.
    pub visible_px: u32,
    /// Pixel count were it alone (nothing in front of it), inside the image.
    pub unoccluded_px: u32,
    /// Pixel count were it alone and the image unbounded: `unoccluded_px` plus its pixels beyond
    /// the image border. Those are counted by drawing the object's mask shapes alone into a
    /// scratch canvas shifted to cover its whole projected bounds; an object whose bounds
    /// exceed the image size is drawn there at 1/2, 1/4, … scale and each pixel beyond the
    /// border counts for 4, 16, … (an estimate, for objects very close to the camera). Equals
    /// `unoccluded_px` for an object wholly inside the image.
    pub whole_px: u32,
    /// People: projected bounds of the head-and-shoulders region (from 1.30 m to 1.80 m on a
    /// 1.75 m person, shoulder-wide), clipped to the image; geometric, ignores occlusion.
    pub head_shoulder_box: Option<BoxPx>,
    /// Which side faces the camera.
    pub facing: Facing,
    /// Depth of the object's ground point along the optical axis (metres).
    pub depth_m: f32,
}

/// Per-pixel object ids: row-major `u16`, 0 = background (ground, structures, equipment), else
/// [`IdMask::value_of`] of the actor id drawn there (the nearest one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdMask {
    pub width: u32,
    pub height: u32,
    pub ids: Vec<u16>,
}

impl IdMask {
    /// Mask value of an actor id: ids 1..=65535 are themselves; larger ids wrap into 1..=65535
    /// (`(id - 1) % 65535 + 1`), never 0. Two actors in one frame whose ids are congruent would
    /// share a value; truth records keep the full id.
    pub fn value_of(id: u32) -> u16 {
        (id.wrapping_sub(1) % 65535 + 1) as u16
    }

    /// Value at pixel `(x, y)`.
    pub fn get(&self, x: u32, y: u32) -> u16 {
        self.ids[(y * self.width + x) as usize]
    }
}

/// One rendered frame: pixels, id mask and per-object truth (in the scene's actor order).
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub frame: Frame,
    pub ids: IdMask,
    pub objects: Vec<ObjectTruth>,
    /// The pixels are a repeat of an earlier frame (freeze tamper).
    pub frozen: bool,
}

impl Rendered {
    /// An empty result to render into.
    pub fn empty() -> Rendered {
        Rendered {
            frame: Frame {
                width: 0,
                height: 0,
                rgb: Vec::new(),
                index: 0,
                pts_ns: 0,
            },
            ids: IdMask {
                width: 0,
                height: 0,
                ids: Vec::new(),
            },
            objects: Vec::new(),
            frozen: false,
        }
    }
}

/// Renders one scene with a fresh [`Renderer`] (no frame to repeat under freeze).
pub fn render(scene: &RenderScene) -> Result<Rendered, RenderError> {
    let mut out = Rendered::empty();
    Renderer::new().render_into(scene, &mut out)?;
    Ok(out)
}

#[derive(Debug, Clone, PartialEq)]
struct BgKey {
    pose: CameraPose,
    site: SiteKind,
    edge: Option<(Vec2, Vec2)>,
    light: Light,
    style: RenderStyle,
}

#[derive(Debug, Clone, Copy)]
struct ActorDraw {
    index: usize,
    ops: (usize, usize),
    rect: Option<(u32, u32, u32, u32)>,
    depth: f32,
    /// Index into the renderer's meshes (realistic people).
    mesh: Option<usize>,
    /// Bounds and count of the mesh's pixels drawn alone, known from its rasterisation when
    /// the actor has no mask ops besides it (then no alone draw is needed to measure it).
    alone: Option<(Option<BoxPx>, u32)>,
}

/// A realistic person's or truck's triangles this frame and how to shade them.
#[derive(Debug, Default)]
struct MeshSlot {
    mesh: body::Mesh,
    shading: Option<Shading>,
}

/// How a mesh's pixels are shaded.
#[derive(Debug, Clone, Copy)]
enum Shading {
    Body(body::Shading),
    Vehicle(vehicle::Shading),
}

impl Shading {
    fn shade(&self, part: u8, at: &[f32; raster::N_ATTR]) -> [u8; 3] {
        match self {
            Shading::Body(s) => body::shade(s, part, at),
            Shading::Vehicle(s) => vehicle::shade(s, part, at),
        }
    }
}

/// A reusable renderer: caches the static background per camera and lighting, keeps scratch
/// buffers, and remembers the last frame for the freeze tamper. Use one per camera.
#[derive(Debug)]
pub struct Renderer {
    size: (u32, u32),
    bg_key: Option<BgKey>,
    bg: Vec<u8>,
    canvas: Option<Pixmap>,
    mask: Option<Pixmap>,
    alone: Option<Pixmap>,
    ops: Vec<Op>,
    draws: Vec<ActorDraw>,
    normal: Vec<f32>,
    noise: Vec<i16>,
    noise_grey3: Vec<i16>,
    noise_sigma: f32,
    blur_tmp: Vec<u8>,
    /// The last scene rendered with pixels (not frozen): a freeze re-renders it, which gives
    /// the same bytes (deterministic) without copying every frame.
    last_scene: Option<RenderScene>,
    /// Canvas regions that differ from the cached background (restored before drawing).
    dirty: Vec<(u32, u32, u32, u32)>,
    dirty_all: bool,
    /// Realistic people: one slot per actor index, reused.
    meshes: Vec<MeshSlot>,
    scratch: body::Scratch,
    /// Depth buffer (1/z) for meshes drawn into a pixmap (the border measure).
    zbuf: Vec<f32>,
    /// The mesh being drawn, rasterised once for the canvas, the mask and its alone measure.
    cover: raster::Coverage,
    /// Motion blur's scratch buffers.
    blur: blur::Blur,
    /// A mesh's vertices moved onto the border measure's scratch canvas.
    shifted: Vec<raster::SVert>,
    /// Cast-shadow scratch.
    shadow: ShadowScratch,
    /// The realistic site's texture per pixel (issue 16), kept per camera pose.
    texture: texture::Cache,
}

impl Default for Renderer {
    fn default() -> Self {
        Self::new()
    }
}

impl Renderer {
    /// A renderer with empty caches.
    pub fn new() -> Renderer {
        Renderer {
            size: (0, 0),
            bg_key: None,
            bg: Vec::new(),
            canvas: None,
            mask: None,
            alone: None,
            ops: Vec::with_capacity(1024),
            draws: Vec::with_capacity(32),
            normal: post::normal_table(),
            noise: Vec::new(),
            noise_grey3: Vec::new(),
            noise_sigma: f32::NAN,
            blur_tmp: Vec::new(),
            last_scene: None,
            dirty: Vec::with_capacity(32),
            dirty_all: true,
            meshes: Vec::new(),
            scratch: body::Scratch::default(),
            zbuf: Vec::new(),
            cover: raster::Coverage::default(),
            blur: blur::Blur::default(),
            shifted: Vec::new(),
            shadow: ShadowScratch::default(),
            texture: texture::Cache::default(),
        }
    }

    /// Renders `scene` into `out`, reusing its buffers.
    pub fn render_into(
        &mut self,
        scene: &RenderScene,
        out: &mut Rendered,
    ) -> Result<(), RenderError> {
        let same_size = |a: &RenderScene| {
            (a.camera.width, a.camera.height) == (scene.camera.width, scene.camera.height)
        };
        let last = self.last_scene.take().filter(|l| same_size(l));
        match (scene.tamper, last) {
            (Some(Tamper::Freeze), Some(last)) => {
                self.render_inner(&last, out, true)?;
                let rgb = std::mem::take(&mut out.frame.rgb);
                self.render_inner(scene, out, false)?;
                out.frame.rgb = rgb;
                out.frozen = true;
                self.last_scene = Some(last);
            }
            _ => {
                self.render_inner(scene, out, true)?;
                out.frozen = false;
                let mut keep = scene.clone();
                keep.tamper = keep.tamper.filter(|t| !matches!(t, Tamper::Freeze));
                self.last_scene = Some(keep);
            }
        }
        Ok(())
    }

    /// One frame: the scene's pixels (unless `pixels` is false: a freeze keeps the last ones),
    /// its id mask and its truth.
    fn render_inner(
        &mut self,
        scene: &RenderScene,
        out: &mut Rendered,
        pixels: bool,
    ) -> Result<(), RenderError> {
        let (w, h) = (scene.camera.width, scene.camera.height);
        self.ensure_size(w, h)?;
        let cam = Camera::new(&scene.camera);
        let light = Light::new(&scene.lighting, scene.atmosphere.haze);
        self.ensure_background(scene, &cam, &light);
        let realistic = scene.style == RenderStyle::Realistic;
        if pixels {
            self.restore_background();
            self.draw_equipment(scene, &cam, &light);
        }
        self.build_draws(scene, &cam, &light);
        let order = self.paint_order(scene);
        if pixels && realistic && !light.is_ir() {
            self.cast_shadows(&cam, &light);
        }
        out.ids.width = w;
        out.ids.height = h;
        out.ids.ids.clear();
        out.ids.ids.resize((w * h) as usize, 0);
        self.draw_actors(scene, &order, &light, pixels, &mut out.ids.ids);
        self.measure_truth(scene, &order, &cam, &light, out);
        if pixels && realistic {
            self.soften_dirty();
        }
        self.finish_frame(scene, &light, pixels, out);
        Ok(())
    }

    /// Checks the image size and (re)allocates the canvases for it.
    #[inline(never)]
    fn ensure_size(&mut self, w: u32, h: u32) -> Result<(), RenderError> {
        let bad = RenderError::BadSize {
            width: w,
            height: h,
        };
        if w == 0 || h == 0 || w > MAX_SIDE || h > MAX_SIDE {
            return Err(bad);
        }
        if self.size != (w, h) {
            self.size = (w, h);
            self.canvas = Pixmap::new(w, h);
            self.mask = Pixmap::new(w, h);
            self.alone = Pixmap::new(w, h);
            self.zbuf = vec![0.0; (w * h) as usize];
            self.bg_key = None;
            self.last_scene = None;
        }
        if self.canvas.is_none() || self.mask.is_none() || self.alone.is_none() {
            return Err(bad);
        }
        Ok(())
    }

    /// Restores what the last frame drew over the cached background.
    #[inline(never)]
    fn restore_background(&mut self) {
        let Some(canvas) = self.canvas.as_mut() else {
            return;
        };
        if self.dirty_all {
            canvas.data_mut().copy_from_slice(&self.bg);
        } else {
            let stride = self.size.0 as usize * 4;
            let data = canvas.data_mut();
            for r in &self.dirty {
                for y in r.1 as usize..r.3 as usize {
                    let a = y * stride + r.0 as usize * 4;
                    let b = y * stride + r.2 as usize * 4;
                    data[a..b].copy_from_slice(&self.bg[a..b]);
                }
            }
        }
        self.dirty.clear();
        self.dirty_all = false;
    }

    /// Draws the moving equipment (belt surface, skip) into the canvas.
    #[inline(never)]
    fn draw_equipment(&mut self, scene: &RenderScene, cam: &Camera, light: &Light) {
        self.ops.clear();
        {
            let mut e = Emitter::new(cam, light, &mut self.ops);
            site::equipment(&mut e, scene);
        }
        if let Some(canvas) = self.canvas.as_mut() {
            draw_ops(canvas, None, &self.ops, light);
            self.dirty
                .extend(all_ops_rect(&self.ops, self.size.0, self.size.1));
        }
    }

    /// Builds every actor's geometry (ops, or a mesh for a realistic person) with its pixel rect
    /// and paint depth into `self.draws`, in the scene's actor order.
    #[inline(never)]
    fn build_draws(&mut self, scene: &RenderScene, cam: &Camera, light: &Light) {
        let (w, h) = self.size;
        self.ops.clear();
        self.draws.clear();
        for (index, actor) in scene.actors.iter().enumerate() {
            let pos = V3::from(actor.position);
            let start = self.ops.len();
            let in_view = corners_rect(cam, &view_corners(actor), w, h).is_some();
            let mut mesh = None;
            if in_view {
                match &actor.kind {
                    ActorKind::Person(look) if scene.style == RenderStyle::Realistic => {
                        if self.meshes.len() <= index {
                            self.meshes.resize_with(index + 1, MeshSlot::default);
                        }
                        let slot = &mut self.meshes[index];
                        let (id, heading) = (actor.id, actor.heading);
                        let sh = body::build(
                            &mut slot.mesh,
                            &mut self.scratch,
                            cam,
                            light,
                            id,
                            pos,
                            heading,
                            look,
                            scene.exposure.shutter_s,
                        );
                        slot.shading = Some(Shading::Body(sh));
                        mesh = Some(index);
                    }
                    ActorKind::Truck(look) if scene.style == RenderStyle::Realistic => {
                        if self.meshes.len() <= index {
                            self.meshes.resize_with(index + 1, MeshSlot::default);
                        }
                        let slot = &mut self.meshes[index];
                        let mut e = Emitter::new(cam, light, &mut self.ops);
                        let (id, heading) = (actor.id, actor.heading);
                        let sh = vehicle::build(&mut slot.mesh, &mut e, id, pos, heading, look);
                        // A slot a person used keeps no motion or lamp glare for a truck.
                        slot.mesh.motion.clear();
                        slot.mesh.glare = None;
                        slot.shading = Some(Shading::Vehicle(sh));
                        mesh = Some(index);
                    }
                    ActorKind::Person(look) => {
                        let mut e = Emitter::new(cam, light, &mut self.ops);
                        person::emit(&mut e, pos, actor.heading, look);
                    }
                    ActorKind::Truck(look) => {
                        let mut e = Emitter::new(cam, light, &mut self.ops);
                        truck::emit(&mut e, pos, actor.heading, look);
                    }
                }
            }
            let end = self.ops.len();
            let rect = union_rect(
                ops_rect(&self.ops[start..end], w, h),
                mesh.and_then(|m| mesh_rect(&self.meshes[m].mesh, w, h)),
            );
            let centre_z = match &actor.kind {
                ActorKind::Person(look) => 0.9 * look.height_m / 1.75,
                ActorKind::Truck(_) => 1.2,
            };
            let depth = cam.depth(pos + V3::new(0.0, 0.0, centre_z));
            self.draws.push(ActorDraw {
                index,
                ops: (start, end),
                rect,
                depth,
                mesh,
                alone: None,
            });
        }
    }

    /// Indices into `self.draws`, far to near (ties by actor id).
    #[inline(never)]
    fn paint_order(&self, scene: &RenderScene) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.draws.len()).collect();
        order.sort_by(|&a, &b| {
            let (da, db) = (&self.draws[a], &self.draws[b]);
            db.depth
                .total_cmp(&da.depth)
                .then(scene.actors[da.index].id.cmp(&scene.actors[db.index].id))
        });
        order
    }

    /// The realistic people's cast shadows on the ground (by day), each pixel darkened once per
    /// person.
    #[inline(never)]
    fn cast_shadows(&mut self, cam: &Camera, light: &Light) {
        let Some(canvas) = self.canvas.as_mut() else {
            return;
        };
        for d in &self.draws {
            if let Some(m) = d.mesh {
                let r = cast_shadow(canvas, &mut self.shadow, cam, light, &self.meshes[m].mesh);
                self.dirty.extend(r);
            }
        }
    }

    /// Draws the actors far to near: lit into the canvas (when `pixels`), as ids into the mask.
    /// A mesh is rasterised once; its pixels are shaded into the canvas and inked into the mask
    /// and into the frame's `ids` (the other actors' ids are copied from the mask when measured).
    #[inline(never)]
    fn draw_actors(
        &mut self,
        scene: &RenderScene,
        order: &[usize],
        light: &Light,
        pixels: bool,
        ids: &mut [u16],
    ) {
        let (Some(canvas), Some(mask)) = (self.canvas.as_mut(), self.mask.as_mut()) else {
            return;
        };
        let (w, h) = self.size;
        for &k in order {
            let d = self.draws[k];
            let Some(rect) = d.rect else {
                continue;
            };
            let ops = &self.ops[d.ops.0..d.ops.1];
            let id = IdMask::value_of(scene.actors[d.index].id);
            let slot = d.mesh.map(|m| &self.meshes[m]);
            if let Some(slot) = slot {
                self.cover
                    .rasterise(&slot.mesh.verts, &slot.mesh.tris, rect);
            }
            if pixels {
                // A mesh first, then ops (a realistic truck's lamp glows bloom over it).
                if let Some(slot) = slot
                    && let Some(sh) = slot.shading
                {
                    let mesh = &slot.mesh;
                    let shade = |part: u8, at: &[f32; raster::N_ATTR]| sh.shade(part, at);
                    let reach = blur::reach(&slot.mesh);
                    let sweep =
                        (reach >= blur::MIN_PX).then(|| blur::sweep_rect(rect, reach, w, h));
                    // Below a pixel each way the smear gives the sharp person back.
                    let smear = sweep.filter(|_| reach >= blur::SMEAR_PX);
                    if let Some(r) = smear {
                        self.blur.begin(canvas.data(), w, r);
                    }
                    // Each pixel shaded is spread along its path right away (when smeared).
                    let blur = &mut self.blur;
                    let data = canvas.data_mut();
                    self.cover
                        .shade(data, w, (&mesh.verts, &mesh.tris), shade, |xy, t, wt, c| {
                            if smear.is_some() {
                                blur.add(xy, mesh, t, wt, c);
                            }
                        });
                    self.dirty.push(rect);
                    if smear.is_some() {
                        self.blur.finish(canvas.data_mut(), w);
                    }
                    // The swept rect is softened once more (see `soften_dirty`).
                    self.dirty.extend(sweep);
                    if let Some(g) = &slot.mesh.glare {
                        let dark = if light.is_ir() {
                            1.0
                        } else {
                            1.0 - light.ambient
                        };
                        let data = canvas.data_mut();
                        self.dirty
                            .extend(glare::bloom(data, (w, h), g, dark, light.is_ir()));
                    }
                }
                draw_ops(canvas, None, ops, light);
                self.dirty.extend(all_ops_rect(ops, w, h));
            }
            draw_ops(mask, Some(id), ops, light);
            if slot.is_some() {
                let (b, n) = self.cover.ink_ids(mask.data_mut(), ids, w, id);
                if !ops.iter().any(Op::in_mask) {
                    self.draws[k].alone = Some((b.map(rect_box), n));
                }
            }
        }
    }

    /// Truth: each object measured on the shared mask (and alone where a nearer one may hide
    /// part of it), the id mask copied out (where not inked already), then the shared mask
    /// cleared for the next frame.
    #[inline(never)]
    fn measure_truth(
        &mut self,
        scene: &RenderScene,
        order: &[usize],
        cam: &Camera,
        light: &Light,
        out: &mut Rendered,
    ) {
        let w = self.size.0;
        out.objects.clear();
        let (Some(mask), Some(alone)) = (self.mask.as_mut(), self.alone.as_mut()) else {
            return;
        };
        let mut rank = vec![0usize; self.draws.len()];
        for (i, &k) in order.iter().enumerate() {
            rank[k] = i;
        }
        for (k, d) in self.draws.iter().enumerate() {
            let actor = &scene.actors[d.index];
            let mut truth = describe(actor, cam);
            if let Some(r) = d.rect {
                // Only an object that a nearer one's rect overlaps can be occluded; otherwise its
                // pixels in the shared mask are exactly its pixels alone.
                let covered = self.draws.iter().enumerate().any(|(j, o)| {
                    rank[j] > rank[k]
                        && o.rect
                            .is_some_and(|q| q.0 < r.2 && r.0 < q.2 && q.1 < r.3 && r.1 < q.3)
                });
                let ops = &self.ops[d.ops.0..d.ops.1];
                let mesh = d.mesh.map(|m| &self.meshes[m].mesh);
                let scratch = Scratch {
                    alone,
                    zbuf: &mut self.zbuf,
                    cover: &mut self.cover,
                    shifted: &mut self.shifted,
                };
                // Nor, then, can its pixels be told from another's but for one with the same
                // mask value (congruent ids).
                let shared = self.draws.iter().enumerate().any(|(j, o)| {
                    j != k
                        && IdMask::value_of(scene.actors[o.index].id) == IdMask::value_of(actor.id)
                        && o.rect
                            .is_some_and(|q| q.0 < r.2 && r.0 < q.2 && q.1 < r.3 && r.1 < q.3)
                });
                let alone_px = match (covered, d.alone) {
                    (false, Some((b, n))) if !shared => Alone::Unhidden(b, n),
                    (false, _) => Alone::AsSeen,
                    (true, Some((b, n))) => Alone::Known(b, n),
                    (true, None) => Alone::Draw,
                };
                measure(&mut truth, mask, scratch, (ops, mesh), r, alone_px, light);
                if d.alone.is_none() {
                    // A lone mesh inked its ids already, and a nearer object's ids over them
                    // are copied with that object's.
                    copy_ids(mask, r, &mut out.ids.ids, w);
                }
            }
            out.objects.push(truth);
        }
        for d in &self.draws {
            if let Some(r) = d.rect {
                clear_rect(mask, r);
            }
        }
    }

    /// The lens (realistic path): softens what was drawn this frame over the softened
    /// background.
    #[inline(never)]
    fn soften_dirty(&mut self) {
        let Some(canvas) = self.canvas.as_mut() else {
            return;
        };
        let (w, h) = self.size;
        for r in &mut self.dirty {
            // Softening reads and writes one pixel around what was drawn: restore that too.
            *r = grow(*r, 1, w, h);
            lens::soften(canvas.data_mut(), w, h, *r, &mut self.blur_tmp);
        }
    }

    /// Image effects (tampering, lamp flicker, exposure) and the final pass into `out.frame`:
    /// RGBA → RGB with gain and sensor noise (not when the pixels are kept: a freeze).
    #[inline(never)]
    fn finish_frame(
        &mut self,
        scene: &RenderScene,
        light: &Light,
        pixels: bool,
        out: &mut Rendered,
    ) {
        let (w, h) = self.size;
        let Some(canvas) = self.canvas.as_mut() else {
            return;
        };
        let mut gain = lamp_gain(scene);
        if scene.style == RenderStyle::Realistic {
            // The automatic exposure catching up with a change of light.
            gain *= scene.exposure.lag_gain.clamp(0.25, 4.0);
        }
        if let Some(t) = scene.tamper {
            if pixels
                && matches!(
                    t,
                    Tamper::Cover { .. } | Tamper::Smear { .. } | Tamper::Defocus { .. }
                )
            {
                apply_optical(canvas, t, &mut self.blur_tmp, light.is_ir());
                self.dirty_all = true;
            }
            if let Tamper::Exposure { gain: g } = t {
                gain *= g.max(0.0);
            }
        }
        out.frame.width = w;
        out.frame.height = h;
        out.frame.index = scene.frame_index;
        out.frame.pts_ns = scene.time_ns;
        out.frame.rgb.resize((w * h * 3) as usize, 0);
        if !pixels {
            return;
        }
        let mut sigma = scene.atmosphere.noise_sigma.max(0.0);
        if scene.style == RenderStyle::Realistic {
            // A sensor's noise shows more as light falls (the gain goes up), and the camera's
            // noise reduction (3D DNR, which CCTV cameras turn up with the gain) takes much of
            // it back out: what is left rises by a quarter to a third from day to night. (Without
            // the DNR, the dark corners of a night picture were grainier than any real camera's,
            // and HOG found "people" in the grain: tuning scene realism-night.)
            let dark = if light.is_ir() {
                1.0
            } else {
                1.0 - light.ambient
            };
            sigma *= (1.0 + 1.5 * dark) * (1.0 - 0.5 * dark);
        }
        if sigma != self.noise_sigma {
            post::scale_table(&self.normal, sigma, &mut self.noise, &mut self.noise_grey3);
            self.noise_sigma = sigma;
        }
        let noise =
            (sigma > 0.0).then_some((&self.noise[..], &self.noise_grey3[..], scene.noise_seed));
        let lut = post::gain_lut(gain);
        post::to_rgb(
            canvas.data(),
            &mut out.frame.rgb,
            w,
            &lut,
            noise,
            light.is_ir(),
        );
    }

    #[inline(never)]
    fn ensure_background(&mut self, scene: &RenderScene, cam: &Camera, light: &Light) {
        let key = BgKey {
            pose: scene.camera,
            site: scene.site,
            edge: scene.counting_edge,
            light: *light,
            style: scene.style,
        };
        if self.bg_key.as_ref() == Some(&key) {
            return;
        }
        let (w, h) = self.size;
        let Some(mut pm) = Pixmap::new(w, h) else {
            return;
        };
        // Sky.
        let sky = if light.is_ir() {
            [0.10, 0.10, 0.10]
        } else {
            let l = light.light_level();
            let t = light.tint();
            [0.62 * l * t[0], 0.70 * l * t[1], 0.80 * l * t[2]]
        };
        pm.fill(color(sky, 1.0));
        let mut ops = Vec::with_capacity(4096);
        let mut e = Emitter::new(cam, light, &mut ops);
        if scene.style == RenderStyle::Flat {
            // A first copy of the background, drawn and then covered: a defect kept because
            // leaving it out changes the flat style's frames (structures rising above the
            // horizon are drawn twice, their anti-aliased edges blend twice), and those are
            // golden. The realistic style draws the background once.
            site::background(&mut e, scene);
        }
        // The ground is the first op; shade it at a reference depth, then lay depth overlays.
        let split = site::background(&mut e, scene);
        // Flat ground ops are shaded at the nearest ground depth; the gradient overlays add the
        // fall-off and haze with distance.
        let near = cam.ground_depth_at_row(h as f32).unwrap_or(5.0);
        for op in &mut ops[..split] {
            op.depth = near;
        }
        draw_ops(&mut pm, None, &ops[..split], light);
        ground_overlays(&mut pm, cam, light, near);
        draw_ops(&mut pm, None, &ops[split..], light);
        if scene.style == RenderStyle::Realistic {
            self.texture.apply(&mut pm, scene, cam, &ops);
            lens::apply_falloff(pm.data_mut(), cam, light.is_ir());
            lens::soften(pm.data_mut(), w, h, (0, 0, w, h), &mut self.blur_tmp);
        }
        self.bg.clear();
        self.bg.extend_from_slice(pm.data());
        self.bg_key = Some(key);
        self.dirty_all = true;
    }
}

fn color(c: [f32; 3], a: f32) -> Color {
    Color::from_rgba(c[0], c[1], c[2], a.clamp(0.0, 1.0)).unwrap_or(Color::BLACK)
}

/// Darkening (IR fall-off) and haze with distance over the ground, as vertical gradients: for a
/// camera without roll, ground depth depends only on the image row.
fn ground_overlays(pm: &mut Pixmap, cam: &Camera, light: &Light, near: f32) {
    let h = pm.height() as f32;
    let w = pm.width() as f32;
    let far = 400.0;
    let n = 24;
    let depth_at = |t: f32| cam.ground_depth_at_row(t * h).unwrap_or(far).min(far);
    let mut dark = Vec::with_capacity(n + 1);
    let mut haze = Vec::with_capacity(n + 1);
    let hz = light.haze_rgb();
    for i in 0..=n {
        let t = i as f32 / n as f32;
        let d = depth_at(t);
        if light.is_ir() {
            let k = Light::ir_fill(d) / Light::ir_fill(near);
            dark.push(GradientStop::new(t, color([0.0; 3], 1.0 - k.min(1.0))));
        }
        haze.push(GradientStop::new(t, color(hz, light.haze_at(d))));
    }
    let rect = Rect::from_xywh(0.0, 0.0, w, h);
    for stops in [dark, haze] {
        if stops.len() < 2 {
            continue;
        }
        let Some(shader) = LinearGradient::new(
            Point::from_xy(0.0, 0.0),
            Point::from_xy(0.0, h),
            stops,
            SpreadMode::Pad,
            Transform::identity(),
        ) else {
            continue;
        };
        let paint = Paint {
            shader,
            anti_alias: false,
            ..Paint::default()
        };
        if let Some(r) = rect {
            pm.fill_rect(r, &paint, Transform::identity(), None);
        }
    }
}

/// Draws ops: lit and anti-aliased (`id = None`), or flat id colour without anti-aliasing.
fn draw_ops(pm: &mut Pixmap, id: Option<u16>, ops: &[Op], light: &Light) {
    draw_ops_with(pm, id, ops, light, Transform::identity());
}

/// [`draw_ops`] with the image coordinates mapped by `ts` onto the pixmap.
fn draw_ops_with(pm: &mut Pixmap, id: Option<u16>, ops: &[Op], light: &Light, ts: Transform) {
    let mut paint = Paint::default();
    for op in ops {
        match id {
            Some(v) => {
                if !op.in_mask() {
                    continue;
                }
                paint.set_color_rgba8((v & 0xff) as u8, (v >> 8) as u8, 0, 255);
                paint.anti_alias = false;
            }
            None => {
                let c = light.shade(op.rgb, op.mat, op.facing_light.abs(), op.depth);
                paint.set_color(color(c, op.alpha));
                paint.anti_alias = true;
                if op.mat == Mat::Bloom {
                    let b = op.shape.bounds();
                    let centre =
                        Point::from_xy(0.5 * (b.left() + b.right()), 0.5 * (b.top() + b.bottom()));
                    let stops = vec![
                        GradientStop::new(0.0, color(c, op.alpha)),
                        GradientStop::new(0.3, color(c, 0.4 * op.alpha)),
                        GradientStop::new(1.0, color(c, 0.0)),
                    ];
                    if let Some(sh) = RadialGradient::new(
                        centre,
                        centre,
                        0.5 * b.width(),
                        stops,
                        SpreadMode::Pad,
                        Transform::identity(),
                    ) {
                        paint.shader = sh;
                    }
                }
            }
        }
        match &op.shape {
            Shape::Fill(p) => pm.fill_path(p, &paint, FillRule::Winding, ts, None),
            Shape::Stroke(p, wd) => {
                let stroke = Stroke {
                    width: *wd,
                    line_cap: tiny_skia::LineCap::Round,
                    line_join: tiny_skia::LineJoin::Round,
                    ..Stroke::default()
                };
                pm.stroke_path(p, &paint, &stroke, ts, None);
            }
        }
    }
}

/// Draws a mesh's mask value `id` into `pm` with a fresh depth buffer over `rect`.
fn draw_mesh_ids(
    pm: &mut Pixmap,
    zbuf: &mut [f32],
    rect: (u32, u32, u32, u32),
    mesh: &body::Mesh,
    id: u16,
) {
    let w = pm.width();
    let h = pm.height();
    for y in rect.1..rect.3 {
        let a = (y * w + rect.0) as usize;
        zbuf[a..a + (rect.2 - rect.0) as usize].fill(0.0);
    }
    raster::draw_ids(pm.data_mut(), zbuf, w, h, &mesh.verts, &mesh.tris, id);
}

/// Pixel rect covering a mesh's vertices in front of the camera, clipped.
fn mesh_rect(mesh: &body::Mesh, w: u32, h: u32) -> Option<(u32, u32, u32, u32)> {
    let b = mesh.screen_bounds()?;
    clip_rect(b.0 - 1.0, b.1 - 1.0, b.2 + 1.0, b.3 + 1.0, w, h)
}

fn union_rect(
    a: Option<(u32, u32, u32, u32)>,
    b: Option<(u32, u32, u32, u32)>,
) -> Option<(u32, u32, u32, u32)> {
    match (a, b) {
        (Some(a), Some(b)) => Some((a.0.min(b.0), a.1.min(b.1), a.2.max(b.2), a.3.max(b.3))),
        (a, None) => a,
        (None, b) => b,
    }
}

fn grow(r: (u32, u32, u32, u32), by: u32, w: u32, h: u32) -> (u32, u32, u32, u32) {
    (
        r.0.saturating_sub(by),
        r.1.saturating_sub(by),
        (r.2 + by).min(w),
        (r.3 + by).min(h),
    )
}

/// Darkens the ground where the sun does not reach past the person (its mesh projected along
/// the sun's direction onto z = 0), each pixel once; returns the pixel rect changed. `scratch`
/// holds the projected points and the shadow's marks.
/// Cast-shadow scratch: the projected points, the marks of the pixels in shadow and the
/// triangles that cast it.
#[derive(Debug, Default)]
struct ShadowScratch {
    pts: Vec<(f32, f32)>,
    marks: Vec<[u8; 4]>,
    lit: Vec<raster::STri>,
}

fn cast_shadow(
    canvas: &mut Pixmap,
    scratch: &mut ShadowScratch,
    cam: &Camera,
    light: &Light,
    mesh: &body::Mesh,
) -> Option<(u32, u32, u32, u32)> {
    let (w, h) = (canvas.width(), canvas.height());
    let sun = V3::from_array(light::SUN).norm();
    let ShadowScratch { pts, marks, lit } = scratch;
    pts.clear();
    let mut b: Option<(f32, f32, f32, f32)> = None;
    for p in &mesh.world {
        let g = *p - sun * (p.z.max(0.0) / sun.z);
        let c = cam.cam_space(g);
        if c.z < NEAR_M {
            return None;
        }
        let (x, y) = cam.cam_to_px(c);
        b = Some(match b {
            None => (x, y, x, y),
            Some(a) => (a.0.min(x), a.1.min(y), a.2.max(x), a.3.max(y)),
        });
        pts.push((x, y));
    }
    let b = b?;
    let rect = clip_rect(b.0 - 1.0, b.1 - 1.0, b.2 + 1.0, b.3 + 1.0, w, h)?;
    let keep = 1.0 - 0.55 * light.ambient * (1.0 - light.haze);
    let tris = if mesh.shadow.is_empty() {
        // A person: its body is closed, so every ray from the ground toward the sun that meets
        // it leaves it through a triangle facing the sun, and those alone cast the body's
        // shadow (half its triangles). The hard hat, its lamp and the tool are open or
        // one-sided: all of theirs cast.
        lit.clear();
        lit.extend(mesh.tris.iter().filter(|t| {
            let [a, b, c] = t.v.map(|i| mesh.world[i as usize]);
            !body::is_closed_part(t.part) || (b - a).cross(c - a).dot(sun) > 0.0
        }));
        &lit[..]
    } else {
        &mesh.shadow[..]
    };
    raster::shadow(canvas.data_mut(), w, pts, tris, keep, rect, marks);
    Some(rect)
}

/// Pixel rect `(x0, y0, x1, y1)` (half-open) covering the ops' bounds, clipped; `None` if empty.
fn ops_rect(ops: &[Op], w: u32, h: u32) -> Option<(u32, u32, u32, u32)> {
    let b = mask_bounds(ops)?;
    clip_rect(b.0, b.1, b.2, b.3, w, h)
}

/// Pixel rect covering all ops (glows included): what drawing them may have changed.
fn all_ops_rect(ops: &[Op], w: u32, h: u32) -> Option<(u32, u32, u32, u32)> {
    let b = bounds(ops.iter())?;
    clip_rect(b.0 - 2.0, b.1 - 2.0, b.2 + 2.0, b.3 + 2.0, w, h)
}

/// Unclipped bounds `(left, top, right, bottom)` of the ops drawn into the id mask, one pixel
/// wider on each side than their shapes: every mask pixel they set lies inside.
fn mask_bounds(ops: &[Op]) -> Option<(f32, f32, f32, f32)> {
    let b = bounds(ops.iter().filter(|o| o.in_mask()))?;
    Some((b.0 - 1.0, b.1 - 1.0, b.2 + 1.0, b.3 + 1.0))
}

fn bounds<'a>(ops: impl Iterator<Item = &'a Op>) -> Option<(f32, f32, f32, f32)> {
    ops.map(|op| op.shape.bounds()).fold(None, |b, r| {
        Some(match b {
            None => (r.left(), r.top(), r.right(), r.bottom()),
            Some(a) => (
                a.0.min(r.left()),
                a.1.min(r.top()),
                a.2.max(r.right()),
                a.3.max(r.bottom()),
            ),
        })
    })
}

fn clip_rect(x0: f32, y0: f32, x1: f32, y1: f32, w: u32, h: u32) -> Option<(u32, u32, u32, u32)> {
    let x0 = x0.floor().clamp(0.0, w as f32) as u32;
    let y0 = y0.floor().clamp(0.0, h as f32) as u32;
    let x1 = x1.ceil().clamp(0.0, w as f32) as u32;
    let y1 = y1.ceil().clamp(0.0, h as f32) as u32;
    (x1 > x0 && y1 > y0).then_some((x0, y0, x1, y1))
}

/// Corners of a box that holds the actor whatever its pose: in view when any is.
fn view_corners(actor: &Actor) -> [V3; 8] {
    let pos = V3::from(actor.position);
    match &actor.kind {
        ActorKind::Person(look) => {
            let s = look.height_m / 1.75;
            let mut c = [V3::default(); 8];
            for (i, c) in c.iter_mut().enumerate() {
                let dx = if i & 1 == 0 { -0.9 } else { 0.9 } * s;
                let dy = if i & 2 == 0 { -0.9 } else { 0.9 } * s;
                let dz = if i & 4 == 0 { 0.0 } else { 1.95 } * s;
                *c = pos + V3::new(dx, dy, dz);
            }
            c
        }
        ActorKind::Truck(look) => truck::bounds_pts(pos, actor.heading, look),
    }
}

/// Bounds of projected points, clipped; `None` if all are behind the camera or outside.
fn corners_rect(cam: &Camera, pts: &[V3], w: u32, h: u32) -> Option<(u32, u32, u32, u32)> {
    let mut b: Option<(f32, f32, f32, f32)> = None;
    for p in pts {
        let c = cam.cam_space(*p);
        if c.z < NEAR_M {
            continue;
        }
        let (x, y) = cam.cam_to_px(c);
        b = Some(match b {
            None => (x, y, x, y),
            Some(a) => (a.0.min(x), a.1.min(y), a.2.max(x), a.3.max(y)),
        });
    }
    let b = b?;
    clip_rect(b.0, b.1, b.2, b.3, w, h)
}

fn rect_box(r: (u32, u32, u32, u32)) -> BoxPx {
    BoxPx {
        x0: r.0,
        y0: r.1,
        x1: r.2,
        y1: r.3,
    }
}

/// The truth of `actor` that does not depend on its pixels: id, class, facing, head and
/// shoulders, depth. The pixel counts are zero and the pixel boxes `None` (see [`measure`]).
fn describe(actor: &Actor, cam: &Camera) -> ObjectTruth {
    let pos = V3::from(actor.position);
    let facing = match person::view_of(pos, actor.heading, cam.centre) {
        person::View::Front => Facing::Front,
        person::View::Back => Facing::Back,
        person::View::Side => Facing::Side,
    };
    let (class, head_shoulder_box) = match &actor.kind {
        ActorKind::Person(look) => {
            let pts = person::head_shoulder_pts(pos, actor.heading, look);
            let hs = corners_rect(cam, &pts, cam.width, cam.height).map(rect_box);
            (Class::Person, hs)
        }
        ActorKind::Truck(_) => (Class::Truck, None),
    };
    ObjectTruth {
        id: actor.id,
        class,
        full_box: None,
        visible_box: None,
        visible_fraction: 0.0,
        visible_px: 0,
        unoccluded_px: 0,
        whole_px: 0,
        head_shoulder_box,
        facing,
        depth_m: cam.depth(pos),
    }
}

/// How to know what an object covers alone (nothing in front of it).
#[derive(Debug, Clone, Copy)]
enum Alone {
    /// No nearer object overlaps its rect and its pixels were measured when it was drawn: what
    /// is seen is what it covers alone, these bounds and pixel count.
    Unhidden(Option<BoxPx>, u32),
    /// No nearer object overlaps its rect: what is seen.
    AsSeen,
    /// Measured when it was drawn: bounds and pixel count.
    Known(Option<BoxPx>, u32),
    /// Draw it alone into the scratch mask and measure that.
    Draw,
}

/// Measures one drawn object (its mask `ops`, inside the clipped rect `r`) into `truth`: what
/// is seen in the shared `mask`, what it covers alone (see [`Alone`]; drawn into the clear
/// scratch `alone` when needed), and its pixels beyond the image border. Leaves `alone` clear.
fn measure(
    truth: &mut ObjectTruth,
    mask: &Pixmap,
    scratch: Scratch<'_>,
    (ops, mesh): (&[Op], Option<&body::Mesh>),
    r: (u32, u32, u32, u32),
    alone_px: Alone,
    light: &Light,
) {
    let Scratch {
        alone,
        zbuf,
        cover,
        shifted,
    } = scratch;
    let value = IdMask::value_of(truth.id);
    let (vb, n_vis) = match alone_px {
        Alone::Unhidden(b, n) => (b, n),
        _ => scan(mask, r, value),
    };
    let (fb, n_alone) = match alone_px {
        Alone::Unhidden(..) | Alone::AsSeen => (vb, n_vis),
        Alone::Known(b, n) => (b, n),
        Alone::Draw => {
            draw_ops(alone, Some(value), ops, light);
            if let Some(m) = mesh {
                draw_mesh_ids(alone, zbuf, r, m, value);
            }
            let res = scan(alone, r, value);
            clear_rect(alone, r);
            res
        }
    };
    let beyond = match mesh {
        Some(m) => border::mesh_pixels_beyond(cover, shifted, (mask.width(), mask.height()), m),
        None => border::pixels_beyond(alone, ops, value, light),
    };
    let whole = n_alone.saturating_add(beyond);
    truth.full_box = fb;
    truth.visible_box = vb;
    truth.visible_px = n_vis;
    truth.unoccluded_px = n_alone;
    truth.whole_px = whole;
    truth.visible_fraction = if n_alone > 0 {
        (n_vis as f32 / whole as f32).min(1.0)
    } else {
        0.0
    };
}

/// The scratch of the truth pass: the object-alone mask and the depth buffer, and for a mesh's
/// pixels beyond the border a coverage and its shifted vertices.
struct Scratch<'a> {
    alone: &'a mut Pixmap,
    zbuf: &'a mut [f32],
    cover: &'a mut raster::Coverage,
    shifted: &'a mut Vec<raster::SVert>,
}

/// Bounds and count of pixels with mask value `v` inside rect `r`. Each row is counted with a
/// branch-free loop; only rows with a pixel are searched for their first and last.
fn scan(pm: &Pixmap, r: (u32, u32, u32, u32), v: u16) -> (Option<BoxPx>, u32) {
    let w = pm.width() as usize;
    let data = pm.data();
    let want = u32::from_le_bytes([(v & 0xff) as u8, (v >> 8) as u8, 0, 255]);
    let mut n = 0u32;
    let (mut x0, mut y0, mut x1, mut y1) = (u32::MAX, u32::MAX, 0, 0);
    for y in r.1..r.3 {
        let a = y as usize * w + r.0 as usize;
        let b = y as usize * w + r.2 as usize;
        let (row, _) = data[a * 4..b * 4].as_chunks::<4>();
        let count: u32 = row
            .iter()
            .map(|px| u32::from(u32::from_le_bytes(*px) == want))
            .sum();
        if count > 0 {
            let is = |px: &[u8; 4]| u32::from_le_bytes(*px) == want;
            let first = row.iter().position(is).unwrap_or(0);
            let last = row.iter().rposition(is).unwrap_or(0);
            n += count;
            x0 = x0.min(r.0 + first as u32);
            x1 = x1.max(r.0 + last as u32 + 1);
            y0 = y0.min(y);
            y1 = y1.max(y + 1);
        }
    }
    ((n > 0).then_some(BoxPx { x0, y0, x1, y1 }), n)
}

fn clear_rect(pm: &mut Pixmap, r: (u32, u32, u32, u32)) {
    let w = pm.width() as usize;
    let data = pm.data_mut();
    for y in r.1..r.3 {
        data[(y as usize * w + r.0 as usize) * 4..(y as usize * w + r.2 as usize) * 4].fill(0);
    }
}

fn copy_ids(pm: &Pixmap, r: (u32, u32, u32, u32), ids: &mut [u16], w: u32) {
    let w = w as usize;
    let data = pm.data();
    for y in r.1 as usize..r.3 as usize {
        let (a, b) = (y * w + r.0 as usize, y * w + r.2 as usize);
        let (src, _) = data[a * 4..b * 4].as_chunks::<4>();
        for (d, px) in ids[a..b].iter_mut().zip(src) {
            let v = px[0] as u16 | (px[1] as u16) << 8;
            // All ones where the mask has a pixel, else zero: a select without a branch.
            let m = 0u16.wrapping_sub(u16::from(px[3] == 255));
            *d = (v & m) | (*d & !m);
        }
    }
}

/// Global gain from the site lamps' flicker: strong in the dark, weak by day or under IR.
fn lamp_gain(scene: &RenderScene) -> f32 {
    let l = &scene.lighting;
    let k = match l.mode {
        ColourMode::Colour => 1.0 - l.ambient.clamp(0.0, 1.0),
        ColourMode::InfraredMono => 0.3,
    };
    1.0 + (l.lamp - 1.0) * k
}

/// Cover, smear and defocus on the RGBA canvas.
fn apply_optical(pm: &mut Pixmap, t: Tamper, tmp: &mut Vec<u8>, grey: bool) {
    let (w, h) = (pm.width(), pm.height());
    match t {
        Tamper::Cover { fraction } => {
            let f = fraction.clamp(0.0, 1.0);
            if f <= 0.0 {
                return;
            }
            let edge = h as f32 * f;
            let soft = (h as f32 * 0.04).max(2.0);
            let dark = if grey {
                [0.06, 0.06, 0.06]
            } else {
                [0.07, 0.06, 0.05]
            };
            let stops = vec![
                GradientStop::new(0.0, color(dark, 1.0)),
                GradientStop::new(
                    ((edge - soft * 0.5) / h as f32).clamp(0.0, 1.0),
                    color(dark, 1.0),
                ),
                GradientStop::new(
                    ((edge + soft * 0.5) / h as f32).clamp(0.0, 1.0),
                    color(dark, 0.0),
                ),
                GradientStop::new(1.0, color(dark, 0.0)),
            ];
            if let (Some(shader), Some(r)) = (
                LinearGradient::new(
                    Point::from_xy(0.0, 0.0),
                    Point::from_xy(0.0, h as f32),
                    stops,
                    SpreadMode::Pad,
                    Transform::identity(),
                ),
                Rect::from_xywh(0.0, 0.0, w as f32, (edge + soft).min(h as f32)),
            ) {
                let paint = Paint {
                    shader,
                    anti_alias: false,
                    ..Paint::default()
                };
                pm.fill_rect(r, &paint, Transform::identity(), None);
            }
        }
        Tamper::Smear { strength } => {
            let s = strength.clamp(0.0, 1.0);
            let r = (s * w.min(h) as f32 * 0.012).round() as usize;
            post::box_blur_rgba(pm.data_mut(), w as usize, h as usize, r, 2, tmp);
            let mut paint = Paint::default();
            paint.set_color(color([0.55, 0.55, 0.53], 0.65 * s));
            if let Some(rect) = Rect::from_xywh(0.0, 0.0, w as f32, h as f32) {
                pm.fill_rect(rect, &paint, Transform::identity(), None);
            }
        }
        Tamper::Defocus { radius_px } => {
            let r = radius_px.max(0.0).round() as usize;
            post::box_blur_rgba(
                pm.data_mut(),
                w as usize,
                h as usize,
                r.min(w.min(h) as usize / 2),
                2,
                tmp,
            );
        }
        Tamper::AngleMoved { .. } | Tamper::Freeze | Tamper::Exposure { .. } => {}
    }
}

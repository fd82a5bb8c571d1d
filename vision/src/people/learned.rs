//! The learned person detector (issue 17): a CenterNet-style network run through ONNX Runtime.
//!
//! Key design decision: **the network sees pixels only; the camera's calibration stays in
//! Rust.** [`LearnedModel`] is camera-agnostic: it letterboxes frames of any size to the
//! network's 512×288 input (one separable area-resampling pass, grey 114 padding, the aspect
//! kept, as `scripts/detector/dataset.py` does for training), runs one session call for one
//! frame or a batch of frames from several cameras, and decodes the stride-4 maps into boxes in
//! each frame's own pixels for the three classes (person's full body, head and shoulders,
//! truck). [`LearnedDetector`] is one camera's [`PersonDetector`]: it maps a person's feet (the
//! bottom centre of the box) to the ground with the installer's [`Projector`] and keeps only
//! people in the area the classical detector searches around the counting edge, so a person far
//! from the edge never starts a track.
//!
//! ONNX Runtime is loaded at run time (`ort`'s load-dynamic) from the library of the
//! `onnxruntime` wheel that `scripts/setup.sh` installs in `var/onnxruntime`, or from the file
//! named by `ESEAL_ORT_DYLIB` or `ORT_DYLIB_PATH`. A missing library or model is an
//! [`Error::Detector`] naming the path, never a panic.
//!
//! The network's contract (`scripts/detector/model.py`): input `image` `[N, 3, 288, 512]`, RGB
//! 0–255 as `f32`; output `maps` `[N, 11, 72, 128]`: channels 0–2 the classes' centre heat maps
//! after a sigmoid, 3–8 per class `ln(w / 4)`, `ln(h / 4)` in input pixels, 9–10 the centre's
//! offset inside its cell.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ort::environment::Environment;
use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;
use ort::value::TensorRef;

use super::detect::{Detection, PersonDetector, TemplateSettings, along, side};
use crate::Error;
use crate::calib::Projector;
use crate::frame::Frame;

/// The network's input width and height, pixels.
pub const INPUT_W: usize = 512;
pub const INPUT_H: usize = 288;
/// Input pixels per output cell.
pub const STRIDE: usize = 4;
/// The output grid, cells.
pub const GRID_W: usize = INPUT_W / STRIDE;
pub const GRID_H: usize = INPUT_H / STRIDE;
/// Output channels: 3 heat maps, 3 × 2 log sizes, 2 offsets.
pub const CHANNELS: usize = 11;
/// Grey of the letterbox's padding (as in training).
const PAD: f32 = 114.0;
/// The ONNX Runtime release the device is built and tested against (the `onnxruntime` wheel).
pub const ORT_VERSION: &str = "1.32.0";

/// What the network finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    /// A person's full body.
    Person,
    /// A person's head and shoulders.
    HeadShoulders,
    /// A truck.
    Truck,
}

impl Class {
    const ALL: [Class; 3] = [Class::Person, Class::HeadShoulders, Class::Truck];

    fn index(self) -> usize {
        match self {
            Class::Person => 0,
            Class::HeadShoulders => 1,
            Class::Truck => 2,
        }
    }
}

/// One box found by the network, in the frame's own pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoxDetection {
    pub class: Class,
    /// `[x0, y0, x1, y1]`, frame pixels (pixel edges: `0` is the image's left border), not
    /// clipped to the image.
    pub bbox: [f64; 4],
    /// The heat map's peak, 0–1.
    pub score: f32,
}

impl BoxDetection {
    /// Share of the box inside a `width × height` image, 0–1.
    pub fn share_inside(&self, width: u32, height: u32) -> f64 {
        let [x0, y0, x1, y1] = self.bbox;
        let area = (x1 - x0).max(0.0) * (y1 - y0).max(0.0);
        if area <= 0.0 {
            return 0.0;
        }
        let w = (x1.min(f64::from(width)) - x0.max(0.0)).max(0.0);
        let h = (y1.min(f64::from(height)) - y0.max(0.0)).max(0.0);
        (w * h / area).clamp(0.0, 1.0)
    }
}

/// The ONNX Runtime library to load: `ESEAL_ORT_DYLIB`, else `ORT_DYLIB_PATH`, else the copy
/// `scripts/setup.sh` installs in the repository's `var/onnxruntime`.
pub fn default_library() -> PathBuf {
    for var in ["ESEAL_ORT_DYLIB", "ORT_DYLIB_PATH"] {
        if let Some(v) = std::env::var_os(var).filter(|v| !v.is_empty()) {
            return PathBuf::from(v);
        }
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(Path::new("."))
        .join("var/onnxruntime/onnxruntime/capi")
        .join(format!("libonnxruntime.so.{ORT_VERSION}"))
}

/// The process's ONNX Runtime: the library it was loaded from and the one environment.
static RUNTIME: Mutex<Option<(PathBuf, Environment)>> = Mutex::new(None);

/// Loads ONNX Runtime from `library` (once per process; later calls reuse the first library)
/// and returns the environment sessions are made in.
pub fn load_runtime(library: &Path) -> Result<Environment, Error> {
    if !library.is_file() {
        return Err(Error::Detector(format!(
            "ONNX Runtime library {} not found: install onnxruntime=={ORT_VERSION} \
             (bash scripts/setup.sh puts it in var/onnxruntime) or name the library's file \
             in ESEAL_ORT_DYLIB",
            library.display()
        )));
    }
    let mut rt = RUNTIME.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((loaded, env)) = rt.as_ref() {
        if loaded != library {
            tracing::debug!(
                loaded = %loaded.display(),
                asked = %library.display(),
                "ONNX Runtime is already loaded; using that library"
            );
        }
        return Ok(env.clone());
    }
    let env = ort::init_from(library)
        .map_err(|e| {
            Error::Detector(format!(
                "could not load ONNX Runtime from {}: {e} (expected onnxruntime {ORT_VERSION})",
                library.display()
            ))
        })?
        .with_name("eseal")
        .build()
        .map_err(|e| Error::Detector(format!("ONNX Runtime environment: {e}")))?;
    *rt = Some((library.to_path_buf(), env.clone()));
    Ok(env)
}

/// Tunables of the learned detector.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LearnedSettings {
    /// Least heat-map peak kept, 0–1.
    pub threshold: f32,
    /// Threads ONNX Runtime uses inside one operator (1: the calling thread only).
    pub intra_threads: usize,
    /// Most boxes kept per class and frame (the strongest).
    pub max_per_class: usize,
}

impl Default for LearnedSettings {
    fn default() -> Self {
        LearnedSettings {
            threshold: 0.3,
            intra_threads: 1,
            max_per_class: 100,
        }
    }
}

/// How a frame of one size maps into the network's input: scale, padding, and the resampling
/// taps of each output column and row.
#[derive(Debug, Clone, PartialEq)]
pub struct Letterbox {
    width: u32,
    height: u32,
    /// Input pixels per frame pixel.
    scale: f64,
    /// Left and top padding, input pixels.
    pad: (usize, usize),
    /// The scaled image's size in the input, pixels.
    size: (usize, usize),
    cols: Taps,
    rows: Taps,
}

/// Per output index: the first source index and the weights of the consecutive sources.
#[derive(Debug, Clone, PartialEq, Default)]
struct Taps {
    spans: Vec<(usize, usize, usize)>,
    weights: Vec<f32>,
}

impl Taps {
    /// Resampling `src` samples to `dst`: each output the mean of the source it covers (area,
    /// when shrinking), or linear between the two nearest centres (when enlarging).
    fn new(src: usize, dst: usize) -> Taps {
        let mut t = Taps::default();
        let ratio = src as f64 / dst as f64;
        for i in 0..dst {
            let at = t.weights.len();
            let first = if ratio >= 1.0 {
                let (lo, hi) = (i as f64 * ratio, (i + 1) as f64 * ratio);
                let first = lo.floor() as usize;
                let last = (hi.ceil() as usize).min(src);
                for j in first..last {
                    let w = (hi.min(j as f64 + 1.0) - lo.max(j as f64)) / ratio;
                    t.weights.push(w as f32);
                }
                first
            } else {
                let x = ((i as f64 + 0.5) * ratio - 0.5).clamp(0.0, (src - 1) as f64);
                let first = (x.floor() as usize).min(src.saturating_sub(2));
                let frac = (x - first as f64) as f32;
                t.weights.push(1.0 - frac);
                if src > 1 {
                    t.weights.push(frac);
                }
                first
            };
            t.spans.push((first, at, t.weights.len() - at));
        }
        t
    }
}

impl Letterbox {
    /// The letterbox of `width × height` frames (as `scripts/detector/dataset.py`'s).
    pub fn new(width: u32, height: u32) -> Letterbox {
        let (w, h) = (f64::from(width.max(1)), f64::from(height.max(1)));
        let scale = (INPUT_W as f64 / w).min(INPUT_H as f64 / h);
        let nw = ((w * scale).round() as usize).clamp(1, INPUT_W);
        let nh = ((h * scale).round() as usize).clamp(1, INPUT_H);
        Letterbox {
            width,
            height,
            scale,
            pad: ((INPUT_W - nw) / 2, (INPUT_H - nh) / 2),
            size: (nw, nh),
            cols: Taps::new(width.max(1) as usize, nw),
            rows: Taps::new(height.max(1) as usize, nh),
        }
    }

    /// A point in input pixels → the frame's pixels.
    pub fn to_frame(&self, x: f64, y: f64) -> (f64, f64) {
        (
            (x - self.pad.0 as f64) / self.scale,
            (y - self.pad.1 as f64) / self.scale,
        )
    }

    /// Writes `frame` (of this letterbox's size) letterboxed into `out`, planar RGB
    /// `[3][288][512]`, 0–255; `acc` is scratch space.
    pub fn fill(&self, frame: &Frame, out: &mut [f32], acc: &mut Vec<f32>) {
        out.fill(PAD);
        if (frame.width, frame.height) != (self.width, self.height) {
            tracing::warn!(
                frame = ?(frame.width, frame.height),
                letterbox = ?(self.width, self.height),
                "frame of another size than its letterbox: left grey"
            );
            return;
        }
        let stride = self.width as usize * 3;
        acc.resize(stride, 0.0);
        let (pad_x, nw) = (self.pad.0, self.size.0);
        let (r, rest) = out.split_at_mut(INPUT_W * INPUT_H);
        let (g, b) = rest.split_at_mut(INPUT_W * INPUT_H);
        for (yy, &(first, at, n)) in self.rows.spans.iter().enumerate() {
            // The source rows this output row covers, weighted, then the columns.
            acc.fill(0.0);
            for (k, &wy) in self.rows.weights[at..at + n].iter().enumerate() {
                let row = &frame.rgb[(first + k) * stride..(first + k + 1) * stride];
                for (a, &p) in acc.iter_mut().zip(row) {
                    *a += wy * f32::from(p);
                }
            }
            let base = (self.pad.1 + yy) * INPUT_W + pad_x;
            let rows = r[base..base + nw]
                .iter_mut()
                .zip(&mut g[base..base + nw])
                .zip(&mut b[base..base + nw]);
            for (((r, g), b), &(fx, at, n)) in rows.zip(&self.cols.spans) {
                let mut px = [0.0f32; 3];
                let src = acc[fx * 3..(fx + n) * 3].chunks_exact(3);
                for (&wx, s) in self.cols.weights[at..at + n].iter().zip(src) {
                    px[0] += wx * s[0];
                    px[1] += wx * s[1];
                    px[2] += wx * s[2];
                }
                (*r, *g, *b) = (px[0], px[1], px[2]);
            }
        }
    }

    /// Boxes of every class in one image's output map (`CHANNELS × GRID_H × GRID_W`), in frame
    /// pixels: cells at or above `threshold` that are 3×3 local maxima (of a plateau, the first
    /// cell in row order), the strongest `max_per_class` of each class, strongest first, less
    /// the weaker of two peaks that are one object (see [`suppress`]).
    pub fn decode(&self, map: &[f32], threshold: f32, max_per_class: usize) -> Vec<BoxDetection> {
        let cells = GRID_W * GRID_H;
        let mut out = Vec::new();
        for class in Class::ALL {
            let first = out.len();
            let c = class.index();
            let heat = &map[c * cells..(c + 1) * cells];
            let mut peaks: Vec<(usize, usize, f32)> = Vec::new();
            for y in 0..GRID_H {
                for x in 0..GRID_W {
                    let v = heat[y * GRID_W + x];
                    if v >= threshold && is_peak(heat, x, y, v) {
                        peaks.push((x, y, v));
                    }
                }
            }
            peaks.sort_by(|a, b| b.2.total_cmp(&a.2));
            peaks.truncate(max_per_class);
            for (x, y, score) in peaks {
                let at = |ch: usize| f64::from(map[ch * cells + y * GRID_W + x]);
                let s = STRIDE as f64;
                let w = at(3 + 2 * c).exp() * s;
                let h = at(4 + 2 * c).exp() * s;
                let cx = (x as f64 + at(9)) * s;
                let cy = (y as f64 + at(10)) * s;
                let (x0, y0) = self.to_frame(cx - w / 2.0, cy - h / 2.0);
                let (x1, y1) = self.to_frame(cx + w / 2.0, cy + h / 2.0);
                out.push(BoxDetection {
                    class,
                    bbox: [x0, y0, x1, y1],
                    score,
                });
            }
            suppress(&mut out, first);
        }
        out
    }
}

/// A person box scoring at least this is sure enough to start or confirm a track; fainter ones
/// only carry tracks on ([`super::track::TrackSettings::sure_score`]). Chosen on the tuning
/// seeds 70 001–70 020 only (`just tune-people 70001 20 -- --detector learned`, 2026-12-07,
/// pooled F1 down/up: 0 → 0.834/0.759, 0.5 → 0.895/0.823, 0.6 → 0.917/0.815, 0.65 →
/// 0.929/0.831, 0.8 → 0.842/0.748), never on the public suite or the random gate.
pub const SURE_SCORE: f32 = 0.65;

/// Two boxes of one class overlapping this much (IoU) are one object seen twice.
const SAME_IOU: f64 = 0.6;
/// A truck box lying this much inside a stronger truck box is part of that truck (a long truck
/// can give a second peak along its body). `scripts/detector/train.py` scores the same way.
const TRUCK_INSIDE: f64 = 0.8;

/// Drops from `boxes[first..]` (one class, strongest first) each box that is the same object
/// as a stronger one kept before it.
fn suppress(boxes: &mut Vec<BoxDetection>, first: usize) {
    let mut kept = first;
    for i in first..boxes.len() {
        let b = boxes[i];
        let same = boxes[first..kept].iter().any(|k| {
            iou(&b.bbox, &k.bbox) >= SAME_IOU
                || (b.class == Class::Truck && inside(&b.bbox, &k.bbox) >= TRUCK_INSIDE)
        });
        if !same {
            boxes[kept] = b;
            kept += 1;
        }
    }
    boxes.truncate(kept);
}

fn overlap(a: &[f64; 4], b: &[f64; 4]) -> f64 {
    let w = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let h = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    w * h
}

fn area(a: &[f64; 4]) -> f64 {
    (a[2] - a[0]).max(0.0) * (a[3] - a[1]).max(0.0)
}

fn iou(a: &[f64; 4], b: &[f64; 4]) -> f64 {
    let i = overlap(a, b);
    let u = area(a) + area(b) - i;
    if u > 0.0 { i / u } else { 0.0 }
}

/// Share of `a`'s area inside `b`.
fn inside(a: &[f64; 4], b: &[f64; 4]) -> f64 {
    let s = area(a);
    if s > 0.0 { overlap(a, b) / s } else { 0.0 }
}

/// Whether cell `(x, y)` of `heat` is a peak: not below any of its 8 neighbours, and above
/// those before it in row order (so a plateau gives one peak).
fn is_peak(heat: &[f32], x: usize, y: usize, v: f32) -> bool {
    for ny in y.saturating_sub(1)..(y + 2).min(GRID_H) {
        for nx in x.saturating_sub(1)..(x + 2).min(GRID_W) {
            if (nx, ny) == (x, y) {
                continue;
            }
            let n = heat[ny * GRID_W + nx];
            let before = (ny, nx) < (y, x);
            if n > v || (before && n == v) {
                return false;
            }
        }
    }
    true
}

/// The network in an ONNX Runtime session, with its input buffer and letterboxes.
pub struct LearnedModel {
    session: Session,
    path: PathBuf,
    settings: LearnedSettings,
    input: Vec<f32>,
    acc: Vec<f32>,
    letterboxes: Vec<Letterbox>,
}

impl std::fmt::Debug for LearnedModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LearnedModel")
            .field("path", &self.path)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// The model's output for a batch: `batch` maps of `CHANNELS × GRID_H × GRID_W`.
#[derive(Debug, Clone, PartialEq)]
pub struct Maps {
    /// The output's shape as the session gave it.
    pub shape: Vec<i64>,
    pub data: Vec<f32>,
}

impl Maps {
    /// The map of image `i` of the batch.
    pub fn image(&self, i: usize) -> &[f32] {
        let n = CHANNELS * GRID_H * GRID_W;
        &self.data[i * n..(i + 1) * n]
    }
}

impl LearnedModel {
    /// Opens the model the device's `[analysis.detector]` names; `None` for the classical
    /// detector, an error naming the key when the learned one has no model file.
    pub fn from_config(
        detector: &crate::config::DetectorConfig,
    ) -> Result<Option<LearnedModel>, Error> {
        use crate::config::DetectorKind;
        let model = match (detector.kind, &detector.model) {
            (DetectorKind::Classical, _) => return Ok(None),
            (DetectorKind::Learned, Some(model)) => model,
            (DetectorKind::Learned, None) => {
                return Err(Error::Detector(
                    "analysis.detector.model: expected the ONNX file of the learned detector"
                        .to_owned(),
                ));
            }
        };
        let settings = LearnedSettings {
            threshold: detector.threshold,
            intra_threads: detector.threads,
            ..LearnedSettings::default()
        };
        Self::open(model, settings).map(Some)
    }

    /// Opens the model file with ONNX Runtime from [`default_library`].
    pub fn open(model: &Path, settings: LearnedSettings) -> Result<LearnedModel, Error> {
        Self::open_with_library(model, &default_library(), settings)
    }

    /// Opens the model file with ONNX Runtime loaded from `library` (if not loaded yet).
    pub fn open_with_library(
        model: &Path,
        library: &Path,
        settings: LearnedSettings,
    ) -> Result<LearnedModel, Error> {
        if !model.is_file() {
            return Err(Error::Detector(format!(
                "detector model {} not found: expected the ONNX file of the learned detector \
                 (scripts/detector/README.md), or choose the classical detector",
                model.display()
            )));
        }
        let env = load_runtime(library)?;
        let fail = |e: &dyn std::fmt::Display| {
            Error::Detector(format!("loading model {}: {e}", model.display()))
        };
        let session = Session::builder(&env)
            .map_err(|e| fail(&e))?
            .with_optimization_level(GraphOptimizationLevel::All)
            .map_err(|e| fail(&e))?
            .with_intra_threads(settings.intra_threads.max(1))
            .map_err(|e| fail(&e))?
            .with_inter_threads(1)
            .map_err(|e| fail(&e))?
            .commit_from_file(model)
            .map_err(|e| fail(&e))?;
        let names = |v: &[ort::value::Outlet]| v.iter().map(|o| o.name().to_owned()).collect();
        let (inputs, outputs): (Vec<String>, Vec<String>) =
            (names(session.inputs()), names(session.outputs()));
        if inputs != ["image"] || outputs != ["maps"] {
            return Err(fail(&format!(
                "expected one input \"image\" and one output \"maps\", found {inputs:?} → {outputs:?}"
            )));
        }
        Ok(LearnedModel {
            session,
            path: model.to_path_buf(),
            settings,
            input: Vec::new(),
            acc: Vec::new(),
            letterboxes: Vec::new(),
        })
    }

    /// The settings.
    pub fn settings(&self) -> LearnedSettings {
        self.settings
    }

    /// The letterbox of frames of this size (kept for the next frames).
    pub fn letterbox(&mut self, width: u32, height: u32) -> &Letterbox {
        let k = match self
            .letterboxes
            .iter()
            .position(|l| (l.width, l.height) == (width, height))
        {
            Some(k) => k,
            None => {
                self.letterboxes.push(Letterbox::new(width, height));
                self.letterboxes.len() - 1
            }
        };
        &self.letterboxes[k]
    }

    /// Runs the network on `frames` (any sizes, e.g. several cameras) in one session call.
    pub fn maps(&mut self, frames: &[&Frame]) -> Result<Maps, Error> {
        let plane = 3 * INPUT_W * INPUT_H;
        let mut input = std::mem::take(&mut self.input);
        let mut acc = std::mem::take(&mut self.acc);
        input.resize(plane * frames.len(), 0.0);
        for (f, out) in frames.iter().zip(input.chunks_exact_mut(plane)) {
            self.letterbox(f.width, f.height).fill(f, out, &mut acc);
        }
        let result = self.run(&input, frames.len());
        self.input = input;
        self.acc = acc;
        result
    }

    fn run(&mut self, input: &[f32], n: usize) -> Result<Maps, Error> {
        let path = &self.path;
        let fail =
            |e: ort::Error| Error::Detector(format!("running model {}: {e}", path.display()));
        let tensor = TensorRef::from_array_view(([n, 3, INPUT_H, INPUT_W], input)).map_err(fail)?;
        let outputs = self
            .session
            .run(ort::inputs!["image" => tensor])
            .map_err(fail)?;
        let (shape, data) = outputs["maps"].try_extract_tensor::<f32>().map_err(fail)?;
        let shape: Vec<i64> = shape.iter().copied().collect();
        let expected = [n as i64, CHANNELS as i64, GRID_H as i64, GRID_W as i64];
        if shape != expected {
            return Err(Error::Detector(format!(
                "model {}: output \"maps\" has shape {shape:?}, expected {expected:?}",
                path.display()
            )));
        }
        Ok(Maps {
            shape,
            data: data.to_vec(),
        })
    }

    /// The boxes of every class in one frame.
    pub fn detect(&mut self, frame: &Frame) -> Result<Vec<BoxDetection>, Error> {
        Ok(self.detect_batch(&[frame])?.pop().unwrap_or_default())
    }

    /// The boxes of every class in each of `frames` (one session call for all of them).
    pub fn detect_batch(&mut self, frames: &[&Frame]) -> Result<Vec<Vec<BoxDetection>>, Error> {
        if frames.is_empty() {
            return Ok(Vec::new());
        }
        let maps = self.maps(frames)?;
        let LearnedSettings {
            threshold,
            max_per_class,
            ..
        } = self.settings;
        Ok(frames
            .iter()
            .enumerate()
            .map(|(i, f)| {
                self.letterbox(f.width, f.height)
                    .decode(maps.image(i), threshold, max_per_class)
            })
            .collect())
    }
}

/// One camera's learned person detector: the model, the camera's calibration and counting edge.
#[derive(Debug)]
pub struct LearnedDetector {
    model: LearnedModel,
    projector: Projector,
    edge: [[f64; 2]; 2],
    /// How far either side of the edge, and beyond its ends, people are kept, metres.
    depth_m: f64,
    margin_m: f64,
    /// Every box of the last frame, all classes (for later use: heads, trucks).
    last: Vec<BoxDetection>,
}

impl LearnedDetector {
    /// The detector of a camera with this projector (full-frame size) and counting edge; people
    /// are kept where the classical detector with default settings looks for them.
    pub fn new(model: LearnedModel, projector: Projector, edge: [[f64; 2]; 2]) -> LearnedDetector {
        let t = TemplateSettings::default();
        LearnedDetector {
            model,
            projector,
            edge,
            depth_m: t.depth_m,
            margin_m: t.margin_m,
            last: Vec::new(),
        }
    }

    /// Keeps people within `depth_m` either side of the edge and `margin_m` beyond its ends.
    pub fn with_area(mut self, depth_m: f64, margin_m: f64) -> LearnedDetector {
        self.depth_m = depth_m;
        self.margin_m = margin_m;
        self
    }

    /// The model (e.g. to run several cameras' frames in one batch).
    pub fn model_mut(&mut self) -> &mut LearnedModel {
        &mut self.model
    }

    /// Every box of every class found in the last frame [`PersonDetector::detect`] saw.
    pub fn last_boxes(&self) -> &[BoxDetection] {
        &self.last
    }

    /// Every box of every class in `frame`.
    pub fn detect_all(&mut self, frame: &Frame) -> Result<Vec<BoxDetection>, Error> {
        self.model.detect(frame)
    }

    /// The people among `boxes` (found in a `width × height` frame of this camera) whose feet
    /// stand in the searched area, placed on the ground.
    pub fn people(&self, boxes: &[BoxDetection], width: u32, height: u32) -> Vec<Detection> {
        let p = &self.projector;
        // The calibration is for the camera's configured size; a frame of another size is
        // the same view scaled.
        let sx = f64::from(p.width()) / f64::from(width.max(1));
        let sy = f64::from(p.height()) / f64::from(height.max(1));
        let len = along(&self.edge, self.edge[1]);
        boxes
            .iter()
            .filter(|b| b.class == Class::Person)
            .filter_map(|b| {
                let [x0, y0, x1, y1] = b.bbox;
                let ground = p.pixel_to_ground((x0 + x1) * 0.5 * sx, y1 * sy)?;
                let t = along(&self.edge, ground);
                let keep = side(&self.edge, ground).abs() <= self.depth_m
                    && (-self.margin_m..=len + self.margin_m).contains(&t);
                if !keep {
                    return None;
                }
                let visibility = b.share_inside(width, height) as f32;
                // Whole pixels covering the box (a hundredth of a pixel of the map's f32
                // noise does not widen it), inside the image.
                let clip = |v: f64, max: u32| v.clamp(0.0, f64::from(max)) as u32;
                let (lo, hi) = (|v: f64| (v + 0.01).floor(), |v: f64| (v - 0.01).ceil());
                Some(Detection {
                    ground,
                    bbox: [
                        clip(lo(x0), width),
                        clip(lo(y0), height),
                        clip(hi(x1), width),
                        clip(hi(y1), height),
                    ],
                    score: b.score,
                    visibility,
                    inside: visibility >= 0.999,
                    crowded: 0.0,
                })
            })
            .collect()
    }
}

impl PersonDetector for LearnedDetector {
    fn detect(&mut self, frame: &Frame, _priors: &[[f64; 2]]) -> Vec<Detection> {
        match self.model.detect(frame) {
            Ok(boxes) => self.last = boxes,
            Err(e) => {
                tracing::warn!(error = %e, "learned detector failed on a frame");
                self.last.clear();
            }
        }
        self.people(&self.last, frame.width, frame.height)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn letterboxed(frame: &Frame) -> Vec<f32> {
        let mut out = vec![0.0; 3 * INPUT_W * INPUT_H];
        Letterbox::new(frame.width, frame.height).fill(frame, &mut out, &mut Vec::new());
        out
    }

    fn at(input: &[f32], c: usize, x: usize, y: usize) -> f32 {
        input[c * INPUT_W * INPUT_H + y * INPUT_W + x]
    }

    #[test]
    fn area_resampling_averages_the_pixels_an_input_pixel_covers() {
        // 1024 × 576 → 512 × 288: each input pixel is the mean of a 2 × 2 block.
        let (w, h) = (1024u32, 576u32);
        let mut rgb = Vec::new();
        for y in 0..h {
            for x in 0..w {
                rgb.extend_from_slice(&[(x % 2 * 100 + y % 2 * 40) as u8, x as u8, 7]);
            }
        }
        let input = letterboxed(&Frame::new(w, h, rgb, 0).unwrap());
        for (x, y) in [(0, 0), (17, 3), (511, 287)] {
            assert!((at(&input, 0, x, y) - 70.0).abs() < 1e-3);
            let g = ((2 * x) % 256) as f32 + 0.5;
            assert!((at(&input, 1, x, y) - g).abs() < 1e-3, "{x},{y}");
            assert!((at(&input, 2, x, y) - 7.0).abs() < 1e-4);
        }
    }

    #[test]
    fn a_frame_of_another_aspect_is_padded_with_grey() {
        // 640 × 480 → 384 × 288 at x 64..448.
        let f = Frame::new(640, 480, vec![200; 640 * 480 * 3], 0).unwrap();
        let input = letterboxed(&f);
        for c in 0..3 {
            assert_eq!(at(&input, c, 63, 100), PAD);
            assert!((at(&input, c, 64, 100) - 200.0).abs() < 1e-3);
            assert!((at(&input, c, 447, 287) - 200.0).abs() < 1e-3);
            assert_eq!(at(&input, c, 448, 0), PAD);
        }
        let lb = Letterbox::new(640, 480);
        assert_eq!(lb.to_frame(64.0, 0.0), (0.0, 0.0));
        assert_eq!(lb.to_frame(448.0, 288.0), (640.0, 480.0));
    }

    #[test]
    fn a_small_frame_is_enlarged_linearly() {
        // 256 × 144 → 512 × 288; a horizontal ramp stays a ramp, the ends held.
        let (w, h) = (256u32, 144u32);
        let mut rgb = Vec::new();
        for _ in 0..h {
            for x in 0..w {
                rgb.extend_from_slice(&[x as u8, 0, 0]);
            }
        }
        let input = letterboxed(&Frame::new(w, h, rgb, 0).unwrap());
        assert_eq!(at(&input, 0, 0, 10), 0.0);
        assert!((at(&input, 0, 100, 10) - 49.75).abs() < 1e-3);
        assert_eq!(at(&input, 0, 511, 10), 255.0);
    }

    #[test]
    fn a_second_peak_on_the_same_object_is_dropped_and_a_neighbour_kept() {
        let b = |class, bbox, score| BoxDetection { class, bbox, score };
        let mut trucks = vec![
            b(Class::Person, [0.0, 0.0, 10.0, 30.0], 0.9),
            b(Class::Truck, [0.0, 0.0, 300.0, 100.0], 0.9),
            // Along the same truck: small IoU, but wholly inside it.
            b(Class::Truck, [150.0, 10.0, 290.0, 95.0], 0.6),
            // A second truck behind, overlapping a third of the first.
            b(Class::Truck, [200.0, 0.0, 500.0, 100.0], 0.5),
        ];
        suppress(&mut trucks, 1);
        assert_eq!(trucks.len(), 3);
        assert_eq!(trucks[2].bbox[0], 200.0);
        let mut people = vec![
            b(Class::Person, [0.0, 0.0, 10.0, 30.0], 0.9),
            b(Class::Person, [1.0, 0.0, 11.0, 30.0], 0.8),
            // The person behind in a file: half inside, IoU under 0.6, kept.
            b(Class::Person, [3.0, -10.0, 13.0, 20.0], 0.7),
        ];
        suppress(&mut people, 0);
        let xs: Vec<f64> = people.iter().map(|p| p.bbox[0]).collect();
        assert_eq!(xs, [0.0, 3.0]);
    }

    #[test]
    fn a_plateau_is_one_peak_and_a_shoulder_none() {
        let mut heat = vec![0.0f32; GRID_W * GRID_H];
        heat[10 * GRID_W + 20] = 0.7;
        heat[10 * GRID_W + 21] = 0.7;
        heat[11 * GRID_W + 21] = 0.6;
        let peaks: Vec<_> = (0..GRID_H)
            .flat_map(|y| (0..GRID_W).map(move |x| (x, y)))
            .filter(|&(x, y)| {
                heat[y * GRID_W + x] > 0.0 && is_peak(&heat, x, y, heat[y * GRID_W + x])
            })
            .collect();
        assert_eq!(peaks, [(20, 10)]);
    }
}

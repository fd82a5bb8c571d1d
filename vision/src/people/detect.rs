//! Person detection: calibrated person templates fitted to the foreground, explaining it away.
//!
//! Key design decision: **detect people on the ground plane, not blobs in the image.** From the
//! installer's calibration every ground point has a known image footprint of a standing person
//! there (feet at the point, head at 1.7 m, shoulders 0.45 m wide; leaning with perspective).
//! Candidates on a 10 cm grid around the counting edge are scored against the foreground mask
//! with row prefix sums: `U − λ·B`, `U` the foreground not yet explained by an earlier pick, `B`
//! the background inside the template; foreground already explained by a nearer person counts
//! neither way, so a person half hidden behind another is still found from the head and
//! shoulders that show. The template is a silhouette (narrow head and legs, wide shoulders), not
//! a box: a box fits two people in file about as well as one. The best candidate is picked, its
//! foreground is marked explained, the candidates it touches are re-scored, and so on until none
//! is good enough. Greedy picks depend on their order (the first pick in a file takes the
//! densest foreground, where one person's head meets the next one's legs), so they are then
//! refined jointly on the union of their silhouettes: each is placed again given all the others,
//! and one that two people explain better is split. Two people walking side by side or in file
//! are two picks, not one merged blob. The result is a ground position (what counting needs) and
//! a box measured on the person's own foreground pixels, the nearer person's first where they
//! overlap (what capture needs).
//!
//! The detector sits behind [`PersonDetector`], so a learned detector (e.g. an ONNX model giving
//! boxes, whose feet map to the ground with the same calibration) can replace it.

use crate::calib::Projector;
use crate::frame::Frame;

use super::foreground::{Background, BackgroundSettings, GreyImage, downscale, scale_for};

/// One person found in one frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Detection {
    /// Ground point of the feet, metres.
    pub ground: [f64; 2],
    /// Box of the person's pixels, full-frame pixels `[x0, y0, x1, y1)`.
    pub bbox: [u32; 4],
    /// Template score (higher is surer).
    pub score: f32,
    /// Share of the template covered by this person's own (unexplained) foreground, 0–1; low
    /// when partly hidden by a nearer person or cut by the image border.
    pub visibility: f32,
    /// Whether the template lies wholly inside the image.
    pub inside: bool,
    /// Foreground left unexplained by every pick next to this person (a band above the head
    /// and below the feet in the box's columns), per pixel of the box, 0–1: someone not found
    /// is standing in the same image column, so the box may hold part of them. Capture uses it
    /// to prefer clear views; detection and tracking ignore it.
    pub crowded: f32,
}

/// Anything that finds people in a frame and places them on the ground.
pub trait PersonDetector {
    /// The people in `frame`. `priors` are where tracked people are predicted to stand now
    /// (ground points); a detector may favour hypotheses there (tracking-by-detection with
    /// feedback) or ignore them.
    fn detect(&mut self, frame: &Frame, priors: &[[f64; 2]]) -> Vec<Detection>;
}

/// Tunables of the template detector.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TemplateSettings {
    /// Template height (head top), metres.
    pub height_m: f64,
    /// Template width (shoulders), metres.
    pub width_m: f64,
    /// Ground grid step, metres.
    pub grid_m: f64,
    /// Penalty weight of background inside the template.
    pub lambda: f32,
    /// Penalty weight of unexplained foreground just below the feet (the template sits too far
    /// back on someone whose legs go on below it).
    pub mu_below: f32,
    /// Height of that band below the feet, as a share of the template height.
    pub below_share: f32,
    /// Least foreground density among the pixels not explained by a nearer person.
    pub min_density: f32,
    /// Least own foreground as a share of the whole template.
    pub min_support: f32,
    /// Least share of the template inside the image.
    pub min_in_image: f32,
    /// No two people closer than this on the ground, metres.
    pub min_separation_m: f64,
    /// Bonus for a template at a tracked person's predicted position, share of its area.
    pub prior_weight: f32,
    /// Radius of that bonus, metres.
    pub prior_radius_m: f64,
    /// How far outside and inside of the edge people are looked for, metres.
    pub depth_m: f64,
    /// How far beyond the edge's ends people are looked for, metres.
    pub margin_m: f64,
}

impl Default for TemplateSettings {
    fn default() -> Self {
        TemplateSettings {
            height_m: 1.7,
            width_m: 0.45,
            grid_m: 0.1,
            lambda: 0.7,
            mu_below: 1.5,
            below_share: 0.12,
            min_density: 0.45,
            min_support: 0.12,
            min_in_image: 0.35,
            min_separation_m: 0.42,
            prior_weight: 0.0,
            prior_radius_m: 0.3,
            depth_m: 4.5,
            margin_m: 1.2,
        }
    }
}

/// A candidate's footprint in the working image.
#[derive(Debug, Clone, Copy)]
struct Cand {
    ground: [f64; 2],
    /// First and last+1 row (clipped to the image).
    y0: usize,
    y1: usize,
    /// Unclipped top row and the centre x there, and dx per row.
    top: f32,
    x_top: f32,
    slope: f32,
    /// Half width at the shoulders' [`SILHOUETTE`] factor 1, working pixels.
    hw: f32,
    /// Rows (unclipped) where the silhouette's parts meet, top down: head–neck, neck–torso,
    /// torso–legs; and the feet.
    breaks: [f32; 3],
    bottom: f32,
    /// Unclipped template area, working pixels².
    area_full: f32,
    /// Clipped bounding box in working pixels (x0, x1).
    bx0: usize,
    bx1: usize,
    /// Where this candidate's row spans (rows `y0..y1`) start in [`TemplateDetector::spans`].
    spans_at: usize,
    /// The silhouette's in-image area, working pixels.
    area_in: u32,
}

impl Cand {
    fn span(&self, y: usize, w: usize) -> (usize, usize) {
        let yc = y as f32 + 0.5;
        let cx = self.x_top + self.slope * (yc - self.top);
        let part = self.breaks.iter().take_while(|b| yc >= **b).count();
        let hw = self.hw * SILHOUETTE[part].1;
        let l = (cx - hw).round().clamp(0.0, w as f32) as usize;
        let r = (cx + hw).round().clamp(0.0, w as f32) as usize;
        (l, r)
    }
}

/// The template detector on a foreground model.
#[derive(Debug, Clone)]
pub struct TemplateDetector {
    settings: TemplateSettings,
    scale: u32,
    bg: Background,
    grey: GreyImage,
    cands: Vec<Cand>,
    /// Frame size the candidates were built for.
    size: (u32, u32),
    projector: Projector,
    edge: [[f64; 2]; 2],
    // scratch
    pf: Vec<u32>,
    pu: Vec<u32>,
    explained: Vec<u8>,
    scores: Vec<f32>,
    priors: Vec<[f64; 2]>,
    integral: Vec<u32>,
    coverage: Vec<u8>,
    /// Every candidate's silhouette span `[l, r)` per row, precomputed (the template is fixed
    /// once the frame size is): scoring and covering read them instead of rounding per row.
    spans: Vec<(u16, u16)>,
    /// The candidates on their ground grid, for searches near a point.
    grid: Grid,
    /// Each candidate's silhouette foreground this frame; `u32::MAX`: too little in its box
    /// to be acceptable, never scored.
    fg_in: Vec<u32>,
}

/// Candidate index per ground-grid cell (along the edge × across it), `u32::MAX` where the
/// template does not fit the picture; cells in the order the candidates were built.
#[derive(Debug, Clone, Default)]
struct Grid {
    /// The edge's first point, the unit vector along it (the inside normal is its left turn),
    /// the first cell's offsets along and across, and the cell size, metres.
    origin: [f64; 2],
    along: [f64; 2],
    start: [f64; 2],
    step_m: f64,
    steps_u: i64,
    steps_n: i64,
    at: Vec<u32>,
}

impl Grid {
    /// Candidates in the cells within `radius` of `g` (and a cell more), in build order.
    fn near(&self, g: [f64; 2], radius: f64) -> impl Iterator<Item = usize> + '_ {
        let [ux, uy] = self.along;
        let (px, py) = (g[0] - self.origin[0], g[1] - self.origin[1]);
        let ci = ((px * ux + py * uy - self.start[0]) / self.step_m).round() as i64;
        let cj = ((px * -uy + py * ux - self.start[1]) / self.step_m).round() as i64;
        let reach = (radius / self.step_m).ceil() as i64 + 1;
        let cols = (cj - reach).max(0)..(cj + reach + 1).min(self.steps_n);
        ((ci - reach).max(0)..(ci + reach + 1).min(self.steps_u))
            .flat_map(move |gi| {
                cols.clone()
                    .map(move |gj| self.at[(gi * self.steps_n + gj) as usize])
            })
            .filter(|i| *i != u32::MAX)
            .map(|i| i as usize)
    }
}

/// Signed distance of `p` from the line `a → b`, positive on the left (inside).
pub fn side(edge: &[[f64; 2]; 2], p: [f64; 2]) -> f64 {
    let [a, b] = *edge;
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len = (dx * dx + dy * dy).sqrt().max(1e-9);
    (dx * (p[1] - a[1]) - dy * (p[0] - a[0])) / len
}

/// Position of `p` along `a → b` from `a`, metres.
pub fn along(edge: &[[f64; 2]; 2], p: [f64; 2]) -> f64 {
    let [a, b] = *edge;
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len = (dx * dx + dy * dy).sqrt().max(1e-9);
    (dx * (p[0] - a[0]) + dy * (p[1] - a[1])) / len
}

impl TemplateDetector {
    /// A detector for a camera with this projector (full-frame size) and counting edge.
    pub fn new(
        projector: Projector,
        edge: [[f64; 2]; 2],
        settings: TemplateSettings,
    ) -> TemplateDetector {
        let mut d = TemplateDetector {
            settings,
            scale: scale_for(projector.width()),
            bg: Background::new(BackgroundSettings::default()),
            grey: GreyImage {
                width: 0,
                height: 0,
                px: Vec::new(),
            },
            cands: Vec::new(),
            size: (projector.width(), projector.height()),
            projector,
            edge,
            pf: Vec::new(),
            pu: Vec::new(),
            explained: Vec::new(),
            scores: Vec::new(),
            priors: Vec::new(),
            integral: Vec::new(),
            coverage: Vec::new(),
            spans: Vec::new(),
            grid: Grid::default(),
            fg_in: Vec::new(),
        };
        d.build_candidates();
        d
    }

    /// The downscale factor (full-frame pixels per working pixel).
    pub fn scale(&self) -> u32 {
        self.scale
    }

    /// The foreground model (for diagnostics).
    pub fn background(&self) -> &Background {
        &self.bg
    }

    fn build_candidates(&mut self) {
        let s = f64::from(self.scale);
        let (w, h) = (
            (self.size.0 / self.scale) as f32,
            (self.size.1 / self.scale) as f32,
        );
        let st = self.settings;
        let [a, b] = self.edge;
        let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
        let len = (dx * dx + dy * dy).sqrt().max(1e-9);
        let (ux, uy) = (dx / len, dy / len); // along the edge
        let (nx, ny) = (-uy, ux); // inside normal
        let steps_u = ((len + 2.0 * st.margin_m) / st.grid_m).ceil() as i64;
        let steps_n = (2.0 * st.depth_m / st.grid_m).ceil() as i64;
        let mut cands = Vec::new();
        self.grid = Grid {
            origin: a,
            along: [ux, uy],
            start: [-st.margin_m, -st.depth_m],
            step_m: st.grid_m,
            steps_u: steps_u + 1,
            steps_n: steps_n + 1,
            at: Vec::new(),
        };
        for i in 0..=steps_u {
            let t = -st.margin_m + i as f64 * st.grid_m;
            for j in 0..=steps_n {
                let n = -st.depth_m + j as f64 * st.grid_m;
                let g = [a[0] + ux * t + nx * n, a[1] + uy * t + ny * n];
                let Some(c) = self.footprint(g, s, w, h) else {
                    self.grid.at.push(u32::MAX);
                    continue;
                };
                self.grid.at.push(cands.len() as u32);
                cands.push(c);
            }
        }
        self.spans.clear();
        for c in &mut cands {
            c.spans_at = self.spans.len();
            for y in c.y0..c.y1 {
                let (l, r) = c.span(y, w as usize);
                self.spans.push((l as u16, r as u16));
                c.area_in += r.saturating_sub(l) as u32;
            }
        }
        self.cands = cands;
        self.scores = vec![f32::NEG_INFINITY; self.cands.len()];
        self.fg_in = vec![u32::MAX; self.cands.len()];
    }

    /// The template of a person standing at ground point `g`, in working pixels.
    fn footprint(&self, g: [f64; 2], s: f64, w: f32, h: f32) -> Option<Cand> {
        let st = self.settings;
        let p = &self.projector;
        let (fx, fy, _) = p.project([g[0], g[1], 0.0])?;
        let (hx, hy, _) = p.project([g[0], g[1], st.height_m])?;
        // Half width at mid height, measured across the camera's view.
        let (mx, my, md) = p.project([g[0], g[1], st.height_m * 0.5])?;
        let _ = my;
        let half_px = p.focal_px() * st.width_m * 0.5 / md;
        let (fx, fy, hx, hy, mx) = (fx / s, fy / s, hx / s, hy / s, mx / s);
        let _ = mx;
        let hw = (half_px / s) as f32;
        if fy <= hy + 2.0 {
            return None; // degenerate (camera looking straight down at it)
        }
        let top = hy as f32;
        let bottom = fy as f32;
        let slope = ((fx - hx) / (fy - hy)) as f32;
        let mut breaks = [0.0f32; 3];
        for (b, (z, _)) in breaks.iter_mut().zip(&SILHOUETTE[1..]) {
            *b = (p.project([g[0], g[1], st.height_m * z])?.1 / s) as f32;
        }
        let y0 = top.max(0.0).floor() as usize;
        let y1 = bottom.min(h).ceil().max(0.0) as usize;
        if y1 <= y0 + 1 {
            return None;
        }
        let widest = hw * SILHOUETTE.iter().map(|p| p.1).fold(0.0, f32::max);
        let xs = [
            hx as f32 - widest,
            hx as f32 + widest,
            fx as f32 - widest,
            fx as f32 + widest,
        ];
        let bx0 = xs.iter().copied().fold(f32::INFINITY, f32::min).max(0.0) as usize;
        let bx1 = xs
            .iter()
            .copied()
            .fold(f32::NEG_INFINITY, f32::max)
            .min(w)
            .max(0.0)
            .ceil() as usize;
        if bx1 <= bx0 + 1 {
            return None;
        }
        let mut c = Cand {
            ground: g,
            y0,
            y1,
            top,
            x_top: hx as f32,
            slope,
            hw,
            breaks,
            bottom,
            area_full: 0.0,
            bx0,
            bx1,
            spans_at: 0,
            area_in: 0,
        };
        // The whole silhouette's area, and its share inside the image.
        let (mut area_full, mut inside) = (0.0f32, 0.0f32);
        let mut y = top.floor();
        while y < bottom {
            let yc = y + 0.5;
            let part = c.breaks.iter().take_while(|b| yc >= **b).count();
            area_full += 2.0 * hw * SILHOUETTE[part].1;
            y += 1.0;
        }
        c.area_full = area_full;
        for y in y0..y1 {
            let (l, r) = c.span(y, w as usize);
            inside += r.saturating_sub(l) as f32;
        }
        (inside >= st.min_in_image * area_full).then_some(c)
    }

    /// Score of candidate `i` with the current prefix sums: `(score, U, B, in-image area)`.
    fn score(&self, i: usize) -> (f32, f32, f32, f32) {
        let c = &self.cands[i];
        let w = self.grey.width;
        let stride = w + 1;
        let f = self.fg_in[i];
        if f == u32::MAX {
            // Too little foreground in its box to ever be acceptable (see `run`).
            return (f32::NEG_INFINITY, 0.0, c.area_in as f32, c.area_in as f32);
        }
        let (mut u, area) = (0u32, c.area_in);
        let spans = &self.spans[c.spans_at..c.spans_at + (c.y1 - c.y0)];
        for (y, &(l, r)) in (c.y0..c.y1).zip(spans) {
            let row = y * stride;
            u += self.pu[row + usize::from(r)] - self.pu[row + usize::from(l)];
        }
        // Unexplained foreground in a band below the feet, with the bottom row's span.
        let h = self.grey.height;
        let band = (((c.y1 - c.y0) as f32) * self.settings.below_share).ceil() as usize;
        let mut below = 0u32;
        if c.y1 < h && c.y1 > 0 {
            let (l, r) = spans[spans.len() - 1];
            let (l, r) = (usize::from(l), usize::from(r));
            for y in c.y1..(c.y1 + band).min(h) {
                let row = y * stride;
                below += self.pu[row + r] - self.pu[row + l];
            }
        }
        let (f, u, area) = (f as f32, u as f32, area as f32);
        let b = area - f;
        (
            u - self.settings.lambda * b - self.settings.mu_below * below as f32,
            u,
            b,
            area,
        )
    }

    fn acceptable(&self, i: usize, u: f32, b: f32) -> bool {
        let c = &self.cands[i];
        let st = self.settings;
        u + b > 0.0 && u / (u + b) >= st.min_density && u >= st.min_support * c.area_full
    }

    fn rescore(&mut self, i: usize) {
        let (sc, u, b, _) = self.score(i);
        self.scores[i] = if self.acceptable(i, u, b) {
            sc + self.prior_bonus(i)
        } else {
            f32::NEG_INFINITY
        };
    }

    /// A small bonus for a template where a tracked person is predicted: among near-equal fits
    /// of a column of people in file, the one consistent with their motion wins.
    fn prior_bonus(&self, i: usize) -> f32 {
        let c = &self.cands[i];
        let r = self.settings.prior_radius_m;
        let d = self
            .priors
            .iter()
            .map(|p| ((p[0] - c.ground[0]).powi(2) + (p[1] - c.ground[1]).powi(2)).sqrt())
            .fold(f64::INFINITY, f64::min);
        if d >= r {
            0.0
        } else {
            self.settings.prior_weight * c.area_full * (1.0 - (d / r) as f32)
        }
    }

    fn prefix_rows(&mut self, y0: usize, y1: usize, unexplained_only: bool) {
        let w = self.grey.width;
        let stride = w + 1;
        let mask = &self.bg.mask;
        for y in y0..y1 {
            let row = y * stride;
            let mut acc_f = 0u32;
            let mut acc_u = 0u32;
            if !unexplained_only {
                self.pf[row] = 0;
            }
            self.pu[row] = 0;
            for x in 0..w {
                let m = u32::from(mask[y * w + x]);
                acc_f += m;
                acc_u += m & u32::from(self.explained[y * w + x] == 0);
                if !unexplained_only {
                    self.pf[row + x + 1] = acc_f;
                }
                self.pu[row + x + 1] = acc_u;
            }
        }
    }

    /// [`Self::prefix_rows`] of the unexplained foreground on rows `y0..y1` where nothing left of
    /// column `x0` changed: the prefix up to `x0` stands.
    fn prefix_unexplained_from(&mut self, y0: usize, y1: usize, x0: usize) {
        let w = self.grey.width;
        let stride = w + 1;
        let x0 = x0.min(w);
        for y in y0..y1 {
            let row = y * stride;
            let mut acc_u = self.pu[row + x0];
            let mask = &self.bg.mask[y * w + x0..(y + 1) * w];
            let explained = &self.explained[y * w + x0..(y + 1) * w];
            for (k, (m, e)) in mask.iter().zip(explained).enumerate() {
                acc_u += u32::from(*m) & u32::from(*e == 0);
                self.pu[row + x0 + k + 1] = acc_u;
            }
        }
    }

    /// Runs segmentation and the greedy fit on a frame.
    fn run(&mut self, frame: &Frame) -> Vec<Detection> {
        if (frame.width, frame.height) != self.size {
            // A stream of another size than configured: rebuild for it.
            self.size = (frame.width, frame.height);
            self.scale = scale_for(frame.width);
            self.build_candidates();
        }
        downscale(frame, self.scale, &mut self.grey);
        self.bg.apply_at(&self.grey, frame.pts_ns);
        let (w, h) = (self.grey.width, self.grey.height);
        if self.bg.age == 0 || self.bg.frozen || w == 0 || h == 0 {
            return Vec::new();
        }
        self.pf.resize((w + 1) * h, 0);
        self.pu.resize((w + 1) * h, 0);
        self.explained.clear();
        self.explained.resize(w * h, 0);
        self.prefix_rows(0, h, false);
        // Column sums of the row prefixes give a 2-D integral: a candidate whose bounding box
        // holds too little foreground to ever be accepted is skipped without a row walk.
        let stride = w + 1;
        self.integral.clear();
        self.integral.resize(stride * (h + 1), 0);
        for y in 0..h {
            for x in 0..=w {
                self.integral[(y + 1) * stride + x] =
                    self.integral[y * stride + x] + self.pf[y * stride + x];
            }
        }
        for i in 0..self.cands.len() {
            let c = &self.cands[i];
            let ii = |x: usize, y: usize| self.integral[y * stride + x];
            let in_box = ii(c.bx1, c.y1) + ii(c.bx0, c.y0) - ii(c.bx0, c.y1) - ii(c.bx1, c.y0);
            if (in_box as f32) < self.settings.min_support * c.area_full {
                self.fg_in[i] = u32::MAX;
                self.scores[i] = f32::NEG_INFINITY;
                continue;
            }
            // The silhouette's foreground: fixed for the frame (only what is explained changes).
            let spans = &self.spans[c.spans_at..c.spans_at + (c.y1 - c.y0)];
            self.fg_in[i] = (c.y0..c.y1)
                .zip(spans)
                .map(|(y, &(l, r))| {
                    self.pf[y * stride + usize::from(r)] - self.pf[y * stride + usize::from(l)]
                })
                .sum();
            self.rescore(i);
        }
        let st = self.settings;
        // Greedy picks: the best template claims its foreground, the templates it touches are
        // re-scored, and so on.
        let mut picks: Vec<Pick> = Vec::new();
        for _ in 0..MAX_PEOPLE {
            let Some((best, &sc)) = self
                .scores
                .iter()
                .enumerate()
                .filter(|(_, s)| s.is_finite())
                .max_by(|a, b| a.1.total_cmp(b.1))
            else {
                break;
            };
            let (_, u, _, area) = self.score(best);
            let id = picks.len() as u8 + 1;
            let claim = self.claim(best, id);
            picks.push(Pick {
                cand: best,
                score: sc,
                u,
                area,
                claim,
            });
            // Suppress neighbours on the ground, re-score templates that overlap the claim.
            let c = self.cands[best];
            let wide = Cand {
                hw: c.hw * 1.4,
                ..c
            };
            let (bx0, bx1) = (
                wide.bx0.saturating_sub((c.hw * 0.6) as usize),
                (wide.bx1 + (c.hw * 0.6) as usize).min(w),
            );
            let (ya, yb) = (claim.ya, claim.yb);
            for i in 0..self.cands.len() {
                let o = self.cands[i];
                if dist2(o.ground, c.ground) < st.min_separation_m * st.min_separation_m {
                    self.scores[i] = f32::NEG_INFINITY;
                    continue;
                }
                if !self.scores[i].is_finite() {
                    continue;
                }
                let o_below = o.y1 + (((o.y1 - o.y0) as f32) * st.below_share).ceil() as usize;
                let overlaps = o.y0 < yb && ya < o_below && o.bx0 < bx1 && bx0 < o.bx1;
                if overlaps {
                    self.rescore(i);
                }
            }
        }
        self.refine(&mut picks);
        let s = self.scale;
        let mut out = Vec::new();
        // Each pick's claimed pixels' box, on the foreground grid.
        let mut claims: Vec<[usize; 4]> = Vec::new();
        for p in &picks {
            let c = self.cands[p.cand];
            let Some([x0, y0, x1, y1]) = p.claim.bbox else {
                continue;
            };
            let inside = c.y0 > 0 || c.top >= 0.0;
            let inside = inside && (c.y1 as f32) >= c.bottom - 0.5 && c.bx0 > 0 && c.bx1 < w;
            out.push(Detection {
                ground: c.ground,
                bbox: [
                    x0 as u32 * s,
                    y0 as u32 * s,
                    (x1 as u32 * s).min(self.size.0),
                    (y1 as u32 * s).min(self.size.1),
                ],
                score: p.score,
                visibility: (p.u / c.area_full).min(1.0),
                inside: inside && p.area >= 0.98 * c.area_full,
                crowded: 0.0,
            });
            claims.push([x0, y0, x1, y1]);
        }
        // What no pick explained, next to each pick (see `Detection::crowded`).
        for (d, b) in out.iter_mut().zip(&claims) {
            let [x0, y0, x1, y1] = *b;
            let bh = y1 - y0;
            let (ya, yb) = (y0.saturating_sub(bh * 3 / 10), (y1 + bh / 5).min(h));
            let mut left = 0usize;
            for y in (ya..y0).chain(y1..yb) {
                left += (x0..x1)
                    .filter(|x| self.bg.mask[y * w + x] == 1 && self.explained[y * w + x] == 0)
                    .count();
            }
            d.crowded = (left as f32 / ((x1 - x0) * bh).max(1) as f32).min(1.0);
        }
        out
    }

    /// Marks the foreground of a person at candidate `i` as explained by pick `id`: the template
    /// widened by 40 %, with head room above, and the legs going on below it (a taller person,
    /// or one placed a little far) while the rows under its feet are mostly this person's.
    fn claim(&mut self, i: usize, id: u8) -> Claim {
        let c = self.cands[i];
        let (w, h) = (self.grey.width, self.grey.height);
        let wide = Cand {
            hw: c.hw * 1.4,
            ..c
        };
        let extra = ((c.y1 - c.y0) as f32 * 0.05) as usize;
        let ya = c.y0.saturating_sub(extra);
        let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0usize, 0usize);
        let mut leftmost = w;
        for y in ya..c.y1 {
            let (l, r) = wide.span(y.max(c.y0), w);
            leftmost = leftmost.min(l);
            for x in l..r {
                let i = y * w + x;
                if self.bg.mask[i] == 1 && self.explained[i] == 0 {
                    self.explained[i] = id;
                    x0 = x0.min(x);
                    x1 = x1.max(x + 1);
                    y0 = y0.min(y);
                    y1 = y1.max(y + 1);
                }
            }
        }
        let mut yb = c.y1;
        if c.y1 > 0 {
            let (l, r) = wide.span(c.y1 - 1, w);
            leftmost = leftmost.min(l);
            while yb < h && r > l {
                let row = &self.bg.mask[yb * w + l..yb * w + r];
                let exp = &self.explained[yb * w + l..yb * w + r];
                let own = row
                    .iter()
                    .zip(exp)
                    .filter(|(m, e)| **m == 1 && **e == 0)
                    .count();
                if (own as f32) < 0.25 * (r - l) as f32 || yb >= c.y1 + (c.y1 - c.y0) * 3 / 10 {
                    break;
                }
                for x in l..r {
                    let i = yb * w + x;
                    if self.bg.mask[i] == 1 && self.explained[i] == 0 {
                        self.explained[i] = id;
                        x0 = x0.min(x);
                        x1 = x1.max(x + 1);
                        y1 = y1.max(yb + 1);
                    }
                }
                yb += 1;
            }
        }
        self.prefix_unexplained_from(ya, yb, leftmost);
        Claim {
            ya,
            yb,
            bbox: (x1 > x0 && y1 > y0).then_some([x0, y0, x1, y1]),
        }
    }

    /// Adds (`+1`) or removes (`-1`) the region a person at candidate `i` takes in the
    /// coverage map (the silhouette itself), and updates `explained` (covered by anyone) and
    /// the prefix sums on its rows.
    fn cover(&mut self, i: usize, delta: i8) {
        let c = self.cands[i];
        let w = self.grey.width;
        let ya = c.y0;
        for y in ya..c.y1 {
            let (l, r) = self.spans[c.spans_at + (y - c.y0)];
            for x in usize::from(l)..usize::from(r) {
                let k = y * w + x;
                self.coverage[k] = self.coverage[k].saturating_add_signed(delta);
                self.explained[k] = u8::from(self.coverage[k] > 0);
            }
        }
        self.prefix_unexplained_from(ya, c.y1, c.bx0);
    }

    /// The best acceptable candidate within `radius` of `g` and at least the least separation
    /// from every point of `others`, scored against the coverage as it stands: `(candidate,
    /// score, own foreground, in-image area)`. `keep` wins a tie, so a pick does not wander.
    fn best_near(
        &self,
        g: [f64; 2],
        radius: f64,
        others: &[[f64; 2]],
        keep: Option<usize>,
    ) -> Option<(usize, f32, f32, f32)> {
        let sep2 = self.settings.min_separation_m * self.settings.min_separation_m;
        let r2 = radius * radius;
        let mut best: Option<(usize, f32, f32, f32)> = None;
        // Only the cells near `g`, in build order (ties go to the lower index, as a scan of
        // every candidate would have it).
        for i in self.grid.near(g, radius) {
            let o = self.cands[i].ground;
            if dist2(o, g) > r2 || others.iter().any(|q| dist2(*q, o) < sep2) {
                continue;
            }
            let (sc, u, b, area) = self.score(i);
            if !self.acceptable(i, u, b) {
                continue;
            }
            let sc = if Some(i) == keep { sc + 1e-3 } else { sc };
            if best.is_none_or(|x| sc > x.1) {
                best = Some((i, sc, u, area));
            }
        }
        best
    }

    /// Ground points of the picks but those in `except`.
    fn grounds(&self, picks: &[Pick], except: &[usize]) -> Vec<[f64; 2]> {
        picks
            .iter()
            .enumerate()
            .filter(|(m, _)| !except.contains(m))
            .map(|(_, p)| self.cands[p.cand].ground)
            .collect()
    }

    /// Joint refinement of the greedy picks on the union of their regions, whatever order they
    /// were found in: each pick in turn is taken out and placed again, within
    /// [`REFINE_RADIUS_M`], where it best explains the foreground no other pick's region covers
    /// ([`Self::settle`]); and a pick that two people explain better than one is split
    /// ([`Self::split`]). The first pick in a column of people in file is often a template
    /// across two of them (the densest foreground is where one's head meets the other's legs);
    /// placed again, or split, it lands on its own person.
    fn refine(&mut self, picks: &mut Vec<Pick>) {
        let n = self.explained.len();
        self.explained.clear();
        self.explained.resize(n, 0);
        self.coverage.clear();
        self.coverage.resize(n, 0);
        self.prefix_rows(0, self.grey.height, true);
        for p in picks.iter() {
            self.cover(p.cand, 1);
        }
        self.settle(picks);
        let mut k = 0;
        while k < picks.len() && picks.len() < MAX_PEOPLE {
            if self.split(picks, k) {
                self.settle(picks);
            } else {
                k += 1;
            }
        }
        // The final claims, nearest the camera first: where people overlap in the picture, the
        // nearer one is in front.
        self.explained.iter_mut().for_each(|e| *e = 0);
        self.prefix_rows(0, self.grey.height, true);
        let mut order: Vec<usize> = (0..picks.len()).collect();
        order.sort_by_key(|k| std::cmp::Reverse(self.cands[picks[*k].cand].y1));
        for k in order {
            picks[k].claim = self.claim(picks[k].cand, k as u8 + 1);
        }
    }

    /// Coordinate passes of [`Self::refine`] until no pick moves.
    fn settle(&mut self, picks: &mut [Pick]) {
        for _ in 0..REFINE_PASSES {
            let mut moved = false;
            for k in 0..picks.len() {
                let cur = picks[k].cand;
                self.cover(cur, -1);
                let others = self.grounds(picks, &[k]);
                match self.best_near(self.cands[cur].ground, REFINE_RADIUS_M, &others, Some(cur)) {
                    Some((i, sc, u, area)) => {
                        moved |= i != cur;
                        self.cover(i, 1);
                        picks[k] = Pick {
                            cand: i,
                            score: sc,
                            u,
                            area,
                            ..picks[k]
                        };
                    }
                    None => self.cover(cur, 1),
                }
            }
            if !moved {
                break;
            }
        }
    }

    /// Tries two people in place of pick `k`: the best two templates within
    /// [`SPLIT_RADIUS_M`], each placed again given the other; kept when each explains enough
    /// foreground of its own (acceptable given the other) and the two explain more than the one
    /// by [`SPLIT_GAIN`] of a template's area.
    fn split(&mut self, picks: &mut Vec<Pick>, k: usize) -> bool {
        let cur = picks[k].cand;
        self.cover(cur, -1);
        let others = self.grounds(picks, &[k]);
        let single = self.score(cur).0;
        let g = self.cands[cur].ground;
        let with = |mut o: Vec<[f64; 2]>, p: [f64; 2]| {
            o.push(p);
            o
        };
        let Some(mut a) = self.best_near(g, SPLIT_RADIUS_M, &others, None) else {
            self.cover(cur, 1);
            return false;
        };
        self.cover(a.0, 1);
        let Some(mut b) = self.best_near(
            g,
            SPLIT_RADIUS_M,
            &with(others.clone(), self.cands[a.0].ground),
            None,
        ) else {
            self.cover(a.0, -1);
            self.cover(cur, 1);
            return false;
        };
        self.cover(b.0, 1);
        let mut ok = true;
        for _ in 0..2 {
            for first in [true, false] {
                let (me, other) = if first { (&mut a, b) } else { (&mut b, a) };
                self.cover(me.0, -1);
                let o = with(others.clone(), self.cands[other.0].ground);
                match self.best_near(self.cands[me.0].ground, REFINE_RADIUS_M, &o, Some(me.0)) {
                    Some(x) => *me = x,
                    None => ok = false,
                }
                self.cover(me.0, 1);
            }
        }
        // J(a ∪ b) = score(a | others) + score(b | others ∪ a).
        self.cover(a.0, -1);
        self.cover(b.0, -1);
        let sa = self.score(a.0).0;
        self.cover(a.0, 1);
        let sb = self.score(b.0).0;
        self.cover(b.0, 1);
        let area = self.cands[cur].area_full;
        if ok && sa + sb > single + SPLIT_GAIN * area {
            tracing::trace!(single, sa, sb, "split");
            picks[k] = Pick {
                cand: a.0,
                score: a.1,
                u: a.2,
                area: a.3,
                ..picks[k]
            };
            picks.push(Pick {
                cand: b.0,
                score: b.1,
                u: b.2,
                area: b.3,
                ..picks[k]
            });
            true
        } else {
            self.cover(a.0, -1);
            self.cover(b.0, -1);
            self.cover(cur, 1);
            false
        }
    }
}

/// The shape of a standing person, top down: (share of the height where a part starts, its half
/// width as a share of [`TemplateSettings::width_m`]'s half). Head and helmet, neck, shoulders
/// and torso with the arms, legs; after the simulator's miner and the people it stands for. A
/// box the width of the shoulders from head to feet fits two people in file about as well as
/// one (the densest foreground is where the nearer one's head meets the farther one's legs);
/// the narrow head and legs of a silhouette do not.
const SILHOUETTE: [(f64, f32); 4] = [(1.0, 0.62), (0.865, 0.45), (0.82, 1.2), (0.52, 0.75)];

/// Most people one frame is searched for.
const MAX_PEOPLE: usize = 24;
/// How far a pick may move in one refinement step, metres.
const REFINE_RADIUS_M: f64 = 0.8;
/// Refinement passes over all picks at most.
const REFINE_PASSES: usize = 3;
/// How far from a pick [`TemplateDetector::split`] looks for the two people it may stand for.
const SPLIT_RADIUS_M: f64 = 1.0;
/// How much more two people must explain than one, as a share of a template's area.
const SPLIT_GAIN: f32 = 0.05;

/// A greedy pick: its candidate, score, own foreground `u`, in-image area and claim.
#[derive(Debug, Clone, Copy)]
struct Pick {
    cand: usize,
    score: f32,
    u: f32,
    area: f32,
    claim: Claim,
}

/// The rows a pick's claim spans and the box of the pixels it claimed (working pixels).
#[derive(Debug, Clone, Copy)]
struct Claim {
    ya: usize,
    yb: usize,
    bbox: Option<[usize; 4]>,
}

fn dist2(a: [f64; 2], b: [f64; 2]) -> f64 {
    (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)
}

impl PersonDetector for TemplateDetector {
    fn detect(&mut self, frame: &Frame, priors: &[[f64; 2]]) -> Vec<Detection> {
        self.priors.clear();
        self.priors.extend_from_slice(priors);
        self.run(frame)
    }
}

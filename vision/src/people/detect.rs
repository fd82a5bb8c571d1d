//! Person detection: calibrated person templates fitted to the foreground, explaining it away.
//!
//! Key design decision: **detect people on the ground plane, not blobs in the image.** From the
//! installer's calibration every ground point has a known image footprint of a standing person
//! there (feet at the point, head at 1.7 m, shoulders 0.45 m wide; leaning with perspective).
//! Candidates on a 10 cm grid around the counting edge are scored against the foreground mask
//! with row prefix sums: `U − λ·B`, `U` the foreground not yet explained by an earlier pick, `B`
//! the background inside the template; foreground already explained by a nearer person counts
//! neither way, so a person half hidden behind another is still found from the head and
//! shoulders that show. The best candidate is picked, its foreground is marked explained, the
//! candidates it touches are re-scored, and so on until none is good enough. Two people walking
//! side by side or in file are two picks, not one merged blob. The result is a ground position
//! (what counting needs) and a box measured on the person's own foreground pixels (what capture
//! needs).
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
    /// Half width, working pixels.
    hw: f32,
    /// Unclipped template area, working pixels².
    area_full: f32,
    /// Clipped bounding box in working pixels (x0, x1).
    bx0: usize,
    bx1: usize,
}

impl Cand {
    fn span(&self, y: usize, w: usize) -> (usize, usize) {
        let cx = self.x_top + self.slope * (y as f32 + 0.5 - self.top);
        let l = (cx - self.hw).round().clamp(0.0, w as f32) as usize;
        let r = (cx + self.hw).round().clamp(0.0, w as f32) as usize;
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
    pub fn new(projector: Projector, edge: [[f64; 2]; 2], settings: TemplateSettings) -> TemplateDetector {
        let mut d = TemplateDetector {
            settings,
            scale: scale_for(projector.width()),
            bg: Background::new(BackgroundSettings::default()),
            grey: GreyImage { width: 0, height: 0, px: Vec::new() },
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
        let (w, h) = ((self.size.0 / self.scale) as f32, (self.size.1 / self.scale) as f32);
        let st = self.settings;
        let [a, b] = self.edge;
        let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
        let len = (dx * dx + dy * dy).sqrt().max(1e-9);
        let (ux, uy) = (dx / len, dy / len); // along the edge
        let (nx, ny) = (-uy, ux); // inside normal
        let steps_u = ((len + 2.0 * st.margin_m) / st.grid_m).ceil() as i64;
        let steps_n = (2.0 * st.depth_m / st.grid_m).ceil() as i64;
        let mut cands = Vec::new();
        for i in 0..=steps_u {
            let t = -st.margin_m + i as f64 * st.grid_m;
            for j in 0..=steps_n {
                let n = -st.depth_m + j as f64 * st.grid_m;
                let g = [a[0] + ux * t + nx * n, a[1] + uy * t + ny * n];
                let Some(c) = self.footprint(g, s, w, h) else { continue };
                cands.push(c);
            }
        }
        self.cands = cands;
        self.scores = vec![f32::NEG_INFINITY; self.cands.len()];
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
        let area_full = (bottom - top) * 2.0 * hw;
        let y0 = top.max(0.0).floor() as usize;
        let y1 = bottom.min(h).ceil().max(0.0) as usize;
        if y1 <= y0 + 1 {
            return None;
        }
        let xs = [hx as f32 - hw, hx as f32 + hw, fx as f32 - hw, fx as f32 + hw];
        let bx0 = xs.iter().copied().fold(f32::INFINITY, f32::min).max(0.0) as usize;
        let bx1 = xs.iter().copied().fold(f32::NEG_INFINITY, f32::max).min(w).max(0.0).ceil() as usize;
        if bx1 <= bx0 + 1 {
            return None;
        }
        let c = Cand { ground: g, y0, y1, top, x_top: hx as f32, slope, hw, area_full, bx0, bx1 };
        // Share inside the image.
        let mut inside = 0.0f32;
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
        let (mut f, mut u, mut area) = (0u32, 0u32, 0u32);
        for y in c.y0..c.y1 {
            let (l, r) = c.span(y, w);
            if r <= l {
                continue;
            }
            let row = y * stride;
            f += self.pf[row + r] - self.pf[row + l];
            u += self.pu[row + r] - self.pu[row + l];
            area += (r - l) as u32;
        }
        // Unexplained foreground in a band below the feet, with the bottom row's span.
        let h = self.grey.height;
        let band = (((c.y1 - c.y0) as f32) * self.settings.below_share).ceil() as usize;
        let mut below = 0u32;
        if c.y1 < h && c.y1 > 0 {
            let (l, r) = c.span(c.y1 - 1, w);
            for y in c.y1..(c.y1 + band).min(h) {
                let row = y * stride;
                below += self.pu[row + r] - self.pu[row + l];
            }
        }
        let (f, u, area) = (f as f32, u as f32, area as f32);
        let b = area - f;
        (u - self.settings.lambda * b - self.settings.mu_below * below as f32, u, b, area)
    }

    fn acceptable(&self, i: usize, u: f32, b: f32) -> bool {
        let c = &self.cands[i];
        let st = self.settings;
        u + b > 0.0 && u / (u + b) >= st.min_density && u >= st.min_support * c.area_full
    }

    fn rescore(&mut self, i: usize) {
        let (sc, u, b, _) = self.score(i);
        self.scores[i] = if self.acceptable(i, u, b) { sc + self.prior_bonus(i) } else { f32::NEG_INFINITY };
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
        if d >= r { 0.0 } else { self.settings.prior_weight * c.area_full * (1.0 - (d / r) as f32) }
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
                self.integral[(y + 1) * stride + x] = self.integral[y * stride + x] + self.pf[y * stride + x];
            }
        }
        for i in 0..self.cands.len() {
            let c = &self.cands[i];
            let ii = |x: usize, y: usize| self.integral[y * stride + x];
            let in_box = ii(c.bx1, c.y1) + ii(c.bx0, c.y0) - ii(c.bx0, c.y1) - ii(c.bx1, c.y0);
            if (in_box as f32) < self.settings.min_support * c.area_full {
                self.scores[i] = f32::NEG_INFINITY;
                continue;
            }
            self.rescore(i);
        }
        let s = self.scale;
        let st = self.settings;
        let mut out = Vec::new();
        // Each pick's claimed pixels' box, on the foreground grid.
        let mut claims: Vec<[usize; 4]> = Vec::new();
        for _ in 0..24 {
            let Some((best, &sc)) = self
                .scores
                .iter()
                .enumerate()
                .filter(|(_, s)| s.is_finite())
                .max_by(|a, b| a.1.total_cmp(b.1))
            else {
                break;
            };
            let c = self.cands[best];
            let (_, u, _, area) = self.score(best);
            // Claim this person's foreground: the template widened by half, head room above.
            let wide = Cand { hw: c.hw * 1.4, ..c };
            let extra = ((c.y1 - c.y0) as f32 * 0.05) as usize;
            let ya = c.y0.saturating_sub(extra);
            let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0usize, 0usize);
            for y in ya..c.y1 {
                let (l, r) = wide.span(y.max(c.y0), w);
                for x in l..r {
                    let i = y * w + x;
                    if self.bg.mask[i] == 1 && self.explained[i] == 0 {
                        self.explained[i] = 1;
                        x0 = x0.min(x);
                        x1 = x1.max(x + 1);
                        y0 = y0.min(y);
                        y1 = y1.max(y + 1);
                    }
                }
            }
            // Legs going on below the template (a taller person, or one placed a little far):
            // grow the claim downwards while the rows under its feet are mostly this person's.
            let mut yb = c.y1;
            if c.y1 > 0 {
                let (l, r) = wide.span(c.y1 - 1, w);
                while yb < h && r > l {
                    let row = &self.bg.mask[yb * w + l..yb * w + r];
                    let exp = &self.explained[yb * w + l..yb * w + r];
                    let own = row.iter().zip(exp).filter(|(m, e)| **m == 1 && **e == 0).count();
                    if (own as f32) < 0.25 * (r - l) as f32 || yb >= c.y1 + (c.y1 - c.y0) * 3 / 10 {
                        break;
                    }
                    for x in l..r {
                        let i = yb * w + x;
                        if self.bg.mask[i] == 1 && self.explained[i] == 0 {
                            self.explained[i] = 1;
                            x0 = x0.min(x);
                            x1 = x1.max(x + 1);
                            y1 = y1.max(yb + 1);
                        }
                    }
                    yb += 1;
                }
            }
            self.prefix_rows(ya, yb, true);
            let inside = c.y0 > 0 || c.top >= 0.0;
            let inside = inside && (c.y1 as f32) >= (c.top + c.area_full / (2.0 * c.hw)) - 0.5 && c.bx0 > 0 && c.bx1 < w;
            if x1 > x0 && y1 > y0 {
                out.push(Detection {
                    ground: c.ground,
                    bbox: [x0 as u32 * s, y0 as u32 * s, (x1 as u32 * s).min(self.size.0), (y1 as u32 * s).min(self.size.1)],
                    score: sc,
                    visibility: (u / c.area_full).min(1.0),
                    inside: inside && area >= 0.98 * c.area_full,
                    crowded: 0.0,
                });
                claims.push([x0, y0, x1, y1]);
            }
            // Suppress neighbours on the ground, re-score templates that overlap the claim.
            let (bx0, bx1) = (wide.bx0.saturating_sub((c.hw * 0.6) as usize), (wide.bx1 + (c.hw * 0.6) as usize).min(w));
            for i in 0..self.cands.len() {
                let o = self.cands[i];
                let dx = o.ground[0] - c.ground[0];
                let dy = o.ground[1] - c.ground[1];
                if dx * dx + dy * dy < st.min_separation_m * st.min_separation_m {
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
        // What no pick explained, next to each pick (see `Detection::crowded`).
        for (d, b) in out.iter_mut().zip(&claims) {
            let [x0, y0, x1, y1] = *b;
            let bh = y1 - y0;
            let (ya, yb) = (y0.saturating_sub(bh * 3 / 10), (y1 + bh / 5).min(h));
            let mut left = 0usize;
            for y in (ya..y0).chain(y1..yb) {
                left += (x0..x1).filter(|x| self.bg.mask[y * w + x] == 1 && self.explained[y * w + x] == 0).count();
            }
            d.crowded = (left as f32 / ((x1 - x0) * bh).max(1) as f32).min(1.0);
        }
        out
    }
}

impl PersonDetector for TemplateDetector {
    fn detect(&mut self, frame: &Frame, priors: &[[f64; 2]]) -> Vec<Detection> {
        self.priors.clear();
        self.priors.extend_from_slice(priors);
        self.run(frame)
    }
}

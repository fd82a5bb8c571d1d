//! Foreground segmentation: a downscaled grey image against an adaptive background.
//!
//! Key design decision: **work small, normalise the light, adapt slowly under objects.** Each
//! frame is box-filtered down to a working image about 320 px wide (an `s × s` block per working
//! pixel, luma `(R + 2G + B) / 4`), which averages sensor noise away and makes every later step
//! cheap. Lamp flicker and exposure ramps scale the whole picture, so each frame's global gain
//! against the background is estimated (a robust median of ratios) and divided out before
//! differencing. The background follows the scene quickly where nothing is in front of it and
//! very slowly under foreground, so a person who stops on the edge for several seconds stays
//! foreground. A change of most of the picture at once (the camera switching between colour and
//! IR, C6, or a cover put on or taken off, U4) resets the model instead of flooding the detector,
//! and the background is then learnt again from a median of frames, as at start-up.

use crate::frame::Frame;

/// Working-image width the downscale aims at.
pub const TARGET_WIDTH: u32 = 320;

/// A downscaled grey image, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct GreyImage {
    pub width: usize,
    pub height: usize,
    pub px: Vec<f32>,
}

/// The downscale factor for a frame width (working width ≈ [`TARGET_WIDTH`]).
pub fn scale_for(width: u32) -> u32 {
    width.div_ceil(TARGET_WIDTH).max(1)
}

/// Box-filters `frame` by `s × s` blocks into grey levels 0–255 (partial blocks at the right and
/// bottom edges are dropped).
pub fn downscale(frame: &Frame, s: u32, out: &mut GreyImage) {
    let s = s.max(1) as usize;
    let (w, h) = (frame.width as usize / s, frame.height as usize / s);
    out.width = w;
    out.height = h;
    out.px.clear();
    out.px.resize(w * h, 0.0);
    let stride = frame.width as usize * 3;
    let rgb = &frame.rgb[..];
    let norm = 1.0 / (4.0 * (s * s) as f32);
    let mut acc = vec![0u32; w];
    // The block's rows summed channel by channel first (a plain vector add), then each block
    // of the summed row weighted and added once.
    let mut rows = vec![0u16; w * s * 3];
    for oy in 0..h {
        rows.iter_mut().for_each(|v| *v = 0);
        for dy in 0..s {
            let row = &rgb[(oy * s + dy) * stride..][..w * s * 3];
            for (v, b) in rows.iter_mut().zip(row) {
                *v += u16::from(*b);
            }
        }
        // Fixed block widths unroll (the common working scales: 640, 960, 1280, 1920 and
        // 2560 pixels wide).
        match s {
            2 => luma_blocks::<6>(&rows, &mut acc),
            3 => luma_blocks::<9>(&rows, &mut acc),
            4 => luma_blocks::<12>(&rows, &mut acc),
            6 => luma_blocks::<18>(&rows, &mut acc),
            8 => luma_blocks::<24>(&rows, &mut acc),
            _ => {
                for (a, block) in acc.iter_mut().zip(rows.chunks_exact(s * 3)) {
                    *a = block
                        .chunks_exact(3)
                        .map(|p| u32::from(p[0]) + 2 * u32::from(p[1]) + u32::from(p[2]))
                        .sum();
                }
            }
        }
        for (o, a) in out.px[oy * w..(oy + 1) * w].iter_mut().zip(&acc) {
            *o = *a as f32 * norm;
        }
    }
}

/// Each `B / 3`-pixel block's `R + 2G + B` of a row of channel sums, into its accumulator.
fn luma_blocks<const B: usize>(row: &[u16], acc: &mut [u32]) {
    for (a, block) in acc.iter_mut().zip(row.chunks_exact(B)) {
        let mut sum = 0u32;
        for (k, v) in block.iter().enumerate() {
            sum += u32::from(*v) << u32::from(k % 3 == 1);
        }
        *a = sum;
    }
}

/// Settings of the background model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BackgroundSettings {
    /// Learning rate where the pixel is background (per frame).
    pub alpha_bg: f32,
    /// Learning rate where the pixel is foreground (per frame).
    pub alpha_fg: f32,
    /// Absolute difference threshold, grey levels.
    pub abs_threshold: f32,
    /// Relative difference threshold (fraction of the background level).
    pub rel_threshold: f32,
    /// Fraction of foreground above which the model resets (a global change of the picture).
    pub reset_fraction: f32,
}

impl Default for BackgroundSettings {
    fn default() -> Self {
        BackgroundSettings {
            alpha_bg: 0.03,
            alpha_fg: 0.0004,
            abs_threshold: 9.0,
            rel_threshold: 0.09,
            reset_fraction: 0.55,
        }
    }
}

/// An adaptive background with light normalisation.
#[derive(Debug, Clone)]
pub struct Background {
    settings: BackgroundSettings,
    bg: Vec<f32>,
    width: usize,
    height: usize,
    /// The last frame's foreground mask (1 = foreground).
    pub mask: Vec<u8>,
    /// The last frame's global gain against the background.
    pub gain: f32,
    /// Frames since the last reset.
    pub age: u64,
    /// The last frame repeated the one before exactly (a frozen picture): nothing was learnt.
    pub frozen: bool,
    ratios: Vec<f32>,
    /// Start-up samples (a few seconds apart) whose per-pixel median is the first background,
    /// so people already in view at start-up do not stay as ghosts.
    samples: Vec<Vec<f32>>,
    last_sample_ns: Option<u64>,
    last: Vec<f32>,
}

/// Start-up samples taken for the median background.
const WARMUP_SAMPLES: usize = 7;
/// Spacing of the start-up samples, ns.
const WARMUP_SPACING_NS: u64 = 400_000_000;

impl Background {
    /// An empty model; the first frame becomes the background.
    pub fn new(settings: BackgroundSettings) -> Background {
        Background {
            settings,
            bg: Vec::new(),
            width: 0,
            height: 0,
            mask: Vec::new(),
            gain: 1.0,
            age: 0,
            frozen: false,
            ratios: Vec::new(),
            samples: Vec::new(),
            last_sample_ns: None,
            last: Vec::new(),
        }
    }

    /// Working-image size.
    pub fn size(&self) -> (usize, usize) {
        (self.width, self.height)
    }

    /// The background level at a working pixel.
    pub fn level(&self, x: usize, y: usize) -> f32 {
        self.bg.get(y * self.width + x).copied().unwrap_or(0.0)
    }

    fn reset(&mut self, img: &GreyImage) {
        self.bg.clone_from(&img.px);
        self.width = img.width;
        self.height = img.height;
        self.mask.clear();
        self.mask.resize(img.px.len(), 0);
        self.gain = 1.0;
        self.age = 0;
    }

    /// Segments `img` (taken at `pts_ns`) and updates the model; the mask is in
    /// [`Background::mask`].
    pub fn apply_at(&mut self, img: &GreyImage, pts_ns: u64) {
        if img.width != self.width || img.height != self.height || self.bg.is_empty() {
            self.reset(img);
            self.samples.clear();
            self.samples.push(img.px.clone());
            self.last_sample_ns = Some(pts_ns);
            self.last.clone_from(&img.px);
            return;
        }
        // A frozen picture (identical to the last one, sensor noise and all): learn nothing.
        self.frozen =
            self.last.len() == img.px.len() && self.last.iter().zip(&img.px).all(|(a, b)| a == b);
        self.last.clone_from(&img.px);
        if self.frozen {
            return;
        }
        if self.samples.len() < WARMUP_SAMPLES
            && self
                .last_sample_ns
                .is_some_and(|t| pts_ns >= t + WARMUP_SPACING_NS)
        {
            self.samples.push(img.px.clone());
            self.last_sample_ns = Some(pts_ns);
            if self.samples.len() >= 3 {
                let mut v = Vec::with_capacity(self.samples.len());
                for (i, b) in self.bg.iter_mut().enumerate() {
                    v.clear();
                    v.extend(self.samples.iter().map(|s| s[i]));
                    v.sort_unstable_by(f32::total_cmp);
                    *b = v[v.len() / 2];
                }
            }
        }
        self.apply(img);
        if self.age == 0 {
            // A global change reset the model onto this frame, people and all: learn the new
            // background again from samples a few seconds apart, as at start-up, so whoever
            // stood in view at the reset does not stay as a ghost.
            self.samples.clear();
            self.samples.push(img.px.clone());
            self.last_sample_ns = Some(pts_ns);
        }
    }

    /// Segments `img` and updates the model; the mask is in [`Background::mask`].
    pub fn apply(&mut self, img: &GreyImage) {
        if img.width != self.width || img.height != self.height || self.bg.is_empty() {
            self.reset(img);
            return;
        }
        // Global gain: median of ratios on a sparse sample of reasonably lit pixels.
        self.ratios.clear();
        for i in (0..img.px.len()).step_by(7) {
            let b = self.bg[i];
            if b > 6.0 {
                self.ratios.push(img.px[i] / b);
            }
        }
        let gain = if self.ratios.len() > 16 {
            let mid = self.ratios.len() / 2;
            let (_, m, _) = self.ratios.select_nth_unstable_by(mid, f32::total_cmp);
            m.clamp(0.2, 5.0)
        } else {
            1.0
        };
        let s = self.settings;
        let mut fg = 0usize;
        for ((m, &p), b) in self.mask.iter_mut().zip(&img.px).zip(self.bg.iter_mut()) {
            let expect = *b * gain;
            let d = (p - expect).abs();
            let is_fg = d > s.abs_threshold.max(s.rel_threshold * expect);
            *m = u8::from(is_fg);
            fg += usize::from(is_fg);
            let a = if is_fg { s.alpha_fg } else { s.alpha_bg };
            *b += a * (p / gain - *b);
        }
        if fg as f32 > s.reset_fraction * img.px.len() as f32 {
            self.reset(img);
            return;
        }
        self.gain = gain;
        self.age += 1;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn flat(w: u32, h: u32, v: u8) -> Frame {
        Frame::new(w, h, vec![v; (w * h * 3) as usize], 0).unwrap()
    }

    #[test]
    fn downscale_averages_blocks_and_weights_green_twice() {
        let mut f = flat(8, 4, 0);
        let rgb = std::sync::Arc::make_mut(&mut f.rgb);
        // pixel (0,0) pure green 200: luma (0 + 400 + 0) / 4 = 100; block of 4 → 25
        rgb[1] = 200;
        let mut g = GreyImage {
            width: 0,
            height: 0,
            px: vec![],
        };
        downscale(&f, 2, &mut g);
        assert_eq!((g.width, g.height), (4, 2));
        assert!((g.px[0] - 25.0).abs() < 1e-4, "{}", g.px[0]);
        assert_eq!(g.px[1], 0.0);
    }

    #[test]
    fn a_dark_object_is_foreground_and_a_global_dimming_is_not() {
        let mut bg = Background::new(BackgroundSettings::default());
        let mut img = GreyImage {
            width: 20,
            height: 10,
            px: vec![120.0; 200],
        };
        bg.apply(&img);
        // 30 % dimmer everywhere (lamp flicker): no foreground.
        img.px.iter_mut().for_each(|p| *p *= 0.7);
        bg.apply(&img);
        assert_eq!(
            bg.mask.iter().filter(|m| **m == 1).count(),
            0,
            "gain {}",
            bg.gain
        );
        // a dark 3×3 patch: foreground exactly there.
        for y in 2..5 {
            for x in 4..7 {
                img.px[y * 20 + x] = 20.0;
            }
        }
        bg.apply(&img);
        assert_eq!(bg.mask.iter().filter(|m| **m == 1).count(), 9);
        assert_eq!(bg.mask[3 * 20 + 5], 1);
    }

    #[test]
    fn a_change_of_the_whole_picture_resets_the_model() {
        let mut bg = Background::new(BackgroundSettings::default());
        let mut img = GreyImage {
            width: 20,
            height: 10,
            px: vec![120.0; 200],
        };
        bg.apply(&img);
        bg.apply(&img);
        for (i, p) in img.px.iter_mut().enumerate() {
            *p = if i % 2 == 0 { 10.0 } else { 250.0 };
        }
        bg.apply(&img);
        assert_eq!(bg.age, 0, "reset");
        assert!(bg.mask.iter().all(|m| *m == 0));
    }
}

//! Light model: a surface's base colour → the colour drawn, per primitive (not per pixel).
//!
//! Colour mode: `base × light × dusk tint`, light from the ambient level (site lamps keep a floor
//! at night). IR mode: grey = luminance of the base colour × the camera's IR fill, which falls
//! off with the square of depth; retro-reflective tape comes back near white. Then haze mixes
//! toward a grey veil with depth. The per-frame lamp flicker and exposure gain are applied
//! later, as a global gain (see `post`), so the static background can be cached.

use super::geom::Mat;
use crate::scene::{ColourMode, Lighting};

/// Direction toward the sun (not normalised), the same for every site and camera: shading of
/// the flat primitives, the realistic bodies and their cast shadows all use it.
pub(crate) const SUN: [f32; 3] = [0.35, 0.25, 0.90];

/// Lighting quantised so the cached background is a pure function of the key.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Light {
    pub mode: ColourMode,
    /// 0..=1, quantised to 1/128.
    pub ambient: f32,
    /// 0..=1, quantised to 1/128.
    pub dusk: f32,
    /// 0..=1, quantised to 1/128.
    pub haze: f32,
}

/// Depth scale of haze (metres): at this depth haze reaches 63 % of its strength.
const HAZE_DEPTH_M: f32 = 25.0;
/// Depth at which the IR fill has fallen to half (metres).
const IR_RANGE_M: f32 = 8.0;

fn q(v: f32) -> f32 {
    (v.clamp(0.0, 1.0) * 128.0).round() / 128.0
}

impl Light {
    pub fn new(l: &Lighting, haze: f32) -> Light {
        Light {
            mode: l.mode,
            ambient: q(l.ambient),
            dusk: q(l.dusk),
            haze: q(haze),
        }
    }

    pub fn is_ir(&self) -> bool {
        self.mode == ColourMode::InfraredMono
    }

    /// IR fill at a depth, relative (1.0 near the camera).
    pub fn ir_fill(depth: f32) -> f32 {
        1.0 / (1.0 + (depth / IR_RANGE_M).powi(2))
    }

    /// Haze veil amount at a depth.
    pub fn haze_at(&self, depth: f32) -> f32 {
        self.haze * (1.0 - (-depth.max(0.0) / HAZE_DEPTH_M).exp())
    }

    /// Colour of the haze veil (already lit).
    pub fn haze_rgb(&self) -> [f32; 3] {
        if self.is_ir() {
            [0.35; 3]
        } else {
            let l = self.light_level();
            let t = self.tint();
            [0.74 * l * t[0], 0.74 * l * t[1], 0.72 * l * t[2]]
        }
    }

    /// Daylight level incl. the site-lamp floor.
    pub fn light_level(&self) -> f32 {
        0.10 + 0.90 * self.ambient
    }

    /// Dusk tint per channel.
    pub fn tint(&self) -> [f32; 3] {
        let d = self.dusk;
        [1.0 + 0.05 * d, 1.0 - 0.18 * d, 1.0 - 0.40 * d]
    }

    /// The lit colour (0..=1 per channel) of a surface.
    pub fn shade(&self, rgb: [u8; 3], mat: Mat, facing: f32, depth: f32) -> [f32; 3] {
        let b = [
            rgb[0] as f32 / 255.0,
            rgb[1] as f32 / 255.0,
            rgb[2] as f32 / 255.0,
        ];
        let mut c = if self.is_ir() {
            let lum = 0.30 * b[0] + 0.59 * b[1] + 0.11 * b[2];
            let fill = Self::ir_fill(depth);
            let g = match mat {
                Mat::Emissive | Mat::Glow | Mat::Bloom => 1.0,
                Mat::Retro => (2.5 * fill).min(1.0),
                Mat::Diffuse => (lum * 1.4 + 0.06) * fill * facing,
            };
            [g; 3]
        } else {
            match mat {
                Mat::Emissive | Mat::Glow | Mat::Bloom => b,
                Mat::Retro | Mat::Diffuse => {
                    let l = self.light_level() * facing;
                    let t = self.tint();
                    [b[0] * l * t[0], b[1] * l * t[1], b[2] * l * t[2]]
                }
            }
        };
        if !matches!(mat, Mat::Emissive | Mat::Glow | Mat::Bloom) {
            let h = self.haze_at(depth);
            let hz = self.haze_rgb();
            for i in 0..3 {
                c[i] = c[i] + (hz[i] - c[i]) * h;
            }
        }
        c.map(|v| v.clamp(0.0, 1.0))
    }

    /// Orientation factor of a surface with unit normal `n` (z up) seen from direction
    /// `to_cam` (unit): sun from above-left by day, the camera's own fill at night.
    pub fn facing(&self, n: [f32; 3], to_cam: [f32; 3]) -> f32 {
        if self.is_ir() {
            let d = n[0] * to_cam[0] + n[1] * to_cam[1] + n[2] * to_cam[2];
            0.55 + 0.45 * d.max(0.0)
        } else {
            let s = SUN;
            let sl = (s[0] * s[0] + s[1] * s[1] + s[2] * s[2]).sqrt();
            let d = (n[0] * s[0] + n[1] * s[1] + n[2] * s[2]) / sl;
            0.62 + 0.38 * d.max(0.0)
        }
    }
}

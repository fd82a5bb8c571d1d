//! Motion blur of the realistic path: a moving person smeared along where each of its pixels
//! travels while the shutter is open (long at night, so swinging legs and arms blur as on real
//! CCTV). The truth is not blurred: the id mask stays the sharp body at the frame's instant,
//! the middle of the exposure.
//!
//! Scatter, not gather: each pixel of the person is spread in equal parts over the segment it
//! sweeps (its screen displacement, per vertex from [`super::body`], interpolated by the
//! rasteriser), and the picture behind shows through wherever the person covered a pixel for
//! only part of the exposure.

use super::body::Mesh;
use super::num::{ceil, round_i32};
use super::raster::Coverage;

/// A person moving less than this (half the sweep, pixels) is not swept: its rect is not
/// marked as smeared.
pub(crate) const MIN_PX: f32 = 0.35;
/// A person whose every pixel moves less than this is not smeared: below one pixel each way
/// each pixel's only tap is the pixel itself, so the smear would give back the sharp person
/// (the margin keeps that true through the rounding of the interpolated displacements).
pub(crate) const SMEAR_PX: f32 = 0.99;
/// The longest half-sweep drawn, pixels (a faster limb is clamped).
const MAX_PX: f32 = 31.0;
/// The most taps a pixel is spread over (odd).
const MAX_TAPS: usize = 31;

/// Where along its sweep each tap of a pixel with `2 n + 1` taps lies: `TAP_AT[n][k]` is
/// `2 k / (taps − 1) − 1`, from −1 (half a shutter time before) to 1 (after); 0 for one tap.
const TAP_AT: [[f32; MAX_TAPS]; MAX_TAPS / 2 + 1] = {
    let mut t = [[0.0; MAX_TAPS]; MAX_TAPS / 2 + 1];
    let mut n = 1;
    while n <= MAX_TAPS / 2 {
        let taps = 2 * n + 1;
        let mut k = 0;
        while k < taps {
            t[n][k] = 2.0 * k as f32 / (taps - 1) as f32 - 1.0;
            k += 1;
        }
        n += 1;
    }
    t
};

/// Scratch buffers for the blur, reused from frame to frame.
#[derive(Debug, Default)]
pub(crate) struct Blur {
    /// The canvas under the person's sweep before the person was drawn (RGBA rows of the rect).
    behind: Vec<u8>,
    acc: Vec<[f32; 4]>,
}

/// The longest half-sweep of a mesh, pixels (0 when it is still).
pub(crate) fn reach(mesh: &Mesh) -> f32 {
    mesh.motion
        .iter()
        .map(|(x, y)| x.abs().max(y.abs()))
        .fold(0.0, f32::max)
        .min(MAX_PX)
}

/// A pixel rect grown by `by`, clipped to the frame.
pub(crate) fn sweep_rect(r: (u32, u32, u32, u32), by: f32, w: u32, h: u32) -> (u32, u32, u32, u32) {
    let b = by.ceil() as u32 + 1;
    (
        r.0.saturating_sub(b),
        r.1.saturating_sub(b),
        (r.2 + b).min(w),
        (r.3 + b).min(h),
    )
}

impl Blur {
    /// Keeps what lies under `rect` of `data` before the person is drawn there.
    #[inline(never)]
    pub fn save_behind(&mut self, data: &[u8], w: u32, rect: (u32, u32, u32, u32)) {
        self.behind.clear();
        for y in rect.1..rect.3 {
            let a = ((y * w + rect.0) * 4) as usize;
            let b = ((y * w + rect.2) * 4) as usize;
            self.behind.extend_from_slice(&data[a..b]);
        }
    }

    /// Smears the person just drawn into `data` (`w` wide) over `rect` (the one given to
    /// [`Blur::save_behind`]): every pixel `cover` says the mesh covers is spread along its
    /// displacement, interpolated from the mesh's per-vertex motion.
    #[inline(never)]
    pub fn smear(
        &mut self,
        data: &mut [u8],
        w: u32,
        rect: (u32, u32, u32, u32),
        mesh: &Mesh,
        cover: &Coverage,
    ) {
        if mesh.motion.len() != mesh.verts.len() {
            return;
        }
        let (rw, rh) = ((rect.2 - rect.0) as usize, (rect.3 - rect.1) as usize);
        self.acc.clear();
        self.acc.resize(rw * rh, [0.0; 4]);
        let acc = &mut self.acc;
        let (ox, oy) = (rect.0 as i32, rect.1 as i32);
        cover.for_each_xy(|(px, py), t, wts| {
            let tri = &mesh.tris[t];
            let m = tri.v.map(|k| mesh.motion[k as usize]);
            let vx = (wts[0] * m[0].0 + wts[1] * m[1].0 + wts[2] * m[2].0).clamp(-MAX_PX, MAX_PX);
            let vy = (wts[0] * m[0].1 + wts[1] * m[1].1 + wts[2] * m[2].1).clamp(-MAX_PX, MAX_PX);
            let (x, y) = (px as i32 - ox, py as i32 - oy);
            let i = (py as usize * w as usize + px as usize) * 4;
            let c = [data[i], data[i + 1], data[i + 2]].map(f32::from);
            // An odd number of taps, at most two pixels apart (the lens softening after fills
            // between), so the pixel itself gets one.
            let taps = (ceil(vx.abs().max(vy.abs())) as usize | 1).min(MAX_TAPS);
            let wt = 1.0 / taps as f32;
            let cw = [c[0] * wt, c[1] * wt, c[2] * wt, wt];
            for &f in &TAP_AT[taps / 2][..taps] {
                let qx = x + round_i32(vx * f);
                let qy = y + round_i32(vy * f);
                // Negative coordinates wrap to large ones: one unsigned test per axis.
                if (qx as u32 as usize) < rw && (qy as u32 as usize) < rh {
                    let a = &mut acc[qy as usize * rw + qx as usize];
                    for (a, c) in a.iter_mut().zip(cw) {
                        *a += c;
                    }
                }
            }
        });
        self.compose(data, w, rect);
    }

    /// The smeared person over what was behind it, where it stayed for part of the exposure.
    #[inline(never)]
    fn compose(&self, data: &mut [u8], w: u32, rect: (u32, u32, u32, u32)) {
        let (rw, rh) = ((rect.2 - rect.0) as usize, (rect.3 - rect.1) as usize);
        for y in 0..rh {
            for x in 0..rw {
                let a = self.acc[y * rw + x];
                let i = ((rect.1 as usize + y) * w as usize + rect.0 as usize + x) * 4;
                let j = (y * rw + x) * 4;
                let px = &mut data[i..i + 3];
                if a[3] <= 0.0 {
                    px.copy_from_slice(&self.behind[j..j + 3]);
                } else if a[3] >= 1.0 {
                    for ch in 0..3 {
                        px[ch] = (a[ch] / a[3] + 0.5) as u8;
                    }
                } else {
                    for ch in 0..3 {
                        let b = f32::from(self.behind[j + ch]);
                        px[ch] = (a[ch] + b * (1.0 - a[3]) + 0.5).min(255.0) as u8;
                    }
                }
            }
        }
    }
}

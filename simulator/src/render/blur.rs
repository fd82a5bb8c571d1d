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
use super::raster::Coverage;

/// Displacements below this many pixels (half the sweep) are not worth blurring.
pub(crate) const MIN_PX: f32 = 0.35;
/// The longest half-sweep drawn, pixels (a faster limb is clamped).
const MAX_PX: f32 = 31.0;

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
        let (rw, rh) = ((rect.2 - rect.0) as i64, (rect.3 - rect.1) as i64);
        self.acc.clear();
        self.acc.resize((rw * rh) as usize, [0.0; 4]);
        let acc = &mut self.acc;
        cover.for_each_pixel(w, |i, t, wts| {
            let tri = &mesh.tris[t];
            let m = tri.v.map(|k| mesh.motion[k as usize]);
            let vx = (wts[0] * m[0].0 + wts[1] * m[1].0 + wts[2] * m[2].0).clamp(-MAX_PX, MAX_PX);
            let vy = (wts[0] * m[0].1 + wts[1] * m[1].1 + wts[2] * m[2].1).clamp(-MAX_PX, MAX_PX);
            let (x, y) = (
                (i % w as usize) as i64 - rect.0 as i64,
                (i / w as usize) as i64 - rect.1 as i64,
            );
            let c = [data[i * 4], data[i * 4 + 1], data[i * 4 + 2]].map(f32::from);
            // An odd number of taps, at most two pixels apart (the lens softening after fills
            // between), so the pixel itself gets one.
            let taps = (vx.abs().max(vy.abs()).ceil() as i64 | 1).min(31);
            let wt = 1.0 / taps as f32;
            for k in 0..taps {
                let f = if taps == 1 {
                    0.0
                } else {
                    2.0 * k as f32 / (taps - 1) as f32 - 1.0
                };
                let qx = x + (vx * f).round() as i64;
                let qy = y + (vy * f).round() as i64;
                if qx < 0 || qy < 0 || qx >= rw || qy >= rh {
                    continue;
                }
                let a = &mut acc[(qy * rw + qx) as usize];
                a[0] += c[0] * wt;
                a[1] += c[1] * wt;
                a[2] += c[2] * wt;
                a[3] += wt;
            }
        });
        self.compose(data, w, rect);
    }

    /// The smeared person over what was behind it, where it stayed for part of the exposure.
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

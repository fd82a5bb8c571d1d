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
use super::raster::{self, Ink, N_ATTR, SVert};

/// Displacements below this many pixels (half the sweep) are not worth blurring.
pub(crate) const MIN_PX: f32 = 0.35;
/// The longest half-sweep drawn, pixels (a faster limb is clamped).
const MAX_PX: f32 = 31.0;
/// Velocity code: one byte per axis, 4 steps per pixel around 128.
const CODE_SCALE: f32 = 4.0;

/// Scratch buffers for the blur, reused from frame to frame.
#[derive(Debug, Default)]
pub(crate) struct Blur {
    /// The canvas under the person's sweep before the person was drawn (RGBA rows of the rect).
    behind: Vec<u8>,
    /// Velocity image (full frame RGBA; only rects in use are non-zero, cleared after use).
    vel: Vec<u8>,
    verts: Vec<SVert>,
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

    /// Smears the person just drawn into `data` over `rect` (the one given to
    /// [`Blur::save_behind`]), using `zbuf` for the velocity pass.
    pub fn smear(
        &mut self,
        data: &mut [u8],
        zbuf: &mut [f32],
        (w, h): (u32, u32),
        rect: (u32, u32, u32, u32),
        mesh: &Mesh,
    ) {
        if mesh.motion.len() != mesh.verts.len() {
            return;
        }
        let n = (w * h * 4) as usize;
        if self.vel.len() != n {
            self.vel = vec![0; n];
        }
        // Velocity pass: the same coverage as the colour, each pixel's displacement as colour.
        self.verts.clear();
        self.verts
            .extend(mesh.verts.iter().zip(&mesh.motion).map(|(v, m)| {
                let mut v = *v;
                v.a[0] = m.0.clamp(-MAX_PX, MAX_PX);
                v.a[1] = m.1.clamp(-MAX_PX, MAX_PX);
                v
            }));
        for y in rect.1..rect.3 {
            let a = (y * w + rect.0) as usize;
            zbuf[a..a + (rect.2 - rect.0) as usize].fill(0.0);
        }
        let code = |_: u8, at: &[f32; N_ATTR]| {
            let c = |v: f32| (128.0 + v * CODE_SCALE).round().clamp(1.0, 255.0) as u8;
            [c(at[0]), c(at[1]), 0]
        };
        raster::draw(
            &mut self.vel,
            zbuf,
            w,
            h,
            &self.verts,
            &mesh.tris,
            &Ink::Colour(&code),
        );
        self.scatter(data, w, rect);
    }

    fn scatter(&mut self, data: &mut [u8], w: u32, rect: (u32, u32, u32, u32)) {
        let (rw, rh) = ((rect.2 - rect.0) as i64, (rect.3 - rect.1) as i64);
        self.acc.clear();
        self.acc.resize((rw * rh) as usize, [0.0; 4]);
        for y in 0..rh {
            for x in 0..rw {
                let i = (((rect.1 as i64 + y) * w as i64 + rect.0 as i64 + x) * 4) as usize;
                if self.vel[i + 3] == 0 {
                    continue;
                }
                let vx = (self.vel[i] as f32 - 128.0) / CODE_SCALE;
                let vy = (self.vel[i + 1] as f32 - 128.0) / CODE_SCALE;
                self.vel[i..i + 4].fill(0);
                let c = [data[i], data[i + 1], data[i + 2]].map(f32::from);
                // An odd number of taps, one per pixel swept, so the pixel itself gets one.
                let taps = ((2.0 * vx.abs().max(vy.abs())).ceil() as i64 | 1).min(63);
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
                    let a = &mut self.acc[(qy * rw + qx) as usize];
                    a[0] += c[0] * wt;
                    a[1] += c[1] * wt;
                    a[2] += c[2] * wt;
                    a[3] += wt;
                }
            }
        }
        for y in 0..rh {
            for x in 0..rw {
                let a = self.acc[(y * rw + x) as usize];
                let i = (((rect.1 as i64 + y) * w as i64 + rect.0 as i64 + x) * 4) as usize;
                let j = ((y * rw + x) * 4) as usize;
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

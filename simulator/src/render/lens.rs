//! The realistic path's camera optics: a lens is never pin-sharp. A [1 2 1]/4 blur in both
//! directions (a Gaussian of σ ≈ 0.7 px, what a CCTV lens and sensor give at focus) applied to
//! the cached background once and to each region actors were drawn into, every frame. Light
//! falls off toward the image corners (vignetting), and at night the camera's IR illuminator
//! lights a cone around the optical axis: the picture is a bright centre fading to dark.

use super::camera::Camera;

/// Half-width of the IR illuminator's beam: light falls to 1/e this far off the axis (radians).
const IR_BEAM_RAD: f32 = 0.52;
/// Vignetting: the corners get this much less light than the centre.
const VIGNETTE: f32 = 0.28;

/// Light reaching pixel `(x, y)` relative to the image centre: vignetting, and under IR the
/// illuminator's beam.
pub(crate) fn falloff(cam: &Camera, x: f32, y: f32, ir: bool) -> f32 {
    let (w, h) = (cam.width as f32, cam.height as f32);
    let (dx, dy) = ((x - 0.5 * w) / (0.5 * w), (y - 0.5 * h) / (0.5 * w));
    let r2 = (dx * dx + dy * dy) / (1.0 + (h / w) * (h / w));
    let mut k = 1.0 - VIGNETTE * r2;
    if ir {
        let ray = cam.ray(x, y).norm();
        let off = ray.dot(cam.fwd).clamp(-1.0, 1.0).acos();
        k *= (-(off / IR_BEAM_RAD) * (off / IR_BEAM_RAD)).exp();
    }
    k
}

/// Multiplies every pixel of an RGBA image by its [`falloff`] (the cached background).
pub(crate) fn apply_falloff(data: &mut [u8], cam: &Camera, ir: bool) {
    let w = cam.width as usize;
    for (i, px) in data.chunks_exact_mut(4).enumerate() {
        let k = falloff(cam, (i % w) as f32 + 0.5, (i / w) as f32 + 0.5, ir);
        let k = (k.clamp(0.0, 1.0) * 256.0) as u32;
        for c in &mut px[..3] {
            *c = ((*c as u32 * k) >> 8) as u8;
        }
    }
}

/// Softens the RGBA image `data` (`w` wide) inside `rect` (half-open, clipped by the caller),
/// reading one pixel beyond it where the image has one. `tmp` is scratch.
pub(crate) fn soften(
    data: &mut [u8],
    w: u32,
    h: u32,
    rect: (u32, u32, u32, u32),
    tmp: &mut Vec<u8>,
) {
    let (x0, y0, x1, y1) = (
        rect.0 as usize,
        rect.1 as usize,
        rect.2 as usize,
        rect.3 as usize,
    );
    if x1 <= x0 || y1 <= y0 {
        return;
    }
    let (w, h) = (w as usize, h as usize);
    let rw = (x1 - x0) * 4;
    tmp.clear();
    tmp.resize(rw * (y1 - y0), 0);
    // Horizontal pass into tmp, row by row.
    for y in y0..y1 {
        let row = &data[y * w * 4..(y + 1) * w * 4];
        let out = &mut tmp[(y - y0) * rw..(y - y0 + 1) * rw];
        for x in x0..x1 {
            let (l, c, r) = (x.saturating_sub(1) * 4, x * 4, (x + 1).min(w - 1) * 4);
            let o = (x - x0) * 4;
            for ch in 0..3 {
                let v = row[l + ch] as u32 + 2 * row[c + ch] as u32 + row[r + ch] as u32;
                out[o + ch] = ((v + 2) >> 2) as u8;
            }
        }
    }
    // Vertical pass back into data. A row just outside the rect is read as it is (not blurred
    // horizontally): the one-pixel seam this leaves is below the sensor noise.
    let mut above = vec![0u8; rw];
    for y in y0..y1 {
        let pick = |yy: usize, buf: &mut [u8]| {
            if (y0..y1).contains(&yy) {
                buf.copy_from_slice(&tmp[(yy - y0) * rw..(yy - y0 + 1) * rw]);
            } else {
                buf.copy_from_slice(&data[(yy * w + x0) * 4..(yy * w + x1) * 4]);
            }
        };
        if y == y0 {
            pick(y.saturating_sub(1), &mut above);
        }
        let mut below = vec![0u8; rw];
        pick((y + 1).min(h - 1), &mut below);
        let mid = &tmp[(y - y0) * rw..(y - y0 + 1) * rw];
        let out = &mut data[(y * w + x0) * 4..(y * w + x1) * 4];
        for i in (0..rw).step_by(4) {
            for ch in 0..3 {
                let v = above[i + ch] as u32 + 2 * mid[i + ch] as u32 + below[i + ch] as u32;
                out[i + ch] = ((v + 2) >> 2) as u8;
            }
        }
        above.copy_from_slice(mid);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sharp_edge_is_spread_over_two_pixels_and_flat_areas_stay() {
        let (w, h) = (8u32, 4u32);
        let mut d = vec![0u8; (w * h * 4) as usize];
        for y in 0..h as usize {
            for x in 4..w as usize {
                d[(y * 8 + x) * 4..(y * 8 + x) * 4 + 3].fill(200);
            }
        }
        let mut tmp = Vec::new();
        soften(&mut d, w, h, (0, 0, w, h), &mut tmp);
        let px = |x: usize| d[(8 + x) * 4];
        assert_eq!(
            (px(0), px(2), px(3), px(4), px(5), px(7)),
            (0, 0, 50, 150, 200, 200)
        );
    }
}

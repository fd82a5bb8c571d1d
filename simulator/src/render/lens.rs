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
/// reading one pixel beyond it where the image has one. `tmp` is scratch. All four bytes of a
/// pixel go through the same [1 2 1]/4 sums (an opaque alpha stays 255), so the loops run over
/// plain byte rows and vectorise.
#[inline(never)]
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
    let n = rw * (y1 - y0);
    // tmp: the rect's rows blurred horizontally, one padded source row, and the two rows just
    // outside the rect as they are.
    tmp.clear();
    tmp.resize(n + (rw + 8) + 2 * rw, 0);
    let (rows, rest) = tmp.split_at_mut(n);
    let (pad, outer) = rest.split_at_mut(rw + 8);
    // Horizontal pass into tmp, row by row, through the row padded with its neighbours (the
    // image's edge pixel repeated beyond it).
    let (l, r) = (x0.saturating_sub(1) * 4, x1.min(w - 1) * 4);
    for y in y0..y1 {
        let row = &data[y * w * 4..(y + 1) * w * 4];
        pad[..4].copy_from_slice(&row[l..l + 4]);
        pad[4..4 + rw].copy_from_slice(&row[x0 * 4..x1 * 4]);
        pad[4 + rw..].copy_from_slice(&row[r..r + 4]);
        let out = &mut rows[(y - y0) * rw..(y - y0 + 1) * rw];
        blur3(out, &pad[..rw], &pad[4..4 + rw], &pad[8..]);
    }
    // Vertical pass back into data. A row just outside the rect is read as it is (not blurred
    // horizontally): the one-pixel seam this leaves is below the sensor noise. At the image's
    // top and bottom the edge row is repeated.
    let seg = |y: usize| (y * w + x0) * 4..(y * w + x1) * 4;
    let (above_out, below_out) = outer.split_at_mut(rw);
    let has_above = y0 > 0;
    let has_below = y1 < h;
    if has_above {
        above_out.copy_from_slice(&data[seg(y0 - 1)]);
    }
    if has_below {
        below_out.copy_from_slice(&data[seg(y1)]);
    }
    let row = |yy: usize| &rows[(yy - y0) * rw..(yy - y0 + 1) * rw];
    for y in y0..y1 {
        let above: &[u8] = if y == y0 && has_above {
            above_out
        } else {
            row(y.saturating_sub(1).max(y0))
        };
        let below: &[u8] = if y + 1 == y1 && has_below {
            below_out
        } else {
            row((y + 1).min(y1 - 1))
        };
        blur3(&mut data[seg(y)], above, row(y), below);
    }
}

/// `out = (a + 2 b + c + 2) / 4`, byte by byte.
#[inline]
fn blur3(out: &mut [u8], a: &[u8], b: &[u8], c: &[u8]) {
    for (((o, a), b), c) in out.iter_mut().zip(a).zip(b).zip(c) {
        *o = ((*a as u16 + 2 * *b as u16 + *c as u16 + 2) >> 2) as u8;
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

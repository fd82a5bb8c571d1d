//! A small triangle rasteriser with a depth buffer, for the realistic path's meshes.
//!
//! Coverage is decided once per pixel centre with edge functions and a top-left rule, the same
//! way for the colour image, the id mask and the object-alone mask, so the truth measured on
//! the mask is exactly what is drawn. No anti-aliasing: the camera model's lens blur softens
//! edges afterwards, as a real lens does. Depth is tested on 1/z (interpolated linearly in screen
//! space, which is exact for a pinhole camera); attributes are interpolated affinely (triangles
//! are a few pixels wide at CCTV distances).

/// Attributes carried per vertex and interpolated per pixel.
pub(crate) const N_ATTR: usize = 8;

use super::num::{ceil, floor};

/// A projected vertex.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct SVert {
    pub x: f32,
    pub y: f32,
    /// 1 / depth (metres⁻¹).
    pub inv_z: f32,
    pub a: [f32; N_ATTR],
}

/// A triangle of projected vertices, with the code of what it is (shading decides by it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct STri {
    pub v: [u32; 3],
    pub part: u8,
}

/// A front-facing triangle set up for scanning: its pixel bounds (clipped), `1 / area`, and per
/// edge the start point, direction and the inside threshold.
struct Setup {
    x0: i64,
    y0: i64,
    x1: i64,
    y1: i64,
    inv: f32,
    /// Per edge p→q: (p.x, p.y, q.x − p.x, q.y − p.y).
    edges: [(f32, f32, f32, f32); 3],
    /// A pixel is inside edge k when e_k ≤ thr[k]: 0 for a top or left edge (which owns the
    /// pixels on it), else −(smallest subnormal), that is e_k < 0.
    thr: [f32; 3],
}

/// Sets up triangle `a b c` for scanning inside `clip` (half-open pixel rect); `None` when it is
/// a back face, crosses the near plane or covers no pixel of `clip`.
#[inline]
fn setup(a: &SVert, b: &SVert, c: &SVert, clip: (i64, i64, i64, i64)) -> Option<Setup> {
    let area = (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x);
    // Screen y grows downward: a counter-clockwise world triangle facing the camera has
    // negative area here.
    if area >= 0.0 || a.inv_z <= 0.0 || b.inv_z <= 0.0 || c.inv_z <= 0.0 {
        return None;
    }
    let x0 = (floor(a.x.min(b.x).min(c.x)).max(0.0) as i64).max(clip.0);
    let y0 = (floor(a.y.min(b.y).min(c.y)).max(0.0) as i64).max(clip.1);
    let x1 = (ceil(a.x.max(b.x).max(c.x)) as i64).min(clip.2);
    let y1 = (ceil(a.y.max(b.y).max(c.y)) as i64).min(clip.3);
    if x0 >= x1 || y0 >= y1 {
        return None;
    }
    let mut edges = [(0.0, 0.0, 0.0, 0.0); 3];
    let mut thr = [0.0; 3];
    for (k, (p, q)) in [(b, c), (c, a), (a, b)].into_iter().enumerate() {
        let (dx, dy) = (q.x - p.x, q.y - p.y);
        // Top-left rule: on an edge (e = 0) only top or left edges own the pixel.
        let top_left = dy > 0.0 || (dy == 0.0 && dx < 0.0);
        edges[k] = (p.x, p.y, dx, dy);
        thr[k] = if top_left { 0.0 } else { -f32::from_bits(1) };
    }
    Some(Setup {
        x0,
        y0,
        x1,
        y1,
        inv: 1.0 / area,
        edges,
        thr,
    })
}

/// Rows scanned together: one lane each.
const BAND: usize = 4;

/// Per edge, its function on the rows of a band: `e[k][r]` is edge k on row `y + r`.
type Band = [[f32; BAND]; 3];

/// Edge functions of the band of rows from `y` at the triangle's left bound: for edge p→q,
/// e(x, y) = dx·(y − p.y) − dy·(x − p.x) at the pixel centre. Rows outside the triangle's bounds
/// hold NaN, which is never inside.
#[inline(always)]
fn band_start(s: &Setup, y: i64) -> Band {
    let px0 = s.x0 as f32 + 0.5;
    let mut e = [[f32::NAN; BAND]; 3];
    for r in 0..BAND {
        let yr = y + r as i64;
        if (s.y0..s.y1).contains(&yr) {
            let py = yr as f32 + 0.5;
            for (ek, &(ex, ey, dx, dy)) in e.iter_mut().zip(&s.edges) {
                ek[r] = dx * (py - ey) - dy * (px0 - ex);
            }
        }
    }
    e
}

/// Which rows of the band are inside all three edges at the current column.
#[inline(always)]
fn band_inside(e: &Band, thr: &[f32; 3]) -> [bool; BAND] {
    let le = |k: usize| e[k].map(|v| v <= thr[k]);
    let (a, b, c) = (le(0), le(1), le(2));
    std::array::from_fn(|r| a[r] & b[r] & c[r])
}

/// One column to the right: e(x + 1) = e(x) − dy.
#[inline(always)]
fn band_step(e: &mut Band, s: &Setup) {
    for (ek, edge) in e.iter_mut().zip(&s.edges) {
        *ek = ek.map(|v| v - edge.3);
    }
}

/// Calls `plot(x, y, e)` for every pixel centre inside the set-up triangle, with its three edge
/// functions there. Edge functions at the pixel centre are stepped incrementally along each
/// row: for edge p→q, e(x, y) = dx·(y − p.y) − dy·(x − p.x), so e(x + 1) = e(x) − dy. Each e is
/// monotone along a row (a constant is subtracted, and rounding is monotone), so the pixels
/// inside all three edges form one run per row and the scan of a row ends where its run ends.
#[inline(always)]
fn scan(s: &Setup, mut plot: impl FnMut(usize, usize, &[f32; 3])) {
    let px0 = s.x0 as f32 + 0.5;
    let [t0, t1, t2] = s.thr;
    let (d0, d1, d2) = (s.edges[0].3, s.edges[1].3, s.edges[2].3);
    for y in s.y0..s.y1 {
        let py = y as f32 + 0.5;
        let mut e = s.edges.map(|(x, y, dx, dy)| dx * (py - y) - dy * (px0 - x));
        let mut run = false;
        for x in s.x0..s.x1 {
            if (e[0] <= t0) & (e[1] <= t1) & (e[2] <= t2) {
                run = true;
                plot(x as usize, y as usize, &e);
            } else if run {
                break;
            }
            e[0] -= d0;
            e[1] -= d1;
            e[2] -= d2;
        }
    }
}

/// Draws `tris` into an RGBA8 image (`data`, `w`×`h`) as mask value `id` (alpha 255) with the
/// depth buffer `zbuf` (1/z, larger is nearer, same size). Back faces (clockwise on screen) are
/// skipped. The same coverage and depth test as [`Coverage::rasterise`].
pub(crate) fn draw_ids(
    data: &mut [u8],
    zbuf: &mut [f32],
    w: u32,
    h: u32,
    verts: &[SVert],
    tris: &[STri],
    id: u16,
) {
    let px = [(id & 0xff) as u8, (id >> 8) as u8, 0, 255];
    for t in tris {
        let [a, b, c] = t.v.map(|i| &verts[i as usize]);
        let Some(s) = setup(a, b, c, (0, 0, i64::from(w), i64::from(h))) else {
            continue;
        };
        scan(&s, |x, y, e| {
            let wts = [e[0] * s.inv, e[1] * s.inv, e[2] * s.inv];
            let z = wts[0] * a.inv_z + wts[1] * b.inv_z + wts[2] * c.inv_z;
            let i = y * w as usize + x;
            if z <= zbuf[i] {
                return;
            }
            zbuf[i] = z;
            data[i * 4..i * 4 + 4].copy_from_slice(&px);
        });
    }
}

/// The vertices' attributes interpolated with weights `wts`.
#[inline(always)]
fn attributes(wts: &[f32; 3], v: [&SVert; 3]) -> [f32; N_ATTR] {
    let mut at = [0.0f32; N_ATTR];
    for (j, x) in at.iter_mut().enumerate() {
        *x = wts[0] * v[0].a[j] + wts[1] * v[1].a[j] + wts[2] * v[2].a[j];
    }
    at
}

/// No triangle at a pixel of a [`Coverage`].
const NONE: u32 = u32::MAX;

/// One mesh rasterised alone inside a pixel rect: at every pixel the nearest triangle and its
/// barycentric weights. It is what [`draw`] would leave there (the same coverage, depth test and
/// weights), so shading it ([`Coverage::shade`]) and inking its ids ([`Coverage::ink_ids`])
/// give exactly the pixels [`draw`] gives with either ink, each pixel shaded once however many
/// triangles overlap it.
#[derive(Debug, Default)]
pub(crate) struct Coverage {
    rect: (u32, u32, u32, u32),
    zbuf: Vec<f32>,
    /// Per pixel: the nearest triangle (index into the mesh's), or `NONE`.
    tri: Vec<u32>,
    wts: Vec<[f32; 3]>,
    /// Per row of the rect: the columns from its first covered pixel to past its last
    /// (rect-relative, empty when none).
    spans: Vec<(usize, usize)>,
}

impl Coverage {
    /// Rasterises `tris` inside `rect` (half-open, inside the image), replacing what was there.
    #[inline(never)]
    pub(crate) fn rasterise(&mut self, verts: &[SVert], tris: &[STri], rect: (u32, u32, u32, u32)) {
        self.rect = rect;
        let rw = (rect.2 - rect.0) as usize;
        let n = rw * (rect.3 - rect.1) as usize;
        self.zbuf.clear();
        self.zbuf.resize(n, 0.0);
        self.tri.clear();
        self.tri.resize(n, NONE);
        self.wts.resize(n, [0.0; 3]);
        let clip = (
            i64::from(rect.0),
            i64::from(rect.1),
            i64::from(rect.2),
            i64::from(rect.3),
        );
        let (ox, oy) = (rect.0 as usize, rect.1 as usize);
        for (ti, t) in tris.iter().enumerate() {
            let [a, b, c] = t.v.map(|i| &verts[i as usize]);
            let Some(s) = setup(a, b, c, clip) else {
                continue;
            };
            // `scan`, with each row's slices of the buffers taken once (no bounds test per
            // pixel): the same pixels and edge values.
            let px0 = s.x0 as f32 + 0.5;
            let [t0, t1, t2] = s.thr;
            let (d0, d1, d2) = (s.edges[0].3, s.edges[1].3, s.edges[2].3);
            let (c0, c1) = (s.x0 as usize - ox, s.x1 as usize - ox);
            for y in s.y0..s.y1 {
                let py = y as f32 + 0.5;
                let mut e = s.edges.map(|(x, y, dx, dy)| dx * (py - y) - dy * (px0 - x));
                let row = (y as usize - oy) * rw;
                let (zr, tr, wr) = (
                    &mut self.zbuf[row + c0..row + c1],
                    &mut self.tri[row + c0..row + c1],
                    &mut self.wts[row + c0..row + c1],
                );
                let mut run = false;
                for ((zp, tp), wp) in zr.iter_mut().zip(tr.iter_mut()).zip(wr.iter_mut()) {
                    if (e[0] <= t0) & (e[1] <= t1) & (e[2] <= t2) {
                        run = true;
                        let wts = [e[0] * s.inv, e[1] * s.inv, e[2] * s.inv];
                        let z = wts[0] * a.inv_z + wts[1] * b.inv_z + wts[2] * c.inv_z;
                        if z > *zp {
                            *zp = z;
                            *tp = ti as u32;
                            *wp = wts;
                        }
                    } else if run {
                        break;
                    }
                    e[0] -= d0;
                    e[1] -= d1;
                    e[2] -= d2;
                }
            }
        }
        self.spans.clear();
        for row in self.tri.chunks_exact(rw) {
            let first = row.iter().position(|&t| t != NONE);
            let last = row.iter().rposition(|&t| t != NONE);
            self.spans.push(match (first, last) {
                (Some(f), Some(l)) => (f, l + 1),
                _ => (0, 0),
            });
        }
    }

    /// How many covered pixels `(x, y)` satisfy `f(x, y)`.
    pub(crate) fn count(&self, f: impl Fn(u32, u32) -> bool) -> u64 {
        let r = self.rect;
        let rw = (r.2 - r.0) as usize;
        let mut n = 0;
        for ((row, y), &(x0, x1)) in (r.1..r.3).enumerate().zip(&self.spans) {
            let tri = &self.tri[row * rw + x0..row * rw + x1];
            for (x, _) in tri.iter().enumerate().filter(|(_, t)| **t != NONE) {
                n += u64::from(f(r.0 + (x0 + x) as u32, y));
            }
        }
        n
    }

    /// Writes the shaded colour of every covered pixel into the RGBA8 image `data` (`w` wide),
    /// and hands each pixel's `(x, y)`, triangle, barycentric weights and colour to `then`.
    #[inline(never)]
    pub(crate) fn shade(
        &self,
        data: &mut [u8],
        w: u32,
        (verts, tris): (&[SVert], &[STri]),
        shade: impl Fn(u8, &[f32; N_ATTR]) -> [u8; 3],
        mut then: impl FnMut((u32, u32), usize, &[f32; 3], [u8; 3]),
    ) {
        let r = self.rect;
        let rw = (r.2 - r.0) as usize;
        for ((row, y), &(x0, x1)) in (r.1..r.3).enumerate().zip(&self.spans) {
            let (tri, wts) = (&self.tri[row * rw..][x0..x1], &self.wts[row * rw..][x0..x1]);
            let a = (y as usize * w as usize + r.0 as usize + x0) * 4;
            let (px, _) = data[a..a + (x1 - x0) * 4].as_chunks_mut::<4>();
            for (x, ((&ti, wt), p)) in tri.iter().zip(wts).zip(px).enumerate() {
                if ti == NONE {
                    continue;
                }
                let t = &tris[ti as usize];
                let v = t.v.map(|k| &verts[k as usize]);
                let rgb = shade(t.part, &attributes(wt, v));
                *p = [rgb[0], rgb[1], rgb[2], 255];
                then((r.0 + (x0 + x) as u32, y), ti as usize, wt, rgb);
            }
        }
    }

    /// Writes mask value `id` at every covered pixel of the RGBA8 image `data` and of the id
    /// image `ids` (both `w` wide) and returns the bounds `(x0, y0, x1, y1)` (half-open) and
    /// count of the covered pixels. Rows are written and counted without a branch per pixel;
    /// only rows with a pixel are searched for their first and last.
    #[inline(never)]
    pub(crate) fn ink_ids(
        &self,
        data: &mut [u8],
        ids: &mut [u16],
        w: u32,
        id: u16,
    ) -> (Option<(u32, u32, u32, u32)>, u32) {
        let ink = u32::from_le_bytes([(id & 0xff) as u8, (id >> 8) as u8, 0, 255]);
        let r = self.rect;
        let rw = (r.2 - r.0) as usize;
        let (mut n, mut b) = (0u32, (u32::MAX, u32::MAX, 0, 0));
        for ((row, y), &(x0, x1)) in (r.1..r.3).enumerate().zip(&self.spans) {
            if x0 == x1 {
                continue;
            }
            let a = y as usize * w as usize + r.0 as usize;
            let (px, _) = data[(a + x0) * 4..(a + x1) * 4].as_chunks_mut::<4>();
            let tri = &self.tri[row * rw + x0..row * rw + x1];
            let mut count = 0u32;
            for (p, &t) in px.iter_mut().zip(tri) {
                let on = t != NONE;
                // All ones where covered, else zero: a select without a branch.
                let m = 0u32.wrapping_sub(u32::from(on));
                *p = ((ink & m) | (u32::from_le_bytes(*p) & !m)).to_le_bytes();
                count += u32::from(on);
            }
            for (v, &t) in ids[a + x0..a + x1].iter_mut().zip(tri) {
                let m = 0u16.wrapping_sub(u16::from(t != NONE));
                *v = (id & m) | (*v & !m);
            }
            n += count;
            b = (
                b.0.min(r.0 + x0 as u32),
                b.1.min(y),
                b.2.max(r.0 + x1 as u32),
                b.3.max(y + 1),
            );
        }
        ((n > 0).then_some(b), n)
    }
}

/// Darkens the pixels covered by `tris` (both faces), each once: a cast shadow on the ground.
/// `keep` is the fraction of light left (0..1); `rect` (half-open, inside the image) bounds the
/// points; `marks` is scratch. The triangles' pixels are marked first, bands of [`BAND`] rows
/// from the rect's top (a byte per row of a band's column side by side), without a branch per
/// pixel; then the marked pixels are darkened in one pass.
#[inline(never)]
pub(crate) fn shadow(
    data: &mut [u8],
    w: u32,
    pts: &[(f32, f32)],
    tris: &[STri],
    keep: f32,
    rect: (u32, u32, u32, u32),
    marks: &mut Vec<[u8; BAND]>,
) {
    let k = (keep.clamp(0.0, 1.0) * 256.0) as u16;
    let (rw, rh) = ((rect.2 - rect.0) as usize, (rect.3 - rect.1) as usize);
    marks.clear();
    marks.resize(rw * rh.div_ceil(BAND), [0; BAND]);
    let (ox, oy) = (i64::from(rect.0), i64::from(rect.1));
    for t in tris {
        let [a, b, c] = t.v.map(|i| pts[i as usize]);
        let Some(s) = shadow_setup(a, b, c, rect) else {
            continue;
        };
        // The first band is the rect's band holding the triangle's top row.
        let mut y = oy + (s.y0 - oy) / BAND as i64 * BAND as i64;
        while y < s.y1 {
            let mut e = band_start(&s, y);
            let col = (y - oy) as usize / BAND * rw + (s.x0 - ox) as usize;
            for m in &mut marks[col..col + (s.x1 - s.x0) as usize] {
                let inside = band_inside(&e, &s.thr);
                for (mr, ir) in m.iter_mut().zip(inside) {
                    *mr |= u8::from(ir);
                }
                band_step(&mut e, &s);
            }
            y += BAND as i64;
        }
    }
    for (row, y) in (rect.1..rect.3).enumerate() {
        let a = (y as usize * w as usize + rect.0 as usize) * 4;
        let px = &mut data[a..a + rw * 4];
        let band = &marks[row / BAND * rw..(row / BAND + 1) * rw];
        for (p, m) in px.chunks_exact_mut(4).zip(band) {
            if m[row % BAND] != 0 {
                for ch in &mut p[..3] {
                    *ch = ((*ch as u16 * k) >> 8) as u8;
                }
            }
        }
    }
}

/// Sets up a shadow triangle, either winding, inside `rect`: a pixel is inside when every edge
/// function has the sign of the area (or is 0). The edges are negated (which is exact) so that
/// the test is e ≤ 0 as in [`setup`].
fn shadow_setup(
    a: (f32, f32),
    b: (f32, f32),
    c: (f32, f32),
    rect: (u32, u32, u32, u32),
) -> Option<Setup> {
    let area = (b.0 - a.0) * (c.1 - a.1) - (b.1 - a.1) * (c.0 - a.0);
    if area == 0.0 {
        return None;
    }
    let s = -area.signum();
    let x0 = (floor(a.0.min(b.0).min(c.0)).max(0.0) as i64).max(i64::from(rect.0));
    let y0 = (floor(a.1.min(b.1).min(c.1)).max(0.0) as i64).max(i64::from(rect.1));
    let x1 = (ceil(a.0.max(b.0).max(c.0)) as i64).min(i64::from(rect.2));
    let y1 = (ceil(a.1.max(b.1).max(c.1)) as i64).min(i64::from(rect.3));
    if x0 >= x1 || y0 >= y1 {
        return None;
    }
    let edges = [(b, c), (c, a), (a, b)].map(|(p, q)| (p.0, p.1, s * (q.0 - p.0), s * (q.1 - p.1)));
    Some(Setup {
        x0,
        y0,
        x1,
        y1,
        inv: 0.0,
        edges,
        thr: [0.0; 3],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(x: f32, y: f32, z: f32) -> SVert {
        SVert {
            x,
            y,
            inv_z: 1.0 / z,
            a: [0.0; N_ATTR],
        }
    }

    fn tri(v: [u32; 3], part: u8) -> STri {
        STri { v, part }
    }

    #[test]
    fn two_triangles_sharing_an_edge_cover_each_pixel_once_and_the_nearer_wins() {
        let (w, h) = (16u32, 16u32);
        let verts = [
            // A square split along its diagonal, facing the camera (negative screen area).
            v(2.0, 2.0, 5.0),
            v(2.0, 12.0, 5.0),
            v(12.0, 12.0, 5.0),
            v(12.0, 2.0, 5.0),
            // A nearer triangle over part of it.
            v(0.0, 0.0, 2.0),
            v(0.0, 8.0, 2.0),
            v(8.0, 0.0, 2.0),
            // A farther square over everything.
            v(0.0, 0.0, 9.0),
            v(0.0, 16.0, 9.0),
            v(16.0, 16.0, 9.0),
            v(16.0, 0.0, 9.0),
        ];
        let square = [tri([0, 1, 2], 1), tri([0, 2, 3], 2)];
        let mut cover = Coverage::default();
        cover.rasterise(&verts, &square, (0, 0, w, h));
        let mut data = vec![0u8; (w * h * 4) as usize];
        let count = std::cell::Cell::new(0);
        let shade = |p: u8, _: &[f32; N_ATTR]| {
            count.set(count.get() + 1);
            [p, 0, 0]
        };
        cover.shade(&mut data, w, (&verts, &square), shade, |_, _, _, _| {});
        assert_eq!(
            count.get(),
            100,
            "a 10×10 square is 100 pixel centres, each shaded once"
        );
        let all = [
            tri([0, 1, 2], 1),
            tri([0, 2, 3], 2),
            tri([4, 5, 6], 9),
            tri([7, 8, 9], 7),
            tri([7, 9, 10], 7),
        ];
        cover.rasterise(&verts, &all, (0, 0, w, h));
        cover.shade(
            &mut data,
            w,
            (&verts, &all),
            |p, _| [p, 0, 0],
            |_, _, _, _| {},
        );
        assert_eq!(data[(3 * 16 + 3) * 4], 9);
        assert_eq!(data[(10 * 16 + 10) * 4], 2);
        assert_eq!(
            data[(14 * 16 + 14) * 4],
            7,
            "the far one fills only where nothing was"
        );
        let mut ink = vec![0u8; (w * h * 4) as usize];
        let mut ids = vec![0u16; (w * h) as usize];
        assert_eq!(
            cover.ink_ids(&mut ink, &mut ids, w, 0x0102),
            (Some((0, 0, 16, 16)), 256)
        );
        assert_eq!((&ink[..4], ids[0]), (&[2, 1, 0, 255][..], 0x0102));
    }

    /// Triangles of a small pseudo-random mesh, overlapping at various depths.
    fn jumble(n: usize, size: f32) -> (Vec<SVert>, Vec<STri>) {
        let mut h = 0x2545_f491_4f6c_dd1du64;
        let mut r = || {
            h ^= h << 13;
            h ^= h >> 7;
            h ^= h << 17;
            (h >> 40) as f32 / (1u64 << 24) as f32
        };
        let verts: Vec<SVert> = (0..3 * n)
            .map(|_| {
                let mut p = v(r() * size - 4.0, r() * size - 4.0, 2.0 + 8.0 * r());
                p.a[0] = r();
                p
            })
            .collect();
        let tris = (0..n as u32)
            .map(|i| tri([3 * i, 3 * i + 1, 3 * i + 2], i as u8))
            .collect();
        (verts, tris)
    }

    #[test]
    fn the_row_runs_cover_what_a_scan_of_every_bounding_box_pixel_covers() {
        let (verts, tris) = jumble(300, 40.0);
        for t in &tris {
            let [a, b, c] = t.v.map(|i| &verts[i as usize]);
            let Some(s) = setup(a, b, c, (0, 0, 32, 32)) else {
                continue;
            };
            let mut fast = Vec::new();
            scan(&s, |x, y, e| fast.push((y, x, *e)));
            fast.sort_by_key(|p| (p.0, p.1));
            // The reference: every pixel of the bounds, edges stepped one pixel at a time.
            let mut every = Vec::new();
            for y in s.y0..s.y1 {
                let py = y as f32 + 0.5;
                let px0 = s.x0 as f32 + 0.5;
                let mut e = s.edges.map(|(x, y, dx, dy)| dx * (py - y) - dy * (px0 - x));
                for x in s.x0..s.x1 {
                    let on = |k: usize| {
                        let (dx, dy) = (s.edges[k].2, s.edges[k].3);
                        e[k] < 0.0 || (e[k] == 0.0 && (dy > 0.0 || (dy == 0.0 && dx < 0.0)))
                    };
                    if on(0) && on(1) && on(2) {
                        every.push((y as usize, x as usize, e));
                    }
                    for (ek, edge) in e.iter_mut().zip(&s.edges) {
                        *ek -= edge.3;
                    }
                }
            }
            assert_eq!(fast, every);
        }
    }

    #[test]
    fn a_coverage_gives_the_pixels_of_a_direct_draw() {
        let (verts, tris) = jumble(200, 40.0);
        let (w, h) = (32u32, 32u32);
        let mut direct = vec![0u8; (w * h * 4) as usize];
        let mut z = vec![0.0f32; (w * h) as usize];
        draw_ids(&mut direct, &mut z, w, h, &verts, &tris, 5);
        let mut cover = Coverage::default();
        cover.rasterise(&verts, &tris, (0, 0, w, h));
        let mut ink = vec![0u8; (w * h * 4) as usize];
        let mut ids = vec![0u16; (w * h) as usize];
        let (_, n) = cover.ink_ids(&mut ink, &mut ids, w, 5);
        assert_eq!(ink, direct);
        assert!(
            ids.iter()
                .zip(ink.chunks(4))
                .all(|(v, p)| *v == u16::from(p[0]))
        );
        assert_eq!(n as usize, direct.chunks(4).filter(|p| p[3] == 255).count());
        assert!(n > 100);
    }

    #[test]
    fn a_shadow_darkens_its_triangle_once_whatever_the_winding() {
        let pts = [(2.0, 2.0), (2.0, 12.0), (12.0, 12.0), (12.0, 2.0)];
        let tris = [tri([0, 1, 2], 0), tri([0, 3, 2], 0), tri([0, 1, 2], 0)];
        let mut data = vec![200u8; 16 * 16 * 4];
        let mut marks = Vec::new();
        shadow(&mut data, 16, &pts, &tris, 0.5, (1, 1, 13, 13), &mut marks);
        assert_eq!(
            data[(11 * 16 + 5) * 4],
            100,
            "last row, in the rect's last band"
        );
        assert_eq!(data[(5 * 16 + 5) * 4], 100, "inside, darkened once");
        assert_eq!(data[(5 * 16 + 10) * 4], 100, "the other winding too");
        assert_eq!(data[(14 * 16 + 14) * 4], 200, "outside untouched");
        assert_eq!(data[(5 * 16 + 5) * 4 + 3], 200, "alpha untouched");
    }

    #[test]
    fn a_shadow_marks_what_a_scan_of_every_bounding_box_pixel_covers() {
        let (verts, tris) = jumble(300, 40.0);
        let pts: Vec<(f32, f32)> = verts.iter().map(|v| (v.x, v.y)).collect();
        let (w, h) = (32u32, 32u32);
        let mut data: Vec<u8> = (0..w * h * 4).map(|i| (i * 7 % 251) as u8).collect();
        let mut want = data.clone();
        // The reference: every pixel of each triangle's bounds, edges stepped one at a time,
        // a pixel darkened the first time a triangle covers it.
        let mut done = vec![false; (w * h) as usize];
        for t in &tris {
            let [a, b, c] = t.v.map(|i| pts[i as usize]);
            let area = (b.0 - a.0) * (c.1 - a.1) - (b.1 - a.1) * (c.0 - a.0);
            if area == 0.0 {
                continue;
            }
            let sg = area.signum();
            let x0 = a.0.min(b.0).min(c.0).floor().max(0.0) as i64;
            let y0 = a.1.min(b.1).min(c.1).floor().max(0.0) as i64;
            let x1 = (a.0.max(b.0).max(c.0).ceil() as i64).min(w as i64);
            let y1 = (a.1.max(b.1).max(c.1).ceil() as i64).min(h as i64);
            let edges =
                [(b, c), (c, a), (a, b)].map(|(p, q)| (p, sg * (q.0 - p.0), sg * (q.1 - p.1)));
            for y in y0..y1 {
                let (py, px0) = (y as f32 + 0.5, x0 as f32 + 0.5);
                let mut e = edges.map(|(p, dx, dy)| dx * (py - p.1) - dy * (px0 - p.0));
                for x in x0..x1 {
                    let i = (y * w as i64 + x) as usize;
                    if e.iter().all(|&v| v >= 0.0) && !done[i] {
                        done[i] = true;
                        for ch in &mut want[i * 4..i * 4 + 3] {
                            *ch = ((*ch as u32 * 128) >> 8) as u8;
                        }
                    }
                    for (ek, edge) in e.iter_mut().zip(&edges) {
                        *ek -= edge.2;
                    }
                }
            }
        }
        let mut marks = Vec::new();
        shadow(&mut data, w, &pts, &tris, 0.5, (0, 3, w, h), &mut marks);
        // Rows above the rect are not the shadow's: the points' bounds are all inside it.
        assert_eq!(data[3 * 128..], want[3 * 128..]);
        assert!(done.iter().filter(|d| **d).count() > 200);
    }

    #[test]
    fn back_faces_are_not_drawn() {
        let verts = [v(2.0, 2.0, 5.0), v(12.0, 12.0, 5.0), v(2.0, 12.0, 5.0)];
        let mut data = vec![0u8; 16 * 16 * 4];
        let mut z = vec![0.0f32; 16 * 16];
        draw_ids(&mut data, &mut z, 16, 16, &verts, &[tri([0, 1, 2], 1)], 1);
        assert!(data.iter().all(|&b| b == 0));
    }
}

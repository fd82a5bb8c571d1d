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
    let x0 = (a.x.min(b.x).min(c.x).floor().max(0.0) as i64).max(clip.0);
    let y0 = (a.y.min(b.y).min(c.y).floor().max(0.0) as i64).max(clip.1);
    let x1 = (a.x.max(b.x).max(c.x).ceil() as i64).min(clip.2);
    let y1 = (a.y.max(b.y).max(c.y).ceil() as i64).min(clip.3);
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

/// Calls `plot(x, y, e)` for every pixel centre inside the set-up triangle, with its three edge
/// functions. Edge functions at the pixel centre are stepped incrementally along each row: for
/// edge p→q, e(x, y) = dx·(y − p.y) − dy·(x − p.x), so e(x + 1) = e(x) − dy. Each e is monotone
/// along a row (a constant is subtracted, and rounding is monotone), so the pixels inside all
/// three edges form one run per row and the scan of a row ends where its run ends.
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
}

impl Coverage {
    /// Rasterises `tris` inside `rect` (half-open, inside the image), replacing what was there.
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
            scan(&s, |x, y, e| {
                let wts = [e[0] * s.inv, e[1] * s.inv, e[2] * s.inv];
                let z = wts[0] * a.inv_z + wts[1] * b.inv_z + wts[2] * c.inv_z;
                let i = (y - oy) * rw + (x - ox);
                if z <= self.zbuf[i] {
                    return;
                }
                self.zbuf[i] = z;
                self.tri[i] = ti as u32;
                self.wts[i] = wts;
            });
        }
    }

    /// Calls `f(image index, rect-local index)` for every covered pixel, row by row.
    #[inline(always)]
    fn each(&self, w: u32, mut f: impl FnMut(usize, usize)) {
        let r = self.rect;
        let rw = (r.2 - r.0) as usize;
        for (row, y) in (r.1..r.3).enumerate() {
            let base = y as usize * w as usize + r.0 as usize;
            let tri = &self.tri[row * rw..(row + 1) * rw];
            for (x, &t) in tri.iter().enumerate() {
                if t != NONE {
                    f(base + x, row * rw + x);
                }
            }
        }
    }

    /// Calls `f(image index, triangle index, barycentric weights)` for every covered pixel of an
    /// image `w` wide, row by row.
    pub(crate) fn for_each_pixel(&self, w: u32, mut f: impl FnMut(usize, usize, &[f32; 3])) {
        self.each(w, |i, j| f(i, self.tri[j] as usize, &self.wts[j]));
    }

    /// Writes the shaded colour of every covered pixel into the RGBA8 image `data` (`w` wide).
    pub(crate) fn shade(
        &self,
        data: &mut [u8],
        w: u32,
        verts: &[SVert],
        tris: &[STri],
        shade: impl Fn(u8, &[f32; N_ATTR]) -> [u8; 3],
    ) {
        self.each(w, |i, j| {
            let t = &tris[self.tri[j] as usize];
            let v = t.v.map(|k| &verts[k as usize]);
            let rgb = shade(t.part, &attributes(&self.wts[j], v));
            data[i * 4..i * 4 + 4].copy_from_slice(&[rgb[0], rgb[1], rgb[2], 255]);
        });
    }

    /// Writes mask value `id` at every covered pixel of the RGBA8 image `data` (`w` wide) and
    /// returns the bounds `(x0, y0, x1, y1)` (half-open) and count of the covered pixels.
    pub(crate) fn ink_ids(
        &self,
        data: &mut [u8],
        w: u32,
        id: u16,
    ) -> (Option<(u32, u32, u32, u32)>, u32) {
        let px = [(id & 0xff) as u8, (id >> 8) as u8, 0, 255];
        let (mut n, mut b) = (0u32, (u32::MAX, u32::MAX, 0, 0));
        let (ox, rw) = (self.rect.0 as usize, (self.rect.2 - self.rect.0) as usize);
        self.each(w, |i, j| {
            data[i * 4..i * 4 + 4].copy_from_slice(&px);
            let (x, y) = ((j % rw + ox) as u32, (i / w as usize) as u32);
            n += 1;
            b = (b.0.min(x), b.1.min(y), b.2.max(x + 1), b.3.max(y + 1));
        });
        ((n > 0).then_some(b), n)
    }
}

/// Darkens (once per pixel per `stamp` generation) the pixels covered by `tris`, both faces:
/// a cast shadow on the ground. `keep` is the fraction of light left (0..1). Rows are scanned
/// as in [`draw`]: one run of inside pixels per row.
#[allow(clippy::too_many_arguments)]
pub(crate) fn shadow(
    data: &mut [u8],
    stamp: &mut [u16],
    generation: u16,
    w: u32,
    h: u32,
    pts: &[(f32, f32)],
    tris: &[STri],
    keep: f32,
) {
    let k = (keep.clamp(0.0, 1.0) * 256.0) as u32;
    for t in tris {
        let [a, b, c] = t.v.map(|i| pts[i as usize]);
        let area = (b.0 - a.0) * (c.1 - a.1) - (b.1 - a.1) * (c.0 - a.0);
        if area == 0.0 {
            continue;
        }
        let s = area.signum();
        let x0 = a.0.min(b.0).min(c.0).floor().max(0.0) as i64;
        let y0 = a.1.min(b.1).min(c.1).floor().max(0.0) as i64;
        let x1 = (a.0.max(b.0).max(c.0).ceil() as i64).min(w as i64);
        let y1 = (a.1.max(b.1).max(c.1).ceil() as i64).min(h as i64);
        let edges = [(b, c), (c, a), (a, b)].map(|(p, q)| (p, s * (q.0 - p.0), s * (q.1 - p.1)));
        let (d0, d1, d2) = (edges[0].2, edges[1].2, edges[2].2);
        let px0 = x0 as f32 + 0.5;
        for y in y0..y1 {
            let py = y as f32 + 0.5;
            let mut e = edges.map(|(p, dx, dy)| dx * (py - p.1) - dy * (px0 - p.0));
            let row = y as usize * w as usize;
            let mut run = false;
            for x in x0..x1 {
                // Inside: every edge function has the sign of the area (either winding).
                if (e[0] >= 0.0) & (e[1] >= 0.0) & (e[2] >= 0.0) {
                    run = true;
                    let i = row + x as usize;
                    if stamp[i] != generation {
                        stamp[i] = generation;
                        for ch in &mut data[i * 4..i * 4 + 3] {
                            *ch = ((*ch as u32 * k) >> 8) as u8;
                        }
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
        cover.shade(&mut data, w, &verts, &square, shade);
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
        cover.shade(&mut data, w, &verts, &all, |p, _| [p, 0, 0]);
        assert_eq!(data[(3 * 16 + 3) * 4], 9);
        assert_eq!(data[(10 * 16 + 10) * 4], 2);
        assert_eq!(
            data[(14 * 16 + 14) * 4],
            7,
            "the far one fills only where nothing was"
        );
        let mut ids = vec![0u8; (w * h * 4) as usize];
        assert_eq!(
            cover.ink_ids(&mut ids, w, 0x0102),
            (Some((0, 0, 16, 16)), 256)
        );
        assert_eq!(&ids[..4], &[2, 1, 0, 255]);
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
            scan(&s, |x, y, e| fast.push((x, y, *e)));
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
                        every.push((x as usize, y as usize, e));
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
        let mut ids = vec![0u8; (w * h * 4) as usize];
        let (_, n) = cover.ink_ids(&mut ids, w, 5);
        assert_eq!(ids, direct);
        assert_eq!(n as usize, direct.chunks(4).filter(|p| p[3] == 255).count());
        assert!(n > 100);
    }

    #[test]
    fn a_shadow_darkens_its_triangle_once_whatever_the_winding() {
        let pts = [(2.0, 2.0), (2.0, 12.0), (12.0, 12.0), (12.0, 2.0)];
        let tris = [
            STri {
                v: [0, 1, 2],
                part: 0,
            },
            STri {
                v: [0, 3, 2],
                part: 0,
            },
        ];
        let mut data = vec![200u8; 16 * 16 * 4];
        let mut stamp = vec![0u16; 16 * 16];
        shadow(&mut data, &mut stamp, 1, 16, 16, &pts, &tris, 0.5);
        assert_eq!(data[(5 * 16 + 5) * 4], 100, "inside, darkened once");
        assert_eq!(data[(5 * 16 + 10) * 4], 100, "the other winding too");
        assert_eq!(data[(14 * 16 + 14) * 4], 200, "outside untouched");
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

//! Motion blur of the realistic path: a moving person smeared along where each of its pixels
//! travels while the shutter is open (long at night, so swinging legs and arms blur as on real
//! CCTV). The truth is not blurred: the id mask stays the sharp body at the frame's instant,
//! the middle of the exposure.
//!
//! Scatter, not gather: each pixel of the person is spread in equal parts over the segment it
//! sweeps (its screen displacement, per vertex from [`super::body`], interpolated by the
//! rasteriser), and the picture behind shows through wherever the person covered a pixel for
//! only part of the exposure.
//!
//! How it is cheap: a segment is drawn as a digital line, `2 n + 1` pixels along its major
//! axis (`n` the half-sweep rounded), every pixel of it getting the same share. A line is a few
//! runs along its major axis (one for a pixel moving straight along a row or a column), and a
//! run of equal shares is two entries in a difference array: its share added at the run's
//! first pixel and taken off past its last. Rows' runs and columns' runs go into two arrays,
//! summed along rows and along columns afterwards, so a pixel costs a few writes however far it
//! travels. The shares are integers (1.0 = 2¹⁶), so the sums are exact and the same on every
//! machine. Each pixel is spread as it is shaded ([`Blur::add`] from the rasteriser's shading
//! pass), and only the spans the lines wrote are summed, composed and zeroed again.

use super::body::Mesh;
use super::num::round_i32;

/// A person moving less than this (half the sweep, pixels) is not swept: its rect is not
/// marked as smeared.
pub(crate) const MIN_PX: f32 = 0.35;
/// A person whose every pixel moves less than this is not smeared (below a pixel each way the
/// lens softening hides the smear; by day this spares the blur for a foot moving half a
/// pixel).
pub(crate) const SMEAR_PX: f32 = 0.99;
/// The longest half-sweep drawn, pixels (a faster limb is clamped).
const MAX_PX: f32 = 31.0;
/// A whole share, fixed point.
const ONE: i32 = 1 << 16;
/// The share of each of a line's `2 n + 1` pixels: `SHARE[n]` = `ONE / (2 n + 1)`, rounded.
const SHARE: [i32; 32] = {
    let mut t = [0; 32];
    let mut n = 0;
    while n < 32 {
        let len = 2 * n as i32 + 1;
        t[n] = (ONE + len / 2) / len;
        n += 1;
    }
    t
};

/// Scratch buffers for the blur, reused from frame to frame. `rows` and `cols` are all zero
/// between smears (each smear zeroes what it wrote), so a smear touches only the pixels its
/// lines reach, not its whole rect.
#[derive(Debug, Default)]
pub(crate) struct Blur {
    /// The canvas under the person's sweep before the person was drawn (RGBA rows of the rect).
    behind: Vec<u8>,
    /// Runs along rows: differences of (R, G, B, weight) shares, row-major, each row one entry
    /// longer than the rect is wide; then the rows' sums, and the columns' added in.
    rows: Vec<[i32; 4]>,
    /// Runs along columns: the same, column-major, each column one entry longer.
    cols: Vec<[i32; 4]>,
    /// Per row and per column: the entries written, `lo..hi` (empty when `lo ≥ hi`).
    row_span: Vec<(u32, u32)>,
    col_span: Vec<(u32, u32)>,
    /// The rect being smeared.
    rect: (u32, u32, u32, u32),
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
    /// Starts a smear over `rect` of `data` (`w` wide): keeps what lies there before the
    /// person is drawn, and the rect's size for [`Blur::add`].
    #[inline(never)]
    pub fn begin(&mut self, data: &[u8], w: u32, rect: (u32, u32, u32, u32)) {
        self.behind.clear();
        for y in rect.1..rect.3 {
            let a = ((y * w + rect.0) * 4) as usize;
            let b = ((y * w + rect.2) * 4) as usize;
            self.behind.extend_from_slice(&data[a..b]);
        }
        let (rw, rh) = ((rect.2 - rect.0) as usize, (rect.3 - rect.1) as usize);
        if self.rows.len() < (rw + 1) * rh {
            self.rows.resize((rw + 1) * rh, [0; 4]);
        }
        if self.cols.len() < rw * (rh + 1) {
            self.cols.resize(rw * (rh + 1), [0; 4]);
        }
        self.row_span.clear();
        self.row_span.resize(rh, (u32::MAX, 0));
        self.col_span.clear();
        self.col_span.resize(rw, (u32::MAX, 0));
        self.rect = rect;
    }

    /// Spreads the colour `rgb` of the person's pixel `(x, y)` (inside the rect) along its
    /// displacement, interpolated with weights `wts` from the motion of triangle `t`'s
    /// vertices. Does nothing for a mesh without motion.
    #[inline(always)]
    pub fn add(&mut self, (x, y): (u32, u32), mesh: &Mesh, t: usize, wts: &[f32; 3], rgb: [u8; 3]) {
        if mesh.motion.len() != mesh.verts.len() {
            return;
        }
        let m = mesh.tris[t].v.map(|k| mesh.motion[k as usize]);
        let vx = (wts[0] * m[0].0 + wts[1] * m[1].0 + wts[2] * m[2].0).clamp(-MAX_PX, MAX_PX);
        let vy = (wts[0] * m[0].1 + wts[1] * m[1].1 + wts[2] * m[2].1).clamp(-MAX_PX, MAX_PX);
        let at = ((x - self.rect.0) as i32, (y - self.rect.1) as i32);
        self.runs().line(at, (vx, vy), rgb.map(i32::from));
    }

    /// The run buffers over the current rect.
    fn runs(&mut self) -> Runs<'_> {
        let r = self.rect;
        Runs {
            rows: &mut self.rows,
            cols: &mut self.cols,
            row_span: &mut self.row_span,
            col_span: &mut self.col_span,
            rw: (r.2 - r.0) as usize,
            rh: (r.3 - r.1) as usize,
        }
    }

    /// Ends the smear: the person's smeared pixels over what was behind them, into `data`.
    #[inline(never)]
    pub fn finish(&mut self, data: &mut [u8], w: u32) {
        self.runs().total();
        self.compose(data, w, self.rect);
    }

    /// The smeared person over what was behind it, where it stayed for part of the exposure;
    /// leaves `rows` zero again.
    #[inline(never)]
    fn compose(&mut self, data: &mut [u8], w: u32, rect: (u32, u32, u32, u32)) {
        let rw = (rect.2 - rect.0) as usize;
        for (y, &(lo, hi)) in self.row_span.iter().enumerate() {
            let (lo, hi) = (lo as usize, (hi as usize).min(rw));
            if lo >= hi {
                continue;
            }
            let i = ((rect.1 as usize + y) * w as usize + rect.0 as usize) * 4;
            let (out, _) = data[i + lo * 4..i + hi * 4].as_chunks_mut::<4>();
            let (behind, _) = self.behind[(y * rw + lo) * 4..(y * rw + hi) * 4].as_chunks::<4>();
            let sums = &mut self.rows[y * (rw + 1)..][lo..hi];
            for ((px, b), a) in out.iter_mut().zip(behind).zip(sums) {
                let s = std::mem::take(a);
                if s[3] <= 0 {
                    px[..3].copy_from_slice(&b[..3]);
                } else if s[3] >= ONE {
                    let inv = 1.0 / s[3] as f32;
                    for ch in 0..3 {
                        px[ch] = (s[ch] as f32 * inv + 0.5).min(255.0) as u8;
                    }
                } else {
                    let rest = i64::from(ONE - s[3]);
                    for ch in 0..3 {
                        let v = i64::from(s[ch]) + i64::from(b[ch]) * rest + i64::from(ONE / 2);
                        px[ch] = (v >> 16).min(255) as u8;
                    }
                }
            }
        }
    }
}

/// The difference arrays of one smear, rect-relative.
struct Runs<'a> {
    rows: &'a mut [[i32; 4]],
    cols: &'a mut [[i32; 4]],
    row_span: &'a mut [(u32, u32)],
    col_span: &'a mut [(u32, u32)],
    rw: usize,
    rh: usize,
}

impl Runs<'_> {
    /// Spreads colour `c` of the pixel at `(x, y)` over the digital line from `(x, y) − v` to
    /// `(x, y) + v`: `2 n + 1` pixels along the major axis (`n` = the larger of `|vx|`, `|vy|`,
    /// rounded; 0 up to one pixel, as the taps of the earlier scatter), the minor offset
    /// `round(d · slope)` at step `d` — runs of equal minor offset.
    #[inline(always)]
    fn line(&mut self, (x, y): (i32, i32), (vx, vy): (f32, f32), c: [i32; 3]) {
        let along_row = vx.abs() >= vy.abs();
        let (major, minor) = if along_row { (vx, vy) } else { (vy, vx) };
        // A pixel moving at most one pixel each way stays where it is (its sweep is within
        // the lens softening).
        let n = if major.abs() <= 1.0 {
            0
        } else {
            round_i32(major.abs()).clamp(0, 31)
        };
        let share = SHARE[n as usize];
        let cw = [c[0] * share, c[1] * share, c[2] * share, share];
        let (x0, y0) = if along_row { (x, y) } else { (y, x) };
        // A line whose minor offset stays under half a pixel is one run (most of a walker's
        // pixels): no slope needed.
        if n == 0 || minor.abs() * (n as f32) < 0.5 * major.abs() {
            self.run(along_row, y0, x0 - n, x0 + n, cw);
            return;
        }
        // The slope in 16.16 fixed point (|slope| ≤ 1); minor offset = (d · slope + ½) >> 16.
        let slope = round_i32(minor / major * ONE as f32);
        let off = |d: i32| (d * slope + ONE / 2) >> 16;
        let mut start = -n;
        let mut at = off(-n);
        if at == off(n) {
            self.run(along_row, y0 + at, x0 - n, x0 + n, cw);
            return;
        }
        for d in -n + 1..=n {
            let o = off(d);
            if o != at {
                self.run(along_row, y0 + at, x0 + start, x0 + d - 1, cw);
                (start, at) = (d, o);
            }
        }
        self.run(along_row, y0 + at, x0 + start, x0 + n, cw);
    }

    /// Adds share `cw` to pixels `a..=b` of row `line` (`along_row`) or of column `line`.
    #[inline(always)]
    fn run(&mut self, along_row: bool, line: i32, a: i32, b: i32, cw: [i32; 4]) {
        let (len, lines) = if along_row {
            (self.rw, self.rh)
        } else {
            (self.rh, self.rw)
        };
        if line < 0 || line as usize >= lines {
            return;
        }
        let (a, b) = (a.max(0), b.min(len as i32 - 1));
        if a > b {
            return;
        }
        let (line, a, past) = (line as usize, a as usize, b as usize + 1);
        let (arr, span) = if along_row {
            (&mut *self.rows, &mut self.row_span[line])
        } else {
            (&mut *self.cols, &mut self.col_span[line])
        };
        let base = line * (len + 1);
        for k in 0..4 {
            arr[base + a][k] += cw[k];
            arr[base + past][k] -= cw[k];
        }
        *span = (span.0.min(a as u32), span.1.max(past as u32 + 1));
    }

    /// Turns the differences into sums: each row's along the row; each column's down the
    /// column, added into the rows (zeroing the columns) and widening the rows' spans.
    fn total(&mut self) {
        let (rw, rh) = (self.rw, self.rh);
        for (row, &(lo, hi)) in self.rows.chunks_exact_mut(rw + 1).zip(&*self.row_span) {
            let mut sum = [0i32; 4];
            for a in row.get_mut(lo as usize..hi as usize).unwrap_or_default() {
                for (s, v) in sum.iter_mut().zip(a.iter_mut()) {
                    *s += *v;
                    *v = *s;
                }
            }
        }
        for (x, &(lo, hi)) in self.col_span.iter().enumerate() {
            let col = &mut self.cols[x * (rh + 1)..(x + 1) * (rh + 1)];
            let mut sum = [0i32; 4];
            for (y, d) in col
                .iter_mut()
                .enumerate()
                .take(hi as usize)
                .skip(lo as usize)
            {
                for (s, v) in sum.iter_mut().zip(std::mem::take(d)) {
                    *s += v;
                }
                if y < rh {
                    let r = &mut self.rows[y * (rw + 1) + x];
                    for (v, s) in r.iter_mut().zip(sum) {
                        *v += s;
                    }
                    let sp = &mut self.row_span[y];
                    *sp = (sp.0.min(x as u32), sp.1.max(x as u32 + 1));
                }
            }
        }
    }
}

//! Per-pixel passes after rasterisation: blur (defocus / smear), RGBA → RGB with a global gain
//! (lamp flicker × exposure) and Gaussian sensor noise from a precomputed table.

use super::site::hash01;

/// Length of the noise table (entries); each image row reads a window at a seeded offset.
pub(crate) const NOISE_LEN: usize = 1 << 16;

/// Standard-normal samples (Box–Muller over a fixed hash), the same on every machine.
pub(crate) fn normal_table() -> Vec<f32> {
    let mut t = Vec::with_capacity(NOISE_LEN);
    let mut i = 0u64;
    while t.len() < NOISE_LEN {
        let u1 = (hash01(0x005E_ED0F_0153, i) as f64).max(1e-7);
        let u2 = hash01(0x005E_ED0F_0153, i + 1) as f64;
        let r = (-2.0 * u1.ln()).sqrt();
        let a = std::f64::consts::TAU * u2;
        t.push((r * a.cos()) as f32);
        t.push((r * a.sin()) as f32);
        i += 2;
    }
    t
}

/// Scales the normal table by sigma into 8-bit level offsets.
pub(crate) fn scale_table(normal: &[f32], sigma: f32, out: &mut Vec<i16>, grey3: &mut Vec<i16>) {
    out.clear();
    out.extend(
        normal
            .iter()
            .map(|z| (z * sigma).round().clamp(-255.0, 255.0) as i16),
    );
    grey3.clear();
    grey3.extend(out.iter().flat_map(|n| [*n; 3]));
}

/// Offset of row `y`'s window into the noise table.
fn row_offset(seed: u64, y: u32, row_len: usize) -> usize {
    let span = NOISE_LEN - row_len;
    (hash01(seed, y as u64) * span as f32) as usize % span.max(1)
}

/// RGBA (opaque, premultiplied = straight) → RGB through `lut`, plus noise. `grey` writes the
/// green channel's value to all three (IR monochrome, exactly R = G = B). `noise` is the
/// per-channel table (`grey3` its per-pixel version, each sample repeated three times) and the
/// frame's seed. Two simple passes per row (convert, then add noise over the flat bytes) so
/// the compiler vectorises them.
#[inline(never)]
pub(crate) fn to_rgb(
    src: &[u8],
    dst: &mut [u8],
    width: u32,
    lut: &[u8; 256],
    noise: Option<(&[i16], &[i16], u64)>,
    grey: bool,
) {
    let w = width as usize;
    let identity = lut.iter().enumerate().all(|(i, v)| *v as usize == i);
    for (y, (srow, drow)) in src
        .chunks_exact(w * 4)
        .zip(dst.chunks_exact_mut(w * 3))
        .enumerate()
    {
        let (s4, _) = srow.as_chunks::<4>();
        let (d3, _) = drow.as_chunks_mut::<3>();
        match (grey, identity) {
            (false, true) => {
                for (s, d) in s4.iter().zip(d3) {
                    *d = [s[0], s[1], s[2]];
                }
            }
            (false, false) => {
                for (s, d) in s4.iter().zip(d3) {
                    *d = [lut[s[0] as usize], lut[s[1] as usize], lut[s[2] as usize]];
                }
            }
            (true, _) => {
                for (s, d) in s4.iter().zip(d3) {
                    *d = [lut[s[1] as usize]; 3];
                }
            }
        }
        if let Some((table, grey3, seed)) = noise {
            let n = if grey {
                let off = row_offset(seed, y as u32, w);
                &grey3[off * 3..(off + w) * 3]
            } else {
                let off = row_offset(seed, y as u32, w * 3);
                &table[off..off + w * 3]
            };
            for (d, n) in drow.iter_mut().zip(n) {
                *d = (*d as i16 + *n).clamp(0, 255) as u8;
            }
        }
    }
}

/// Gain lookup table.
pub(crate) fn gain_lut(gain: f32) -> [u8; 256] {
    let mut lut = [0u8; 256];
    for (i, v) in lut.iter_mut().enumerate() {
        *v = (i as f32 * gain).round().clamp(0.0, 255.0) as u8;
    }
    lut
}

/// Box blur of an RGBA buffer, radius `r`, horizontal then vertical, `passes` times (three
/// passes approximate a Gaussian).
pub(crate) fn box_blur_rgba(
    buf: &mut [u8],
    w: usize,
    h: usize,
    r: usize,
    passes: usize,
    tmp: &mut Vec<u8>,
) {
    if r == 0 || w == 0 || h == 0 {
        return;
    }
    tmp.resize(buf.len(), 0);
    for _ in 0..passes {
        blur_1d(buf, tmp, w, h, r, 4, w * 4);
        blur_1d(tmp, buf, h, w, r, w * 4, 4);
    }
}

/// One direction: `n` samples per line, `lines` lines; `step` bytes between samples, `stride`
/// bytes between lines. Edges clamp.
fn blur_1d(
    src: &[u8],
    dst: &mut [u8],
    n: usize,
    lines: usize,
    r: usize,
    step: usize,
    stride: usize,
) {
    let div = (2 * r + 1) as u32;
    for line in 0..lines {
        let base = line * stride;
        for c in 0..3 {
            let at = |i: isize| -> u32 {
                src[base + (i.clamp(0, n as isize - 1) as usize) * step + c] as u32
            };
            let mut sum: u32 = (-(r as isize)..=(r as isize)).map(at).sum();
            for i in 0..n {
                dst[base + i * step + c] = ((sum + div / 2) / div) as u8;
                sum += at(i as isize + r as isize + 1);
                sum -= at(i as isize - r as isize);
            }
        }
        for i in 0..n {
            dst[base + i * step + 3] = 255;
        }
    }
}

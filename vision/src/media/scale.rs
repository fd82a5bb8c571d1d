//! Crops and downscales of packed RGB8 pixels, for evidence JPEGs (U1/U2), clip ring frames
//! (U3/U5) and live streams (U6).
//!
//! Key design decision: **one small box filter on raw bytes, no generic image types.** Each
//! output pixel is the mean of the source pixels its area covers (nearest pixel when enlarging),
//! so a 2:1 reduction averages exactly 2×2 pixels and thin lines do not alias away. The loops
//! index plain `&[u8]` slices, which stay fast even in unoptimised test builds, and every size
//! is checked first, so no input can make them index out of bounds.

use crate::Error;

/// A size that fits `max_width`, keeps the aspect ratio and is even in both directions (as
/// I420 video needs): `(width, height)`, at least 2×2. Images narrower than `max_width` keep
/// their size, less an odd last column or row.
pub fn fit_even(width: u32, height: u32, max_width: u32) -> (u32, u32) {
    let w = width.min(max_width.max(2));
    let h = if w == width {
        height
    } else {
        // Rounded to the nearest pixel: 1280×720 → 640×360, 1920×1080 → 640×360.
        ((u64::from(height) * u64::from(w) + u64::from(width) / 2) / u64::from(width.max(1))) as u32
    };
    ((w & !1).max(2), (h & !1).max(2))
}

/// Resamples `src` (`sw`×`sh` packed RGB8) to `dw`×`dh` with a box filter.
///
/// Fails (never panics) when a size is zero or `src` is not `sw * sh * 3` bytes.
pub fn resize(src: &[u8], sw: u32, sh: u32, dw: u32, dh: u32) -> Result<Vec<u8>, Error> {
    if sw == 0 || sh == 0 || dw == 0 || dh == 0 {
        return Err(Error::Image(format!(
            "cannot resize {sw}×{sh} to {dw}×{dh}"
        )));
    }
    let (sw, sh, dw, dh) = (sw as usize, sh as usize, dw as usize, dh as usize);
    if src.len() != sw * sh * 3 {
        return Err(Error::Image(format!(
            "{sw}×{sh} RGB needs {} bytes, got {}",
            sw * sh * 3,
            src.len()
        )));
    }
    if (sw, sh) == (dw, dh) {
        return Ok(src.to_vec());
    }
    let xs = spans(sw, dw);
    let ys = spans(sh, dh);
    let mut out = vec![0u8; dw * dh * 3];
    let row_bytes = sw * 3;
    let mut o = 0;
    for &(y0, y1) in &ys {
        for &(x0, x1) in &xs {
            let (mut r, mut g, mut b) = (0u32, 0u32, 0u32);
            for y in y0..y1 {
                let row = &src[y * row_bytes + x0 * 3..y * row_bytes + x1 * 3];
                let mut i = 0;
                while i + 2 < row.len() {
                    r += u32::from(row[i]);
                    g += u32::from(row[i + 1]);
                    b += u32::from(row[i + 2]);
                    i += 3;
                }
            }
            let n = ((y1 - y0) * (x1 - x0)) as u32;
            let half = n / 2;
            out[o] = ((r + half) / n) as u8;
            out[o + 1] = ((g + half) / n) as u8;
            out[o + 2] = ((b + half) / n) as u8;
            o += 3;
        }
    }
    Ok(out)
}

/// For each of `dst` output positions, the half-open source range `[lo, hi)` it averages: never
/// empty, always inside `0..src`.
fn spans(src: usize, dst: usize) -> Vec<(usize, usize)> {
    (0..dst)
        .map(|i| {
            let lo = (i * src / dst).min(src - 1);
            let hi = ((i + 1) * src / dst).clamp(lo + 1, src);
            (lo, hi)
        })
        .collect()
}

/// Copies the rectangle `[x0, x1) × [y0, y1)` out of `src` (`width`×`height` packed RGB8).
///
/// The rectangle must lie inside the image and not be empty (callers clip it first).
pub fn crop(
    src: &[u8],
    width: u32,
    height: u32,
    [x0, y0, x1, y1]: [u32; 4],
) -> Result<Vec<u8>, Error> {
    if x0 >= x1 || y0 >= y1 || x1 > width || y1 > height {
        return Err(Error::Image(format!(
            "crop [{x0}, {y0}, {x1}, {y1}) is empty or outside {width}×{height}"
        )));
    }
    let (w, x0, x1, y0, y1) = (
        width as usize,
        x0 as usize,
        x1 as usize,
        y0 as usize,
        y1 as usize,
    );
    if src.len() != w * height as usize * 3 {
        return Err(Error::Image(format!(
            "{width}×{height} RGB needs {} bytes, got {}",
            w * height as usize * 3,
            src.len()
        )));
    }
    let mut out = Vec::with_capacity((x1 - x0) * (y1 - y0) * 3);
    for y in y0..y1 {
        out.extend_from_slice(&src[(y * w + x0) * 3..(y * w + x1) * 3]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn sizes_fit_and_are_even() {
        assert_eq!(fit_even(1280, 720, 640), (640, 360));
        assert_eq!(fit_even(2560, 1440, 640), (640, 360));
        assert_eq!(fit_even(1920, 1080, 640), (640, 360));
        assert_eq!(fit_even(640, 481, 640), (640, 480));
        assert_eq!(fit_even(321, 241, 640), (320, 240));
        assert_eq!(fit_even(1000, 3, 640), (640, 2));
        assert_eq!(fit_even(1, 1, 0), (2, 2));
    }

    #[test]
    fn a_two_to_one_reduction_averages_two_by_two() {
        // 4×2 image: left 2×2 block values 0, 100, 200, 100 → 100; right block all 50.
        let px = |v: u8| [v, v, v];
        let rows = [
            [px(0), px(100), px(50), px(50)],
            [px(200), px(100), px(50), px(50)],
        ];
        let src: Vec<u8> = rows.iter().flatten().flatten().copied().collect();
        assert_eq!(
            resize(&src, 4, 2, 2, 1).unwrap(),
            vec![100, 100, 100, 50, 50, 50]
        );
        assert!(resize(&src, 4, 2, 0, 1).is_err());
        assert!(resize(&src[1..], 4, 2, 2, 1).is_err());
        // Enlarging takes the nearest pixel.
        assert_eq!(
            resize(&[7, 8, 9], 1, 1, 2, 1).unwrap(),
            vec![7, 8, 9, 7, 8, 9]
        );
    }

    #[test]
    fn crops_copy_rows() {
        let src: Vec<u8> = (0..4 * 3 * 3).map(|v| v as u8).collect(); // 4×3
        assert_eq!(
            crop(&src, 4, 3, [1, 1, 3, 2]).unwrap(),
            vec![15, 16, 17, 18, 19, 20]
        );
        assert!(crop(&src, 4, 3, [1, 1, 5, 2]).is_err());
        assert!(crop(&src, 4, 3, [2, 1, 2, 2]).is_err());
    }
}

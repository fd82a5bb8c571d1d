//! Rounding without a call into libm: the baseline x86-64 target has no rounding instruction,
//! so `f32::floor` and `f32::round` are function calls, and the rasteriser, the garment pattern
//! and the motion blur round several times per triangle and per pixel. `floor` and `ceil` are
//! exact for every `f32` (same value, same sign of zero, infinities and NaN passed through);
//! `round_i32` is `v.round() as i32` for every `f32` whose rounding fits an `i32`.

/// 2²³: from here on every `f32` is an integer.
const INTEGRAL: f32 = 8_388_608.0;

/// `v.floor()`.
#[inline(always)]
pub(crate) fn floor(v: f32) -> f32 {
    if v.abs() < INTEGRAL {
        let t = v as i32 as f32;
        if t > v { t - 1.0 } else { t.copysign(v) }
    } else {
        v
    }
}

/// `v.ceil()`.
#[inline(always)]
pub(crate) fn ceil(v: f32) -> f32 {
    -floor(-v)
}

/// `v.round() as i32` (halves away from zero) for `|v| < 2³¹`; NaN gives 0 as the cast does.
/// `v − trunc(v)` is exact (both have the same sign and `|trunc(v)| ≥ |v| / 2` once `|v| ≥ 1`),
/// so the fraction decides the rounding exactly.
#[inline(always)]
pub(crate) fn round_i32(v: f32) -> i32 {
    if v.abs() < INTEGRAL {
        let t = v as i32;
        let d = v - t as f32;
        t + i32::from(d >= 0.5) - i32::from(d <= -0.5)
    } else {
        v as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_and_ceil_are_the_library_ones() {
        let mut vs = vec![
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.0,
            -1.0,
            -1.5,
            2.999_999_8,
            -2.999_999_8,
            INTEGRAL - 0.5,
            -(INTEGRAL - 0.5),
            INTEGRAL,
            -INTEGRAL,
            1e20,
            -1e20,
            f32::MAX,
            f32::MIN,
            f32::MIN_POSITIVE,
            -f32::from_bits(1),
            f32::INFINITY,
            f32::NEG_INFINITY,
        ];
        let mut h = 0x9e37_79b9u32;
        for _ in 0..100_000 {
            h ^= h << 13;
            h ^= h >> 17;
            h ^= h << 5;
            vs.push(f32::from_bits(h));
            vs.push((h as f32 / u32::MAX as f32 - 0.5) * 2000.0);
        }
        for v in vs {
            assert_eq!(floor(v).to_bits(), v.floor().to_bits(), "floor({v})");
            assert_eq!(ceil(v).to_bits(), v.ceil().to_bits(), "ceil({v})");
        }
        assert!(floor(f32::NAN).is_nan() && ceil(f32::NAN).is_nan());
    }

    #[test]
    fn round_is_the_library_one() {
        let mut vs = vec![
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.5,
            -1.5,
            2.5,
            -2.5,
            0.499_999_97,
            -0.499_999_97,
            INTEGRAL - 0.5,
            -(INTEGRAL - 0.5),
            INTEGRAL,
            -INTEGRAL,
            1e9,
            -1e9,
            f32::NAN,
        ];
        let mut h = 0x2545_f491u32;
        for _ in 0..100_000 {
            h ^= h << 13;
            h ^= h >> 17;
            h ^= h << 5;
            vs.push((h as f32 / u32::MAX as f32 - 0.5) * 80.0);
            vs.push((h >> 8) as f32 / 256.0 - 32768.0);
        }
        for v in vs {
            assert_eq!(round_i32(v), v.round() as i32, "round({v})");
        }
    }
}

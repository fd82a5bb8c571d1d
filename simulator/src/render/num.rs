//! Rounding without a call into libm: the baseline x86-64 target has no rounding instruction,
//! so `f32::floor` is a function call, and the rasteriser and the garment pattern round several
//! times per triangle and per pixel. Both functions are exact for every `f32` (same value, same
//! sign of zero, infinities and NaN passed through).

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
}

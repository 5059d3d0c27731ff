//! Rounding with CPython semantics.

/// Round `value` to `digits` decimal places the way CPython's `round(x, n)` does:
/// the exact binary value is rounded to `n` decimal digits, correctly rounded with
/// ties to even on the decimal digit, and the result is the nearest `f64` to that
/// decimal. This is not `(x * 10^n).round() / 10^n`, and the difference shows up
/// in this crate's output; the tie cases are pinned by `tie_cases_match_cpython`.
///
/// Rust's fixed-precision float formatting performs exactly that decimal rounding
/// (correctly rounded, ties to even, over the exact binary value), and `parse`
/// returns the nearest `f64`, so the composition is CPython's `round`. That costs
/// a big-number formatting and a parse, and every score rounds four numbers, so
/// the arithmetic below answers first wherever it can be sure:
///
/// `value * 10^n` in floating point is within half an ulp of the exact product,
/// under 2^-52 × 10^10 ≈ 2.3e-6 for any `|value| < 10^6`, far less for the scores
/// here (at most 1). Where the computed product's fraction lies further than 1e-5
/// from one half, the exact product's lies on the same side, so both round to the
/// same integer `r` (no tie is involved; near a whole number both sides round to
/// it). `r` and `10^n` are exact in an `f64`, and IEEE division returns the
/// nearest `f64` to `r / 10^n`, the decimal the formatting would have printed,
/// as `parse` does. A zero keeps the sign of `value`, as "-0.000" parses to -0.0.
/// Within 1e-5 of a half the formatting decides. `rounding_agrees_with_formatting`
/// sweeps random numbers and the neighbourhood of every tie against it.
pub(crate) fn python_round(value: f64, digits: usize) -> f64 {
    const SCALE: [f64; 5] = [1.0, 10.0, 100.0, 1_000.0, 10_000.0];
    if let Some(&scale) = SCALE.get(digits) {
        if value.is_finite() && value.abs() < 1e6 {
            let scaled = value * scale;
            let floor = scaled.floor();
            let fraction = scaled - floor;
            if (fraction - 0.5).abs() > 1e-5 {
                let rounded = if fraction > 0.5 { floor + 1.0 } else { floor };
                return if rounded == 0.0 {
                    0.0_f64.copysign(value)
                } else {
                    rounded / scale
                };
            }
        }
    }
    by_formatting(value, digits)
}

/// CPython's `round` by formatting and parsing: exact everywhere, and slow.
fn by_formatting(value: f64, digits: usize) -> f64 {
    // The fallback cannot be reached: fixed-point formatting of a finite f64
    // always yields a parseable decimal, and every value this crate rounds is
    // finite by construction.
    format!("{value:.digits$}").parse::<f64>().unwrap_or(value)
}

#[cfg(test)]
mod tests {
    use super::python_round;

    #[test]
    fn tie_cases_match_cpython() {
        // Python: round(0.0625, 3) == 0.062 (exact tie, half to even)
        assert_eq!(python_round(0.0625, 3).to_bits(), 0.062_f64.to_bits());
        // Python: round(2.675, 2) == 2.67 (2.675 is below the tie in binary)
        assert_eq!(python_round(2.675, 2).to_bits(), 2.67_f64.to_bits());
        // Python: round(0.25, 1) == 0.2, round(0.75, 1) == 0.8
        assert_eq!(python_round(0.25, 1).to_bits(), 0.2_f64.to_bits());
        assert_eq!(python_round(0.75, 1).to_bits(), 0.8_f64.to_bits());
        // Python: round(0.00005, 4) == 0.0001 (binary value sits above the tie)
        assert_eq!(python_round(0.000_05, 4).to_bits(), 0.0001_f64.to_bits());
    }

    #[test]
    fn rounding_agrees_with_formatting() {
        // A small generator of its own: the crate has no random dependency.
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let check = |x: f64| {
            for digits in 0..=4 {
                let fast = python_round(x, digits);
                let slow = super::by_formatting(x, digits);
                assert_eq!(fast.to_bits(), slow.to_bits(), "round({x:e}, {digits})");
            }
        };
        for _ in 0..300_000 {
            let bits = next();
            // Uniform in [-1, 1), as scores are, and the same spread over
            // magnitudes from 10^-6 to 10^7 (past the fast path's bound).
            let unit = (bits >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0;
            check(unit);
            check(unit * 10_f64.powi((bits % 14) as i32 - 6));
        }
        // Every tie at one to four decimals in [-1, 1] and the floats beside it.
        for scale in [10_i32, 100, 1_000, 10_000] {
            for k in -scale..scale {
                let tie = (f64::from(k) + 0.5) / f64::from(scale);
                let mut x = tie;
                for _ in 0..4 {
                    x = f64::from_bits(x.to_bits() - 1);
                }
                for _ in 0..9 {
                    check(x);
                    x = f64::from_bits(x.to_bits() + 1);
                }
            }
        }
        for x in [
            0.0, -0.0, 1e-300, -1e-300, 0.5, -0.5, 1.5, 2.5, 1e6, -1e6, 1e20,
        ] {
            check(x);
        }
    }

    #[test]
    fn negative_zero_is_preserved() {
        // Python: round(-0.00004, 3) == -0.0
        let rounded = python_round(-0.000_04, 3);
        assert_eq!(rounded.to_bits(), (-0.0_f64).to_bits());
    }

    #[test]
    fn passthrough_of_representable_values() {
        assert_eq!(python_round(0.4404, 4).to_bits(), 0.4404_f64.to_bits());
        assert_eq!(python_round(-0.6597, 4).to_bits(), (-0.6597_f64).to_bits());
        assert_eq!(python_round(0.0, 4).to_bits(), 0.0_f64.to_bits());
        assert_eq!(python_round(1.0, 4).to_bits(), 1.0_f64.to_bits());
        assert_eq!(python_round(-1.0, 4).to_bits(), (-1.0_f64).to_bits());
    }
}

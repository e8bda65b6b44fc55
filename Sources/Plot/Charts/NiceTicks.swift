import Foundation

/// Axis ticks at "nice" numbers (1, 2, 5 × 10^k), after Paul Heckbert, "Nice Numbers for Graph
/// Labels", Graphics Gems (1990), pp. 61–63.
public enum NiceTicks {
    /// The nice number near `x`: rounded (for steps) or the next one up (for ranges).
    public static func niceNumber(_ x: Double, round: Bool) -> Double {
        guard x > 0, x.isFinite else { return 1 }
        let exponent = floor(log10(x))
        let fraction = x / pow(10, exponent)
        let nice: Double
        if round {
            nice = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10
        } else {
            nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10
        }
        return nice * pow(10, exponent)
    }

    /// Loose labelling: a nice range covering [lo, hi] and ~`count` ticks inside it.
    public static func ticks(lo: Double, hi: Double, count: Int = 6) -> (lo: Double, hi: Double, step: Double, values: [Double]) {
        var lo = lo, hi = hi
        if !(lo.isFinite && hi.isFinite) { lo = 0; hi = 1 }
        if hi < lo { swap(&lo, &hi) }
        if hi - lo < 1e-12 * max(1, abs(hi)) {
            let pad = lo == 0 ? 1 : abs(lo) * 0.1
            lo -= pad; hi += pad
        }
        let range = niceNumber(hi - lo, round: false)
        let step = niceNumber(range / Double(max(1, count - 1)), round: true)
        let niceLo = floor(lo / step + 1e-9) * step, niceHi = ceil(hi / step - 1e-9) * step
        // Values from the index, not by repeated addition (no 0.30000000000000004).
        let n = Int(((niceHi - niceLo) / step).rounded()) + 1
        let values = (0..<n).map { i -> Double in
            let x = niceLo + Double(i) * step
            return abs(x) < step * 1e-9 ? 0 : x
        }
        return (niceLo, niceHi, step, values)
    }

    /// Ticks at nice values strictly inside a fixed [lo, hi] (the range is not widened).
    public static func ticksInside(lo: Double, hi: Double, count: Int = 6) -> (step: Double, values: [Double]) {
        let t = ticks(lo: lo, hi: hi, count: count)
        let eps = t.step * 1e-6
        return (t.step, t.values.filter { $0 >= lo - eps && $0 <= hi + eps })
    }

    /// Formats a tick with just enough decimals for `step` (0.25 → 2 decimals, 50 → 0);
    /// thousands and beyond use a "k"/"M" suffix when the step allows it.
    public static func format(_ value: Double, step: Double) -> String {
        let decimals = max(0, min(6, Int(-floor(log10(step) + 1e-9))))
        if abs(step) >= 1 && abs(value) >= 10_000 {
            if abs(value) >= 1_000_000, step >= 100_000 { return format(value / 1_000_000, step: step / 1_000_000) + "M" }
            if step >= 1000 { return format(value / 1000, step: step / 1000) + "k" }
        }
        // abs(0) first so a tiny negative never prints as "-0.0".
        let v = abs(value) < step * 1e-6 ? 0 : value
        return String(format: "%.\(decimals)f", v)
    }
}

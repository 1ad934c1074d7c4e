// Monotone transforms of the values a GP is fit on (to minimize), applied before standardization.
//
// Notation: y_1..y_n values, Q1/Q3 their quartiles (linear interpolation), IQR = Q3 − Q1,
// m their median, Φ⁻¹ the standard normal quantile function.

import Foundation

/// Output transforms for the GP: both keep the order of the values and the best one unchanged, so
/// the incumbent and the anchors of the acquisition search stay where they were.
public enum OutputWarping {
    /// Values above the upper fence `F = Q3 + k · IQR` become `F + IQR · ln(1 + (y − F) / IQR)`;
    /// the others are returned unchanged.
    ///
    /// A diverged training run (a loss of 1e9 among losses near 1) would otherwise set the output
    /// scale on its own: standardized, every other value sits within a hair of the others and the
    /// model sees a flat function. With k = 3 (Tukey's "far out" fence) the values of an ordinary
    /// objective are rarely touched. Fewer than 4 values, or quartiles that coincide, are returned
    /// as they are.
    public static func compressingOutliers(_ values: [Double], fence k: Double) -> [Double] {
        let n = values.count
        guard n >= 4, k.isFinite else { return values }
        let sorted = values.sorted()
        func quantile(_ p: Double) -> Double {
            let h = p * Double(n - 1), i = Int(h.rounded(.down))
            return i + 1 < n ? sorted[i] + (h - Double(i)) * (sorted[i + 1] - sorted[i]) : sorted[n - 1]
        }
        let q3 = quantile(0.75), spread = q3 - quantile(0.25)
        guard spread > 0, spread.isFinite else { return values }
        let fence = q3 + k * spread
        return values.map { $0 > fence ? fence + spread * log1p(($0 - fence) / spread) : $0 }
    }

    /// Half-rank warping: values at or below the median are kept; each value above it becomes
    /// `m + s · Φ⁻¹((rank + ½) / n)` when that is lower, where `s` is the root mean square distance
    /// of the better half from `m` and `rank` the value's 0-based mid-rank. The worse half is made
    /// to look like the upper half of a normal distribution as wide as the better half (after the
    /// half-rank warping of Google Vizier's GP bandit). Fewer than 4 values, or a better half with
    /// no spread, are returned as they are.
    public static func halfRank(_ values: [Double]) -> [Double] {
        let n = values.count
        guard n >= 4 else { return values }
        let sorted = values.sorted()
        let median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
        let better = sorted.prefix { $0 <= median }
        let scale = (better.reduce(0) { $0 + ($1 - median) * ($1 - median) } / Double(better.count)).squareRoot()
        guard scale > 0, scale.isFinite else { return values }
        return values.map { y in
            guard y > median else { return y }
            let below = sorted.partitioningIndex { $0 >= y }, through = sorted.partitioningIndex { $0 > y }
            let rank = Double(below) + Double(through - below - 1) / 2
            return min(y, median + scale * normalQuantile((rank + 0.5) / Double(n)))
        }
    }

    /// Φ⁻¹(q) for q in (0, 1), by Newton's method on Φ(z) = ½ erfc(−z/√2).
    static func normalQuantile(_ q: Double) -> Double {
        precondition(q > 0 && q < 1)
        if q < 0.5 { return -normalQuantile(1 - q) }
        // Φ is concave on z ≥ 0, so the steps from 0 approach the root from below.
        var z = 0.0
        for _ in 0..<100 {
            let step = (q - 0.5 * erfc(-z / 2.squareRoot())) / (exp(-0.5 * z * z) / (2 * Double.pi).squareRoot())
            z += step
            if abs(step) < 1e-12 * max(1, z) { break }
        }
        return z
    }
}

extension Array where Element == Double {
    /// The first index whose element satisfies `belongs` (the array is partitioned by it).
    func partitioningIndex(where belongs: (Double) -> Bool) -> Int {
        var low = 0, high = count
        while low < high {
            let middle = (low + high) / 2
            if belongs(self[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}

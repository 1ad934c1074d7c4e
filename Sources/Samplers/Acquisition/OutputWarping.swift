// Monotone transforms of the values a GP is fit on (to minimize), applied before standardization.
//
// Notation: y_1..y_n values, m their median, Φ⁻¹ the standard normal quantile function.

import Foundation

/// Output transforms for the GP: both keep the order of the values and the best one unchanged, so
/// the incumbent and the anchors of the acquisition search stay where they were.
package enum OutputWarping {
    /// Values cut off from the rest by a wide gap are moved down next to them; the others are
    /// returned unchanged.
    ///
    /// In the sorted values, the gap above the median that is widest relative to the range of
    /// everything below it (`R`, from the best value to the gap's lower end `L`), when it is wider
    /// than `gap` times that range, separates a band of outliers `[U, top]`: diverged training
    /// runs, a sentinel such as 1e9. Each value y of the band becomes
    /// `L + R · (1 + ln(1 + (y − U) / (top − U)))`: the band starts one range above the rest and
    /// spans at most ln 2 ≈ 0.69 of it, in the same order.
    ///
    /// Standardized raw, such a band sets the output scale by itself and every other value looks
    /// the same to the model. A continuous spread of values, however wide (Rosenbrock's tails), has
    /// no such gap and is left alone. Fewer than 4 values are returned as they are.
    package static func compressingOutliers(_ values: [Double], gap: Double) -> [Double] {
        let n = values.count
        guard n >= 4, gap.isFinite else { return values }
        let sorted = values.sorted()
        // The widest gap relative to the range below it, among those above the median.
        var cut = -1, widest = gap
        for i in (n - 1) / 2..<(n - 1) {
            let range = sorted[i] - sorted[0]
            guard range > 0 else { continue }
            let ratio = (sorted[i + 1] - sorted[i]) / range
            if ratio > widest { widest = ratio; cut = i }
        }
        guard cut >= 0 else { return values }
        let lower = sorted[cut], range = lower - sorted[0], upper = sorted[cut + 1], top = sorted[n - 1]
        return values.map { y in
            guard y > lower else { return y }
            let within = top > upper ? log1p((y - upper) / (top - upper)) : 0
            return lower + range * (1 + within)
        }
    }

    /// Half-rank warping: values at or below the median are kept; each value above it becomes
    /// `m + s · Φ⁻¹((rank + ½) / n)` when that is lower, where `s` is the root mean square distance
    /// of the better half from `m` and `rank` the value's 0-based mid-rank. The worse half is made
    /// to look like the upper half of a normal distribution as wide as the better half (after the
    /// half-rank warping of Google Vizier's GP bandit). Fewer than 4 values, or a better half with
    /// no spread, are returned as they are.
    package static func halfRank(_ values: [Double]) -> [Double] {
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

import Foundation

/// Encoding between a parameter's domain and the unit interval `[0, 1]`.
///
/// Floats map linearly (or linearly in `log`); integers map to a grid padded by
/// half a step, so every integer owns an interval of equal width; categoricals map
/// the same way over their index. `decode(encode(v)) == v` for every valid value.
extension Parameter {
    /// The point in `[0, 1]` that stands for `value`.
    package func encode(_ value: ParameterValue) -> Double {
        switch domain {
        case .float(let low, let high, let log):
            let x = value.numericValue ?? low
            if high == low { return 0.5 }
            return log ? (Foundation.log(x) - Foundation.log(low)) / (Foundation.log(high) - Foundation.log(low))
                : (x - low) / (high - low)
        case .int(let low, let high, let log):
            let x = value.numericValue ?? Double(low)
            if log {
                // Log-scaled integers need low >= 1, so low - 0.5 > 0.
                let padLow = Foundation.log(Double(low) - 0.5), padHigh = Foundation.log(Double(high) + 0.5)
                return (Foundation.log(x) - padLow) / (padHigh - padLow)
            }
            return (x - Double(low) + 0.5) / Double(high - low + 1)
        case .categorical(let values):
            let index = values.firstIndex(of: value) ?? 0
            return (Double(index) + 0.5) / Double(values.count)
        }
    }

    /// The value that `u` in `[0, 1]` stands for (clamped, rounded for integers, snapped for categoricals).
    package func decode(_ u: Double) -> ParameterValue {
        let u = min(max(u.isFinite ? u : 0.5, 0), 1)
        switch domain {
        case .float(let low, let high, let log):
            let x = log ? exp(Foundation.log(low) + u * (Foundation.log(high) - Foundation.log(low)))
                : low * (1 - u) + high * u
            return .double(min(max(x, low), high))
        case .int(let low, let high, let log):
            let x: Double
            if log {
                let padLow = Foundation.log(Double(low) - 0.5), padHigh = Foundation.log(Double(high) + 0.5)
                x = exp(padLow + u * (padHigh - padLow))
            } else {
                x = Double(low) - 0.5 + u * Double(high - low + 1)
            }
            return .int(min(max(Int(x.rounded()), low), high))
        case .categorical(let values):
            let index = min(Int(u * Double(values.count)), values.count - 1)
            return values[index]
        }
    }

    /// Every value for a grid search: each int and categorical value, `points` values for floats.
    package func gridValues(points: Int) -> [ParameterValue] {
        switch domain {
        case .float:
            if points <= 1 { return [decode(0.5)] }
            return (0..<points).map { decode(Double($0) / Double(points - 1)) }
        case .int(let low, let high, let log):
            let count = high - low + 1
            if !log || count <= points * 4 { return (low...high).map { .int($0) } }
            // Very wide log-scaled integer ranges are sampled, not enumerated.
            var seen = Set<ParameterValue>()
            return (0..<points * 4).compactMap { index in
                let value = decode(Double(index) / Double(points * 4 - 1))
                return seen.insert(value).inserted ? value : nil
            }
        case .categorical(let values):
            return values
        }
    }
}

import Foundation

/// One axis of a static plot: the range it spans and its round, briefly labelled ticks.
///
/// ```swift
/// let y = PlotAxis(covering: [0.958315, 2.06254], logarithmic: true)   // ticks 1, 1.5, 2
/// let x = PlotAxis(trials: 1, 60)                                       // ticks 10, 20, ... 60
/// ```
///
/// Linear ticks step by 1, 2 or 5 times a power of ten, about `count` of them. Logarithmic
/// ticks are 1, 2 and 5 times powers of ten over one to two and a half decades, powers of ten
/// (every second, fifth, tenth... when there are many) over more, and linear steps over less
/// than a factor of about 6, where a decade has no two round values. Ticks lie inside the axis;
/// every rule gives at least two unless the axis holds a single trial.
package struct PlotAxis: Sendable, Equatable {
    /// A tick: where it goes and what it says.
    package struct Tick: Sendable, Equatable {
        package var value: Double
        package var label: String
    }

    /// The ends of the axis, in data units.
    package var low: Double
    package var high: Double
    package var isLogarithmic: Bool
    package var ticks: [Tick]

    /// The axis over `values` (the finite ones; on a log axis the positive ones), widened by
    /// `padding` of its span at each end. Values all equal get an axis centred on them; no
    /// values at all, the axis 0 to 1 (1 to 10 on a log axis).
    package init(covering values: [Double], logarithmic: Bool, padding: Double = 0.05, count: Int = 5) {
        let usable = values.filter { $0.isFinite && (!logarithmic || $0 > 0) }.map { logarithmic ? log10($0) : $0 }
        var lo = usable.min() ?? 0, hi = usable.max() ?? 1
        if lo == hi {
            // Half a decade each way on a log axis; a tenth of the value (or 1 about 0) on a linear one.
            let half = logarithmic ? 0.5 : (lo == 0 ? 1 : abs(lo) * 0.1)
            lo -= half; hi += half
        }
        let margin = (hi - lo) * padding
        lo -= margin; hi += margin
        isLogarithmic = logarithmic
        low = logarithmic ? pow(10, lo) : lo
        high = logarithmic ? pow(10, hi) : hi
        ticks = logarithmic ? Self.logarithmicTicks(low: low, high: high, count: count)
            : Self.linearTicks(low: low, high: high, count: count)
    }

    /// The axis of trial numbers `first...last`, half a trial beyond each end, ticked at round numbers.
    package init(trials first: Int64, _ last: Int64, count: Int = 8) {
        let (first, last) = (min(first, last), max(first, last))
        low = Double(first) - 0.5
        high = Double(last) + 0.5
        isLogarithmic = false
        let step = Int64(max(1, Self.niceStep(Double(last - first) / Double(count))))
        var start = first - first % step
        if start < first { start += step }
        ticks = stride(from: start, through: last, by: Int(step)).map { Tick(value: Double($0), label: String($0)) }
    }

    /// Where `value` lies along the axis: 0 at `low`, 1 at `high` (on a log axis, by its logarithm).
    package func fraction(_ value: Double) -> Double {
        let (v, lo, hi) = isLogarithmic ? (log10(value), log10(low), log10(high)) : (value, low, high)
        return hi > lo ? (v - lo) / (hi - lo) : 0.5
    }

    /// The smallest of 1, 2 or 5 times a power of ten that is at least `raw` (> 0).
    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let power = pow(10, floor(log10(raw)))
        return [1.0, 2, 5, 10].map { $0 * power }.first { $0 >= raw * (1 - 1e-9) } ?? 10 * power
    }

    /// Multiples of a `niceStep`, about `count` of them, from `low` to `high`; the one value
    /// when they are equal.
    package static func linearTicks(low: Double, high: Double, count: Int = 5) -> [Tick] {
        guard low.isFinite, high.isFinite else { return [] }
        guard high > low else { return [Tick(value: low, label: label(low, step: abs(low) > 0 ? abs(low) : 1))] }
        let step = niceStep((high - low) / Double(max(count, 1)))
        let first = Int((low / step - 1e-9).rounded(.up)), last = Int((high / step + 1e-9).rounded(.down))
        guard first <= last else { return [] }
        // k / 10^n rather than k * 10^-n: 3 / 10 is the double nearest 0.3, 3 * 0.1 is not.
        let scale = step < 1 ? pow(10, -floor(log10(step) + 1e-9)) : 1
        let unit = (step * scale).rounded()
        return (first...last).map { k in
            let value = Double(k) * unit / scale
            return Tick(value: value == 0 ? 0 : value, label: label(value, step: step))
        }
    }

    /// Round ticks from `low` to `high` (both > 0) on a log axis: see the type's summary.
    package static func logarithmicTicks(low: Double, high: Double, count: Int = 5) -> [Tick] {
        guard low > 0, high.isFinite else { return [] }
        let (a, b) = (log10(low), log10(high))
        if b - a < 0.8 { return linearTicks(low: low, high: high, count: count) }
        func power(_ exponent: Int) -> Double { exponent < 0 ? 1 / pow(10, Double(-exponent)) : pow(10, Double(exponent)) }
        let inside = { (value: Double) in value >= low * (1 - 1e-9) && value <= high * (1 + 1e-9) }
        if b - a <= 2.5 {
            let values = (Int(floor(a))...Int(ceil(b))).flatMap { exponent in [1.0, 2, 5].map { $0 * power(exponent) } }
            return values.filter(inside).map { Tick(value: $0, label: label($0, step: $0)) }
        }
        let every = Int(max(1, niceStep((b - a) / Double(max(count, 1)))))
        return (Int(ceil(a - 1e-9))...Int(floor(b + 1e-9))).filter { $0 % every == 0 }.map { exponent in
            let value = power(exponent)
            return Tick(value: value, label: label(value, step: value))
        }
    }

    /// `value` in as few characters as ticks `step` apart need: `0.2`, `1.5`, `300`, `1e-5`, `2.5e7`.
    package static func label(_ value: Double, step: Double) -> String {
        guard value != 0 else { return "0" }
        let magnitude = abs(value), step = abs(step) > 0 ? abs(step) : magnitude
        if magnitude >= 1e-4 && magnitude < 1e6 {
            let decimals = max(0, Int(-floor(log10(step) + 1e-9)))
            var text = String(format: "%.\(decimals)f", value)
            if text.contains(".") {
                while text.hasSuffix("0") { text.removeLast() }
                if text.hasSuffix(".") { text.removeLast() }
            }
            return text == "-0" ? "0" : text
        }
        let digits = max(1, Int(floor(log10(magnitude) + 1e-9) - floor(log10(step) + 1e-9)) + 1)
        let text = String(format: "%.\(min(digits, 15) - 1)e", value)
        // 1e-05 → 1e-5, 2.5e+07 → 2.5e7.
        guard let e = text.firstIndex(of: "e") else { return text }
        var mantissa = String(text[..<e]), exponent = String(text[text.index(after: e)...])
        if mantissa.contains(".") {
            while mantissa.hasSuffix("0") { mantissa.removeLast() }
            if mantissa.hasSuffix(".") { mantissa.removeLast() }
        }
        let negative = exponent.hasPrefix("-")
        exponent = String(exponent.drop { $0 == "+" || $0 == "-" || $0 == "0" })
        return mantissa + "e" + (negative ? "-" : "") + (exponent.isEmpty ? "0" : exponent)
    }
}

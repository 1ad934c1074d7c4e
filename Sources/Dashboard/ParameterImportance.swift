package import TrialModel

/// How much each parameter matters, from the completed trials alone.
///
/// The measure is the correlation ratio of the trials' value ranks over bins of the
/// parameter: trials are grouped by the parameter (quantile bins of its unit-cube
/// coordinate, so a log parameter is binned on its log scale; one bin per category),
/// and the ratio is the share of the rank variance that lies between the groups'
/// means, corrected for the share k bins explain by chance (ε² = (SS_between −
/// (k−1)·MS_within) / SS_total, floored at 0), so a parameter without effect scores
/// about 0 rather than (k−1)/(n−1). Ranks
/// make it insensitive to outliers and to the metric's scale. The shares are
/// normalized to sum to 1. It is cheaper than fANOVA and sees only main effects:
/// two parameters that matter only together both score low. A conditional parameter is
/// measured on the trials where it is active (it has no value elsewhere), and scores 0
/// while fewer than `minimumTrials` of them are completed.
package enum ParameterImportance {
    /// Completed trials needed before importance is reported.
    package static let minimumTrials = 6

    /// Parameter name → share in [0, 1], summing to 1; empty with too few trials or no spread.
    package static func shares(trials: [Trial], space: SearchSpace) -> [String: Double] {
        let completed = trials.filter { $0.state == .completed && ($0.value?.isFinite ?? false) }
        guard completed.count >= minimumTrials else { return [:] }
        let ranks = Self.ranks(completed.map { $0.value! })
        var raw: [String: Double] = [:]
        for parameter in space.parameters {
            let active = completed.indices.filter { completed[$0].configuration[parameter.name] != nil }
            guard active.count >= minimumTrials else { raw[parameter.name] = 0; continue }
            let groups = Self.groups(of: active.map { completed[$0] }, by: parameter)
            raw[parameter.name] = Self.correlationRatio(active.map { ranks[$0] }, groups: groups)
        }
        let total = raw.values.reduce(0, +)
        guard total > 0 else { return [:] }
        return raw.mapValues { $0 / total }
    }

    /// Average ranks (ties share their mean rank), from 0.
    static func ranks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count && values[order[end + 1]] == values[order[start]] { end += 1 }
            let mean = Double(start + end) / 2
            for position in start...end { ranks[order[position]] = mean }
            start = end + 1
        }
        return ranks
    }

    /// A group index per trial: the category, or a quantile bin of the unit-cube coordinate.
    static func groups(of trials: [Trial], by parameter: Parameter) -> [Int] {
        let coordinates = trials.map { trial in trial.configuration[parameter.name].map(parameter.encode) ?? 0.5 }
        if case .categorical(let values) = parameter.domain {
            return trials.map { trial in trial.configuration[parameter.name].flatMap { values.firstIndex(of: $0) } ?? 0 }
        }
        // About 4 trials per bin, between 2 and 6 bins.
        let bins = max(2, min(6, trials.count / 4))
        let order = coordinates.indices.sorted { coordinates[$0] < coordinates[$1] }
        var groups = [Int](repeating: 0, count: trials.count)
        for (position, index) in order.enumerated() { groups[index] = position * bins / trials.count }
        // Equal coordinates belong in one bin whatever their position.
        for position in order.indices.dropFirst()
        where coordinates[order[position]] == coordinates[order[position - 1]] {
            groups[order[position]] = groups[order[position - 1]]
        }
        return groups
    }

    /// Between-group variance over total variance, less what the groups explain by chance (ε²).
    static func correlationRatio(_ values: [Double], groups: [Int]) -> Double {
        let mean = values.reduce(0, +) / Double(values.count)
        let total = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        guard total > 0 else { return 0 }
        var sums: [Int: (sum: Double, count: Int)] = [:]
        for (value, group) in zip(values, groups) {
            sums[group, default: (0, 0)].sum += value
            sums[group, default: (0, 0)].count += 1
        }
        let between = sums.values.reduce(0) { partial, entry in
            let groupMean = entry.sum / Double(entry.count)
            return partial + Double(entry.count) * (groupMean - mean) * (groupMean - mean)
        }
        let k = Double(sums.count), n = Double(values.count)
        guard k > 1, n > k else { return 0 }
        let withinMeanSquare = (total - between) / (n - k)
        return max(0, (between - (k - 1) * withinMeanSquare) / total)
    }
}

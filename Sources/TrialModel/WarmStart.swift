/// The completed trials of an earlier study that fit a new study's search space, given to its
/// optimizer as extra observations (`sextant coordinator --warm-start OLD.db[:STUDY]`).
///
/// A completed trial (finite value) fits when every parameter it has is one of the new space's,
/// with a value valid there (`SearchSpace.checked`), its configuration respects the new space's
/// conditions, and every parameter active in it has a value. The others are counted by the first
/// rule they break, so a person can see why: `9 have parameter momentum not in this space`.
package struct WarmStart: Sendable {
    /// Trials skipped for one reason.
    package struct Skip: Sendable, Hashable {
        /// What the trials have, as it reads after their count: `have parameter momentum not in this space`.
        package var reason: String
        package var count: Int
        package init(reason: String, count: Int) { self.reason = reason; self.count = count }
    }

    /// The fitting trials, configurations as the new space stores them (an int given to a float
    /// parameter becomes a float), in the old study's order.
    package var trials: [Trial]
    /// Trials skipped, per reason (`have lr outside [1e-05, 1]`), most frequent first.
    package var skipped: [Skip]

    package var skippedCount: Int { skipped.reduce(0) { $0 + $1.count } }

    /// The old study's completed trials that fit `spec`; throws when the two metrics differ.
    package init(trials: [Trial], from old: StudySpec, into spec: StudySpec) throws(WarmStartError) {
        guard old.metric == spec.metric else {
            throw WarmStartError("study \(old.name) has metric \(old.metric.name) (\(old.metric.goal.rawValue)), "
                + "this study \(spec.metric.name) (\(spec.metric.goal.rawValue)); warm-start from a study of the same metric")
        }
        var fitting: [Trial] = []
        var counts: [String: Int] = [:], order: [String] = []
        for trial in trials where trial.state == .completed {
            guard let value = trial.value, value.isFinite else { continue }
            switch Self.fit(trial.configuration, in: spec.space) {
            case .success(let configuration):
                var kept = trial
                kept.configuration = configuration
                fitting.append(kept)
            case .failure(let reason):
                if counts[reason.description] == nil { order.append(reason.description) }
                counts[reason.description, default: 0] += 1
            }
        }
        self.trials = fitting
        // Stable: equal counts keep the order in which the reasons first appeared.
        self.skipped = order.enumerated()
            .sorted { (counts[$0.element]!, -$0.offset) > (counts[$1.element]!, -$1.offset) }
            .map { Skip(reason: $0.element, count: counts[$0.element]!) }
    }

    /// `configuration` as `space` stores it, or the first rule it breaks.
    package static func fit(_ configuration: Configuration, in space: SearchSpace) -> Result<Configuration, WarmStartError> {
        var values: [String: ParameterValue] = [:]
        for name in configuration.values.keys.sorted() {
            guard let parameter = space.parameters.first(where: { $0.name == name }) else {
                return .failure(WarmStartError("have parameter \(name) not in this space"))
            }
            let value = configuration.values[name]!
            do {
                values[name] = try space.checked(value, for: name)
            } catch {
                return .failure(WarmStartError("have \(name) " + invalidity(of: value, for: parameter)))
            }
        }
        let converted = Configuration(values)
        if let (name, _) = space.conditionProblem(in: converted) {
            return .failure(WarmStartError("have \(name) where it is inactive"))
        }
        let active = space.pruned(converted)
        if active != converted, let name = converted.values.keys.sorted().first(where: { active[$0] == nil }) {
            return .failure(WarmStartError("have \(name) where it is inactive"))
        }
        if let missing = space.parameters.first(where: { SearchSpace.holds($0.condition, in: values) && values[$0.name] == nil }) {
            return .failure(WarmStartError("lack parameter \(missing.name)"))
        }
        return .success(converted)
    }

    /// Why `checked` refused `value`, grouped so that trials with different values count together:
    /// `outside [16, 512]`, `not a whole number`, `not one of sgd, adam`.
    static func invalidity(of value: ParameterValue, for parameter: Parameter) -> String {
        switch (parameter.domain, value) {
        case (.float(let low, let high, _), _):
            guard value.numericValue != nil else { return "not a number" }
            return "outside [\(TrialFormatting.format(low)), \(TrialFormatting.format(high))]"
        case (.int(let low, let high, _), .int):
            return "outside [\(low), \(high)]"
        case (.int, _):
            return "not a whole number"
        case (.categorical(let values), _):
            return "not one of \(values.map(TrialFormatting.format).joined(separator: ", "))"
        }
    }

    /// The study to warm-start from: `named` when given, else the database's only study, else the
    /// one called like the new study (`current`); throws, listing the studies, when there is none.
    package static func chooseStudy(named: String?, among studies: [String], current: String, database: String)
        throws(WarmStartError) -> String
    {
        let list = studies.isEmpty ? "it holds no study" : "it holds \(studies.joined(separator: ", "))"
        if let named {
            guard studies.contains(named) else {
                throw WarmStartError("\(database): no study \(named) to warm-start from; \(list)")
            }
            return named
        }
        if studies.count == 1 { return studies[0] }
        if studies.contains(current) { return current }
        throw WarmStartError("\(database): no study to warm-start from; \(list) (name one: \(database):STUDY)")
    }

    /// `OLD.db[:STUDY]` split into the database and the study; a colon followed by nothing, or a
    /// path with no colon, names no study.
    package static func source(_ text: String) -> (database: String, study: String?) {
        guard let colon = text.lastIndex(of: ":"), !text[text.index(after: colon)...].contains("/") else {
            return (text, nil)
        }
        let study = String(text[text.index(after: colon)...])
        return (String(text[..<colon]), study.isEmpty ? nil : study)
    }

    /// The line a coordinator prints at start:
    /// `warm start: 38 completed trials of old-study in old.db (12 skipped: 9 have ..., 3 have ...)`.
    package func summary(study: String, database: String) -> String {
        var line = "warm start: \(trials.count) completed trial\(trials.count == 1 ? "" : "s") of \(study) in \(database)"
        if skippedCount > 0 {
            line += " (\(skippedCount) skipped: " + skipped.map { "\($0.count) \($0.reason)" }.joined(separator: ", ") + ")"
        }
        return line
    }
}

/// Why a warm start cannot be used, or (from `WarmStart.fit`) why one trial does not fit; the
/// coordinator prints it on one line and exits with status 2.
package struct WarmStartError: Error, CustomStringConvertible, Sendable, Equatable {
    package let description: String
    package init(_ description: String) { self.description = description }
}

package import TrialModel

/// Quasi-random search: scrambled Sobol points decoded into the search space.
///
/// The n-th trial of a study gets the n-th point, so the sequence survives restarts;
/// a point whose configuration was already tried (possible with ints and categoricals)
/// is skipped.
package struct RandomSampler: Sampler {
    package let seed: UInt64

    package init(seed: UInt64) { self.seed = seed }

    package func suggest(_ history: StudyHistory) async throws -> Configuration? {
        suggestNow(history)
    }

    package var suggestsInstantly: Bool { true }

    /// Only a space without float parameters can repeat a configuration: then the trials are read.
    package func needsTrials(for spec: StudySpec) -> Bool {
        !spec.space.parameters.contains { parameter in
            if case .float(let low, let high, _) = parameter.domain { return high > low }
            return false
        }
    }

    /// The same as `suggest`, synchronously.
    package func suggestNow(_ history: StudyHistory) -> Configuration? {
        let space = history.spec.space
        var sequence = QuasiRandomSequence(dimension: space.dimension, seed: seed)
        sequence.skip(to: UInt64(history.trialCount))
        var candidate = space.decode(sequence.next())
        // Distinct points of the sequence decode to distinct values of a float parameter, so
        // only an all-discrete space can repeat a configuration.
        guard needsTrials(for: history.spec) else { return candidate }
        let tried = Set(history.trials.map(\.configuration))
        // Bounded: a small discrete space may have no untried configuration left.
        for _ in 0..<1000 where tried.contains(candidate) {
            candidate = space.decode(sequence.next())
        }
        return candidate
    }
}

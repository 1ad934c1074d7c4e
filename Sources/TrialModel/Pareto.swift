// Pareto dominance and hypervolume for vectors of objectives that are all minimized.
//
// Notation: m objectives, r the reference point (the worst values that still count). A point p
// dominates q when p ≤ q in every objective and p < q in one. The hypervolume of a set P is the
// volume of {z : z ≤ r and some p ∈ P has p ≤ z}, the part of the box below r that P dominates.
// The part of that box P does NOT dominate is kept as disjoint axis-aligned boxes [l, u) (a lower
// corner may be −∞); the hypervolume improvement of a new point y is then
//   HVI(y) = Σ_boxes Π_k (u_k − max(y_k, l_k))⁺,
// and a point is added by cutting the region it dominates out of each box it reaches: a box minus
// the corner box [c, u) with c = max(y, l) splits into at most m disjoint boxes (the k-th takes
// [l_k, c_k) in objective k, [c_j, u_j) in the objectives before k, [l_j, u_j) in those after).

import Foundation

/// Pareto dominance and the non-dominated points of a set (every objective minimized).
package enum Pareto {
    /// Whether `a` dominates `b`: no worse in every objective and better in one.
    package static func dominates(_ a: [Double], _ b: [Double]) -> Bool {
        var better = false
        for (x, y) in zip(a, b) {
            if x > y { return false }
            if x < y { better = true }
        }
        return better
    }

    /// Indices of the points no other point dominates, in the given order; of equal points, each is kept.
    package static func front(_ points: [[Double]]) -> [Int] {
        // In lexicographic order a point can only be dominated by an earlier one, and then (the
        // relation being transitive) by an earlier one on the front: each is checked against the front.
        let order = points.indices.sorted { points[$0].lexicographicallyPrecedes(points[$1]) }
        var kept: [Int] = []
        for i in order where !kept.contains(where: { dominates(points[$0], points[i]) }) { kept.append(i) }
        return kept.sorted()
    }

    /// The hypervolume `points` dominate below `reference`.
    package static func hypervolume(_ points: [[Double]], reference: [Double]) -> Double {
        var region = NondominatedRegion(reference: reference)
        var total = 0.0
        for point in points { total += region.insert(point) }
        return total
    }

    /// The hypervolume after each point in turn (the first k points for the k-th entry).
    package static func hypervolumeHistory(_ points: [[Double]], reference: [Double]) -> [Double] {
        var region = NondominatedRegion(reference: reference)
        var total = 0.0
        return points.map { point in
            total += region.insert(point)
            return total
        }
    }
}

/// The part of the box below a reference point that a set of points does not dominate, as
/// disjoint boxes; it answers how much a new point would add to the set's hypervolume.
package struct NondominatedRegion: Sendable {
    /// One box [lower, upper); a lower corner may be −∞.
    package struct Box: Sendable, Hashable {
        package var lower: [Double]
        package var upper: [Double]
    }

    package let reference: [Double]
    package private(set) var boxes: [Box]

    /// The whole box below `reference`: nothing dominated yet.
    package init(reference: [Double]) {
        self.reference = reference
        boxes = [Box(lower: reference.map { _ in -.infinity }, upper: reference)]
    }

    /// The region left by `points`.
    package init(reference: [Double], points: [[Double]]) {
        self.init(reference: reference)
        // Sorted by the first objective, the cuts split fewer boxes.
        for point in points.sorted(by: { $0.lexicographicallyPrecedes($1) }) { insert(point) }
    }

    /// How much `point` would add to the hypervolume.
    package func improvement(of point: [Double]) -> Double {
        var total = 0.0
        for box in boxes {
            var volume = 1.0
            for k in point.indices {
                let side = box.upper[k] - Swift.max(point[k], box.lower[k])
                if side <= 0 { volume = 0; break }
                volume *= side
            }
            total += volume
        }
        return total
    }

    /// Cuts the region `point` dominates out of the boxes; returns the volume removed (its improvement).
    @discardableResult
    package mutating func insert(_ point: [Double]) -> Double {
        guard point.allSatisfy({ !$0.isNaN }) else { return 0 }
        var added = 0.0
        var kept: [Box] = []
        kept.reserveCapacity(boxes.count + point.count)
        for box in boxes {
            guard point.indices.allSatisfy({ point[$0] < box.upper[$0] }) else { kept.append(box); continue }
            let corner = point.indices.map { Swift.max(point[$0], box.lower[$0]) }
            var volume = 1.0
            for k in point.indices { volume *= box.upper[k] - corner[k] }
            added += volume
            for k in point.indices where corner[k] > box.lower[k] {
                var piece = box
                for j in 0..<k { piece.lower[j] = corner[j] }
                piece.upper[k] = corner[k]
                kept.append(piece)
            }
        }
        boxes = kept
        return added
    }
}

extension StudySpec {
    /// The reference point of the study's hypervolume, objectives minimized (a maximized one negated):
    /// each objective's `reference` when given, else the worst value among `trials` (completed and
    /// feasible); nil while there is none.
    package func hypervolumeReference(_ trials: [Trial]) -> [Double]? {
        let points = trials.compactMap { $0.state == .completed && isFeasible($0) ? minimizedObjectives(of: $0) : nil }
        var reference: [Double] = []
        for (k, objective) in objectives.enumerated() {
            if let given = objective.reference {
                reference.append(objective.goal == .maximize ? -given : given)
            } else {
                guard let worst = points.map({ $0[k] }).max() else { return nil }
                reference.append(worst)
            }
        }
        return reference
    }
}

extension Collection where Element == Trial {
    /// The completed feasible trials no other such trial dominates (the Pareto front of `spec`'s
    /// objectives), by their first objective, best first; ties by id.
    package func paretoFront(in spec: StudySpec) -> [Trial] {
        var trials: [Trial] = [], points: [[Double]] = []
        for trial in self where trial.state == .completed && spec.isFeasible(trial) {
            guard let point = spec.minimizedObjectives(of: trial) else { continue }
            trials.append(trial)
            points.append(point)
        }
        let front: [Int] = Pareto.front(points).sorted { (a: Int, b: Int) -> Bool in
            points[a][0] < points[b][0] || (points[a][0] == points[b][0] && trials[a].id < trials[b].id)
        }
        return front.map { trials[$0] }
    }

    /// The hypervolume of the front after each trial that finished, in order of finishing time,
    /// against `reference` (the study's `hypervolumeReference` when nil); empty without one.
    package func hypervolumeHistory(in spec: StudySpec, reference: [Double]? = nil) -> [(trial: Trial, hypervolume: Double)] {
        let finished = filter { $0.state.isFinished }
            .sorted { ($0.finishedAt ?? .distantFuture, $0.id) < ($1.finishedAt ?? .distantFuture, $1.id) }
        guard let reference = reference ?? spec.hypervolumeReference(Array(self)) else { return [] }
        var region = NondominatedRegion(reference: reference)
        var total = 0.0
        return finished.map { trial in
            if trial.state == .completed, spec.isFeasible(trial), let point = spec.minimizedObjectives(of: trial) {
                total += region.insert(point)
            }
            return (trial, total)
        }
    }
}

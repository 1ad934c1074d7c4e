import GaussianProcess
import Synchronization

/// Fits GPs for a sampler, keeping the last model: the same data gets the same model back, and
/// new data is fit warm-started from the last hyperparameters, on a cadence that bounds the cost
/// of a large study.
final class ModelFitter: Sendable {
    /// Up to this many observations, hyperparameters are re-optimized on every new result; beyond
    /// it, whenever the data grew by `refitGrowth` since the last optimization, and in between the
    /// model is rebuilt on all observations with the hyperparameters kept (one Cholesky).
    static let refitEveryResultUpTo = 150
    /// Relative growth of the data that triggers a hyperparameter re-optimization beyond the limit.
    static let refitGrowth = 0.05

    struct FittedModel: Sendable {
        var key: [Double]
        var model: GaussianProcessModel
        /// Observations when the hyperparameters were last optimized.
        var optimizedAt: Int
    }

    let optimizer: BayesianOptimizer
    let seed: UInt64
    private let cache = Mutex<FittedModel?>(nil)

    init(optimizer: BayesianOptimizer, seed: UInt64) {
        self.optimizer = optimizer
        self.seed = seed
    }

    /// The model for these observations: the cached one if they have not changed, else a new fit
    /// warm-started from the cached hyperparameters.
    /// `total` is the number of observations before any subsetting; it sets the refit cadence.
    func fitted(observations: [[Double]], values: [Double], dimensions: [DimensionKind], total: Int? = nil) throws
        -> GaussianProcessModel
    {
        // NaN (an inactive coordinate) never equals itself: key it as −1.
        let key = observations.flatMap { $0 }.map { $0.isNaN ? -1 : $0 } + values
        let previous = cache.withLock { $0 }
        if let previous, previous.key == key { return previous.model }
        let n = total ?? observations.count
        if let previous, previous.model.dimension == dimensions.count, n > Self.refitEveryResultUpTo,
           Double(n) < Double(previous.optimizedAt) * (1 + Self.refitGrowth),
           let model = try? optimizer.model(observations: observations, values: values, dimensions: dimensions,
                                            hyperparameters: previous.model.hyperparameters) {
            cache.withLock { $0 = FittedModel(key: key, model: model, optimizedAt: previous.optimizedAt) }
            return model
        }
        let model = try optimizer.fit(observations: observations, values: values, dimensions: dimensions,
                                      seed: seed &+ UInt64(n), warmStart: previous?.model.hyperparameters)
        cache.withLock { $0 = FittedModel(key: key, model: model, optimizedAt: n) }
        return model
    }
}

#!/usr/bin/env python3
"""Independent reference for the MAP hyperparameter objective of GaussianProcessModel.

Objective (minimized), theta = (log l_1..log l_d, log s, log noise):
  U = 0.5 y'K^-1 y + 0.5 logdet K + n/2 log(2 pi)                     (K = s*Matern52 + noise*I)
    + sum_k -log N(log l_k; 0, 1) - log N(log s; 0, 1.5) - log N(log noise; -8, 2)
with y standardized (sample mean, ddof=1 std). Box bounds as in HyperparameterBounds.
Gradients are left to scipy's finite differences so this is independent of the Swift analytic ones.
Prints Swift literals for Tests/GaussianProcessTests/FitTests.swift.
"""
import numpy as np
from scipy.optimize import minimize
from scipy.stats import norm

def dataset():
    n, d = 24, 3
    i = np.arange(1, n + 1, dtype=float)[:, None]
    alphas = np.array([0.6180339887498949, 0.4142135623730951, 0.7320508075688772])
    X = np.mod(i * alphas, 1.0)
    y = (np.sin(6.0 * X[:, 0]) + 0.5 * np.cos(4.0 * X[:, 1]) + 0.1 * X[:, 2]
         + 0.05 * np.sin(37.0 * i[:, 0]))
    return X, y

def objective(theta, X, y):
    n, d = X.shape
    ell = np.exp(theta[:d]); s = np.exp(theta[d]); noise = np.exp(theta[d + 1])
    diff = (X[:, None, :] - X[None, :, :]) / ell
    r = np.sqrt(np.sum(diff ** 2, axis=-1))
    a = np.sqrt(5.0) * r
    K = s * (1 + a + a * a / 3) * np.exp(-a) + noise * np.eye(n)
    try:
        L = np.linalg.cholesky(K)
    except np.linalg.LinAlgError:
        return 1e300
    alpha = np.linalg.solve(L.T, np.linalg.solve(L, y))
    nll = 0.5 * y @ alpha + np.sum(np.log(np.diag(L))) + 0.5 * n * np.log(2 * np.pi)
    prior = (-np.sum(norm.logpdf(theta[:d], 0.0, 1.0))
             - norm.logpdf(theta[d], 0.0, 1.5) - norm.logpdf(theta[d + 1], -8.0, 2.0))
    return nll + prior

def main():
    X, yraw = dataset()
    y = (yraw - yraw.mean()) / yraw.std(ddof=1)
    n, d = X.shape
    lo = np.array([np.log(5e-3)] * d + [np.log(1e-2), np.log(1e-6)])
    hi = np.array([np.log(1e3)] * d + [np.log(1e2), np.log(2.0)])
    rng = np.random.default_rng(12345)
    mode = np.array([0.0] * d + [0.0, -8.0])
    starts = [mode] + [np.clip(mode + rng.normal(size=d + 2) * 1.5, lo, hi) for _ in range(20)]
    best = None
    for x0 in starts:
        res = minimize(objective, x0, args=(X, y), method="L-BFGS-B", bounds=list(zip(lo, hi)),
                       options=dict(ftol=1e-14, gtol=1e-9, maxiter=2000))
        if best is None or res.fun < best.fun:
            best = res
    fmt = lambda v: "[" + ", ".join(repr(float(t)) for t in v) + "]"
    print("static let inputs: [[Double]] = [" + ", ".join(fmt(r) for r in X) + "]")
    print("static let values: [Double] = " + fmt(yraw))
    print("static let bestObjective = " + repr(float(best.fun)))
    print("static let bestTheta: [Double] = " + fmt(best.x))
    print("static let modeObjective = " + repr(float(objective(mode, X, y))))

if __name__ == "__main__":
    main()

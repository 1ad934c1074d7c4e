#!/usr/bin/env python3
"""Reference values for LogEI (minimization), computed independently at 80-digit precision.

EI(mu, sigma; f*) = sigma * (phi(z) + z * Phi(z)),  z = (f* - mu) / sigma.
log EI is evaluated with mpmath (no asymptotics), derivatives by mpmath numerical differentiation.
Prints Swift literals (z, logH) and (mu, sigma, incumbent, logEI, dmu, dsigma) for LogEITests.swift.
"""
import mpmath as mp

mp.mp.dps = 80

def log_h(z):
    z = mp.mpf(z)
    return mp.log(mp.npdf(z) + z * mp.ncdf(z))

def log_ei(mu, sigma, best):
    mu, sigma, best = mp.mpf(mu), mp.mpf(sigma), mp.mpf(best)
    return log_h((best - mu) / sigma) + mp.log(sigma)

zs = [8.0, 3.0, 1.0, 0.25, 0.0, -0.5, -0.999, -1.0, -1.001, -1.5, -2.5, -4.0, -6.0, -10.0, -20.0,
      -30.0, -37.5, -50.0, -100.0, -300.0, -999.0, -1001.0, -3000.0, -1e5, -1e8]
print("static let logH: [(z: Double, value: Double)] = [")
for z in zs:
    print(f"    ({z!r}, {mp.nstr(log_h(z), 20, strip_zeros=False)}),")
print("]")

cases = [(0.0, 1.0, 0.0), (1.2, 0.3, 0.9), (-2.0, 0.5, 1.0), (3.0, 0.1, 2.0), (0.5, 2.0, -1.5),
         (10.0, 1.0, 0.0), (2.0, 0.1, -1.0), (1.0, 0.01, 0.0), (5.0, 0.05, 0.0)]
print("static let logEI: [(mean: Double, sigma: Double, incumbent: Double, value: Double, dMean: Double, dSigma: Double)] = [")
for mu, s, b in cases:
    v = log_ei(mu, s, b)
    dm = mp.diff(lambda t: log_ei(t, s, b), mu)
    ds = mp.diff(lambda t: log_ei(mu, t, b), s)
    z = (b - mu) / s
    print(f"    ({mu!r}, {s!r}, {b!r}, {mp.nstr(v, 20)}, {mp.nstr(dm, 20)}, {mp.nstr(ds, 20)}),  // z = {z:g}")
print("]")

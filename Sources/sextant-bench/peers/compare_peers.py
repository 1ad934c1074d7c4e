#!/usr/bin/env python3
"""Runs the optimizer benchmark's functions and seeds through Sextant's peers.

Same functions, domains, seeds, budgets and thread count (OMP_NUM_THREADS=1) as
`sextant-bench optimizer`, so both tables can stand side by side in
docs/benchmarks.md. Peers: Optuna (TPESampler, also with constant_liar=True as
optuna-tpe-cl, and GPSampler), scikit-optimize (gp_minimize with EI), and random search.

With --workers K, Optuna's studies keep K trials in flight as `sextant-bench optimizer
--workers` does: K trials are asked first, then each time the oldest finishes its value
is told and the next trial asked. Trials in flight stay RUNNING in the study, so samplers
that account for running trials see them. --worth prints, as `sextant-bench optimizer
--worth` does, how many sequential trials each K-worker study of --trials is worth.

    OMP_NUM_THREADS=1 python3 Sources/sextant-bench/peers/compare_peers.py --seeds 10 --trials 50
    python3 .../compare_peers.py --latency 25,100,200,1000   # GPSampler suggest latency vs. history size, d = 6
    python3 .../compare_peers.py --worth --workers 4,16 --worth-trials 150 --optimizers optuna-tpe-cl
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np


def branin(x):
    x1, x2 = x
    a, b, c = 1.0, 5.1 / (4 * math.pi ** 2), 5 / math.pi
    r, s, t = 6.0, 10.0, 1 / (8 * math.pi)
    return a * (x2 - b * x1 ** 2 + c * x1 - r) ** 2 + s * (1 - t) * math.cos(x1) + s


HARTMANN_A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
              [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
HARTMANN_P = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
              [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]
HARTMANN_ALPHA = [1.0, 1.2, 3.0, 3.2]


def hartmann(x, a, p):
    """The Hartmann family: -sum_i alpha_i exp(-sum_j a_ij (x_j - p_ij 1e-4)^2)."""
    total = 0.0
    for i in range(4):
        inner = sum(a[i][j] * (x[j] - p[i][j] * 1e-4) ** 2 for j in range(len(x)))
        total -= HARTMANN_ALPHA[i] * math.exp(-inner)
    return total


def hartmann6(x):
    return hartmann(x, HARTMANN_A, HARTMANN_P)


def ackley(x):
    d = len(x)
    s1 = sum(v * v for v in x) / d
    s2 = sum(math.cos(2 * math.pi * v) for v in x) / d
    return -20 * math.exp(-0.2 * math.sqrt(s1)) - math.exp(s2) + 20 + math.e


def rosenbrock(x):
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(len(x) - 1))


def branin_diverging(x):
    """Branin whose upper-right part "diverges" (a huge loss), as a too-high learning rate does."""
    if x[0] + x[1] > 14:
        return 1e6 * (1 + x[0] + x[1])
    return branin(x)


HARTMANN3_A = [[3, 10, 30], [0.1, 10, 35], [3, 10, 30], [0.1, 10, 35]]
HARTMANN3_P = [[3689, 1170, 2673], [4699, 4387, 7470], [1091, 8732, 5547], [381, 5743, 8828]]


def hartmann3(x):
    return hartmann(x, HARTMANN3_A, HARTMANN3_P)


def levy(x):
    w = [1 + (v - 1) / 4 for v in x]
    total = math.sin(math.pi * w[0]) ** 2
    for v in w[:-1]:
        total += (v - 1) ** 2 * (1 + 10 * math.sin(math.pi * v + 1) ** 2)
    return total + (w[-1] - 1) ** 2 * (1 + math.sin(2 * math.pi * w[-1]) ** 2)


def styblinski_tang(x):
    return sum((v ** 4 - 16 * v ** 2 + 5 * v) / 2 for v in x)


def six_hump_camel(x):
    a, b = x
    return (4 - 2.1 * a * a + a ** 4 / 3) * a * a + a * b + (-4 + 4 * b * b) * b * b


# name: (function, bounds per dimension, known minimum)
FUNCTIONS = {
    "branin": (branin, [(-5.0, 10.0), (0.0, 15.0)], 0.397887357729738),
    "hartmann6": (hartmann6, [(0.0, 1.0)] * 6, -3.32236801141551),
    "ackley5": (ackley, [(-32.768, 32.768)] * 5, 0.0),
    "rosenbrock4": (rosenbrock, [(-5.0, 10.0)] * 4, 0.0),
}
# Not in the default set: the robustness case of docs/benchmarks.md.
EXTRA_FUNCTIONS = {
    "branin-diverging": (branin_diverging, [(-5.0, 10.0), (0.0, 15.0)], 0.397887357729738),
    # Held out: no default of Sextant's optimizer was chosen on them.
    "hartmann3": (hartmann3, [(0.0, 1.0)] * 3, -3.86278214782076),
    "levy4": (levy, [(-10.0, 10.0)] * 4, 0.0),
    "styblinski-tang4": (styblinski_tang, [(-5.0, 5.0)] * 4, -39.16616570377142 * 4),
    "six-hump-camel": (six_hump_camel, [(-3.0, 3.0), (-2.0, 2.0)], -1.031628453489877),
}


def run_in_flight(study, ask, evaluate, trials, workers):
    """Asks `trials` trials of an Optuna study with `workers` in flight: the first `workers`
    are asked, then each time the oldest finishes its value is told and the next asked, the
    others still RUNNING. `ask()` returns (trial, parameters). Returns the values in the order
    the trials were asked and each ask's seconds."""
    values, latencies, in_flight = [], [], []
    for _ in range(trials):
        start = time.perf_counter()
        trial, parameters = ask()
        latencies.append(time.perf_counter() - start)
        value = evaluate(parameters)
        values.append(value)
        in_flight.append((trial, value))
        if len(in_flight) >= workers:
            study.tell(*in_flight.pop(0))
    for trial, value in in_flight:
        study.tell(trial, value)
    return values, latencies


def run_optuna(sampler_name, fn, bounds, seed, trials, workers=1):
    """One study with `workers` trials in flight; values in the order the trials were asked."""
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if sampler_name == "optuna-tpe":
        sampler = optuna.samplers.TPESampler(seed=seed)
    elif sampler_name == "optuna-tpe-cl":
        sampler = optuna.samplers.TPESampler(seed=seed, constant_liar=True)
    else:
        sampler = optuna.samplers.GPSampler(seed=seed)
    study = optuna.create_study(sampler=sampler, direction="minimize")

    def ask():
        trial = study.ask()
        return trial, [trial.suggest_float(f"x{i}", lo, hi) for i, (lo, hi) in enumerate(bounds)]

    return run_in_flight(study, ask, fn, trials, workers)


def run_skopt(fn, bounds, seed, trials):
    from skopt import Optimizer
    optimizer = Optimizer(bounds, base_estimator="GP", acq_func="EI", n_initial_points=8,
                          random_state=seed, acq_optimizer="lbfgs")
    values, latencies = [], []
    for _ in range(trials):
        start = time.perf_counter()
        x = optimizer.ask()
        latencies.append(time.perf_counter() - start)
        value = fn(x)
        optimizer.tell(x, value)
        values.append(value)
    return values, latencies


def run_random(fn, bounds, seed, trials):
    rng = np.random.default_rng(seed)
    values = [fn([rng.uniform(lo, hi) for lo, hi in bounds]) for _ in range(trials)]
    return values, [0.0] * trials


def regret_after(values, n, minimum):
    return min(values[:n]) - minimum


def run_study(name, fn, bounds, seed, trials, workers=1):
    if name.startswith("optuna"):
        return run_optuna(name, fn, bounds, seed, trials, workers)
    if name == "skopt-gp":
        return run_skopt(fn, bounds, seed, trials)
    return run_random(fn, bounds, seed, trials)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--optimizers", default="random,optuna-tpe,optuna-gp,skopt-gp")
    parser.add_argument("--functions", default=",".join(FUNCTIONS))
    parser.add_argument("--json", help="write every run here")
    parser.add_argument("--latency", help="comma-separated history sizes: time GPSampler's suggest at d=6")
    parser.add_argument("--workers", default="1",
                        help="trials in flight (Optuna only); comma-separated worker counts with --worth")
    parser.add_argument("--worth", action="store_true",
                        help="print how many sequential trials each --workers study of --trials is worth")
    parser.add_argument("--worth-trials", type=int, default=150,
                        help="with --worth: trials of the sequential studies, so a worth above --trials can be found")
    args = parser.parse_args()

    if args.latency:
        latency_table([int(n) for n in args.latency.split(",")])
        return

    counts = [int(k) for k in args.workers.split(",")]
    if max(counts) > 1 and any(not name.startswith("optuna") for name in args.optimizers.split(",")):
        parser.error("--workers above 1 needs Optuna optimizers only")
    if args.worth:
        runs = worth_table(args, [k for k in counts if k > 1])
    else:
        if len(counts) != 1:
            parser.error("--workers takes one count without --worth")
        runs = regret_table(args, counts[0])
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(runs, handle)


def regret_table(args, workers):
    runs = []
    print(f"{'optimizer':<12} {'function':<12} {'regret@20':>10} {'regret@50':>10} {'suggest ms':>11}")
    for name in args.optimizers.split(","):
        for fname in args.functions.split(","):
            fn, bounds, minimum = {**FUNCTIONS, **EXTRA_FUNCTIONS}[fname]
            r20, r50, lat = [], [], []
            for seed in range(args.seeds):
                values, latencies = run_study(name, fn, bounds, seed, args.trials, workers)
                r20.append(regret_after(values, min(20, args.trials), minimum))
                r50.append(regret_after(values, args.trials, minimum))
                lat.extend(latencies[10:])
                run = {"optimizer": name, "function": fname, "seed": seed, "values": values}
                if workers > 1:
                    run["workers"] = workers
                runs.append(run)
            print(f"{name:<12} {fname:<12} {statistics.median(r20):>10.4g} {statistics.median(r50):>10.4g} "
                  f"{statistics.median(lat) * 1e3:>11.2f}", flush=True)
    return runs


def worth_table(args, counts):
    """Per function, the smallest n at which the median over seeds of the sequential study's
    best regret after n trials is at most the median regret of the k-worker study after
    --trials, for each k in counts. The samplers do not read the budget, so the first
    --trials values of a sequential study of --worth-trials are those of a study of --trials."""
    horizon = max(args.trials, args.worth_trials)
    columns = [f"seq@{args.trials}"] + [c for k in counts for c in (f"{k}w@{args.trials}", f"worth({k})")]
    runs = []
    print(f"{'optimizer':<14} {'function':<17}" + "".join(f" {c:>10}" for c in columns))
    for name in args.optimizers.split(","):
        worths = {k: [] for k in counts}
        for fname in args.functions.split(","):
            fn, bounds, minimum = {**FUNCTIONS, **EXTRA_FUNCTIONS}[fname]
            sequential = []
            for seed in range(args.seeds):
                values, _ = run_study(name, fn, bounds, seed, horizon)
                sequential.append(values)
                runs.append({"optimizer": name, "function": fname, "seed": seed, "workers": 1, "values": values})
            # curve[n - 1]: median best regret after n sequential trials (non-increasing).
            curve = [statistics.median(regret_after(v, n, minimum) for v in sequential) for n in range(1, horizon + 1)]
            line = f"{name:<14} {fname:<17} {curve[args.trials - 1]:>10.4g}"
            for k in counts:
                target = []
                for seed in range(args.seeds):
                    values, _ = run_study(name, fn, bounds, seed, args.trials, k)
                    target.append(regret_after(values, args.trials, minimum))
                    runs.append({"optimizer": name, "function": fname, "seed": seed, "workers": k, "values": values})
                target = statistics.median(target)
                n = next((i + 1 for i, r in enumerate(curve) if r <= target), None)
                worths[k].append(n)
                line += f" {target:>10.4g} " + (f"{n:>10d}" if n else f"{'>' + str(horizon):>10}")
            print(line, flush=True)
        for k in counts:
            censored = worths[k].count(None)
            mean = math.exp(statistics.fmean(math.log(n or horizon) for n in worths[k]))
            note = f" ({censored} worth above {horizon} counted as {horizon})" if censored else ""
            print(f"{name} {k:>2} workers: geometric mean of worth over {len(worths[k])} functions {mean:.1f}{note}",
                  flush=True)
    return runs


def latency_table(sizes):
    """Median time of one GPSampler suggestion with n completed trials at d = 6."""
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    fn, bounds, _ = FUNCTIONS["hartmann6"]
    rng = np.random.default_rng(0)
    for n in sizes:
        study = optuna.create_study(sampler=optuna.samplers.GPSampler(seed=0), direction="minimize")
        for _ in range(n):
            x = [rng.uniform(lo, hi) for lo, hi in bounds]
            study.add_trial(optuna.trial.create_trial(
                params={f"x{i}": v for i, v in enumerate(x)},
                distributions={f"x{i}": optuna.distributions.FloatDistribution(lo, hi) for i, (lo, hi) in enumerate(bounds)},
                value=fn(x)))
        times = []
        for _ in range(5):
            start = time.perf_counter()
            trial = study.ask()
            for i, (lo, hi) in enumerate(bounds):
                trial.suggest_float(f"x{i}", lo, hi)
            times.append(time.perf_counter() - start)
            study.tell(trial, fn([trial.params[f"x{i}"] for i in range(6)]))
        print(f"optuna-gp suggest, n={n}, d=6: median {statistics.median(times) * 1e3:.1f} ms", flush=True)


if __name__ == "__main__":
    sys.exit(main())

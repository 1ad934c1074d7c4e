#!/usr/bin/env python3
"""Peers on the realistic problems of run_lcbench.py: same problems, same search
spaces, same evaluator (imported from the trial scripts), same regret table.

    pip install onnxruntime optuna greenlet torch
    # HEBO, optional; its pinned dependencies do not install on Python 3.11, so without them:
    pip install --no-deps HEBO && pip install pandas scikit-learn catboost gpytorch pymoo disjoint-set
    export SEXTANT_LCBENCH_DIR=/path/to/yahpo_data/lcbench
    OMP_NUM_THREADS=1 python3 Sources/sextant-bench/peers/compare_lcbench.py --seeds 0-9 \\
        --json-out lcbench-peers.json

Peers: Optuna GPSampler(seed=s), Optuna TPESampler(multivariate=True, seed=s),
Optuna RandomSampler(seed=s) and, when the package imports, HEBO (seeded through
numpy and torch). Each study runs its trials one after another, in-process, on
the final (epoch 52, or last-epoch) value.

With --workers K (Optuna only), K trials stay in flight as with `run_lcbench.py
--slots K`: K trials are asked first, then each time the oldest finishes its value
is told and the next trial asked. Trials in flight stay RUNNING in the study:
GPSampler takes them as pending points, TPE (constant_liar=True) as bad ones.
"""

import argparse
import json
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lcbench"))

import problems as P  # noqa: E402
from run_lcbench import parse_seeds  # noqa: E402
from compare_peers import run_in_flight  # noqa: E402


def optuna_distributions(problem):
    import optuna
    out = {}
    for p in problem.parameters:
        if p[1] == "categorical":
            out[p[0]] = optuna.distributions.CategoricalDistribution(p[2])
        elif p[1] == "int":
            out[p[0]] = optuna.distributions.IntDistribution(int(p[2]), int(p[3]), log=p[4])
        else:
            out[p[0]] = optuna.distributions.FloatDistribution(p[2], p[3], log=p[4])
    return out


def run_optuna(problem, sampler_name, seed, trials, workers=1):
    """One study with `workers` trials in flight; values in the order the trials were asked."""
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    samplers = {
        "Optuna GPSampler": lambda: optuna.samplers.GPSampler(seed=seed),
        "Optuna TPE (multivariate)": lambda: optuna.samplers.TPESampler(
            multivariate=True, seed=seed, constant_liar=workers > 1),
        "random (Optuna)": lambda: optuna.samplers.RandomSampler(seed=seed),
    }
    study = optuna.create_study(direction="minimize", sampler=samplers[sampler_name]())
    distributions = optuna_distributions(problem)

    def ask():
        trial = study.ask(distributions)
        return trial, trial.params

    return run_in_flight(study, ask, lambda params: problem.evaluate([params])[0], trials, workers)[0]


def hebo_space(problem):
    space = []
    for p in problem.parameters:
        if p[1] == "categorical":
            space.append({"name": p[0], "type": "cat", "categories": list(p[2])})
        elif p[1] == "int":
            space.append({"name": p[0], "type": "pow_int" if p[4] else "int", "lb": int(p[2]), "ub": int(p[3])})
        else:
            space.append({"name": p[0], "type": "pow" if p[4] else "num", "lb": p[2], "ub": p[3]})
    return space


def run_hebo(problem, seed, trials):
    import numpy as np
    import torch
    from hebo.design_space.design_space import DesignSpace
    from hebo.optimizers.hebo import HEBO
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    optimizer = HEBO(DesignSpace().parse(hebo_space(problem)), scramble_seed=seed)
    values = []
    for _ in range(trials):
        suggestion = optimizer.suggest(n_suggestions=1)
        config = {}
        for p in problem.parameters:
            v = suggestion[p[0]].iloc[0]
            config[p[0]] = v if p[1] == "categorical" else (int(round(v)) if p[1] == "int" else float(v))
        value = problem.evaluate([config])[0]
        optimizer.observe(suggestion, np.array([[value]]))
        values.append(value)
    return values


PEERS = ["Optuna GPSampler", "Optuna TPE (multivariate)", "random (Optuna)", "HEBO"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", default=",".join(P.ALL))
    parser.add_argument("--seeds", default="0-9")
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--peers", default=",".join(PEERS), help="comma-separated subset of: " + ", ".join(PEERS))
    parser.add_argument("--json-out")
    parser.add_argument("--workers", type=int, default=1, help="trials in flight (Optuna peers only; HEBO is left out)")
    args = parser.parse_args()
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")

    peers = args.peers.split(",")
    if "HEBO" in peers and args.workers > 1:
        print("HEBO left out: --workers applies to the Optuna peers only", file=sys.stderr)
        peers.remove("HEBO")
    if "HEBO" in peers:
        try:
            import hebo  # noqa: F401
        except Exception as error:  # not installable everywhere
            print("HEBO left out: %s" % error, file=sys.stderr)
            peers.remove("HEBO")
    budgets = [b for b in (10, 20, 50) if b <= args.trials] or [args.trials]
    results, raw = {}, {}
    for name in args.tasks.split(","):
        problem = P.Problem(name)
        for peer in peers:
            for seed in parse_seeds(args.seeds):
                started = time.monotonic()
                values = (run_hebo(problem, seed, args.trials) if peer == "HEBO"
                          else run_optuna(problem, peer, seed, args.trials, args.workers))
                seconds = time.monotonic() - started
                r = P.regrets(values, problem.best_known, budgets)
                results.setdefault(peer, {}).setdefault(name, {})[seed] = r
                raw.setdefault(peer, {}).setdefault(name, {})[seed] = {
                    "values": values, "seconds": seconds, "regret": r}
                print("%s %s seed %d: regret %s, %.1f s" % (
                    peer, name, seed, " ".join("@%d=%.4f" % (b, r[b]) for b in budgets), seconds),
                    file=sys.stderr, flush=True)
            if args.json_out:
                with open(args.json_out, "w") as f:
                    json.dump({"trials": args.trials, "budgets": budgets, "results": raw}, f, indent=1)
    print(P.table(results, budgets, peers))


if __name__ == "__main__":
    main()

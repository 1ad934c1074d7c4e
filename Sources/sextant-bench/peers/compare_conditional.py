#!/usr/bin/env python3
"""Peers on Jenatton et al.'s tree-structured function (ICML 2017), the conditional
benchmark of `sextant-bench optimizer --functions jenatton`: same tree, same ranges.

    pip install optuna greenlet torch
    OMP_NUM_THREADS=1 python3 Sources/sextant-bench/peers/compare_conditional.py --seeds 10 --trials 60

x1 in {0, 1} chooses the branch (x2 and r8, or x3 and r9); x2 chooses x4 or x5, x3
chooses x6 or x7; value = chosen x squared + 0.1/0.2/0.3/0.4 by leaf + r8 or r9; every
float in [0, 1]; minimum 0.1. Optuna asks define-by-run, so a parameter exists only
on its branch: TPESampler(multivariate=True, group=True) models the branches,
GPSampler samples parameters outside its relative search space independently.
Prints the median regret over seeds after 30 and after --trials trials.
"""

import argparse
import statistics


def jenatton(trial):
    if trial.suggest_int("x1", 0, 1) == 0:
        r8 = trial.suggest_float("r8", 0.0, 1.0)
        if trial.suggest_int("x2", 0, 1) == 0:
            return trial.suggest_float("x4", 0.0, 1.0) ** 2 + 0.1 + r8
        return trial.suggest_float("x5", 0.0, 1.0) ** 2 + 0.2 + r8
    r9 = trial.suggest_float("r9", 0.0, 1.0)
    if trial.suggest_int("x3", 0, 1) == 0:
        return trial.suggest_float("x6", 0.0, 1.0) ** 2 + 0.3 + r9
    return trial.suggest_float("x7", 0.0, 1.0) ** 2 + 0.4 + r9


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--trials", type=int, default=60)
    args = parser.parse_args()
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    samplers = {
        "Optuna TPE (multivariate, group)": lambda s: optuna.samplers.TPESampler(multivariate=True, group=True, seed=s),
        "Optuna GPSampler": lambda s: optuna.samplers.GPSampler(seed=s, warn_independent_sampling=False),
        "random (Optuna)": lambda s: optuna.samplers.RandomSampler(seed=s),
    }
    budgets = sorted({30, args.trials})
    print("| sampler | " + " | ".join("regret@%d" % b for b in budgets) + " |")
    print("|---|" + "---|" * len(budgets))
    for name, make in samplers.items():
        regrets = {b: [] for b in budgets}
        for seed in range(args.seeds):
            study = optuna.create_study(direction="minimize", sampler=make(seed))
            study.optimize(jenatton, n_trials=args.trials)
            values = [t.value for t in study.trials]
            for b in budgets:
                regrets[b].append(min(values[:b]) - 0.1)
        print("| %s | %s |" % (name, " | ".join("%.4g" % statistics.median(regrets[b]) for b in budgets)))


if __name__ == "__main__":
    main()

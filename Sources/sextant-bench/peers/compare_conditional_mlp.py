#!/usr/bin/env python3
"""A conditional space on the built-in mlp-digits trainer: Sextant (real coordinator and
worker, `--builtin mlp-digits`) against Optuna TPE and GPSampler on the same tree.

    swift build -c release
    pip install optuna greenlet torch
    OMP_NUM_THREADS=1 python3 Sources/sextant-bench/peers/compare_conditional_mlp.py --seeds 10 --trials 60

The space is docs/examples/mlp-digits-conditional.yaml: learning rate, batch size,
hidden units, optimizer, and one kind of regularization (none, weight decay or dropout)
whose strength exists only on its branch. Every trial trains the network with
`sextant train mlp-digits` (deterministic for a configuration); the value is the last
epoch's val_loss. Regret is measured from the best val_loss any run of this benchmark
found (the true minimum is unknown); the table gives the median over seeds after 30
and after --trials trials.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lcbench"))

from run_lcbench import default_binary, free_port, trial_values  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
STUDY = os.path.join(ROOT, "docs", "examples", "mlp-digits-conditional.yaml")


def study_text(seed, trials):
    text = open(STUDY).read()
    text = re.sub(r"budget: \{trials: \d+\}", "budget: {trials: %d}" % trials, text)
    return re.sub(r"seed: \d+", "seed: %d" % seed, text)


def run_sextant(binary, seed, trials):
    import shutil
    import tempfile
    work = tempfile.mkdtemp(prefix="sextant-cond-")
    try:
        study = os.path.join(work, "study.yaml")
        with open(study, "w") as f:
            f.write(study_text(seed, trials))
        db = os.path.join(work, "study.db")
        endpoint = "tcp://127.0.0.1:%d" % free_port()
        coordinator = subprocess.Popen([binary, "coordinator", study, "--no-dashboard", "--db", db, "--bind", endpoint],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        worker = subprocess.Popen([binary, "worker", endpoint, "--builtin", "mlp-digits"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        status = coordinator.wait(timeout=3600)
        worker.wait(timeout=60)
        if status != 0:
            raise SystemExit("coordinator exited %d (seed %d)" % (status, seed))
        exported = subprocess.run([binary, "export", "--format", "json", "--db", db],
                                  check=True, capture_output=True, text=True).stdout
        return trial_values(json.loads(exported))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def train(binary, params):
    """The last val_loss, or NaN when the training fails (it diverged), which Optuna records
    as a failed trial, as Sextant does."""
    args = [binary, "train", "mlp-digits"]
    for k, v in params.items():
        args += ["--param", "%s=%s" % (k, v)]
    run = subprocess.run(args, capture_output=True, text=True)
    lines = [line for line in run.stdout.splitlines() if "val_loss=" in line]
    if run.returncode != 0 or not lines:
        return float("nan")
    return float(re.search(r"val_loss=(\S+)", lines[-1]).group(1))


def run_optuna(binary, sampler, trials):
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def objective(trial):
        params = {
            "learning_rate": trial.suggest_float("learning_rate", 1e-4, 1.0, log=True),
            "batch_size": trial.suggest_int("batch_size", 16, 256, log=True),
            "hidden_units": trial.suggest_int("hidden_units", 16, 256, log=True),
            "optimizer": trial.suggest_categorical("optimizer", ["sgd", "momentum", "adam"]),
        }
        regularization = trial.suggest_categorical("regularization", ["none", "weight_decay", "dropout"])
        if regularization == "weight_decay":
            params["weight_decay"] = trial.suggest_float("weight_decay", 1e-6, 1e-2, log=True)
        elif regularization == "dropout":
            params["dropout"] = trial.suggest_float("dropout", 0.05, 0.6)
        return train(binary, params)

    study = optuna.create_study(direction="minimize", sampler=sampler)
    study.optimize(objective, n_trials=trials)
    return [t.value if t.state == optuna.trial.TrialState.COMPLETE else None for t in study.trials]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sextant", default=default_binary())
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--trials", type=int, default=60)
    args = parser.parse_args()
    import optuna
    samplers = {
        "Optuna TPE (multivariate, group)": lambda s: optuna.samplers.TPESampler(multivariate=True, group=True, seed=s),
        "Optuna GPSampler": lambda s: optuna.samplers.GPSampler(seed=s, warn_independent_sampling=False),
    }
    runs = {"Sextant gp-ei": [run_sextant(args.sextant, s, args.trials) for s in range(args.seeds)]}
    print("Sextant done", file=sys.stderr)
    for name, make in samplers.items():
        runs[name] = [run_optuna(args.sextant, make(s), args.trials) for s in range(args.seeds)]
        print(name, "done", file=sys.stderr)
    best = min(v for values in runs.values() for run in values for v in run if v is not None)
    budgets = sorted({30, args.trials})
    print("best val_loss found by any run: %.6f" % best)
    print("| sampler | " + " | ".join("regret@%d" % b for b in budgets) + " |")
    print("|---|" + "---|" * len(budgets))
    for name, values in runs.items():
        cells = []
        for b in budgets:
            regrets = [min((v for v in run[:b] if v is not None), default=float("inf")) - best for run in values]
            cells.append("%.4f" % statistics.median(regrets))
        print("| %s | %s |" % (name, " | ".join(cells)))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Sextant on realistic problems: LCBench surrogate tasks and budget-mlp.

For each problem and seed it runs the real `sextant coordinator` and one
`sextant worker` with --slots 1 (sequential) or more, whose command is the
problem's trial script, then reads the trials back with `sextant export` and
computes the regret after 10, 20 and 50 trials (best completed val_loss among
the first b trials in trial-id order, minus the best known value). One study of
50 trials gives all three budgets.

    export SEXTANT_LCBENCH_DIR=/path/to/yahpo_data/lcbench
    python3 Sources/sextant-bench/lcbench/run_lcbench.py --seeds 0-9 --slots 1 \\
        --json-out lcbench-sextant.json

Prints a Markdown table of the median regret over seeds per problem and the
mean over problems. --json-out also keeps every trial's value.
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import problems as P


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parse_seeds(text):
    seeds = []
    for part in text.split(","):
        if "-" in part:
            a, b = part.split("-")
            seeds += list(range(int(a), int(b) + 1))
        else:
            seeds.append(int(part))
    return seeds


def default_binary():
    for path in (".build/release/sextant", ".build/debug/sextant"):
        if os.path.exists(path):
            return path
    return ".build/release/sextant"


def run_study(binary, problem, seed, trials, slots, keep=None):
    """One study through coordinator and worker; returns ([value or None per trial], seconds)."""
    work = tempfile.mkdtemp(prefix="sextant-lcbench-")
    try:
        study = os.path.join(work, "study.yaml")
        with open(study, "w") as f:
            f.write(P.study_yaml(problem, seed, trials))
        db = os.path.join(work, "study.db")
        endpoint = "tcp://127.0.0.1:%d" % free_port()
        env = dict(os.environ, OMP_NUM_THREADS="1")
        started = time.monotonic()
        coordinator = subprocess.Popen(
            [binary, "coordinator", study, "--no-dashboard", "--db", db, "--bind", endpoint],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "coordinator.log"), "w"), env=env)
        worker = subprocess.Popen(
            [binary, "worker", endpoint, "--slots", str(slots), "--"] + problem.command(),
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "worker.log"), "w"), env=env)
        try:
            status = coordinator.wait(timeout=3600)
            worker.wait(timeout=60)
        finally:
            for process in (coordinator, worker):
                if process.poll() is None:
                    process.terminate()
                    process.wait()
        seconds = time.monotonic() - started
        if status != 0:
            with open(os.path.join(work, "coordinator.log")) as f:
                raise SystemExit("coordinator exited %d for %s seed %d:\n%s"
                                 % (status, problem.name, seed, f.read()[-2000:]))
        exported = subprocess.run([binary, "export", "--format", "json", "--db", db],
                                  check=True, capture_output=True, text=True).stdout
        if keep:
            os.makedirs(keep, exist_ok=True)
            with open(os.path.join(keep, "sextant-%s-seed%d-slots%d.json"
                                   % (problem.name, seed, slots)), "w") as f:
                f.write(exported)
        values = trial_values(json.loads(exported))
        return values, seconds
    finally:
        shutil.rmtree(work, ignore_errors=True)


def trial_values(exported):
    """Final values of the trials in trial-id order; None for trials that did not complete."""
    trials = sorted(exported["trials"], key=lambda t: t["id"])
    return [t.get("value") if t.get("state") == "completed" else None for t in trials]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sextant", default=default_binary(),
                        help="the sextant binary (default .build/release/sextant, else .build/debug/sextant)")
    parser.add_argument("--tasks", default=",".join(P.ALL),
                        help="problems, comma-separated (default: the six LCBench tasks and budget-mlp)")
    parser.add_argument("--seeds", default="0-9", help="e.g. 0-9 or 0,1,2 (default 0-9)")
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--slots", type=int, default=1, help="the worker's --slots (1 = sequential)")
    parser.add_argument("--json-out", help="write per-seed values and regrets here")
    parser.add_argument("--keep-exports", help="folder for each study's `sextant export` output")
    args = parser.parse_args()

    budgets = [b for b in (10, 20, 50) if b <= args.trials] or [args.trials]
    column = "Sextant gp-ei" + (" (%d slots)" % args.slots if args.slots > 1 else "")
    results, raw = {column: {}}, {}
    for name in args.tasks.split(","):
        problem = P.Problem(name)
        for seed in parse_seeds(args.seeds):
            values, seconds = run_study(args.sextant, problem, seed, args.trials, args.slots,
                                        args.keep_exports)
            r = P.regrets(values, problem.best_known, budgets)
            results[column].setdefault(name, {})[seed] = r
            raw.setdefault(name, {})[seed] = {"values": values, "seconds": seconds, "regret": r}
            print("%s seed %d: regret %s, %d trials, %.1f s" % (
                name, seed, " ".join("@%d=%.4f" % (b, r[b]) for b in budgets if r[b] is not None),
                len(values), seconds), file=sys.stderr, flush=True)
            if args.json_out:  # after every study, so an interrupted run keeps what it did
                with open(args.json_out, "w") as f:
                    json.dump({"optimizer": column, "slots": args.slots, "trials": args.trials,
                               "budgets": budgets, "results": raw}, f, indent=1)
    print(P.table(results, budgets, [column]))


if __name__ == "__main__":
    main()

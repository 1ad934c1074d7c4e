#!/usr/bin/env python3
"""Multi-fidelity peers on the six LCBench development tasks: regret against the
number of training epochs spent, with one or several simulated workers.

    pip install onnxruntime optuna greenlet torch
    export SEXTANT_LCBENCH_DIR=/path/to/yahpo_data/lcbench
    OMP_NUM_THREADS=1 python3 Sources/sextant-bench/peers/compare_fidelity.py --seeds 0-9 \\
        --workers 1 --json-out fidelity-peers-w1.json
    python3 Sources/sextant-bench/peers/compare_fidelity.py --table-from \\
        fidelity-peers-w1.json fidelity-peers-w4.json

Methods (all minimize val_loss = 1 - val_accuracy/100, seeded with the run's seed):

- tpe-hyperband-1, tpe-hyperband-2: Optuna TPESampler(multivariate=True) with
  HyperbandPruner(min_resource=1 resp. 2, max_resource=52, reduction factor 3, the
  default). Every epoch is reported (trial.report(val_loss, epoch)) and
  trial.should_prune() is asked after each epoch before the last; a pruned trial is
  told PRUNED (Optuna then keeps its last reported value).
- gp-full: Optuna GPSampler, every trial trained for all 52 epochs.
- random-full: Optuna RandomSampler, every trial trained for all 52 epochs.

The study name is fixed per method, task and seed, because Optuna's Hyperband picks
a trial's bracket from a hash of the study name and trial number.

Simulation. A trial's learning curve and cost come from the LCBench surrogate
(problems.Problem.curve: val_loss and cumulative training seconds at epochs 1..52,
one batched call per trial). The surrogate's cumulative times are not always
increasing over the first epochs, so their running maximum is used. Runs are
event-driven in simulated time with Optuna's ask/tell interface: each of --workers
workers trains one trial at a time; epoch e of a trial started at time t ends at
t + time(e); events are handled in time order (ties in the order they were
scheduled): report, should_prune, and tell PRUNED or COMPLETE; a worker that is
freed asks for a new trial at that moment. With --workers 1 this is plain
sequential tuning. The full-run methods have one event per trial, at epoch 52.

Budget. The epochs consumed by a trial are the epochs it reported (52 for a
completed trial). A free worker asks for a new trial only if the epochs consumed by
finished trials plus 52 for every running trial and for the new one stay within
--epochs-budget (2600 = 50 full trainings); running trials always finish, none is
cut. So no trial can take the total past the budget, and with several workers some
of it may stay unspent at the end.

Regret at B epochs (B = 20%, 40%, 60% and 100% of the budget: 520, 1040, 1560, 2600).
Trials are ordered by start (ask order); c_k is the number of epochs consumed by
trials 1..k. regret(B) = the least epoch-52 val_loss of the trials that completed all
52 epochs with c_k <= B, minus the task's best known val_loss. When no trial
completed within B the regret is null in the JSON; the table counts it as the
task's worst possible regret, 1 - best known, and marks the cell.

Output: one line per finished run on stderr (trials, pruned, epochs, regret, wall
time), then a Markdown table: a row per method, the mean over the six tasks of the
median regret over seeds at each budget, and each task's median at 40% and 100% of
the budget; then a table of how the budget was spent. --json-out keeps every trial
of every run in start order (epochs consumed, epoch-52 value or null, state, start
and end in simulated seconds); --table-from reprints the tables from such files
(several files are merged; a method measured with different worker counts gets a
row per worker count).
"""

import argparse
import heapq
import itertools
import json
import math
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lcbench"))
sys.path.insert(0, HERE)

import problems as P  # noqa: E402
from compare_lcbench import optuna_distributions  # noqa: E402
from run_lcbench import parse_seeds  # noqa: E402

EPOCHS = 52
METHODS = ["tpe-hyperband-1", "tpe-hyperband-2", "gp-full", "random-full"]
FRACTIONS = (0.2, 0.4, 0.6, 1.0)  # of the epochs budget: regret columns
TASK_FRACTIONS = (0.4, 1.0)  # per-task columns
MARK = "†"


def make_study(method, task, seed):
    """(study, pruning) for a method; the study name makes Hyperband's brackets reproducible."""
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    name = "%s-%s-seed%d" % (method, task, seed)
    if method.startswith("tpe-hyperband-"):
        min_resource = int(method.rsplit("-", 1)[1])
        sampler = optuna.samplers.TPESampler(multivariate=True, seed=seed)
        pruner = optuna.pruners.HyperbandPruner(min_resource=min_resource, max_resource=EPOCHS)
        pruning = True
    elif method == "gp-full":
        sampler, pruner, pruning = optuna.samplers.GPSampler(seed=seed), optuna.pruners.NopPruner(), False
    elif method == "random-full":
        sampler, pruner, pruning = optuna.samplers.RandomSampler(seed=seed), optuna.pruners.NopPruner(), False
    else:
        raise SystemExit("unknown method %s; known: %s" % (method, ", ".join(METHODS)))
    study = optuna.create_study(study_name=name, direction="minimize", sampler=sampler, pruner=pruner)
    return study, pruning


def simulate(problem, method, seed, workers, budget):
    """One tuning run in simulated time. Returns the trials in ask order and the
    simulated duration."""
    from optuna.trial import TrialState
    study, pruning = make_study(method, problem.name, seed)
    distributions = optuna_distributions(problem)
    trials = []  # records in ask order
    live = {}  # record index -> (optuna trial, values, times, start)
    events = []  # (time, order, record index, epoch)
    order = itertools.count()
    state = {"finished_epochs": 0, "running": 0, "failures": 0}

    def start(now):
        trial = study.ask(distributions)
        values, times = problem.curve(trial.params)
        index = len(trials)
        trials.append({"epochs": 0, "value": None, "state": "RUNNING", "start": now, "end": None})
        if not all(math.isfinite(x) for x in values + times):
            study.tell(trial, state=TrialState.FAIL)
            trials[index].update(state="FAIL", end=now)
            state["failures"] += 1
            if state["failures"] > 100:
                raise RuntimeError("the surrogate gave non-finite values 100 times")
            return
        for e in range(1, EPOCHS):  # cumulative time, made non-decreasing
            times[e] = max(times[e], times[e - 1])
        live[index] = (trial, values, times, now)
        state["running"] += 1
        first = 1 if pruning else EPOCHS
        heapq.heappush(events, (now + times[first - 1], next(order), index, first))

    def fill(now):
        while (state["running"] < workers
               and state["finished_epochs"] + EPOCHS * (state["running"] + 1) <= budget):
            start(now)

    def finish(index, epochs, value, how, now):
        trials[index].update(epochs=epochs, value=value, state=how, end=now)
        del live[index]
        state["running"] -= 1
        state["finished_epochs"] += epochs

    fill(0.0)
    now = 0.0
    while events:
        now, _, index, epoch = heapq.heappop(events)
        trial, values, times, started = live[index]
        if pruning:
            trial.report(values[epoch - 1], epoch)
            if epoch < EPOCHS and trial.should_prune():
                study.tell(trial, state=TrialState.PRUNED)
                finish(index, epoch, None, "PRUNED", now)
            elif epoch < EPOCHS:
                heapq.heappush(events, (started + times[epoch], next(order), index, epoch + 1))
                continue
            else:
                study.tell(trial, values[-1])
                finish(index, EPOCHS, values[-1], "COMPLETE", now)
        else:
            study.tell(trial, values[-1])
            finish(index, EPOCHS, values[-1], "COMPLETE", now)
        fill(now)
    return trials, now


def budgets_of(epochs_budget, fractions=FRACTIONS):
    return [int(round(f * epochs_budget)) for f in fractions]


def regrets(trials, best_known, budgets):
    """{B: regret or None} from trials in ask order (see the module docstring)."""
    out = {b: None for b in budgets}
    consumed = 0
    best = None
    for t in trials:
        consumed += t["epochs"]
        if t["state"] == "COMPLETE" and (best is None or t["value"] < best):
            best = t["value"]
        for b in budgets:
            if consumed <= b and best is not None:
                out[b] = best - best_known
    return out


def run_stats(trials, min_resource):
    pruned = [t for t in trials if t["state"] == "PRUNED"]
    return {"trials": len(trials),
            "complete": sum(t["state"] == "COMPLETE" for t in trials),
            "pruned": len(pruned),
            "pruned_first": sum(t["epochs"] <= min_resource for t in pruned),
            "failed": sum(t["state"] == "FAIL" for t in trials),
            "epochs": sum(t["epochs"] for t in trials)}


def min_resource_of(method):
    return int(method.rsplit("-", 1)[1]) if method.startswith("tpe-hyperband-") else EPOCHS


def fmt(x):
    return "%.4f" % x


def tables(runs, epochs_budget):
    """Markdown tables. runs[label][task][seed] = {"trials": [...], "sim_seconds": s, "method": m}."""
    budgets = budgets_of(epochs_budget)
    task_budgets = budgets_of(epochs_budget, TASK_FRACTIONS)
    tasks = [t for t in P.LCBENCH_TASKS if any(t in runs[label] for label in runs)]
    best = {t: P.lcbench_trial.TASKS[t][1] for t in tasks}
    head = (["method"] + ["mean @%d" % b for b in budgets]
            + ["%s @%d" % (t, b) for t in tasks for b in task_budgets])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    flagged = False
    for label in runs:
        medians = {}  # (task, budget) -> (median, flagged)
        for task in tasks:
            seeds = runs[label].get(task, {})
            for b in sorted(set(budgets + task_budgets)):
                rs = [regrets(r["trials"], best[task], [b])[b] for r in seeds.values()]
                if not rs:
                    continue
                worst = 1.0 - best[task]
                medians[(task, b)] = (statistics.median(worst if r is None else r for r in rs),
                                      any(r is None for r in rs))
        cells = []
        for b in budgets:
            ms = [medians[(t, b)] for t in tasks if (t, b) in medians]
            if len(ms) < len(tasks) or not ms:
                cells.append("")
                continue
            mark = any(f for _, f in ms)
            flagged |= mark
            cells.append(fmt(sum(m for m, _ in ms) / len(ms)) + (MARK if mark else ""))
        for t in tasks:
            for b in task_budgets:
                if (t, b) not in medians:
                    cells.append("")
                    continue
                m, mark = medians[(t, b)]
                flagged |= mark
                cells.append(fmt(m) + (MARK if mark else ""))
        lines.append("| %s | %s |" % (label, " | ".join(cells)))
    text = "\n".join(lines)
    if flagged:
        text += ("\n\n%s Some seed had no trial that completed 52 epochs within that budget; "
                 "it counts as the task's worst regret, 1 - best known." % MARK)

    head = ["method", "runs", "trials", "completed", "pruned", "pruned at min_resource",
            "failed", "epochs spent", "simulated hours"]
    spent = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for label in runs:
        rs = [r for task in runs[label].values() for r in task.values()]
        stats = [run_stats(r["trials"], min_resource_of(r["method"])) for r in rs]
        total = lambda key: sum(s[key] for s in stats)  # noqa: E731
        med = lambda key: statistics.median(s[key] for s in stats)  # noqa: E731
        spent.append("| %s | %d | %g | %g | %g | %.0f%% | %d | %g | %.1f |" % (
            label, len(rs), med("trials"), med("complete"), med("pruned"),
            100.0 * total("pruned_first") / max(1, total("pruned")), total("failed"),
            med("epochs"), statistics.median(r["sim_seconds"] for r in rs) / 3600.0))
    return (text + "\n\nHow the budget was spent: medians over runs of the trials, epochs and "
            "simulated hours; pruned at min_resource is the share of all pruned trials that "
            "stopped at the first epoch Hyperband looks at (1 or 2); failed is a total.\n\n"
            + "\n".join(spent))


def load(files):
    """Merge JSON files into runs[label][task][seed]; the label names the worker count
    when the files hold more than one."""
    docs = []
    for path in files:
        with open(path) as f:
            docs.append(json.load(f))
    budgets = {d["epochs_budget"] for d in docs}
    if len(budgets) > 1:
        raise SystemExit("the files have different epochs budgets: %s" % sorted(budgets))
    several = len({d["workers"] for d in docs}) > 1
    runs = {}
    for d in docs:
        for method, tasks in d["results"].items():
            label = ("%s, %d worker%s" % (method, d["workers"], "" if d["workers"] == 1 else "s")
                     if several else method)
            for task, seeds in tasks.items():
                for seed, run in seeds.items():
                    run.setdefault("method", method)
                    runs.setdefault(label, {}).setdefault(task, {})[int(seed)] = run
    return runs, budgets.pop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", default=",".join(P.LCBENCH_TASKS))
    parser.add_argument("--seeds", default="0-9")
    parser.add_argument("--methods", default=",".join(METHODS),
                        help="comma-separated subset of: " + ", ".join(METHODS))
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--epochs-budget", type=int, default=50 * EPOCHS)
    parser.add_argument("--json-out")
    parser.add_argument("--table-from", nargs="+", metavar="FILE",
                        help="only print the tables from JSON files of earlier runs")
    args = parser.parse_args()
    if args.table_from:
        runs, epochs_budget = load(args.table_from)
        print(tables(runs, epochs_budget))
        return
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    methods = args.methods.split(",")
    for m in methods:
        if m not in METHODS:
            parser.error("unknown method %s; known: %s" % (m, ", ".join(METHODS)))
    tasks = args.tasks.split(",")
    for t in tasks:
        if t not in P.LCBENCH_TASKS:
            parser.error("%s is not an LCBench task; known: %s" % (t, ", ".join(P.LCBENCH_TASKS)))
    budgets = budgets_of(args.epochs_budget)
    problems = {t: P.Problem(t) for t in tasks}
    runs, raw = {}, {}
    for method in methods:
        for task in tasks:
            problem = problems[task]
            for seed in parse_seeds(args.seeds):
                started = time.monotonic()
                trials, sim_seconds = simulate(problem, method, seed, args.workers, args.epochs_budget)
                seconds = time.monotonic() - started
                r = regrets(trials, problem.best_known, budgets)
                run = {"method": method, "seconds": round(seconds, 2), "sim_seconds": sim_seconds,
                       "regret": {str(b): r[b] for b in budgets}, "trials": trials}
                runs.setdefault(method, {}).setdefault(task, {})[seed] = run
                raw.setdefault(method, {}).setdefault(task, {})[str(seed)] = run
                s = run_stats(trials, min_resource_of(method))
                print("%s %s seed %d: %d trials (%d complete, %d pruned, %d at min_resource), "
                      "%d epochs, %.1f simulated h, regret %s; %.1f s" % (
                          method, task, seed, s["trials"], s["complete"], s["pruned"],
                          s["pruned_first"], s["epochs"], sim_seconds / 3600.0,
                          " ".join("@%d=%s" % (b, "null" if r[b] is None else fmt(r[b]))
                                   for b in budgets), seconds),
                      file=sys.stderr, flush=True)
            if args.json_out:
                with open(args.json_out, "w") as f:
                    json.dump({"epochs_budget": args.epochs_budget, "workers": args.workers,
                               "budgets": budgets, "results": raw}, f)
    print(tables(runs, args.epochs_budget))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The realistic problems as a line-oriented evaluator, for `sextant-bench optimizer`.

The optimizer benchmark runs Sextant's sampler in-process on many seeds; for the
realistic problems (problems.py: the six LCBench development tasks and budget-mlp)
it starts this script once and asks it, one JSON object per line on stdin:

    {"describe": "167149"}
        -> {"parameters": [[name, "float"|"int", low, high, log] or
                           [name, "categorical", [values]], ...], "best_known": 0.0051}
    {"problem": "167149", "config": {"learning_rate": 0.01, ...}}
        -> {"value": 0.123456}      (the final val_loss, epoch 52 for LCBench)
    {"curve": "167149", "config": {"learning_rate": 0.01, ...}}
        -> {"values": [val_loss at epochs 1..52],
            "times": [cumulative training seconds at epochs 1..52]}

A curve is one batched surrogate call for the 52 epochs, LCBench tasks only
(budget-mlp has no cost per epoch and answers an error). Its last value is the
one the "problem" request gives for the same configuration: the surrogate
evaluates a lone point and a point inside a batch of 52 with different row
blocking, which can move the last digits (up to about 3e-6), so epoch 52 is
taken from the same lone evaluation "problem" uses. The times are the
surrogate's predictions as they come: they are not always increasing (the first
epochs especially), so a caller that schedules epochs by them should take their
running maximum.

Errors are answered as {"error": "..."}; the script exits at the end of stdin.
The trial commands (lcbench_trial.py, budget_trial.py) and this evaluator share
the same code, so a value here is the value a worker's trial would report last.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import problems  # noqa: E402


def answer(request, cache):
    if "describe" in request:
        problem = cache.setdefault(request["describe"], problems.Problem(request["describe"]))
        return {"parameters": [list(p) for p in problem.parameters], "best_known": problem.best_known}
    if "curve" in request:
        problem = cache.setdefault(request["curve"], problems.Problem(request["curve"]))
        values, times = problem.curve(request["config"])
        values[-1] = float(problem.evaluate([request["config"]])[0])
        return {"values": values, "times": times}
    problem = cache.setdefault(request["problem"], problems.Problem(request["problem"]))
    return {"value": float(problem.evaluate([request["config"]])[0])}


def main():
    cache = {}
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            reply = answer(json.loads(line), cache)
        except SystemExit as error:  # problems.Problem reports an unknown name this way
            reply = {"error": str(error)}
        except Exception as error:  # noqa: BLE001 - every failure goes back to the caller
            reply = {"error": "%s: %s" % (type(error).__name__, error)}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""One LCBench trial as a Sextant training command.

The LCBench surrogate of YAHPO Gym (an ONNX model of the learning curves of
real MLP trainings on OpenML tasks) stands in for training: for a task and a
configuration of 7 hyperparameters it predicts the validation accuracy at every
epoch 1..52. This script evaluates all 52 epochs in one batched call and prints

    val_loss=0.123456 step=E

per epoch (val_loss = 1 - val_accuracy/100), so Sextant sees the whole learning
curve; the last line is epoch 52 and is the trial's final value.

The surrogate's files are not part of Sextant. Get the folder `lcbench/` of the
public `yahpo_data` repository (github.com/slds-lmu/yahpo_data, the files
model.onnx, encoding.json and config_space.json) and point the environment
variable SEXTANT_LCBENCH_DIR at it.

    SEXTANT_LCBENCH_DIR=~/yahpo_data/lcbench python3 lcbench_trial.py \\
        --task 167149 --learning_rate 0.01 --batch_size 64 --weight_decay 0.001 \\
        --momentum 0.9 --num_layers 3 --max_units 256 --max_dropout 0.1

    python3 lcbench_trial.py --check check_values.json

`--check FILE` compares the evaluator with a list of reference points
(task, epoch, config, val_accuracy, time, val_loss) and exits with status 1 if
any differs by more than 1e-4. Needs `onnxruntime` and `numpy` (pip).
"""

import argparse
import json
import os
import sys

ENV_VAR = "SEXTANT_LCBENCH_DIR"
EPOCHS = 52
WHERE = ("get the folder lcbench/ of the public yahpo_data repository "
         "(https://github.com/slds-lmu/yahpo_data) and set " + ENV_VAR + " to it")

# The search space of LCBench (config_space.json): name -> (low, high, integer, log).
SPACE = {
    "learning_rate": (1e-4, 0.1, False, True),
    "batch_size": (16, 512, True, True),
    "weight_decay": (1e-5, 0.1, False, False),
    "momentum": (0.1, 0.99, False, False),
    "num_layers": (1, 5, True, False),
    "max_units": (64, 1024, True, True),
    "max_dropout": (0.0, 1.0, False, False),
}

# Development tasks: OpenML task id -> (dataset, best known val_loss at epoch 52).
TASKS = {
    "167149": ("kr-vs-kp", 0.0051),
    "167185": ("cnae-9", 0.0193),
    "167104": ("australian", 0.0301),
    "189862": ("jasmine", 0.0466),
    "168330": ("jannis", 0.2328),
    "167161": ("credit-g", 0.0821),
}

# The model's continuous inputs, in its order (epoch first), raw values.
_INPUT_ORDER = ["batch_size", "learning_rate", "momentum", "weight_decay",
                "num_layers", "max_units", "max_dropout"]


class SurrogateError(Exception):
    pass


def data_dir(path=None):
    """The surrogate's folder: `path`, else $SEXTANT_LCBENCH_DIR; checked for its files."""
    path = path or os.environ.get(ENV_VAR)
    if not path:
        raise SurrogateError(ENV_VAR + " is not set: " + WHERE)
    for name in ("model.onnx", "encoding.json"):
        if not os.path.isfile(os.path.join(path, name)):
            raise SurrogateError("%s is missing in %s (%s=%s): %s"
                                 % (name, path, ENV_VAR, path, WHERE))
    return path


class Surrogate:
    """The LCBench ONNX model, evaluated with onnxruntime on one thread."""

    def __init__(self, path=None):
        path = data_dir(path)
        try:
            import numpy
            import onnxruntime
        except ImportError as error:
            raise SurrogateError("%s: install it with `python3 -m pip install onnxruntime numpy`"
                                 % error)
        self._np = numpy
        with open(os.path.join(path, "encoding.json")) as f:
            self._codes = json.load(f)["OpenML_task_id"]
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(
            os.path.join(path, "model.onnx"), options, providers=["CPUExecutionProvider"])

    def code(self, task):
        try:
            return self._codes[str(task)]
        except KeyError:
            raise SurrogateError("unknown task %s (not in encoding.json)" % task)

    def predict(self, points):
        """points: list of (task, epoch, config). Returns (val_accuracy, time) arrays."""
        np = self._np
        x_cat = np.array([[self.code(t)] for t, _, _ in points], dtype=np.int32)
        x_cont = np.array([[float(e)] + [float(c[k]) for k in _INPUT_ORDER] for _, e, c in points],
                          dtype=np.float32)
        out = self._session.run(None, {"x_cat": x_cat, "x_cont": x_cont})[0]
        return out[:, 1], out[:, 0]

    def curve(self, task, config):
        """val_loss at epochs 1..52 of one configuration, in one batched call."""
        return self.curve_and_times(task, config)[0]

    def curve_and_times(self, task, config):
        """(val_loss, cumulative seconds) at epochs 1..52 of one configuration, in one
        batched call: the learning curve and what training up to each epoch costs."""
        accuracy, time = self.predict([(task, e, config) for e in range(1, EPOCHS + 1)])
        return [1.0 - float(a) / 100.0 for a in accuracy], [float(t) for t in time]

    def final(self, task, configs):
        """val_loss at epoch 52 of many configurations, in one batched call."""
        accuracy, _ = self.predict([(task, EPOCHS, c) for c in configs])
        return [1.0 - float(a) / 100.0 for a in accuracy]


def check(surrogate, path, tolerance=1e-4):
    """Compare with reference points: each point evaluated alone (val_accuracy, time,
    val_loss), and inside the 52-epoch batch a trial evaluates (val_accuracy, val_loss;
    the cumulative time, up to an hour in float32, moves by about 1e-3 s with the batch
    size, so it is compared only alone)."""
    with open(path) as f:
        points = json.load(f)
    bad = 0

    def compare(i, p, how, got):
        nonlocal bad
        for key, value in got.items():
            if key in p and abs(value - p[key]) > tolerance:
                bad += 1
                print("point %d (task %s, epoch %s, %s): %s %.6f, expected %.6f"
                      % (i, p["task"], p["epoch"], how, key, value, p[key]), file=sys.stderr)

    for i, p in enumerate(points):
        accuracy, time = surrogate.predict([(p["task"], p["epoch"], p["config"])])
        compare(i, p, "alone", {"val_accuracy": float(accuracy[0]), "time": float(time[0]),
                                "val_loss": 1.0 - float(accuracy[0]) / 100.0})
        curve = surrogate.curve(p["task"], p["config"])
        compare(i, p, "in its curve", {"val_accuracy": 100.0 * (1.0 - curve[p["epoch"] - 1]),
                                       "val_loss": curve[p["epoch"] - 1]})
    print("%d points, %d values off by more than %g" % (len(points), bad, tolerance))
    return bad == 0


def parse_config(args):
    config = {}
    for name, (low, high, integer, _) in SPACE.items():
        raw = getattr(args, name)
        value = int(round(float(raw))) if integer else float(raw)
        if not low <= value <= high:
            raise SurrogateError("%s=%s outside [%s, %s]" % (name, raw, low, high))
        config[name] = value
    return config


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", metavar="FILE", help="verify the evaluator against reference points")
    parser.add_argument("--task", help="OpenML task id, e.g. 167149")
    for name in SPACE:
        parser.add_argument("--" + name)
    args = parser.parse_args(argv)
    try:
        surrogate = Surrogate()
        if args.check:
            return 0 if check(surrogate, args.check) else 1
        missing = [n for n in ["task"] + list(SPACE) if getattr(args, n) is None]
        if missing:
            parser.error("missing --" + ", --".join(missing))
        curve = surrogate.curve(args.task, parse_config(args))
    except SurrogateError as error:
        print("error: %s" % error, file=sys.stderr)
        return 2
    lines = ["val_loss=%.6f step=%d" % (v, e) for e, v in enumerate(curve, start=1)]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

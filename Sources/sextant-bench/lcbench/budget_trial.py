#!/usr/bin/env python3
"""A synthetic but realistic training run with integer, categorical and boundary optima.

"budget-mlp" models fine-tuning a small network under a fixed budget of 30 epochs.
It is deterministic and costs nothing, and is built to have what real searches have
and the smooth test functions lack:

- optimizer (categorical: sgd, momentum, adam, adamw). Each has its own best
  learning rate and its own floor. Adam and AdamW have an interior optimum near
  1e-3 to 2e-3 and diverge to chance level above about 0.03; SGD with momentum
  keeps improving up to the largest learning rate allowed, so the global optimum
  sits on the upper bound of learning_rate.
- learning_rate (float, log, 1e-5 .. 0.3).
- batch_size (int, log, 16 .. 1024): with a fixed number of epochs, smaller
  batches take more steps and generalize better, so the optimum is the lower
  bound 16 for every optimizer; the best learning rate also grows with the
  batch size (linear scaling), which couples the two.
- num_layers (int, 1 .. 8): an interior optimum at 4 for relu and gelu; tanh
  networks train worse the deeper they are (optimum at 2).
- activation (categorical: relu, gelu, tanh).
- dropout (float, 0 .. 0.6): interior optimum that grows with depth,
  0.05 + 0.04 * num_layers.

The reported value is a validation loss (error rate, 0..0.9; 0.9 is chance with
ten classes) at every epoch 1..30 (`val_loss=... step=E`); the curve falls faster
with larger effective step sizes. The last epoch's value is the final one.

Global minimum: optimizer=momentum, learning_rate=0.3 (upper bound),
batch_size=16 (lower bound), num_layers=4, activation=gelu, dropout=0.21,
val_loss = 0.0400 exactly (OPTIMUM below).

    python3 budget_trial.py --optimizer momentum --learning_rate 0.3 --batch_size 16 \\
        --num_layers 4 --activation gelu --dropout 0.21
"""

import argparse
import math
import sys

EPOCHS = 30
CHANCE = 0.9
OPTIMUM = 0.04

# name -> ("float"|"int", low, high, log) or ("categorical", values)
SPACE = {
    "optimizer": ("categorical", ["sgd", "momentum", "adam", "adamw"]),
    "learning_rate": ("float", 1e-5, 0.3, True),
    "batch_size": ("int", 16, 1024, True),
    "num_layers": ("int", 1, 8, False),
    "activation": ("categorical", ["relu", "gelu", "tanh"]),
    "dropout": ("float", 0.0, 0.6, False),
}

# optimizer -> (floor, log10 of the best learning rate at batch size 16, curvature,
#               log10 of the learning rate above which it diverges or None)
_OPTIMIZERS = {
    "sgd": (0.055, 0.3, 0.010, None),
    "momentum": (0.040, None, 0.012, None),  # monotone: best at the upper bound
    "adam": (0.048, -3.0, 0.020, -1.5),
    "adamw": (0.044, -2.7, 0.020, -1.4),
}
_LOG_LR_HIGH = math.log10(0.3)


def final_loss(c):
    """val_loss at the last epoch of configuration c (a dict of SPACE's names)."""
    floor, best_log_lr, curvature, diverge = _OPTIMIZERS[c["optimizer"]]
    u = math.log10(c["learning_rate"])
    scale = math.log10(c["batch_size"] / 16.0)  # 0 .. 1.81
    if diverge is not None and u > diverge + 0.5 * scale:
        return CHANCE
    if best_log_lr is None:
        # momentum: loss falls with the learning rate up to the bound, and the fall
        # is steeper for small batches; at batch size 16 and lr 0.3 the term is 0.
        lr_term = curvature * (_LOG_LR_HIGH - u) ** 2 + 0.02 * max(0.0, _LOG_LR_HIGH - u) * scale
    else:
        lr_term = curvature * (u - (best_log_lr + 0.5 * scale)) ** 2
    batch_term = 0.018 * scale + 0.004 * scale ** 2
    layers, activation = c["num_layers"], c["activation"]
    if activation == "tanh":
        depth_term = 0.015 + 0.006 * (layers - 2) ** 2
    else:
        depth_term = 0.004 * (layers - 4) ** 2 + (0.006 if activation == "relu" else 0.0)
    dropout_term = 0.25 * (c["dropout"] - (0.05 + 0.04 * layers)) ** 2
    return min(CHANCE, floor + lr_term + batch_term + depth_term + dropout_term)


def curve(c):
    """val_loss at epochs 1..30: from chance towards final_loss at a rate set by the step size."""
    final = final_loss(c)
    if final >= CHANCE:
        return [CHANCE] * EPOCHS
    steps_per_epoch = 50000.0 / c["batch_size"]
    step_size = c["learning_rate"] * (10.0 if c["optimizer"] == "momentum" else 1.0)
    if c["optimizer"] in ("adam", "adamw"):
        step_size = c["learning_rate"] * 30.0
    rate = min(0.4, 2e-5 * steps_per_epoch * step_size ** 0.5 * 30.0)
    end = math.exp(-rate * EPOCHS)
    values = []
    for e in range(1, EPOCHS + 1):
        progress = (math.exp(-rate * e) - end) / (1.0 - end)  # 1 at epoch 0, 0 at the last
        values.append(final + (CHANCE - final) * progress)
    return values


def parse_config(args):
    config = {}
    for name, spec in SPACE.items():
        raw = getattr(args, name)
        if spec[0] == "categorical":
            if raw not in spec[1]:
                raise ValueError("%s=%s not one of %s" % (name, raw, ", ".join(spec[1])))
            config[name] = raw
            continue
        value = int(round(float(raw))) if spec[0] == "int" else float(raw)
        if not spec[1] <= value <= spec[2]:
            raise ValueError("%s=%s outside [%s, %s]" % (name, raw, spec[1], spec[2]))
        config[name] = value
    return config


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for name in SPACE:
        parser.add_argument("--" + name, required=True)
    try:
        config = parse_config(parser.parse_args(argv))
    except ValueError as error:
        print("error: %s" % error, file=sys.stderr)
        return 2
    sys.stdout.write("".join("val_loss=%.6f step=%d\n" % (v, e)
                             for e, v in enumerate(curve(config), start=1)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

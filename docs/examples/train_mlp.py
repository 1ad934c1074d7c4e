#!/usr/bin/env python3
"""How to plug your own training code into Sextant: a small numpy network.

A worker runs this once per trial; the trial's hyperparameters reach it through the
environment, so the command line names none of them:

    pip install ./Sources/python          # the `sextant` package: params() and report()
    sextant worker tcp://HOST:5555 -- python3 docs/examples/train_mlp.py

`sextant.params()` reads the trial's parameters (here learning_rate, batch_size,
epochs, hidden_units and seed; those the study does not tune keep their defaults) and
`sextant.report()` prints one flushed line per epoch with the metric the study names
(here `val_loss=...`, plus anything else). The last `val_loss` line is the trial's
result. If training blows up, it prints `failed: diverged` and exits non-zero, which
Sextant stores as the failure reason. Run by hand, it trains with the defaults.

The data here is synthetic (ten Gaussian clusters in 16 dimensions) so the example
needs nothing but numpy: replace `load_data` with your own.
"""
import sys

import numpy as np

import sextant

DEFAULTS = {"learning_rate": 0.05, "batch_size": 32, "epochs": 10, "hidden_units": 32, "seed": 0}


def load_data(seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 1.0, size=(10, 16))
    labels = rng.integers(0, 10, size=2000)
    features = centers[labels] + rng.normal(0, 1.2, size=(2000, 16))
    return features[:1600], labels[:1600], features[1600:], labels[1600:]


def main():
    p = sextant.params(DEFAULTS)
    learning_rate, batch_size, hidden_units = p["learning_rate"], p["batch_size"], p["hidden_units"]

    x_train, y_train, x_val, y_val = load_data()
    rng = np.random.default_rng(p["seed"])
    w1 = rng.normal(0, np.sqrt(2 / 16), size=(16, hidden_units))
    b1 = np.zeros(hidden_units)
    w2 = rng.normal(0, np.sqrt(1 / hidden_units), size=(hidden_units, 10))
    b2 = np.zeros(10)

    def forward(x):
        hidden = np.maximum(x @ w1 + b1, 0)
        logits = hidden @ w2 + b2
        logits -= logits.max(axis=1, keepdims=True)
        probabilities = np.exp(logits)
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        return hidden, probabilities

    for epoch in range(1, p["epochs"] + 1):
        order = rng.permutation(len(x_train))
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            x, y = x_train[batch], y_train[batch]
            hidden, probabilities = forward(x)
            grad_logits = probabilities
            grad_logits[np.arange(len(y)), y] -= 1
            grad_logits /= len(y)
            grad_hidden = (grad_logits @ w2.T) * (hidden > 0)
            w2 -= learning_rate * hidden.T @ grad_logits
            b2 -= learning_rate * grad_logits.sum(axis=0)
            w1 -= learning_rate * x.T @ grad_hidden
            b1 -= learning_rate * grad_hidden.sum(axis=0)
        _, probabilities = forward(x_val)
        val_loss = -np.mean(np.log(probabilities[np.arange(len(y_val)), y_val] + 1e-12))
        accuracy = np.mean(probabilities.argmax(axis=1) == y_val)
        if not np.isfinite(val_loss) or val_loss > 100:
            print("failed: diverged", flush=True)
            return 1
        sextant.report(step=epoch, val_loss=round(float(val_loss), 6), val_accuracy=round(float(accuracy), 4))
    return 0


if __name__ == "__main__":
    with np.errstate(all="ignore"):
        sys.exit(main())

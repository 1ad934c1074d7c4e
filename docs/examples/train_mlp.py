#!/usr/bin/env python3
"""How to plug your own training code into Sextant: a small numpy network.

A worker runs this once per trial, with the trial's hyperparameters as arguments:

    sextant worker tcp://HOST:5555 -- python3 docs/examples/train_mlp.py \
        --learning-rate {learning_rate} --batch-size {batch_size} --epochs {epochs} --hidden {hidden_units}

All it has to do for Sextant is print one line per epoch with the metric the study
names (here `val_loss=...`, plus anything else), flush stdout, and exit 0. The last
`val_loss` line is the trial's result. It may also read SEXTANT_TRIAL_ID and
SEXTANT_PARAMS from its environment. If training blows up, it prints
`failed: diverged` and exits non-zero, which Sextant stores as the failure reason.

The data here is synthetic (ten Gaussian clusters in 16 dimensions) so the example
needs nothing but numpy: replace `load_data` with your own.
"""
import argparse
import sys

import numpy as np


def load_data(seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 1.0, size=(10, 16))
    labels = rng.integers(0, 10, size=2000)
    features = centers[labels] + rng.normal(0, 1.2, size=(2000, 16))
    return features[:1600], labels[:1600], features[1600:], labels[1600:]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--learning-rate", type=float, default=0.05)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    x_train, y_train, x_val, y_val = load_data()
    rng = np.random.default_rng(args.seed)
    w1 = rng.normal(0, np.sqrt(2 / 16), size=(16, args.hidden))
    b1 = np.zeros(args.hidden)
    w2 = rng.normal(0, np.sqrt(1 / args.hidden), size=(args.hidden, 10))
    b2 = np.zeros(10)

    def forward(x):
        hidden = np.maximum(x @ w1 + b1, 0)
        logits = hidden @ w2 + b2
        logits -= logits.max(axis=1, keepdims=True)
        probabilities = np.exp(logits)
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        return hidden, probabilities

    for epoch in range(1, args.epochs + 1):
        order = rng.permutation(len(x_train))
        for start in range(0, len(order), args.batch_size):
            batch = order[start:start + args.batch_size]
            x, y = x_train[batch], y_train[batch]
            hidden, probabilities = forward(x)
            grad_logits = probabilities
            grad_logits[np.arange(len(y)), y] -= 1
            grad_logits /= len(y)
            grad_hidden = (grad_logits @ w2.T) * (hidden > 0)
            w2 -= args.learning_rate * hidden.T @ grad_logits
            b2 -= args.learning_rate * grad_logits.sum(axis=0)
            w1 -= args.learning_rate * x.T @ grad_hidden
            b1 -= args.learning_rate * grad_hidden.sum(axis=0)
        _, probabilities = forward(x_val)
        val_loss = -np.mean(np.log(probabilities[np.arange(len(y_val)), y_val] + 1e-12))
        accuracy = np.mean(probabilities.argmax(axis=1) == y_val)
        if not np.isfinite(val_loss) or val_loss > 100:
            print("failed: diverged", flush=True)
            return 1
        print(f"epoch={epoch} val_loss={val_loss:.6f} val_accuracy={accuracy:.4f} step={epoch}", flush=True)
    return 0


if __name__ == "__main__":
    with np.errstate(all="ignore"):
        sys.exit(main())

#!/usr/bin/env python3
"""The network of `sextant train mlp-digits` in numpy, timed like `sextant-bench trainer`.

Same data (scikit-learn's copy of the UCI digits, scaled to [0,1], 1,437 training and
360 validation images), same layers (64 -> H ReLU -> 10 softmax), plain SGD, batch 64,
validation after every epoch, float32. Prints epochs per second (median of the runs).

    OMP_NUM_THREADS=1 python3 Sources/sextant-bench/peers/mlp_numpy.py --hidden 64,256 --epochs 20
"""
import argparse
import os
import statistics
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np
from sklearn.datasets import load_digits


def train(x_train, y_train, x_val, y_val, hidden, epochs, batch, rate, seed=0):
    rng = np.random.default_rng(seed)
    f = np.float32
    w1 = (rng.normal(0, np.sqrt(2 / 64), size=(64, hidden))).astype(f)
    b1 = np.zeros(hidden, f)
    w2 = (rng.normal(0, np.sqrt(1 / hidden), size=(hidden, 10))).astype(f)
    b2 = np.zeros(10, f)
    accuracy = 0.0
    for _ in range(epochs):
        order = rng.permutation(len(x_train))
        for start in range(0, len(order), batch):
            index = order[start:start + batch]
            x, y = x_train[index], y_train[index]
            z1 = x @ w1 + b1
            a = np.maximum(z1, 0)
            z2 = a @ w2 + b2
            z2 -= z2.max(axis=1, keepdims=True)
            p = np.exp(z2)
            p /= p.sum(axis=1, keepdims=True)
            g2 = p
            g2[np.arange(len(y)), y] -= 1
            g2 /= len(y)
            g1 = (g2 @ w2.T) * (z1 > 0)
            w2 -= rate * (a.T @ g2)
            b2 -= rate * g2.sum(axis=0)
            w1 -= rate * (x.T @ g1)
            b1 -= rate * g1.sum(axis=0)
        z2 = np.maximum(x_val @ w1 + b1, 0) @ w2 + b2
        accuracy = float(np.mean(z2.argmax(axis=1) == y_val))
    return accuracy


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--hidden", default="64,256")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    digits = load_digits()
    x = (digits.data / 16).astype(np.float32)
    y = digits.target
    order = np.random.default_rng(20241123).permutation(len(y))
    x, y = x[order], y[order]
    x_val, y_val, x_train, y_train = x[:359], y[:359], x[359:], y[359:]
    for hidden in [int(h) for h in args.hidden.split(",")]:
        rates = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            accuracy = train(x_train, y_train, x_val, y_val, hidden, args.epochs, 64, 0.05)
            rates.append(args.epochs / (time.perf_counter() - start))
        print(f"numpy  hidden={hidden:<4d} batch=64: {statistics.median(rates):8.1f} epochs/s "
              f"(median of {args.repeats}), final val accuracy {accuracy:.3f}", flush=True)


if __name__ == "__main__":
    main()

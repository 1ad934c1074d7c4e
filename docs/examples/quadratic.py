#!/usr/bin/env python3
"""A stand-in training script: a noisy quadratic bowl whose minimum is known.

It reports `loss=...` once per "epoch" and the final value last, the way a real
training script reports its validation loss. The best loss, 0, is at x=0.3,
y=-1.2, optimizer=adam.
"""
import argparse
import math
import sys
import time

parser = argparse.ArgumentParser()
parser.add_argument("--x", type=float, required=True)
parser.add_argument("--y", type=float, required=True)
parser.add_argument("--optimizer", default="adam")
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--sleep", type=float, default=0.0, help="seconds per epoch")
args = parser.parse_args()

penalty = {"sgd": 0.5, "momentum": 0.2, "adam": 0.0}.get(args.optimizer)
if penalty is None:
    print(f"unknown optimizer {args.optimizer}", file=sys.stderr)
    sys.exit(2)

final = (args.x - 0.3) ** 2 + (args.y + 1.2) ** 2 + penalty
for epoch in range(1, args.epochs + 1):
    time.sleep(args.sleep)
    # Early epochs are worse; the last one reaches the final value.
    loss = final + (args.epochs - epoch) * 0.1 * (1 + math.sin(args.x))
    print(f"epoch {epoch}/{args.epochs} loss={loss:.6f} step={epoch}", flush=True)

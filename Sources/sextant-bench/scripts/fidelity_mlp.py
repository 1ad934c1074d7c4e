#!/usr/bin/env python3
"""mlp-digits with epochs as the fidelity against full runs: wall time to a good model.

For each seed it runs two studies of the built-in mlp-digits trainer with
`sextant demo` (a real coordinator and two local workers):

- full: docs/examples/mlp-digits-pruning.yaml without its pruner (every trial
  trains 27 epochs), 40 trials;
- fidelity: docs/examples/mlp-digits-fidelity.yaml (up to 27 epochs, the curve
  model chooses and stops trials), with the trial budget raised to 400 and a time
  budget (`budget.max_seconds`) of the full study's wall time, so it can go on
  as long as the full study took but no longer.

It reads both back with `sextant export` and reports, per seed, the full study's
wall time (first trial start to last trial end) and best val_loss, and the time
the fidelity study took (from its first trial's start) until a completed trial
was within 1% of that best (`never` if none was). The ratio of the two times is
the figure; the median over seeds is the summary.

    make build
    python3 Sources/sextant-bench/scripts/fidelity_mlp.py --seeds 1-5

The two studies of a seed run one after the other, so both see the same machine.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from datetime import datetime

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))


def parse_seeds(text):
    seeds = []
    for part in text.split(","):
        a, _, b = part.partition("-")
        seeds += list(range(int(a), int(b or a) + 1))
    return seeds


def when(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def run_study(binary, study_text, folder, name):
    path = os.path.join(folder, name + ".yaml")
    with open(path, "w") as f:
        f.write(study_text)
    directory = os.path.join(folder, name)
    subprocess.run([binary, "demo", "--study", path, "--directory", directory, "--workers", "2"],
                   check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    out = subprocess.run([binary, "export", "--format", "json", "--db", os.path.join(directory, "demo.db")],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)["trials"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default="1-5")
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "debug", "sextant"))
    parser.add_argument("--tolerance", type=float, default=0.01, help="within this fraction of the full study's best")
    args = parser.parse_args()
    with open(os.path.join(ROOT, "docs/examples/mlp-digits-pruning.yaml")) as f:
        full_text = re.sub(r"pruner: \{[^}]*\}", "pruner: {kind: none}", f.read())
    with open(os.path.join(ROOT, "docs/examples/mlp-digits-fidelity.yaml")) as f:
        fidelity_text = f.read()
    rows, ratios = [], []
    with tempfile.TemporaryDirectory() as folder:
        for seed in parse_seeds(args.seeds):
            full = run_study(args.binary, full_text.replace("seed: 7", "seed: %d" % seed), folder, "full-%d" % seed)
            done = [t for t in full if t["state"] == "completed"]
            best = min(t["value"] for t in done)
            full_wall = max(when(t["finished_at"]) for t in full if t["finished_at"]) - min(
                when(t["started_at"]) for t in full if t["started_at"])
            text = re.sub(r"budget: \{[^}]*\}", "budget: {trials: 400, max_seconds: %.1f}" % full_wall,
                          fidelity_text.replace("seed: 7", "seed: %d" % seed))
            curves = run_study(args.binary, text, folder, "fidelity-%d" % seed)
            start = min(when(t["started_at"]) for t in curves if t["started_at"])
            reached = sorted(when(t["finished_at"]) - start for t in curves
                             if t["state"] == "completed" and t["value"] <= best * (1 + args.tolerance))
            fid_best = min((t["value"] for t in curves if t["state"] == "completed"), default=float("nan"))
            stopped = sum(t["state"] == "pruned" for t in curves)
            ratio = reached[0] / full_wall if reached else float("inf")
            ratios.append(ratio)
            rows.append((seed, full_wall, best, reached[0] if reached else None, ratio, fid_best, stopped, len(curves)))
            print("seed %d: full %.1f s best %.4f; fidelity reached %s (%s), best %.4f, %d of %d stopped" % (
                seed, full_wall, best, "%.1f s" % reached[0] if reached else "never",
                "%.2fx" % ratio if reached else "-", fid_best, stopped, len(curves)), file=sys.stderr)
    print("| seed | full study wall time | full best val_loss | fidelity: time to within %g%% | ratio | fidelity best | stopped |" % (
        args.tolerance * 100))
    print("|---|---|---|---|---|---|---|")
    for seed, wall, best, reached, ratio, fid_best, stopped, count in rows:
        print("| %d | %.1f s | %.4f | %s | %s | %.4f | %d of %d |" % (
            seed, wall, best, "%.1f s" % reached if reached is not None else "never",
            "%.2fx" % ratio if reached is not None else "-", fid_best, stopped, count))
    print("\nmedian ratio: %.2fx" % statistics.median(ratios))
    return 0


if __name__ == "__main__":
    sys.exit(main())

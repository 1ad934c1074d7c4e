#!/usr/bin/env python3
"""Wall time to a good model on LCBench, in simulated time: the fidelity study against full runs.

Reads the JSON of `sextant-bench fidelity --methods full,curves --json-out F` (each trial's
end in simulated seconds: the surrogate's training times, the workers side by side). Per
task and seed: the full-run study's wall time (its first 50 trials, 2,600 epochs) and best
val_loss; the time the fidelity study took until a completed trial was within the tolerance
of that best (never, when none was within its 2,600 epochs); their ratio.

    OMP_NUM_THREADS=1 .build/release/sextant-bench fidelity --seeds 0-9 --methods full,curves \\
        --workers 2 --json-out walltime.json
    python3 Sources/sextant-bench/scripts/fidelity_walltime.py walltime.json [--tolerance 0.01]
"""
import argparse
import json
import math
import statistics


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("runs")
    parser.add_argument("--tolerance", type=float, default=0.01)
    args = parser.parse_args()
    runs = json.load(open(args.runs))
    full = {(r["task"], r["seed"]): r for r in runs if r["method"] == "full"}
    curves = {(r["task"], r["seed"]): r for r in runs if r["method"] == "curves"}
    rows = {}
    for (task, seed), f in sorted(full.items()):
        if (task, seed) not in curves:
            continue
        n = min(50, len(f["finals"]))
        wall = max(f["ends"][:n])
        best = min(v for v in f["finals"][:n] if v is not None)
        c = curves[(task, seed)]
        hits = [e for e, v in zip(c["ends"], c["finals"]) if v is not None and v <= best * (1 + args.tolerance)]
        rows.setdefault(task, []).append((wall, (min(hits) if hits else math.inf) / wall))
    text = lambda x: "%.2f" % x if x < math.inf else "never"
    print("| task | full runs: wall time, median | fidelity within %g%% | ratio: median | ratio per seed |" % (
        args.tolerance * 100))
    print("|---|---|---|---|---|")
    ratios = []
    for task in sorted(rows):
        r = [x[1] for x in rows[task]]
        ratios += r
        print("| %s | %.1f h | %d of %d | %s | %s |" % (
            task, statistics.median(x[0] for x in rows[task]) / 3600, sum(x < math.inf for x in r), len(r),
            text(statistics.median(r)), " ".join(text(x) for x in r)))
    print("\nall: %d of %d within; median ratio %s; at or below 0.35: %d of %d" % (
        sum(x < math.inf for x in ratios), len(ratios), text(statistics.median(ratios)),
        sum(x <= 0.35 for x in ratios), len(ratios)))


if __name__ == "__main__":
    main()

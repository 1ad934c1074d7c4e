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
the figure; the median over seeds is the summary. Beside it: each study's idle
share (the time its workers waited between one trial's end and their next
trial's start, over their time in all), and with `--twin` a second run of the
full study, judged by the same criterion against the first: how well the
criterion tells a study from a repeat of itself (the two runs differ only in
the timing of their two workers).

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


def idle_share(trials):
    """The share of the workers' time spent between one trial's end and their next trial's start."""
    spans = {}
    for t in trials:
        if t["started_at"] and t["finished_at"]:
            spans.setdefault(t["worker"], []).append((when(t["started_at"]), when(t["finished_at"])))
    busy = idle = 0.0
    for runs in spans.values():
        runs.sort()
        busy += sum(end - start for start, end in runs)
        idle += sum(max(0.0, later[0] - earlier[1]) for earlier, later in zip(runs, runs[1:]))
    return idle / (busy + idle) if busy + idle > 0 else 0.0


def reached(trials, target, tolerance):
    """Seconds from the study's first start until a completed trial was within `tolerance` of `target`; None if never."""
    start = min(when(t["started_at"]) for t in trials if t["started_at"])
    times = sorted(when(t["finished_at"]) - start for t in trials
                   if t["state"] == "completed" and t["value"] <= target * (1 + tolerance))
    return times[0] if times else None


def wall_time(trials):
    return max(when(t["finished_at"]) for t in trials if t["finished_at"]) - min(
        when(t["started_at"]) for t in trials if t["started_at"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default="1-5")
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "debug", "sextant"))
    parser.add_argument("--tolerance", type=float, default=0.01, help="within this fraction of the full study's best")
    parser.add_argument("--fidelity-study", default=os.path.join(ROOT, "docs/examples/mlp-digits-fidelity.yaml"),
                        help="the fidelity study to run against the full one (its budget is set as above)")
    parser.add_argument("--twin", action="store_true",
                        help="also run the full study a second time and judge it against the first by the same criterion")
    args = parser.parse_args()
    with open(os.path.join(ROOT, "docs/examples/mlp-digits-pruning.yaml")) as f:
        full_text = re.sub(r"pruner: \{[^}]*\}", "pruner: {kind: none}", f.read())
    with open(args.fidelity_study) as f:
        fidelity_text = f.read()
    rows, ratios, twins = [], [], []
    with tempfile.TemporaryDirectory() as folder:
        for seed in parse_seeds(args.seeds):
            full_seeded = full_text.replace("seed: 7", "seed: %d" % seed)
            full = run_study(args.binary, full_seeded, folder, "full-%d" % seed)
            best = min(t["value"] for t in full if t["state"] == "completed")
            full_wall = wall_time(full)
            text = re.sub(r"budget: \{[^}]*\}", "budget: {trials: 400, max_seconds: %.1f}" % full_wall,
                          fidelity_text.replace("seed: 7", "seed: %d" % seed))
            curves = run_study(args.binary, text, folder, "fidelity-%d" % seed)
            time = reached(curves, best, args.tolerance)
            fid_best = min((t["value"] for t in curves if t["state"] == "completed"), default=float("nan"))
            stopped = sum(t["state"] == "pruned" for t in curves)
            ratio = time / full_wall if time is not None else float("inf")
            ratios.append(ratio)
            twin = ""
            if args.twin:
                again = run_study(args.binary, full_seeded, folder, "twin-%d" % seed)
                twin_time = reached(again, best, args.tolerance)
                twin_ratio = twin_time / full_wall if twin_time is not None else float("inf")
                twins.append(twin_ratio)
                twin = "%s (best %.4f)" % ("%.2fx" % twin_ratio if twin_time is not None else "never",
                                           min(t["value"] for t in again if t["state"] == "completed"))
            rows.append((seed, full_wall, best, idle_share(full), time, ratio, fid_best, stopped, len(curves),
                         idle_share(curves), twin))
            print("seed %d: full %.1f s best %.4f; fidelity reached %s (%s), best %.4f, %d of %d stopped%s" % (
                seed, full_wall, best, "%.1f s" % time if time is not None else "never",
                "%.2fx" % ratio if time is not None else "-", fid_best, stopped, len(curves),
                "; the full study again: " + twin if twin else ""), file=sys.stderr)
    head = ("| seed | full study wall time | full best val_loss | full: idle | fidelity: time to within %g%% | ratio "
            "| fidelity best | stopped | fidelity: idle |" % (args.tolerance * 100))
    print(head + (" full study again: ratio (best) |" if args.twin else ""))
    print("|---" * (10 if args.twin else 9) + "|")
    for seed, wall, best, full_idle, time, ratio, fid_best, stopped, count, fid_idle, twin in rows:
        print("| %d | %.1f s | %.4f | %.0f%% | %s | %s | %.4f | %d of %d | %.0f%% |%s" % (
            seed, wall, best, 100 * full_idle, "%.1f s" % time if time is not None else "never",
            "%.2fx" % ratio if time is not None else "-", fid_best, stopped, count, 100 * fid_idle,
            " %s |" % twin if args.twin else ""))
    print("\nmedian ratio: %.2fx" % statistics.median(ratios))
    if args.twin:
        print("the full study again, median ratio: %.2fx" % statistics.median(twins))
    return 0


if __name__ == "__main__":
    sys.exit(main())

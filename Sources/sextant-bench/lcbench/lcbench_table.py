#!/usr/bin/env python3
"""One regret table from the --json-out files of run_lcbench.py and compare_lcbench.py.

    python3 Sources/sextant-bench/lcbench/lcbench_table.py sextant.json sextant4.json peers.json

Columns: every optimizer in the files, in the order given; only seeds present in
every column of a problem are counted, so the medians compare like with like.
"""

import json
import sys

import problems as P


def load(paths):
    results = {}
    for path in paths:
        with open(path) as f:
            data = json.load(f)
        columns = {data["optimizer"]: data["results"]} if "optimizer" in data else data["results"]
        for column, per_problem in columns.items():
            for problem, per_seed in per_problem.items():
                for seed, entry in per_seed.items():
                    results.setdefault(column, {}).setdefault(problem, {})[int(seed)] = {
                        int(b): r for b, r in entry["regret"].items()}
    return results


def main():
    results = load(sys.argv[1:])
    columns = list(results)
    problems = {p for c in columns for p in results[c]}
    for c in columns:
        results[c] = {p: results[c][p] for p in P.ALL if p in results[c]}
    for p in problems:
        common = set.intersection(*[set(results[c].get(p, {})) for c in columns])
        for c in columns:
            if p in results[c]:
                results[c][p] = {s: r for s, r in results[c][p].items() if s in common}
        print("%s: seeds %s" % (p, ",".join(map(str, sorted(common)))), file=sys.stderr)
    budgets = sorted({b for c in columns for p in results[c].values() for r in p.values() for b in r})
    for b in budgets:
        print("\nMedian regret after %d trials:\n" % b)
        print(P.table(results, [b], columns))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Optuna's samplers on four standard two-objective problems: the hypervolume of the
trials found after 50 and after 100 trials, and for the constrained problems how often
a sampler proposes infeasible points.

    pip install optuna greenlet torch scipy
    OMP_NUM_THREADS=1 python3 Sources/sextant-bench/peers/compare_multiobjective.py \\
        --seeds 0-9 --trials 100 --out mo-optuna.jsonl
    python3 Sources/sextant-bench/peers/compare_multiobjective.py summarize \\
        mo-optuna.jsonl mo-sextant.jsonl
    OMP_NUM_THREADS=1 python3 Sources/sextant-bench/peers/compare_multiobjective.py --latency
        # GPSampler on c2-dtlz2: median ms of 5 study.ask() calls after 200 trials

Problems. Both objectives are minimized; the parameters x0, x1, ... are floats in
[0, 1].

- branin-currin (2 parameters, reference point (18, 6)): f1 is Branin at
  (15 x0 - 5, 15 x1), f2 is Currin's exponential function
  (1 - exp(-1/(2 x1))) (2300 x0^3 + 1900 x0^2 + 2092 x0 + 60)
  / (100 x0^3 + 500 x0^2 + 4 x0 + 20), its first factor taken as 1 at x1 = 0.
- dtlz2 (6 parameters, reference point (1.1, 1.1)): g = sum_{i=1..5} (x_i - 0.5)^2,
  f1 = (1 + g) cos(x0 pi/2), f2 = (1 + g) sin(x0 pi/2). The Pareto front is the
  quarter of the unit circle, so the largest hypervolume is 1.1^2 - pi/4.
- zdt3 (6 parameters, reference point (11, 11)): f1 = x0,
  g = 1 + 9/5 sum_{i=1..5} x_i, f2 = g (1 - sqrt(f1/g) - (f1/g) sin(10 pi f1)).
  The front is disconnected and reaches below f2 = 0.
- c2-dtlz2 (4 parameters, one constraint, reference point (1.1, 1.1)): DTLZ2's
  objectives with g = sum_{i=1..3} (x_i - 0.5)^2 and the constraint
  c = min(min_i [(f_i - 1)^2 + sum_{j != i} f_j^2 - r^2], sum_i (f_i - 1/sqrt 2)^2 - r^2),
  r = 0.1; a point is feasible when c <= 0, that is within 0.1 of (1, 0), of (0, 1)
  or of (1/sqrt 2, 1/sqrt 2). The sampler is told c with Trial.set_constraint, which
  GPSampler, NSGAIISampler and TPESampler read (Optuna 5 deprecates their
  constraints_func argument for it; RandomSampler ignores constraints).

One more problem runs only when named (--problems branin-currin-disc), not by default:

- branin-currin-disc (2 parameters, one constraint, reference point (80, 12)):
  branin-currin's objectives, and with u = 15 x0 - 5, v = 15 x1 the constraint
  c = (u - 2.5)^2 + (v - 7.5)^2 - 50; a point is feasible when c <= 0, that is within
  sqrt 50 of (u, v) = (2.5, 7.5), a disc that leaves out the corners of the square.

Methods, each seeded with the run's seed, on a study with directions
["minimize", "minimize"]: optuna-gp (GPSampler), optuna-nsga2 (NSGAIISampler, its
default population of 50), optuna-tpe (TPESampler(multivariate=True)) and
optuna-random (RandomSampler). Trials go through study.ask(distributions) and
study.tell; the seconds recorded for a trial are the sampler's share, ask plus tell,
without the objective.

Output (run mode): one JSON object per study appended to --out and flushed when the
study ends:
{"problem", "method", "seed", "values": [[f1, f2], ...] in trial order,
 "constraints": [[c], ...] or null, "seconds": [ask + tell seconds, ...]},
and one line per study on stderr with its hypervolume after 50 trials and at the end.
--skip-existing leaves out the (problem, method, seed) studies --out already holds.

summarize FILE [FILE ...] reads such files (from this script or from any tool that
writes the same lines; a later line for the same problem, method and seed replaces
an earlier one) and prints a Markdown table per problem, a row per method sorted by
median HV@50: the median over seeds of the hypervolume after 50 and after 100 trials,
and for constrained problems the median share of infeasible trials among trials
26..50 and among 51..100, and the median best feasible f1 after 50 trials. The
hypervolume is the exact 2-D hypervolume, against the problem's reference point, of
the feasible trials (no constraints, or all constraint values <= 0) that are strictly
better than the reference point in both objectives. A run shorter than k trials is
left out of the columns at k.
"""

import argparse
import json
import math
import os
import statistics
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

METHODS = ["optuna-gp", "optuna-nsga2", "optuna-tpe", "optuna-random"]
CHECKPOINTS = (50, 100)


# ---------------------------------------------------------------------------
# Problems


def branin_currin(x):
    x0, x1 = x
    u, v = 15.0 * x0 - 5.0, 15.0 * x1
    b, c = 5.1 / (4.0 * math.pi ** 2), 5.0 / math.pi
    f1 = (v - b * u * u + c * u - 6.0) ** 2 + 10.0 * (1.0 - 1.0 / (8.0 * math.pi)) * math.cos(u) + 10.0
    factor = 1.0 if x1 == 0.0 else 1.0 - math.exp(-1.0 / (2.0 * x1))
    f2 = factor * (2300.0 * x0 ** 3 + 1900.0 * x0 ** 2 + 2092.0 * x0 + 60.0) / (
        100.0 * x0 ** 3 + 500.0 * x0 ** 2 + 4.0 * x0 + 20.0)
    return [f1, f2], None


def dtlz2_objectives(x):
    g = sum((xi - 0.5) ** 2 for xi in x[1:])
    angle = x[0] * math.pi / 2.0
    return [(1.0 + g) * math.cos(angle), (1.0 + g) * math.sin(angle)]


def dtlz2(x):
    return dtlz2_objectives(x), None


def zdt3(x):
    f1 = x[0]
    g = 1.0 + 9.0 / (len(x) - 1) * sum(x[1:])
    ratio = f1 / g
    h = 1.0 - math.sqrt(ratio) - ratio * math.sin(10.0 * math.pi * f1)
    return [f1, g * h], None


C2_RADIUS = 0.1


def c2_dtlz2(x):
    f = dtlz2_objectives(x)
    m = len(f)
    r2 = C2_RADIUS ** 2
    near_corner = min((f[i] - 1.0) ** 2 + sum(f[j] ** 2 for j in range(m) if j != i) - r2
                      for i in range(m))
    near_centre = sum((fi - 1.0 / math.sqrt(m)) ** 2 for fi in f) - r2
    return f, [min(near_corner, near_centre)]


DISC_CENTRE, DISC_RADIUS2 = (2.5, 7.5), 50.0


def branin_currin_disc(x):
    f, _ = branin_currin(x)
    u, v = 15.0 * x[0] - 5.0, 15.0 * x[1]
    return f, [(u - DISC_CENTRE[0]) ** 2 + (v - DISC_CENTRE[1]) ** 2 - DISC_RADIUS2]


# name -> (function, dimension, reference point, largest hypervolume or None, label of it)
PROBLEMS = {
    "branin-currin": (branin_currin, 2, (18.0, 6.0), None, None),
    "dtlz2": (dtlz2, 6, (1.1, 1.1), 1.1 ** 2 - math.pi / 4.0, "largest hypervolume"),
    "zdt3": (zdt3, 6, (11.0, 11.0), None, None),
    "c2-dtlz2": (c2_dtlz2, 4, (1.1, 1.1), 1.1 ** 2 - math.pi / 4.0,
                 "largest hypervolume without the constraint (an upper bound)"),
    "branin-currin-disc": (branin_currin_disc, 2, (80.0, 12.0), None, None),
}
# What run mode does without --problems; the problems after these run only when named.
DEFAULT_PROBLEMS = ["branin-currin", "dtlz2", "zdt3", "c2-dtlz2"]


# ---------------------------------------------------------------------------
# Exact two-dimensional hypervolume (minimization)


def hypervolume_2d(points, reference):
    """Area dominated by `points` and bounded by `reference`, both objectives minimized.

    Points not strictly better than the reference in both objectives add nothing.
    Sorted by f1 (ties by f2), a sweep keeps the least f2 seen so far; a point below
    it adds the strip from its f1 to the reference's, between its f2 and that least f2.
    """
    r1, r2 = reference
    inside = sorted((p[0], p[1]) for p in points if p[0] < r1 and p[1] < r2)
    area, lowest = 0.0, r2
    for f1, f2 in inside:
        if f2 < lowest:
            area += (r1 - f1) * (lowest - f2)
            lowest = f2
    return area


# ---------------------------------------------------------------------------
# Feasibility and per-run statistics


def finite(v):
    return isinstance(v, (int, float)) and math.isfinite(v)


def feasible(constraints, i):
    """A trial is feasible when it has no constraints or all its values are <= 0."""
    if constraints is None:
        return True
    c = constraints[i]
    if c is None:
        return False
    return all(finite(v) and v <= 0.0 for v in c)


def usable_points(run, k):
    """The feasible trials among the first k with finite objective values."""
    values, constraints = run["values"], run.get("constraints")
    return [values[i] for i in range(min(k, len(values)))
            if values[i] is not None and all(finite(v) for v in values[i])
            and feasible(constraints, i)]


def hypervolume_at(run, k, reference):
    return hypervolume_2d(usable_points(run, k), reference)


def infeasible_share(run, first, last):
    """Share of infeasible trials among trials first..last (1-based, inclusive)."""
    constraints = run.get("constraints")
    n = len(run["values"])
    if constraints is None or n < last:
        return None
    idx = range(first - 1, last)
    return sum(not feasible(constraints, i) for i in idx) / len(idx)


def best_feasible_f1(run, k):
    pts = usable_points(run, k)
    return min(p[0] for p in pts) if pts else math.inf


# ---------------------------------------------------------------------------
# Running Optuna


def make_sampler(method, seed):
    import optuna
    if method == "optuna-gp":
        return optuna.samplers.GPSampler(seed=seed)
    if method == "optuna-nsga2":
        return optuna.samplers.NSGAIISampler(seed=seed)
    if method == "optuna-tpe":
        return optuna.samplers.TPESampler(seed=seed, multivariate=True)
    if method == "optuna-random":
        return optuna.samplers.RandomSampler(seed=seed)
    raise SystemExit("unknown method %s; known: %s" % (method, ", ".join(METHODS)))


def quiet_optuna():
    import warnings
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)


def new_study(problem, method, seed):
    import optuna
    from optuna.distributions import FloatDistribution
    dim = PROBLEMS[problem][1]
    study = optuna.create_study(study_name="%s-%s-seed%d" % (problem, method, seed),
                                directions=["minimize", "minimize"],
                                sampler=make_sampler(method, seed))
    space = {"x%d" % i: FloatDistribution(0.0, 1.0) for i in range(dim)}
    return study, space


def step(study, space, fn):
    """One trial: ask, evaluate, tell. Returns (values, constraints, ask + tell seconds)."""
    t0 = time.perf_counter()
    trial = study.ask(space)
    asked = time.perf_counter() - t0
    x = [trial.params["x%d" % i] for i in range(len(space))]
    values, constraints = fn(x)
    t1 = time.perf_counter()
    if constraints is not None:
        for i, c in enumerate(constraints):
            trial.set_constraint("c%d" % i, c)
    study.tell(trial, values)
    return values, constraints, asked + time.perf_counter() - t1


def run_study(problem, method, seed, trials):
    fn = PROBLEMS[problem][0]
    study, space = new_study(problem, method, seed)
    values, constraints, seconds = [], [], []
    for _ in range(trials):
        v, c, s = step(study, space, fn)
        values.append(v)
        constraints.append(c)
        seconds.append(s)
    if all(c is None for c in constraints):
        constraints = None
    return {"problem": problem, "method": method, "seed": seed, "values": values,
            "constraints": constraints, "seconds": seconds}


def latency(seed, history, calls):
    """GPSampler on c2-dtlz2: `history` trials, then the median ms of `calls` asks
    (each told before the next, so every ask sees a history of completed trials)."""
    problem = "c2-dtlz2"
    fn = PROBLEMS[problem][0]
    study, space = new_study(problem, "optuna-gp", seed)
    started = time.perf_counter()
    for _ in range(history):
        step(study, space, fn)
    built = time.perf_counter() - started
    times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        trial = study.ask(space)
        times.append(1000.0 * (time.perf_counter() - t0))
        values, constraints = fn([trial.params["x%d" % i] for i in range(len(space))])
        for i, c in enumerate(constraints):
            trial.set_constraint("c%d" % i, c)
        study.tell(trial, values)
    print("GPSampler, c2-dtlz2 (2 objectives + 1 constraint), %d trials (%.0f s), seed %d: "
          "median study.ask() %.0f ms over %d calls (%s ms)" % (
              history, built, seed, statistics.median(times), calls,
              ", ".join("%.0f" % t for t in times)), flush=True)


# ---------------------------------------------------------------------------
# Summaries


def load_runs(files):
    """{(problem, method): {seed: run}}; a later line replaces an earlier one."""
    runs = {}
    for path in files:
        with open(path) as f:
            for n, line in enumerate(f, 1):
                line = line.strip()
                if not line:
                    continue
                try:
                    r = json.loads(line)
                except json.JSONDecodeError as e:
                    print("%s:%d: skipped, not JSON (%s)" % (path, n, e), file=sys.stderr)
                    continue
                key = (r["problem"], r["method"])
                seeds = runs.setdefault(key, {})
                if r["seed"] in seeds:
                    print("%s:%d: %s %s seed %s again; the later line counts"
                          % (path, n, r["problem"], r["method"], r["seed"]), file=sys.stderr)
                seeds[r["seed"]] = r
    return runs


def median_or_none(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(x, digits=4):
    if x is None:
        return "—"
    if math.isinf(x):
        return "none"
    return "%.*f" % (digits, x)


def problem_table(problem, by_method):
    reference = PROBLEMS[problem][2] if problem in PROBLEMS else None
    constrained = any(r.get("constraints") is not None
                      for seeds in by_method.values() for r in seeds.values())
    rows = []
    for method, seeds in by_method.items():
        rs = list(seeds.values())
        if reference is None:
            reference = rs[0].get("reference")
        hv = {k: median_or_none(hypervolume_at(r, k, reference) if len(r["values"]) >= k else None
                                for r in rs) for k in CHECKPOINTS}
        row = {"method": method, "seeds": len(rs), "trials": statistics.median(len(r["values"]) for r in rs),
               "hv": hv}
        if constrained:
            row["inf_a"] = median_or_none(infeasible_share(r, 26, 50) for r in rs)
            row["inf_b"] = median_or_none(infeasible_share(r, 51, 100) for r in rs)
            row["best_f1"] = median_or_none(best_feasible_f1(r, 50) if len(r["values"]) >= 50 else None
                                            for r in rs)
        rows.append(row)
    rows.sort(key=lambda row: (row["hv"][50] is None, -(row["hv"][50] or 0.0), row["method"]))

    head = ["method", "seeds", "HV@50", "HV@100"]
    if constrained:
        head += ["infeasible 26..50", "infeasible 51..100", "best feasible f1 @50"]
    lines = ["### %s (reference point %s)" % (problem, tuple(reference)), "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        cells = [row["method"], str(row["seeds"]), fmt(row["hv"][50]), fmt(row["hv"][100])]
        if constrained:
            cells += [fmt(row["inf_a"], 2), fmt(row["inf_b"], 2), fmt(row["best_f1"])]
        lines.append("| " + " | ".join(cells) + " |")
    if problem in PROBLEMS and PROBLEMS[problem][3] is not None:
        lines += ["", "%s: %s = %.4f" % (problem, PROBLEMS[problem][4], PROBLEMS[problem][3])]
    return "\n".join(lines)


def summarize(files):
    runs = load_runs(files)
    problems = [p for p in PROBLEMS if any(k[0] == p for k in runs)]
    problems += sorted({k[0] for k in runs} - set(problems))
    out = []
    for p in problems:
        if p not in PROBLEMS and not any("reference" in r for (q, _), s in runs.items() if q == p
                                         for r in s.values()):
            print("%s: unknown problem without a reference point; skipped" % p, file=sys.stderr)
            continue
        by_method = {m: s for (q, m), s in sorted(runs.items()) if q == p}
        out.append(problem_table(p, by_method))
    print(("Median over seeds. HV@k: exact hypervolume of the feasible trials among the "
           "first k; infeasible a..b: share of trials a..b that are infeasible; best "
           "feasible f1 @50: least f1 of a feasible trial among the first 50 (none: no "
           "feasible trial). A run shorter than k trials is left out at k.\n\n")
          + "\n\n".join(out))


# ---------------------------------------------------------------------------


def parse_seeds(text):
    """'0-9', '0,2,5' or a mix such as '0-4,7'."""
    seeds = []
    for part in text.split(","):
        part = part.strip()
        if "-" in part:
            a, b = part.split("-", 1)
            seeds.extend(range(int(a), int(b) + 1))
        elif part:
            seeds.append(int(part))
    return seeds


def existing(path):
    done = set()
    if path and os.path.exists(path):
        with open(path) as f:
            for line in f:
                try:
                    r = json.loads(line)
                    done.add((r["problem"], r["method"], r["seed"]))
                except (json.JSONDecodeError, KeyError, TypeError):
                    pass
    return done


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "summarize":
        parser = argparse.ArgumentParser(prog="compare_multiobjective.py summarize",
                                         description="Markdown tables from JSON-lines files.")
        parser.add_argument("files", nargs="+", metavar="FILE")
        summarize(parser.parse_args(sys.argv[2:]).files)
        return

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--problems", default=",".join(DEFAULT_PROBLEMS),
                        help="comma-separated subset of: " + ", ".join(PROBLEMS)
                        + " (default: " + ", ".join(DEFAULT_PROBLEMS) + ")")
    parser.add_argument("--methods", default=",".join(METHODS),
                        help="comma-separated subset of: " + ", ".join(METHODS))
    parser.add_argument("--seeds", default="0-9", help="e.g. 0-9 or 0,3,5")
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--out", help="JSON-lines file the studies are appended to")
    parser.add_argument("--skip-existing", action="store_true",
                        help="leave out the studies --out already holds")
    parser.add_argument("--latency", action="store_true",
                        help="only time GPSampler's ask on c2-dtlz2 after --latency-history trials")
    parser.add_argument("--latency-history", type=int, default=200)
    parser.add_argument("--latency-calls", type=int, default=5)
    args = parser.parse_args()

    quiet_optuna()
    seeds = parse_seeds(args.seeds)
    if args.latency:
        latency(seeds[0], args.latency_history, args.latency_calls)
        return
    problems, methods = args.problems.split(","), args.methods.split(",")
    for p in problems:
        if p not in PROBLEMS:
            parser.error("unknown problem %s; known: %s" % (p, ", ".join(PROBLEMS)))
    for m in methods:
        if m not in METHODS:
            parser.error("unknown method %s; known: %s" % (m, ", ".join(METHODS)))
    if not args.out:
        parser.error("--out is required in run mode")
    done = existing(args.out) if args.skip_existing else set()
    started = time.monotonic()
    for method in methods:
        for problem in problems:
            reference = PROBLEMS[problem][2]
            for seed in seeds:
                if (problem, method, seed) in done:
                    continue
                t0 = time.monotonic()
                run = run_study(problem, method, seed, args.trials)
                with open(args.out, "a") as f:
                    f.write(json.dumps(run) + "\n")
                    f.flush()
                    os.fsync(f.fileno())
                n = len(run["values"])
                print("%s %s seed %d: HV@%d %.4f, HV@%d %.4f; sampler %.1f s, study %.1f s, total %.0f s"
                      % (method, problem, seed, min(50, n), hypervolume_at(run, 50, reference), n,
                         hypervolume_at(run, n, reference), sum(run["seconds"]),
                         time.monotonic() - t0, time.monotonic() - started),
                      file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()

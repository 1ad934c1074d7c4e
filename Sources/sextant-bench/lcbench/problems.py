"""The realistic problems shared by run_lcbench.py (Sextant) and the peers' runner.

A problem has a name, a search space, a trial command (for Sextant's worker), a
function giving the final value of many configurations at once (for the peers,
which call it in-process) and its best known value (for the regret).
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import budget_trial  # noqa: E402
import lcbench_trial  # noqa: E402

LCBENCH_TASKS = list(lcbench_trial.TASKS)
OWN_PROBLEMS = ["budget-mlp"]
ALL = LCBENCH_TASKS + OWN_PROBLEMS


class Problem:
    def __init__(self, name):
        if name in lcbench_trial.TASKS:
            self.label = "%s (%s)" % (name, lcbench_trial.TASKS[name][0])
            self.best_known = lcbench_trial.TASKS[name][1]
            self.script = os.path.join(HERE, "lcbench_trial.py")
            self.fixed_args = ["--task", name]
            # (name, kind, low, high, log) or (name, "categorical", values)
            self.parameters = [(n, "int" if integer else "float", low, high, log)
                               for n, (low, high, integer, log) in lcbench_trial.SPACE.items()]
        elif name == "budget-mlp":
            self.label = "budget-mlp (own)"
            self.best_known = budget_trial.OPTIMUM
            self.script = os.path.join(HERE, "budget_trial.py")
            self.fixed_args = []
            self.parameters = [(n,) + tuple(spec) for n, spec in budget_trial.SPACE.items()]
        else:
            raise SystemExit("unknown problem %s; known: %s" % (name, ", ".join(ALL)))
        self.name = name
        self._surrogate = None

    def command(self, python=sys.executable):
        args = [python, self.script] + self.fixed_args
        for p in self.parameters:
            args += ["--" + p[0], "{%s}" % p[0]]
        return args

    def evaluate(self, configs):
        """Final val_loss of each configuration (dicts of parameter values)."""
        if self.name == "budget-mlp":
            return [budget_trial.final_loss(c) for c in configs]
        if self._surrogate is None:
            self._surrogate = lcbench_trial.Surrogate()
        return self._surrogate.final(self.name, configs)

    def curve(self, config):
        """(val_loss, cumulative seconds) at every epoch of one configuration; only the
        LCBench tasks have a cost per epoch, so budget-mlp raises ValueError."""
        if self.name not in lcbench_trial.TASKS:
            raise ValueError("%s has no learning curve with times; curves are for the LCBench "
                             "tasks (%s)" % (self.name, ", ".join(LCBENCH_TASKS)))
        if self._surrogate is None:
            self._surrogate = lcbench_trial.Surrogate()
        return self._surrogate.curve_and_times(self.name, config)


def yaml_number(x):
    """A number as YAML reads it back as a number (1e-05 -> 1.0e-05)."""
    if isinstance(x, int):
        return str(x)
    text = repr(float(x))
    if "e" in text and "." not in text.split("e")[0]:
        mantissa, exponent = text.split("e")
        text = mantissa + ".0e" + exponent
    return text


def study_yaml(problem, seed, trials):
    lines = [
        "name: %s-seed%d" % (problem.name, seed),
        "metric: {name: val_loss, goal: minimize}",
        "budget: {trials: %d}" % trials,
        "optimizer: {kind: gp-ei, seed: %d}" % seed,
        "parameters:",
    ]
    for p in problem.parameters:
        if p[1] == "categorical":
            lines.append("  %s: {type: categorical, values: [%s]}" % (p[0], ", ".join(p[2])))
        else:
            name, kind, low, high, log = p
            lines.append("  %s: {type: %s, low: %s, high: %s%s}" % (
                name, kind, yaml_number(low if kind == "float" else int(low)),
                yaml_number(high if kind == "float" else int(high)), ", log: true" if log else ""))
    return "\n".join(lines) + "\n"


def regrets(values, best_known, budgets):
    """Regret after each budget: best of the first b values (None = failed) minus best_known."""
    out = {}
    for b in budgets:
        done = [v for v in values[:b] if v is not None]
        out[b] = (min(done) - best_known) if done else None
    return out


def median(xs):
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return None
    n = len(xs)
    return xs[n // 2] if n % 2 else 0.5 * (xs[n // 2 - 1] + xs[n // 2])


def table(results, budgets, columns):
    """Markdown table. results[column][problem][seed] = {budget: regret}.
    Per problem and column: the median over seeds at each budget; then the mean of
    those medians over the LCBench tasks; own problems come after that row."""
    problems = []
    for col in columns:
        for p in results.get(col, {}):
            if p not in problems:
                problems.append(p)
    problems.sort(key=ALL.index)
    head = "| problem | " + " | ".join(("%s @%d" % (c, b)) if len(budgets) > 1 else c
                                     for c in columns for b in budgets) + " |"
    rows = [head, "|" + "---|" * (1 + len(columns) * len(budgets))]
    sums = {(c, b): [] for c in columns for b in budgets}
    tasks = [p for p in problems if p in LCBENCH_TASKS]

    def row(p):
        cells = []
        for c in columns:
            for b in budgets:
                m = median(r.get(b) for r in results.get(c, {}).get(p, {}).values())
                cells.append("" if m is None else "%.4f" % m)
                if m is not None and p in LCBENCH_TASKS:
                    sums[(c, b)].append(m)
        return "| %s | %s |" % (Problem(p).label, " | ".join(cells))

    rows += [row(p) for p in tasks]
    if tasks:
        rows.append("| **mean of %d LCBench tasks** | %s |" % (len(tasks), " | ".join(
            "**%.4f**" % (sum(sums[k]) / len(sums[k])) if sums[k] else "" for k in sums)))
    rows += [row(p) for p in problems if p not in LCBENCH_TASKS]
    return "\n".join(rows)

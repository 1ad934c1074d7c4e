"""Reading a study's trials from its SQLite database: `sextant.load("study.db")`.

The database is opened read-only with the standard library's sqlite3, so it can be read
while a coordinator writes it. The schema is the coordinator's
(Sources/Storage/SQLiteTrialStore+Migrations.swift): tables `study`, `trial`, `report`.
"""

from __future__ import annotations

import json
import os
import sqlite3
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Tuple

from .errors import StudyFileError


@dataclass(frozen=True)
class TrialRecord:
    """One trial as stored: the fields of `sextant export --format json`, plus its reports."""

    id: int
    state: str  # pending, running, completed, failed or pruned
    params: Dict[str, Any]
    value: Optional[float]
    step: Optional[int]
    attempt: int
    worker: Optional[str]
    started_at: Optional[datetime]
    finished_at: Optional[datetime]
    reason: Optional[str]
    stderr_tail: Optional[str]
    #: The learning curve: (step, value) of each intermediate report, by step.
    reports: List[Tuple[int, float]] = field(default_factory=list)
    #: Every objective's and constrained value's final value (a study with several objectives or
    #: with constraints; empty otherwise).
    values: Dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Study:
    """A study and its trials, as read from the database at one moment."""

    name: str
    metric: str
    goal: str  # minimize or maximize
    state: str  # running, finished, stopped or interrupted
    created_at: datetime
    spec: Dict[str, Any]
    trials: List[TrialRecord]

    @property
    def best(self) -> Optional[TrialRecord]:
        """The completed trial with the best value (the earliest among equals), as the
        coordinator picks it; None while no trial has completed. With constraints, only
        feasible trials count; with several objectives, see `pareto_front`."""
        best: Optional[TrialRecord] = None
        for trial in self.trials:
            if trial.state != "completed" or trial.value is None or not self.feasible(trial):
                continue
            if best is None or best.value is None or self._better(trial.value, best.value):
                best = trial
        return best

    def _better(self, a: float, b: float) -> bool:
        return a > b if self.goal == "maximize" else a < b

    def _value(self, trial: TrialRecord, name: str) -> Optional[float]:
        """A trial's final value of `name`: from its values, or its `value` for the metric."""
        return trial.values.get(name, trial.value if name == self.metric else None)

    @property
    def objectives(self) -> List[Tuple[str, str]]:
        """(name, goal) of each objective: the study's `metrics`, or its one `metric`."""
        listed = self.spec.get("metrics") or [self.spec.get("metric") or {}]
        return [(str(m.get("name", "")), str(m.get("goal", "minimize"))) for m in listed]

    def feasible(self, trial: TrialRecord) -> bool:
        """Whether a trial's values meet every constraint of the study (a missing value does not)."""
        for bound in self.spec.get("constraints") or []:
            value = self._value(trial, bound["name"])
            if value is None or (bound.get("max") is not None and value > bound["max"]) \
                    or (bound.get("min") is not None and value < bound["min"]):
                return False
        return True

    @property
    def pareto_front(self) -> List[TrialRecord]:
        """The completed feasible trials no other such trial beats on every objective at once,
        best first by the first objective, as the coordinator, `status` and `export` show them."""
        objectives = self.objectives
        points: List[Tuple[TrialRecord, List[float]]] = []
        for trial in self.trials:
            if trial.state != "completed" or not self.feasible(trial):
                continue
            point = []
            for name, goal in objectives:
                value = self._value(trial, name)
                if value is None:
                    break
                point.append(-value if goal == "maximize" else value)
            else:
                points.append((trial, point))

        def dominates(a: List[float], b: List[float]) -> bool:
            return all(x <= y for x, y in zip(a, b)) and any(x < y for x, y in zip(a, b))

        front = [(t, p) for t, p in points if not any(dominates(q, p) for _, q in points)]
        return [t for t, _ in sorted(front, key=lambda tp: (tp[1][0], tp[0].id))]

    def trials_dataframe(self) -> Any:
        """The trials as a pandas DataFrame: the columns of `sextant export --format csv`
        (id, state, value, step, attempt, worker, started_at, finished_at, reason, then
        one per parameter). Needs pandas (`pip install pandas`)."""
        try:
            import pandas
        except ImportError:
            raise ImportError("trials_dataframe() needs pandas: pip install pandas") from None
        names = _parameter_names(self.spec) or sorted({name for t in self.trials for name in t.params})
        rows = []
        for trial in self.trials:
            row: Dict[str, Any] = {
                "id": trial.id, "state": trial.state, "value": trial.value, "step": trial.step,
                "attempt": trial.attempt, "worker": trial.worker, "started_at": trial.started_at,
                "finished_at": trial.finished_at, "reason": trial.reason,
            }
            for name in names:
                row[name] = trial.params.get(name)
            rows.append(row)
        columns = ["id", "state", "value", "step", "attempt", "worker", "started_at", "finished_at", "reason"]
        return pandas.DataFrame(rows, columns=columns + [n for n in names if n not in columns])


def load(path: "str | os.PathLike[str]", study: Optional[str] = None) -> Study:
    """The study named `study` in the database at `path` (the latest one when not named),
    with its trials in id order. Raises `StudyFileError` naming the file when it cannot be
    read or holds no such study."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise StudyFileError(f"{path}: no such study database (give the coordinator's --db file)")
    uri = "file:" + urllib.parse.quote(os.path.abspath(path)) + "?mode=ro"
    try:
        connection = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as error:
        raise StudyFileError(f"{path}: cannot open the database: {error}") from None
    try:
        connection.row_factory = sqlite3.Row
        if study is None:
            row = connection.execute("SELECT * FROM study ORDER BY id DESC LIMIT 1").fetchone()
        else:
            row = connection.execute("SELECT * FROM study WHERE name = ?", (study,)).fetchone()
        if row is None:
            raise StudyFileError(f"{path}: no study named '{study}'" if study else f"{path}: holds no study yet")
        spec = json.loads(row["spec"])
        types = _parameter_types(spec)
        curves: Dict[int, List[Tuple[int, float]]] = {}
        for report in connection.execute(
            "SELECT r.trial_id, r.step, r.value FROM report r JOIN trial t ON t.id = r.trial_id "
            "WHERE t.study_id = ? ORDER BY r.trial_id, r.step", (row["id"],)
        ):
            curves.setdefault(report["trial_id"], []).append((report["step"], report["value"]))
        trials = [
            TrialRecord(
                id=t["id"], state=t["state"], params=_typed(json.loads(t["params"]), types),
                value=t["value"], step=t["step"], attempt=t["attempt"], worker=t["worker"],
                started_at=_time(t["started_at"]), finished_at=_time(t["finished_at"]),
                reason=t["reason"], stderr_tail=t["stderr_tail"], reports=curves.get(t["id"], []),
                values=json.loads(t["values"]) if "values" in t.keys() and t["values"] else {},
            )
            for t in connection.execute("SELECT * FROM trial WHERE study_id = ? ORDER BY id", (row["id"],))
        ]
    except sqlite3.Error as error:
        raise StudyFileError(f"{path}: not a Sextant study database ({error})") from None
    finally:
        connection.close()
    metric = spec.get("metric") or {}
    return Study(name=row["name"], metric=str(metric.get("name", "")), goal=str(metric.get("goal", "minimize")),
                 state=row["state"], created_at=_time(row["created_at"]) or datetime.fromtimestamp(0, timezone.utc),
                 spec=spec, trials=trials)


def _time(seconds: Optional[float]) -> Optional[datetime]:
    return None if seconds is None else datetime.fromtimestamp(seconds, timezone.utc)


def _parameters(spec: Dict[str, Any]) -> List[Dict[str, Any]]:
    space = spec.get("space")
    parameters = space.get("parameters") if isinstance(space, dict) else None
    return [p for p in parameters if isinstance(p, dict)] if isinstance(parameters, list) else []


def _parameter_names(spec: Dict[str, Any]) -> List[str]:
    return [str(p["name"]) for p in _parameters(spec) if "name" in p]


def _parameter_types(spec: Dict[str, Any]) -> Dict[str, str]:
    """Parameter name -> "float" or "int", for the numeric ones the spec declares."""
    types: Dict[str, str] = {}
    for parameter in _parameters(spec):
        domain = parameter.get("domain")  # {"float": {"low": 0, "high": 1, "log": false}}
        kind = next(iter(domain), None) if isinstance(domain, dict) else None
        if kind in ("float", "int") and "name" in parameter:
            types[str(parameter["name"])] = str(kind)
    return types


def _typed(params: Dict[str, Any], types: Dict[str, str]) -> Dict[str, Any]:
    """JSON writes a float 1.0 as 1: give float parameters back their type."""
    for name, kind in types.items():
        value = params.get(name)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        params[name] = float(value) if kind == "float" else int(value)
    return params

"""sextant.load: a study database read with sqlite3, read-only."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest

import sextant

# The coordinator's schema after its migrations (Sources/Storage/SQLiteTrialStore+Migrations.swift).
SCHEMA = """
CREATE TABLE study (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, spec TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'running' CHECK (state IN ('running','finished','stopped','interrupted')),
    created_at DOUBLE NOT NULL);
CREATE TABLE trial (id INTEGER PRIMARY KEY AUTOINCREMENT,
    study_id INTEGER NOT NULL REFERENCES study(id) ON DELETE CASCADE,
    state TEXT NOT NULL CHECK (state IN ('pending','running','completed','failed','pruned')),
    params TEXT NOT NULL, value DOUBLE, step INTEGER, attempt INTEGER NOT NULL DEFAULT 1 CHECK (attempt >= 1),
    worker TEXT, started_at DOUBLE, finished_at DOUBLE, reason TEXT, stderr_tail TEXT);
CREATE TABLE report (trial_id INTEGER NOT NULL REFERENCES trial(id) ON DELETE CASCADE, step INTEGER NOT NULL,
    value DOUBLE NOT NULL, reported_at DOUBLE NOT NULL, PRIMARY KEY (trial_id, step));
"""

# As the coordinator stores a spec (JSONEncoder, sorted keys).
SPEC = {
    "budget": {"trials": 5}, "maxRetries": 3, "metric": {"goal": "maximize", "name": "accuracy"}, "name": "acc",
    "optimizer": {"gridPoints": 5, "initialTrials": 8, "kind": "random", "seed": 0},
    "pruner": {"kind": "none", "minSteps": 1, "reductionFactor": 3, "startupTrials": 5, "warmupSteps": 0},
    "space": {"parameters": [
        {"domain": {"float": {"high": 2, "log": False, "low": 0}}, "name": "x"},
        {"domain": {"int": {"high": 4, "log": False, "low": 1}}, "name": "n"},
        {"domain": {"categorical": {"_0": ["a", 1.5, True]}}, "name": "c"},
    ]},
    "trialTimeoutSeconds": 900,
}


def make_database(path: Path) -> None:
    db = sqlite3.connect(path)
    db.executescript(SCHEMA)
    db.execute("INSERT INTO study (name, spec, state, created_at) VALUES ('old', ?, 'finished', 1.0)",
               (json.dumps(dict(SPEC, name="old")),))
    db.execute("INSERT INTO study (name, spec, state, created_at) VALUES ('acc', ?, 'running', 1700000000.0)",
               (json.dumps(SPEC),))
    rows = [
        # id, study, state, params, value, step, attempt, worker, started, finished, reason, stderr_tail
        (1, 1, "completed", '{"c":"a","n":1,"x":0.5}', 0.99, 1, 1, "w", 1.0, 2.0, None, None),
        (2, 2, "completed", '{"c":"a","n":2,"x":1}', 0.80, 2, 1, "w1", 1700000001.0, 1700000002.5, None, None),
        (3, 2, "pruned", '{"c":1.5,"n":3,"x":0.25}', 0.95, 1, 1, "w2", 1700000001.0, 1700000003.0,
         "pruned by the coordinator", None),
        (4, 2, "completed", '{"c":true,"n":4,"x":2}', 0.90, 2, 2, "w2", 1700000004.0, 1700000005.0, None, None),
        (5, 2, "completed", '{"c":"a","n":1,"x":0.1}', 0.90, 2, 1, "w1", 1700000004.0, 1700000006.0, None, None),
        (6, 2, "failed", '{"c":"a","n":1,"x":0.2}', None, None, 1, "w1", 1700000007.0, 1700000008.0,
         "raised ValueError: no", "Traceback ..."),
        (7, 2, "running", '{"c":"a","n":2,"x":0.3}', None, None, 1, "w2", 1700000009.0, None, None, None),
    ]
    db.executemany("INSERT INTO trial VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    db.executemany("INSERT INTO report VALUES (?,?,?,?)",
                   [(2, 2, 0.80, 0), (2, 1, 0.6, 0), (3, 1, 0.95, 0), (4, 1, 0.5, 0), (4, 2, 0.9, 0)])
    db.commit()
    db.close()


def test_load_reads_the_latest_study_its_trials_and_their_learning_curves(tmp_path: Path):
    make_database(tmp_path / "s.db")
    study = sextant.load(tmp_path / "s.db")
    assert (study.name, study.metric, study.goal, study.state) == ("acc", "accuracy", "maximize", "running")
    assert study.created_at == datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc)
    assert [t.id for t in study.trials] == [2, 3, 4, 5, 6, 7]
    second = study.trials[0]
    assert second.params == {"c": "a", "n": 2, "x": 1.0} and type(second.params["x"]) is float
    assert second.reports == [(1, 0.6), (2, 0.80)]
    assert second.finished_at == datetime.fromtimestamp(1700000002.5, timezone.utc)
    failed = study.trials[4]
    assert (failed.state, failed.value, failed.reason, failed.stderr_tail) == (
        "failed", None, "raised ValueError: no", "Traceback ...")
    assert study.trials[-1].finished_at is None


def test_the_best_trial_is_the_best_completed_one_and_the_earliest_of_equals(tmp_path: Path):
    make_database(tmp_path / "s.db")
    # Maximize: the pruned 0.95 does not count; 4 and 5 tie at 0.90 and 4 came first.
    assert sextant.load(tmp_path / "s.db").best.id == 4
    assert sextant.load(tmp_path / "s.db", study="old").best.id == 1


def test_load_names_the_file_when_it_cannot_read_it(tmp_path: Path):
    with pytest.raises(sextant.StudyFileError, match="missing.db: no such study database"):
        sextant.load(tmp_path / "missing.db")
    make_database(tmp_path / "s.db")
    with pytest.raises(sextant.StudyFileError, match="s.db: no study named 'nope'"):
        sextant.load(tmp_path / "s.db", study="nope")
    (tmp_path / "junk.db").write_text("not sqlite")
    with pytest.raises(sextant.StudyFileError, match="junk.db"):
        sextant.load(tmp_path / "junk.db")


def test_load_never_writes_the_database(tmp_path: Path):
    make_database(tmp_path / "s.db")
    before = (tmp_path / "s.db").read_bytes()
    sextant.load(tmp_path / "s.db")
    assert (tmp_path / "s.db").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.db"]


def test_trials_dataframe_has_the_csv_columns(tmp_path: Path):
    pandas = pytest.importorskip("pandas")
    make_database(tmp_path / "s.db")
    frame = sextant.load(tmp_path / "s.db").trials_dataframe()
    assert list(frame.columns) == ["id", "state", "value", "step", "attempt", "worker", "started_at",
                                   "finished_at", "reason", "x", "n", "c"]
    assert list(frame["id"]) == [2, 3, 4, 5, 6, 7]
    assert frame.loc[frame["id"] == 3, "state"].item() == "pruned"
    assert pandas.isna(frame.loc[frame["id"] == 6, "value"].item())


def test_trials_dataframe_without_pandas_says_how_to_get_it(tmp_path: Path, monkeypatch):
    make_database(tmp_path / "s.db")
    monkeypatch.setitem(__import__("sys").modules, "pandas", None)
    with pytest.raises(ImportError, match="pip install pandas"):
        sextant.load(tmp_path / "s.db").trials_dataframe()

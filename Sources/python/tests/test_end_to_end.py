"""The package against the real `sextant` binary: coordinator, workers, export."""

from __future__ import annotations

import signal
import sys
import textwrap
from pathlib import Path
from typing import Any, Dict, List

import pytest

import sextant
from conftest import DEADLINE_S, Process, export_trials, free_port, sextant_binary, subprocess_env

# Good configurations report 1.0 at once; bad ones 10.0, slowly, so the other worker's
# reports reach each step first and the median rule has company to judge them by.
# `x = 0` raises: the trial fails with its traceback stored.
OBJECTIVE_WORKER = """
import sys, time, sextant

def objective(trial):
    x = trial.params["x"]
    if x == 0:
        raise ValueError("x must not be 0")
    bad = x >= 7
    for step in range(1, 9):
        if bad:
            time.sleep(0.25)
        trial.report({"loss": 10.0 if bad else 1.0, "accuracy": 0.5}, step=step)
    return {"loss": 10.0 if bad else 1.0, "accuracy": 0.5}

summary = sextant.work(sys.argv[1], objective, name=sys.argv[2])
print("summary", summary.completed, summary.pruned, summary.failed, summary.ended_by, flush=True)
"""

STUDY = """
name: python-workers
metric: {name: loss, goal: minimize}
budget: {trials: 10}
optimizer: {kind: grid, seed: 5}
pruner: {kind: median, startup_trials: 2, warmup_steps: 0}
trial_timeout_seconds: 60
parameters:
  x: {type: categorical, values: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]}
"""


def start_coordinator(binary: Path, directory: Path, endpoint: str, study: str, processes: List[Process],
                      *extra: str) -> Process:
    (directory / "study.yaml").write_text(textwrap.dedent(study))
    coordinator = Process([str(binary), "coordinator", "study.yaml", "--bind", endpoint, "--no-dashboard", *extra],
                          directory, "coordinator")
    processes.append(coordinator)
    return coordinator


def start_python_worker(script: str, directory: Path, endpoint: str, name: str, processes: List[Process]) -> Process:
    path = directory / "objective_worker.py"
    path.write_text(script)
    worker = Process([sys.executable, str(path), endpoint, name], directory, name, env=subprocess_env())
    processes.append(worker)
    return worker


def test_two_in_process_workers_run_a_study_with_pruning(tmp_path: Path, processes: List[Process]):
    binary = sextant_binary()
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    workers = [start_python_worker(OBJECTIVE_WORKER, tmp_path, endpoint, name, processes) for name in ("py-a", "py-b")]
    coordinator = start_coordinator(binary, tmp_path, endpoint, STUDY, processes)
    assert coordinator.wait(120) == 0, coordinator.stderr
    for worker in workers:
        assert worker.wait(DEADLINE_S) == 0, worker.stderr
        assert worker.stdout.strip().endswith("study over")

    trials = export_trials(binary, tmp_path)
    by_x: Dict[int, Dict[str, Any]] = {trial["params"]["x"]: trial for trial in trials}
    assert sorted(by_x) == list(range(10))
    failed = by_x.pop(0)
    assert failed["state"] == "failed"
    assert failed["reason"] == "raised ValueError: x must not be 0"
    assert "Traceback (most recent call last)" in failed["stderr_tail"]
    assert "ValueError: x must not be 0" in failed["stderr_tail"]
    for x, trial in by_x.items():
        if x < 7:
            assert (trial["state"], trial["value"], trial["step"]) == ("completed", 1.0, 8), trial
        else:
            assert trial["state"] in ("completed", "pruned"), trial
            assert trial["value"] == 10.0
            if trial["state"] == "pruned":
                assert trial["step"] < 8 and trial["reason"].startswith("median rule at step"), trial
    pruned = [x for x, trial in by_x.items() if trial["state"] == "pruned"]
    assert pruned, "no bad trial was pruned"
    assert {trial["worker"] for trial in trials} == {"py-a", "py-b"}

    # The workers' own counts agree with what the coordinator stored.
    counted = [list(map(int, w.stdout.split()[1:4])) for w in workers]
    assert [sum(c) for c in zip(*counted)] == [9 - len(pruned), len(pruned), 1]

    # sextant.load reads the same trials from the database.
    study = sextant.load(tmp_path / "sextant.db")
    assert (study.name, study.metric, study.goal, study.state) == ("python-workers", "loss", "minimize", "finished")
    assert [(t.id, t.state, t.value, t.step, t.worker) for t in study.trials] == [
        (t["id"], t["state"], t["value"], t["step"], t["worker"]) for t in trials]
    assert study.best is not None and study.best.value == 1.0
    assert study.best.id == min(t["id"] for t in trials if t["state"] == "completed" and t["value"] == 1.0)
    for record in study.trials:
        if record.state == "completed":
            assert [step for step, _ in record.reports] == list(range(1, 9))


CTRL_C_WORKER = """
import sys, time, sextant

def objective(trial):
    print("started", trial.id, flush=True)
    while True:
        time.sleep(0.05)
        trial.report(1.0)

sextant.work(sys.argv[1], objective, name=sys.argv[2])
print("left", flush=True)
"""

SECOND_WORKER = """
import sys, sextant
sextant.work(sys.argv[1], lambda trial: 2.0 + trial.params["x"], name=sys.argv[2])
"""


def test_ctrl_c_hands_the_running_trial_to_another_worker(tmp_path: Path, processes: List[Process]):
    binary = sextant_binary()
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    study = """
        name: handover
        metric: {name: loss, goal: minimize}
        budget: {trials: 1}
        optimizer: {kind: random, seed: 3}
        parameters:
          x: {type: float, low: 0.0, high: 1.0}
        """
    coordinator = start_coordinator(binary, tmp_path, endpoint, study, processes)
    first = start_python_worker(CTRL_C_WORKER, tmp_path, endpoint, "first", processes)
    assert first.wait_for_output("started"), first.stderr
    first.popen.send_signal(signal.SIGINT)
    assert first.wait(DEADLINE_S) == 0, first.stderr
    assert first.stdout.endswith("left\n")
    (tmp_path / "second").mkdir()
    second = start_python_worker(SECOND_WORKER, tmp_path / "second", endpoint, "second", processes)
    assert coordinator.wait(60) == 0, coordinator.stderr
    assert second.wait(DEADLINE_S) == 0, second.stderr
    [trial] = export_trials(binary, tmp_path)
    assert (trial["state"], trial["worker"], trial["attempt"]) == ("completed", "second", 2)
    assert trial["value"] == pytest.approx(2.0 + trial["params"]["x"])


def test_a_worker_with_curve_keys_joins_a_coordinator_that_requires_them(tmp_path: Path, processes: List[Process]):
    binary = sextant_binary()
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    for name in ("coordinator", "py"):
        Process([str(binary), "keygen", name, "--directory", "keys"], tmp_path, f"keygen-{name}").wait(30)
    (tmp_path / "allowed").mkdir()
    (tmp_path / "allowed" / "py.pub").write_text((tmp_path / "keys" / "py.pub").read_text())
    study = """
        name: curve
        metric: {name: loss, goal: minimize}
        budget: {trials: 3}
        optimizer: {kind: random, seed: 1}
        parameters:
          x: {type: float, low: 0.0, high: 1.0}
        """
    coordinator = start_coordinator(binary, tmp_path, endpoint, study, processes,
                                    "--curve-secret-key", "keys/coordinator.key", "--authorized-keys", "allowed")
    script = tmp_path / "curve_worker.py"
    script.write_text(textwrap.dedent("""
        import sys, sextant
        sextant.work(sys.argv[1], lambda trial: trial.params["x"], name="py",
                     server_key="keys/coordinator.pub", curve_secret_key="keys/py.key")
        """))
    worker = Process([sys.executable, str(script), endpoint], tmp_path, "py", env=subprocess_env())
    processes.append(worker)
    assert coordinator.wait(60) == 0, coordinator.stderr
    assert worker.wait(DEADLINE_S) == 0, worker.stderr
    trials = export_trials(binary, tmp_path)
    assert [t["state"] for t in trials] == ["completed"] * 3
    assert all(t["value"] == pytest.approx(t["params"]["x"]) for t in trials)


SCRIPT_USING_HELPERS = """
import sextant
p = sextant.params({"x": 0.0, "epochs": 3})
assert isinstance(p["x"], float) and isinstance(p["epochs"], int), p
for epoch in range(1, p["epochs"] + 1):
    sextant.report(step=epoch, loss=(p["x"] - 0.3) ** 2 + (p["epochs"] - epoch), accuracy=0.5)
"""


def test_a_command_worker_script_needs_no_parsing_with_params_and_report(tmp_path: Path, processes: List[Process]):
    binary = sextant_binary()
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    study = """
        name: helpers
        metric: {name: loss, goal: minimize}
        budget: {trials: 3}
        optimizer: {kind: random, seed: 2}
        parameters:
          x: {type: float, low: 0.0, high: 1.0}
          epochs: {type: int, low: 2, high: 4}
        """
    (tmp_path / "train.py").write_text(SCRIPT_USING_HELPERS)
    coordinator = start_coordinator(binary, tmp_path, endpoint, study, processes)
    worker = Process([str(binary), "worker", endpoint, "--", sys.executable, "train.py"], tmp_path, "w",
                     env=subprocess_env())
    processes.append(worker)
    assert coordinator.wait(60) == 0, coordinator.stderr
    assert worker.wait(DEADLINE_S) == 0, worker.stderr
    for trial in export_trials(binary, tmp_path):
        assert trial["state"] == "completed", trial
        assert trial["step"] == trial["params"]["epochs"]
        assert trial["value"] == pytest.approx((trial["params"]["x"] - 0.3) ** 2)


PARETO_WORKER = """
import sys, sextant

def objective(trial):
    x = trial.params["x"]
    assert trial.values == ["loss", "seconds", "size"], trial.values
    if x == 9:
        return {"loss": 1.0, "size": 1.0}          # leaves seconds out
    trial.report({"loss": 2.0 + x}, step=1)
    return {"loss": (x - 3) ** 2, "seconds": 10.0 - x, "size": float(x)}

sextant.work(sys.argv[1], objective, name=sys.argv[2])
"""

PARETO_STUDY = """
name: python-pareto
metrics:
  - {name: loss, goal: minimize}
  - {name: seconds, goal: minimize}
constraints:
  - {name: size, max: 7}
budget: {trials: 10}
optimizer: {kind: grid, seed: 5}
trial_timeout_seconds: 60
parameters:
  x: {type: categorical, values: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]}
"""


def test_an_in_process_worker_reports_every_objective_and_constraint(tmp_path: Path, processes: List[Process]):
    binary = sextant_binary()
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    worker = start_python_worker(PARETO_WORKER, tmp_path, endpoint, "py-pareto", processes)
    coordinator = start_coordinator(binary, tmp_path, endpoint, PARETO_STUDY, processes)
    assert coordinator.wait(120) == 0, coordinator.stderr
    assert worker.wait(DEADLINE_S) == 0, worker.stderr

    trials = {trial["params"]["x"]: trial for trial in export_trials(binary, tmp_path)}
    assert sorted(trials) == list(range(10))
    forgetful = trials.pop(9)
    assert forgetful["state"] == "failed" and "without seconds" in forgetful["reason"], forgetful
    for x, trial in trials.items():
        assert trial["state"] == "completed", trial
        assert trial["values"] == {"loss": (x - 3) ** 2, "seconds": 10.0 - x, "size": float(x)}, trial
        assert trial["feasible"] == (x <= 7)
    # Loss falls up to x = 3 and seconds fall as x grows: the feasible front is x = 3..7.
    assert sorted(x for x, trial in trials.items() if trial["pareto"]) == [3, 4, 5, 6, 7]
    study = sextant.load(tmp_path / "sextant.db")
    assert {t.params["x"]: t.values for t in study.trials if t.state == "completed"} == {
        x: trial["values"] for x, trial in trials.items()}
    assert study.objectives == [("loss", "minimize"), ("seconds", "minimize")]
    assert [t.params["x"] for t in study.pareto_front] == [3, 4, 5, 6, 7]
    assert all(study.feasible(t) == (t.params["x"] <= 7) for t in study.trials if t.state == "completed")


# A training curve loss(x, s) = 4 (x - 0.25)^2 + 0.3 / s, trained to the study's max_steps.
FIDELITY_WORKER = """
import sys, time, sextant

def objective(trial):
    x = trial.params["x"]
    for step in range(1, trial.max_steps + 1):
        trial.report(4 * (x - 0.25) ** 2 + 0.3 / step, step=step)
        time.sleep(0.02)
    return 4 * (x - 0.25) ** 2 + 0.3 / trial.max_steps

sextant.work(sys.argv[1], objective, name=sys.argv[2])
"""

FIDELITY_STUDY = """
name: python-curves
metric: {name: loss, goal: minimize}
budget: {trials: 12}
optimizer: {kind: gp-ei, seed: 3, initial_trials: 3}
fidelity: {max_steps: 12, min_steps: 2, stop_probability: 0.2}
trial_timeout_seconds: 60
parameters:
  x: {type: float, low: 0.0, high: 1.0}
"""


def test_an_in_process_worker_trains_to_the_fidelitys_maximum_and_the_model_stops_it(
        tmp_path: Path, processes: List[Process]):
    binary = sextant_binary()
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    worker = start_python_worker(FIDELITY_WORKER, tmp_path, endpoint, "py-curves", processes)
    coordinator = start_coordinator(binary, tmp_path, endpoint, FIDELITY_STUDY, processes)
    assert coordinator.wait(120) == 0, coordinator.stderr
    assert worker.wait(DEADLINE_S) == 0, worker.stderr

    trials = export_trials(binary, tmp_path)
    assert len(trials) == 12
    completed = [t for t in trials if t["state"] == "completed"]
    assert completed and all(t["step"] == 12 for t in completed), completed
    stopped = [t for t in trials if t["state"] == "pruned"]
    assert stopped, [(t["state"], t["reason"]) for t in trials]
    assert all(t["reason"].startswith("model at step") and 2 <= t["step"] < 12 for t in stopped), stopped

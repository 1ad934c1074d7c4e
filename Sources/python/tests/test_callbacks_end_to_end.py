"""Each framework callback inside a real training run, against the real `sextant coordinator`."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import List

import pytest

from conftest import DEADLINE_S, Process, export_trials, free_port, sextant_binary, subprocess_env
from test_end_to_end import start_coordinator

HERE = Path(__file__).resolve().parent

# The worker imports the objective its framework's own tests use: same model, same seeds.
WORKER = """
import sys
sys.path.insert(0, {tests!r})
import sextant
from {module} import {factory}
objective = {factory}{arguments}
summary = sextant.work(sys.argv[1], objective, name=sys.argv[2])
print("summary", summary.completed, summary.pruned, summary.failed, flush=True)
"""

FRAMEWORKS = {
    # framework: (library to import, test module, objective, its arguments, metric)
    "lightning": ("lightning", "test_lightning", "objective", "", "val_loss"),
    "transformers": ("transformers", "test_transformers", "make_objective", "(__import__('pathlib').Path(sys.argv[3]))",
                     "eval_loss"),
    "keras": ("keras", "test_keras", "objective", "", "val_loss"),
}


@pytest.mark.parametrize("framework", sorted(FRAMEWORKS))
def test_the_callback_reports_every_epoch_to_a_real_coordinator(framework: str, tmp_path: Path,
                                                                 processes: List[Process]) -> None:
    library, module, factory, arguments, metric = FRAMEWORKS[framework]
    if framework == "keras":
        os.environ.setdefault("KERAS_BACKEND", "torch")  # Keras reads it once, at import
    pytest.importorskip(library)
    binary = sextant_binary()
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    study = f"""
        name: {framework}
        metric: {{name: {metric}, goal: minimize}}
        budget: {{trials: 2}}
        optimizer: {{kind: random, seed: 4}}
        parameters:
          lr: {{type: float, low: 0.05, high: 0.2}}
        """
    script = tmp_path / "worker.py"
    script.write_text(WORKER.format(tests=str(HERE), module=module, factory=factory, arguments=arguments))
    coordinator = start_coordinator(binary, tmp_path, endpoint, study, processes)
    worker = Process([sys.executable, str(script), endpoint, f"{framework}-worker", str(tmp_path / "out")],
                     tmp_path, "w", env=subprocess_env(KERAS_BACKEND="torch"))
    processes.append(worker)
    assert coordinator.wait(DEADLINE_S * 4) == 0, coordinator.stderr
    assert worker.wait(DEADLINE_S) == 0, worker.stderr
    assert "summary 2 0 0" in worker.stdout, worker.stdout
    trials = export_trials(binary, tmp_path)
    assert len(trials) == 2
    for trial in trials:
        assert trial["state"] == "completed", trial
        assert trial["step"] == 4, trial
        assert trial["worker"] == f"{framework}-worker"

"""Sextant's Python client.

- `work(endpoint, objective)`: an in-process worker; `objective(trial)` runs once per trial.
- `params()`, `report()` and `max_steps()`: for a training script run by `sextant worker -- COMMAND`.
- `load("study.db")`: a study's trials, the best one, and a DataFrame of them.

See docs/python.md.
"""

from .errors import InvalidParameters, SextantError, StudyFileError, TrialPruned, WorkerStopped
from .results import Study, TrialRecord, load
from .script import max_steps, params, report
from .trial import Trial
from .worker import Worker, WorkSummary, work

__version__ = "0.1.0"

__all__ = [
    "InvalidParameters",
    "SextantError",
    "Study",
    "StudyFileError",
    "Trial",
    "TrialPruned",
    "TrialRecord",
    "Worker",
    "WorkSummary",
    "WorkerStopped",
    "load",
    "max_steps",
    "params",
    "report",
    "work",
]

"""The errors the package raises; `SextantError` is the root of them all."""

from __future__ import annotations


class SextantError(Exception):
    """Root of the errors this package raises."""


class TrialPruned(SextantError):
    """Raised by `Trial.report` when the coordinator prunes the trial.

    Let it propagate out of the objective: the worker then sends the trial's RESULT as
    `pruned`, with the value and step of its latest report. An objective may also raise
    it by itself to stop a trial it judges hopeless (stored with the reason
    "pruned by the objective").
    """


class WorkerStopped(SextantError):
    """Raised by `Trial.report` once the worker is leaving (Ctrl-C, or the study is over).

    The trial is handed back to the coordinator, which gives it to another worker; its
    result is not sent. Let it propagate.
    """


class InvalidParameters(SextantError):
    """`SEXTANT_PARAMS` is not a JSON object: the script was not started by a worker
    of this version. The message names the variable and what was found."""


class StudyFileError(SextantError):
    """A study database cannot be read: the message names the file and what is wrong."""

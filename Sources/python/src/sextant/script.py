"""Helpers for a training script that `sextant worker ... -- python3 train.py` runs.

The worker gives the script its parameters in the environment (`SEXTANT_PARAMS`, one
JSON object) and reads its scores back from stdout lines `NAME=VALUE step=N`
(docs/worker.md). `params()` and `report()` are those two ends, so a script needs no
argument parsing.
"""

from __future__ import annotations

import json
import math
import os
import sys
from typing import Any, Dict, Mapping, Optional, TextIO

from .errors import InvalidParameters

_INTEGER_TEXT = frozenset("+-0123456789")


def params(defaults: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    """The trial's parameters, over `defaults`: `{"learning_rate": 0.01, "batch_size": 64}`.

    Read from `SEXTANT_PARAMS`. Without it (the script run by hand) the result is a copy
    of `defaults`. Types: an int parameter is an `int` and a float parameter a `float`,
    even when its value is integral (a float `1.0` stays `1.0`, told apart through
    `SEXTANT_PARAM_<NAME>`); a value whose default is a float or an int is converted to
    that type. Categoricals keep the study file's type (string, number, boolean).
    """
    values: Dict[str, Any] = dict(defaults or {})
    text = os.environ.get("SEXTANT_PARAMS")
    if text is None:
        return values
    try:
        given = json.loads(text)
    except ValueError as error:
        raise InvalidParameters(f"SEXTANT_PARAMS is not JSON ({error}): {text[:200]!r}") from None
    if not isinstance(given, dict):
        raise InvalidParameters(f"SEXTANT_PARAMS is not a JSON object: {text[:200]!r}")
    for name, value in given.items():
        values[name] = _typed(name, value, (defaults or {}).get(name))
    return values


def max_steps(default: Optional[int] = None) -> Optional[int]:
    """The number of steps (epochs) a trial trains in a study with a fidelity
    (docs/study-file.md, "Fidelity"), from `SEXTANT_MAX_STEPS`; `default` when the study has
    none or the script runs by hand. Train that long and `report()` every step: the
    coordinator stops the trial early when its curve will not win.
    """
    text = os.environ.get("SEXTANT_MAX_STEPS")
    if text is None or text == "":
        return default
    try:
        steps = int(text)
    except ValueError:
        raise InvalidParameters(f"SEXTANT_MAX_STEPS is not an integer: {text[:50]!r}") from None
    if steps < 1:
        raise InvalidParameters(f"SEXTANT_MAX_STEPS must be at least 1, not {steps}")
    return steps


def _typed(name: str, value: Any, default: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    if isinstance(default, float) and not isinstance(default, bool):
        return float(value)
    if isinstance(default, int) and not isinstance(default, bool) and float(value).is_integer():
        return int(value)
    # JSON writes a float 1.0 as 1; the worker's per-parameter text keeps the type
    # (`1.0` for a float, `1` for an int).
    shown = os.environ.get(f"SEXTANT_PARAM_{name.upper()}")
    if shown is not None:
        if shown and set(shown) <= _INTEGER_TEXT and float(value).is_integer():
            return int(value)
        return float(value)
    return value


def report(step: Optional[int] = None, *, file: Optional[TextIO] = None, **metrics: float) -> None:
    """Prints one report line and flushes stdout: `report(step=3, val_loss=0.25, val_accuracy=0.91)`
    prints `val_loss=0.25 val_accuracy=0.91 step=3`.

    The worker reads the study's metric and the step from the line (docs/worker.md) and
    streams it to the coordinator as one intermediate report; the last one is the
    trial's result. Other metrics on the line are for people reading the log. Without
    `step`, the worker numbers reports 1, 2, 3...
    """
    if not metrics:
        raise TypeError("report() needs at least one metric: report(step=3, val_loss=0.25)")
    parts = [f"{name}={_text(float(value))}" for name, value in metrics.items()]
    if step is not None:
        parts.append(f"step={int(step)}")
    stream = file if file is not None else sys.stdout
    stream.write(" ".join(parts) + "\n")
    stream.flush()


def _text(number: float) -> str:
    if math.isnan(number):
        return "nan"
    if math.isinf(number):
        return "inf" if number > 0 else "-inf"
    return repr(number)

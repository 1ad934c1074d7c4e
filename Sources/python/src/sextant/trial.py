"""`Trial`: what an in-process objective gets, and how its end becomes a RESULT."""

from __future__ import annotations

import math
import threading
import time
import traceback
from typing import Any, Callable, Dict, List, Mapping, Optional, Union

from . import _wire
from .errors import TrialPruned, WorkerStopped

Number = Union[int, float]
#: What an objective may return: a number, a dict of metrics holding the study's metric,
#: or None to let the latest report be the result.
ObjectiveResult = Union[Number, Mapping[str, Any], None]


class _TimedOut(BaseException):
    """Unwinds an objective past its `timeout_seconds` (a BaseException so that a bare
    `except Exception` in user code does not swallow it; the trial fails either way)."""


class Trial:
    """One trial run by `sextant.work`: its configuration and the way to report on it.

    `params` maps each parameter name to its value (float and int parameters as numbers,
    categoricals as the study file wrote them). Call `report` once per epoch; return the
    final value (a number, or a dict of metrics that holds the study's metric).

    A Trial is used by the thread that runs its objective; the worker's I/O thread only
    delivers decisions to it, under its lock.
    """

    def __init__(
        self,
        *,
        trial_id: int,
        attempt: int,
        params: Dict[str, Any],
        metric: str,
        study: str,
        slot: int,
        timeout_s: float,
        prune: str,
        decision_wait_s: float,
        post: Callable[[str, Dict[str, Any]], None],
        values: Optional[List[str]] = None,
        max_steps: Optional[int] = None,
    ) -> None:
        self.id = trial_id
        self.attempt = attempt
        self.params: Dict[str, Any] = params
        self.metric = metric
        #: Every value the study needs from a completed trial (its objectives and constrained
        #: values, the metric among them); empty for a study with one metric and no constraints.
        self.values: List[str] = list(values or [])
        self.study = study
        self.slot = slot
        #: In a study with a fidelity (`fidelity: {max_steps: N}`), N: the step at which the
        #: trial is complete (train to it and report each step; the coordinator stops the trial
        #: earlier if its curve says so). None in a study without one.
        self.max_steps = max_steps
        self._timeout_s = timeout_s
        self._prune_raises = prune == "raise"
        self._decision_wait_s = decision_wait_s
        self._post = post
        self._started = time.monotonic()
        self._cond = threading.Condition()
        # Guarded by _cond: written by the objective's thread and the I/O thread.
        self._reports = 0
        self._last_step: Optional[int] = None
        self._last_value: Optional[float] = None
        self._awaiting: Optional[int] = None     # the step whose DECISION report() waits for
        self._prune_step: Optional[int] = None   # a prune decision for the latest report
        self._prune_delivered = False            # report()/should_prune() told the objective
        self._nonfinite: Optional[float] = None
        self._timed_out = False
        self._abandoned = False

    def __repr__(self) -> str:
        return f"Trial(id={self.id}, attempt={self.attempt}, params={self.params!r})"

    @property
    def last_step(self) -> Optional[int]:
        """The step of the latest report, or None before the first."""
        with self._cond:
            return self._last_step

    @property
    def last_value(self) -> Optional[float]:
        """The value of the latest report, or None before the first."""
        with self._cond:
            return self._last_value

    def report(self, value: Union[Number, Mapping[str, Any]], step: Optional[int] = None) -> bool:
        """Streams one intermediate value of the study's metric to the coordinator.

        `step` numbers the report (an epoch); it defaults to 1, 2, 3... in call order. A
        dict value must hold the study's metric; its other keys are not sent. Waits up to
        one heartbeat for the coordinator's DECISION on this report. When the coordinator
        prunes the trial it raises `TrialPruned` (or, with `work(..., prune="flag")`,
        returns True: return from the objective then, and the trial is stored as pruned).
        Returns False otherwise. A NaN or infinite value fails the trial at once.
        """
        value = self._metric_value(value, "reported")
        with self._cond:
            self._check_stop()
            self._reports += 1
            step = self._reports if step is None else int(step)
            if not math.isfinite(value):
                self._nonfinite = value
                raise ValueError(f"reported a non-finite value ({value})")
            self._last_step = step if self._last_step is None else max(self._last_step, step)
            self._last_value = value
            self._awaiting = step
        self._post("REPORT", {"trial_id": self.id, "attempt": self.attempt, "step": step, "value": value})
        with self._cond:
            deadline = time.monotonic() + self._decision_wait_s
            while self._awaiting == step and self._prune_step is None and not self._abandoned:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            if self._awaiting == step:
                self._awaiting = None
            return self._check_stop()

    def should_prune(self) -> bool:
        """True when the coordinator has pruned the trial at its latest report (no waiting)."""
        with self._cond:
            if self._prune_step is not None:
                self._prune_delivered = True
                return True
            return False

    # ----- the worker's side ------------------------------------------------------

    def _check_stop(self) -> bool:
        """Under _cond: raise or return True when the objective should stop now."""
        if self._abandoned:
            raise WorkerStopped("the worker is leaving; the trial goes back to the coordinator")
        if self._prune_step is not None:
            self._prune_delivered = True
            if self._prune_raises:
                raise TrialPruned(f"pruned by the coordinator at step {self._prune_step}")
            return True
        if self._timeout_s > 0 and time.monotonic() - self._started > self._timeout_s:
            self._timed_out = True
            raise _TimedOut()
        return False

    def _decide(self, step: int, action: str) -> None:
        """A DECISION for this trial (I/O thread). A prune applies only while `step` is
        still the latest report (docs/protocol.md, "When REPORT, DECISION and RESULT cross")."""
        with self._cond:
            if action == "prune" and self._last_step is not None and step >= self._last_step:
                self._prune_step = step
            if self._awaiting == step or self._prune_step is not None:
                self._awaiting = None
                self._cond.notify_all()

    def _abandon(self) -> None:
        """The worker is leaving (I/O thread): the next report() raises WorkerStopped."""
        with self._cond:
            self._abandoned = True
            self._cond.notify_all()

    def _metric_value(self, value: Any, verb: str) -> float:
        if isinstance(value, Mapping):
            if self.metric not in value:
                keys = ", ".join(sorted(str(k) for k in value)) or "none"
                raise ValueError(f"{verb} a dict without the study's metric '{self.metric}' (keys: {keys})")
            value = value[self.metric]
        if isinstance(value, (bool, str, bytes)) or value is None:
            raise TypeError(f"{verb} {type(value).__name__} {value!r} for '{self.metric}', not a number")
        try:
            return float(value)
        except (TypeError, ValueError):
            raise TypeError(f"{verb} {type(value).__name__} for '{self.metric}', not a number") from None

    def _result(self, returned: ObjectiveResult, error: Optional[BaseException]) -> Optional[Dict[str, Any]]:
        """The RESULT body for how the objective ended; None when it must not be sent."""
        with self._cond:
            body: Dict[str, Any] = {"trial_id": self.id, "attempt": self.attempt}
            if self._last_step is not None:
                body["step"] = self._last_step

            def failed(reason: str, stderr_tail: Optional[str] = None) -> Dict[str, Any]:
                body.update(status="failed", reason=reason)
                if stderr_tail:
                    body["stderr_tail"] = stderr_tail
                return body

            def pruned(reason: str) -> Dict[str, Any]:
                body.update(status="pruned", reason=reason)
                if self._last_value is not None:
                    body["value"] = self._last_value
                return body

            if self._abandoned:
                return None
            if self._nonfinite is not None:
                return failed(f"reported a non-finite value ({self._nonfinite})")
            if self._timed_out:
                return failed(f"timed out after {self._timeout_s:g} s")
            if self._prune_delivered:
                if error is None or isinstance(error, TrialPruned):
                    return pruned("pruned by the coordinator")
            elif isinstance(error, TrialPruned):
                return pruned("pruned by the objective")
            if error is not None:
                text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
                message = str(error)
                reason = f"raised {type(error).__name__}: {message}" if message else f"raised {type(error).__name__}"
                return failed(reason[:1000], _wire.tail(text))
            extra: Dict[str, float] = {}
            if self.values:
                # Several objectives or constraints: a dict with every one of them.
                if not isinstance(returned, Mapping):
                    return failed(f"returned {type(returned).__name__}; the study needs a dict with "
                                  + ", ".join(self.values))
                missing = [name for name in self.values if name not in returned and name != self.metric]
                if missing:
                    return failed(f"returned a dict without {', '.join(missing)}; the study needs "
                                  + ", ".join(self.values))
                for name in self.values:
                    if name == self.metric and name not in returned:
                        continue
                    number = returned[name]
                    if isinstance(number, (bool, str, bytes)) or number is None:
                        return failed(f"returned {type(number).__name__} {number!r} for '{name}', not a number")
                    try:
                        extra[name] = float(number)
                    except (TypeError, ValueError):
                        return failed(f"returned {type(number).__name__} for '{name}', not a number")
                    if not math.isfinite(extra[name]):
                        return failed(f"returned a non-finite {name} ({extra[name]})")
            if returned is None:
                if self._last_value is None:
                    return failed(f"returned None without reporting {self.metric} "
                                  "(return a number, or call trial.report)")
                value = self._last_value
            elif self.values and self.metric not in returned:
                if self._last_value is None:
                    return failed(f"returned a dict without {self.metric} and never reported it")
                value = self._last_value
            else:
                try:
                    value = self._metric_value(returned, "returned")
                except (TypeError, ValueError) as problem:
                    return failed(str(problem))
            if not math.isfinite(value):
                return failed(f"returned a non-finite value ({value})")
            body.update(status="completed", value=value)
            if self.values:
                extra[self.metric] = value
                body["values"] = extra
            return body
